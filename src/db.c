/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "util.h"
#include "banned.h"

#define DB_MAX_FILE (512u << 20)

struct db_prop {
	char *name;
	char *value;
};

struct db_record {
	char *key;
	char *type;
	struct db_prop *props;
	size_t nprops, alloc;
	size_t seq;	/* line order while loading */
	char *orig_raw; /* stored value before the first change, or NULL */
	int dirty;	/* changed since open */
	int had_orig;	/* existed when opened */
};

struct db_deleted {
	char *key;
	char *orig_raw;
};

struct db {
	char *name;
	char *file;
	int exists;
	int lock_fd;
	size_t problems;
	struct db_record **recs;
	size_t nrecs, alloc;
	struct db_deleted *deleted;
	size_t ndeleted, deleted_alloc;
	mode_t mode;
	/* Strings read from the file live in `text`, unescaped in place, and
	   records read from it in `slab`: one allocation each per load. */
	char *text;
	size_t textcap;
	struct db_record *slab;
	size_t nslab;
	struct db_prop *pslab; /* property arrays of loaded records */
	size_t npslab;
};

char *
db_resolve_path(const char *name)
{
	struct strbuf sb = STRBUF_INIT;
	const char *env;

	if (strchr(name, '/'))
		return xstrdup(name);
	if (!strcmp(name, "configuration") &&
	    (env = getenv("ESMITH_CONFIG_DB")) && *env)
		return xstrdup(env);
	strbuf_addstr(&sb, "/home/e-smith/db/");
	strbuf_addstr(&sb, name);
	{
		char *p = esmith_path(sb.buf);
		strbuf_release(&sb);
		return p;
	}
}

static int
borrowed(const struct db *db, const char *p)
{
	return db->text && p >= db->text && p < db->text + db->textcap;
}

static void
str_free(const struct db *db, char *p)
{
	if (p && !borrowed(db, p))
		free(p);
}

static void
record_free(const struct db *db, struct db_record *rec)
{
	size_t i;

	if (!rec)
		return;
	for (i = 0; i < rec->nprops; i++) {
		str_free(db, rec->props[i].name);
		str_free(db, rec->props[i].value);
	}
	if (rec->alloc) /* 0: the array lives in db->pslab */
		free(rec->props);
	str_free(db, rec->key);
	str_free(db, rec->type);
	free(rec->orig_raw);
	if (!(db->slab && rec >= db->slab && rec < db->slab + db->nslab))
		free(rec);
}

static struct db *
db_new(const char *name)
{
	struct db *db = xcalloc(1, sizeof(*db));

	db->name = xstrdup(name);
	db->lock_fd = -1;
	db->mode = 0644;
	return db;
}

void
db_free(struct db *db)
{
	size_t i;

	if (!db)
		return;
	for (i = 0; i < db->nrecs; i++)
		record_free(db, db->recs[i]);
	for (i = 0; i < db->ndeleted; i++) {
		free(db->deleted[i].key);
		free(db->deleted[i].orig_raw);
	}
	free(db->deleted);
	free(db->recs);
	if (db->lock_fd >= 0)
		close(db->lock_fd);
	free(db->name);
	free(db->file);
	free(db->text);
	free(db->slab);
	free(db->pslab);
	free(db);
}

/* ---- reading ---------------------------------------------------------- */

