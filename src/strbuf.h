/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef STRBUF_H
#define STRBUF_H

#include <stdarg.h>
#include <stdint.h>
#include <stddef.h>

/*
 * A growable byte string. `buf` is never NULL and always NUL-terminated at
 * `len`; it may hold NUL bytes before that. Initialise with STRBUF_INIT or
 * strbuf_init(), free the contents with strbuf_release(), or take the buffer
 * with strbuf_detach() (then the caller frees it with free()).
 *
 * Allocation failure aborts the program (like git's xmalloc): every other
 * error is reported to the caller.
 */
struct strbuf {
	size_t alloc;
	size_t len;
	char *buf;
};

extern char strbuf_slopbuf[];
#define STRBUF_INIT                  \
	{                            \
		0, 0, strbuf_slopbuf \
	}

void strbuf_init(struct strbuf *sb, size_t hint);
void strbuf_release(struct strbuf *sb);
char *strbuf_detach(struct strbuf *sb, size_t *len);
/* Make room for at least `extra` more bytes. */
void strbuf_grow(struct strbuf *sb, size_t extra);
void strbuf_setlen(struct strbuf *sb, size_t len);
#define strbuf_reset(sb) strbuf_setlen(sb, 0)

void strbuf_add(struct strbuf *sb, const void *data, size_t len);
void strbuf_addstr(struct strbuf *sb, const char *s);
void strbuf_addch(struct strbuf *sb, int c);
void strbuf_addbuf(struct strbuf *sb, const struct strbuf *other);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* Remove trailing newlines and carriage returns. */
void strbuf_chomp(struct strbuf *sb);

/*
 * Append the whole contents of `path`. Fails with -EFBIG when the file is
 * larger than `max` bytes (0: no limit). Returns 0 or a negative errno; on
 * error `sb` is left as it was.
 */
int strbuf_read_file(struct strbuf *sb, const char *path, size_t max);
/* Append everything readable from `fd` until EOF; same contract. */
int strbuf_read_fd(struct strbuf *sb, int fd, size_t max);

#endif
