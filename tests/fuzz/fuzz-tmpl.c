/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target: the fragment language's parser and evaluator. Any
 * input expands without crashing, within the limits (depth, output,
 * steps, memory) set below. The sandbox root is a fresh temporary
 * directory, so database writes from fuzzed code stay inside it.
 *
 * The first byte chooses the mode: odd wraps the rest in `{ }` (code),
 * even takes it as a fragment with text and blocks.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "tmpl.h"
#include "util.h"

static const char confdb[] = "DomainName=example.com\n"
			     "sshd=service|TCPPort|22|status|enabled\n"
			     "httpd-admin=service|TCPPort|980|status|enabled\n"
			     "LocalIP=192.168.1.1\n";

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
	static int ready;
	struct strbuf src = STRBUF_INIT, out = STRBUF_INIT, err = STRBUF_INIT;
	struct tmpl_limits lim = { 64, 1u << 20, 20000, 32u << 20 };
	struct tmpl_ctx *ctx;
	struct db *db;

	if (!ready) {
		char dir[] = "/tmp/fuzz-tmpl-XXXXXX";
		if (!mkdtemp(dir))
			abort();
		esmith_set_root(dir);
		esmith_set_warn_hook(quiet, NULL);
		ready = 1;
	}
	if (size == 0)
		return 0;
	if (data[0] & 1) {
		strbuf_addstr(&src, "{");
		strbuf_add(&src, data + 1, size - 1);
		strbuf_addstr(&src, "\n}");
	} else {
		strbuf_add(&src, data + 1, size - 1);
	}
	db = db_parse("configuration", confdb, sizeof(confdb) - 1);
	ctx = tmpl_ctx_new();
	tmpl_ctx_set_limits(ctx, &lim);
	tmpl_ctx_install_config(ctx, db, 0);
	tmpl_expand_fragment(ctx, "fuzz", src.buf, src.len, &out, &err);
	if (out.len > 2 * lim.max_output + src.len)
		abort();
	tmpl_ctx_free(ctx);
	db_free(db);
	strbuf_release(&src);
	strbuf_release(&out);
	strbuf_release(&err);
	return 0;
}
