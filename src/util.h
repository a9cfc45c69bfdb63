/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef UTIL_H
#define UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/stat.h>

#include "strbuf.h"

/* Allocation that aborts with a message on failure. */
void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Grow an array `p` of `n` elements of `size` to hold at least `need`. */
void *xgrow(void *p, size_t *alloc, size_t need, size_t size);

/* A hash of `len` bytes, continuing from `h` (MEM_HASH_INIT to start). */
#define MEM_HASH_INIT 14695981039346656037ul
unsigned long mem_hash(unsigned long h, const char *s, size_t len);

/*
 * A hash table of pointers to entries, for the per-process caches: open
 * addressing, growing from a few slots, so that a short program touches
 * little memory. Each entry starts with its hash (an unsigned long).
 * ptab_find() gives the entry for `h` that `eq` accepts, or NULL;
 * ptab_add() adds an entry (the table keeps the pointer, not the entry).
 */
struct ptab {
	void **v;
	size_t cap, n;
};
void *ptab_find(const struct ptab *t, unsigned long h,
		int (*eq)(const void *entry, const void *key), const void *key);
void ptab_add(struct ptab *t, void *entry);
void ptab_release(struct ptab *t);

/*
 * Files kept in memory after reading: two stat() results of a file that
 * did not change (same device, inode, size, mode, modification and change
 * times), and whether a file was modified long enough ago (two seconds)
 * to be kept: timestamps are coarse, so a write just after a read could
 * leave the times of a recently modified file equal, while a write to a
 * settled file moves its modification time.
 */
int stat_same_file(const struct stat *a, const struct stat *b);
int stat_settled(const struct stat *st);
_Noreturn void die_oom(void);

/*
 * Warnings from library code (a damaged database line, an unknown metadata
 * key) go through one hook, so programs print them and tests capture them.
 * The default hook prints "<prog>: warning: <msg>" to stderr.
 */
typedef void (*warn_fn)(const char *msg, void *data);
void esmith_set_warn_hook(warn_fn fn, void *data);
void esmith_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Program name used in messages; set by programs from argv[0]. */
void esmith_set_progname(const char *argv0);
const char *esmith_progname(void);

/*
 * The sandbox root. Every absolute SME path (/etc/e-smith/..., /home/e-smith/
 * ...) is looked up below it. It comes from ESMITH_ROOT, or from a `--root
 * DIR` / `--root=DIR` first option (which also exports ESMITH_ROOT so that
 * child processes stay in the same root). Empty means "/".
 */
const char *esmith_root(void);
void esmith_set_root(const char *root);
/*
 * Consume a leading --root option from argv. Returns 0, or -1 with a
 * message in `err` when --root lacks its argument.
 */
int esmith_parse_root_option(int *argc, char ***argv, struct strbuf *err);
/* Return a malloc'd path: the root followed by the absolute path `abs`. */
char *esmith_path(const char *abs);
/* Same, appended to `sb`. */
void esmith_path_buf(struct strbuf *sb, const char *abs);

/* Create a directory and its parents. Returns 0 or a negative errno. */
int mkdir_p(const char *path, mode_t mode);

/*
 * Write `len` bytes to `path` atomically: a temp file in the same
 * directory (mode 0600), write, fsync, chmod to `mode`, rename, fsync the
 * directory. On failure the temp file is removed, `path` is untouched, and
 * the message in `err` names the file. Returns 0 or -1.
 */
int write_file_atomic(const char *path, const void *data, size_t len,
		      mode_t mode, struct strbuf *err);

/* True if `s` is a whole decimal integer (optional sign); stores it. */
int parse_long(const char *s, long *out);

#endif
