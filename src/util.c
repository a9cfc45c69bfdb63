/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util.h"
#include "banned.h"

static char *progname;
static char *root_override;
static int root_overridden;

static void
default_warn(const char *msg, void *data)
{
	(void)data;
	fprintf(stderr, "%s: warning: %s\n", esmith_progname(), msg);
}

static warn_fn warn_hook = default_warn;
static void *warn_data;

_Noreturn void
die_oom(void)
{
	fputs("fatal: out of memory\n", stderr);
	abort();
}

void *
xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (!p)
		die_oom();
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		die_oom();
	return p;
}

void *
xrealloc(void *p, size_t size)
{
	void *q = realloc(p, size ? size : 1);

	if (!q)
		die_oom();
	return q;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

unsigned long
mem_hash(unsigned long h, const char *s, size_t len)
{
	for (; len >= 8; s += 8, len -= 8) {
		uint64_t w;
		memcpy(&w, s, 8);
		h = (h ^ w) * 0x100000001b3ull;
		h ^= h >> 29;
	}
	for (; len; s++, len--)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h;
}

#define PTAB_MIN 16 /* a power of two */

static unsigned long
ptab_hash(const void *entry)
{
	return *(const unsigned long *)entry;
}

void *
ptab_find(const struct ptab *t, unsigned long h,
	  int (*eq)(const void *entry, const void *key), const void *key)
{
	if (!t->v)
		return NULL;
	for (size_t i = h & (t->cap - 1); t->v[i]; i = (i + 1) & (t->cap - 1))
		if (ptab_hash(t->v[i]) == h && eq(t->v[i], key))
			return t->v[i];
	return NULL;
}

/* Put `entry` in the first empty slot of its probe sequence. */
static void
ptab_put(void **v, size_t cap, void *entry)
{
	size_t i = ptab_hash(entry) & (cap - 1);

	while (v[i])
		i = (i + 1) & (cap - 1);
	v[i] = entry;
}

void
ptab_add(struct ptab *t, void *entry)
{
	if ((t->n + 1) * 2 > t->cap) {
		size_t cap = t->cap ? 2 * t->cap : PTAB_MIN;
		void **v = xcalloc(cap, sizeof(*v));

		for (size_t i = 0; i < t->cap; i++)
			if (t->v[i])
				ptab_put(v, cap, t->v[i]);
		free(t->v);
		t->v = v;
		t->cap = cap;
	}
	ptab_put(t->v, t->cap, entry);
	t->n++;
}

void
ptab_release(struct ptab *t)
{
	free(t->v);
	t->v = NULL;
	t->cap = t->n = 0;
}

void *
xgrow(void *p, size_t *alloc, size_t need, size_t size)
{
	size_t n;

	if (need <= *alloc)
		return p;
	n = *alloc ? *alloc + *alloc / 2 : 8;
	if (n < need)
		n = need;
	if (n > SIZE_MAX / size)
		die_oom();
	p = xrealloc(p, n * size);
	*alloc = n;
	return p;
}

static int
ts_eq(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

int
stat_same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	       a->st_size == b->st_size && a->st_mode == b->st_mode &&
	       ts_eq(&a->st_mtim, &b->st_mtim) &&
	       ts_eq(&a->st_ctim, &b->st_ctim);
}

int
stat_settled(const struct stat *st)
{
	struct timespec now;

	if (clock_gettime(CLOCK_REALTIME, &now) < 0)
		return 0;
	return st->st_mtim.tv_sec + 2 < now.tv_sec;
}

void
esmith_set_warn_hook(warn_fn fn, void *data)
{
	warn_hook = fn ? fn : default_warn;
	warn_data = fn ? data : NULL;
}

void
esmith_warn(const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	warn_hook(sb.buf, warn_data);
	strbuf_release(&sb);
}

void
esmith_set_progname(const char *argv0)
{
	const char *slash = strrchr(argv0, '/');

	free(progname);
	progname = xstrdup(slash ? slash + 1 : argv0);
}

const char *
esmith_progname(void)
{
	return progname ? progname : "esmith";
}

const char *
esmith_root(void)
{
	const char *r;

	if (root_overridden)
		return root_override;
	r = getenv("ESMITH_ROOT");
	return r ? r : "";
}

void
esmith_set_root(const char *root)
{
	size_t n = strlen(root);

	while (n > 1 && root[n - 1] == '/')
		n--;
	free(root_override);
	if (n == 1 && root[0] == '/')
		n = 0;
	root_override = xstrndup(root, n);
	root_overridden = 1;
	setenv("ESMITH_ROOT", root_override, 1);
}

int
esmith_parse_root_option(int *argc, char ***argv, struct strbuf *err)
{
	char **av = *argv;
	const char *val;
	int used;

	if (*argc < 2)
		return 0;
	if (!strcmp(av[1], "--root")) {
		if (*argc < 3) {
			strbuf_addstr(err,
				      "option '--root' requires a directory");
			return -1;
		}
		val = av[2];
		used = 2;
	} else if (!strncmp(av[1], "--root=", 7)) {
		val = av[1] + 7;
		used = 1;
	} else {
		return 0;
	}
	if (!*val) {
		strbuf_addstr(err, "option '--root' requires a directory");
		return -1;
	}
	esmith_set_root(val);
	memmove(av + 1, av + 1 + used,
		(size_t)(*argc - 1 - used + 1) * sizeof(*av));
	*argc -= used;
	return 0;
}

void
esmith_path_buf(struct strbuf *sb, const char *abs)
{
	const char *root = esmith_root();
	size_t rl = strlen(root);

	while (rl > 0 && root[rl - 1] == '/')
		rl--;
	strbuf_add(sb, root, rl);
	if (abs[0] != '/')
		strbuf_addch(sb, '/');
	strbuf_addstr(sb, abs);
}

char *
esmith_path(const char *abs)
{
	struct strbuf sb = STRBUF_INIT;

	esmith_path_buf(&sb, abs);
	return strbuf_detach(&sb, NULL);
}

int
mkdir_p(const char *path, mode_t mode)
{
	char *p = xstrdup(path);
	char *s;
	int ret = 0;

	for (s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST) {
			ret = -errno;
			goto out;
		}
		*s = '/';
	}
	if (mkdir(p, mode) < 0 && errno != EEXIST)
		ret = -errno;
out:
	free(p);
	return ret;
}

