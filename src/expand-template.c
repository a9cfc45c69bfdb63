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

/* Parse the options into `opts`; returns the target's index, -2 for
   --help, or -1 with the reason in `why`. */
static int
parse_args(int argc, char **argv, struct expand_opts *opts, struct strbuf *why)
{
	int i;

	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (!strcmp(a, "--help") || !strcmp(a, "-h"))
			return -2;
		if (!strcmp(a, "--dry-run"))
			opts->dry_run = 1;
		else if (!option_value(argc, argv, &i, "--output_filename",
				       &opts->output_filename) &&
			 !option_value(argc, argv, &i, "--expand_queue",
				       &opts->expand_queue)) {
			strbuf_addf(why, "unknown option '%s'", a);
			return -1;
		}
	}
	if (i != argc - 1) {
		strbuf_addstr(why, i == argc
					   ? "missing the target path"
					   : "only one target path is allowed");
		return -1;
	}
	if (argv[i][0] != '/') {
		strbuf_addstr(why, "the target path must be absolute");
		return -1;
	}
	return i;
}

int
main(int argc, char **argv)
{
	struct strbuf err = STRBUF_INIT, diff = STRBUF_INIT;
	struct strbuf string_out = STRBUF_INIT;
	struct expand_opts opts = { 0 };
	int i, ret, code;

	esmith_set_progname(argv[0]);
	if (esmith_parse_root_option(&argc, &argv, &err) < 0 ||
	    (i = parse_args(argc, argv, &opts, &err)) == -1) {
		code = usage(err.buf);
		goto out;
	}
	if (i == -2) {
		fputs(usage_text, stdout);
		code = 0;
		goto out;
	}
	opts.target = argv[i];
	opts.diff = &diff;
	opts.string_result = &string_out;
	ret = expand_template(&opts, &err);
	fwrite(diff.buf, 1, diff.len, stdout);
	fwrite(string_out.buf, 1, string_out.len, stdout);
	if (ret < 0)
		fprintf(stderr, "%s\nexpand-template: %s: expansion failed\n",
			err.buf, opts.target);
	code = ret < 0 ? 1 : 0;
out:
	strbuf_release(&err);
	strbuf_release(&diff);
	strbuf_release(&string_out);
	return code;
}
