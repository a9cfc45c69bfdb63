/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef EXPAND_H
#define EXPAND_H

#include "strbuf.h"

/*
 * Template expansion as `expand-template` does it (ESMITH.md §3): collect
 * the fragments of a target from the queue (templates-custom, then
 * templates), read its metadata, expand every fragment in one package,
 * and write the output atomically, only when it changed.
 *
 * All paths are SME absolute paths, looked up below esmith_root().
 */
struct expand_opts {
	const char *target;	     /* e.g. "/etc/sysconfig/docker" */
	const char *output_filename; /* NULL: the target itself */
	const char *expand_queue;    /* NULL: default; else ':'-separated
					directories, highest first */
	/* MORE_DATA from the caller: NULL-terminated name, value pairs
	   (a NULL value deletes the name). Applied after the metadata's. */
	const char *const *more_data;
	int dry_run;	       /* write nothing; unified diff in *diff */
	struct strbuf *diff;   /* may be NULL unless dry_run */
	struct strbuf *output; /* OUTPUT_TYPE=string: the text here,
				  nothing written */
};

/*
 * Expand one target. Returns 1 when the output file changed (or would, in a
 * dry run), 0 when it was already up to date, -1 on error: then nothing was
 * written and `err` holds every message, one a line.
 */
int expand_template(const struct expand_opts *opts, struct strbuf *err);

#endif
