/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The tar stream writer, checked against GNU tar: a tree with every kind
 * of entry is streamed, extracted by /bin/tar, and compared.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "imagebuild.h"
#include "tarstream.h"
#include "util.h"

static char top[64];

static void
path_of(struct strbuf *sb, const char *sub, const char *rel)
{
	strbuf_reset(sb);
	strbuf_addf(sb, "%s/%s/%s", top, sub, rel);
}

static void
put_file(const char *rel, const char *content)
{
	struct strbuf p = STRBUF_INIT, err = STRBUF_INIT;
	char *slash;

	path_of(&p, "src", rel);
	slash = strrchr(p.buf, '/');
	*slash = '\0';
	ck_assert_int_eq(mkdir_p(p.buf, 0755), 0);
	*slash = '/';
	ck_assert_msg(write_file_atomic(p.buf, content, strlen(content), 0640,
					&err) == 0,
		      "%s", err.buf);
	strbuf_release(&p);
	strbuf_release(&err);
}

static int
rm_cb(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		rmdir(p);
	else
		unlink(p);
	return 0;
}

static const char *long_dir =
	"a-directory-with-a-rather-long-name-to-need-the-prefix-field/"
	"and-another-level-of-directories-that-is-long-too-to-pass-100";
static const char *very_long_name =
	"this-file-name-alone-is-longer-than-one-hundred-bytes-which-ustar-"
	"cannot-hold-in-its-name-field-so-pax-is-needed.txt";

