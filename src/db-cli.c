/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * db: read and change e-smith databases from the command line, with the
 * commands, outputs and exit codes of the original.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "util.h"
#include "banned.h"

#define EXIT_USAGE 255

static const char usage_text[] =
	"usage: db [--root DIR] dbfile command [args]\n"
	"\n"
	"commands:\n"
	"  keys                              list the keys\n"
	"  print [key]                       print key=value\n"
	"  show [key]                        print key=type and its properties\n"
	"  get key                           print the raw value\n"
	"  set key type [prop val] ...       replace a record\n"
	"  setdefault key type [prop val] ...  create a record if absent\n"
	"  delete key                        remove a record\n"
	"  printtype [key]                   print key=type\n"
	"  gettype key                       print the type\n"
	"  settype key type                  change the type\n"
	"  printprop key [prop] ...          print prop=value lines\n"
	"  getprop key prop                  print one property\n"
	"  setprop key prop val [prop val] ...  set properties\n"
	"  delprop key prop [prop] ...       delete properties\n"
	"\n"
	"dbfile is a name under /home/e-smith/db (or $DBPATH), or a path.\n"
	"ESMITH_ROOT or --root DIR runs against a sandbox root.\n";

static int
usage(const char *why)
{
	if (why)
		fprintf(stderr, "db: %s\n", why);
	fputs(usage_text, stderr);
	return EXIT_USAGE;
}

static char *
db_arg_name(const char *arg)
{
	const char *dbpath = getenv("DBPATH");
	struct strbuf sb = STRBUF_INIT;

	if (strchr(arg, '/') || !dbpath || !*dbpath)
		return xstrdup(arg);
	strbuf_addf(&sb, "%s/%s", dbpath, arg);
	return strbuf_detach(&sb, NULL);
}

static void
print_raw(const struct db_record *rec)
{
	struct strbuf sb = STRBUF_INIT;

	db_record_raw(rec, &sb);
	printf("%s=%s\n", db_record_key(rec), sb.buf);
	strbuf_release(&sb);
}

static void
show_record(const struct db_record *rec)
{
	size_t i;

	printf("%s=%s\n", db_record_key(rec), db_record_type(rec));
	for (i = 0; i < db_record_nprops(rec); i++)
		printf("    %s=%s\n", db_record_prop_name(rec, i),
		       db_record_prop_value(rec, i));
}

enum cmd_kind { CMD_READ, CMD_WRITE };

struct cmd {
	const char *name;
	enum cmd_kind kind;
	int min_args, max_args; /* max -1: no limit */
	int (*fn)(struct db *db, int argc, char **argv, struct strbuf *err);
};

static int
cmd_keys(struct db *db, int argc, char **argv, struct strbuf *err)
{
	size_t i;

	for (i = 0; i < db_count(db); i++)
		printf("%s\n", db_record_key(db_record_at(db, i)));
	return db_count(db) ? 0 : 1;
}

typedef void (*rec_printer)(const struct db_record *rec);

static int
print_one_or_all(struct db *db, int argc, char **argv, rec_printer fn)
{
	size_t i;

	if (argc) {
		struct db_record *rec = db_get(db, argv[0]);
		if (!rec)
			return 1;
		fn(rec);
		return 0;
	}
	for (i = 0; i < db_count(db); i++)
		fn(db_record_at(db, i));
	return 0;
}

static int
cmd_print(struct db *db, int argc, char **argv, struct strbuf *err)
{
	return print_one_or_all(db, argc, argv, print_raw);
}

static int
cmd_show(struct db *db, int argc, char **argv, struct strbuf *err)
{
	return print_one_or_all(db, argc, argv, show_record);
}

static void
print_type(const struct db_record *rec)
{
	printf("%s=%s\n", db_record_key(rec), db_record_type(rec));
}

static int
cmd_printtype(struct db *db, int argc, char **argv, struct strbuf *err)
{
	return print_one_or_all(db, argc, argv, print_type);
}

static int
cmd_get(struct db *db, int argc, char **argv, struct strbuf *err)
{
	struct db_record *rec = db_get(db, argv[0]);
	struct strbuf sb = STRBUF_INIT;

	if (!rec)
		return 1;
	db_record_raw(rec, &sb);
	printf("%s\n", sb.buf);
	strbuf_release(&sb);
	return 0;
}

static int
cmd_gettype(struct db *db, int argc, char **argv, struct strbuf *err)
{
	struct db_record *rec = db_get(db, argv[0]);

	if (!rec)
		return 1;
	printf("%s\n", db_record_type(rec));
	return 0;
}

static int
cmd_printprop(struct db *db, int argc, char **argv, struct strbuf *err)
{
	struct db_record *rec = db_get(db, argv[0]);
	size_t i;
	int j;

	if (!rec)
		return 1;
	for (i = 0; i < db_record_nprops(rec); i++) {
		const char *name = db_record_prop_name(rec, i);
		int want = argc == 1;
		for (j = 1; j < argc && !want; j++)
			want = !strcmp(argv[j], name);
		if (want)
			printf("%s=%s\n", name, db_record_prop_value(rec, i));
	}
	return 0;
}

static int
cmd_getprop(struct db *db, int argc, char **argv, struct strbuf *err)
{
	struct db_record *rec = db_get(db, argv[0]);
	const char *v;

	if (!rec)
		return 1;
	v = db_record_prop(rec, argv[1]);
	if (!v)
		return 1;
	printf("%s\n", v);
	return 0;
}

static int
set_props(struct db *db, struct db_record *rec, int argc, char **argv,
	  struct strbuf *err)
{
	int i;

