/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * expand-template: expand the templates of one target file
 * (ESMITH.md §3). Exits 0 on success, 1 when an expansion failed (the
 * target is then left untouched), 255 on a usage error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expand.h"
#include "util.h"
#include "banned.h"

#define EXIT_USAGE 255

static const char usage_text[] =
	"usage: expand-template [--root DIR] [--output_filename=FILE]\n"
	"                       [--expand_queue=DIR[:DIR...]] [--dry-run] "
	"/target/path\n"
	"\n"
	"Expands the fragments of /target/path from /etc/e-smith/"
	"templates-custom\n"
	"and /etc/e-smith/templates into the target file.\n"
	"\n"
	"  --output_filename=FILE  write FILE instead of the target\n"
	"  --expand_queue=DIRS     template directories, highest precedence "
	"first\n"
	"  --dry-run               print a unified diff of what would change,\n"
	"                          write nothing (exit 0 either way)\n"
	"  --root DIR              work below DIR (also ESMITH_ROOT)\n"
	"  --help                  print this help\n";

static int
usage(const char *why)
{
	if (why)
		fprintf(stderr, "expand-template: %s\n", why);
	fputs(usage_text, stderr);
	return EXIT_USAGE;
}

/* Match `--name=value` or `--name value`; advances *i over a value. */
static int
option_value(int argc, char **argv, int *i, const char *name, const char **val)
{
	size_t n = strlen(name);

	if (strncmp(argv[*i], name, n))
		return 0;
	if (argv[*i][n] == '=') {
		*val = argv[*i] + n + 1;
		return 1;
	}
	if (argv[*i][n] || *i + 1 >= argc)
		return 0;
	*val = argv[++*i];
	return 1;
}

int
main(int argc, char **argv)
{
	struct strbuf err = STRBUF_INIT, diff = STRBUF_INIT;
	struct strbuf string_out = STRBUF_INIT;
	struct expand_opts opts = { 0 };
	int i, ret;

	esmith_set_progname(argv[0]);
	if (esmith_parse_root_option(&argc, &argv, &err) < 0)
		return usage(err.buf);
	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			fputs(usage_text, stdout);
			return 0;
		}
		if (!strcmp(a, "--dry-run"))
			opts.dry_run = 1;
		else if (!option_value(argc, argv, &i, "--output_filename",
				       &opts.output_filename) &&
			 !option_value(argc, argv, &i, "--expand_queue",
				       &opts.expand_queue)) {
			strbuf_addf(&err, "unknown option '%s'", a);
			return usage(err.buf);
		}
	}
	if (i != argc - 1)
		return usage(i == argc ? "missing the target path"
				       : "only one target path is allowed");
	opts.target = argv[i];
	if (opts.target[0] != '/')
		return usage("the target path must be absolute");
	opts.diff = &diff;
	opts.string_result = &string_out;
	ret = expand_template(&opts, &err);
	fwrite(diff.buf, 1, diff.len, stdout);
	fwrite(string_out.buf, 1, string_out.len, stdout);
	if (ret < 0)
		fprintf(stderr, "%s\nexpand-template: %s: expansion failed\n",
			err.buf, opts.target);
	strbuf_release(&err);
	strbuf_release(&diff);
	strbuf_release(&string_out);
	return ret < 0 ? 1 : 0;
}
