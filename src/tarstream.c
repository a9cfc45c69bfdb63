/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A directory tree as a ustar/pax stream, pulled on demand. See
 * tarstream.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "tarstream.h"
#include "util.h"
#include "banned.h"

#define BLOCK 512
#define USTAR_MAX_ID 07777777	       /* 7 octal digits */
#define USTAR_MAX_SIZE 077777777777ULL /* 11 octal digits */
#define USTAR_MAX_TIME 077777777777LL

struct level {
	char *rel; /* "" for the top, else "dir/sub/" */
	char **names;
	size_t nr, pos;
};

struct link {
	dev_t dev;
	ino_t ino;
	char *name;
};

struct tar_stream {
	char *root;
	char **exclude;
	size_t nr_exclude;
	struct level *levels;
	size_t nr_levels, alloc_levels;
	struct strbuf out; /* headers and padding waiting to be read */
	size_t out_pos;
	int fd;		    /* the regular file being sent, or -1 */
	char *fd_path;	    /* its full path, for messages */
	uint64_t remaining; /* its bytes still to send */
	uint64_t pad;	    /* padding after it */
	int zero_fill;	    /* it shrank: send zeros */
	struct link *links;
	size_t nr_links, alloc_links;
	int finished;
	uint64_t bytes, entries;
};

/* ------------------------------------------------------------------------
 * Exclusions.
 */

static char *
normalize_pattern(const char *p)
{
	size_t n;

	while (*p == '/' || (p[0] == '.' && p[1] == '/'))
		p += *p == '/' ? 1 : 2;
	n = strlen(p);
	while (n > 0 && p[n - 1] == '/')
		n--;
	return xstrndup(p, n);
}

static int
excluded(char *const *exclude, size_t nr, const char *rel)
{
	size_t i, n;

	for (i = 0; i < nr; i++) {
		const char *p = exclude[i];

		n = strlen(p);
		if (n >= 2 && !strcmp(p + n - 2, "/*")) {
			if (!strncmp(rel, p, n - 1))
				return 1;
			continue;
		}
		if (!strncmp(rel, p, n) && (rel[n] == '\0' || rel[n] == '/'))
			return 1;
	}
	return 0;
}

static void
copy_excludes(struct tar_stream *ts, const char *const *exclude)
{
	size_t n = 0;

	while (exclude && exclude[n])
		n++;
	ts->exclude = xcalloc(n + 1, sizeof(*ts->exclude));
	for (ts->nr_exclude = 0; ts->nr_exclude < n; ts->nr_exclude++)
		ts->exclude[ts->nr_exclude] =
			normalize_pattern(exclude[ts->nr_exclude]);
}