static int
fsync_dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int fd, ret = 0;

	if (!slash)
		dir = xstrdup(".");
	else if (slash == path)
		dir = xstrdup("/");
	else
		dir = xstrndup(path, (size_t)(slash - path));
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		if (fsync(fd) < 0 && errno != EINVAL)
			ret = -errno;
		close(fd);
	}
	free(dir);
	return ret;
}

int
write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
		  struct strbuf *err)
{
	struct strbuf tmp = STRBUF_INIT;
	const char *p = data;
	int fd, ret = -1;

	strbuf_addf(&tmp, "%s.tmpXXXXXX", path);
	fd = mkstemp(tmp.buf);
	if (fd < 0) {
		strbuf_addf(err, "%s: cannot create a temporary file: %s", path,
			    strerror(errno));
		goto out;
	}
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			strbuf_addf(err, "%s: write failed: %s", tmp.buf,
				    strerror(errno));
			goto fail;
		}
		p += n;
		len -= (size_t)n;
	}
	if (fsync(fd) < 0) {
		strbuf_addf(err, "%s: fsync failed: %s", tmp.buf,
			    strerror(errno));
		goto fail;
	}
	if (fchmod(fd, mode) < 0) {
		strbuf_addf(err, "%s: chmod failed: %s", tmp.buf,
			    strerror(errno));
		goto fail;
	}
	if (close(fd) < 0) {
		fd = -1;
		strbuf_addf(err, "%s: close failed: %s", tmp.buf,
			    strerror(errno));
		goto fail;
	}
	fd = -1;
	if (rename(tmp.buf, path) < 0) {
		strbuf_addf(err, "%s: rename failed: %s", path,
			    strerror(errno));
		goto fail;
	}
	fsync_dir_of(path);
	ret = 0;
	goto out;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp.buf);
out:
	strbuf_release(&tmp);
	return ret;
}

int
parse_long(const char *s, long *out)
{
	char *end;
	long v;

	if (!*s)
		return 0;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end)
		return 0;
	*out = v;
	return 1;
}
