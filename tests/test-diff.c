/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "diff.h"
#include "strbuf.h"
#include "util.h"

/* Expected texts are what GNU `diff -u --label old --label new` prints. */
static const struct {
	const char *old, *new, *expect;
} diff_cases[] = {
	{ "a\nb\n", "a\nb\n", "" },
	{ "", "a\nb\n", "--- old\n+++ new\n@@ -0,0 +1,2 @@\n+a\n+b\n" },
	{ "a\nb\n", "", "--- old\n+++ new\n@@ -1,2 +0,0 @@\n-a\n-b\n" },
	{ "x\ny\n", "x\n", "--- old\n+++ new\n@@ -1,2 +1 @@\n x\n-y\n" },
	{ "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\nm\nn\n",
	  "a\nB\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\nm\nn\nN2",
	  "--- old\n+++ new\n@@ -1,5 +1,5 @@\n a\n-b\n+B\n c\n d\n e\n"
	  "@@ -12,3 +12,4 @@\n l\n m\n n\n+N2\n\\ No newline at end of file\n" },
	{ "a\nb\nc\nd\ne\nf\ng\nh\n", "a\nb\nc\nX\ne\nf\ng\nh\n",
	  "--- old\n+++ new\n@@ -1,7 +1,7 @@\n a\n b\n c\n-d\n+X\n e\n f\n g\n" },
	/* changes six lines apart share one hunk, seven apart do not */
	{ "1\n2\n3\n4\n5\n6\n7\n8\n", "0\n2\n3\n4\n5\n6\n7\n0\n",
	  "--- old\n+++ new\n@@ -1,8 +1,8 @@\n-1\n+0\n 2\n 3\n 4\n 5\n 6\n 7\n"
	  "-8\n+0\n" },
	{ "1\n2\n3\n4\n5\n6\n7\n8\n9\n", "0\n2\n3\n4\n5\n6\n7\n8\n0\n",
	  "--- old\n+++ new\n@@ -1,4 +1,4 @@\n-1\n+0\n 2\n 3\n 4\n"
	  "@@ -6,4 +6,4 @@\n 6\n 7\n 8\n-9\n+0\n" },
	{ "a", "b",
	  "--- old\n+++ new\n@@ -1 +1 @@\n-a\n\\ No newline at end "
	  "of file\n+b\n\\ No newline at end of file\n" },
};

START_TEST(test_diff_matches_gnu_diff)
{
	struct strbuf out = STRBUF_INIT;
	int r = diff_unified(
		"old", diff_cases[_i].old, strlen(diff_cases[_i].old), "new",
		diff_cases[_i].new, strlen(diff_cases[_i].new), &out);

	ck_assert_str_eq(out.buf, diff_cases[_i].expect);
	ck_assert_int_eq(r, diff_cases[_i].expect[0] != '\0');
	strbuf_release(&out);
}
END_TEST

/* Apply a unified diff (as produced above) to `old`; NULL on mismatch. */
static char *
diff_apply(const char *old, const char *patch)
{
	struct strbuf res = STRBUF_INIT;
	const char *o = old, *p = strstr(patch, "@@");

	while (p && *p) {
		unsigned long cur;

		p = strchr(p, '\n') + 1;
		while (*p && strncmp(p, "@@", 2)) {
			const char *e = strchr(p, '\n');
			size_t n = (size_t)(e - p);
			int nonl = !strncmp(e + 1, "\\ No newline", 12);

			if (*p == ' ' || *p == '-') {
				if (strncmp(o, p + 1, n - 1))
					goto bad;
				o += n - 1 + !nonl;
			}
			if (*p == ' ' || *p == '+') {
				strbuf_add(&res, p + 1, n - 1);
				if (!nonl)
					strbuf_addch(&res, '\n');
			}
			p = e + 1;
			if (nonl)
				p = strchr(p, '\n') + 1;
		}
		if (*p && !strncmp(p, "@@", 2)) {
			/* copy unchanged lines between hunks */
			unsigned long next = strtoul(p + 4, NULL, 10);
			const char *q = old;

			for (cur = 1; cur < next; cur++)
				q = strchr(q, '\n') + 1;
			strbuf_add(&res, o, (size_t)(q - o));
			o = q;
		}
	}
	strbuf_addstr(&res, o);
	return strbuf_detach(&res, NULL);
bad:
	strbuf_release(&res);
	return NULL;
}

static void
random_text(struct strbuf *sb, unsigned *seed, int lines)
{
	int i;

	for (i = 0; i < lines; i++)
		strbuf_addf(sb, "%c\n", 'a' + (int)(rand_r(seed) % 4));
}

START_TEST(test_diff_patch_applies)
{
	unsigned seed = 7;
	int round;

	for (round = 0; round < 300; round++) {
		struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
		struct strbuf out = STRBUF_INIT;
		char *full, *applied;

		random_text(&a, &seed, (int)(rand_r(&seed) % 30));
		random_text(&b, &seed, (int)(rand_r(&seed) % 30));
		diff_unified("old", a.buf, a.len, "new", b.buf, b.len, &out);
		/* start from the first hunk: context before it is unchanged */
		full = xstrdup(a.buf);
		if (out.len) {
			const char *h = strstr(out.buf, "@@");
			unsigned long start = strtoul(h + 4, NULL, 10);
			const char *q = full;
			unsigned long cur;
			struct strbuf res = STRBUF_INIT;

			for (cur = 1; cur < start; cur++)
				q = strchr(q, '\n') + 1;
			strbuf_add(&res, full, (size_t)(q - full));
			applied = diff_apply(q, h);
			ck_assert_ptr_nonnull(applied);
			strbuf_addstr(&res, applied);
			free(applied);
			ck_assert_str_eq(res.buf, b.buf);
			strbuf_release(&res);
		} else {
			ck_assert_str_eq(a.buf, b.buf);
		}
		free(full);
		strbuf_release(&a);
		strbuf_release(&b);
		strbuf_release(&out);
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("diff");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_diff_matches_gnu_diff, 0,
			    (int)(sizeof(diff_cases) / sizeof(diff_cases[0])));
	tcase_add_test(tc, test_diff_patch_applies);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