/* ------------------------------------------------------------------------
 * Directory levels.
 */

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
push_level(struct tar_stream *ts, const char *rel, struct strbuf *err)
{
	struct strbuf full = STRBUF_INIT;
	struct level *lv;
	struct dirent *de;
	size_t alloc = 0;
	DIR *d;

	strbuf_addf(&full, "%s/%s", ts->root, rel);
	d = opendir(full.buf);
	if (!d) {
		strbuf_addf(err, "%s: cannot read directory: %s", full.buf,
			    strerror(errno));
		strbuf_release(&full);
		return -1;
	}
	ts->levels = xgrow(ts->levels, &ts->alloc_levels, ts->nr_levels + 1,
			   sizeof(*ts->levels));
	lv = &ts->levels[ts->nr_levels++];
	memset(lv, 0, sizeof(*lv));
	lv->rel = xstrdup(rel);
	while ((errno = 0, de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		lv->names = xgrow(lv->names, &alloc, lv->nr + 1,
				  sizeof(*lv->names));
		lv->names[lv->nr++] = xstrdup(de->d_name);
	}
	closedir(d);
	strbuf_release(&full);
	if (lv->nr > 1)
		qsort(lv->names, lv->nr, sizeof(*lv->names), cmp_name);
	return 0;
}

static void
pop_level(struct tar_stream *ts)
{
	struct level *lv = &ts->levels[--ts->nr_levels];
	size_t i;

	for (i = 0; i < lv->nr; i++)
		free(lv->names[i]);
	free(lv->names);
	free(lv->rel);
}

/* ------------------------------------------------------------------------
 * Headers.
 */

static void
octal(char *field, size_t width, uint64_t v)
{
	/* width-1 digits, then NUL. */
	size_t i = width - 1;

	field[i] = '\0';
	while (i > 0) {
		field[--i] = (char)('0' + (v & 7));
		v >>= 3;
	}
}

/* Append a pax record "LEN key=value\n". */
static void
pax_record(struct strbuf *pax, const char *key, const char *value)
{
	size_t base = strlen(key) + strlen(value) + 3; /* ' ', '=', '\n' */
	size_t len = base + 1, digits;
	char tmp[24];

	for (;;) {
		digits = (size_t)snprintf(tmp, sizeof(tmp), "%zu", len);
		if (base + digits == len)
			break;
		len = base + digits;
	}
	strbuf_addf(pax, "%zu %s=%s\n", len, key, value);
}

static void
finish_header(char *h)
{
	unsigned sum = 0;
	size_t i;

	memset(h + 148, ' ', 8);
	for (i = 0; i < BLOCK; i++)
		sum += (unsigned char)h[i];
	octal(h + 148, 7, sum);
	h[155] = ' ';
}

static void
pad_out(struct strbuf *out)
{
	size_t rem = out->len % BLOCK;

	if (rem) {
		strbuf_grow(out, BLOCK - rem);
		memset(out->buf + out->len, 0, BLOCK - rem);
		strbuf_setlen(out, out->len + BLOCK - rem);
	}
}

/* Put `name` in the ustar name/prefix fields; 0 if it does not fit. */
static int
ustar_name(char *h, const char *name)
{
	size_t n = strlen(name), i;

	if (n <= 100) {
		memcpy(h, name, n);
		return 1;
	}
	for (i = n - 2; i > 0; i--) {
		if (name[i] != '/' || i > 155)
			continue;
		if (n - i - 1 > 100 || n - i - 1 == 0)
			return 0;
		memcpy(h + 345, name, i);
		memcpy(h, name + i + 1, n - i - 1);
		return 1;
	}
	return 0;
}

struct entry {
	const char *name; /* relative, dirs end in '/' */
	const char *link; /* symlink target or hard link name, or NULL */
	char type;
	const struct stat *st;
	uint64_t size;
};

static void
add_header(struct tar_stream *ts, const struct entry *en)
{
	struct strbuf pax = STRBUF_INIT;
	char h[BLOCK];
	char num[32];
	int64_t mtime = en->st->st_mtime < 0 ? 0 : en->st->st_mtime;

	memset(h, 0, sizeof(h));
	if (!ustar_name(h, en->name)) {
		pax_record(&pax, "path", en->name);
		memcpy(h, en->name, 100);
	}
	if (en->link) {
		size_t ln = strlen(en->link);

		memcpy(h + 157, en->link, ln > 100 ? 100 : ln);
		if (ln > 100)
			pax_record(&pax, "linkpath", en->link);
	}
	if (en->size > USTAR_MAX_SIZE) {
		snprintf(num, sizeof(num), "%llu",
			 (unsigned long long)en->size);
		pax_record(&pax, "size", num);
	} else {
		octal(h + 124, 12, en->size);
	}
	if (en->st->st_uid > USTAR_MAX_ID) {
		snprintf(num, sizeof(num), "%lu",
			 (unsigned long)en->st->st_uid);
		pax_record(&pax, "uid", num);
	} else {
		octal(h + 108, 8, en->st->st_uid);
	}
	if (en->st->st_gid > USTAR_MAX_ID) {
		snprintf(num, sizeof(num), "%lu",
			 (unsigned long)en->st->st_gid);
		pax_record(&pax, "gid", num);
	} else {
		octal(h + 116, 8, en->st->st_gid);
	}
	if (mtime > USTAR_MAX_TIME) {
		snprintf(num, sizeof(num), "%lld", (long long)mtime);
		pax_record(&pax, "mtime", num);
	} else {
		octal(h + 136, 12, (uint64_t)mtime);
	}
	octal(h + 100, 8, en->st->st_mode & 07777);
	h[156] = en->type;
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	if (en->type == '3' || en->type == '4') {
		octal(h + 329, 8, major(en->st->st_rdev));
		octal(h + 337, 8, minor(en->st->st_rdev));
	}
	finish_header(h);
	if (pax.len) {
		char x[BLOCK];

		memset(x, 0, sizeof(x));
		memcpy(x, "PaxHeaders/entry", 16);
		octal(x + 100, 8, 0644);
		octal(x + 108, 8, 0);
		octal(x + 116, 8, 0);
		octal(x + 124, 12, pax.len);
		octal(x + 136, 12, 0);
		x[156] = 'x';
		memcpy(x + 257, "ustar", 6);
		memcpy(x + 263, "00", 2);
		finish_header(x);
		strbuf_add(&ts->out, x, BLOCK);
		strbuf_addbuf(&ts->out, &pax);
		pad_out(&ts->out);
	}
	strbuf_add(&ts->out, h, BLOCK);
	strbuf_release(&pax);
	ts->entries++;
}

/* The first name of a hard-linked inode, or NULL (and remember this one). */
static const char *
hardlink_of(struct tar_stream *ts, const struct stat *st, const char *name)
{
	size_t i;

	for (i = 0; i < ts->nr_links; i++)
		if (ts->links[i].dev == st->st_dev &&
		    ts->links[i].ino == st->st_ino)
			return ts->links[i].name;
	ts->links = xgrow(ts->links, &ts->alloc_links, ts->nr_links + 1,
			  sizeof(*ts->links));
	ts->links[ts->nr_links].dev = st->st_dev;
	ts->links[ts->nr_links].ino = st->st_ino;
	ts->links[ts->nr_links].name = xstrdup(name);
	ts->nr_links++;
	return NULL;
}

static int
add_symlink(struct tar_stream *ts, const char *full, const char *rel,
	    const struct stat *st, struct strbuf *err)
{
	struct strbuf target = STRBUF_INIT;
	size_t size = 256;
	ssize_t n;
	struct entry en = { rel, NULL, '2', st, 0 };

	for (;;) {
		strbuf_grow(&target, size);
		n = readlink(full, target.buf, size);
		if (n < 0) {
			strbuf_addf(err, "%s: cannot read link: %s", full,
				    strerror(errno));
			strbuf_release(&target);
			return -1;
		}
		if ((size_t)n < size)
			break;
		size *= 2;
	}
	strbuf_setlen(&target, (size_t)n);
	en.link = target.buf;
	add_header(ts, &en);
	strbuf_release(&target);
	return 0;
}

static int
add_regular(struct tar_stream *ts, const char *full, const char *rel,
	    const struct stat *st, struct strbuf *err)
{
	struct entry en = { rel, NULL, '0', st, (uint64_t)st->st_size };
	const char *first = NULL;
	int fd = -1;

	if (st->st_nlink > 1)
		first = hardlink_of(ts, st, rel);
	if (first) {
		en.type = '1';
		en.link = first;
		en.size = 0;
		add_header(ts, &en);
		return 0;
	}
	if (st->st_size > 0) {
		fd = open(full, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			strbuf_addf(err, "%s: cannot open: %s", full,
				    strerror(errno));
			return -1;
		}
	}
	add_header(ts, &en);
	if (fd >= 0) {
		ts->fd = fd;
		free(ts->fd_path);
		ts->fd_path = xstrdup(full);
		ts->remaining = (uint64_t)st->st_size;
		ts->pad = (BLOCK - ts->remaining % BLOCK) % BLOCK;
		ts->zero_fill = 0;
	}
	return 0;
}

/* Queue the next entry's header (and open its data). 0, 1 at the end of
 * the tree, -1 on error. */
static int
next_entry(struct tar_stream *ts, struct strbuf *err)
{
	struct strbuf rel = STRBUF_INIT, full = STRBUF_INIT;
	struct level *lv;
	struct stat st;
	int ret = 0;

	for (;;) {
		if (!ts->nr_levels) {
			ret = 1;
			goto out;
		}
		lv = &ts->levels[ts->nr_levels - 1];
		if (lv->pos == lv->nr) {
			pop_level(ts);
			continue;
		}
		strbuf_reset(&rel);
		strbuf_addf(&rel, "%s%s", lv->rel, lv->names[lv->pos++]);
		if (!excluded(ts->exclude, ts->nr_exclude, rel.buf))
			break;
	}
	strbuf_addf(&full, "%s/%s", ts->root, rel.buf);
	if (lstat(full.buf, &st) < 0) {
		if (errno == ENOENT) /* gone since the listing */
			goto out;
		strbuf_addf(err, "%s: cannot stat: %s", full.buf,
			    strerror(errno));
		ret = -1;
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		struct entry en = { NULL, NULL, '5', &st, 0 };

		strbuf_addch(&rel, '/');
		en.name = rel.buf;
		add_header(ts, &en);
		ret = push_level(ts, rel.buf, err);
	} else if (S_ISREG(st.st_mode)) {
		ret = add_regular(ts, full.buf, rel.buf, &st, err);
	} else if (S_ISLNK(st.st_mode)) {
		ret = add_symlink(ts, full.buf, rel.buf, &st, err);
	} else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ||
		   S_ISFIFO(st.st_mode)) {
		const char *first =
			st.st_nlink > 1 ? hardlink_of(ts, &st, rel.buf) : NULL;
		struct entry en = { rel.buf, first, '6', &st, 0 };

		if (first)
			en.type = '1';
		else if (S_ISCHR(st.st_mode))
			en.type = '3';
		else if (S_ISBLK(st.st_mode))
			en.type = '4';
		add_header(ts, &en);
	} else {
		esmith_warn("%s: socket or unknown file type, left out",
			    full.buf);
	}
out:
	strbuf_release(&rel);
	strbuf_release(&full);
	return ret;
}

