/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef TARSTREAM_H
#define TARSTREAM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "strbuf.h"

/*
 * A directory tree as a tar stream, produced on demand: the caller pulls
 * bytes with tar_stream_read() (an engine_read_fn) and the tree is walked
 * as the bytes are asked for, so no archive is ever written to disk and
 * memory stays bounded by one directory listing per level.
 *
 * Format: POSIX ustar, with pax extended headers ('x') for what ustar
 * cannot hold (names over its 100+155 bytes, link targets over 100 bytes,
 * sizes from 8 GiB, ids over 2097151). Entries: directories, regular
 * files, symbolic links, hard links (a second name of an inode already
 * sent), character and block devices and FIFOs. Sockets are skipped with a
 * warning. Owners are numeric (uid/gid, no names), names are relative to
 * the tree ("etc/passwd", directories end in '/'), entries within a
 * directory are sorted by name, so the same tree gives the same stream.
 * The tree's top directory itself is not an entry.
 *
 * Exclusions are paths relative to the tree: "usr/share/man" leaves out
 * that entry and everything below it; "var/cache/ldconfig/ *" (without the
 * space) leaves out the contents but keeps the directory. Nothing is ever
 * deleted from the tree.
 *
 * A file that shrinks while it is read is padded with zero bytes to the
 * size announced in its header (with a warning); one that grows is cut at
 * that size. A file or directory that cannot be read is an error naming it.
 */

struct tar_stream;

/*
 * Start a stream of the tree `dir` (an existing directory), leaving out
 * the NULL-terminated `exclude` list (may be NULL). NULL with a message
 * when `dir` is not a readable directory.
 */
struct tar_stream *
tar_stream_new(const char *dir, const char *const *exclude, struct strbuf *err);
/*
 * Fill `buf` with up to `len` bytes of the stream. Returns the number of
 * bytes (0 at the end), or -1 with a message in `err`. `ts` is the struct
 * tar_stream (a void pointer, to serve as an engine_read_fn).
 */
ssize_t tar_stream_read(void *ts, char *buf, size_t len, struct strbuf *err);
/* Bytes produced so far, and entries (files, dirs, links...) begun. */
uint64_t tar_stream_bytes(const struct tar_stream *ts);
uint64_t tar_stream_entries(const struct tar_stream *ts);
void tar_stream_free(struct tar_stream *ts);

/* 1 if `dir` holds at least one entry outside `exclude`, 0 if none, -1 on
 * error (message in `err`). */
int tar_tree_has_entries(const char *dir, const char *const *exclude,
			 struct strbuf *err);

#endif
