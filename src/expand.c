/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Template expansion (ESMITH.md §3): the fragment queue, metadata, one
 * package per expansion, and the atomic, change-only output.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db.h"
#include "diff.h"
#include "expand.h"
#include "tmpl.h"
#include "util.h"
#include "banned.h"

#define EXPAND_QUEUE_CUSTOM "/etc/e-smith/templates-custom"
#define EXPAND_QUEUE_BASE "/etc/e-smith/templates"
#define EXPAND_DEFAULT_BEGIN "/etc/e-smith/templates-default/template-begin"
#define EXPAND_METADATA "/etc/e-smith/templates.metadata"
#define EXPAND_MAX_FRAGMENT (16u * 1024 * 1024)

struct expand_frag {
	char *name;  /* file name: the sort key */
	char *path;  /* where to read it, below the root */
	char *where; /* SME path, for messages */
};

struct expand_frags {
	struct expand_frag *v;
	size_t n, alloc;
};

struct expand_meta {
	char *key;
	char *expr;
	char *where;
	int dir_form; /* one file per key: the value is wrapped in { } */
};

struct expand_metas {
	struct expand_meta *v;
	size_t n, alloc;
};

struct expand_params {
	char *template_path;
	char *output_filename;
	char *output_prefix;
	char *output_type;
	char **queue;
	size_t nqueue;
	const char *filter;
	int call_filter; /* the FILTER of a processTemplate() call */
	int have_perms, have_uid, have_gid;
	mode_t perms;
	uid_t uid;
	gid_t gid;
	int delete;
};

static const char *const expand_known_keys[] = {
	"PERMS",
	"UID",
	"GID",
	"TEMPLATE_PATH",
	"OUTPUT_FILENAME",
	"MORE_DATA",
	"FILTER",
	"DELETE",
	"OUTPUT_PREFIX",
	"TEMPLATE_EXPAND_QUEUE",
	"OUTPUT_TYPE",
	"ALL_RECORDS_AS_SCALARS",
	"CONFREF",
	NULL,
};

/* Append one message to `err`, on a line of its own. */
static void __attribute__((format(printf, 2, 3)))
expand_err(struct strbuf *err, const char *fmt, ...)
{
	va_list ap;

	if (err->len && err->buf[err->len - 1] != '\n')
		strbuf_addch(err, '\n');
	va_start(ap, fmt);
	strbuf_vaddf(err, fmt, ap);
	va_end(ap);
}

/* --- fragments ------------------------------------------------------- */

static void
expand_frag_release(struct expand_frag *f)
{
	free(f->name);
	free(f->path);
	free(f->where);
}

static void
expand_frags_clear(struct expand_frags *fs)
{
	size_t i;

	for (i = 0; i < fs->n; i++)
		expand_frag_release(&fs->v[i]);
	fs->n = 0;
}

static void
expand_frags_release(struct expand_frags *fs)
{
	expand_frags_clear(fs);
	free(fs->v);
	fs->v = NULL;
	fs->alloc = 0;
}

/* Add or replace (by name) a fragment. */
static void
expand_frags_put(struct expand_frags *fs, const char *name, const char *where)
{
	size_t i;

	for (i = 0; i < fs->n; i++) {
		if (!strcmp(fs->v[i].name, name)) {
			expand_frag_release(&fs->v[i]);
			break;
		}
	}
	if (i == fs->n) {
		fs->v = xgrow(fs->v, &fs->alloc, fs->n + 1, sizeof(*fs->v));
		fs->n++;
	}
	fs->v[i].name = xstrdup(name);
	fs->v[i].where = xstrdup(where);
	fs->v[i].path = esmith_path(where);
}

static int
expand_frags_has(const struct expand_frags *fs, const char *name)
{
	size_t i;

	for (i = 0; i < fs->n; i++)
		if (!strcmp(fs->v[i].name, name))
			return 1;
	return 0;
}

static int
expand_is_backup_name(const char *name)
{
	static const char *const suffixes[] = {
		"~", ".swp", ".orig", ".rpmsave", ".rpmnew", ".rpmorig", NULL,
	};
	size_t n = strlen(name), i;

	for (i = 0; suffixes[i]; i++) {
		size_t sl = strlen(suffixes[i]);

		if (n >= sl && !strcmp(name + n - sl, suffixes[i]))
			return 1;
	}
	return 0;
}

/*
 * The entries of a fragment directory: names and types as readdir() gives
 * them, kept for the process while the directory is unchanged (an entry
 * added, removed or renamed changes its times; stat_same_file(),
 * stat_settled()). What is done with each entry is done on every read.
 */
struct dir_entry {
	char *name;
	unsigned char type;
};

struct dir_cached {
	char *path;
	struct stat st;
	struct dir_entry *e;
	size_t n;
};

#define DIR_CACHE_MAX 256

static struct dir_cached dir_cache[DIR_CACHE_MAX];
static size_t dir_cache_n;

static void
dir_entries_free(struct dir_entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(e[i].name);
	free(e);
}

static struct dir_entry *
dir_entries_copy(const struct dir_entry *src, size_t n)
{
	struct dir_entry *e = xmalloc((n + 1) * sizeof(*e));

	for (size_t i = 0; i < n; i++) {
		e[i].name = xstrdup(src[i].name);
		e[i].type = src[i].type;
	}
	return e;
}