/* ------------------------------------------------------------------------
 * The stream.
 */

struct tar_stream *
tar_stream_new(const char *dir, const char *const *exclude, struct strbuf *err)
{
	struct tar_stream *ts;
	struct stat st;
	size_t n = strlen(dir);

	if (stat(dir, &st) < 0) {
		strbuf_addf(err, "%s: %s", dir, strerror(errno));
		return NULL;
	}
	if (!S_ISDIR(st.st_mode)) {
		strbuf_addf(err, "%s: not a directory", dir);
		return NULL;
	}
	while (n > 1 && dir[n - 1] == '/')
		n--;
	ts = xcalloc(1, sizeof(*ts));
	ts->root = xstrndup(dir, n);
	ts->fd = -1;
	strbuf_init(&ts->out, 4 * BLOCK);
	copy_excludes(ts, exclude);
	if (push_level(ts, "", err) < 0) {
		tar_stream_free(ts);
		return NULL;
	}
	return ts;
}

/* Copy file data into buf; returns bytes or -1. */
static ssize_t
read_data(struct tar_stream *ts, char *buf, size_t len, struct strbuf *err)
{
	size_t want = len < ts->remaining ? len : (size_t)ts->remaining;
	ssize_t n = 0;

	if (!ts->zero_fill) {
		do
			n = read(ts->fd, buf, want);
		while (n < 0 && errno == EINTR);
		if (n < 0) {
			strbuf_addf(err, "%s: read error: %s", ts->fd_path,
				    strerror(errno));
			return -1;
		}
		if (n == 0) {
			esmith_warn("%s: file shrank while being read, "
				    "padded with zeros",
				    ts->fd_path);
			ts->zero_fill = 1;
		}
	}
	if (ts->zero_fill) {
		memset(buf, 0, want);
		n = (ssize_t)want;
	}
	ts->remaining -= (uint64_t)n;
	if (!ts->remaining) {
		close(ts->fd);
		ts->fd = -1;
		strbuf_grow(&ts->out, (size_t)ts->pad);
		memset(ts->out.buf + ts->out.len, 0, (size_t)ts->pad);
		strbuf_setlen(&ts->out, ts->out.len + (size_t)ts->pad);
	}
	return n;
}

