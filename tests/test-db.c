/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "util.h"

/* Warnings are captured here instead of going to stderr. */
static struct strbuf warnings = STRBUF_INIT;

static void
capture_warn(const char *msg, void *data)
{
	(void)data;
	strbuf_addstr(&warnings, msg);
	strbuf_addch(&warnings, '\n');
}

static void
setup(void)
{
	strbuf_reset(&warnings);
	esmith_set_warn_hook(capture_warn, NULL);
}

static void
teardown(void)
{
	esmith_set_warn_hook(NULL, NULL);
	strbuf_release(&warnings);
}

static struct db *
parse(const char *text)
{
	return db_parse("test", text, strlen(text));
}

static char *
serialize(const struct db *db)
{
	struct strbuf sb = STRBUF_INIT;

	db_serialize(db, &sb, 0);
	return strbuf_detach(&sb, NULL);
}

/* Parsing: input text, the canonical text it serialises to, problems. */
static const struct parse_case {
	const char *in;
	const char *out;
	size_t problems;
} parse_cases[] = {
	{ "", "", 0 },
	{ "# only a comment\n   # indented comment\n\n \t\n", "", 0 },
	{ "a=b\n", "a=b\n", 0 },
	{ "a=b", "a=b\n", 0 }, /* no final newline */
	{ "b=1\na=2\n", "a=2\nb=1\n", 0 },
	{ "a=1\nb=2\na=3\n", "a=3\nb=2\n", 0 }, /* last wins */
	{ "k=service|z|1|a|2\n", "k=service|a|2|z|1\n", 0 },
	{ "k=service|a|1|a|2\n", "k=service|a|2\n", 0 },
	{ "k=service|a|\n", "k=service|a|\n", 0 },
	{ "k=service|a\n", "k=service|a|\n", 0 },
	{ "k=service|\n", "k=service\n", 0 },
	{ "k=\n", "k=\n", 0 },
	{ "lonely\n", "lonely=\n", 0 },
	{ "k=t|p|a\\|b\n", "k=t|p|a\\|b\n", 0 },
	{ "k=t|p|line1\\nline2\n", "k=t|p|line1\\nline2\n", 0 },
	{ "k=t|p|C:\\dir\n", "k=t|p|C:\\\\dir\n", 0 }, /* lone backslash */
	{ "k=t|p|a=b=c\n", "k=t|p|a=b=c\n", 0 },
	{ "=novalue\nok=1\n", "ok=1\n", 1 },
	{ "k=t||v\nz=1\n", "k=t\nz=1\n", 1 },
	{ "k=t|type|x\n", "k=t\n", 1 },
	{ "k=t\r\n", "k=t\r\n", 0 },
	{ " spaced = x\n", " spaced = x\n", 0 },
};

START_TEST(test_db_parse_table)
{
	const struct parse_case *c = &parse_cases[_i];
	struct db *db = parse(c->in);
	char *out = serialize(db);

	ck_assert_msg(!strcmp(out, c->out), "case %d: '%s' gave '%s'", _i,
		      c->in, out);
	ck_assert_uint_eq(db_read_problems(db), c->problems);
	free(out);
	db_free(db);
}
END_TEST

START_TEST(test_db_parse_nul_line_is_skipped)
{
	static const char text[] = "a=1\nb=2\0x\nc=3\n";
	struct db *db = db_parse("test", text, sizeof(text) - 1);
	char *out = serialize(db);

	ck_assert_str_eq(out, "a=1\nc=3\n");
	ck_assert_uint_eq(db_read_problems(db), 1);
	ck_assert_ptr_nonnull(strstr(warnings.buf, "test:2: NUL byte"));
	free(out);
	db_free(db);
}
END_TEST

START_TEST(test_db_warning_names_file_and_line)
{
	struct db *db = parse("a=1\n# c\n=bad\n");

	ck_assert_uint_eq(db_count(db), 1);
	ck_assert_ptr_nonnull(strstr(warnings.buf, "test:3: empty key"));
	db_free(db);
}
END_TEST

START_TEST(test_db_values_unescaped)
{
	struct db *db = parse("k=t|p|a\\|b\\\\c\\nd\\x\n");
	struct db_record *r = db_get(db, "k");

	ck_assert_str_eq(db_record_prop(r, "p"), "a|b\\c\nd\\x");
	db_free(db);
}
END_TEST