	for (i = 0; i + 1 < argc; i += 2)
		if (db_set_prop(db, rec, argv[i], argv[i + 1], err) < 0)
			return -1;
	return 0;
}

static int
check_props(int argc, char **argv, struct strbuf *err)
{
	int i;

	for (i = 0; i + 1 < argc; i += 2)
		if (db_check_prop(argv[i], err) < 0)
			return -1;
	return 0;
}

static int
cmd_set(struct db *db, int argc, char **argv, struct strbuf *err)
{
	struct db_record *rec;

	if (check_props(argc - 2, argv + 2, err) < 0)
		return -1;
	rec = db_set(db, argv[0], argv[1], err);
	if (!rec || set_props(db, rec, argc - 2, argv + 2, err) < 0)
		return -1;
	return 0;
}

static int
cmd_setdefault(struct db *db, int argc, char **argv, struct strbuf *err)
{
	if (db_get(db, argv[0]))
		return 0;
	return cmd_set(db, argc, argv, err);
}

static int
cmd_delete(struct db *db, int argc, char **argv, struct strbuf *err)
{
	return db_delete(db, argv[0]) ? 0 : 1;
}

static int
cmd_settype(struct db *db, int argc, char **argv, struct strbuf *err)
{
	struct db_record *rec = db_get(db, argv[0]);

	if (!rec)
		return 1;
	return db_set_type(db, rec, argv[1]);
}

static int
cmd_setprop(struct db *db, int argc, char **argv, struct strbuf *err)
{
	struct db_record *rec = db_get(db, argv[0]);

	if (check_props(argc - 1, argv + 1, err) < 0)
		return -1;
	if (!rec)
		return 0;
	return set_props(db, rec, argc - 1, argv + 1, err);
}

static int
cmd_delprop(struct db *db, int argc, char **argv, struct strbuf *err)
{
	struct db_record *rec = db_get(db, argv[0]);
	int i;

	if (!rec)
		return 0;
	for (i = 1; i < argc; i++)
		db_delete_prop(db, rec, argv[i]);
	return 0;
}

static const struct cmd cmds[] = {
	{ "keys", CMD_READ, 0, 0, cmd_keys },
	{ "print", CMD_READ, 0, 1, cmd_print },
	{ "show", CMD_READ, 0, 1, cmd_show },
	{ "get", CMD_READ, 1, 1, cmd_get },
	{ "set", CMD_WRITE, 2, -1, cmd_set },
	{ "setdefault", CMD_WRITE, 2, -1, cmd_setdefault },
	{ "delete", CMD_WRITE, 1, 1, cmd_delete },
	{ "printtype", CMD_READ, 0, 1, cmd_printtype },
	{ "gettype", CMD_READ, 1, 1, cmd_gettype },
	{ "settype", CMD_WRITE, 2, 2, cmd_settype },
	{ "printprop", CMD_READ, 1, -1, cmd_printprop },
	{ "getprop", CMD_READ, 2, 2, cmd_getprop },
	{ "setprop", CMD_WRITE, 3, -1, cmd_setprop },
	{ "delprop", CMD_WRITE, 2, -1, cmd_delprop },
};

static const struct cmd *
find_cmd(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(cmds[i].name, name))
			return &cmds[i];
	return NULL;
}

static int
pairs_expected(const struct cmd *c)
{
	return c->fn == cmd_set || c->fn == cmd_setdefault ||
	       c->fn == cmd_setprop;
}

int
main(int argc, char **argv)
{
	struct strbuf err = STRBUF_INIT;
	const struct cmd *c;
	struct db *db = NULL;
	char *name = NULL;
	int nargs, ret;

	esmith_set_progname(argv[0]);
	if (esmith_parse_root_option(&argc, &argv, &err) < 0) {
		ret = usage(err.buf);
		goto out;
	}
	if (argc > 1 &&
	    (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		fputs(usage_text, stdout);
		ret = 0;
		goto out;
	}
	if (argc < 3) {
		ret = usage(argc < 2 ? "missing database name and command"
				     : "missing command");
		goto out;
	}
	c = find_cmd(argv[2]);
	if (!c) {
		strbuf_addf(&err, "unknown command '%s'", argv[2]);
		ret = usage(err.buf);
		goto out;
	}
	nargs = argc - 3;
	if (nargs < c->min_args || (c->max_args >= 0 && nargs > c->max_args)) {
		strbuf_addf(&err, "wrong number of arguments for '%s'",
			    c->name);
		ret = usage(err.buf);
		goto out;
	}
	if (pairs_expected(c) && (nargs - (c->fn == cmd_setprop ? 1 : 2)) % 2) {
		strbuf_addf(&err,
			    "'%s' takes property and value pairs: "
			    "a value is missing",
			    c->name);
		ret = usage(err.buf);
		goto out;
	}
	name = db_arg_name(argv[1]);
	if (c->kind == CMD_WRITE)
		db = db_open_locked(name, &err);
	else
		db = db_open(name, &err);
	if (!db) {
		fprintf(stderr, "db: %s\n", err.buf);
		ret = 1;
		goto out;
	}
	ret = c->fn(db, nargs, argv + 3, &err);
	if (ret < 0) {
		fprintf(stderr, "db: %s: %s: nothing changed\n", argv[1],
			err.buf);
		ret = 1;
		goto out;
	}
	if (c->kind == CMD_WRITE && db_commit(db, &err) < 0) {
		fprintf(stderr, "db: %s\n", err.buf);
		ret = 1;
		goto out;
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		perror("db: write error");
		ret = 1;
	}
out:
	db_free(db);
	free(name);
	strbuf_release(&err);
	return ret;
}