static struct db_prop *
find_prop(const struct db_record *rec, const char *name, size_t *pos)
{
	size_t lo = 0, hi = rec->nprops;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(rec->props[mid].name, name);
		if (!c) {
			if (pos)
				*pos = mid;
			return &rec->props[mid];
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (pos)
		*pos = lo;
	return NULL;
}

/*
 * Set a property to the strings `name` and `value`, which the record takes
 * over (they are either borrowed from the loaded text or malloc'd).
 */
static void
record_take_prop(const struct db *db, struct db_record *rec, char *name,
		 char *value)
{
	size_t pos;
	struct db_prop *p = find_prop(rec, name, &pos);

	if (p) {
		str_free(db, p->value);
		str_free(db, name);
		p->value = value;
		return;
	}
	if (!rec->alloc && rec->props) {
		/* leave the load-time array for one of our own */
		struct db_prop *own =
			xmalloc((rec->nprops + 1) * sizeof(*rec->props));
		memcpy(own, rec->props, rec->nprops * sizeof(*rec->props));
		rec->props = own;
		rec->alloc = rec->nprops + 1;
	} else {
		rec->props = xgrow(rec->props, &rec->alloc, rec->nprops + 1,
				   sizeof(*rec->props));
	}
	memmove(rec->props + pos + 1, rec->props + pos,
		(rec->nprops - pos) * sizeof(*rec->props));
	rec->props[pos].name = name;
	rec->props[pos].value = value;
	rec->nprops++;
}

static void
record_put_prop(const struct db *db, struct db_record *rec, const char *name,
		const char *value)
{
	struct db_prop *p = find_prop(rec, name, NULL);

	if (p) {
		str_free(db, p->value);
		p->value = xstrdup(value);
		return;
	}
	record_take_prop(db, rec, xstrdup(name), xstrdup(value));
}

/* Insert a property of a record being loaded; its array has room. */
static void
parse_add_prop(const struct db *db, struct db_record *rec, char *name,
	       char *value)
{
	size_t pos;
	struct db_prop *p = find_prop(rec, name, &pos);

	if (p) {
		p->value = value;
		return;
	}
	memmove(rec->props + pos + 1, rec->props + pos,
		(rec->nprops - pos) * sizeof(*rec->props));
	rec->props[pos].name = name;
	rec->props[pos].value = value;
	rec->nprops++;
}

static void
warn_line(struct db *db, size_t lineno, const char *what)
{
	db->problems++;
	esmith_warn("%s:%zu: %s; line skipped", db->file ? db->file : db->name,
		    lineno, what);
}

struct fields {
	char **start;
	size_t n, alloc;
};

/*
 * Split the value part of a line into fields, unescaping in place. Scans
 * left to right: `\\` is a backslash, `\|` a bar, `\n` a newline, any
 * other backslash stays as it is; an unescaped `|` ends a field.
 */
static void
split_fields(char *s, char *end, struct fields *f)
{
	char *dst = s;

	f->n = 0;
	f->start = xgrow(f->start, &f->alloc, 1, sizeof(*f->start));
	f->start[f->n++] = dst;
	while (s < end) {
		char *q = s;
		char c;

		/* copy the run up to the next special byte in one go */
		q += strcspn(q, "\\|"); /* *end is NUL */
		if (q > s) {
			if (dst != s)
				memmove(dst, s, (size_t)(q - s));
			dst += q - s;
			s = q;
			if (s == end)
				break;
		}
		c = *s++;
		if (c == '\\' && s < end) {
			char d = *s;
			if (d == '\\' || d == '|') {
				*dst++ = d;
				s++;
				continue;
			}
			if (d == 'n') {
				*dst++ = '\n';
				s++;
				continue;
			}
			*dst++ = c;
			continue;
		}
		if (c == '|') {
			*dst++ = '\0';
			f->start = xgrow(f->start, &f->alloc, f->n + 1,
					 sizeof(*f->start));
			f->start[f->n++] = dst;
			continue;
		}
		*dst++ = c;
	}
	*dst = '\0';
}

static int
is_blank_or_comment(const char *line, size_t len)
{
	size_t i;

	for (i = 0;
	     i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r' ||
			 line[i] == '\f' || line[i] == '\v');
	     i++)
		;
	return i == len || line[i] == '#';
}

/* Parse one line of db->text in place; line[len] may be overwritten. */
static void
parse_line(struct db *db, char *line, size_t len, size_t lineno,
	   struct fields *f)
{
	struct db_record *rec;
	char *eq;
	size_t i, klen;

	if (memchr(line, '\0', len)) {
		warn_line(db, lineno, "NUL byte in line");
		return;
	}
	line[len] = '\0'; /* the newline, or the final NUL of the text */
	if (is_blank_or_comment(line, len))
		return;
	eq = memchr(line, '=', len);
	klen = eq ? (size_t)(eq - line) : len;
	if (klen == 0) {
		warn_line(db, lineno, "empty key");
		return;
	}
	rec = &db->slab[db->nslab++];
	memset(rec, 0, sizeof(*rec));
	rec->key = line;
	rec->had_orig = 1;
	if (!eq) {
		line[len] = '\0';
		rec->type = line + len;
		goto add;
	}
	*eq = '\0';
	split_fields(eq + 1, line + len, f);
	rec->type = f->start[0];
	rec->props = db->pslab + db->npslab;
	db->npslab += f->n / 2;
	for (i = 1; i < f->n; i += 2) {
		char *name = f->start[i];
		char *value =
			i + 1 < f->n ? f->start[i + 1] : name + strlen(name);

		if (!*name && !*value && i + 1 >= f->n)
			break; /* a trailing '|' */
		if (!*name) {
			db->problems++;
			esmith_warn("%s:%zu: record '%s': empty property name "
				    "ignored",
				    db->file ? db->file : db->name, lineno,
				    rec->key);
			continue;
		}
		if (!strcmp(name, "type")) {
			db->problems++;
			esmith_warn("%s:%zu: record '%s': property 'type' "
				    "ignored (it is the record type)",
				    db->file ? db->file : db->name, lineno,
				    rec->key);
			continue;
		}
		parse_add_prop(db, rec, name, value);
	}
add:
	rec->seq = db->nrecs;
	db->recs =
		xgrow(db->recs, &db->alloc, db->nrecs + 1, sizeof(*db->recs));
	db->recs[db->nrecs++] = rec;
}

