/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef EXPAND_H
#define EXPAND_H

#include "strbuf.h"

struct tmpl_call;

/*
 * Template expansion as `expand-template` does it (ESMITH.md §3): collect
 * the fragments of a target from the queue (templates-custom, then
 * templates), read its metadata, expand every fragment in one package,
 * and write the output atomically, only when it changed.
 *
 * All paths are SME absolute paths, looked up below esmith_root().
 *
 * Metadata (/etc/e-smith/templates.metadata/<target>, a file of
 * `KEY=expression` lines or a directory with one file per key) is
 * evaluated with the fragment language before the fragments run:
 * PERMS, UID, GID, TEMPLATE_PATH, OUTPUT_FILENAME, OUTPUT_PREFIX,
 * MORE_DATA, FILTER, DELETE, TEMPLATE_EXPAND_QUEUE, OUTPUT_TYPE,
 * ALL_RECORDS_AS_SCALARS and CONFREF. Metadata values override the
 * options given here (as in the original), except `more_data`, which is
 * applied last.
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
	struct strbuf *output; /* when set: the text here, nothing written
				  (as with OUTPUT_TYPE=string) */
	/* When the metadata says OUTPUT_TYPE=string and `output` is NULL,
	   the text goes here (may be NULL: then it is dropped). */
	struct strbuf *string_result;
	int *was_string; /* may be NULL: set when the text was a string */
	/* a processTemplate() call from a fragment: its parameters, which
	   the target's metadata overrides */
	const struct tmpl_call *call;
};

/*
 * Expand one target. Returns 1 when the output file changed (or would, in a
 * dry run), 0 when it was already up to date, -1 on error: then nothing was
 * written and `err` holds every message, one a line.
 *
 * With DELETE true in the metadata the output file is removed instead
 * (1 when it existed). An output that is written gets a temp file (0600)
 * beside it, owner and mode set, and is renamed over the target only when
 * the content differs; otherwise only owner and mode are fixed. The owner
 * and mode of an existing file are kept unless the metadata gives them
 * (new files: 0644, owned by the caller). `<target>.rpmsave` and
 * `<target>.rpmnew` are removed.
 */
int expand_template(const struct expand_opts *opts, struct strbuf *err);

/*
 * Fragment files are kept in memory once read, and read again only when
 * they changed (device, inode, size, mode or times; see stat_settled()).
 * The number of fragments taken from memory so far:
 */
size_t expand_cache_hit_count(void);

#endif