START_TEST(test_db_set_and_delete)
{
	struct strbuf err = STRBUF_INIT;
	struct db *db = parse("a=x|p|1\n");
	struct db_record *r;
	char *out;

	r = db_set(db, "c", "service", &err);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(db_set_prop(db, r, "status", "enabled", &err), 0);
	ck_assert_int_eq(db_set_prop(db, r, "type", "other", &err), 0);
	r = db_set(db, "b", "t", &err);
	ck_assert_int_eq(db_delete_prop(db, db_get(db, "a"), "p"), 1);
	ck_assert_int_eq(db_delete_prop(db, db_get(db, "a"), "p"), 0);
	out = serialize(db);
	ck_assert_str_eq(out, "a=x\nb=t\nc=other|status|enabled\n");
	free(out);
	ck_assert_int_eq(db_delete(db, "b"), 1);
	ck_assert_int_eq(db_delete(db, "b"), 0);
	ck_assert_uint_eq(db_count(db), 2);
	/* db_set replaces the whole record */
	r = db_set(db, "c", "fresh", &err);
	ck_assert_uint_eq(db_record_nprops(r), 0);
	ck_assert_str_eq(db_record_type(r), "fresh");
	db_free(db);
	strbuf_release(&err);
}
END_TEST

/* A record read from a file, replaced with db_set() and given new
   properties, and one grown past its load-time size: the arrays read
   from the file are never reallocated or freed by the record. */
START_TEST(test_db_change_loaded_records)
{
	struct strbuf err = STRBUF_INIT;
	struct db *db = parse("a=t|p|1|q|2\nb=t|x|1\n");
	struct db_record *r;
	char *out;
	int i;

	r = db_set(db, "a", "new", &err);
	ck_assert_int_eq(db_set_prop(db, r, "z", "9", &err), 0);
	r = db_get(db, "b");
	for (i = 0; i < 20; i++) {
		char name[8];
		snprintf(name, sizeof(name), "p%02d", i);
		ck_assert_int_eq(db_set_prop(db, r, name, "v", &err), 0);
	}
	ck_assert_int_eq(db_set_prop(db, r, "x", "changed", &err), 0);
	ck_assert_uint_eq(db_record_nprops(r), 21);
	out = serialize(db);
	ck_assert_ptr_nonnull(strstr(out, "a=new|z|9\nb=t|p00|v|"));
	ck_assert_ptr_nonnull(strstr(out, "|x|changed\n"));
	free(out);
	db_free(db);
	strbuf_release(&err);
}
END_TEST

static const char *const bad_keys[] = { "", "a=b", "a\nb", "#x", " x", "\tx" };

START_TEST(test_db_bad_keys_refused)
{
	struct strbuf err = STRBUF_INIT;
	struct db *db = parse("");

	ck_assert_ptr_null(db_set(db, bad_keys[_i], "t", &err));
	ck_assert_ptr_nonnull(strstr(err.buf, "invalid key"));
	ck_assert_uint_eq(db_count(db), 0);
	db_free(db);
	strbuf_release(&err);
}
END_TEST

/* Random byte strings (no NUL) round-trip through the file format. */
static void
random_bytes(char *buf, size_t n, unsigned *seed)
{
	static const char special[] = "|\\\n=# \t\r";
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned r = (unsigned)rand_r(seed);
		if (r % 4 == 0)
			buf[i] = special[(r / 4) % (sizeof(special) - 1)];
		else
			buf[i] = (char)(1 + (r / 4) % 255);
	}
	buf[n] = '\0';
}

START_TEST(test_db_roundtrip_random)
{
	struct strbuf err = STRBUF_INIT, text = STRBUF_INIT;
	unsigned seed = 12345;
	int iter;

	for (iter = 0; iter < 300; iter++) {
		char key[32], type[16], prop[16], val[64];
		struct db *db = parse(""), *back;
		struct db_record *r;

		snprintf(key, sizeof(key), "k%d", iter);
		random_bytes(type, (size_t)rand_r(&seed) % 15, &seed);
		random_bytes(prop, 1 + (size_t)rand_r(&seed) % 14, &seed);
		random_bytes(val, (size_t)rand_r(&seed) % 63, &seed);
		if (!strcmp(prop, "type"))
			continue;
		r = db_set(db, key, type, &err);
		ck_assert_ptr_nonnull(r);
		ck_assert_int_eq(db_set_prop(db, r, prop, val, &err), 0);
		strbuf_reset(&text);
		db_serialize(db, &text, 1);
		back = db_parse("back", text.buf, text.len);
		ck_assert_uint_eq(db_read_problems(back), 0);
		r = db_get(back, key);
		ck_assert_ptr_nonnull(r);
		ck_assert_str_eq(db_record_type(r), type);
		ck_assert_msg(db_record_prop(r, prop) &&
				      !strcmp(db_record_prop(r, prop), val),
			      "iteration %d: value did not round-trip", iter);
		ck_assert_uint_eq(db_record_nprops(r), 1);
		db_free(db);
		db_free(back);
	}
	strbuf_release(&err);
	strbuf_release(&text);
}
END_TEST

