/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef TMPL_H
#define TMPL_H

#include <stddef.h>

#include "strbuf.h"

struct db;

/*
 * The fragment language: the subset of Perl that real SME fragments use,
 * with Text::Template semantics, evaluated natively.
 *
 * A `struct tmpl_ctx` is one expansion's package: every fragment expanded
 * with the same context shares its package variables (`our`, undeclared
 * globals, subs), as all fragments of one template share one package in
 * the original. `my` variables live only inside one block.
 *
 * Errors are appended to `err` as "<where>:<line>: <message>", one a line
 * (`where` is the fragment's name as given). Constructs outside the subset
 * (backticks, system, open, string eval, unknown modules) are errors
 * "<where>:<line>: unsupported construct '<construct>'".
 *
 * The subset (the case files in tests/tmpl hold 450 fragments with the
 * output Perl gives):
 * - scalars (64-bit integers, unsigned above 2**63, doubles printed with
 *   %.15g, strings with Perl's numification), arrays, hashes kept in
 *   insertion order, references, anonymous arrays/hashes/subs, closures;
 *   my/our/local, `use strict` (vars and refs), rvalue autovivification
 * - strings: '' q() "" qq() with interpolation of $x ${x} $h{k} $a[i]
 *   $r->{k}[i] @a @{[ ]} $#a, escapes \n \t \x.. \0.. \u \l \U \L \E,
 *   heredocs <<"X" <<'X' <<X <<~X, qw()
 * - every operator of Perl 5 but smartmatch, file tests -e -f -d -r -w
 *   -x -s -z -l below the sandbox root
 * - if/elsif/else, unless, while/until, C-style for, foreach (aliasing
 *   arrays), statement modifiers, next/last (also as `|| next`), return,
 *   do {}, eval {}, bare blocks, named and anonymous subs with @_ aliases
 * - builtins: defined ref lc uc lcfirst ucfirst length chr ord int abs
 *   hex oct sqrt exp log exists delete each keys values shift pop push
 *   unshift splice quotemeta undef chomp chop join split sprintf reverse
 *   sort (block or sub name) map grep die warn wantarray substr (4 args)
 *   index rindex scalar time localtime gmtime
 * - regexes through PCRE2: m// // qr// s/// (flags i g x s m e r) tr///
 *   (c d s r), captures $1.. $&, list and scalar //g with pos
 * - databases: `$DB`, esmith::ConfigDB / AccountsDB / HostsDB / NetworksDB
 *   / DomainsDB / DockerContainersDB / DockerImagesDB (and ::UTF8) ->open
 *   open_ro create; get get_prop get_value get_all get_all_by_prop keys
 *   set_prop users groups ibays hosts domains networks...; records: key
 *   prop props set_prop delete_prop merge_props; db_get db_get_prop
 *   db_get_type on $confref. Records hold the database and key only.
 * - processTemplate() for nested expansions (see struct tmpl_call)
 */

struct tmpl_ctx;

/* Limits that keep hostile fragments bounded (see tmpl_ctx_set_limits). */
struct tmpl_limits {
	size_t max_depth;  /* nesting of expressions, blocks and calls */
	size_t max_output; /* bytes one fragment may produce */
	size_t max_steps;  /* evaluation steps per fragment */
	size_t max_memory; /* bytes of values alive at once (approx.) */
};

struct tmpl_ctx *tmpl_ctx_new(void);
void tmpl_ctx_free(struct tmpl_ctx *ctx);
void tmpl_ctx_set_limits(struct tmpl_ctx *ctx, const struct tmpl_limits *l);

/*
 * Install the variables of ESMITH.md §3 from the configuration database:
 * `%key` (with `type`) for each record with properties, `$key` holding the
 * raw stored value for every record, `$DB` (the database object) and
 * `$confref`. With `all_records_as_scalars`, every record is only a scalar.
 * `db` must outlive the context.
 */
void tmpl_ctx_install_config(struct tmpl_ctx *ctx, struct db *db,
			     int all_records_as_scalars);

