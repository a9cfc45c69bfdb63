/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "util.h"

START_TEST(test_strbuf_init_is_empty)
{
	struct strbuf sb = STRBUF_INIT;

	ck_assert_ptr_nonnull(sb.buf);
	ck_assert_uint_eq(sb.len, 0);
	ck_assert_str_eq(sb.buf, "");
	strbuf_release(&sb);
}
END_TEST

START_TEST(test_strbuf_add_grows)
{
	struct strbuf sb = STRBUF_INIT;
	int i;

	for (i = 0; i < 10000; i++)
		strbuf_addch(&sb, 'a' + i % 26);
	ck_assert_uint_eq(sb.len, 10000);
	ck_assert_int_eq(sb.buf[26], 'a');
	ck_assert_int_eq(sb.buf[10000], '\0');
	strbuf_addf(&sb, "%d-%s", 42, "x");
	ck_assert_str_eq(sb.buf + 10000, "42-x");
	strbuf_release(&sb);
}
END_TEST

START_TEST(test_strbuf_addf_long)
{
	struct strbuf sb = STRBUF_INIT;
	char big[3000];

	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	strbuf_addf(&sb, "<%s>", big);
	ck_assert_uint_eq(sb.len, sizeof(big) + 1);
	ck_assert_int_eq(sb.buf[0], '<');
	ck_assert_int_eq(sb.buf[sb.len - 1], '>');
	strbuf_release(&sb);
}
END_TEST

START_TEST(test_strbuf_detach_and_chomp)
{
	struct strbuf sb = STRBUF_INIT;
	char *s;
	size_t len;

	strbuf_addstr(&sb, "line\r\n\n");
	strbuf_chomp(&sb);
	ck_assert_str_eq(sb.buf, "line");
	s = strbuf_detach(&sb, &len);
	ck_assert_uint_eq(len, 4);
	ck_assert_str_eq(s, "line");
	ck_assert_uint_eq(sb.len, 0);
	free(s);
	s = strbuf_detach(&sb, NULL); /* empty detach still gives a buffer */
	ck_assert_str_eq(s, "");
	free(s);
}
END_TEST

START_TEST(test_strbuf_read_file_limits)
{
	struct strbuf sb = STRBUF_INIT;

	ck_assert_int_lt(strbuf_read_file(&sb, "/nonexistent/x", 0), 0);
	ck_assert_int_eq(strbuf_read_file(&sb, "/proc/self/cmdline", 0), 0);
	ck_assert_uint_gt(sb.len, 0);
	strbuf_reset(&sb);
	strbuf_addch(&sb, 'k');
	/* over the cap: an error, and the buffer is left as it was */
	ck_assert_int_lt(strbuf_read_file(&sb, "/proc/self/cmdline", 1), 0);
	ck_assert_str_eq(sb.buf, "k");
	strbuf_release(&sb);
	/* a failed read into an empty buffer leaves no allocation behind */
	ck_assert_int_lt(strbuf_read_file(&sb, "/", 0), 0);
	ck_assert_uint_eq(sb.alloc, 0);
	ck_assert_ptr_eq(sb.buf, strbuf_slopbuf);
	strbuf_release(&sb);
}
END_TEST

/* struct ptab: entries found again after the table grew, colliding
   hashes told apart by the comparison, NULL for absent keys. */
struct ptab_ent {
	unsigned long hash;
	int key;
};

static int
ptab_ent_eq(const void *entry, const void *key)
{
	return ((const struct ptab_ent *)entry)->key == *(const int *)key;
}

/* two keys a hash, spread over the bits that pick a slot */
#define PTAB_TEST_HASH(i) ((unsigned long)((i) / 2) * 0x9e3779b97f4a7c15ul)

START_TEST(test_ptab_grows_and_finds)
{
	struct ptab t = { 0 };
	struct ptab_ent *e;
	int i = 0;

	ck_assert_ptr_null(ptab_find(&t, 0, ptab_ent_eq, &i));
	for (i = 0; i < 1000; i++) {
		unsigned long h = PTAB_TEST_HASH(i);

		ck_assert_ptr_null(ptab_find(&t, h, ptab_ent_eq, &i));
		e = xmalloc(sizeof(*e));
		e->hash = h;
		e->key = i;
		ptab_add(&t, e);
		ck_assert_uint_ge(t.cap, 2 * t.n);
	}
	ck_assert_uint_eq(t.n, 1000);
	for (i = 0; i < 1000; i++) {
		e = ptab_find(&t, PTAB_TEST_HASH(i), ptab_ent_eq, &i);
		ck_assert_ptr_nonnull(e);
		ck_assert_int_eq(e->key, i);
	}
	i = 1000;
	ck_assert_ptr_null(ptab_find(&t, PTAB_TEST_HASH(i), ptab_ent_eq, &i));
	for (size_t k = 0; k < t.cap; k++)
		free(t.v[k]);
	ptab_release(&t);
	ck_assert_ptr_null(t.v);
	ck_assert_uint_eq(t.n, 0);
}
END_TEST

static Suite *
strbuf_suite(void)
{
	Suite *s = suite_create("strbuf");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_strbuf_init_is_empty);
	tcase_add_test(tc, test_strbuf_add_grows);
	tcase_add_test(tc, test_strbuf_addf_long);
	tcase_add_test(tc, test_strbuf_detach_and_chomp);
	tcase_add_test(tc, test_strbuf_read_file_limits);
	tcase_add_test(tc, test_ptab_grows_and_finds);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(strbuf_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