static int
cmp_rec_load(const void *a, const void *b)
{
	const struct db_record *x = *(struct db_record *const *)a;
	const struct db_record *y = *(struct db_record *const *)b;
	int c = strcmp(x->key, y->key);

	if (c)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int
strictly_sorted(const struct db *db)
{
	size_t i;

	for (i = 1; i < db->nrecs; i++)
		if (strcmp(db->recs[i - 1]->key, db->recs[i]->key) >= 0)
			return 0;
	return 1;
}

/* Parse `len` bytes in `text`, a malloc'd buffer of len + 1 bytes that the
   database takes over. */
static void
parse_text(struct db *db, char *text, size_t len)
{
	struct fields f = { NULL, 0, 0 };
	size_t start = 0, lineno = 0, lines = 1, i, out;
	const char *p;

	text[len] = '\0';
	db->text = text;
	db->textcap = len + 1;
	for (p = text; (p = memchr(p, '\n', (size_t)(text + len - p))); p++)
		lines++;
	db->slab = xcalloc(lines, sizeof(*db->slab));
	/* a line has at most (its bytes + 1) / 2 properties; pages that
	   are not used are never touched */
	db->pslab = xmalloc((len / 2 + lines) * sizeof(*db->pslab));
	db->recs = xgrow(db->recs, &db->alloc, lines, sizeof(*db->recs));
	while (start < len) {
		char *nl = memchr(text + start, '\n', len - start);
		size_t end = nl ? (size_t)(nl - text) : len;
		lineno++;
		parse_line(db, text + start, end - start, lineno, &f);
		start = end + 1;
	}
	free(f.start);
	if (db->nrecs < 2 || strictly_sorted(db))
		return;
	qsort(db->recs, db->nrecs, sizeof(*db->recs), cmp_rec_load);
	/* duplicates: the last line wins */
	for (i = 1, out = 0; i < db->nrecs; i++) {
		if (!strcmp(db->recs[i]->key, db->recs[out]->key)) {
			record_free(db, db->recs[out]);
			db->recs[out] = db->recs[i];
		} else {
			db->recs[++out] = db->recs[i];
		}
	}
	db->nrecs = out + 1;
}

struct db *
db_parse(const char *name, const char *text, size_t len)
{
	struct db *db = db_new(name);

	parse_text(db, xstrndup(text, len), len);
	return db;
}

static int
load_file(struct db *db, struct strbuf *err)
{
	struct strbuf sb = STRBUF_INIT;
	struct stat st;
	int ret;

	ret = strbuf_read_file(&sb, db->file, DB_MAX_FILE);
	if (ret == -ENOENT) {
		db->exists = 0;
		return 0;
	}
	if (ret < 0) {
		strbuf_addf(err, "%s: cannot read database '%s': %s", db->file,
			    db->name,
			    ret == -EFBIG ? "file too large" : strerror(-ret));
		return -1;
	}
	if (stat(db->file, &st) == 0)
		db->mode = st.st_mode & 07777;
	db->exists = 1;
	{
		size_t len;
		char *text = strbuf_detach(&sb, &len);
		parse_text(db, text, len);
	}
	return 0;
}

/*
 * Files read by db_open() are kept for the life of the process, parsed:
 * opening the same file again copies the parsed records instead of
 * reading and parsing it. A kept copy is used only while the file has the
 * same device, inode, size, mode, modification and change times, and
 * only when it was modified long enough before it was read (see
 * stat_settled()). Nor is a file whose reading warned kept (the warnings
 * come with each read).
 */
#define DB_CACHE_MAX 16
#define DB_CACHE_MAX_BYTES (64u << 20)

struct db_cached {
	char *file;
	struct stat st;
	struct db *db; /* pristine, as read */
};

static struct db_cached db_cache[DB_CACHE_MAX];
static size_t db_cache_n, db_cache_bytes, db_cache_hits;

/* Is `db` as parse_text() left it: every string in its text, every
   record in its slab, every property array in its pslab? */
static int
pristine(const struct db *db)
{
	if (!db->text || db->ndeleted)
		return 0;
	for (size_t i = 0; i < db->nrecs; i++) {
		const struct db_record *r = db->recs[i];
		if (r < db->slab || r >= db->slab + db->nslab || r->alloc ||
		    r->dirty || r->orig_raw || !borrowed(db, r->key) ||
		    !borrowed(db, r->type))
			return 0;
		if (r->nprops &&
		    (r->props < db->pslab ||
		     r->props + r->nprops > db->pslab + db->npslab))
			return 0;
		for (size_t j = 0; j < r->nprops; j++)
			if (!borrowed(db, r->props[j].name) ||
			    !borrowed(db, r->props[j].value))
				return 0;
	}
	return 1;
}

/* Copy the records of pristine `src` into the empty `db`. */
static void
copy_loaded(struct db *db, const struct db *src)
{
#define RELOC(p) (db->text + ((p)-src->text))
	db->exists = src->exists;
	db->mode = src->mode;
	db->problems = src->problems;
	db->textcap = src->textcap;
	db->text = xmalloc(src->textcap);
	memcpy(db->text, src->text, src->textcap);
	db->nslab = src->nslab;
	db->slab = xmalloc((src->nslab + 1) * sizeof(*db->slab));
	memcpy(db->slab, src->slab, src->nslab * sizeof(*db->slab));
	db->npslab = src->npslab;
	db->pslab = xmalloc((src->npslab + 1) * sizeof(*db->pslab));
	memcpy(db->pslab, src->pslab, src->npslab * sizeof(*db->pslab));
	db->nrecs = db->alloc = src->nrecs;
	db->recs = xmalloc((src->nrecs + 1) * sizeof(*db->recs));
	for (size_t i = 0; i < src->nrecs; i++) {
		const struct db_record *s = src->recs[i];
		struct db_record *r = db->slab + (s - src->slab);
		r->key = RELOC(s->key);
		r->type = RELOC(s->type);
		r->props =
			s->props ? db->pslab + (s->props - src->pslab) : NULL;
		for (size_t j = 0; j < s->nprops; j++) {
			r->props[j].name = RELOC(s->props[j].name);
			r->props[j].value = RELOC(s->props[j].value);
		}
		db->recs[i] = r;
	}
#undef RELOC
}

static struct db_cached *
db_cache_find(const char *file)
{
	for (size_t i = 0; i < db_cache_n; i++)
		if (!strcmp(db_cache[i].file, file))
			return &db_cache[i];
	return NULL;
}

static void
db_cache_put(const struct db *db, const struct stat *st)
{
	struct db_cached *c = db_cache_find(db->file);
	struct db *copy;

	if (!pristine(db))
		return;
	if (c) {
		db_cache_bytes -= c->db->textcap;
		db_free(c->db);
	} else {
		if (db_cache_n == DB_CACHE_MAX ||
		    db_cache_bytes + db->textcap > DB_CACHE_MAX_BYTES)
			return;
		c = &db_cache[db_cache_n++];
		c->file = xstrdup(db->file);
	}
	copy = db_new(db->name);
	copy_loaded(copy, db);
	c->db = copy;
	c->st = *st;
	db_cache_bytes += copy->textcap;
}

void
db_cache_clear(void)
{
	for (size_t i = 0; i < db_cache_n; i++) {
		free(db_cache[i].file);
		db_free(db_cache[i].db);
	}
	db_cache_n = 0;
	db_cache_bytes = 0;
	db_cache_hits = 0;
}

size_t
db_cache_hit_count(void)
{
	return db_cache_hits;
}

struct db *
db_open(const char *name, struct strbuf *err)
{
	struct db *db = db_new(name);
	struct stat before, after;
	int known;

	db->file = db_resolve_path(name);
	known = stat(db->file, &before) == 0 && S_ISREG(before.st_mode);
	if (known) {
		struct db_cached *c = db_cache_find(db->file);
		if (c && stat_same_file(&c->st, &before)) {
			copy_loaded(db, c->db);
			db_cache_hits++;
			return db;
		}
	}
	if (load_file(db, err) < 0) {
		db_free(db);
		return NULL;
	}
	if (known && db->exists && !db->problems &&
	    stat(db->file, &after) == 0 && stat_same_file(&before, &after) &&
	    stat_settled(&after))
		db_cache_put(db, &after);
	return db;
}

struct db *
db_open_locked(const char *name, struct strbuf *err)
{
	struct db *db = db_new(name);
	struct strbuf lock = STRBUF_INIT;

	db->file = db_resolve_path(name);
	strbuf_addf(&lock, "%s.lock", db->file);
	db->lock_fd = open(lock.buf, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (db->lock_fd < 0) {
		strbuf_addf(err,
			    "%s: cannot open lock file for database "
			    "'%s': %s",
			    lock.buf, name, strerror(errno));
		goto fail;
	}
	while (flock(db->lock_fd, LOCK_EX) < 0) {
		if (errno == EINTR)
			continue;
		strbuf_addf(err, "%s: cannot lock database '%s': %s", lock.buf,
			    name, strerror(errno));
		goto fail;
	}
	if (load_file(db, err) < 0)
		goto fail;
	strbuf_release(&lock);
	return db;
fail:
	strbuf_release(&lock);
	db_free(db);
	return NULL;
}

/* ---- accessors -------------------------------------------------------- */

int
db_exists(const struct db *db)
{
	return db->exists;
}

const char *
db_name(const struct db *db)
{
	return db->name;
}

const char *
db_file(const struct db *db)
{
	return db->file ? db->file : db->name;
}

size_t
db_read_problems(const struct db *db)
{
	return db->problems;
}

size_t
db_count(const struct db *db)
{
	return db->nrecs;
}

struct db_record *
db_record_at(const struct db *db, size_t i)
{
	return i < db->nrecs ? db->recs[i] : NULL;
}

static struct db_record *
find_rec(const struct db *db, const char *key, size_t *pos)
{
	size_t lo = 0, hi = db->nrecs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(db->recs[mid]->key, key);
		if (!c) {
			if (pos)
				*pos = mid;
			return db->recs[mid];
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (pos)
		*pos = lo;
	return NULL;
}

struct db_record *
db_get(const struct db *db, const char *key)
{
	return find_rec(db, key, NULL);
}

const char *
db_record_key(const struct db_record *rec)
{
	return rec->key;
}

const char *
db_record_type(const struct db_record *rec)
{
	return rec->type;
}

const char *
db_record_prop(const struct db_record *rec, const char *prop)
{
	struct db_prop *p;

	if (!strcmp(prop, "type"))
		return rec->type;
	p = find_prop(rec, prop, NULL);
	return p ? p->value : NULL;
}

size_t
db_record_nprops(const struct db_record *rec)
{
	return rec->nprops;
}

const char *
db_record_prop_name(const struct db_record *rec, size_t i)
{
	return i < rec->nprops ? rec->props[i].name : NULL;
}

const char *
db_record_prop_value(const struct db_record *rec, size_t i)
{
	return i < rec->nprops ? rec->props[i].value : NULL;
}

static void
add_escaped(struct strbuf *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '\\':
			strbuf_addstr(out, "\\\\");
			break;
		case '|':
			strbuf_addstr(out, "\\|");
			break;
		case '\n':
			strbuf_addstr(out, "\\n");
			break;
		default:
			strbuf_addch(out, *s);
		}
	}
}

void
db_record_raw(const struct db_record *rec, struct strbuf *out)
{
	size_t i;

	add_escaped(out, rec->type);
	for (i = 0; i < rec->nprops; i++) {
		strbuf_addch(out, '|');
		add_escaped(out, rec->props[i].name);
		strbuf_addch(out, '|');
		add_escaped(out, rec->props[i].value);
	}
}

/* ---- writing ---------------------------------------------------------- */

void
db_serialize(const struct db *db, struct strbuf *out, int header)
{
	size_t i;

	if (header) {
		char when[64];
		time_t now = time(NULL);
		struct tm tm;

		localtime_r(&now, &tm);
		strftime(when, sizeof(when), "%a %b %e %H:%M:%S %Y", &tm);
		strbuf_addstr(out,
			      "# DO NOT MODIFY THIS FILE.\n"
			      "# This file is automatically maintained by the "
			      "Mitel Networks SME Server\n"
			      "# configuration software.  Manually editing "
			      "this file may put your \n"
			      "# system in an unknown state.\n"
			      "#\n");
		strbuf_addf(out, "# updated: %s\n", when);
	}
	for (i = 0; i < db->nrecs; i++) {
		strbuf_addstr(out, db->recs[i]->key);
		strbuf_addch(out, '=');
		db_record_raw(db->recs[i], out);
		strbuf_addch(out, '\n');
	}
}

int
db_check_key(const char *key, struct strbuf *err)
{
	const char *why = NULL;

	if (!*key)
		why = "it is empty";
	else if (strchr(key, '='))
		why = "it contains '='";
	else if (strchr(key, '\n') || strchr(key, '\r'))
		why = "it contains a line break";
	else if (key[0] == '#')
		why = "it starts with '#'";
	else if (key[0] == ' ' || key[0] == '\t')
		why = "it starts with white space";
	if (!why)
		return 0;
	if (err)
		strbuf_addf(err, "invalid key '%s': %s", key, why);
	return -1;
}

int
db_check_prop(const char *prop, struct strbuf *err)
{
	if (*prop)
		return 0;
	if (err)
		strbuf_addstr(err, "invalid property name: it is empty");
	return -1;
}

static void
mark_dirty(struct db_record *rec)
{
	struct strbuf sb = STRBUF_INIT;

	if (rec->dirty)
		return;
	rec->dirty = 1;
	if (rec->had_orig) {
		db_record_raw(rec, &sb);
		rec->orig_raw = strbuf_detach(&sb, NULL);
	}
}

static struct db_deleted *
find_deleted(struct db *db, const char *key)
{
	size_t i;

	for (i = 0; i < db->ndeleted; i++)
		if (!strcmp(db->deleted[i].key, key))
			return &db->deleted[i];
	return NULL;
}

struct db_record *
db_set(struct db *db, const char *key, const char *type, struct strbuf *err)
{
	struct db_record *rec;
	size_t pos, i;

	if (db_check_key(key, err) < 0)
		return NULL;
	rec = find_rec(db, key, &pos);
	if (rec) {
		mark_dirty(rec);
		for (i = 0; i < rec->nprops; i++) {
			str_free(db, rec->props[i].name);
			str_free(db, rec->props[i].value);
		}
		rec->nprops = 0;
		str_free(db, rec->type);
		rec->type = xstrdup(type);
		return rec;
	}
	rec = xcalloc(1, sizeof(*rec));
	rec->key = xstrdup(key);
	rec->type = xstrdup(type);
	rec->dirty = 1;
	{
		/* re-created after a delete: keep its original for the log */
		struct db_deleted *d = find_deleted(db, key);
		if (d) {
			rec->had_orig = 1;
			rec->orig_raw = d->orig_raw;
			d->orig_raw = NULL;
			free(d->key);
			*d = db->deleted[--db->ndeleted];
		}
	}
	db->recs =
		xgrow(db->recs, &db->alloc, db->nrecs + 1, sizeof(*db->recs));
	memmove(db->recs + pos + 1, db->recs + pos,
		(db->nrecs - pos) * sizeof(*db->recs));
	db->recs[pos] = rec;
	db->nrecs++;
	return rec;
}

int
db_set_type(struct db *db, struct db_record *rec, const char *type)
{
	if (!strcmp(rec->type, type))
		return 0;
	mark_dirty(rec);
	str_free(db, rec->type);
	rec->type = xstrdup(type);
	return 0;
}

int
db_set_prop(struct db *db, struct db_record *rec, const char *prop,
	    const char *value, struct strbuf *err)
{
	const char *old;

	if (db_check_prop(prop, err) < 0)
		return -1;
	if (!strcmp(prop, "type"))
		return db_set_type(db, rec, value);
	old = db_record_prop(rec, prop);
	if (old && !strcmp(old, value))
		return 0;
	mark_dirty(rec);
	record_put_prop(db, rec, prop, value);
	return 0;
}

int
db_delete_prop(struct db *db, struct db_record *rec, const char *prop)
{
	size_t pos;
	struct db_prop *p;

	p = find_prop(rec, prop, &pos);
	if (!p)
		return 0;
	mark_dirty(rec);
	str_free(db, p->name);
	str_free(db, p->value);
	memmove(rec->props + pos, rec->props + pos + 1,
		(rec->nprops - pos - 1) * sizeof(*rec->props));
	rec->nprops--;
	return 1;
}

int
db_delete(struct db *db, const char *key)
{
	size_t pos;
	struct db_record *rec = find_rec(db, key, &pos);

	if (!rec)
		return 0;
	if (rec->had_orig) {
		struct db_deleted d;
		struct strbuf sb = STRBUF_INIT;

		d.key = xstrdup(key);
		if (rec->dirty) {
			d.orig_raw = rec->orig_raw;
			rec->orig_raw = NULL;
		} else {
			db_record_raw(rec, &sb);
			d.orig_raw = strbuf_detach(&sb, NULL);
		}
		db->deleted = xgrow(db->deleted, &db->deleted_alloc,
				    db->ndeleted + 1, sizeof(*db->deleted));
		db->deleted[db->ndeleted++] = d;
	}
	record_free(db, rec);
	memmove(db->recs + pos, db->recs + pos + 1,
		(db->nrecs - pos - 1) * sizeof(*db->recs));
	db->nrecs--;
	return 1;
}

static void
log_changes(struct db *db)
{
	struct strbuf now = STRBUF_INIT;
	const char *base;
	size_t i;

	if (access("/dev/log", F_OK) < 0)
		return;
	base = strrchr(db->name, '/');
	base = base ? base + 1 : db->name;
	openlog(esmith_progname(), LOG_PID, LOG_LOCAL1);
	for (i = 0; i < db->ndeleted; i++)
		syslog(LOG_INFO, "%s: OLD %s=%s", base, db->deleted[i].key,
		       db->deleted[i].orig_raw ? db->deleted[i].orig_raw : "");
	for (i = 0; i < db->nrecs; i++) {
		struct db_record *rec = db->recs[i];
		if (!rec->dirty)
			continue;
		strbuf_reset(&now);
		db_record_raw(rec, &now);
		if (rec->orig_raw && !strcmp(rec->orig_raw, now.buf))
			continue;
		if (rec->orig_raw)
			syslog(LOG_INFO, "%s: OLD %s=%s", base, rec->key,
			       rec->orig_raw);
		syslog(LOG_INFO, "%s: NEW %s=%s", base, rec->key, now.buf);
	}
	closelog();
	strbuf_release(&now);
}

static int
has_changes(const struct db *db)
{
	size_t i;

	if (db->ndeleted)
		return 1;
	for (i = 0; i < db->nrecs; i++)
		if (db->recs[i]->dirty)
			return 1;
	return 0;
}

static void
unlock(struct db *db)
{
	if (db->lock_fd >= 0) {
		close(db->lock_fd);
		db->lock_fd = -1;
	}
}

static void
clear_dirty(struct db *db)
{
	size_t i;

	for (i = 0; i < db->nrecs; i++) {
		struct db_record *rec = db->recs[i];
		rec->dirty = 0;
		rec->had_orig = 1;
		free(rec->orig_raw);
		rec->orig_raw = NULL;
	}
	for (i = 0; i < db->ndeleted; i++) {
		free(db->deleted[i].key);
		free(db->deleted[i].orig_raw);
	}
	db->ndeleted = 0;
}

int
db_commit(struct db *db, struct strbuf *err)
{
	struct strbuf text = STRBUF_INIT;
	int ret = 0;

	if (db->lock_fd < 0) {
		strbuf_addf(err, "%s: database '%s' was not opened for writing",
			    db_file(db), db->name);
		return -1;
	}
	if (!has_changes(db))
		goto out;
	db_serialize(db, &text, 1);
	if (write_file_atomic(db->file, text.buf, text.len, db->mode, err) <
	    0) {
		ret = -1;
		goto out;
	}
	db->exists = 1;
	log_changes(db);
	clear_dirty(db);
out:
	strbuf_release(&text);
	unlock(db);
	return ret;
}

int
db_update_prop(const char *name, const char *key, const char *prop,
	       const char *value, struct strbuf *err)
{
	struct db *db = db_open_locked(name, err);
	struct db_record *rec;
	int ret = -1;

	if (!db)
		return -1;
	rec = db_get(db, key);
	if (rec && db_set_prop(db, rec, prop, value, err) < 0)
		goto out;
	ret = db_commit(db, err);
out:
	db_free(db);
	return ret;
}
