/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * docker-mkimage REPO TAG [CMD...]
 *
 * Test helper: import the tar stream on stdin as image REPO:TAG through
 * the engine client (engine_image_import), with CMD as the image's
 * command. Prints the image ID.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "engine.h"
#include "util.h"

static ssize_t
read_stdin(void *data, char *buf, size_t len, struct strbuf *err)
{
	ssize_t n = read(0, buf, len);

	(void)data;
	if (n < 0)
		strbuf_addstr(err, "cannot read the tar stream");
	return n;
}

int
main(int argc, char **argv)
{
	struct strbuf err = STRBUF_INIT, change = STRBUF_INIT;
	struct engine_strlist changes = ENGINE_STRLIST_INIT;
	struct engine_import imp = { 0 };
	struct engine *e;
	char *id = NULL;
	int ret = 1;

	esmith_set_progname(argv[0]);
	if (argc < 3) {
		fputs("usage: docker-mkimage REPO TAG [CMD...] <tar\n", stderr);
		return 2;
	}
	e = engine_open_default(NULL, NULL, &err);
	if (!e)
		goto out;
	if (argc > 3) {
		engine_change_cmd(&change, (const char *const *)argv + 3);
		engine_strlist_add(&changes, change.buf);
	}
	imp.repo = argv[1];
	imp.tag = argv[2];
	imp.changes = &changes;
	imp.read = read_stdin;
	if (engine_image_import(e, &imp, &id, &err) < 0)
		goto out;
	printf("%s\n", id);
	ret = 0;
out:
	if (ret)
		fprintf(stderr, "docker-mkimage: %s\n", err.buf);
	free(id);
	engine_strlist_release(&changes);
	strbuf_release(&change);
	strbuf_release(&err);
	engine_free(e);
	return ret;
}
