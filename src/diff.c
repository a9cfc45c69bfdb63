/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Line diff in unified format: Myers' greedy O(ND) algorithm with a saved
 * trace of the furthest-reaching paths, backtracked into an edit script,
 * then grouped into hunks with three lines of context.
 */
#include <stdlib.h>
#include <string.h>

#include "diff.h"
#include "util.h"
#include "banned.h"

#define DIFF_CONTEXT 3
/* Ints kept for the edit trace before falling back to replace-all. */
#define DIFF_TRACE_MAX (16u * 1024 * 1024)

struct diff_line {
	const char *s;
	size_t len; /* newline included when present */
};

struct diff_lines {
	struct diff_line *v;
	size_t n, alloc;
};

enum diff_op_type { DIFF_EQ, DIFF_DEL, DIFF_INS };

struct diff_op {
	enum diff_op_type type;
	size_t a; /* index in old (for INS: old lines before it) */
	size_t b; /* index in new (for DEL: new lines before it) */
};

struct diff_script {
	struct diff_op *v;
	size_t n, alloc;
};

static void
diff_split(const char *text, size_t len, struct diff_lines *out)
{
	size_t i = 0;

	while (i < len) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t end = nl ? (size_t)(nl - text) + 1 : len;

		out->v =
			xgrow(out->v, &out->alloc, out->n + 1, sizeof(*out->v));
		out->v[out->n].s = text + i;
		out->v[out->n].len = end - i;
		out->n++;
		i = end;
	}
}

static int
diff_line_eq(const struct diff_line *x, const struct diff_line *y)
{
	return x->len == y->len && !memcmp(x->s, y->s, x->len);
}

static void
diff_push(struct diff_script *sc, enum diff_op_type t, size_t a, size_t b)
{
	sc->v = xgrow(sc->v, &sc->alloc, sc->n + 1, sizeof(*sc->v));
	sc->v[sc->n].type = t;
	sc->v[sc->n].a = a;
	sc->v[sc->n].b = b;
	sc->n++;
}

/* Every old line deleted, then every new line inserted. */
static void
diff_replace_all(size_t n, size_t m, struct diff_script *sc)
{
	size_t i;

	for (i = 0; i < n; i++)
		diff_push(sc, DIFF_DEL, i, 0);
	for (i = 0; i < m; i++)
		diff_push(sc, DIFF_INS, n, i);
}

static void
diff_reverse(struct diff_script *sc)
{
	size_t i, j;

	for (i = 0, j = sc->n; i + 1 < j; i++, j--) {
		struct diff_op t = sc->v[i];

		sc->v[i] = sc->v[j - 1];
		sc->v[j - 1] = t;
	}
}

/* Walk the trace back from (n, m) to (0, 0), emitting ops in reverse. */
static void
diff_backtrack(const long *trace, const size_t *trace_at, long d_end, long n,
	       long m, struct diff_script *sc)
{
	long x = n, y = m, d;

	for (d = d_end; d > 0; d--) {
		const long *v = trace + trace_at[d] + d; /* v[k], |k| <= d */
		long k = x - y, pk, px, py;

		if (k == -d || (k != d && v[k - 1] < v[k + 1]))
			pk = k + 1;
		else
			pk = k - 1;
		px = v[pk];
		py = px - pk;
		while (x > px && y > py) {
			x--, y--;
			diff_push(sc, DIFF_EQ, (size_t)x, (size_t)y);
		}
		if (x == px) {
			y--;
			diff_push(sc, DIFF_INS, (size_t)x, (size_t)y);
		} else {
			x--;
			diff_push(sc, DIFF_DEL, (size_t)x, (size_t)y);
		}
		x = px, y = py;
	}
	while (x > 0 && y > 0) {
		x--, y--;
		diff_push(sc, DIFF_EQ, (size_t)x, (size_t)y);
	}
	diff_reverse(sc);
}

static void
diff_myers(const struct diff_lines *o, const struct diff_lines *w,
	   struct diff_script *sc)
{
	long n = (long)o->n, m = (long)w->n, max = n + m, d, k;
	long *v = xcalloc((size_t)(2 * max + 3), sizeof(*v));
	long *trace = NULL;
	size_t *trace_at = xcalloc((size_t)max + 2, sizeof(*trace_at));
	size_t tlen = 0, talloc = 0;
	long off = max + 1;