/* The entries of directory `path` but . and ..; -1 with errno set. */
static int
dir_read(const char *path, struct dir_entry **ep, size_t *np)
{
	struct stat before, after;
	struct dir_cached *c = NULL;
	struct dir_entry *e = NULL;
	size_t n = 0, alloc = 0, i;
	struct dirent *de;
	DIR *d;

	*ep = NULL;
	*np = 0;
	if (stat(path, &before) == 0) {
		for (i = 0; i < dir_cache_n && !c; i++)
			if (!strcmp(dir_cache[i].path, path))
				c = &dir_cache[i];
		if (c && stat_same_file(&c->st, &before)) {
			*ep = dir_entries_copy(c->e, c->n);
			*np = c->n;
			return 0;
		}
	}
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		e = xgrow(e, &alloc, n + 1, sizeof(*e));
		e[n].name = xstrdup(de->d_name);
		e[n].type = de->d_type;
		n++;
	}
	closedir(d);
	*ep = e;
	*np = n;
	if (stat(path, &after) < 0 || !stat_same_file(&before, &after) ||
	    !stat_settled(&after))
		return 0;
	if (!c) {
		if (dir_cache_n == DIR_CACHE_MAX)
			return 0;
		c = &dir_cache[dir_cache_n++];
		c->path = xstrdup(path);
	} else {
		dir_entries_free(c->e, c->n);
	}
	c->st = after;
	c->e = dir_entries_copy(e, n);
	c->n = n;
	return 0;
}

/* Merge the fragments of one fragment directory (SME path `dir`). */
static int
expand_merge_dir(struct expand_frags *fs, const char *dir, struct strbuf *err)
{
	char *path = esmith_path(dir);
	struct strbuf where = STRBUF_INIT;
	struct dir_entry *ents;
	size_t nents;
	int ret = 0;

	if (dir_read(path, &ents, &nents) < 0) {
		expand_err(err, "%s: cannot read the template directory: %s",
			   dir, strerror(errno));
		ret = -1;
		goto out;
	}
	for (size_t i = 0; i < nents; i++) {
		const char *name = ents[i].name;
		unsigned char type = ents[i].type;
		struct stat st;
		char *fp;

		strbuf_reset(&where);
		strbuf_addf(&where, "%s/%s", dir, name);
		if (expand_is_backup_name(name)) {
			esmith_warn("%s: skipped (backup or editor file)",
				    where.buf);
			continue;
		}
		if (type == DT_REG) {
			expand_frags_put(fs, name, where.buf);
			continue;
		}
		if (type != DT_UNKNOWN && type != DT_LNK)
			continue; /* subdirectories and the like */
		fp = esmith_path(where.buf);
		if (stat(fp, &st) == 0 && S_ISREG(st.st_mode))
			expand_frags_put(fs, name, where.buf);
		free(fp);
	}
	dir_entries_free(ents, nents);
out:
	free(path);
	strbuf_release(&where);
	return ret;
}

/*
 * Collect the fragments of `tpath` from the queue, lowest precedence
 * first: a plain file replaces everything collected so far, a directory
 * merges its fragments by name.
 */
static int
expand_collect(const struct expand_params *p, struct expand_frags *fs,
	       struct strbuf *err)
{
	struct strbuf where = STRBUF_INIT;
	int saw_dir = 0, whole = 0, ret = 0;
	size_t i;

	for (i = p->nqueue; i-- > 0;) {
		struct stat st;
		char *fp;

		strbuf_reset(&where);
		strbuf_addf(&where, "%s/%s", p->queue[i],
			    p->template_path + (p->template_path[0] == '/'));
		fp = esmith_path(where.buf);
		if (stat(fp, &st) < 0) {
			free(fp);
			continue;
		}
		free(fp);
		if (S_ISREG(st.st_mode)) {
			const char *base = strrchr(where.buf, '/') + 1;

			expand_frags_clear(fs);
			expand_frags_put(fs, base, where.buf);
			whole = 1;
		} else if (S_ISDIR(st.st_mode)) {
			if (whole)
				expand_frags_clear(fs);
			whole = 0;
			saw_dir = 1;
			if (expand_merge_dir(fs, where.buf, err) < 0)
				ret = -1;
		}
	}
	if (ret == 0 && !fs->n) {
		expand_err(err, "%s: no templates were found",
			   p->template_path);
		ret = -1;
	}
	if (ret == 0 && saw_dir && !expand_frags_has(fs, "template-begin"))
		expand_frags_put(fs, "template-begin", EXPAND_DEFAULT_BEGIN);
	strbuf_release(&where);
	return ret;
}

static int
expand_frag_cmp(const void *pa, const void *pb)
{
	const char *a = ((const struct expand_frag *)pa)->name;
	const char *b = ((const struct expand_frag *)pb)->name;

	if (!strcmp(a, b))
		return 0;
	if (!strcmp(a, "template-begin") || !strcmp(b, "template-end"))
		return -1;
	if (!strcmp(a, "template-end") || !strcmp(b, "template-begin"))
		return 1;
	return strcmp(a, b);
}

/* --- metadata -------------------------------------------------------- */

static void
expand_metas_add(struct expand_metas *ms, const char *key, size_t keylen,
		 const char *expr, size_t exprlen, const char *where,
		 int dir_form)
{
	struct expand_meta *m;

	ms->v = xgrow(ms->v, &ms->alloc, ms->n + 1, sizeof(*ms->v));
	m = &ms->v[ms->n++];
	m->key = xstrndup(key, keylen);
	m->expr = xstrndup(expr, exprlen);
	m->where = xstrdup(where);
	m->dir_form = dir_form;
}

static void
expand_metas_release(struct expand_metas *ms)
{
	size_t i;

	for (i = 0; i < ms->n; i++) {
		free(ms->v[i].key);
		free(ms->v[i].expr);
		free(ms->v[i].where);
	}
	free(ms->v);
}