ssize_t
tar_stream_read(void *data, char *buf, size_t len, struct strbuf *err)
{
	struct tar_stream *ts = data;
	size_t done = 0;

	while (done < len) {
		if (ts->out_pos < ts->out.len) {
			size_t n = ts->out.len - ts->out_pos;

			if (n > len - done)
				n = len - done;
			memcpy(buf + done, ts->out.buf + ts->out_pos, n);
			ts->out_pos += n;
			done += n;
			continue;
		}
		strbuf_reset(&ts->out);
		ts->out_pos = 0;
		if (ts->fd >= 0) {
			ssize_t n = read_data(ts, buf + done, len - done, err);

			if (n < 0)
				return -1;
			done += (size_t)n;
			continue;
		}
		if (ts->finished)
			break;
		switch (next_entry(ts, err)) {
		case -1:
			return -1;
		case 1:
			/* Two zero blocks end the archive. */
			strbuf_grow(&ts->out, 2 * BLOCK);
			memset(ts->out.buf, 0, 2 * BLOCK);
			strbuf_setlen(&ts->out, 2 * BLOCK);
			ts->finished = 1;
			break;
		default:
			break;
		}
	}
	ts->bytes += done;
	return (ssize_t)done;
}

uint64_t
tar_stream_bytes(const struct tar_stream *ts)
{
	return ts->bytes;
}

uint64_t
tar_stream_entries(const struct tar_stream *ts)
{
	return ts->entries;
}

void
tar_stream_free(struct tar_stream *ts)
{
	size_t i;

	if (!ts)
		return;
	while (ts->nr_levels)
		pop_level(ts);
	free(ts->levels);
	if (ts->fd >= 0)
		close(ts->fd);
	free(ts->fd_path);
	for (i = 0; i < ts->nr_links; i++)
		free(ts->links[i].name);
	free(ts->links);
	for (i = 0; i < ts->nr_exclude; i++)
		free(ts->exclude[i]);
	free(ts->exclude);
	strbuf_release(&ts->out);
	free(ts->root);
	free(ts);
}

int
tar_tree_has_entries(const char *dir, const char *const *exclude,
		     struct strbuf *err)
{
	struct tar_stream *ts = tar_stream_new(dir, exclude, err);
	struct level *lv;
	size_t i;
	int found = 0;

	if (!ts)
		return -1;
	lv = &ts->levels[0];
	for (i = 0; i < lv->nr && !found; i++)
		found = !excluded(ts->exclude, ts->nr_exclude, lv->names[i]);
	tar_stream_free(ts);
	return found;
}