	v[off + 1] = 0;
	for (d = 0; d <= max; d++) {
		size_t need = tlen + (size_t)(2 * d + 1);

		if (need > DIFF_TRACE_MAX) {
			diff_replace_all(o->n, w->n, sc);
			goto out;
		}
		trace = xgrow(trace, &talloc, need, sizeof(*trace));
		trace_at[d] = tlen;
		memcpy(trace + tlen, v + off - d,
		       (size_t)(2 * d + 1) * sizeof(*v));
		tlen = need;
		for (k = -d; k <= d; k += 2) {
			long x, y;

			if (k == -d ||
			    (k != d && v[off + k - 1] < v[off + k + 1]))
				x = v[off + k + 1];
			else
				x = v[off + k - 1] + 1;
			y = x - k;
			while (x < n && y < m &&
			       diff_line_eq(&o->v[x], &w->v[y]))
				x++, y++;
			v[off + k] = x;
			if (x >= n && y >= m) {
				diff_backtrack(trace, trace_at, d, n, m, sc);
				goto out;
			}
		}
	}
out:
	free(v);
	free(trace);
	free(trace_at);
}

static void
diff_range(struct strbuf *out, char sign, size_t start, size_t count)
{
	if (count == 1)
		strbuf_addf(out, "%c%zu", sign, start + 1);
	else if (count == 0)
		strbuf_addf(out, "%c%zu,0", sign, start);
	else
		strbuf_addf(out, "%c%zu,%zu", sign, start + 1, count);
}

static void
diff_emit_line(struct strbuf *out, char sign, const struct diff_line *l)
{
	strbuf_addch(out, sign);
	strbuf_add(out, l->s, l->len);
	if (!l->len || l->s[l->len - 1] != '\n')
		strbuf_addstr(out, "\n\\ No newline at end of file\n");
}

static void
diff_emit_hunk(const struct diff_script *sc, size_t from, size_t to,
	       const struct diff_lines *o, const struct diff_lines *w,
	       struct strbuf *out)
{
	size_t i, na = 0, nb = 0;

	for (i = from; i < to; i++) {
		na += sc->v[i].type != DIFF_INS;
		nb += sc->v[i].type != DIFF_DEL;
	}
	strbuf_addstr(out, "@@ ");
	diff_range(out, '-', sc->v[from].a, na);
	strbuf_addch(out, ' ');
	diff_range(out, '+', sc->v[from].b, nb);
	strbuf_addstr(out, " @@\n");
	for (i = from; i < to; i++) {
		const struct diff_op *op = &sc->v[i];

		if (op->type == DIFF_EQ)
			diff_emit_line(out, ' ', &o->v[op->a]);
		else if (op->type == DIFF_DEL)
			diff_emit_line(out, '-', &o->v[op->a]);
		else
			diff_emit_line(out, '+', &w->v[op->b]);
	}
}

static void
diff_emit(const struct diff_script *sc, const struct diff_lines *o,
	  const struct diff_lines *w, struct strbuf *out)
{
	size_t i = 0;

	while (i < sc->n) {
		size_t start, j, last;

		if (sc->v[i].type == DIFF_EQ) {
			i++;
			continue;
		}
		start = i > DIFF_CONTEXT ? i - DIFF_CONTEXT : 0;
		last = i;
		for (j = i; j < sc->n; j++) {
			if (sc->v[j].type != DIFF_EQ)
				last = j;
			else if (j - last > 2 * DIFF_CONTEXT)
				break;
		}
		j = last + 1 + DIFF_CONTEXT;
		if (j > sc->n)
			j = sc->n;
		diff_emit_hunk(sc, start, j, o, w, out);
		i = j;
	}
}

int
diff_unified(const char *old_label, const char *old, size_t old_len,
	     const char *new_label, const char *new, size_t new_len,
	     struct strbuf *out)
{
	struct diff_lines o = { 0 }, w = { 0 };
	struct diff_script sc = { 0 };

	if (old_len == new_len && !memcmp(old, new, old_len))
		return 0;
	diff_split(old, old_len, &o);
	diff_split(new, new_len, &w);
	diff_myers(&o, &w, &sc);
	strbuf_addf(out, "--- %s\n+++ %s\n", old_label, new_label);
	diff_emit(&sc, &o, &w, out);
	free(o.v);
	free(w.v);
	free(sc.v);
	return 1;
}