static int
expand_meta_known(const char *key)
{
	size_t i;

	for (i = 0; expand_known_keys[i]; i++)
		if (!strcmp(key, expand_known_keys[i]))
			return 1;
	return 0;
}

/* The file form: `KEY=expression` a line; blank and # lines ignored. */
static int
expand_meta_read_file(struct expand_metas *ms, const char *file,
		      const char *where, struct strbuf *err)
{
	struct strbuf text = STRBUF_INIT, w = STRBUF_INIT;
	const char *s, *end;
	int line = 0, ret = 0;
	int r = strbuf_read_file(&text, file, EXPAND_MAX_FRAGMENT);

	if (r < 0) {
		expand_err(err, "%s: cannot read: %s", where, strerror(-r));
		ret = -1;
		goto out;
	}
	for (s = text.buf; s < text.buf + text.len; s = end + 1) {
		const char *eq, *k;

		end = memchr(s, '\n', (size_t)(text.buf + text.len - s));
		if (!end)
			end = text.buf + text.len;
		line++;
		for (k = s; k < end && (*k == ' ' || *k == '\t'); k++)
			;
		if (k == end || *k == '#')
			continue;
		eq = memchr(s, '=', (size_t)(end - s));
		strbuf_reset(&w);
		strbuf_addf(&w, "%s:%d", where, line);
		if (!eq || eq == s) {
			esmith_warn("%s: not KEY=expression, ignored", w.buf);
			continue;
		}
		expand_metas_add(ms, s, (size_t)(eq - s), eq + 1,
				 (size_t)(end - eq - 1), w.buf, 0);
	}
out:
	strbuf_release(&text);
	strbuf_release(&w);
	return ret;
}

/* The directory form: one file per key, the file's text is the value. */
static int
expand_meta_read_dir(struct expand_metas *ms, const char *dir,
		     const char *where, struct strbuf *err)
{
	struct strbuf w = STRBUF_INIT, text = STRBUF_INIT;
	struct dirent *de;
	DIR *d = opendir(dir);
	int ret = 0, r;

	if (!d) {
		expand_err(err, "%s: cannot read: %s", where, strerror(errno));
		return -1;
	}
	while ((de = readdir(d))) {
		struct stat st;
		char *fp;

		if (de->d_name[0] == '.')
			continue;
		strbuf_reset(&w);
		strbuf_addf(&w, "%s/%s", where, de->d_name);
		fp = esmith_path(w.buf);
		strbuf_reset(&text);
		if (stat(fp, &st) < 0 || !S_ISREG(st.st_mode)) {
			free(fp);
			continue;
		}
		r = strbuf_read_file(&text, fp, EXPAND_MAX_FRAGMENT);
		if (r < 0) {
			expand_err(err, "%s: cannot read: %s", w.buf,
				   strerror(-r));
			ret = -1;
		} else {
			expand_metas_add(ms, de->d_name, strlen(de->d_name),
					 text.buf, text.len, w.buf, 1);
		}
		free(fp);
	}
	closedir(d);
	strbuf_release(&w);
	strbuf_release(&text);
	return ret;
}

static int
expand_meta_read(struct expand_metas *ms, const char *target,
		 struct strbuf *err)
{
	struct strbuf where = STRBUF_INIT;
	struct stat st;
	char *fp;
	int ret = 0;
	size_t i, j;

	strbuf_addf(&where, "%s/%s", EXPAND_METADATA,
		    target + (target[0] == '/'));
	fp = esmith_path(where.buf);
	if (stat(fp, &st) < 0)
		st.st_mode = 0;
	if (S_ISREG(st.st_mode))
		ret = expand_meta_read_file(ms, fp, where.buf, err);
	else if (S_ISDIR(st.st_mode))
		ret = expand_meta_read_dir(ms, fp, where.buf, err);
	free(fp);
	strbuf_release(&where);
	/* Unknown keys warn and are dropped. */
	for (i = j = 0; i < ms->n; i++) {
		if (expand_meta_known(ms->v[i].key)) {
			ms->v[j++] = ms->v[i];
			continue;
		}
		esmith_warn("%s: unknown metadata key '%s', ignored",
			    ms->v[i].where, ms->v[i].key);
		free(ms->v[i].key);
		free(ms->v[i].expr);
		free(ms->v[i].where);
	}
	ms->n = j;
	return ret;
}

/* A value as Perl sees it in boolean context. */
static int
expand_perl_true(const char *s, int is_undef)
{
	return !is_undef && *s && strcmp(s, "0") != 0;
}

/* Evaluate `pre (value) post` to a string; in the directory form the
   file's text is a block, `do { text }`, as the original evaluates it. */
static int
expand_meta_eval(struct tmpl_ctx *ctx, const struct expand_meta *m,
		 const char *pre, const char *post, struct strbuf *out,
		 int *is_undef, struct strbuf *err)
{
	struct strbuf src = STRBUF_INIT;
	int ret;

	strbuf_addf(&src, "%s%s%s%s%s", pre, m->dir_form ? "do {" : "(",
		    m->expr, m->dir_form ? "}" : ")", post);
	ret = tmpl_eval_string(ctx, src.buf, m->where, out, is_undef, err);
	strbuf_release(&src);
	return ret;
}

static const struct expand_meta *
expand_meta_find(const struct expand_metas *ms, const char *key)
{
	size_t i;
	const struct expand_meta *found = NULL;

	for (i = 0; i < ms->n; i++)
		if (!strcmp(ms->v[i].key, key))
			found = &ms->v[i]; /* the last one wins */
	return found;
}

