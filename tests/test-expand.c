/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db.h"
#include "expand.h"
#include "strbuf.h"
#include "util.h"

static char root[64];
static struct strbuf warnings = STRBUF_INIT;

static void
capture_warn(const char *msg, void *data)
{
	strbuf_addf(&warnings, "%s\n", msg);
}

static void
put(const char *abs, const char *text)
{
	struct strbuf err = STRBUF_INIT;
	char *path = esmith_path(abs);
	char *dir = xstrdup(path);

	*strrchr(dir, '/') = '\0';
	ck_assert_int_eq(mkdir_p(dir, 0755), 0);
	ck_assert_int_eq(
		write_file_atomic(path, text, strlen(text), 0644, &err), 0);
	free(dir);
	free(path);
	strbuf_release(&err);
}

static char *
get(const char *abs)
{
	struct strbuf sb = STRBUF_INIT;
	char *path = esmith_path(abs);
	int r = strbuf_read_file(&sb, path, 0);

	free(path);
	if (r < 0) {
		strbuf_release(&sb);
		return NULL;
	}
	return strbuf_detach(&sb, NULL);
}

static struct stat
stat_of(const char *abs)
{
	struct stat st;
	char *path = esmith_path(abs);

	ck_assert_int_eq(stat(path, &st), 0);
	free(path);
	return st;
}

static int
exists(const char *abs)
{
	struct stat st;
	char *path = esmith_path(abs);
	int r = stat(path, &st) == 0;

	free(path);
	return r;
}

/* Names in the directory of `abs`, space-separated, sorted by readdir
   order filtered: enough to spot a stray temp file. */
static int
count_entries(const char *absdir)
{
	char *path = esmith_path(absdir);
	DIR *d = opendir(path);
	struct dirent *de;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	free(path);
	return n;
}

static int
expand(const char *target, struct strbuf *err)
{
	struct expand_opts o = { 0 };

	o.target = target;
	return expand_template(&o, err);
}