/* ---- files, locking, crashes ------------------------------------------ */

static char tmpdir[64];

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
file_setup(void)
{
	char *dir;

	setup();
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test-db-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	esmith_set_root(tmpdir);
	dir = esmith_path("/home/e-smith/db");
	ck_assert_int_eq(mkdir_p(dir, 0755), 0);
	free(dir);
}

static void
file_teardown(void)
{
	teardown();
	nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static char *
read_all(const char *path)
{
	struct strbuf sb = STRBUF_INIT;

	if (strbuf_read_file(&sb, path, 0) < 0)
		return NULL;
	return strbuf_detach(&sb, NULL);
}

START_TEST(test_db_resolve_path)
{
	char *p = db_resolve_path("configuration");
	char *want = esmith_path("/home/e-smith/db/configuration");

	ck_assert_str_eq(p, want);
	free(p);
	free(want);
	p = db_resolve_path("./local/file");
	ck_assert_str_eq(p, "./local/file");
	free(p);
	setenv("ESMITH_CONFIG_DB", "/elsewhere/conf", 1);
	p = db_resolve_path("configuration");
	ck_assert_str_eq(p, "/elsewhere/conf");
	free(p);
	p = db_resolve_path("accounts");
	ck_assert_ptr_null(strstr(p, "elsewhere"));
	free(p);
	unsetenv("ESMITH_CONFIG_DB");
}
END_TEST

START_TEST(test_db_commit_writes_header_and_sorted)
{
	struct strbuf err = STRBUF_INIT;
	struct db *db = db_open_locked("configuration", &err);
	struct db_record *r;
	char *text, *path;

	ck_assert_ptr_nonnull(db);
	ck_assert_int_eq(db_exists(db), 0);
	r = db_set(db, "sshd", "service", &err);
	db_set_prop(db, r, "TCPPort", "22", &err);
	db_set_prop(db, r, "status", "enabled", &err);
	db_set(db, "DomainName", "example.com", &err);
	ck_assert_int_eq(db_commit(db, &err), 0);
	db_free(db);

	path = db_resolve_path("configuration");
	text = read_all(path);
	ck_assert_ptr_nonnull(text);
	ck_assert_ptr_nonnull(strstr(text, "# DO NOT MODIFY THIS FILE.\n"));
	ck_assert_ptr_nonnull(strstr(text, "\n# updated: "));
	ck_assert_ptr_nonnull(
		strstr(text, "\nDomainName=example.com\nsshd=service|TCPPort|"
			     "22|status|enabled\n"));
	free(text);
	free(path);
	strbuf_release(&err);
}
END_TEST

START_TEST(test_db_commit_without_lock_refused)
{
	struct strbuf err = STRBUF_INIT;
	struct db *db = db_open("configuration", &err);

	db_set(db, "a", "b", &err);
	ck_assert_int_eq(db_commit(db, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.buf, "not opened for writing"));
	db_free(db);
	strbuf_release(&err);
}
END_TEST

START_TEST(test_db_unreadable_file_is_an_error)
{
	struct strbuf err = STRBUF_INIT;
	char *path = db_resolve_path("configuration");
	struct db *db;

	/* a directory where the file should be */
	ck_assert_int_eq(mkdir(path, 0755), 0);
	db = db_open("configuration", &err);
	ck_assert_ptr_null(db);
	ck_assert_ptr_nonnull(strstr(err.buf, "cannot read database"));
	rmdir(path);
	free(path);
	strbuf_release(&err);
}
END_TEST

/* Write `text` over the file in place (same inode), mtime `mtime`. */
static void
put_file(const char *path, const char *text, time_t mtime)
{
	FILE *f = fopen(path, "r+");
	struct timespec ts[2] = { { mtime, 0 }, { mtime, 0 } };

	if (!f)
		f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fputs(text, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static char *
prop_of(const char *key, const char *prop)
{
	struct strbuf err = STRBUF_INIT;
	struct db *db = db_open("configuration", &err);
	struct db_record *r;
	char *v;

	ck_assert_ptr_nonnull(db);
	r = db_get(db, key);
	v = xstrdup(r ? db_record_prop(r, prop) : "-");
	db_free(db);
	strbuf_release(&err);
	return v;
}

#define CK_PROP(key, prop, want)               \
	do {                                   \
		char *v_ = prop_of(key, prop); \
		ck_assert_str_eq(v_, want);    \
		free(v_);                      \
	} while (0)

/* A file read once is copied from memory until it changes. */
START_TEST(test_db_open_cache)
{
	struct strbuf err = STRBUF_INIT;
	char *path = db_resolve_path("configuration");
	time_t old = time(NULL) - 3600;
	struct db *db;

	db_cache_clear();
	put_file(path, "a=one\nb=two|p|x\n", old);
	CK_PROP("a", "type", "one");
	ck_assert_uint_eq(db_cache_hit_count(), 0);
	CK_PROP("b", "p", "x");
	ck_assert_uint_eq(db_cache_hit_count(), 1);
	/* a change made in memory stays in that copy */
	db = db_open("configuration", &err);
	ck_assert_int_eq(db_set_prop(db, db_get(db, "b"), "p", "y", &err), 0);
	ck_assert_str_eq(db_record_prop(db_get(db, "b"), "p"), "y");
	db_free(db);
	CK_PROP("b", "p", "x");
	ck_assert_uint_eq(db_cache_hit_count(), 3);
	/* the same size, the same mtime, in place: the change time differs */
	put_file(path, "a=uno\nb=two|p|x\n", old);
	CK_PROP("a", "type", "uno");
	ck_assert_uint_eq(db_cache_hit_count(), 3);
	CK_PROP("a", "type", "uno");
	ck_assert_uint_eq(db_cache_hit_count(), 4);
	/* replaced by a new file */
	ck_assert_int_eq(write_file_atomic(path, "a=three\n", 8, 0644, &err),
			 0);
	CK_PROP("a", "type", "three");
	/* just written: read again each time until it settles */
	CK_PROP("a", "type", "three");
	ck_assert_uint_eq(db_cache_hit_count(), 4);
	/* a file that warns is read (and warns) each time */
	unlink(path);
	put_file(path, "=x\nc=d\n", old);
	CK_PROP("c", "type", "d");
	CK_PROP("c", "type", "d");
	ck_assert_uint_eq(db_cache_hit_count(), 4);
	ck_assert_ptr_nonnull(strstr(warnings.buf, "empty key"));
	db_cache_clear();
	free(path);
	strbuf_release(&err);
}
END_TEST

static int
count_dir_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* In a child limited to tiny files (this works for root too), commit a
   large change; exits 0 when the commit failed as it should. */
static void
big_write_child(void)
{
	struct strbuf err = STRBUF_INIT;
	struct rlimit rl = { 512, 512 };
	struct db *db;
	int i, ret = 0;

	signal(SIGXFSZ, SIG_IGN);
	setrlimit(RLIMIT_FSIZE, &rl);
	db = db_open_locked("configuration", &err);
	for (i = 0; db && i < 200; i++) {
		char key[16];
		snprintf(key, sizeof(key), "key%d", i);
		if (!db_set(db, key, "some-long-type-value", &err))
			ret = 2;
	}
	if (!db || db_commit(db, &err) != -1)
		ret = 3;
	else if (!strstr(err.buf, "write failed"))
		ret = 4;
	db_free(db);
	strbuf_release(&err);
	esmith_set_warn_hook(NULL, NULL);
	strbuf_release(&warnings);
	_exit(ret);
}

START_TEST(test_db_failed_write_keeps_old_file)
{
	struct strbuf err = STRBUF_INIT;
	char *dir, *before, *after, *path;
	struct db *db;
	int status, entries;
	pid_t pid;

	db = db_open_locked("configuration", &err);
	db_set(db, "x", "t", &err);
	ck_assert_int_eq(db_commit(db, &err), 0);
	db_free(db);
	strbuf_release(&err);

	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		big_write_child();
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);

	/* the old file is whole and no temp file is left */
	dir = esmith_path("/home/e-smith/db");
	path = db_resolve_path("configuration");
	before = read_all(path);
	ck_assert_ptr_nonnull(strstr(before, "\nx=t\n"));
	ck_assert_ptr_null(strstr(before, "key1"));
	entries = count_dir_entries(dir);
	ck_assert_int_eq(entries, 2); /* configuration, configuration.lock */
	after = read_all(path);
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
	free(dir);
	free(path);
}
END_TEST

/*
 * A writer is killed at random moments while it rewrites every record of a
 * database; the file always parses cleanly and holds one whole generation.
 */
#define CRASH_RECORDS 200

static void
crash_writer(void)
{
	struct strbuf err = STRBUF_INIT;
	char key[16], val[16];
	int gen, i;

	for (gen = 1;; gen++) {
		struct db *db = db_open_locked("crash", &err);
		if (!db)
			_exit(2);
		snprintf(val, sizeof(val), "%d", gen);
		for (i = 0; i < CRASH_RECORDS; i++) {
			struct db_record *r;
			snprintf(key, sizeof(key), "rec%03d", i);
			r = db_get(db, key);
			if (!r)
				r = db_set(db, key, "t", &err);
			db_set_prop(db, r, "gen", val, &err);
		}
		if (db_commit(db, &err) < 0)
			_exit(3);
		db_free(db);
	}
}

START_TEST(test_db_crash_leaves_whole_file)
{
	struct strbuf err = STRBUF_INIT;
	unsigned seed = 7;
	int round, seen_data = 0, db_written = 0;

	for (round = 0; round < 25; round++) {
		struct timespec ts = { 0, 0 };
		pid_t pid = fork();
		struct db *db;
		const char *gen0 = NULL;
		size_t i;

		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			esmith_set_warn_hook(NULL, NULL);
			crash_writer();
		}
		/* let the first generation land (slow under valgrind), then
		   kill at a random moment */
		if (!db_written) {
			char *path = db_resolve_path("crash");
			struct timespec tick = { 0, 5000000L };
			int tries;
			for (tries = 0; tries < 2000 && access(path, F_OK);
			     tries++)
				nanosleep(&tick, NULL);
			db_written = 1;
			free(path);
		}
		ts.tv_nsec = (long)(1 + rand_r(&seed) % 40) * 1000000L;
		nanosleep(&ts, NULL);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);

		db = db_open("crash", &err);
		ck_assert_ptr_nonnull(db);
		ck_assert_uint_eq(db_read_problems(db), 0);
		if (!db_exists(db)) {
			db_free(db);
			continue;
		}
		seen_data = 1;
		ck_assert_uint_eq(db_count(db), CRASH_RECORDS);
		for (i = 0; i < db_count(db); i++) {
			const char *g =
				db_record_prop(db_record_at(db, i), "gen");
			ck_assert_ptr_nonnull(g);
			if (!gen0)
				gen0 = g;
			ck_assert_str_eq(g, gen0);
		}
		db_free(db);
	}
	ck_assert(seen_data);
	strbuf_release(&err);
}
END_TEST