static void
setup(void)
{
	struct strbuf p = STRBUF_INIT, q = STRBUF_INIT, big = STRBUF_INIT;
	int i;

	snprintf(top, sizeof(top), "/tmp/test-tarstream.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(top));
	put_file("etc/os-release", "VERSION_ID=\"3.18\"\n");
	put_file("etc/empty", "");
	for (i = 0; i < 5000; i++)
		strbuf_addf(&big, "line %d\n", i);
	put_file("usr/lib/big", big.buf);
	put_file("usr/share/man/man1/ls.1", "man page\n");
	put_file("usr/share/doc/README", "doc\n");
	put_file("usr/share/info/x.info", "info\n");
	put_file("var/cache/ldconfig/aux-cache", "cache\n");
	put_file("etc/ld.so.cache", "cache\n");
	put_file("sbin/sln", "sln\n");
	put_file("usr/share/locale-keep/x", "not a locale dir\n");
	strbuf_addf(&q, "%s/%s", long_dir, very_long_name);
	put_file(q.buf, "deep\n");
	strbuf_reset(&q);
	strbuf_addf(&q, "%s/short", long_dir);
	put_file(q.buf, "short name, long directory\n");

	path_of(&p, "src", "bin");
	ck_assert_int_eq(mkdir(p.buf, 0755), 0);
	path_of(&p, "src", "bin/sh");
	ck_assert_int_eq(symlink("busybox", p.buf), 0);
	path_of(&p, "src", "bin/long-link");
	strbuf_reset(&q);
	strbuf_addf(&q, "../%s/%s", long_dir, very_long_name);
	ck_assert_int_eq(symlink(q.buf, p.buf), 0);
	path_of(&p, "src", "usr/lib/big");
	path_of(&q, "src", "usr/lib/big-hardlink");
	ck_assert_int_eq(link(p.buf, q.buf), 0);
	path_of(&p, "src", "dev");
	ck_assert_int_eq(mkdir(p.buf, 0755), 0);
	path_of(&p, "src", "dev/null");
	ck_assert_int_eq(mknod(p.buf, S_IFCHR | 0666, makedev(1, 3)), 0);
	path_of(&p, "src", "dev/loop9");
	ck_assert_int_eq(mknod(p.buf, S_IFBLK | 0660, makedev(7, 9)), 0);
	path_of(&p, "src", "dev/initctl");
	ck_assert_int_eq(mkfifo(p.buf, 0600), 0);
	path_of(&p, "src", "tmp");
	ck_assert_int_eq(mkdir(p.buf, 01777), 0);
	chmod(p.buf, 01777);
	path_of(&p, "src", "etc/owned");
	ck_assert_int_eq(mkdir(p.buf, 0750), 0);
	ck_assert_int_eq(chown(p.buf, 3000000, 42), 0);
	path_of(&p, "src", "empty-dir");
	ck_assert_int_eq(mkdir(p.buf, 0755), 0);
	strbuf_release(&p);
	strbuf_release(&q);
	strbuf_release(&big);
}

static void
teardown(void)
{
	nftw(top, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* Stream src (with `exclude`) into `out`, reading in odd-sized pieces. */
static void
stream_to(struct strbuf *out, const char *const *exclude)
{
	struct strbuf dir = STRBUF_INIT, err = STRBUF_INIT;
	struct tar_stream *ts;
	char buf[777];
	ssize_t n;

	strbuf_addf(&dir, "%s/src", top);
	ts = tar_stream_new(dir.buf, exclude, &err);
	ck_assert_msg(ts != NULL, "%s", err.buf);
	while ((n = tar_stream_read(ts, buf, sizeof(buf), &err)) > 0)
		strbuf_add(out, buf, (size_t)n);
	ck_assert_msg(n == 0, "%s", err.buf);
	ck_assert_uint_eq(tar_stream_bytes(ts), out->len);
	ck_assert_uint_eq(out->len % 512, 0);
	ck_assert_uint_gt(tar_stream_entries(ts), 10);
	tar_stream_free(ts);
	strbuf_release(&dir);
	strbuf_release(&err);
}

/* Extract with GNU tar; returns its exit status. */
static int
gnu_tar_extract(const struct strbuf *archive)
{
	struct strbuf file = STRBUF_INIT, err = STRBUF_INIT, out = STRBUF_INIT;
	pid_t pid;
	int status;

	strbuf_addf(&file, "%s/archive.tar", top);
	strbuf_addf(&out, "%s/out", top);
	ck_assert_int_eq(mkdir(out.buf, 0755), 0);
	ck_assert_int_eq(write_file_atomic(file.buf, archive->buf, archive->len,
					   0600, &err),
			 0);
	pid = fork();
	if (!pid) {
		execl("/bin/tar", "tar", "-x", "-p", "--numeric-owner",
		      "--warning=no-unknown-keyword", "-f", file.buf, "-C",
		      out.buf, (char *)NULL);
		_exit(127);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	strbuf_release(&file);
	strbuf_release(&err);
	strbuf_release(&out);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void
assert_same_file(const char *rel)
{
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT, p = STRBUF_INIT;

	path_of(&p, "src", rel);
	ck_assert_int_eq(strbuf_read_file(&a, p.buf, 0), 0);
	path_of(&p, "out", rel);
	ck_assert_msg(strbuf_read_file(&b, p.buf, 0) == 0, "%s missing", p.buf);
	ck_assert_uint_eq(a.len, b.len);
	ck_assert(!memcmp(a.buf, b.buf, a.len));
	strbuf_release(&a);
	strbuf_release(&b);
	strbuf_release(&p);
}

static int
out_exists(const char *rel)
{
	struct strbuf p = STRBUF_INIT;
	struct stat st;
	int ret;

	path_of(&p, "out", rel);
	ret = lstat(p.buf, &st) == 0;
	strbuf_release(&p);
	return ret;
}

static void
out_stat(const char *rel, struct stat *st)
{
	struct strbuf p = STRBUF_INIT;

	path_of(&p, "out", rel);
	ck_assert_msg(lstat(p.buf, st) == 0, "%s: %s", p.buf, strerror(errno));
	strbuf_release(&p);
}

START_TEST(test_tarstream_gnu_tar_reads_everything)
{
	struct strbuf tar = STRBUF_INIT, q = STRBUF_INIT, p = STRBUF_INIT;
	struct stat st, st2;
	char link[4096];
	ssize_t n;

	stream_to(&tar, NULL);
	ck_assert_int_eq(gnu_tar_extract(&tar), 0);
	assert_same_file("etc/os-release");
	assert_same_file("etc/empty");
	assert_same_file("usr/lib/big");
	assert_same_file("usr/share/man/man1/ls.1");
	strbuf_addf(&q, "%s/%s", long_dir, very_long_name);
	assert_same_file(q.buf);
	strbuf_reset(&q);
	strbuf_addf(&q, "%s/short", long_dir);
	assert_same_file(q.buf);

	/* Modes, symlinks, hard links, devices, FIFOs, owners. */
	out_stat("etc/os-release", &st);
	ck_assert_int_eq(st.st_mode & 07777, 0640);
	out_stat("tmp", &st);
	ck_assert_int_eq(st.st_mode & 07777, 01777);
	path_of(&p, "out", "bin/sh");
	n = readlink(p.buf, link, sizeof(link) - 1);
	ck_assert_int_gt(n, 0);
	link[n] = '\0';
	ck_assert_str_eq(link, "busybox");
	path_of(&p, "out", "bin/long-link");
	n = readlink(p.buf, link, sizeof(link) - 1);
	ck_assert_int_gt(n, 100);
	link[n] = '\0';
	strbuf_reset(&q);
	strbuf_addf(&q, "../%s/%s", long_dir, very_long_name);
	ck_assert_str_eq(link, q.buf);
	out_stat("usr/lib/big", &st);
	out_stat("usr/lib/big-hardlink", &st2);
	ck_assert_int_eq(st.st_ino, st2.st_ino);
	ck_assert_int_eq(st.st_nlink, 2);
	out_stat("dev/null", &st);
	ck_assert(S_ISCHR(st.st_mode));
	ck_assert_int_eq(major(st.st_rdev), 1);
	ck_assert_int_eq(minor(st.st_rdev), 3);
	out_stat("dev/loop9", &st);
	ck_assert(S_ISBLK(st.st_mode));
	ck_assert_int_eq(minor(st.st_rdev), 9);
	out_stat("dev/initctl", &st);
	ck_assert(S_ISFIFO(st.st_mode));
	out_stat("etc/owned", &st);
	ck_assert_int_eq(st.st_uid, 3000000); /* a pax uid */
	ck_assert_int_eq(st.st_gid, 42);
	out_stat("empty-dir", &st);
	ck_assert(S_ISDIR(st.st_mode));
	strbuf_release(&tar);
	strbuf_release(&q);
	strbuf_release(&p);
}
END_TEST

START_TEST(test_tarstream_minimize_leaves_source_alone)
{
	struct engine_strlist ex = ENGINE_STRLIST_INIT;
	struct strbuf tar = STRBUF_INIT, p = STRBUF_INIT;
	const char **v;
	struct stat st;
	size_t i;

	imagebuild_exclusions(IMAGEBUILD_ALL, &ex);
	v = xcalloc(ex.nr + 1, sizeof(*v));
	for (i = 0; i < ex.nr; i++)
		v[i] = ex.items[i];
	stream_to(&tar, v);
	ck_assert_int_eq(gnu_tar_extract(&tar), 0);
	ck_assert(!out_exists("usr/share/man"));
	ck_assert(!out_exists("usr/share/doc"));
	ck_assert(!out_exists("usr/share/info"));
	ck_assert(!out_exists("etc/ld.so.cache"));
	ck_assert(!out_exists("sbin/sln"));
	ck_assert(!out_exists("var/cache/ldconfig/aux-cache"));
	ck_assert(out_exists("var/cache/ldconfig")); /* contents only */
	ck_assert(out_exists("sbin"));
	ck_assert(out_exists("usr/share/locale-keep/x")); /* not a prefix */
	ck_assert(out_exists("etc/os-release"));
	/* The source tree is untouched. */
	path_of(&p, "src", "usr/share/man/man1/ls.1");
	ck_assert_int_eq(stat(p.buf, &st), 0);
	path_of(&p, "src", "var/cache/ldconfig/aux-cache");
	ck_assert_int_eq(stat(p.buf, &st), 0);
	free(v);
	engine_strlist_release(&ex);
	strbuf_release(&tar);
	strbuf_release(&p);
}
END_TEST

START_TEST(test_tarstream_deterministic)
{
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;

	stream_to(&a, NULL);
	stream_to(&b, NULL);
	ck_assert_uint_eq(a.len, b.len);
	ck_assert(!memcmp(a.buf, b.buf, a.len));
	strbuf_release(&a);
	strbuf_release(&b);
}
END_TEST

START_TEST(test_tarstream_empty_and_missing)
{
	static const char *const all[] = { "bin",
					   "dev",
					   "empty-dir",
					   "etc",
					   "sbin",
					   "tmp",
					   "usr",
					   "var",
					   "a-directory-with-a-rather-long-"
					   "name-to-need-the-prefix-field",
					   NULL };
	struct strbuf err = STRBUF_INIT, p = STRBUF_INIT;

	path_of(&p, "src", "");
	ck_assert_int_eq(tar_tree_has_entries(p.buf, NULL, &err), 1);
	ck_assert_int_eq(tar_tree_has_entries(p.buf, all, &err), 0);
	path_of(&p, "src", "empty-dir");
	ck_assert_int_eq(tar_tree_has_entries(p.buf, NULL, &err), 0);
	path_of(&p, "src", "no-such-dir");
	ck_assert_int_eq(tar_tree_has_entries(p.buf, NULL, &err), -1);
	ck_assert_msg(strstr(err.buf, "no-such-dir: No such file or directory"),
		      "%s", err.buf);
	strbuf_reset(&err);
	path_of(&p, "src", "etc/os-release");
	ck_assert_ptr_null(tar_stream_new(p.buf, NULL, &err));
	ck_assert_msg(strstr(err.buf, "etc/os-release: not a directory"), "%s",
		      err.buf);
	strbuf_release(&err);
	strbuf_release(&p);
}
END_TEST

static const struct {
	const char *file, *content, *version;
} version_cases[] = {
	{ "etc/os-release", "NAME=x\nVERSION_ID=\"3.18\"\n", "3.18" },
	{ "etc/os-release", "VERSION_ID=12\n", "12" },
	{ "etc/os-release", "VERSION_ID='11.2'\r\n", "11.2" },
	{ "usr/lib/os-release", "VERSION_ID=7\n", "7" },
	{ "etc/redhat-release", "CentOS release 6.5 (Final)\n", "6.5" },
	{ "etc/redhat-release", "SME Server release 9.2\n", "9.2" },
	{ "etc/redhat-release", "no number\nhere 5\n", NULL },
	{ "etc/os-release", "NAME=nothing\n", NULL },
};

START_TEST(test_tarstream_detect_version)
{
	struct strbuf p = STRBUF_INIT;
	char *v = NULL;
	int ret;

	nftw(top, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	ck_assert_int_eq(mkdir(top, 0700), 0);
	put_file(version_cases[_i].file, version_cases[_i].content);
	path_of(&p, "src", "");
	ret = imagebuild_detect_version(p.buf, &v);
	if (version_cases[_i].version) {
		ck_assert_int_eq(ret, 0);
		ck_assert_str_eq(v, version_cases[_i].version);
	} else {
		ck_assert_int_eq(ret, 1);
		ck_assert_ptr_null(v);
	}
	free(v);
	strbuf_release(&p);
}
END_TEST

static Suite *
tarstream_suite(void)
{
	Suite *s = suite_create("tarstream");
	TCase *tc = tcase_create("stream");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_tarstream_gnu_tar_reads_everything);
	tcase_add_test(tc, test_tarstream_minimize_leaves_source_alone);
	tcase_add_test(tc, test_tarstream_deterministic);
	tcase_add_test(tc, test_tarstream_empty_and_missing);
	tcase_add_loop_test(tc, test_tarstream_detect_version, 0,
			    sizeof(version_cases) / sizeof(*version_cases));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(tarstream_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