static void
setup(void)
{
	snprintf(root, sizeof(root), "/tmp/test-expand.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
	esmith_set_root(root);
	esmith_set_warn_hook(capture_warn, NULL);
	strbuf_reset(&warnings);
	put("/etc/e-smith/templates-default/template-begin", "# begin\n");
	put("/home/e-smith/db/configuration",
	    "DomainName=example.com\nsshd=service|TCPPort|22|status|enabled\n");
	put("/etc/e-smith/templates/etc/t.conf/10a", "a { $DomainName }\n");
	put("/etc/e-smith/templates/etc/t.conf/20b", "b { $sshd{TCPPort} }\n");
}

static void
remove_tree(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;

	if (!d) {
		unlink(path);
		return;
	}
	while ((de = readdir(d))) {
		struct strbuf sb = STRBUF_INIT;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		strbuf_addf(&sb, "%s/%s", path, de->d_name);
		remove_tree(sb.buf);
		strbuf_release(&sb);
	}
	closedir(d);
	rmdir(path);
}

static void
teardown(void)
{
	remove_tree(root);
	esmith_set_warn_hook(NULL, NULL);
	strbuf_release(&warnings);
}

START_TEST(test_expand_writes_new_file)
{
	struct strbuf err = STRBUF_INIT;
	char *text;

	ck_assert_int_eq(expand("/etc/t.conf", &err), 1);
	ck_assert_str_eq(err.buf, "");
	text = get("/etc/t.conf");
	ck_assert_str_eq(text, "# begin\na example.com\nb 22\n");
	ck_assert_uint_eq(stat_of("/etc/t.conf").st_mode & 07777, 0644);
	free(text);
	strbuf_release(&err);
}
END_TEST

START_TEST(test_expand_unchanged_file_not_rewritten)
{
	struct strbuf err = STRBUF_INIT;
	struct stat a, b;

	ck_assert_int_eq(expand("/etc/t.conf", &err), 1);
	a = stat_of("/etc/t.conf");
	sleep(1);
	ck_assert_int_eq(expand("/etc/t.conf", &err), 0);
	b = stat_of("/etc/t.conf");
	ck_assert_uint_eq(a.st_ino, b.st_ino);
	ck_assert_int_eq(a.st_mtime, b.st_mtime);
	ck_assert_int_eq(count_entries("/etc"), 2); /* e-smith, t.conf */
	strbuf_release(&err);
}
END_TEST

START_TEST(test_expand_keeps_mode_and_owner)
{
	struct strbuf err = STRBUF_INIT;
	char *path = esmith_path("/etc/t.conf");
	struct stat st;

	put("/etc/t.conf", "old\n");
	ck_assert_int_eq(chmod(path, 0600), 0);
	if (geteuid() == 0)
		ck_assert_int_eq(chown(path, 1234, 4321), 0);
	ck_assert_int_eq(expand("/etc/t.conf", &err), 1);
	st = stat_of("/etc/t.conf");
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	if (geteuid() == 0) {
		ck_assert_uint_eq(st.st_uid, 1234);
		ck_assert_uint_eq(st.st_gid, 4321);
	}
	free(path);
	strbuf_release(&err);
}
END_TEST

START_TEST(test_expand_metadata_sets_perms_and_owner)
{
	struct strbuf err = STRBUF_INIT;
	struct stat st;

	put("/etc/e-smith/templates.metadata/etc/t.conf",
	    "PERMS=0640\nUID=\"1234\"\nGID=\"4321\"\n");
	put("/etc/t.conf", "old\n");
	ck_assert_int_eq(expand("/etc/t.conf", &err), 1);
	ck_assert_str_eq(err.buf, "");
	st = stat_of("/etc/t.conf");
	ck_assert_uint_eq(st.st_mode & 07777, 0640);
	ck_assert_uint_eq(st.st_uid, 1234);
	ck_assert_uint_eq(st.st_gid, 4321);
	strbuf_release(&err);
}
END_TEST

START_TEST(test_expand_metadata_dir_form)
{
	struct strbuf err = STRBUF_INIT;
	char *text;

	put("/etc/e-smith/templates.metadata/etc/t.conf/PERMS", "0600");
	put("/etc/e-smith/templates.metadata/etc/t.conf/OUTPUT_FILENAME",
	    "'/etc/other.conf'");
	ck_assert_int_eq(expand("/etc/t.conf", &err), 1);
	ck_assert_str_eq(err.buf, "");
	ck_assert_int_eq(exists("/etc/t.conf"), 0);
	text = get("/etc/other.conf");
	ck_assert_str_eq(text, "# begin\na example.com\nb 22\n");
	ck_assert_uint_eq(stat_of("/etc/other.conf").st_mode & 07777, 0600);
	free(text);
	strbuf_release(&err);
}
END_TEST

START_TEST(test_expand_unknown_metadata_key_warns)
{
	struct strbuf err = STRBUF_INIT;

	put("/etc/e-smith/templates.metadata/etc/t.conf", "COLOUR='red'\n");
	ck_assert_int_eq(expand("/etc/t.conf", &err), 1);
	ck_assert_str_eq(warnings.buf,
			 "/etc/e-smith/templates.metadata/etc/t.conf:1: "
			 "unknown metadata key 'COLOUR', ignored\n");
	strbuf_release(&err);
}
END_TEST

START_TEST(test_expand_rpm_leftovers_removed)
{
	struct strbuf err = STRBUF_INIT;

	put("/etc/t.conf.rpmnew", "new\n");
	put("/etc/t.conf.rpmsave", "save\n");
	ck_assert_int_eq(expand("/etc/t.conf", &err), 1);
	ck_assert_int_eq(exists("/etc/t.conf.rpmnew"), 0);
	ck_assert_int_eq(exists("/etc/t.conf.rpmsave"), 0);
	strbuf_release(&err);
}
END_TEST

START_TEST(test_expand_error_leaves_target)
{
	struct strbuf err = STRBUF_INIT;
	char *text;

	put("/etc/t.conf", "old\n");
	put("/etc/e-smith/templates/etc/t.conf/15bad", "x\n{ $a\n");
	ck_assert_int_eq(expand("/etc/t.conf", &err), -1);
	ck_assert_ptr_nonnull(
		strstr(err.buf, "/etc/e-smith/templates/etc/t.conf/15bad:2:"));
	text = get("/etc/t.conf");
	ck_assert_str_eq(text, "old\n");
	ck_assert_int_eq(count_entries("/etc"), 2);
	free(text);
	strbuf_release(&err);
}
END_TEST

START_TEST(test_expand_dry_run_diff)
{
	struct strbuf err = STRBUF_INIT, diff = STRBUF_INIT;
	struct expand_opts o = { 0 };
	char *text;

	put("/etc/t.conf", "# begin\na example.org\nb 22\n");
	o.target = "/etc/t.conf";
	o.dry_run = 1;
	o.diff = &diff;
	ck_assert_int_eq(expand_template(&o, &err), 1);
	ck_assert_str_eq(diff.buf,
			 "--- /etc/t.conf\n+++ /etc/t.conf (expanded)\n"
			 "@@ -1,3 +1,3 @@\n # begin\n-a example.org\n"
			 "+a example.com\n b 22\n");
	text = get("/etc/t.conf");
	ck_assert_str_eq(text, "# begin\na example.org\nb 22\n");
	free(text);
	strbuf_release(&err);
	strbuf_release(&diff);
}
END_TEST

START_TEST(test_expand_string_output)
{
	struct strbuf err = STRBUF_INIT, out = STRBUF_INIT;
	struct expand_opts o = { 0 };
	static const char *const more[] = { "DomainName", "more.example",
					    NULL };

	o.target = "/etc/t.conf";
	o.output = &out;
	o.more_data = more;
	ck_assert_int_eq(expand_template(&o, &err), 1);
	ck_assert_str_eq(out.buf, "# begin\na more.example\nb 22\n");
	ck_assert_int_eq(exists("/etc/t.conf"), 0);
	strbuf_release(&err);
	strbuf_release(&out);
}
END_TEST

START_TEST(test_expand_delete)
{
	struct strbuf err = STRBUF_INIT;

	put("/etc/t.conf", "old\n");
	put("/etc/e-smith/templates.metadata/etc/t.conf", "DELETE=1\n");
	ck_assert_int_eq(expand("/etc/t.conf", &err), 1);
	ck_assert_int_eq(exists("/etc/t.conf"), 0);
	ck_assert_int_eq(expand("/etc/t.conf", &err), 0);
	strbuf_release(&err);
}
END_TEST

START_TEST(test_expand_skips_backup_names)
{
	struct strbuf err = STRBUF_INIT;
	char *text;

	put("/etc/e-smith/templates/etc/t.conf/15x.rpmnew", "no\n");
	ck_assert_int_eq(expand("/etc/t.conf", &err), 1);
	text = get("/etc/t.conf");
	ck_assert_str_eq(text, "# begin\na example.com\nb 22\n");
	ck_assert_str_eq(warnings.buf,
			 "/etc/e-smith/templates/etc/t.conf/15x.rpmnew: "
			 "skipped (backup or editor file)\n");
	free(text);
	strbuf_release(&err);
}
END_TEST

START_TEST(test_expand_queue_option)
{
	struct strbuf err = STRBUF_INIT, out = STRBUF_INIT;
	struct expand_opts o = { 0 };

	put("/srv/q1/etc/t.conf/10a", "q1\n");
	put("/srv/q2/etc/t.conf/10a", "q2\n");
	put("/srv/q2/etc/t.conf/20b", "q2b\n");
	o.target = "/etc/t.conf";
	o.output = &out;
	o.expand_queue = "/srv/q1:/srv/q2";
	ck_assert_int_eq(expand_template(&o, &err), 1);
	ck_assert_str_eq(out.buf, "# begin\nq1\nq2b\n");
	strbuf_release(&err);
	strbuf_release(&out);
}
END_TEST

START_TEST(test_expand_no_templates)
{
	struct strbuf err = STRBUF_INIT;

	ck_assert_int_eq(expand("/etc/none.conf", &err), -1);
	ck_assert_str_eq(err.buf, "/etc/none.conf: no templates were found");
	ck_assert_int_eq(exists("/etc/none.conf"), 0);
	strbuf_release(&err);
}
END_TEST

START_TEST(test_expand_owner_by_name_below_root)
{
	struct strbuf err = STRBUF_INIT;
	struct stat st;

	put("/etc/passwd",
	    "root:x:0:0::/root:/bin/sh\nsvc:x:4242:4243::/:/bin/false\n");
	put("/etc/group", "root:x:0:\nsvcgrp:x:4343:\n");
	put("/etc/e-smith/templates.metadata/etc/t.conf/UID", "'svc'");
	put("/etc/e-smith/templates.metadata/etc/t.conf/GID", "'svcgrp'");
	ck_assert_int_eq(expand("/etc/t.conf", &err), 1);
	ck_assert_str_eq(err.buf, "");
	st = stat_of("/etc/t.conf");
	ck_assert_uint_eq(st.st_uid, 4242);
	ck_assert_uint_eq(st.st_gid, 4343);
	strbuf_release(&err);
}
END_TEST

START_TEST(test_expand_bad_owner_or_perms_writes_nothing)
{
	static const char *const bad[] = {
		"UID=\"nosuchuser\"\n",	  "GID=\"nosuchgroup\"\n",
		"PERMS=\"rw-r--r--\"\n",  "PERMS=077777\n",
		"OUTPUT_TYPE=\"pipe\"\n",
	};
	static const char *const msg[] = {
		"UID 'nosuchuser': no such user",
		"GID 'nosuchgroup': no such group",
		"PERMS 'rw-r--r--': expected a mode such as 0644",
		"PERMS '32767': expected a mode such as 0644",
		"OUTPUT_TYPE 'pipe': expected file or string",
	};
	struct strbuf err = STRBUF_INIT;
	char *text;

	put("/etc/passwd", "root:x:0:0::/root:/bin/sh\n");
	put("/etc/group", "root:x:0:\n");
	put("/etc/e-smith/templates.metadata/etc/t.conf", bad[_i]);
	put("/etc/t.conf", "old\n");
	ck_assert_int_eq(expand("/etc/t.conf", &err), -1);
	ck_assert_msg(strstr(err.buf, msg[_i]), "got '%s'", err.buf);
	text = get("/etc/t.conf");
	ck_assert_str_eq(text, "old\n");
	ck_assert_int_eq(count_entries("/etc"),
			 4); /* e-smith group passwd t.conf */
	free(text);
	strbuf_release(&err);
}
END_TEST

START_TEST(test_expand_dry_run_new_file)
{
	struct strbuf err = STRBUF_INIT, diff = STRBUF_INIT;
	struct expand_opts o = { 0 };

	o.target = "/etc/t.conf";
	o.dry_run = 1;
	o.diff = &diff;
	ck_assert_int_eq(expand_template(&o, &err), 1);
	ck_assert_str_eq(diff.buf,
			 "--- /dev/null\n+++ /etc/t.conf (expanded)\n"
			 "@@ -0,0 +1,3 @@\n+# begin\n+a example.com\n+b 22\n");
	ck_assert_int_eq(exists("/etc/t.conf"), 0);
	strbuf_release(&err);
	strbuf_release(&diff);
}
END_TEST

START_TEST(test_expand_dry_run_mode_change)
{
	struct strbuf err = STRBUF_INIT, diff = STRBUF_INIT;
	struct expand_opts o = { 0 };

	ck_assert_int_eq(expand("/etc/t.conf", &err), 1);
	put("/etc/e-smith/templates.metadata/etc/t.conf", "PERMS=0600\n");
	o.target = "/etc/t.conf";
	o.dry_run = 1;
	o.diff = &diff;
	ck_assert_int_eq(expand_template(&o, &err), 1);
	ck_assert_str_eq(diff.buf, "/etc/t.conf: mode 0644 -> 0600\n");
	ck_assert_uint_eq(stat_of("/etc/t.conf").st_mode & 07777, 0644);
	strbuf_release(&err);
	strbuf_release(&diff);
}
END_TEST

/* Overwrite `abs` in place (same inode and size) and give it `mtime`. */
static void
overwrite_old(const char *abs, const char *text, time_t mtime)
{
	char *path = esmith_path(abs);
	FILE *f = fopen(path, "r+");
	struct timespec ts[2] = { { mtime, 0 }, { mtime, 0 } };

	ck_assert_ptr_nonnull(f);
	ck_assert_int_ge(fputs(text, f), 0);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(utimensat(AT_FDCWD, path, ts, 0), 0);
	free(path);
}

static void
expands_to(const char *want)
{
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
	struct expand_opts o = { 0 };

	o.target = "/etc/t.conf";
	o.output = &out;
	ck_assert_int_ge(expand_template(&o, &err), 0);
	ck_assert_str_eq(err.buf, "");
	ck_assert_str_eq(out.buf, want);
	strbuf_release(&out);
	strbuf_release(&err);
}

/* Fragments and databases kept in memory: a change is seen by the next
   expansion, also one that keeps the size and the modification time. */
START_TEST(test_expand_cached_files_changed)
{
	time_t old = time(NULL) - 3600;
	size_t frag_hits, db_hits;

	overwrite_old("/etc/e-smith/templates/etc/t.conf/10a",
		      "a { $DomainName }\n", old);
	overwrite_old("/home/e-smith/db/configuration",
		      "DomainName=example.com\n", old);
	{
		char *dir = esmith_path("/etc/e-smith/templates/etc/t.conf");
		struct timespec ts[2] = { { old, 0 }, { old, 0 } };
		ck_assert_int_eq(utimensat(AT_FDCWD, dir, ts, 0), 0);
		free(dir);
	}
	expands_to("# begin\na example.com\nb 22\n");
	frag_hits = expand_cache_hit_count();
	db_hits = db_cache_hit_count();
	expands_to("# begin\na example.com\nb 22\n");
	ck_assert_uint_eq(expand_cache_hit_count(), frag_hits + 1);
	ck_assert_uint_eq(db_cache_hit_count(), db_hits + 1);
	overwrite_old("/etc/e-smith/templates/etc/t.conf/10a",
		      "A { $DomainName }\n", old);
	expands_to("# begin\nA example.com\nb 22\n");
	overwrite_old("/home/e-smith/db/configuration",
		      "DomainName=example.org\n", old);
	expands_to("# begin\nA example.org\nb 22\n");
	/* a fragment added to the directory */
	put("/etc/e-smith/templates/etc/t.conf/30c", "c\n");
	expands_to("# begin\nA example.org\nb 22\nc\n");
	put("/etc/e-smith/templates/etc/t.conf/10a", "new { $DomainName }\n");
	put("/etc/e-smith/templates/etc/t.conf/20b", "");
	expands_to("# begin\nnew example.org\nc\n");
}
END_TEST

/* processTemplate() from a fragment: bounded nesting, the outer dry run,
   unknown parameters, perms from the call. */
START_TEST(test_expand_nested_recursion_bounded)
{
	struct strbuf err = STRBUF_INIT;

	put("/etc/e-smith/templates/etc/loop.conf/10self",
	    "{ processTemplate({ TEMPLATE_PATH => '/etc/loop.conf', "
	    "OUTPUT_TYPE => 'string' }) }\n");
	ck_assert_int_eq(expand("/etc/loop.conf", &err), -1);
	ck_assert_ptr_nonnull(strstr(err.buf, "nested more than 16 deep"));
	ck_assert_int_eq(exists("/etc/loop.conf"), 0);
	/* the hook is gone after the expansion: a later one still works */
	strbuf_reset(&err);
	ck_assert_int_eq(expand("/etc/t.conf", &err), 1);
	strbuf_release(&err);
}
END_TEST

START_TEST(test_expand_nested_file_dry_run)
{
	struct strbuf err = STRBUF_INIT, diff = STRBUF_INIT;
	struct expand_opts o = { 0 };

	put("/etc/e-smith/templates/etc/t.conf/30nested",
	    "{ processTemplate({ TEMPLATE_PATH => '/etc/inner.conf', "
	    "MORE_DATA => { who => 'inner' }, PERMS => 0600 }); '' }\n");
	put("/etc/e-smith/templates/etc/inner.conf/10i", "{ $who }\n");
	o.target = "/etc/t.conf";
	o.dry_run = 1;
	o.diff = &diff;
	ck_assert_int_eq(expand_template(&o, &err), 1);
	ck_assert_ptr_nonnull(
		strstr(diff.buf, "+++ /etc/inner.conf (expanded)"));
	ck_assert_ptr_nonnull(strstr(diff.buf, "+inner\n"));
	ck_assert_ptr_nonnull(strstr(diff.buf, "+++ /etc/t.conf (expanded)"));
	ck_assert_int_eq(exists("/etc/inner.conf"), 0);
	ck_assert_int_eq(exists("/etc/t.conf"), 0);
	/* for real: both written, the nested one with the call's PERMS */
	ck_assert_int_eq(expand("/etc/t.conf", &err), 1);
	ck_assert_int_eq(stat_of("/etc/inner.conf").st_mode & 07777, 0600);
	ck_assert_int_eq(stat_of("/etc/t.conf").st_mode & 07777, 0644);
	strbuf_release(&err);
	strbuf_release(&diff);
}
END_TEST

START_TEST(test_expand_nested_bad_calls)
{
	struct strbuf err = STRBUF_INIT;
	char *text;

	put("/etc/e-smith/templates/etc/inner.conf/10i", "inner\n");
	put("/etc/e-smith/templates/etc/t.conf/30nested",
	    "{ processTemplate({ TEMPLATE_PATH => '/etc/inner.conf', "
	    "OUTPUT_TYPE => 'string', COLOUR => 'red' }) }\n");
	ck_assert_int_eq(expand("/etc/t.conf", &err), 1);
	ck_assert_ptr_nonnull(strstr(warnings.buf,
				     "30nested:1: processTemplate: unknown "
				     "parameter 'COLOUR', ignored"));
	text = get("/etc/t.conf");
	ck_assert_str_eq(text,
			 "# begin\na example.com\nb 22\n# begin\ninner\n\n");
	free(text);
	/* a bad OUTPUT_TYPE or PERMS from the call: an error naming the
	   calling fragment, and the target is left as it was */
	put("/etc/e-smith/templates/etc/t.conf/30nested",
	    "{ processTemplate({ TEMPLATE_PATH => '/etc/inner.conf', "
	    "OUTPUT_TYPE => 'strng' }) }\n");
	ck_assert_int_eq(expand("/etc/t.conf", &err), -1);
	ck_assert_ptr_nonnull(strstr(err.buf, "OUTPUT_TYPE 'strng': expected "
					      "file or string"));
	strbuf_reset(&err);
	put("/etc/e-smith/templates/etc/t.conf/30nested",
	    "{ processTemplate({ TEMPLATE_PATH => '/etc/inner.conf', "
	    "PERMS => 'rw' }) }\n");
	ck_assert_int_eq(expand("/etc/t.conf", &err), -1);
	ck_assert_ptr_nonnull(strstr(
		err.buf, "30nested:1: processTemplate: PERMS 'rw': expected"));
	ck_assert_int_eq(exists("/etc/inner.conf"), 0);
	strbuf_reset(&err);
	put("/etc/e-smith/templates/etc/t.conf/30nested",
	    "{ processTemplate('/etc/inner.conf') }\n");
	ck_assert_int_eq(expand("/etc/t.conf", &err), -1);
	ck_assert_ptr_nonnull(strstr(err.buf, "expected a hash reference"));
	text = get("/etc/t.conf");
	ck_assert_str_eq(text,
			 "# begin\na example.com\nb 22\n# begin\ninner\n\n");
	free(text);
	strbuf_release(&err);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("expand");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_expand_writes_new_file);
	tcase_add_test(tc, test_expand_unchanged_file_not_rewritten);
	tcase_add_test(tc, test_expand_keeps_mode_and_owner);
	tcase_add_test(tc, test_expand_metadata_sets_perms_and_owner);
	tcase_add_test(tc, test_expand_metadata_dir_form);
	tcase_add_test(tc, test_expand_unknown_metadata_key_warns);
	tcase_add_test(tc, test_expand_rpm_leftovers_removed);
	tcase_add_test(tc, test_expand_error_leaves_target);
	tcase_add_test(tc, test_expand_dry_run_diff);
	tcase_add_test(tc, test_expand_string_output);
	tcase_add_test(tc, test_expand_delete);
	tcase_add_test(tc, test_expand_skips_backup_names);
	tcase_add_test(tc, test_expand_queue_option);
	tcase_add_test(tc, test_expand_no_templates);
	tcase_add_test(tc, test_expand_owner_by_name_below_root);
	tcase_add_loop_test(tc, test_expand_bad_owner_or_perms_writes_nothing,
			    0, 5);
	tcase_add_test(tc, test_expand_dry_run_new_file);
	tcase_add_test(tc, test_expand_dry_run_mode_change);
	tcase_add_test(tc, test_expand_cached_files_changed);
	tcase_add_test(tc, test_expand_nested_recursion_bounded);
	tcase_add_test(tc, test_expand_nested_file_dry_run);
	tcase_add_test(tc, test_expand_nested_bad_calls);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
