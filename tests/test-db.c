/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "util.h"

static struct db *
parse(const char *text)
{
	return db_parse("test", text, strlen(text));
}

START_TEST(test_db_parse_basic)
{
	struct db *db = parse("# comment\n\nb=service|TCPPort|22|status|"
			      "enabled\na=value\n");
	struct db_record *r;

	ck_assert_uint_eq(db_count(db), 2);
	r = db_record_at(db, 0);
	ck_assert_str_eq(db_record_key(r), "a");
	ck_assert_str_eq(db_record_type(r), "value");
	r = db_get(db, "b");
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(db_record_prop(r, "TCPPort"), "22");
	ck_assert_str_eq(db_record_prop(r, "type"), "service");
	ck_assert_ptr_null(db_record_prop(r, "missing"));
	db_free(db);
}
END_TEST

static Suite *
db_suite(void)
{
	Suite *s = suite_create("db");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, test_db_parse_basic);
	suite_add_tcase(s, tc);
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
