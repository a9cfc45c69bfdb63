/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * initialize-default-databases [EVENT [args...]]: for every database with
 * a tree /etc/e-smith/db/<db>/:
 *
 *   1. migrate/FRAGMENT  fragments run in name order through the template
 *                       language for their side effects ($DB is the
 *                       database being initialised, its changes written
 *                       through as in any fragment); output discarded
 *   2. defaults/KEY/PROP  a file holding one value, set only where the
 *                       property is missing; `type` gives the type of a
 *                       record created here
 *   3. force/KEY/PROP   always set
 *
 * Defaults and force are one locked transaction per database: when a
 * file of either is bad, none of them is written.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "db.h"
#include "tmpl.h"
#include "util.h"
#include "banned.h"

#define DB_TREE "/etc/e-smith/db"
#define VALUE_MAX (1u << 20)

struct names {
	char **v;
	size_t n, alloc;
};

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
names_release(struct names *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/*
 * The entries of `dir` (dirs: 1 only directories, 0 only other files),
 * sorted. A missing directory gives none.
 */
static int
list_dir(const char *dir, int dirs, struct names *out, struct strbuf *err)
{
	struct strbuf path = STRBUF_INIT;
	struct dirent *de;
	struct stat st;
	DIR *d = opendir(dir);

	memset(out, 0, sizeof(*out));
	if (!d) {
		if (errno == ENOENT)
			return 0;
		strbuf_addf(err, "%s: %s", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		strbuf_reset(&path);
		strbuf_addf(&path, "%s/%s", dir, de->d_name);
		if (stat(path.buf, &st) < 0 ||
		    (S_ISDIR(st.st_mode) ? 1 : 0) != dirs)
			continue;
		out->v =
			xgrow(out->v, &out->alloc, out->n + 1, sizeof(*out->v));
		out->v[out->n++] = xstrdup(de->d_name);
	}
	closedir(d);
	strbuf_release(&path);
	if (out->n)
		qsort(out->v, out->n, sizeof(*out->v), cmp_str);
	return 0;
}

static int
read_value(const char *path, struct strbuf *val, struct strbuf *err)
{
	int e;

	strbuf_reset(val);
	e = strbuf_read_file(val, path, VALUE_MAX);
	if (e < 0) {
		strbuf_addf(err, "%s: cannot read: %s", path, strerror(-e));
		return -1;
	}
	strbuf_chomp(val);
	return 0;
}

/* The record `key`, created with the type from `keydir`/type if missing. */
static struct db_record *
get_or_create(struct db *db, const char *key, const char *keydir,
	      struct strbuf *err)
{
	struct db_record *rec = db_get(db, key);
	struct strbuf path = STRBUF_INIT, type = STRBUF_INIT;
	struct stat st;

	if (rec)
		return rec;
	strbuf_addf(&path, "%s/type", keydir);
	if (stat(path.buf, &st) == 0 && read_value(path.buf, &type, err) < 0)
		goto out;
	rec = db_set(db, key, type.buf, err);
	if (rec && !type.len)
		esmith_warn("%s: %s: no 'type' file, record created without "
			    "a type",
			    db_name(db), key);
out:
	strbuf_release(&path);
	strbuf_release(&type);
	return rec;
}

/* Apply one KEY directory of defaults/ (force == 0) or force/. */
static int
apply_key(struct db *db, const char *keydir, const char *key, int force,
	  struct strbuf *err)
{
	struct names props;
	struct strbuf path = STRBUF_INIT, val = STRBUF_INIT;
	struct db_record *rec;
	size_t i;
	int ret = -1;

	if (list_dir(keydir, 0, &props, err) < 0)
		return -1;
	rec = get_or_create(db, key, keydir, err);
	if (!rec) {
		strbuf_addf(err, " (%s)", keydir);
		goto out;
	}
	for (i = 0; i < props.n; i++) {
		const char *p = props.v[i];

		if (!force && (!strcmp(p, "type") || db_record_prop(rec, p)))
			continue;
		strbuf_reset(&path);
		strbuf_addf(&path, "%s/%s", keydir, p);
		if (read_value(path.buf, &val, err) < 0)
			goto out;
		if (db_set_prop(db, rec, p, val.buf, err) < 0) {
			strbuf_addf(err, " (%s)", path.buf);
			goto out;
		}
	}
	ret = 0;
out:
	names_release(&props);
	strbuf_release(&path);
	strbuf_release(&val);
	return ret;
}

static int
apply_tree(struct db *db, const char *dir, int force, struct strbuf *err)
{
	struct names keys;
	struct strbuf path = STRBUF_INIT;
	size_t i;
	int ret = 0;

	if (list_dir(dir, 1, &keys, err) < 0)
		return -1;
	for (i = 0; i < keys.n && !ret; i++) {
		strbuf_reset(&path);
		strbuf_addf(&path, "%s/%s", dir, keys.v[i]);
		ret = apply_key(db, path.buf, keys.v[i], force, err);
	}
	names_release(&keys);
	strbuf_release(&path);
	return ret;
}

static int
run_migrate(struct db *db, const char *dir, struct strbuf *err)
{
	struct names frags;
	struct strbuf path = STRBUF_INIT, text = STRBUF_INIT;
	struct strbuf out = STRBUF_INIT;
	struct tmpl_ctx *ctx = NULL;
	struct db *conf = NULL;
	size_t i;
	int ret = -1, e;

	if (list_dir(dir, 0, &frags, err) < 0)
		return -1;
	if (!frags.n) {
		ret = 0;
		goto out;
	}
	ctx = tmpl_ctx_new();
	if (strcmp(db_name(db), "configuration")) {
		conf = db_open("configuration", err);
		if (!conf)
			goto out;
		tmpl_ctx_install_config(ctx, conf, 0);
	}
	/* Last, so that $DB is the database being initialised. */
	tmpl_ctx_install_config(ctx, db, 0);
	for (i = 0; i < frags.n; i++) {
		strbuf_reset(&path);
		strbuf_reset(&text);
		strbuf_addf(&path, "%s/%s", dir, frags.v[i]);
		e = strbuf_read_file(&text, path.buf, 16u << 20);
		if (e < 0) {
			strbuf_addf(err, "%s: cannot read: %s", path.buf,
				    strerror(-e));
			goto out;
		}
		strbuf_reset(&out);
		if (tmpl_expand_fragment(ctx, path.buf, text.buf, text.len,
					 &out, err) < 0)
			goto out;
	}
	ret = 0;
out:
	tmpl_ctx_free(ctx);
	db_free(conf);
	names_release(&frags);
	strbuf_release(&path);
	strbuf_release(&text);
	strbuf_release(&out);
	return ret;
}

/*
 * Migrate fragments change the database through $DB, which writes each
 * change through under the database's own lock: they run on an unlocked
 * copy first. Defaults and force follow in one locked transaction.
 */
static int
init_db(const char *tree, const char *name, struct strbuf *err)
{
	struct strbuf dir = STRBUF_INIT;
	struct db *db;
	size_t base;
	int ret = -1;

	strbuf_addf(&dir, "%s/%s/", tree, name);
	base = dir.len;
	strbuf_addstr(&dir, "migrate");
	db = db_open(name, err);
	if (!db || run_migrate(db, dir.buf, err) < 0)
		goto out;
	db_free(db);
	db = db_open_locked(name, err);
	if (!db)
		goto out;
	strbuf_setlen(&dir, base);
	strbuf_addstr(&dir, "defaults");
	if (apply_tree(db, dir.buf, 0, err) < 0)
		goto out;
	strbuf_setlen(&dir, base);
	strbuf_addstr(&dir, "force");
	if (apply_tree(db, dir.buf, 1, err) < 0)
		goto out;
	ret = db_commit(db, err);
out:
	db_free(db);
	strbuf_release(&dir);
	return ret;
}

int
main(int argc, char **argv)
{
	struct strbuf err = STRBUF_INIT;
	struct names dbs = { 0 };
	char *tree;
	size_t i;
	int failed = 0;

	esmith_set_progname("initialize-default-databases");
	if (esmith_parse_root_option(&argc, &argv, &err) < 0) {
		fprintf(stderr, "initialize-default-databases: %s\n", err.buf);
		return 2;
	}
	tree = esmith_path(DB_TREE);
	if (list_dir(tree, 1, &dbs, &err) < 0) {
		fprintf(stderr, "initialize-default-databases: %s\n", err.buf);
		failed = 1;
	}
	for (i = 0; i < dbs.n; i++) {
		strbuf_reset(&err);
		if (init_db(tree, dbs.v[i], &err) < 0) {
			strbuf_chomp(&err);
			fprintf(stderr,
				"initialize-default-databases: %s: %s\n",
				dbs.v[i], err.buf);
			failed = 1;
		}
	}
	names_release(&dbs);
	free(tree);
	strbuf_release(&err);
	return failed;
}