/* Look `name` up in a passwd- or group-style file below the root:
   1 found, 0 not there, -1 no such file. */
static int
expand_id_from_file(const char *file, const char *name, long *id)
{
	struct strbuf text = STRBUF_INIT;
	char *path = esmith_path(file), *s, *next;
	size_t nl = strlen(name);
	int found = -1;

	if (strbuf_read_file(&text, path, 4u * 1024 * 1024) < 0)
		goto out;
	found = 0;
	for (s = text.buf; s && *s; s = next) {
		char *f;

		next = strchr(s, '\n');
		if (next)
			*next++ = '\0';
		if (strncmp(s, name, nl) || s[nl] != ':')
			continue;
		f = strchr(s + nl + 1, ':'); /* past the password */
		if (!f)
			break;
		s = strchr(++f, ':');
		if (s)
			*s = '\0';
		found = parse_long(f, id);
		break;
	}
out:
	free(path);
	strbuf_release(&text);
	return found;
}

/* A user or group given by name or number; names looked up below the
   root (/etc/passwd, /etc/group), or in the system's when it has none. */
static int
expand_resolve_id(const char *what, const char *val, long *id,
		  const char *where, struct strbuf *err)
{
	int r;

	if (parse_long(val, id) && *id >= 0)
		return 0;
	r = expand_id_from_file(
		!strcmp(what, "UID") ? "/etc/passwd" : "/etc/group", val, id);
	if (r < 0) {
		if (!strcmp(what, "UID")) {
			struct passwd *pw = getpwnam(val);

			if (pw) {
				*id = (long)pw->pw_uid;
				return 0;
			}
		} else {
			struct group *gr = getgrnam(val);

			if (gr) {
				*id = (long)gr->gr_gid;
				return 0;
			}
		}
	} else if (r == 1) {
		return 0;
	}
	expand_err(err, "%s: %s '%s': no such %s", where, what, val,
		   !strcmp(what, "UID") ? "user" : "group");
	return -1;
}

static int
expand_apply_string(struct expand_params *p, const char *k, const char *where,
		    const char *val, int is_undef, struct strbuf *err)
{
	long id;

	if (!strcmp(k, "TEMPLATE_PATH") || !strcmp(k, "OUTPUT_FILENAME") ||
	    !strcmp(k, "OUTPUT_PREFIX") || !strcmp(k, "OUTPUT_TYPE")) {
		char **slot = !strcmp(k, "TEMPLATE_PATH") ? &p->template_path
			      : !strcmp(k, "OUTPUT_FILENAME")
				      ? &p->output_filename
			      : !strcmp(k, "OUTPUT_PREFIX") ? &p->output_prefix
							    : &p->output_type;
		free(*slot);
		*slot = xstrdup(val);
	} else if (!strcmp(k, "DELETE")) {
		p->delete = expand_perl_true(val, is_undef);
	} else if (!strcmp(k, "PERMS")) {
		char *end;
		unsigned long v = strtoul(val, &end, val[0] == '0' ? 8 : 10);

		if (!*val || *end || v > 07777) {
			expand_err(
				err,
				"%s: PERMS '%s': expected a mode such as 0644",
				where, val);
			return -1;
		}
		p->perms = (mode_t)v;
		p->have_perms = 1;
	} else if (!strcmp(k, "UID") || !strcmp(k, "GID")) {
		if (expand_resolve_id(k, val, &id, where, err) < 0)
			return -1;
		if (!strcmp(k, "UID")) {
			p->uid = (uid_t)id;
			p->have_uid = 1;
		} else {
			p->gid = (gid_t)id;
			p->have_gid = 1;
		}
	}
	return 0;
}

/* TEMPLATE_EXPAND_QUEUE: an array reference of directories. */
static int
expand_apply_queue(struct tmpl_ctx *ctx, struct expand_params *p,
		   const struct expand_meta *m, struct strbuf *err)
{
	struct strbuf out = STRBUF_INIT;
	char *s, *nl;
	size_t i;
	int ret;

	ret = expand_meta_eval(ctx, m, "join(\"\\n\", @{", "})", &out, NULL,
			       err);
	if (ret < 0)
		goto out;
	for (i = 0; i < p->nqueue; i++)
		free(p->queue[i]);
	p->nqueue = 0;
	for (s = out.buf; *s; s = nl ? nl + 1 : s + strlen(s)) {
		nl = strchr(s, '\n');
		if (nl)
			*nl = '\0';
		if (!*s)
			continue;
		p->queue = xrealloc(p->queue, (p->nqueue + 1) * sizeof(char *));
		p->queue[p->nqueue++] = xstrdup(s);
	}
out:
	strbuf_release(&out);
	return ret;
}

static int
expand_apply_more_data(struct tmpl_ctx *ctx, const struct expand_meta *m,
		       struct strbuf *err)
{
	struct strbuf src = STRBUF_INIT;
	int ret;

	if (m->dir_form)
		strbuf_addf(&src, "{ %s }", m->expr);
	else
		strbuf_addstr(&src, m->expr);
	ret = tmpl_ctx_more_data(ctx, src.buf, m->where, err);
	if (ret == 0 && !strcmp(m->key, "CONFREF")) {
		struct strbuf ignored = STRBUF_INIT;

		strbuf_reset(&src);
		strbuf_addf(&src, "$confref = %s%s%s", m->dir_form ? "{ " : "(",
			    m->expr, m->dir_form ? " }" : ")");
		ret = tmpl_eval_string(ctx, src.buf, m->where, &ignored, NULL,
				       err);
		strbuf_release(&ignored);
	}
	strbuf_release(&src);
	return ret;
}

