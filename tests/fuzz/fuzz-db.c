/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target: the database parser and writer. Any input parses
 * without crashing; what is written parses back to the same text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "util.h"

static void
quiet(const char *msg, void *data)
{
	(void)msg;
	(void)data;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strbuf once = STRBUF_INIT, twice = STRBUF_INIT;
	struct db *db, *back;

	esmith_set_warn_hook(quiet, NULL);
	db = db_parse("fuzz", (const char *)data, size);
	db_serialize(db, &once, 0);
	back = db_parse("fuzz", once.buf, once.len);
	db_serialize(back, &twice, 0);
	if (once.len != twice.len || memcmp(once.buf, twice.buf, once.len))
		abort();
	if (db_read_problems(back) != 0)
		abort();
	db_free(db);
	db_free(back);
	strbuf_release(&once);
	strbuf_release(&twice);
	return 0;
}