/* Set package scalar `$name` to a string, or delete `name` (value NULL). */
void
tmpl_ctx_set_scalar(struct tmpl_ctx *ctx, const char *name, const char *value);

/*
 * Evaluate `src`, a Perl expression that must yield a hash reference (a
 * MORE_DATA value such as `{ THIS => "x", EVENT => $x }`), and install each
 * pair as a package variable: a plain value as `$name`, an array ref as
 * `@name`, a hash ref as `%name`; undef deletes the name. Returns 0 or -1.
 */
int tmpl_ctx_more_data(struct tmpl_ctx *ctx, const char *src, const char *where,
		       struct strbuf *err);

/*
 * Evaluate the Perl expression `src` in scalar context and append its
 * string value to `out` (undef appends nothing and sets *is_undef when
 * given). Used for metadata values such as PERMS=0640 (gives "416"),
 * UID="root". Returns 0 or -1.
 */
int tmpl_eval_string(struct tmpl_ctx *ctx, const char *src, const char *where,
		     struct strbuf *out, int *is_undef, struct strbuf *err);

/*
 * Expand one fragment: literal text copied, each `{ ... }` block evaluated
 * and replaced by its value. Output is appended to `out`. On error, the
 * failing block contributes nothing, the remaining blocks still run, the
 * messages go to `err` and -1 is returned. Unbalanced braces are an error
 * naming the line of the unclosed brace.
 */
int
tmpl_expand_fragment(struct tmpl_ctx *ctx, const char *where, const char *text,
		     size_t len, struct strbuf *out, struct strbuf *err);

/*
 * processTemplate() in a fragment (also esmith::templates::processTemplate):
 * a nested expansion, as SME's httpd.conf expands its VirtualHosts. The
 * fragment language gathers the call's parameters into a struct tmpl_call
 * and hands it to the hook the expander set. The hook returns -1 with the
 * messages in `err`; 1 when the output was a string (OUTPUT_TYPE 'string',
 * the text in `out`, which the call returns); 0 when it was a file (the
 * call returns undef). A failed nested expansion makes the calling block
 * die with its messages. Without a hook, a call is an error.
 *
 * Both forms of the original are taken: processTemplate({ KEY => value,
 * ... }) and the older processTemplate($confref, $path [, $queue_dir]).
 */
struct tmpl_call {
	const char *where; /* the calling fragment and line, for messages */
	int line;
	/* the parameters given, as strings; NULL when not given */
	const char *template_path; /* always set */
	const char *output_filename, *output_prefix, *output_type;
	const char *perms, *uid, *gid;
	int have_delete, delete_file; /* DELETE given; its truth */
	const char *const *queue; /* TEMPLATE_EXPAND_QUEUE, NULL-terminated */
	/* private to the fragment language: the MORE_DATA (or CONFREF) hash
	   and the FILTER code; see tmpl_ctx_install_call() */
	void *more_data, *filter;
	int confref;
};

typedef int (*tmpl_process_fn)(const struct tmpl_call *call, struct strbuf *out,
			       struct strbuf *err);
void tmpl_set_process_hook(tmpl_process_fn fn);

/*
 * Install what a call passes to the nested expansion's context: with
 * `data`, each MORE_DATA (or CONFREF) pair as tmpl_ctx_more_data() does,
 * and `$confref` for CONFREF; with `filter_name`, the FILTER code as the
 * package scalar of that name. Returns what it installed: bit 0 data,
 * bit 1 the filter.
 */
int tmpl_ctx_install_call(struct tmpl_ctx *ctx, const struct tmpl_call *call,
			  int data, const char *filter_name);

/*
 * Code blocks are parsed once a process: a block with the same text, name
 * and first line reuses the program parsed before, its package variables
 * bound to the context that runs it (as a new parse would bind them).
 * tmpl_cache_clear() drops every kept program; tmpl_cache_count() says
 * how many are kept.
 */
void tmpl_cache_clear(void);
size_t tmpl_cache_count(void);

#endif