/*
 * The parameters of a processTemplate() call, applied before the
 * metadata, which overrides them as in the original: a metadata MORE_DATA
 * (or CONFREF) replaces the call's, a metadata FILTER the call's.
 */
static int
expand_apply_call(struct tmpl_ctx *ctx, struct expand_params *p,
		  const struct tmpl_call *c, const struct expand_metas *ms,
		  struct strbuf *err)
{
	const char *const keys[] = { "OUTPUT_PREFIX", "OUTPUT_TYPE", "PERMS",
				     "UID", "GID" };
	const char *vals[] = { c->output_prefix, c->output_type, c->perms,
			       c->uid, c->gid };
	struct strbuf where = STRBUF_INIT;
	int ret = 0;

	strbuf_addf(&where, "%s:%d: processTemplate", c->where, c->line);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (vals[i] && expand_apply_string(p, keys[i], where.buf,
						   vals[i], 0, err) < 0)
			ret = -1;
	}
	if (c->have_delete)
		p->delete = c->delete_file;
	if (c->queue) {
		for (size_t i = 0; i < p->nqueue; i++)
			free(p->queue[i]);
		p->nqueue = 0;
		for (size_t i = 0; c->queue[i]; i++) {
			if (!*c->queue[i])
				continue;
			p->queue = xrealloc(p->queue,
					    (p->nqueue + 1) * sizeof(char *));
			p->queue[p->nqueue++] = xstrdup(c->queue[i]);
		}
	}
	tmpl_ctx_install_call(
		ctx, c,
		!expand_meta_find(ms, "MORE_DATA") &&
			!expand_meta_find(ms, "CONFREF"),
		expand_meta_find(ms, "FILTER") ? NULL : "__expand_filter");
	p->call_filter = c->filter && !expand_meta_find(ms, "FILTER");
	strbuf_release(&where);
	return ret;
}

/* Evaluate every metadata value into `p` (and MORE_DATA into `ctx`). */
static int
expand_apply_metas(struct tmpl_ctx *ctx, struct expand_params *p,
		   const struct expand_metas *ms, struct strbuf *err)
{
	struct strbuf val = STRBUF_INIT;
	int ret = 0;
	size_t i;

	for (i = 0; i < ms->n; i++) {
		const struct expand_meta *m = &ms->v[i];
		int is_undef = 0;

		if (!strcmp(m->key, "ALL_RECORDS_AS_SCALARS"))
			continue;
		if (!strcmp(m->key, "FILTER")) {
			p->filter = m->expr;
			continue;
		}
		if (!strcmp(m->key, "MORE_DATA") ||
		    !strcmp(m->key, "CONFREF")) {
			if (expand_apply_more_data(ctx, m, err) < 0)
				ret = -1;
			continue;
		}
		if (!strcmp(m->key, "TEMPLATE_EXPAND_QUEUE")) {
			if (expand_apply_queue(ctx, p, m, err) < 0)
				ret = -1;
			continue;
		}
		strbuf_reset(&val);
		if (expand_meta_eval(ctx, m, "", "", &val, &is_undef, err) <
			    0 ||
		    expand_apply_string(p, m->key, m->where, val.buf, is_undef,
					err) < 0)
			ret = -1;
	}
	strbuf_release(&val);
	return ret;
}

/* --- expansion ------------------------------------------------------- */

/*
 * Fragment files read are kept for the process, by path, and read again
 * only when they changed (stat_same_file(), stat_settled()).
 */
struct frag_cached {
	unsigned long hash; /* first, for struct ptab */
	char *path;
	struct stat st;
	char *text;
	size_t len;
};

#define FRAG_CACHE_MAX 2048
#define FRAG_CACHE_MAX_BYTES (32u << 20)

static struct ptab frag_cache;
static size_t frag_cache_bytes, frag_cache_hits;

static int
frag_cache_eq(const void *entry, const void *key)
{
	return !strcmp(((const struct frag_cached *)entry)->path, key);
}

/* Read fragment `path` into `out` (like strbuf_read_file). */
static int
frag_read(const char *path, struct strbuf *out)
{
	struct stat before, after;
	struct frag_cached *c;
	unsigned long h;
	int r;

	if (stat(path, &before) < 0 || !S_ISREG(before.st_mode))
		return strbuf_read_file(out, path, EXPAND_MAX_FRAGMENT);
	h = mem_hash(MEM_HASH_INIT, path, strlen(path));
	c = ptab_find(&frag_cache, h, frag_cache_eq, path);
	if (c && stat_same_file(&c->st, &before)) {
		strbuf_add(out, c->text, c->len);
		frag_cache_hits++;
		return 0;
	}
	r = strbuf_read_file(out, path, EXPAND_MAX_FRAGMENT);
	if (r < 0 || stat(path, &after) < 0 ||
	    !stat_same_file(&before, &after) || !stat_settled(&after))
		return r;
	if (c) {
		frag_cache_bytes -= c->len;
		free(c->text);
	} else {
		if (frag_cache.n >= FRAG_CACHE_MAX ||
		    frag_cache_bytes + out->len > FRAG_CACHE_MAX_BYTES)
			return r;
		c = xcalloc(1, sizeof(*c));
		c->hash = h;
		c->path = xstrdup(path);
		ptab_add(&frag_cache, c);
	}
	c->st = after;
	c->len = out->len;
	c->text = xmalloc(out->len + 1);
	memcpy(c->text, out->buf, out->len + 1);
	frag_cache_bytes += out->len;
	return r;
}