static Suite *
db_suite(void)
{
	Suite *s = suite_create("db");
	TCase *tc = tcase_create("parse");
	TCase *tf = tcase_create("file");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_db_parse_table, 0,
			    sizeof(parse_cases) / sizeof(parse_cases[0]));
	tcase_add_test(tc, test_db_parse_nul_line_is_skipped);
	tcase_add_test(tc, test_db_warning_names_file_and_line);
	tcase_add_test(tc, test_db_values_unescaped);
	tcase_add_test(tc, test_db_set_and_delete);
	tcase_add_test(tc, test_db_change_loaded_records);
	tcase_add_loop_test(tc, test_db_bad_keys_refused, 0,
			    sizeof(bad_keys) / sizeof(bad_keys[0]));
	tcase_add_test(tc, test_db_roundtrip_random);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(tf, file_setup, file_teardown);
	tcase_set_timeout(tf, 300);
	tcase_add_test(tf, test_db_resolve_path);
	tcase_add_test(tf, test_db_commit_writes_header_and_sorted);
	tcase_add_test(tf, test_db_commit_without_lock_refused);
	tcase_add_test(tf, test_db_unreadable_file_is_an_error);
	tcase_add_test(tf, test_db_open_cache);
	tcase_add_test(tf, test_db_failed_write_keeps_old_file);
	tcase_add_test(tf, test_db_crash_leaves_whole_file);
	suite_add_tcase(s, tf);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(db_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