size_t
expand_cache_hit_count(void)
{
	return frag_cache_hits;
}

static int
expand_fragments(struct tmpl_ctx *ctx, const struct expand_frags *fs,
		 struct strbuf *text, struct strbuf *err)
{
	struct strbuf src = STRBUF_INIT;
	int ret = 0, r;
	size_t i;

	for (i = 0; i < fs->n; i++) {
		const struct expand_frag *f = &fs->v[i];

		strbuf_reset(&src);
		r = frag_read(f->path, &src);
		if (r == -ENOENT && !strcmp(f->where, EXPAND_DEFAULT_BEGIN))
			continue;
		if (r < 0) {
			expand_err(err, "%s: cannot read: %s", f->where,
				   strerror(-r));
			ret = -1;
			continue;
		}
		if (!src.len)
			continue; /* empty fragments are skipped */
		if (err->len && err->buf[err->len - 1] != '\n')
			strbuf_addch(err, '\n');
		if (tmpl_expand_fragment(ctx, f->where, src.buf, src.len, text,
					 err) < 0)
			ret = -1;
	}
	strbuf_release(&src);
	return ret;
}

/* FILTER: a code reference called with each line (newline included),
   from the metadata or (already installed) from a processTemplate()
   call. */
static int
expand_filter(struct tmpl_ctx *ctx, const struct expand_params *p,
	      const struct expand_metas *ms, struct strbuf *text,
	      struct strbuf *err)
{
	const struct expand_meta *m = expand_meta_find(ms, "FILTER");
	const char *where = m ? m->where : p->template_path;
	struct strbuf src = STRBUF_INIT, out = STRBUF_INIT;
	int ret = 0;

	if (m) {
		strbuf_addf(&src, "{ __expand_filter => %s%s%s }",
			    m->dir_form ? "do {" : "(", p->filter,
			    m->dir_form ? "}" : ")");
		ret = tmpl_ctx_more_data(ctx, src.buf, m->where, err);
	}
	if (ret < 0)
		goto out;
	tmpl_ctx_set_scalar(ctx, "__expand_text", text->buf);
	ret = tmpl_eval_string(ctx,
			       "join('', map { $__expand_filter->(\"$_\\n\") } "
			       "split(/\\n/, $__expand_text))",
			       where, &out, NULL, err);
	if (ret == 0) {
		strbuf_reset(text);
		strbuf_addbuf(text, &out);
	}
out:
	strbuf_release(&src);
	strbuf_release(&out);
	return ret;
}

/* --- output ---------------------------------------------------------- */

static int
expand_write_all(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t n = write(fd, data, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

static void
expand_fsync_dir(const char *path)
{
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');
	int fd;

	if (slash == dir)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	fd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(dir);
}

struct expand_owner {
	mode_t mode;
	uid_t uid;
	gid_t gid;
	int set_uid, set_gid;
};

/* What the output's owner and mode are to be. */
static void
expand_owner_for(const struct expand_params *p, const struct stat *old,
		 int exists, struct expand_owner *o)
{
	o->mode = p->have_perms ? p->perms
		  : exists	? (old->st_mode & 07777)
				: 0644;
	o->set_uid = p->have_uid || exists;
	o->set_gid = p->have_gid || exists;
	o->uid = p->have_uid ? p->uid : exists ? old->st_uid : 0;
	o->gid = p->have_gid ? p->gid : exists ? old->st_gid : 0;
}

static int
expand_set_owner(int fd, const char *name, const struct expand_owner *o,
		 struct strbuf *err)
{
	if ((o->set_uid || o->set_gid) &&
	    fchown(fd, o->set_uid ? o->uid : (uid_t)-1,
		   o->set_gid ? o->gid : (gid_t)-1) < 0) {
		expand_err(err, "%s: cannot change the owner: %s", name,
			   strerror(errno));
		return -1;
	}
	if (fchmod(fd, o->mode) < 0) {
		expand_err(err, "%s: cannot change the mode: %s", name,
			   strerror(errno));
		return -1;
	}
	return 0;
}

/* The content is unchanged: fix owner and mode in place if needed. */
static int
expand_fix_owner(const char *path, const char *name, const struct stat *st,
		 const struct expand_owner *o, struct strbuf *err)
{
	int fd, ret;

	if ((st->st_mode & 07777) == o->mode &&
	    (!o->set_uid || st->st_uid == o->uid) &&
	    (!o->set_gid || st->st_gid == o->gid))
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		expand_err(err, "%s: cannot open: %s", name, strerror(errno));
		return -1;
	}
	ret = expand_set_owner(fd, name, o, err);
	close(fd);
	return ret;
}

static void
expand_remove_rpm_leftovers(const char *path)
{
	static const char *const ext[] = { ".rpmsave", ".rpmnew" };
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	for (i = 0; i < 2; i++) {
		strbuf_reset(&sb);
		strbuf_addf(&sb, "%s%s", path, ext[i]);
		unlink(sb.buf);
	}
	strbuf_release(&sb);
}

/* A new output's directory is created when missing (0755). */
static int
expand_make_parent(const char *path, const char *name, struct strbuf *err)
{
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');
	struct stat st;
	int ret = 0, r;

	if (slash && slash != dir) {
		*slash = '\0';
		if (stat(dir, &st) < 0 && (r = mkdir_p(dir, 0755)) < 0) {
			expand_err(err, "%s: cannot create its directory: %s",
				   name, strerror(-r));
			ret = -1;
		}
	}
	free(dir);
	return ret;
}

static int
expand_write(const char *path, const char *name, const struct strbuf *text,
	     const struct strbuf *old, const struct stat *st, int exists,
	     const struct expand_owner *o, struct strbuf *err)
{
	struct strbuf tmp = STRBUF_INIT;
	int fd, ret = -1;

	if (exists && old->len == text->len &&
	    !memcmp(old->buf, text->buf, text->len)) {
		ret = expand_fix_owner(path, name, st, o, err);
		goto out;
	}
	if (!exists && expand_make_parent(path, name, err) < 0)
		goto out;
	strbuf_addf(&tmp, "%s.XXXXXX", path);
	fd = mkstemp(tmp.buf);
	if (fd < 0) {
		expand_err(err, "%s: cannot create a temporary file: %s", name,
			   strerror(errno));
		goto out;
	}
	if (expand_write_all(fd, text->buf, text->len) < 0 || fsync(fd) < 0) {
		expand_err(err, "%s: write failed: %s", name, strerror(errno));
		close(fd);
		goto fail;
	}
	if (expand_set_owner(fd, name, o, err) < 0) {
		close(fd);
		goto fail;
	}
	if (close(fd) < 0 || rename(tmp.buf, path) < 0) {
		expand_err(err, "%s: cannot replace: %s", name,
			   strerror(errno));
		goto fail;
	}
	expand_fsync_dir(path);
	ret = 1;
	goto out;
fail:
	unlink(tmp.buf);
out:
	strbuf_release(&tmp);
	return ret;
}

static void
expand_dry_run_owner(const char *name, const struct stat *st, int exists,
		     const struct expand_owner *o, struct strbuf *diff)
{
	if (exists && (st->st_mode & 07777) != o->mode)
		strbuf_addf(diff, "%s: mode %04o -> %04o\n", name,
			    (unsigned)(st->st_mode & 07777), (unsigned)o->mode);
	if (exists && ((o->set_uid && st->st_uid != o->uid) ||
		       (o->set_gid && st->st_gid != o->gid)))
		strbuf_addf(diff, "%s: owner %ld:%ld -> %ld:%ld\n", name,
			    (long)st->st_uid, (long)st->st_gid, (long)o->uid,
			    (long)o->gid);
}

/* Write `text` to the output file (or, in a dry run, describe it). */
static int
expand_output(const struct expand_opts *opts, const struct expand_params *p,
	      const struct strbuf *text, struct strbuf *err)
{
	struct strbuf name = STRBUF_INIT, old = STRBUF_INIT;
	struct strbuf label = STRBUF_INIT;
	struct expand_owner o;
	struct stat st;
	char *path;
	int exists, ret = -1, changed, r;

	strbuf_addf(&name, "%s/%s", p->output_prefix,
		    p->output_filename + (p->output_filename[0] == '/'));
	path = esmith_path(name.buf);
	exists = stat(path, &st) == 0;
	if (exists && S_ISDIR(st.st_mode)) {
		expand_err(err, "%s: cannot expand: it is a directory",
			   name.buf);
		goto out;
	}
	r = exists ? strbuf_read_file(&old, path, 0) : 0;
	if (r < 0) {
		expand_err(err, "%s: cannot read: %s", name.buf, strerror(-r));
		goto out;
	}
	expand_owner_for(p, &st, exists, &o);
	if (opts->dry_run) {
		size_t before = opts->diff->len;

		strbuf_addf(&label, "%s (expanded)", name.buf);
		changed = diff_unified(exists ? name.buf : "/dev/null", old.buf,
				       old.len, label.buf, text->buf, text->len,
				       opts->diff);
		expand_dry_run_owner(name.buf, &st, exists, &o, opts->diff);
		ret = changed || opts->diff->len > before;
		goto out;
	}
	ret = expand_write(path, name.buf, text, &old, &st, exists, &o, err);
	if (ret >= 0)
		expand_remove_rpm_leftovers(path);
out:
	free(path);
	strbuf_release(&name);
	strbuf_release(&old);
	strbuf_release(&label);
	return ret;
}

static int
expand_delete(const struct expand_opts *opts, const struct expand_params *p,
	      struct strbuf *err)
{
	struct strbuf name = STRBUF_INIT;
	struct stat st;
	char *path;
	int ret = 0;

	strbuf_addf(&name, "%s/%s", p->output_prefix,
		    p->output_filename + (p->output_filename[0] == '/'));
	path = esmith_path(name.buf);
	if (lstat(path, &st) < 0)
		goto out;
	if (S_ISDIR(st.st_mode)) {
		expand_err(err, "%s: cannot delete: it is a directory",
			   name.buf);
		ret = -1;
	} else if (opts->dry_run) {
		strbuf_addf(opts->diff, "%s: would be deleted\n", name.buf);
		ret = 1;
	} else if (unlink(path) < 0) {
		expand_err(err, "%s: cannot delete: %s", name.buf,
			   strerror(errno));
		ret = -1;
	} else {
		ret = 1;
	}
out:
	free(path);
	strbuf_release(&name);
	return ret;
}

/* --- the whole ------------------------------------------------------- */

static void
expand_params_init(struct expand_params *p, const struct expand_opts *opts)
{
	const char *q = opts->expand_queue;

	memset(p, 0, sizeof(*p));
	p->template_path = xstrdup(opts->target);
	p->output_filename =
		xstrdup(opts->output_filename ? opts->output_filename : "");
	p->output_prefix = xstrdup("");
	p->output_type = xstrdup("file");
	if (!q) {
		p->queue = xmalloc(2 * sizeof(char *));
		p->queue[0] = xstrdup(EXPAND_QUEUE_CUSTOM);
		p->queue[1] = xstrdup(EXPAND_QUEUE_BASE);
		p->nqueue = 2;
		return;
	}
	while (*q) {
		const char *c = strchr(q, ':');
		size_t n = c ? (size_t)(c - q) : strlen(q);

		if (n) {
			p->queue = xrealloc(p->queue,
					    (p->nqueue + 1) * sizeof(char *));
			p->queue[p->nqueue++] = xstrndup(q, n);
		}
		q += n + (c != NULL);
	}
}

static void
expand_params_release(struct expand_params *p)
{
	size_t i;

	free(p->template_path);
	free(p->output_filename);
	free(p->output_prefix);
	free(p->output_type);
	for (i = 0; i < p->nqueue; i++)
		free(p->queue[i]);
	free(p->queue);
}

static int
expand_setup(struct tmpl_ctx *ctx, struct db **dbp, struct expand_params *p,
	     const struct expand_metas *ms, const struct expand_opts *opts,
	     struct strbuf *err)
{
	const struct expand_meta *aras =
		expand_meta_find(ms, "ALL_RECORDS_AS_SCALARS");
	const char *const *md;
	struct strbuf val = STRBUF_INIT;
	int is_undef = 0, ret = 0;

	/* Every record is a scalar in the original's default as well; the
	   key is evaluated for its errors and otherwise changes nothing. */
	if (aras &&
	    expand_meta_eval(ctx, aras, "", "", &val, &is_undef, err) < 0)
		ret = -1;
	strbuf_release(&val);
	*dbp = db_open("configuration", err);
	if (!*dbp)
		return -1;
	tmpl_ctx_install_config(ctx, *dbp, 0);
	if (opts->call && expand_apply_call(ctx, p, opts->call, ms, err) < 0)
		ret = -1;
	if (expand_apply_metas(ctx, p, ms, err) < 0)
		ret = -1;
	for (md = opts->more_data; md && md[0]; md += 2)
		tmpl_ctx_set_scalar(ctx, md[0], md[1]);
	if (!*p->output_filename) {
		free(p->output_filename);
		p->output_filename = xstrdup(p->template_path);
	}
	if (strcmp(p->output_type, "file") &&
	    strcmp(p->output_type, "string")) {
		expand_err(err, "%s: OUTPUT_TYPE '%s': expected file or string",
			   opts->target, p->output_type);
		ret = -1;
	}
	return ret;
}

/*
 * processTemplate() from a fragment expands another target in the same
 * way, with the same dry run, to a bounded depth.
 */
#define EXPAND_MAX_NESTING 16

static int expand_one(const struct expand_opts *opts, struct strbuf *err);

static int expand_depth;
static const struct expand_opts *expand_outer;

static int
expand_nested(const struct tmpl_call *c, struct strbuf *out, struct strbuf *err)
{
	struct expand_opts o = { 0 };
	int was_string = 0, r;

	if (expand_depth >= EXPAND_MAX_NESTING) {
		expand_err(err, "nested more than %d deep", EXPAND_MAX_NESTING);
		return -1;
	}
	o.target = c->template_path;
	o.output_filename = c->output_filename;
	o.call = c;
	o.dry_run = expand_outer->dry_run;
	o.diff = expand_outer->diff;
	o.string_result = out;
	o.was_string = &was_string;
	r = expand_template(&o, err);
	if (r < 0)
		return -1;
	return was_string;
}

int
expand_template(const struct expand_opts *opts, struct strbuf *err)
{
	int ret;

	if (!expand_depth++) {
		expand_outer = opts;
		tmpl_set_process_hook(expand_nested);
	}
	ret = expand_one(opts, err);
	if (!--expand_depth) {
		expand_outer = NULL;
		tmpl_set_process_hook(NULL);
	}
	return ret;
}

static int
expand_one(const struct expand_opts *opts, struct strbuf *err)
{
	struct expand_params p;
	struct expand_metas ms = { 0 };
	struct expand_frags fs = { 0 };
	struct strbuf text = STRBUF_INIT;
	struct tmpl_ctx *ctx = tmpl_ctx_new();
	struct db *db = NULL;
	int ret = -1, to_string;

	expand_params_init(&p, opts);
	if (expand_meta_read(&ms, opts->target, err) < 0 ||
	    expand_setup(ctx, &db, &p, &ms, opts, err) < 0)
		goto out;
	to_string = opts->output || !strcmp(p.output_type, "string");
	if (opts->was_string)
		*opts->was_string = to_string;
	if (!to_string && p.delete) {
		ret = expand_delete(opts, &p, err);
		goto out;
	}
	if (expand_collect(&p, &fs, err) < 0)
		goto out;
	qsort(fs.v, fs.n, sizeof(*fs.v), expand_frag_cmp);
	if (expand_fragments(ctx, &fs, &text, err) < 0)
		goto out;
	if ((p.filter || p.call_filter) &&
	    expand_filter(ctx, &p, &ms, &text, err) < 0)
		goto out;
	if (to_string) {
		struct strbuf *dst =
			opts->output ? opts->output : opts->string_result;

		if (dst)
			strbuf_addbuf(dst, &text);
		ret = 1;
		goto out;
	}
	ret = expand_output(opts, &p, &text, err);
out:
	tmpl_ctx_free(ctx);
	db_free(db);
	expand_params_release(&p);
	expand_metas_release(&ms);
	expand_frags_release(&fs);
	strbuf_release(&text);
	strbuf_chomp(err);
	return ret;
}
