/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Lexer and parser of the fragment language: a hand-written lexer with one
 * token of lookahead, and a recursive-descent parser building a syntax
 * tree in an arena. Binary operators go through a precedence table.
 *
 * Perl's lexing depends on what the parser expects: `/` starts a pattern
 * where a term is expected and divides after one. The lexer tracks this
 * from the previous token (`want_term`).
 */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tmpl-int.h"
#include "util.h"
#include "banned.h"

/* ---- arena ---------------------------------------------------------- */

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, size;
	max_align_t data[];
};

static void *
arena_alloc(struct prog *p, size_t n)
{
	struct arena_chunk *c = p->chunks;

	n = (n + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
	if (!c || c->used + n > c->size) {
		/* small blocks are the rule: start small, then double */
		size_t size =
			c ? (c->size < 16384 ? 2 * c->size : 16384) : 1024;
		if (size < n)
			size = n;
		c = xmalloc(sizeof(*c) + size);
		c->size = size;
		c->used = 0;
		c->next = p->chunks;
		p->chunks = c;
	}
	void *r = (char *)c->data + c->used;
	c->used += n;
	memset(r, 0, n);
	return r;
}

static char *
arena_strndup(struct prog *p, const char *s, size_t n)
{
	char *r = arena_alloc(p, n + 1);

	memcpy(r, s, n);
	r[n] = '\0';
	return r;
}

void
prog_unref(struct prog *p)
{
	if (!p || --p->refcnt)
		return;
	for (size_t i = 0; i < p->nglobs; i++)
		obj_unref(p->globs[i]);
	free(p->globs);
	free(p->sites);
	for (struct regex *r = p->regexes; r; r = r->next)
		tmpl_regex_release(r);
	for (size_t i = 0; i < p->nconsts; i++)
		obj_unref(p->consts[i]);
	free(p->consts);
	while (p->chunks) {
		struct arena_chunk *c = p->chunks;
		p->chunks = c->next;
		free(c);
	}
	free(p->where);
	free(p);
}

/* ---- lexer ---------------------------------------------------------- */

enum tok {
	T_EOF,
	T_NUM,
	T_STR,	/* literal string, escapes done */
	T_ISTR, /* interpolating string, raw */
	T_VAR,	/* sigil + name */
	T_IDENT,
	T_OP,
	T_MATCH,
	T_SUBST,
	T_TRANS,
	T_QW,
	T_CAST, /* a sigil before { or $ */
};

struct token {
	enum tok t;
	int line;
	const char *s; /* name, op text, string body */
	size_t len;
	char sigil; /* T_VAR, T_CAST: $ @ % & or '#' for $# */
	struct val num;
	const char *s2; /* replacement (s///, tr///) */
	size_t len2;
	unsigned flags;
	int regex_quote; /* pattern delimiter was ' */
	int space_after;
};

struct lexer {
	const char *src, *end, *p;
	int line;
	int want_term;
	/* heredoc bodies already consumed: skip them at the next newline */
	const char *hd_nl, *hd_resume;
	int hd_lines;
};

struct scope_var {
	char sigil;
	const char *name;
	size_t len;
	int slot;
};

struct parser {
	struct lexer lx;
	struct token tok;
	struct prog *prog;
	struct tmpl_ctx *ctx;
	const char *where;
	struct strbuf *err;
	jmp_buf jb;
	int depth, max_depth;
	struct scope_var *vars;
	size_t nvars, avars;
	int nslots;
	int in_sub;
	size_t sub_base;      /* first var of the current sub */
	size_t outer_base;    /* first var of the function around it */
	struct node *cur_sub; /* the sub being parsed */
	int strict_vars, strict_refs;
	/* strbufs in use by nested interpolations, released on error */
	struct strbuf *live[64];
	int nlive;
};

static _Noreturn void perr(struct parser *ps, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static _Noreturn void
perr(struct parser *ps, int line, const char *fmt, ...)
{
	va_list ap;

	strbuf_addf(ps->err, "%s:%d: ", ps->where, line);
	va_start(ap, fmt);
	strbuf_vaddf(ps->err, fmt, ap);
	va_end(ap);
	strbuf_addch(ps->err, '\n');
	longjmp(ps->jb, 1);
}

static _Noreturn void
unsupported(struct parser *ps, int line, const char *what, size_t len)
{
	perr(ps, line, "unsupported construct '%.*s'", (int)len, what);
}

static int
is_idstart(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int
is_idchar(int c)
{
	return is_idstart(c) || (c >= '0' && c <= '9');
}

static int
is_dig(int c)
{
	return c >= '0' && c <= '9';
}

static int
is_sp(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static void
lx_newline(struct parser *ps)
{
	struct lexer *lx = &ps->lx;

	lx->line++;
	if (lx->hd_nl && lx->p - 1 == lx->hd_nl) {
		lx->p = lx->hd_resume;
		lx->line += lx->hd_lines;
		lx->hd_nl = lx->hd_resume = NULL;
		lx->hd_lines = 0;
	}
}

static void
lx_skip_space(struct parser *ps)
{
	struct lexer *lx = &ps->lx;

	for (;;) {
		while (lx->p < lx->end && is_sp((unsigned char)*lx->p)) {
			if (*lx->p++ == '\n')
				lx_newline(ps);
		}
		if (lx->p < lx->end && *lx->p == '#') {
			while (lx->p < lx->end && *lx->p != '\n')
				lx->p++;
			continue;
		}
		/* POD: =word at the start of a line up to =cut */
		if (lx->p < lx->end && *lx->p == '=' &&
		    (lx->p == lx->src || lx->p[-1] == '\n') &&
		    lx->p + 1 < lx->end &&
		    is_idstart((unsigned char)lx->p[1])) {
			while (lx->p < lx->end) {
				const char *nl =
					memchr(lx->p, '\n', lx->end - lx->p);
				int cut = lx->end - lx->p >= 4 &&
					  memcmp(lx->p, "=cut", 4) == 0;
				lx->p = nl ? nl + 1 : lx->end;
				if (nl)
					lx_newline(ps);
				if (cut)
					break;
			}
			continue;
		}
		break;
	}
}

static char
closing_delim(char c)
{
	switch (c) {
	case '(':
		return ')';
	case '[':
		return ']';
	case '{':
		return '}';
	case '<':
		return '>';
	default:
		return c;
	}
}

/*
 * Read a delimited body starting at lx->p (just after the opening
 * delimiter `open`). Returns the raw body; lx->p ends after the closing
 * delimiter. Backslash-escaped delimiters stay escaped in the body.
 */
static const char *
lx_delimited(struct parser *ps, char open, size_t *len)
{
	struct lexer *lx = &ps->lx;
	char close = closing_delim(open);
	int depth = 1, line = lx->line;
	const char *start = lx->p;

	while (lx->p < lx->end) {
		char c = *lx->p;
		if (c == '\\' && lx->p + 1 < lx->end) {
			if (lx->p[1] == '\n')
				lx->line++;
			lx->p += 2;
			continue;
		}
		if (c == '\n')
			lx->line++;
		if (c == close && --depth == 0) {
			*len = (size_t)(lx->p - start);
			lx->p++;
			return start;
		}
		if (c == open && open != close)
			depth++;
		lx->p++;
	}
	perr(ps, line,
	     "can't find string terminator \"%c\" anywhere before EOF", close);
}

/* Unescape a single-quoted body: only \\ and \<delim> are escapes. */
static const char *
unescape_single(struct parser *ps, const char *s, size_t len, char open,
		size_t *outlen)
{
	char *r = arena_alloc(ps->prog, len + 1);
	char close = closing_delim(open);
	size_t j = 0;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\\' && i + 1 < len &&
		    (s[i + 1] == '\\' || s[i + 1] == open || s[i + 1] == close))
			i++;
		r[j++] = s[i];
	}
	r[j] = '\0';
	*outlen = j;
	return r;
}

static unsigned
lx_flags(struct parser *ps, const char *allowed)
{
	struct lexer *lx = &ps->lx;
	unsigned f = 0;

	while (lx->p < lx->end && is_idchar((unsigned char)*lx->p)) {
		char c = *lx->p;
		if (!strchr(allowed, c))
			perr(ps, lx->line, "unknown regexp modifier \"/%c\"",
			     c);
		switch (c) {
		case 'i':
			f |= RF_I;
			break;
		case 'g':
			f |= RF_G;
			break;
		case 'x':
			f |= RF_X;
			break;
		case 's':
			f |= RF_S;
			break;
		case 'm':
			f |= RF_M;
			break;
		case 'e':
			f |= RF_E;
			break;
		case 'r':
			f |= RF_R;
			break;
		case 'd':
			f |= RF_D;
			break;
		case 'c':
			f |= RF_C;
			break;
		default:
			break;
		}
		lx->p++;
	}
	return f;
}

static void
lx_skip_to_delim(struct parser *ps)
{
	struct lexer *lx = &ps->lx;

	while (lx->p < lx->end && is_sp((unsigned char)*lx->p)) {
		if (*lx->p++ == '\n')
			lx_newline(ps);
	}
	if (lx->p >= lx->end)
		perr(ps, lx->line, "missing delimiter");
}

/* The second part of s{..}{..} / tr{..}{..}. */
static const char *
lx_second_part(struct parser *ps, char open, size_t *len, char *open2)
{
	struct lexer *lx = &ps->lx;

	if (closing_delim(open) != open) {
		lx_skip_to_delim(ps);
		*open2 = *lx->p++;
	} else {
		*open2 = open;
	}
	return lx_delimited(ps, *open2, len);
}

/* Number literal: decimal, 0x, 0b, 0 octal, fractions and exponents. */
static void
lx_number(struct parser *ps, struct token *t)
{
	struct lexer *lx = &ps->lx;
	const char *s = lx->p;
	char buf[128];
	size_t n = 0;

	t->t = T_NUM;
	if (*s == '0' && lx->p + 1 < lx->end &&
	    (s[1] == 'x' || s[1] == 'X' || s[1] == 'b' || s[1] == 'B' ||
	     is_dig((unsigned char)s[1]))) {
		int base = (s[1] == 'x' || s[1] == 'X')	  ? 16
			   : (s[1] == 'b' || s[1] == 'B') ? 2
							  : 8;
		uint64_t acc = 0;
		lx->p += base == 8 ? 1 : 2;
		while (lx->p < lx->end) {
			int c = (unsigned char)*lx->p, d;
			if (c == '_') {
				lx->p++;
				continue;
			}
			if (is_dig(c))
				d = c - '0';
			else if (c >= 'a' && c <= 'f')
				d = c - 'a' + 10;
			else if (c >= 'A' && c <= 'F')
				d = c - 'A' + 10;
			else
				break;
			if (d >= base)
				break;
			acc = acc * (uint64_t)base + (uint64_t)d;
			lx->p++;
		}
		val_set_iv(&t->num, (int64_t)acc);
		if (acc > INT64_MAX)
			t->num.t = VT_UV;
		return;
	}
	while (lx->p < lx->end &&
	       (is_dig((unsigned char)*lx->p) || *lx->p == '_')) {
		if (*lx->p != '_' && n < sizeof(buf) - 1)
			buf[n++] = *lx->p;
		lx->p++;
	}
	if (lx->p + 1 < lx->end && *lx->p == '.' && lx->p[1] != '.') {
		buf[n < sizeof(buf) - 1 ? n++ : n] = '.';
		lx->p++;
		while (lx->p < lx->end &&
		       (is_dig((unsigned char)*lx->p) || *lx->p == '_')) {
			if (*lx->p != '_' && n < sizeof(buf) - 1)
				buf[n++] = *lx->p;
			lx->p++;
		}
	} else if (lx->p + 1 == lx->end && *lx->p == '.') {
		lx->p++;
	}
	if (lx->p < lx->end && (*lx->p == 'e' || *lx->p == 'E')) {
		const char *q = lx->p + 1;
		if (q < lx->end && (*q == '+' || *q == '-'))
			q++;
		if (q < lx->end && is_dig((unsigned char)*q)) {
			while (lx->p < q && n < sizeof(buf) - 1)
				buf[n++] = *lx->p++;
			lx->p = q;
			while (lx->p < lx->end &&
			       is_dig((unsigned char)*lx->p)) {
				if (n < sizeof(buf) - 1)
					buf[n++] = *lx->p;
				lx->p++;
			}
		}
	}
	buf[n] = '\0';
	int64_t iv;
	double nv;
	int k = str_num(buf, n, &iv, &nv);
	if (k && !memchr(buf, '.', n) && !memchr(buf, 'e', n) &&
	    !memchr(buf, 'E', n)) {
		val_set_iv(&t->num, iv);
		if (k == 2)
			t->num.t = VT_UV;
	} else
		val_set_nv(&t->num, strtod(buf, NULL));
	(void)s;
}

/* Register a heredoc: its body follows the current line. */
static void
lx_heredoc(struct parser *ps, struct token *t)
{
	struct lexer *lx = &ps->lx;
	int indent = 0, interp = 1;
	const char *term;
	size_t tlen;

	if (lx->p < lx->end && *lx->p == '~') {
		indent = 1;
		lx->p++;
	}
	if (lx->p < lx->end && (*lx->p == '"' || *lx->p == '\'')) {
		char q = *lx->p++;
		interp = q == '"';
		term = lx->p;
		while (lx->p < lx->end && *lx->p != q && *lx->p != '\n')
			lx->p++;
		if (lx->p >= lx->end || *lx->p != q)
			perr(ps, lx->line,
			     "unterminated delimiter for here document");
		tlen = (size_t)(lx->p - term);
		lx->p++;
	} else {
		term = lx->p;
		while (lx->p < lx->end && is_idchar((unsigned char)*lx->p))
			lx->p++;
		tlen = (size_t)(lx->p - term);
	}
	/* where does the body start? */
	const char *body;
	if (lx->hd_nl) {
		body = lx->hd_resume;
	} else {
		const char *nl = memchr(lx->p, '\n', (size_t)(lx->end - lx->p));
		if (!nl)
			perr(ps, t->line,
			     "can't find string terminator \"%.*s\" anywhere before EOF",
			     (int)tlen, term);
		lx->hd_nl = nl;
		body = nl + 1;
	}
	struct strbuf sb = STRBUF_INIT;
	const char *q = body;
	int found = 0, lines = 0;
	size_t minind = (size_t)-1;
	const char *bstart = body;
	while (q < lx->end) {
		const char *nl = memchr(q, '\n', (size_t)(lx->end - q));
		const char *le = nl ? nl : lx->end;
		const char *c = q;
		lines++;
		if (indent)
			while (c < le && (*c == ' ' || *c == '\t'))
				c++;
		if ((size_t)(le - c) == tlen && memcmp(c, term, tlen) == 0) {
			found = 1;
			q = nl ? nl + 1 : lx->end;
			break;
		}
		q = nl ? nl + 1 : lx->end;
	}
	if (!found) {
		strbuf_release(&sb);
		perr(ps, t->line,
		     "can't find string terminator \"%.*s\" anywhere before EOF",
		     (int)tlen, term);
	}
	/* body lines are [bstart, last line before terminator) */
	const char *p = bstart;
	const char *bend = q;
	/* find the terminator line start to exclude it */
	{
		const char *r = bend;
		if (r > bstart && r[-1] == '\n')
			r--;
		while (r > bstart && r[-1] != '\n')
			r--;
		bend = r;
	}
	if (indent) {
		for (const char *l = p; l < bend;) {
			const char *nl = memchr(l, '\n', (size_t)(bend - l));
			const char *le = nl ? nl : bend;
			size_t ind = 0;
			while (l + ind < le &&
			       (l[ind] == ' ' || l[ind] == '\t'))
				ind++;
			if (l + ind < le && ind < minind)
				minind = ind;
			l = nl ? nl + 1 : bend;
		}
		if (minind == (size_t)-1)
			minind = 0;
		for (const char *l = p; l < bend;) {
			const char *nl = memchr(l, '\n', (size_t)(bend - l));
			const char *le = nl ? nl + 1 : bend;
			size_t skip = 0;
			while (skip < minind && l + skip < le &&
			       (l[skip] == ' ' || l[skip] == '\t'))
				skip++;
			strbuf_add(&sb, l + skip, (size_t)(le - l - skip));
			l = le;
		}
	} else {
		strbuf_add(&sb, p, (size_t)(bend - p));
	}
	t->s = arena_strndup(ps->prog, sb.buf, sb.len);
	t->len = sb.len;
	t->t = interp ? T_ISTR : T_STR;
	strbuf_release(&sb);
	lx->hd_resume = q;
	lx->hd_lines += lines;
}

static int
word_is(const struct token *t, const char *w)
{
	size_t n = strlen(w);

	return t->len == n && memcmp(t->s, w, n) == 0;
}

/* Identifiers after which a term (not an operator) is expected. */
static int
ident_wants_term(const char *s, size_t len)
{
	static const char *const words[] = {
		"if",	   "unless",  "while",	 "until",   "and",   "or",
		"not",	   "xor",     "return",	 "split",   "grep",  "map",
		"join",	   "push",    "unshift", "lc",	    "uc",    "lcfirst",
		"ucfirst", "defined", "ref",	 "scalar",  "print", "die",
		"warn",	   "x",	      "lt",	 "gt",	    "le",    "ge",
		"eq",	   "ne",      "cmp",	 "foreach", "for",   "elsif",
		"else",	   "length",  "keys",	 "values",  "sort",  "reverse",
		"exists",  "delete",  "when",	 "sprintf", "each",  "chomp",
		"chop",	   "int",     "scalar",	 "abs",	    "my",    "our",
		"local",   NULL
	};
	for (size_t i = 0; words[i]; i++)
		if (words[i][0] == s[0] && strlen(words[i]) == len &&
		    memcmp(words[i], s, len) == 0)
			return 1;
	return 0;
}

static int
is_quote_word(const char *s, size_t len)
{
	static const char *const words[] = { "q",  "qq", "qw", "m",  "s",
					     "tr", "y",	 "qr", "qx", NULL };
	for (size_t i = 0; words[i]; i++)
		if (words[i][0] == s[0] && strlen(words[i]) == len &&
		    memcmp(words[i], s, len) == 0)
			return 1;
	return 0;
}

static void
lx_quote_op(struct parser *ps, struct token *t, const char *w, size_t wl);

/* Multi-character operators, longest first. */
static const char *const ops[] = {
	"~~", "<=>", "**=", "||=", "&&=", "//=", "...", "<<=", ">>=", "->",
	"++", "--",  "**",  "=~",  "!~",  "==",	 "!=",	"<=",  ">=",  "&&",
	"||", "//",  "..",  "::",  ".=",  "+=",	 "-=",	"*=",  "/=",  "x=",
	"%=", "|=",  "&=",  "^=",  "<<",  ">>",	 "=>",	NULL
};

static void
lx_var(struct parser *ps, struct token *t, char sigil)
{
	struct lexer *lx = &ps->lx;
	const char *s = lx->p;

	t->sigil = sigil;
	if (lx->p < lx->end &&
	    (is_idstart((unsigned char)*lx->p) ||
	     (*lx->p == ':' && lx->p + 2 < lx->end && lx->p[1] == ':' &&
	      is_idstart((unsigned char)lx->p[2])))) {
		while (lx->p < lx->end) {
			if (is_idchar((unsigned char)*lx->p))
				lx->p++;
			else if (*lx->p == ':' && lx->p + 2 < lx->end &&
				 lx->p[1] == ':' &&
				 is_idstart((unsigned char)lx->p[2]))
				lx->p += 2;
			else
				break;
		}
	} else if (lx->p < lx->end && is_dig((unsigned char)*lx->p)) {
		while (lx->p < lx->end && is_dig((unsigned char)*lx->p))
			lx->p++;
	} else if (lx->p < lx->end && sigil == '$' && *lx->p == '^' &&
		   lx->p + 1 < lx->end && is_idstart((unsigned char)lx->p[1])) {
		lx->p += 2;
	} else if (lx->p < lx->end && strchr("_&!@/\\,;.0\"", *lx->p)) {
		lx->p++;
	} else {
		t->t = T_CAST;
		return;
	}
	t->t = T_VAR;
	t->s = s;
	t->len = (size_t)(lx->p - s);
}

static void
lx_next(struct parser *ps)
{
	struct lexer *lx = &ps->lx;
	struct token *t = &ps->tok;
	int want_term = lx->want_term;

	memset(t, 0, sizeof(*t));
	lx_skip_space(ps);
	t->line = lx->line;
	if (lx->p >= lx->end) {
		t->t = T_EOF;
		return;
	}
	char c = *lx->p;
	const char *start = lx->p;

	if (is_idstart((unsigned char)c)) {
		while (lx->p < lx->end) {
			if (is_idchar((unsigned char)*lx->p))
				lx->p++;
			else if (*lx->p == ':' && lx->p + 2 < lx->end &&
				 lx->p[1] == ':' &&
				 (is_idstart((unsigned char)lx->p[2])))
				lx->p += 2;
			else if (*lx->p == ':' && lx->p + 1 < lx->end &&
				 lx->p[1] == ':' && lx->p + 2 == lx->end)
				lx->p += 2;
			else
				break;
		}
		size_t wl = (size_t)(lx->p - start);
		if (!want_term && wl == 1 && *start == 'x' && lx->p < lx->end &&
		    *lx->p == '=' &&
		    !(lx->p + 1 < lx->end && strchr("=~>", lx->p[1]))) {
			/* the x= operator */
			lx->p++;
			t->t = T_OP;
			t->s = start;
			t->len = 2;
			lx->want_term = 1;
			return;
		}
		if (is_quote_word(start, wl) && lx->p < lx->end) {
			const char *q = lx->p;
			while (q < lx->end && (*q == ' ' || *q == '\t'))
				q++;
			if (q < lx->end && !is_idchar((unsigned char)*q) &&
			    !is_sp((unsigned char)*q) &&
			    !strchr("=,;)}>", *q) &&
			    !(q[0] == '-' && q + 1 < lx->end && q[1] == '>') &&
			    !(q > lx->p && *q == '#')) {
				lx->p = q;
				lx_quote_op(ps, t, start, wl);
				return;
			}
			if (q < lx->end && *q == '=' && q + 1 < lx->end &&
			    q[1] != '>' && q[1] != '=' && q[1] != '~' &&
			    q == lx->p && (wl != 1 || *start != 'x')) {
				lx->p = q;
				lx_quote_op(ps, t, start, wl);
				return;
			}
		}
		if (wl == 7 && memcmp(start, "__END__", 7) == 0) {
			lx->p = lx->end;
			t->t = T_EOF;
			return;
		}
		t->t = T_IDENT;
		t->s = start;
		t->len = wl;
		lx->want_term = ident_wants_term(start, wl);
		return;
	}
	if (is_dig((unsigned char)c) ||
	    (c == '.' && lx->p + 1 < lx->end &&
	     is_dig((unsigned char)lx->p[1]) && want_term)) {
		lx_number(ps, t);
		lx->want_term = 0;
		return;
	}
	lx->want_term = 0;
	switch (c) {
	case '"':
		lx->p++;
		t->s = lx_delimited(ps, '"', &t->len);
		t->t = T_ISTR;
		t->sigil = '"';
		return;
	case '\'':
		lx->p++;
		t->s = lx_delimited(ps, '\'', &t->len);
		t->s = unescape_single(ps, t->s, t->len, '\'', &t->len);
		t->t = T_STR;
		return;
	case '`':
		unsupported(ps, t->line, "`...`", 5);
	case '$':
		lx->p++;
		if (lx->p < lx->end && *lx->p == '#') {
			/* $#array, $#{expr}, $#$ref */
			lx->p++;
			if (lx->p < lx->end &&
			    (*lx->p == '{' || *lx->p == '$')) {
				t->t = T_CAST;
				t->sigil = '#';
				return;
			}
			lx_var(ps, t, '#');
			return;
		}
		if (lx->p < lx->end && *lx->p == '{') {
			/* ${name} is $name */
			const char *q = lx->p + 1;
			while (q < lx->end && (*q == ' ' || *q == '\t'))
				q++;
			const char *n = q;
			while (q < lx->end && is_idchar((unsigned char)*q))
				q++;
			const char *ne = q;
			while (q < lx->end && (*q == ' ' || *q == '\t'))
				q++;
			if (ne > n && q < lx->end && *q == '}' &&
			    is_idstart((unsigned char)*n)) {
				t->t = T_VAR;
				t->sigil = '$';
				t->s = n;
				t->len = (size_t)(ne - n);
				lx->p = q + 1;
				return;
			}
			t->t = T_CAST;
			t->sigil = '$';
			return;
		}
		if (lx->p < lx->end && *lx->p == '$' && lx->p + 1 < lx->end &&
		    (is_idstart((unsigned char)lx->p[1]) || lx->p[1] == '{' ||
		     lx->p[1] == '$')) {
			t->t = T_CAST;
			t->sigil = '$';
			return;
		}
		lx_var(ps, t, '$');
		if (t->t == T_CAST)
			perr(ps, t->line, "syntax error near '$'");
		return;
	case '@':
	case '%':
	case '&':
		if (want_term || c == '@') {
			lx->p++;
			if (lx->p < lx->end &&
			    (*lx->p == '{' || *lx->p == '$')) {
				t->t = T_CAST;
				t->sigil = c;
				return;
			}
			if (lx->p < lx->end &&
			    (is_idstart((unsigned char)*lx->p) ||
			     (c == '@' && *lx->p == '_') ||
			     (*lx->p == ':' && lx->p + 1 < lx->end &&
			      lx->p[1] == ':'))) {
				lx_var(ps, t, c);
				return;
			}
			lx->p--;
		}
		break;
	case '/':
		if (want_term) {
			lx_quote_op(ps, t, "m", 1);
			return;
		}
		break;
	case '<':
		if (want_term && lx->p + 2 < lx->end && lx->p[1] == '<' &&
		    (lx->p[2] == '"' || lx->p[2] == '\'' || lx->p[2] == '~' ||
		     is_idstart((unsigned char)lx->p[2]))) {
			lx->p += 2;
			lx_heredoc(ps, t);
			return;
		}
		if (want_term && lx->p + 1 < lx->end &&
		    (is_idstart((unsigned char)lx->p[1]) || lx->p[1] == '$')) {
			const char *q = lx->p + 1;
			while (q < lx->end &&
			       (is_idchar((unsigned char)*q) || *q == '$'))
				q++;
			if (q < lx->end && *q == '>')
				unsupported(ps, t->line, start,
					    (size_t)(q + 1 - start));
		}
		break;
	default:
		break;
	}
	/* operators: the longest one starting with this character */
	for (size_t i = 0; ops[i]; i++) {
		if (ops[i][0] != c)
			continue;
		size_t n = strlen(ops[i]);
		if ((size_t)(lx->end - lx->p) >= n &&
		    memcmp(lx->p, ops[i], n) == 0) {
			t->t = T_OP;
			t->s = lx->p;
			t->len = n;
			lx->p += n;
			lx->want_term =
				!(n == 2 && (memcmp(t->s, "++", 2) == 0 ||
					     memcmp(t->s, "--", 2) == 0));
			return;
		}
	}
	t->t = T_OP;
	t->s = lx->p++;
	t->len = 1;
	lx->want_term = !(c == ')' || c == ']' || c == '}');
}

/* q qq qw m s tr y qr qx: the opening delimiter is at lx->p. */
static void
lx_quote_op(struct parser *ps, struct token *t, const char *w, size_t wl)
{
	struct lexer *lx = &ps->lx;
	char open;

	open = *lx->p++;
	lx->want_term = 0;
	if (wl == 2 && memcmp(w, "qx", 2) == 0)
		unsupported(ps, t->line, "qx", 2);
	if (wl == 1 && *w == 'q') {
		t->s = lx_delimited(ps, open, &t->len);
		t->s = unescape_single(ps, t->s, t->len, open, &t->len);
		t->t = T_STR;
		return;
	}
	if (wl == 2 && memcmp(w, "qq", 2) == 0) {
		t->s = lx_delimited(ps, open, &t->len);
		t->t = T_ISTR;
		t->sigil = open;
		return;
	}
	if (wl == 2 && memcmp(w, "qw", 2) == 0) {
		t->s = lx_delimited(ps, open, &t->len);
		t->s = unescape_single(ps, t->s, t->len, open, &t->len);
		t->t = T_QW;
		return;
	}
	if ((wl == 1 && *w == 'm') || (wl == 2 && memcmp(w, "qr", 2) == 0)) {
		t->s = lx_delimited(ps, open, &t->len);
		t->flags = lx_flags(ps, "igxsmo");
		t->t = T_MATCH;
		t->sigil = open;
		t->regex_quote = open == '\'';
		if (wl == 2)
			t->flags |= 1u << 30;
		return;
	}
	if (wl == 1 && *w == 's') {
		char open2;
		t->s = lx_delimited(ps, open, &t->len);
		t->s2 = lx_second_part(ps, open, &t->len2, &open2);
		t->flags = lx_flags(ps, "igxsmer");
		t->t = T_SUBST;
		t->sigil = open2;
		t->regex_quote = open == '\'';
		return;
	}
	/* tr, y */
	char open2;
	t->s = lx_delimited(ps, open, &t->len);
	t->s2 = lx_second_part(ps, open, &t->len2, &open2);
	t->flags = lx_flags(ps, "cdsr");
	if (t->flags & RF_S)
		t->flags = (t->flags & ~(unsigned)RF_S) | RF_SQ;
	t->t = T_TRANS;
}

/* ---- parser helpers ------------------------------------------------- */

static struct node *
mknode(struct parser *ps, enum ntype type, int line)
{
	struct node *n = arena_alloc(ps->prog, sizeof(*n));

	n->type = (unsigned short)type;
	n->line = line;
	if (ps->strict_refs &&
	    (type == N_RV2SV || type == N_RV2AV || type == N_RV2HV))
		n->flags |= NF_STRICT_REFS;
	return n;
}

static void
node_add(struct parser *ps, struct node *n, struct node *kid)
{
	/* kids grow by doubling inside the arena */
	if ((n->nkids & (n->nkids - 1)) == 0) {
		size_t cap = n->nkids ? n->nkids * 2 : 1;
		struct node **k = arena_alloc(ps->prog, cap * sizeof(*k));
		if (n->nkids)
			memcpy(k, n->kids, n->nkids * sizeof(*k));
		n->kids = k;
	}
	n->kids[n->nkids++] = kid;
}

static struct node *
mkconst_str(struct parser *ps, const char *s, size_t len, int line)
{
	struct node *n = mknode(ps, N_CONST, line);

	n->v.t = VT_PV;
	n->v.u.pv = tstr_new(s, len);
	struct obj *o = obj_new(OK_SCALAR);
	o->u.sv = n->v;
	o->u.sv.u.pv->refcnt++;
	/* the prog keeps the string alive through a scalar it owns */
	ps->prog->consts = xgrow(ps->prog->consts, &ps->prog->aconsts,
				 ps->prog->nconsts + 1, sizeof(struct obj *));
	ps->prog->consts[ps->prog->nconsts++] = o;
	tstr_unref(n->v.u.pv);
	return n;
}

static struct node *
mkconst_val(struct parser *ps, const struct val *v, int line)
{
	struct node *n = mknode(ps, N_CONST, line);

	n->v = *v;
	return n;
}

static struct node *
mkbin(struct parser *ps, enum ntype type, int op, struct node *a,
      struct node *b, int line)
{
	struct node *n = mknode(ps, type, line);

	n->op = op;
	n->a = a;
	n->b = b;
	return n;
}

static int
is_op(const struct parser *ps, const char *op)
{
	size_t n = strlen(op);

	return ps->tok.t == T_OP && ps->tok.len == n &&
	       memcmp(ps->tok.s, op, n) == 0;
}

static int
is_word(const struct parser *ps, const char *w)
{
	return ps->tok.t == T_IDENT && word_is(&ps->tok, w);
}

static const char *
tok_desc(struct parser *ps, size_t *len)
{
	const struct token *t = &ps->tok;

	switch (t->t) {
	case T_EOF:
		*len = 11;
		return "end of code";
	case T_OP:
	case T_IDENT:
	case T_VAR:
		*len = t->len;
		return t->s;
	default:
		*len = 6;
		return "string";
	}
}

static _Noreturn void
syntax_error(struct parser *ps)
{
	size_t len;
	const char *d = tok_desc(ps, &len);

	perr(ps, ps->tok.line, "syntax error near '%.*s'", (int)len, d);
}

static void
expect_op(struct parser *ps, const char *op)
{
	if (!is_op(ps, op)) {
		size_t len;
		const char *d = tok_desc(ps, &len);
		perr(ps, ps->tok.line,
		     "syntax error: expected '%s' near '%.*s'", op, (int)len,
		     d);
	}
	lx_next(ps);
}

static void
enter(struct parser *ps)
{
	if (++ps->depth > ps->max_depth)
		perr(ps, ps->tok.line, "nesting too deep");
}

static void
leave(struct parser *ps)
{
	ps->depth--;
}

/* ---- variables ------------------------------------------------------ */

/* The package variable `sigil name` of ctx, made from the configuration
   database when it is a record not installed yet. */
static struct obj *
glob_lookup(struct tmpl_ctx *ctx, char sigil, const char *name, size_t len)
{
	struct hash *h;
	enum okind kind;

	if (len > 6 && memcmp(name, "main::", 6) == 0) {
		name += 6;
		len -= 6;
	} else if (len > 2 && memcmp(name, "::", 2) == 0) {
		name += 2;
		len -= 2;
	}
	switch (sigil) {
	case '@':
		h = &ctx->av;
		kind = OK_ARRAY;
		break;
	case '%':
		h = &ctx->hv;
		kind = OK_HASH;
		break;
	default:
		h = &ctx->sv;
		kind = OK_SCALAR;
		break;
	}
	if (!hash_get(h, name, len))
		tmpl_lazy_global(ctx,
				 sigil == '@'	? '@'
				 : sigil == '%' ? '%'
						: '$',
				 name, len);
	return hash_fetch(h, name, len, kind);
}

/* Bind node `n` to the package variable `sigil name`. */
static void
glob_for(struct parser *ps, struct node *n, char sigil, const char *name,
	 size_t len)
{
	struct prog *p = ps->prog;
	struct obj *o = glob_lookup(ps->ctx, sigil, name, len);

	if (p->nglobs == p->aglobs) {
		p->globs = xgrow(p->globs, &p->aglobs, p->nglobs + 1,
				 sizeof(*p->globs));
		p->sites = xrealloc(p->sites, p->aglobs * sizeof(*p->sites));
	}
	p->globs[p->nglobs] = obj_ref(o);
	p->sites[p->nglobs].n = n;
	p->sites[p->nglobs].name = arena_strndup(p, name, len);
	p->sites[p->nglobs].len = len;
	p->sites[p->nglobs].sigil = sigil;
	p->nglobs++;
	n->glob = o;
}

void
prog_bind(struct prog *p, struct tmpl_ctx *ctx)
{
	for (size_t i = 0; i < p->nglobs; i++) {
		const struct glob_site *s = &p->sites[i];
		struct obj *o = glob_lookup(ctx, s->sigil, s->name, s->len);
		if (o != p->globs[i]) {
			obj_unref(p->globs[i]);
			p->globs[i] = obj_ref(o);
		}
		s->n->glob = o;
	}
	p->bound = ctx;
}

void
prog_unbind(struct prog *p)
{
	for (size_t i = 0; i < p->nglobs; i++) {
		obj_unref(p->globs[i]);
		p->globs[i] = NULL;
		p->sites[i].n->glob = NULL;
	}
	p->bound = NULL;
}

/* Is `name` declared with `our` or `use vars` in scope? */
static int
our_declared(struct parser *ps, char sigil, const char *name, size_t len)
{
	for (size_t i = ps->nvars; i-- > 0;) {
		const struct scope_var *v = &ps->vars[i];
		if (v->slot < 0 && v->sigil == sigil && v->len == len &&
		    memcmp(v->name, name, len) == 0)
			return 1;
	}
	return 0;
}

static void
declare_our(struct parser *ps, char sigil, const char *name, size_t len)
{
	if (ps->nvars == ps->avars)
		ps->vars = xgrow(ps->vars, &ps->avars, ps->nvars + 1,
				 sizeof(*ps->vars));
	struct scope_var *v = &ps->vars[ps->nvars++];
	v->sigil = sigil;
	v->name = name;
	v->len = len;
	v->slot = -1;
}

/* Names `use strict` allows without a declaration. */
static int
strict_exempt(const char *name, size_t len)
{
	static const char *const names[] = { "_",      "a",   "b",     "ENV",
					     "ARGV",   "INC", "STDIN", "STDOUT",
					     "STDERR", NULL };
	if (!is_idstart((unsigned char)name[0]) || memmem(name, len, "::", 2))
		return 1;
	for (size_t i = 0; names[i]; i++)
		if (strlen(names[i]) == len && memcmp(names[i], name, len) == 0)
			return 1;
	return 0;
}

static int
declare_my(struct parser *ps, char sigil, const char *name, size_t len);

/* A sub uses a `my` variable of the code around it: it gets a slot of its
   own, bound to the outer variable when the sub is made. */
static int
capture(struct parser *ps, int outer, char sigil, const char *name, size_t len)
{
	struct node *s = ps->cur_sub;
	int inner = declare_my(ps, sigil, name, len);
	int *caps =
		arena_alloc(ps->prog, (size_t)(s->ncaps + 1) * 3 * sizeof(int));

	if (s->ncaps)
		memcpy(caps, s->caps, (size_t)s->ncaps * 3 * sizeof(int));
	caps[s->ncaps * 3] = outer;
	caps[s->ncaps * 3 + 1] = inner;
	caps[s->ncaps * 3 + 2] = sigil;
	s->caps = caps;
	s->ncaps++;
	return inner;
}

static int
lookup_my(struct parser *ps, char sigil, const char *name, size_t len)
{
	for (size_t i = ps->nvars; i-- > ps->sub_base;) {
		const struct scope_var *v = &ps->vars[i];
		if (v->sigil == sigil && v->len == len &&
		    memcmp(v->name, name, len) == 0)
			return v->slot;
	}
	if (ps->in_sub) {
		for (size_t i = ps->sub_base; i-- > 0;) {
			const struct scope_var *v = &ps->vars[i];
			if (v->slot < 0 || v->sigil != sigil || v->len != len ||
			    memcmp(v->name, name, len) != 0)
				continue;
			if (i < ps->outer_base)
				perr(ps, ps->tok.line,
				     "unsupported construct 'closure over my %c%.*s "
				     "in a nested sub'",
				     sigil, (int)len, name);
			return capture(ps, v->slot, sigil, name, len);
		}
	}
	return -1;
}

static int
declare_my(struct parser *ps, char sigil, const char *name, size_t len)
{
	if (ps->nvars == ps->avars)
		ps->vars = xgrow(ps->vars, &ps->avars, ps->nvars + 1,
				 sizeof(*ps->vars));
	struct scope_var *v = &ps->vars[ps->nvars++];
	v->sigil = sigil;
	v->name = name;
	v->len = len;
	v->slot = ps->nslots++;
	return v->slot;
}

/* A variable reference: sigil is the container kind ('$', '@', '%'). */
static struct node *
var_node(struct parser *ps, char sigil, const char *name, size_t len, int line)
{
	struct node *n;
	int slot = lookup_my(ps, sigil, name, len);

	if (slot >= 0) {
		n = mknode(ps,
			   sigil == '$'	  ? N_MYSV
			   : sigil == '@' ? N_MYAV
					  : N_MYHV,
			   line);
		n->slot = slot;
		return n;
	}
	if (sigil == '$' && len == 3 && memcmp(name, "OUT", 3) == 0)
		return mknode(ps, N_OUT, line);
	if (sigil == '$' && is_dig((unsigned char)name[0])) {
		n = mknode(ps, N_CAPTURE, line);
		n->v.t = VT_IV;
		n->v.u.iv = strtol(name, NULL, 10);
		return n;
	}
	if (sigil == '@' && len == 1 && name[0] == '_')
		return mknode(ps, N_ARGS, line);
	if (sigil == '$' && len == 1 && name[0] == '&') {
		n = mknode(ps, N_CAPTURE, line);
		n->v.t = VT_IV;
		n->v.u.iv = 0;
		return n;
	}
	if (sigil == '$' && len == 1 && name[0] == '@')
		name = "@";
	if (ps->strict_vars && !strict_exempt(name, len) &&
	    !our_declared(ps, sigil, name, len))
		perr(ps, line,
		     "Global symbol \"%c%.*s\" requires explicit package name",
		     sigil, (int)len, name);
	n = mknode(ps,
		   sigil == '$'	  ? N_GSV
		   : sigil == '@' ? N_GAV
				  : N_GHV,
		   line);
	n->s = arena_strndup(ps->prog, name, len);
	n->slen = len;
	glob_for(ps, n, sigil, name, len);
	return n;
}

/* ---- grammar -------------------------------------------------------- */

static struct node *parse_expr(struct parser *ps);
static struct node *parse_assign(struct parser *ps);
static struct node *parse_unary(struct parser *ps);
static struct node *parse_binary(struct parser *ps, int minprec);
static struct node *parse_block(struct parser *ps);
static struct node *parse_statement(struct parser *ps);
static struct node *parse_postfix(struct parser *ps, struct node *n);
static struct node *parse_primary(struct parser *ps);
static struct node *interpolate(struct parser *ps, const char *s, size_t len,
				int line, int regex, char delim);

/* A sub-parser over a piece of a string (for interpolation). */
static struct node *
parse_fragment_expr(struct parser *ps, const char *s, size_t len, int line)
{
	struct lexer save = ps->lx;
	struct token savetok = ps->tok;
	struct node *n;

	ps->lx.src = s;
	ps->lx.p = s;
	ps->lx.end = s + len;
	ps->lx.line = line;
	ps->lx.want_term = 1;
	ps->lx.hd_nl = ps->lx.hd_resume = NULL;
	ps->lx.hd_lines = 0;
	lx_next(ps);
	n = parse_primary(ps);
	n = parse_postfix(ps, n);
	if (ps->tok.t != T_EOF)
		syntax_error(ps);
	ps->lx = save;
	ps->tok = savetok;
	return n;
}

static struct node *
regex_node(struct parser *ps, const char *s, size_t len, unsigned flags,
	   int line, int noint)
{
	struct regex *re = arena_alloc(ps->prog, sizeof(*re));

	re->flags = flags;
	if (noint)
		re->pat = mkconst_str(ps, s, len, line);
	else
		re->pat = interpolate(ps, s, len, line, 1, 0);
	re->next = ps->prog->regexes;
	ps->prog->regexes = re;
	struct node *n = mknode(ps, N_MATCH, line);
	n->re = re;
	return n;
}

/* The token is T_MATCH / T_SUBST / T_TRANS: build the node (no target). */
static struct node *
parse_regex_tok(struct parser *ps)
{
	struct token t = ps->tok;
	struct node *n;

	if (t.t == T_MATCH) {
		n = regex_node(ps, t.s, t.len, t.flags & ~(1u << 30), t.line,
			       t.regex_quote);
		if (t.flags & (1u << 30)) {
			/* qr//: a pattern string (?flags:...) */
			n->type = N_FUNC;
			n->op = B_QUOTEMETA;
			n->flags = 1; /* marks qr */
		}
	} else if (t.t == T_SUBST) {
		n = regex_node(ps, t.s, t.len, t.flags, t.line, t.regex_quote);
		n->type = N_SUBST;
		if (t.flags & RF_E) {
			struct parser sub = *ps;
			(void)sub;
			struct lexer save = ps->lx;
			ps->lx.src = ps->lx.p = t.s2;
			ps->lx.end = t.s2 + t.len2;
			ps->lx.line = t.line;
			ps->lx.want_term = 1;
			ps->lx.hd_nl = ps->lx.hd_resume = NULL;
			lx_next(ps);
			struct node *b = mknode(ps, N_BLOCK, t.line);
			while (ps->tok.t != T_EOF) {
				node_add(ps, b, parse_statement(ps));
			}
			n->repl = b;
			ps->lx = save;
		} else if (t.sigil == '\'') {
			n->repl = mkconst_str(ps, t.s2, t.len2, t.line);
		} else {
			n->repl = interpolate(ps, t.s2, t.len2, t.line, 0,
					      t.sigil);
		}
	} else {
		n = mknode(ps, N_TRANS, t.line);
		/* copied: the program may outlive the fragment's text */
		n->tr_from = arena_strndup(ps->prog, t.s, t.len);
		n->tr_flen = t.len;
		n->tr_to = arena_strndup(ps->prog, t.s2, t.len2);
		n->tr_tlen = t.len2;
		n->flags = t.flags;
	}
	lx_next(ps);
	return n;
}

/* ---- string interpolation ------------------------------------------- */

static void
add_utf8(struct strbuf *sb, unsigned long cp)
{
	if (cp < 0x80) {
		strbuf_addch(sb, (int)cp);
	} else if (cp < 0x800) {
		strbuf_addch(sb, (int)(0xc0 | (cp >> 6)));
		strbuf_addch(sb, (int)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		strbuf_addch(sb, (int)(0xe0 | (cp >> 12)));
		strbuf_addch(sb, (int)(0x80 | ((cp >> 6) & 0x3f)));
		strbuf_addch(sb, (int)(0x80 | (cp & 0x3f)));
	} else {
		strbuf_addch(sb, (int)(0xf0 | (cp >> 18)));
		strbuf_addch(sb, (int)(0x80 | ((cp >> 12) & 0x3f)));
		strbuf_addch(sb, (int)(0x80 | ((cp >> 6) & 0x3f)));
		strbuf_addch(sb, (int)(0x80 | (cp & 0x3f)));
	}
}

static int
hexval(int c)
{
	if (is_dig(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Length of a variable expression in a string starting at s ($ or @). */
static size_t
interp_var_len(const char *s, const char *end, int regex)
{
	const char *p = s + 1;

	if (*s == '$' && p + 1 < end && *p == '#' &&
	    (is_idstart((unsigned char)p[1]) || p[1] == '$')) {
		/* $#array, $#$ref */
		p += 2;
		while (p < end && is_idchar((unsigned char)*p))
			p++;
		return (size_t)(p - s);
	}
	if (p < end && *p == '{') {
		int depth = 1;
		p++;
		while (p < end && depth) {
			if (*p == '{')
				depth++;
			else if (*p == '}')
				depth--;
			p++;
		}
		if (depth)
			return 0;
	} else if (p < end && *p == '$' && p + 1 < end &&
		   is_idstart((unsigned char)p[1])) {
		p++;
		while (p < end && is_idchar((unsigned char)*p))
			p++;
	} else if (p < end && (is_idstart((unsigned char)*p) ||
			       (*p == ':' && p + 2 < end && p[1] == ':'))) {
		while (p < end) {
			if (is_idchar((unsigned char)*p))
				p++;
			else if (*p == ':' && p + 2 < end && p[1] == ':' &&
				 is_idstart((unsigned char)p[2]))
				p += 2;
			else
				break;
		}
	} else if (p < end && is_dig((unsigned char)*p) && *s == '$') {
		while (p < end && is_dig((unsigned char)*p))
			p++;
		return (size_t)(p - s);
	} else if (p < end && *p == '_') {
		p++;
	} else if (p < end && *s == '$' &&
		   (*p == '@' || *p == '&' || *p == '!' || *p == '0')) {
		return 2;
	} else {
		return 0;
	}
	/* subscripts */
	for (;;) {
		const char *q = p;
		if (q + 1 < end && q[0] == '-' && q[1] == '>' && q + 2 < end &&
		    (q[2] == '[' || q[2] == '{'))
			q += 2;
		if (q < end && (*q == '[' || *q == '{')) {
			char open = *q, close = open == '[' ? ']' : '}';
			if (regex && open == '{' && q + 1 < end &&
			    (is_dig((unsigned char)q[1]) || q[1] == ','))
				break;
			if (open == '[' && q + 1 < end &&
			    !(is_dig((unsigned char)q[1]) || q[1] == '$' ||
			      q[1] == '-' || q[1] == '#'))
				break;
			if (regex && open == '[' && q + 1 < end &&
			    q[1] == '$' && q + 2 < end &&
			    !is_idstart((unsigned char)q[2]))
				break;
			int depth = 1;
			const char *r = q + 1;
			while (r < end && depth) {
				if (*r == open)
					depth++;
				else if (*r == close)
					depth--;
				r++;
			}
			if (depth)
				break;
			p = r;
			continue;
		}
		break;
	}
	return (size_t)(p - s);
}

struct interp {
	struct parser *ps;
	struct node *list;
	struct strbuf lit;
	int line;
	int casemod;	      /* pending \u or \l: 'u' / 'l' */
	int cm_first;	      /* \u before \L: applied after it */
	struct node *cm_list; /* \U..\E or \L..\E collection */
	int cm_kind;
	struct node *outer;
};

static void
interp_flush(struct interp *in)
{
	if (!in->lit.len)
		return;
	struct node *c =
		mkconst_str(in->ps, in->lit.buf, in->lit.len, in->line);
	strbuf_reset(&in->lit);
	node_add(in->ps, in->list, c);
}

static void
interp_add(struct interp *in, struct node *n)
{
	interp_flush(in);
	node_add(in->ps, in->list, n);
}

static struct node *
wrap_func(struct parser *ps, int id, struct node *arg, int line)
{
	struct node *f = mknode(ps, N_FUNC, line);

	f->op = (unsigned short)id;
	node_add(ps, f, arg);
	return f;
}

static void
interp_casemod_char(struct interp *in, int c)
{
	if (in->casemod == 'u' && c >= 'a' && c <= 'z')
		c -= 32;
	else if (in->casemod == 'l' && c >= 'A' && c <= 'Z')
		c += 32;
	in->casemod = 0;
	strbuf_addch(&in->lit, c);
}

static void
interp_end_cm(struct interp *in)
{
	if (!in->cm_kind)
		return;
	interp_flush(in);
	struct node *inner = in->list;
	in->list = in->outer;
	struct node *w = wrap_func(in->ps, in->cm_kind == 'U' ? B_UC : B_LC,
				   inner, in->line);
	if (in->cm_first)
		w = wrap_func(in->ps,
			      in->cm_first == 'u' ? B_UCFIRST : B_LCFIRST, w,
			      in->line);
	node_add(in->ps, in->list, w);
	in->cm_kind = 0;
	in->cm_first = 0;
}

/*
 * Build the node for a double-quoted body: a concatenation of literal
 * pieces and variable expressions. In a pattern (`regex`), backslash
 * sequences are kept for PCRE2 and `$` before ) | or the end is literal.
 */
static struct node *
interpolate(struct parser *ps, const char *s, size_t len, int line, int regex,
	    char delim)
{
	struct interp in = { .ps = ps, .lit = STRBUF_INIT, .line = line };
	const char *p = s, *end = s + len;
	char close = closing_delim(delim);

	if (ps->nlive == (int)(sizeof(ps->live) / sizeof(ps->live[0])))
		perr(ps, line, "nesting too deep");
	ps->live[ps->nlive++] = &in.lit;

	in.list = mknode(ps, N_CONCATLIST, line);
	while (p < end) {
		char c = *p;
		if (c == '\n')
			in.line++;
		if (c == '\\' && p + 1 < end) {
			char e = p[1];
			if (regex) {
				if (e == delim && delim && delim != '\\') {
					strbuf_addch(&in.lit, e);
				} else {
					strbuf_addch(&in.lit, '\\');
					strbuf_addch(&in.lit, e);
				}
				p += 2;
				continue;
			}
			p += 2;
			switch (e) {
			case 'n':
				interp_casemod_char(&in, '\n');
				break;
			case 't':
				interp_casemod_char(&in, '\t');
				break;
			case 'r':
				interp_casemod_char(&in, '\r');
				break;
			case 'f':
				interp_casemod_char(&in, '\f');
				break;
			case 'a':
				interp_casemod_char(&in, '\a');
				break;
			case 'e':
				interp_casemod_char(&in, 27);
				break;
			case '0':
			case '1':
			case '2':
			case '3':
			case '4':
			case '5':
			case '6':
			case '7': {
				int v = e - '0', k = 1;
				while (k < 3 && p < end && *p >= '0' &&
				       *p <= '7') {
					v = v * 8 + (*p++ - '0');
					k++;
				}
				strbuf_addch(&in.lit, v & 0xff);
				break;
			}
			case 'x': {
				unsigned long v = 0;
				if (p < end && *p == '{') {
					p++;
					while (p < end && *p != '}') {
						int h = hexval(
							(unsigned char)*p++);
						if (h >= 0)
							v = v * 16 +
							    (unsigned long)h;
					}
					if (p < end)
						p++;
					if (v > 0xff)
						add_utf8(&in.lit, v);
					else
						strbuf_addch(&in.lit, (int)v);
				} else {
					int k = 0, h;
					while (k < 2 && p < end &&
					       (h = hexval(
							(unsigned char)*p)) >=
						       0) {
						v = v * 16 + (unsigned long)h;
						p++;
						k++;
					}
					strbuf_addch(&in.lit, (int)v);
				}
				break;
			}
			case 'u':
			case 'l':
				in.casemod = e;
				break;
			case 'U':
			case 'L':
				interp_end_cm(&in);
				interp_flush(&in);
				in.cm_first = in.casemod;
				in.casemod = 0;
				in.outer = in.list;
				in.list = mknode(ps, N_CONCATLIST, in.line);
				in.cm_kind = e;
				break;
			case 'E':
				interp_end_cm(&in);
				break;
			case 'Q':
				break;
			default:
				if (e == '\n')
					in.line++;
				interp_casemod_char(&in, (unsigned char)e);
				break;
			}
			continue;
		}
		if ((c == '$' || c == '@') && p + 1 < end) {
			size_t vl = interp_var_len(p, end, regex);
			if (regex && c == '$' &&
			    (p[1] == ')' || p[1] == '|' || p + 1 == end))
				vl = 0;
			if (c == '@' && vl && p[1] != '{' && p[1] != '$' &&
			    !is_idstart((unsigned char)p[1]) && p[1] != '_')
				vl = 0;
			if (vl && !(regex && close && p[vl - 1] == close &&
				    p + vl == end + 1)) {
				struct node *e;
				if (c == '@' && p[1] == '{' && p[2] == '[') {
					/* @{[ expr ]} */
					e = parse_fragment_expr(ps, p, vl,
								in.line);
				} else {
					e = parse_fragment_expr(ps, p, vl,
								in.line);
				}
				if (c == '@') {
					struct node *j =
						mknode(ps, N_JOINARR, in.line);
					j->a = e;
					e = j;
				}
				if (in.casemod) {
					e = wrap_func(ps,
						      in.casemod == 'u'
							      ? B_UCFIRST
							      : B_LCFIRST,
						      e, in.line);
					in.casemod = 0;
				}
				interp_add(&in, e);
				p += vl;
				continue;
			}
		}
		if (in.casemod) {
			interp_casemod_char(&in, (unsigned char)c);
			p++;
			continue;
		}
		/* a run of ordinary bytes */
		const char *q = p + 1;
		while (q < end && *q != '\\' && *q != '$' && *q != '@' &&
		       *q != '\n')
			q++;
		strbuf_add(&in.lit, p, (size_t)(q - p));
		p = q;
	}
	interp_end_cm(&in);
	interp_flush(&in);
	ps->nlive--;
	strbuf_release(&in.lit);
	if (in.list->nkids == 0)
		return mkconst_str(ps, "", 0, line);
	if (in.list->nkids == 1 && in.list->kids[0]->type == N_CONST)
		return in.list->kids[0];
	return in.list;
}

/* ---- terms ---------------------------------------------------------- */

struct builtin_def {
	const char *name;
	int id;
	int unary; /* named unary operator: one argument */
};

static const struct builtin_def builtins[] = {
	{ "defined", B_DEFINED, 1 },
	{ "ref", B_REF, 1 },
	{ "lc", B_LC, 1 },
	{ "uc", B_UC, 1 },
	{ "lcfirst", B_LCFIRST, 1 },
	{ "ucfirst", B_UCFIRST, 1 },
	{ "length", B_LENGTH, 1 },
	{ "chr", B_CHR, 1 },
	{ "ord", B_ORD, 1 },
	{ "int", B_INT, 1 },
	{ "abs", B_ABS, 1 },
	{ "hex", B_HEX, 1 },
	{ "oct", B_OCT, 1 },
	{ "sqrt", B_SQRT, 1 },
	{ "exp", B_EXP, 1 },
	{ "log", B_LOG, 1 },
	{ "exists", B_EXISTS, 1 },
	{ "delete", B_DELETE, 1 },
	{ "each", B_EACH, 1 },
	{ "keys", B_KEYS, 1 },
	{ "values", B_VALUES, 1 },
	{ "shift", B_SHIFT, 1 },
	{ "pop", B_POP, 1 },
	{ "quotemeta", B_QUOTEMETA, 1 },
	{ "undef", B_UNDEF, 1 },
	{ "chomp", B_CHOMP, 1 },
	{ "chop", B_CHOP, 1 },
	{ "join", B_JOIN, 0 },
	{ "split", B_SPLIT, 0 },
	{ "sprintf", B_SPRINTF, 0 },
	{ "push", B_PUSH, 0 },
	{ "unshift", B_UNSHIFT, 0 },
	{ "splice", B_SPLICE, 0 },
	{ "reverse", B_REVERSE, 0 },
	{ "sort", B_SORT, 0 },
	{ "map", B_MAP, 0 },
	{ "grep", B_GREP, 0 },
	{ "die", B_DIE, 0 },
	{ "warn", B_WARN, 0 },
	{ "wantarray", B_WANTARRAY, 2 },
	{ "substr", B_SUBSTR, 0 },
	{ "index", B_INDEX, 0 },
	{ "rindex", B_RINDEX, 0 },
	{ "db_get", B_DB_GET, 0 },
	{ "db_get_prop", B_DB_GET_PROP, 0 },
	{ "db_get_type", B_DB_GET_TYPE, 0 },
	{ "scalar", B_SCALAR, 1 },
	{ "time", B_TIME, 2 },
	{ "localtime", B_LOCALTIME, 1 },
	{ "gmtime", B_GMTIME, 1 },
	{ "processTemplate", B_PROCESS_TEMPLATE, 0 },
	{ "esmith::templates::processTemplate", B_PROCESS_TEMPLATE, 0 },
	{ NULL, 0, 0 }
};

static const char *const unsupported_words[] = {
	"system", "exec",    "open",	 "close",    "opendir",	 "readdir",
	"print",  "printf",  "require",	 "fork",     "kill",	 "unlink",
	"rename", "mkdir",   "rmdir",	 "chmod",    "chown",	 "eval",
	"do",	  "sysopen", "syscall",	 "readpipe", "binmode",	 "select",
	"socket", "exit",    "dump",	 "goto",     "chdir",	 "symlink",
	"link",	  "utime",   "truncate", "flock",    "sleep",	 "bless",
	"tie",	  "format",  "write",	 "read",     "sysread",	 "syswrite",
	"seek",	  "tell",    "eof",	 "getc",     "readline", "glob",
	"pack",	  "unpack",  "local $/", NULL
};

static const struct builtin_def *
find_builtin(const struct token *t)
{
	for (size_t i = 0; builtins[i].name; i++)
		if (builtins[i].name[0] == t->s[0] &&
		    word_is(t, builtins[i].name))
			return &builtins[i];
	return NULL;
}

static int
is_unsupported_word(const struct token *t)
{
	for (size_t i = 0; unsupported_words[i]; i++)
		if (unsupported_words[i][0] == t->s[0] &&
		    word_is(t, unsupported_words[i]))
			return 1;
	return 0;
}

/* Does the next raw source character (after blanks) start `s`? */
static int
next_is(struct parser *ps, const char *s)
{
	const char *p = ps->lx.p;

	while (p < ps->lx.end && is_sp((unsigned char)*p))
		p++;
	return (size_t)(ps->lx.end - p) >= strlen(s) &&
	       memcmp(p, s, strlen(s)) == 0;
}

/* Arguments of a list operator: `( LIST )` or LIST up to a low-precedence
   operator. Adds them to `f`. */
static void
parse_call_args(struct parser *ps, struct node *f)
{
	if (is_op(ps, "(")) {
		lx_next(ps);
		if (!is_op(ps, ")")) {
			struct node *e = parse_expr(ps);
			if (e->type == N_LIST && !(e->flags & 1)) {
				for (size_t i = 0; i < e->nkids; i++)
					node_add(ps, f, e->kids[i]);
			} else {
				node_add(ps, f, e);
			}
		}
		expect_op(ps, ")");
		f->flags |= 2; /* parenthesised */
		return;
	}
	if (ps->tok.t == T_EOF || is_op(ps, ";") || is_op(ps, ")") ||
	    is_op(ps, "}") || is_op(ps, "]") || is_op(ps, ":") ||
	    is_op(ps, "=") || is_op(ps, "==") || is_word(ps, "if") ||
	    is_word(ps, "unless") || is_word(ps, "or") || is_word(ps, "and") ||
	    is_word(ps, "foreach") || is_word(ps, "for") ||
	    is_word(ps, "while") || is_word(ps, "until") || is_op(ps, "?") ||
	    is_word(ps, "eq") || is_word(ps, "ne") || is_op(ps, "||") ||
	    is_op(ps, "&&") || is_op(ps, ","))
		return;
	for (;;) {
		node_add(ps, f, parse_assign(ps));
		if (!is_op(ps, ",") && !is_op(ps, "=>"))
			break;
		lx_next(ps);
		if (ps->tok.t == T_EOF || is_op(ps, ";") || is_op(ps, ")") ||
		    is_op(ps, "}") || is_word(ps, "if") ||
		    is_word(ps, "unless"))
			break;
	}
}

/* The argument of a named unary operator (optional). */
static void
parse_unary_arg(struct parser *ps, struct node *f)
{
	if (is_op(ps, "(")) {
		lx_next(ps);
		if (!is_op(ps, ")"))
			node_add(ps, f, parse_expr(ps));
		expect_op(ps, ")");
		f->flags |= 2;
		return;
	}
	if (ps->tok.t == T_EOF || is_op(ps, ";") || is_op(ps, ")") ||
	    is_op(ps, "}") || is_op(ps, "]") || is_op(ps, ",") ||
	    is_op(ps, "=>") || is_op(ps, "?") || is_op(ps, ":") ||
	    is_op(ps, "==") || is_op(ps, "!=") || is_op(ps, "||") ||
	    is_op(ps, "&&") || is_op(ps, "//") || is_op(ps, "<") ||
	    is_op(ps, ">") || is_op(ps, "=") || is_op(ps, ".") ||
	    (ps->tok.t == T_IDENT &&
	     (is_word(ps, "if") || is_word(ps, "unless") || is_word(ps, "or") ||
	      is_word(ps, "and") || is_word(ps, "eq") || is_word(ps, "ne") ||
	      is_word(ps, "lt") || is_word(ps, "gt") || is_word(ps, "le") ||
	      is_word(ps, "ge") || is_word(ps, "cmp") || is_word(ps, "x") ||
	      is_word(ps, "foreach") || is_word(ps, "for"))))
		return;
	/* binds tighter than comparison operators */
	node_add(ps, f, parse_binary(ps, 8));
}

static struct node *
parse_builtin(struct parser *ps, const struct builtin_def *b)
{
	struct node *f = mknode(ps, N_FUNC, ps->tok.line);

	f->op = (unsigned short)b->id;
	lx_next(ps);
	if (b->unary == 2) {
		if (is_op(ps, "(")) {
			lx_next(ps);
			expect_op(ps, ")");
		}
		return f;
	}
	if (b->id == B_SORT || b->id == B_MAP || b->id == B_GREP) {
		int paren = 0;
		if (is_op(ps, "(")) {
			paren = 1;
			lx_next(ps);
		}
		if (is_op(ps, "{")) {
			/* map { block } LIST: a block, unless it looks like a
			   hash constructor followed by a comma */
			lx_next(ps);
			struct node *b2 = mknode(ps, N_BLOCK, ps->tok.line);
			while (!is_op(ps, "}")) {
				if (ps->tok.t == T_EOF)
					syntax_error(ps);
				node_add(ps, b2, parse_statement(ps));
			}
			lx_next(ps);
			f->a = b2;
			if (is_op(ps, ","))
				lx_next(ps);
		} else if (b->id != B_SORT || ps->tok.t == T_VAR ||
			   ps->tok.t == T_IDENT) {
			if (b->id == B_SORT && ps->tok.t == T_VAR &&
			    ps->tok.sigil == '$' && !next_is(ps, ",") &&
			    !next_is(ps, ")")) {
				/* sort $subref LIST */
				unsupported(ps, ps->tok.line, "sort SUBNAME",
					    12);
			}
			if (b->id == B_SORT && ps->tok.t == T_IDENT &&
			    !find_builtin(&ps->tok) && !next_is(ps, ",") &&
			    !next_is(ps, "::") && !next_is(ps, "->")) {
				/* sort SUBNAME LIST: sort { SUBNAME() } LIST */
				struct node *c =
					mknode(ps, N_CALL, ps->tok.line);
				c->s = arena_strndup(ps->prog, ps->tok.s,
						     ps->tok.len);
				c->slen = ps->tok.len;
				f->a = mknode(ps, N_BLOCK, ps->tok.line);
				node_add(ps, f->a, c);
				lx_next(ps);
			}
			if (b->id != B_SORT) {
				f->a = parse_assign(ps);
				expect_op(ps, ",");
			}
		}
		if (!is_op(ps, ")") && ps->tok.t != T_EOF && !is_op(ps, ";")) {
			struct node *e = parse_expr(ps);
			node_add(ps, f, e);
		}
		if (paren)
			expect_op(ps, ")");
		return f;
	}
	if (b->id == B_SPLIT) {
		int paren = 0;
		if (is_op(ps, "(")) {
			paren = 1;
			lx_next(ps);
		}
		if (!is_op(ps, ")")) {
			for (;;) {
				node_add(ps, f, parse_assign(ps));
				if (!is_op(ps, ","))
					break;
				lx_next(ps);
			}
		}
		if (paren)
			expect_op(ps, ")");
		return f;
	}
	if (b->unary)
		parse_unary_arg(ps, f);
	else
		parse_call_args(ps, f);
	return f;
}

/* `{` after a hash: a key, where a lone bareword is a string. */
static struct node *
parse_hash_key(struct parser *ps)
{
	struct node *k;

	lx_next(ps); /* { */
	if (ps->tok.t == T_IDENT && next_is(ps, "}")) {
		k = mkconst_str(ps, ps->tok.s, ps->tok.len, ps->tok.line);
		lx_next(ps);
	} else if (is_op(ps, "-") && ps->lx.p < ps->lx.end &&
		   is_idstart((unsigned char)*ps->lx.p)) {
		lx_next(ps);
		struct strbuf sb = STRBUF_INIT;
		strbuf_addch(&sb, '-');
		strbuf_add(&sb, ps->tok.s, ps->tok.len);
		k = mkconst_str(ps, sb.buf, sb.len, ps->tok.line);
		strbuf_release(&sb);
		lx_next(ps);
	} else {
		k = parse_expr(ps);
	}
	ps->lx.want_term = 0;
	if (!is_op(ps, "}"))
		syntax_error(ps);
	ps->lx.want_term = 0;
	lx_next(ps);
	return k;
}

static struct node *parse_subscripts(struct parser *ps, struct node *n);

/* After a scalar-sigil variable name: $x, $x[..], $x{..}. */
static struct node *
parse_scalar_var(struct parser *ps, const char *name, size_t len, int line)
{
	if (is_op(ps, "[") && !(ps->tok.space_after && 0)) {
		struct node *av = var_node(ps, '@', name, len, line);
		lx_next(ps);
		struct node *e = mknode(ps, N_ELEM, line);
		e->a = av;
		e->b = parse_expr(ps);
		expect_op(ps, "]");
		return e;
	}
	if (is_op(ps, "{")) {
		struct node *hv = var_node(ps, '%', name, len, line);
		struct node *e = mknode(ps, N_HELEM, line);
		e->a = hv;
		e->b = parse_hash_key(ps);
		return e;
	}
	return var_node(ps, '$', name, len, line);
}

/* A cast: ${...} @{...} %{...} $$x @$x %$x &$x $#{..} $#$x */
static struct node *
parse_cast(struct parser *ps)
{
	char sigil = ps->tok.sigil;
	int line = ps->tok.line;
	struct node *inner;

	lx_next(ps);
	if (is_op(ps, "{")) {
		lx_next(ps);
		inner = parse_expr(ps);
		ps->lx.want_term = 0;
		if (!is_op(ps, "}"))
			syntax_error(ps);
		lx_next(ps);
	} else if (ps->tok.t == T_VAR && ps->tok.sigil == '$') {
		inner = var_node(ps, '$', ps->tok.s, ps->tok.len, ps->tok.line);
		lx_next(ps);
	} else if (ps->tok.t == T_CAST && ps->tok.sigil == '$') {
		inner = parse_cast(ps);
	} else {
		syntax_error(ps);
	}
	struct node *n;
	switch (sigil) {
	case '$':
		if (is_op(ps, "[")) {
			n = mknode(ps, N_ELEM, line);
			n->a = mknode(ps, N_RV2AV, line);
			n->a->a = inner;
			lx_next(ps);
			n->b = parse_expr(ps);
			expect_op(ps, "]");
			return n;
		}
		if (is_op(ps, "{")) {
			n = mknode(ps, N_HELEM, line);
			n->a = mknode(ps, N_RV2HV, line);
			n->a->a = inner;
			n->b = parse_hash_key(ps);
			return n;
		}
		n = mknode(ps, N_RV2SV, line);
		n->a = inner;
		return n;
	case '@':
		if (is_op(ps, "[") || is_op(ps, "{")) {
			int hash = is_op(ps, "{");
			n = mknode(ps, hash ? N_HSLICE : N_SLICE, line);
			n->a = mknode(ps, hash ? N_RV2HV : N_RV2AV, line);
			n->a->a = inner;
			lx_next(ps);
			n->b = parse_expr(ps);
			expect_op(ps, hash ? "}" : "]");
			return n;
		}
		n = mknode(ps, N_RV2AV, line);
		n->a = inner;
		return n;
	case '%':
		n = mknode(ps, N_RV2HV, line);
		n->a = inner;
		return n;
	case '#':
		n = mknode(ps, N_LASTIDX, line);
		n->a = mknode(ps, N_RV2AV, line);
		n->a->a = inner;
		return n;
	default: /* & */
		n = mknode(ps, N_CALLREF, line);
		n->a = inner;
		if (is_op(ps, "("))
			parse_call_args(ps, n);
		else
			n->flags |= 4; /* &$f; passes @_ */
		return n;
	}
}

/* my $x / my ($x, @y) / our / local */
static struct node *
parse_decl(struct parser *ps, int kind)
{
	int line = ps->tok.line;
	struct node *d = mknode(ps, N_MY, line);
	int paren = 0;

	d->flags = (unsigned)kind; /* 0 my, 1 our, 2 local */
	lx_next(ps);
	if (kind == 2) {
		/* local EXPR: an lvalue list */
		struct node *e = parse_binary(ps, 9);
		d->type = N_LOCAL;
		d->a = e;
		return d;
	}
	if (is_op(ps, "(")) {
		paren = 1;
		lx_next(ps);
	}
	for (;;) {
		if (paren && is_op(ps, ")"))
			break;
		if (ps->tok.t == T_IDENT && word_is(&ps->tok, "undef")) {
			node_add(ps, d,
				 mkconst_val(ps,
					     &(struct val){ VT_UNDEF, { 0 } },
					     line));
			lx_next(ps);
		} else {
			if (ps->tok.t != T_VAR || ps->tok.sigil == '&' ||
			    ps->tok.sigil == '#')
				syntax_error(ps);
			char sigil = ps->tok.sigil;
			struct node *v;
			if (kind == 0) {
				int slot = declare_my(ps, sigil, ps->tok.s,
						      ps->tok.len);
				v = mknode(ps,
					   sigil == '$'	  ? N_MYSV
					   : sigil == '@' ? N_MYAV
							  : N_MYHV,
					   ps->tok.line);
				v->slot = slot;
			} else {
				declare_our(ps, sigil, ps->tok.s, ps->tok.len);
				if (sigil == '$' && word_is(&ps->tok, "OUT"))
					v = mknode(ps, N_OUT, ps->tok.line);
				else {
					v = mknode(ps,
						   sigil == '$'	  ? N_GSV
						   : sigil == '@' ? N_GAV
								  : N_GHV,
						   ps->tok.line);
					v->s = arena_strndup(ps->prog,
							     ps->tok.s,
							     ps->tok.len);
					glob_for(ps, v, sigil, ps->tok.s,
						 ps->tok.len);
				}
			}
			node_add(ps, d, v);
			lx_next(ps);
		}
		if (!paren)
			break;
		if (is_op(ps, ","))
			lx_next(ps);
		else
			break;
	}
	if (paren) {
		expect_op(ps, ")");
		d->op = 1; /* list */
	}
	return d;
}

static struct node *
parse_anon_hash(struct parser *ps, int line)
{
	struct node *n = mknode(ps, N_ANONHASH, line);

	lx_next(ps);
	if (!is_op(ps, "}"))
		n->a = parse_expr(ps);
	ps->lx.want_term = 0;
	if (!is_op(ps, "}"))
		syntax_error(ps);
	lx_next(ps);
	return n;
}

static struct node *parse_sub_body(struct parser *ps, struct node *def);
static struct node *parse_list(struct parser *ps);

static int
ends_expression(struct parser *ps)
{
	return ps->tok.t == T_EOF || is_op(ps, ";") || is_op(ps, "}") ||
	       is_op(ps, ")") || is_word(ps, "if") || is_word(ps, "unless") ||
	       is_word(ps, "or") || is_word(ps, "and") || is_op(ps, ":");
}

/* jump: 'return' [ list ] | 'next' | 'last' (also inside expressions:
   `$x || next`) */
static struct node *
parse_jump(struct parser *ps)
{
	int line = ps->tok.line;
	struct node *n;

	if (is_word(ps, "return")) {
		n = mknode(ps, N_RETURN, line);
		lx_next(ps);
		if (!ends_expression(ps))
			n->a = parse_list(ps);
		return n;
	}
	n = mknode(ps, is_word(ps, "next") ? N_NEXT : N_LAST, line);
	lx_next(ps);
	if (ps->tok.t == T_IDENT && !ends_expression(ps))
		unsupported(ps, line, "loop label", 10);
	return n;
}

/* Bareword: builtin, sub call, class name, or string before => */
static struct node *
parse_word(struct parser *ps)
{
	struct token t = ps->tok;
	const struct builtin_def *b;
	struct node *n;

	if (next_is(ps, "=>") && !next_is(ps, "=>>")) {
		lx_next(ps);
		return mkconst_str(ps, t.s, t.len, t.line);
	}
	if (word_is(&t, "my"))
		return parse_decl(ps, 0);
	if (word_is(&t, "our"))
		return parse_decl(ps, 1);
	if (word_is(&t, "local"))
		return parse_decl(ps, 2);
	if (word_is(&t, "sub")) {
		lx_next(ps);
		n = mknode(ps, N_ANONSUB, t.line);
		return parse_sub_body(ps, n);
	}
	if (word_is(&t, "do") || word_is(&t, "eval")) {
		lx_next(ps);
		if (!is_op(ps, "{"))
			unsupported(ps, t.line,
				    word_is(&t, "do") ? "do FILE"
						      : "eval STRING",
				    word_is(&t, "do") ? 7 : 11);
		n = mknode(ps, N_FUNC, t.line);
		n->op = word_is(&t, "do") ? B_DO : B_EVAL;
		n->a = parse_block(ps);
		return n;
	}
	if (word_is(&t, "__PACKAGE__")) {
		lx_next(ps);
		return mkconst_str(ps, "main", 4, t.line);
	}
	if (word_is(&t, "qw")) {
		syntax_error(ps);
	}
	if ((b = find_builtin(&t)))
		return parse_builtin(ps, b);
	if (is_unsupported_word(&t))
		unsupported(ps, t.line, t.s, t.len);
	if (word_is(&t, "return") || word_is(&t, "next") || word_is(&t, "last"))
		return parse_jump(ps);
	lx_next(ps);
	/* Class->method */
	if (is_op(ps, "->") || is_op(ps, "::")) {
		if (is_op(ps, "::"))
			lx_next(ps);
		return mkconst_str(ps, t.s, t.len, t.line);
	}
	/* function call */
	n = mknode(ps, N_CALL, t.line);
	n->s = arena_strndup(ps->prog, t.s, t.len);
	n->slen = t.len;
	if (is_op(ps, "(")) {
		parse_call_args(ps, n);
		return n;
	}
	/* a bareword used as a string (no strict subs): allow when it can't be
	   a call with arguments */
	if (ps->tok.t == T_EOF || is_op(ps, ";") || is_op(ps, ")") ||
	    is_op(ps, "}") || is_op(ps, ",") || is_op(ps, "]")) {
		n->flags |= 8; /* bareword: call if defined, else string */
		return n;
	}
	parse_call_args(ps, n);
	return n;
}

static struct node *
parse_primary(struct parser *ps)
{
	struct token t = ps->tok;
	struct node *n;

	switch (t.t) {
	case T_NUM:
		lx_next(ps);
		return mkconst_val(ps, &t.num, t.line);
	case T_STR:
		lx_next(ps);
		return mkconst_str(ps, t.s, t.len, t.line);
	case T_ISTR:
		lx_next(ps);
		return interpolate(ps, t.s, t.len, t.line, 0, t.sigil);
	case T_QW: {
		n = mknode(ps, N_LIST, t.line);
		const char *p = t.s, *end = t.s + t.len;
		while (p < end) {
			while (p < end && is_sp((unsigned char)*p))
				p++;
			const char *w = p;
			while (p < end && !is_sp((unsigned char)*p))
				p++;
			if (p > w)
				node_add(ps, n,
					 mkconst_str(ps, w, (size_t)(p - w),
						     t.line));
		}
		lx_next(ps);
		return n;
	}
	case T_MATCH:
	case T_SUBST:
	case T_TRANS:
		return parse_regex_tok(ps);
	case T_VAR:
		lx_next(ps);
		switch (t.sigil) {
		case '$':
			return parse_scalar_var(ps, t.s, t.len, t.line);
		case '@':
			if (is_op(ps, "[") || is_op(ps, "{")) {
				int hash = is_op(ps, "{");
				n = mknode(ps, hash ? N_HSLICE : N_SLICE,
					   t.line);
				n->a = var_node(ps, hash ? '%' : '@', t.s,
						t.len, t.line);
				lx_next(ps);
				n->b = parse_expr(ps);
				expect_op(ps, hash ? "}" : "]");
				return n;
			}
			return var_node(ps, '@', t.s, t.len, t.line);
		case '%':
			return var_node(ps, '%', t.s, t.len, t.line);
		case '#':
			n = mknode(ps, N_LASTIDX, t.line);
			n->a = var_node(ps, '@', t.s, t.len, t.line);
			return n;
		default: /* &name */
			n = mknode(ps, N_CALL, t.line);
			n->s = arena_strndup(ps->prog, t.s, t.len);
			n->slen = t.len;
			if (is_op(ps, "("))
				parse_call_args(ps, n);
			else
				n->flags |= 4;
			return n;
		}
	case T_CAST:
		return parse_cast(ps);
	case T_IDENT:
		return parse_word(ps);
	case T_OP:
		if (is_op(ps, "(")) {
			lx_next(ps);
			if (is_op(ps, ")")) {
				lx_next(ps);
				n = mknode(ps, N_LIST, t.line);
			} else {
				struct node *e = parse_expr(ps);
				expect_op(ps, ")");
				if (e->type == N_LIST) {
					n = e;
				} else {
					n = mknode(ps, N_LIST, t.line);
					node_add(ps, n, e);
				}
			}
			n->flags |= 1; /* parenthesised */
			if (is_op(ps, "[")) {
				struct node *s = mknode(ps, N_SLICE, t.line);
				s->a = n;
				s->flags = 1; /* list slice */
				lx_next(ps);
				s->b = parse_expr(ps);
				expect_op(ps, "]");
				return s;
			}
			return n;
		}
		if (is_op(ps, "[")) {
			lx_next(ps);
			n = mknode(ps, N_ANONARRAY, t.line);
			if (!is_op(ps, "]"))
				n->a = parse_expr(ps);
			expect_op(ps, "]");
			return n;
		}
		if (is_op(ps, "{"))
			return parse_anon_hash(ps, t.line);
		if (is_op(ps, "<"))
			unsupported(ps, t.line, "<...>", 5);
		break;
	default:
		break;
	}
	syntax_error(ps);
}

/* Subscripts and arrows after a term. */
static struct node *
parse_subscripts(struct parser *ps, struct node *n)
{
	for (;;) {
		int line = ps->tok.line;
		int implied = (n->type == N_ELEM || n->type == N_HELEM) &&
			      (is_op(ps, "[") || is_op(ps, "{"));
		if (is_op(ps, "->") && (n->type == N_MYHV || n->type == N_GHV ||
					n->type == N_MYAV || n->type == N_GAV))
			perr(ps, line, "Can't use %s as a reference",
			     n->type == N_MYHV || n->type == N_GHV
				     ? "a hash"
				     : "an array");
		if (is_op(ps, "->") || implied) {
			if (!implied)
				lx_next(ps);
			if (is_op(ps, "[")) {
				struct node *e = mknode(ps, N_ELEM, line);
				e->a = mknode(ps, N_RV2AV, line);
				e->a->a = n;
				lx_next(ps);
				e->b = parse_expr(ps);
				expect_op(ps, "]");
				n = e;
				continue;
			}
			if (is_op(ps, "{")) {
				struct node *e = mknode(ps, N_HELEM, line);
				e->a = mknode(ps, N_RV2HV, line);
				e->a->a = n;
				e->b = parse_hash_key(ps);
				n = e;
				continue;
			}
			if (is_op(ps, "(")) {
				struct node *c = mknode(ps, N_CALLREF, line);
				c->a = n;
				parse_call_args(ps, c);
				n = c;
				continue;
			}
			if (is_op(ps, "@")) {
				lx_next(ps);
				expect_op(ps, "*");
				struct node *e = mknode(ps, N_RV2AV, line);
				e->a = n;
				n = e;
				continue;
			}
			if (is_op(ps, "%")) {
				lx_next(ps);
				expect_op(ps, "*");
				struct node *e = mknode(ps, N_RV2HV, line);
				e->a = n;
				n = e;
				continue;
			}
			if (ps->tok.t == T_IDENT || ps->tok.t == T_VAR) {
				struct node *m = mknode(ps, N_METHOD, line);
				m->a = n;
				if (ps->tok.t == T_VAR)
					unsupported(ps, line, "->$method", 9);
				m->s = arena_strndup(ps->prog, ps->tok.s,
						     ps->tok.len);
				m->slen = ps->tok.len;
				ps->lx.want_term = 0;
				lx_next(ps);
				if (is_op(ps, "("))
					parse_call_args(ps, m);
				n = m;
				continue;
			}
			syntax_error(ps);
		}
		if (is_op(ps, "(") && n->type == N_CALLREF) {
			struct node *c = mknode(ps, N_CALLREF, line);
			c->a = n;
			parse_call_args(ps, c);
			n = c;
			continue;
		}
		return n;
	}
}

static struct node *
parse_postfix(struct parser *ps, struct node *n)
{
	n = parse_subscripts(ps, n);
	if (is_op(ps, "++") || is_op(ps, "--")) {
		struct node *p =
			mknode(ps, is_op(ps, "++") ? N_POSTINC : N_POSTDEC,
			       ps->tok.line);
		p->a = n;
		lx_next(ps);
		return p;
	}
	return n;
}

/* incdec: ++term | --term | term++ | term-- */
static struct node *
parse_incdec(struct parser *ps)
{
	if (is_op(ps, "++") || is_op(ps, "--")) {
		struct node *p =
			mknode(ps, is_op(ps, "++") ? N_PREINC : N_PREDEC,
			       ps->tok.line);
		lx_next(ps);
		p->a = parse_incdec(ps);
		return p;
	}
	return parse_postfix(ps, parse_primary(ps));
}

/* pow: incdec [ '**' unary ] (right associative) */
static struct node *
parse_pow(struct parser *ps)
{
	struct node *n = parse_incdec(ps);

	if (is_op(ps, "**")) {
		int line = ps->tok.line;
		lx_next(ps);
		enter(ps);
		struct node *r = parse_unary(ps);
		leave(ps);
		return mkbin(ps, N_BINOP, '*' * 256 + '*', n, r, line);
	}
	return n;
}

/* unary: ('!' | '-' | '+' | '~' | '\') unary | pow */
static struct node *
parse_unary(struct parser *ps)
{
	int line = ps->tok.line;
	struct node *n;

	enter(ps);
	if (is_op(ps, "!")) {
		lx_next(ps);
		n = mknode(ps, N_NOT, line);
		n->a = parse_unary(ps);
	} else if (is_op(ps, "-")) {
		lx_next(ps);
		if (ps->tok.t == T_IDENT && ps->tok.len == 1 &&
		    strchr("edfrwxszl", ps->tok.s[0]) && !next_is(ps, "=>") &&
		    !next_is(ps, ",") && !next_is(ps, ")")) {
			/* file test */
			n = mknode(ps, N_FUNC, line);
			n->op = B_FILETEST;
			n->flags = (unsigned char)ps->tok.s[0];
			lx_next(ps);
			parse_unary_arg(ps, n);
		} else if (ps->tok.t == T_IDENT && !find_builtin(&ps->tok) &&
			   !next_is(ps, "(")) {
			struct strbuf sb = STRBUF_INIT;
			strbuf_addch(&sb, '-');
			strbuf_add(&sb, ps->tok.s, ps->tok.len);
			n = mkconst_str(ps, sb.buf, sb.len, line);
			strbuf_release(&sb);
			lx_next(ps);
		} else {
			n = mknode(ps, N_NEG, line);
			n->a = parse_unary(ps);
		}
	} else if (is_op(ps, "+")) {
		lx_next(ps);
		n = parse_unary(ps);
	} else if (is_op(ps, "~")) {
		lx_next(ps);
		n = mknode(ps, N_BITNOT, line);
		n->a = parse_unary(ps);
	} else if (is_op(ps, "\\")) {
		lx_next(ps);
		n = mknode(ps, N_REFGEN, line);
		n->a = parse_unary(ps);
	} else {
		n = parse_pow(ps);
	}
	leave(ps);
	return n;
}

/* Binary operator precedence (higher binds tighter); 0: not binary. */
static int
binop_prec(const struct parser *ps, int *op)
{
	const struct token *t = &ps->tok;
	static const struct {
		const char *s;
		int prec;
	} table[] = {
		{ "||", 1 },  { "//", 1 },  { "&&", 2 },  { "|", 3 },
		{ "^", 3 },   { "&", 4 },   { "==", 5 },  { "!=", 5 },
		{ "<=>", 5 }, { "eq", 5 },  { "ne", 5 },  { "cmp", 5 },
		{ "<", 6 },   { ">", 6 },   { "<=", 6 },  { ">=", 6 },
		{ "lt", 6 },  { "gt", 6 },  { "le", 6 },  { "ge", 6 },
		{ "<<", 8 },  { ">>", 8 },  { "+", 9 },	  { "-", 9 },
		{ ".", 9 },   { "*", 10 },  { "/", 10 },  { "%", 10 },
		{ "x", 10 },  { "=~", 11 }, { "!~", 11 }, { NULL, 0 },
	};
	if ((t->t != T_OP && t->t != T_IDENT) || t->len > 3)
		return 0;
	for (size_t i = 0; table[i].s; i++) {
		if (table[i].s[0] != t->s[0])
			continue;
		size_t n = strlen(table[i].s);
		if (t->len == n && memcmp(t->s, table[i].s, n) == 0) {
			if (t->t == T_IDENT &&
			    !is_idstart((unsigned char)table[i].s[0]))
				return 0;
			if (t->t == T_OP &&
			    is_idstart((unsigned char)table[i].s[0]))
				return 0;
			*op = (int)i;
			return table[i].prec;
		}
	}
	return 0;
}

/* Operator codes used by the evaluator (index into the table above). */
static int
binop_code(const struct token *t)
{
	int c = (unsigned char)t->s[0] * 256;

	if (t->len > 1)
		c += (unsigned char)t->s[1];
	if (t->len > 2)
		c = c * 256 + (unsigned char)t->s[2];
	return c;
}

static struct node *
bind_match(struct parser *ps, struct node *target, struct node *rhs, int neg,
	   int line)
{
	struct node *m = rhs;

	if (rhs->type == N_MATCH || rhs->type == N_SUBST ||
	    rhs->type == N_TRANS) {
		if (rhs->a)
			syntax_error(ps);
		m->a = target;
	} else {
		/* $x =~ $pattern */
		struct regex *re = arena_alloc(ps->prog, sizeof(*re));
		re->pat = rhs;
		re->next = ps->prog->regexes;
		ps->prog->regexes = re;
		m = mknode(ps, N_MATCH, line);
		m->re = re;
		m->a = target;
	}
	if (neg)
		m->op = 1;
	return m;
}

/* binary: unary { binop binary } by precedence climbing */
static struct node *
parse_binary(struct parser *ps, int minprec)
{
	struct node *l;
	int op, prec;

	enter(ps);
	l = parse_unary(ps);
	if (is_op(ps, "~~"))
		unsupported(ps, ps->tok.line, "~~", 2);
	while ((prec = binop_prec(ps, &op)) && prec >= minprec) {
		struct token t = ps->tok;
		int line = t.line;
		lx_next(ps);
		int nonassoc = prec == 5 || prec == 6;
		struct node *r = parse_binary(ps, prec + 1);
		if (prec == 11) {
			l = bind_match(ps, l, r, t.s[0] == '!', line);
		} else if (t.len == 2 && memcmp(t.s, "||", 2) == 0) {
			l = mkbin(ps, N_OR, 0, l, r, line);
		} else if (t.len == 2 && memcmp(t.s, "&&", 2) == 0) {
			l = mkbin(ps, N_AND, 0, l, r, line);
		} else if (t.len == 2 && memcmp(t.s, "//", 2) == 0) {
			l = mkbin(ps, N_DOR, 0, l, r, line);
		} else {
			l = mkbin(ps, N_BINOP, binop_code(&t), l, r, line);
		}
		if (nonassoc && binop_prec(ps, &op) == prec)
			syntax_error(ps);
	}
	leave(ps);
	return l;
}

/* range: binary [ '..' binary ] */
static struct node *
parse_range(struct parser *ps)
{
	struct node *l = parse_binary(ps, 1);

	if (is_op(ps, "..") || is_op(ps, "...")) {
		int line = ps->tok.line;
		lx_next(ps);
		l = mkbin(ps, N_RANGE, 0, l, parse_binary(ps, 1), line);
	}
	return l;
}

/* cond: range [ '?' assign ':' assign ] */
static struct node *
parse_cond(struct parser *ps)
{
	struct node *c = parse_range(ps);

	if (is_op(ps, "?")) {
		struct node *n = mknode(ps, N_COND, ps->tok.line);
		lx_next(ps);
		enter(ps);
		n->a = c;
		n->b = parse_assign(ps);
		expect_op(ps, ":");
		n->c = parse_assign(ps);
		leave(ps);
		return n;
	}
	return c;
}

/* assign: cond [ assignop assign ] (right associative) */
static struct node *
parse_assign(struct parser *ps)
{
	static const char *const aops[] = {
		"=",   ".=",  "+=",  "-=", "*=", "/=", "x=",  "%=",  "||=",
		"&&=", "//=", "**=", "|=", "&=", "^=", "<<=", ">>=", NULL
	};
	struct node *l;

	enter(ps);
	l = parse_cond(ps);
	for (size_t i = 0; aops[i]; i++) {
		if (!is_op(ps, aops[i]))
			continue;
		int line = ps->tok.line;
		struct token t = ps->tok;
		lx_next(ps);
		struct node *n = mknode(ps, N_ASSIGN, line);
		n->a = l;
		n->b = parse_assign(ps);
		if (t.len == 1) {
			n->op = 0;
		} else {
			struct token opt = t;
			opt.len--;
			n->op = binop_code(&opt);
			if (t.len == 3 && t.s[0] == '|')
				n->op = 1;
			else if (t.len == 3 && t.s[0] == '&')
				n->op = 2;
			else if (t.len == 3 && t.s[0] == '/')
				n->op = 3;
		}
		l = n;
		break;
	}
	leave(ps);
	return l;
}

/* list: assign { ',' assign } */
static struct node *
parse_list(struct parser *ps)
{
	struct node *first = parse_assign(ps);
	struct node *l;

	if (!is_op(ps, ",") && !is_op(ps, "=>"))
		return first;
	l = mknode(ps, N_LIST, first->line);
	node_add(ps, l, first);
	while (is_op(ps, ",") || is_op(ps, "=>")) {
		lx_next(ps);
		if (ps->tok.t == T_EOF || is_op(ps, ")") || is_op(ps, "]") ||
		    is_op(ps, "}") || is_op(ps, ";") || is_word(ps, "if") ||
		    is_word(ps, "unless") || is_word(ps, "foreach") ||
		    is_word(ps, "for"))
			break;
		if (is_op(ps, ","))
			continue;
		node_add(ps, l, parse_assign(ps));
	}
	return l;
}

/* not: 'not' not | list */
static struct node *
parse_not(struct parser *ps)
{
	if (is_word(ps, "not")) {
		struct node *n = mknode(ps, N_NOT, ps->tok.line);
		lx_next(ps);
		enter(ps);
		n->a = parse_not(ps);
		leave(ps);
		return n;
	}
	return parse_list(ps);
}

/* and: not { 'and' not } */
static struct node *
parse_and(struct parser *ps)
{
	struct node *l = parse_not(ps);

	while (is_word(ps, "and")) {
		int line = ps->tok.line;
		lx_next(ps);
		l = mkbin(ps, N_AND, 0, l, parse_not(ps), line);
	}
	return l;
}

/* expr: and { ('or' | 'xor') and } */
static struct node *
parse_expr(struct parser *ps)
{
	struct node *l;

	enter(ps);
	l = parse_and(ps);
	while (is_word(ps, "or") || is_word(ps, "xor")) {
		int line = ps->tok.line;
		int x = ps->tok.s[0] == 'x';
		lx_next(ps);
		struct node *r = parse_and(ps);
		if (x)
			l = mkbin(ps, N_BINOP, 'x' * 256 + 'o', l, r, line);
		else
			l = mkbin(ps, N_OR, 0, l, r, line);
	}
	leave(ps);
	return l;
}

/* ---- statements ----------------------------------------------------- */

static size_t
scope_open(struct parser *ps)
{
	return ps->nvars;
}

static void
scope_close(struct parser *ps, size_t mark)
{
	ps->nvars = mark;
}

/* block: '{' { statement } '}' */
static struct node *
parse_block(struct parser *ps)
{
	struct node *b = mknode(ps, N_BLOCK, ps->tok.line);
	size_t mark = scope_open(ps);
	int sv = ps->strict_vars, sr = ps->strict_refs;

	enter(ps);
	expect_op(ps, "{");
	while (!is_op(ps, "}")) {
		if (ps->tok.t == T_EOF)
			perr(ps, b->line, "missing right curly bracket");
		node_add(ps, b, parse_statement(ps));
	}
	ps->lx.want_term = 1;
	lx_next(ps);
	scope_close(ps, mark);
	ps->strict_vars = sv;
	ps->strict_refs = sr;
	leave(ps);
	return b;
}

static struct node *
parse_paren_expr(struct parser *ps)
{
	struct node *e;

	expect_op(ps, "(");
	e = parse_expr(ps);
	expect_op(ps, ")");
	return e;
}

/* if: ('if' | 'unless') '(' expr ')' block { 'elsif' ... } [ 'else' block ] */
static struct node *
parse_if(struct parser *ps)
{
	struct node *n = mknode(ps, N_IF, ps->tok.line);
	size_t mark = scope_open(ps);

	n->op = is_word(ps, "unless");
	lx_next(ps);
	n->a = parse_paren_expr(ps);
	n->b = parse_block(ps);
	if (is_word(ps, "elsif")) {
		n->c = parse_if(ps);
		n->c->op = 0;
	} else if (is_word(ps, "else")) {
		lx_next(ps);
		n->c = parse_block(ps);
	}
	scope_close(ps, mark);
	return n;
}

/* foreach: ('for' | 'foreach') [ 'my' ] [ $var ] '(' list ')' block
 *        | 'for' '(' init ';' cond ';' step ')' block */
static struct node *
parse_for(struct parser *ps)
{
	int line = ps->tok.line;
	size_t mark = scope_open(ps);
	struct node *n, *var = NULL;

	lx_next(ps);
	if (is_word(ps, "my") || is_word(ps, "our")) {
		int my = is_word(ps, "my");
		lx_next(ps);
		if (ps->tok.t != T_VAR || ps->tok.sigil != '$')
			syntax_error(ps);
		if (my) {
			var = mknode(ps, N_MYSV, ps->tok.line);
			var->slot = declare_my(ps, '$', ps->tok.s, ps->tok.len);
		} else {
			var = var_node(ps, '$', ps->tok.s, ps->tok.len,
				       ps->tok.line);
		}
		lx_next(ps);
	} else if (ps->tok.t == T_VAR && ps->tok.sigil == '$') {
		var = var_node(ps, '$', ps->tok.s, ps->tok.len, ps->tok.line);
		lx_next(ps);
	}
	expect_op(ps, "(");
	if (!var) {
		/* C-style? */
		struct node *init = NULL;
		if (!is_op(ps, ";"))
			init = parse_expr(ps);
		if (is_op(ps, ";")) {
			n = mknode(ps, N_FORC, line);
			lx_next(ps);
			node_add(ps, n, init);
			node_add(ps, n, is_op(ps, ";") ? NULL : parse_expr(ps));
			expect_op(ps, ";");
			node_add(ps, n, is_op(ps, ")") ? NULL : parse_expr(ps));
			expect_op(ps, ")");
			n->b = parse_block(ps);
			scope_close(ps, mark);
			return n;
		}
		n = mknode(ps, N_FOREACH, line);
		n->b = init;
	} else {
		n = mknode(ps, N_FOREACH, line);
		n->b = is_op(ps, ")") ? mknode(ps, N_LIST, line)
				      : parse_expr(ps);
	}
	expect_op(ps, ")");
	n->a = var;
	n->c = parse_block(ps);
	scope_close(ps, mark);
	return n;
}

static struct node *
parse_sub_body(struct parser *ps, struct node *def)
{
	int save_in = ps->in_sub, save_slots = ps->nslots;
	size_t save_base = ps->sub_base, save_outer = ps->outer_base;
	struct node *save_sub = ps->cur_sub;

	ps->in_sub = 1;
	ps->outer_base = save_in ? save_base : 0;
	ps->sub_base = ps->nvars;
	ps->nslots = 0;
	ps->cur_sub = def;
	def->b = parse_block(ps);
	def->slot = ps->nslots; /* frame size */
	ps->in_sub = save_in;
	ps->sub_base = save_base;
	ps->outer_base = save_outer;
	ps->nslots = save_slots;
	ps->cur_sub = save_sub;
	return def;
}

static const char *const known_modules[] = { "strict",
					     "warnings",
					     "esmith::ConfigDB",
					     "esmith::AccountsDB",
					     "esmith::HostsDB",
					     "esmith::NetworksDB",
					     "esmith::DomainsDB",
					     "esmith::ConfigDB::UTF8",
					     "esmith::DockerContainersDB",
					     "esmith::DockerImagesDB",
					     "esmith::db",
					     "esmith::util",
					     "esmith::templates",
					     "utf8",
					     "constant_unused",
					     "integer_unused",
					     "vars",
					     "esmith::DB",
					     "esmith::DB::db",
					     "Carp",
					     "feature",
					     "lib",
					     "locale",
					     NULL };

/* use Module LIST; / no Module LIST; */
static struct node *
parse_use(struct parser *ps)
{
	int line = ps->tok.line;
	int is_no = is_word(ps, "no");

	lx_next(ps);
	if (ps->tok.t == T_NUM) {
		lx_next(ps);
		expect_op(ps, ";");
		return mknode(ps, N_NOP, line);
	}
	if (ps->tok.t != T_IDENT)
		syntax_error(ps);
	struct token m = ps->tok;
	int ok = 0;
	for (size_t i = 0; known_modules[i]; i++)
		if (word_is(&m, known_modules[i]))
			ok = 1;
	if (!ok ||
	    (is_no && !word_is(&m, "strict") && !word_is(&m, "warnings")))
		perr(ps, line, "unsupported construct 'use %.*s'", (int)m.len,
		     m.s);
	lx_next(ps);
	struct node *vars = NULL;
	if (ps->tok.t != T_EOF && !is_op(ps, ";"))
		vars = parse_expr(ps);
	if (word_is(&m, "vars") && vars) {
		/* use vars qw($x @y): declared package variables */
		struct node *l = vars;
		size_t n = l->type == N_LIST ? l->nkids : 1;
		for (size_t i = 0; i < n; i++) {
			struct node *k = l->type == N_LIST ? l->kids[i] : l;
			if (k->type == N_CONST && k->v.t == VT_PV &&
			    k->v.u.pv->len > 1)
				declare_our(ps, k->v.u.pv->s[0],
					    k->v.u.pv->s + 1,
					    k->v.u.pv->len - 1);
		}
	}
	if (word_is(&m, "strict")) {
		int v = 1, r = 1;
		if (vars) {
			/* use strict 'vars' / qw(refs) */
			struct node *l = vars;
			size_t n = l->type == N_LIST ? l->nkids : 1;
			v = r = 0;
			for (size_t i = 0; i < n; i++) {
				struct node *k =
					l->type == N_LIST ? l->kids[i] : l;
				if (k->type != N_CONST || k->v.t != VT_PV)
					continue;
				if (strcmp(k->v.u.pv->s, "vars") == 0)
					v = 1;
				if (strcmp(k->v.u.pv->s, "refs") == 0)
					r = 1;
			}
		}
		if (v)
			ps->strict_vars = !is_no;
		if (r)
			ps->strict_refs = !is_no;
	}
	if (ps->tok.t != T_EOF)
		expect_op(ps, ";");
	return mknode(ps, N_NOP, line);
}

/* Statement modifiers: EXPR if/unless/while/until/for/foreach EXPR */
static struct node *
parse_modifiers(struct parser *ps, struct node *e)
{
	for (;;) {
		int line = ps->tok.line;
		if (is_word(ps, "if") || is_word(ps, "unless")) {
			struct node *n = mknode(ps, N_IF, line);
			n->op = is_word(ps, "unless");
			lx_next(ps);
			n->a = parse_expr(ps);
			n->b = e;
			n->flags = 1; /* postfix */
			e = n;
		} else if (is_word(ps, "while") || is_word(ps, "until")) {
			struct node *n = mknode(ps, N_WHILE, line);
			n->op = is_word(ps, "until");
			lx_next(ps);
			n->a = parse_expr(ps);
			n->b = e;
			n->flags = 1;
			e = n;
		} else if (is_word(ps, "for") || is_word(ps, "foreach")) {
			struct node *n = mknode(ps, N_FOREACH, line);
			lx_next(ps);
			n->b = parse_expr(ps);
			n->c = e;
			n->flags = 1;
			e = n;
		} else {
			return e;
		}
	}
}

static void
end_statement(struct parser *ps)
{
	if (is_op(ps, ";")) {
		ps->lx.want_term = 1;
		lx_next(ps);
		return;
	}
	if (is_op(ps, "}") || ps->tok.t == T_EOF)
		return;
	syntax_error(ps);
}

/*
 * Perl's guess at a `{` starting a statement: an anonymous hash when it
 * is empty or starts with a word or string followed by `,` or `=>`.
 */
static int
looks_like_anon_hash(struct parser *ps)
{
	const char *p = ps->lx.p, *end = ps->lx.end;

	while (p < end && is_sp((unsigned char)*p))
		p++;
	if (p < end && *p == '}')
		return 1;
	if (p < end && (*p == '\'' || *p == '"')) {
		char q = *p++;
		while (p < end && *p != q) {
			if (*p == '\\')
				p++;
			p++;
		}
		p++;
	} else if (p < end && (*p == '$' || is_idstart((unsigned char)*p))) {
		if (*p == '$')
			p++;
		while (p < end && is_idchar((unsigned char)*p))
			p++;
	} else {
		return 0;
	}
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p < end &&
	       (*p == ',' || (*p == '=' && p + 1 < end && p[1] == '>'));
}

/* statement: block | if | unless | while | for | sub | use | expr [modifier]
 * ';' */
static struct node *
parse_statement(struct parser *ps)
{
	int line = ps->tok.line;
	struct node *n;

	enter(ps);
	if (is_op(ps, ";")) {
		lx_next(ps);
		n = mknode(ps, N_NOP, line);
		goto out;
	}
	if (is_op(ps, "{") && !looks_like_anon_hash(ps)) {
		n = parse_block(ps);
		n->flags |= 1; /* bare block: a loop that runs once */
		goto out;
	}
	if (ps->tok.t == T_IDENT && next_is(ps, ":") && !next_is(ps, "::"))
		unsupported(ps, line, "loop label", 10);
	if (ps->tok.t == T_IDENT) {
		if (is_word(ps, "if") || is_word(ps, "unless")) {
			n = parse_if(ps);
			goto out;
		}
		if (is_word(ps, "while") || is_word(ps, "until")) {
			n = mknode(ps, N_WHILE, line);
			n->op = is_word(ps, "until");
			lx_next(ps);
			size_t mark = scope_open(ps);
			if (is_op(ps, "(") && next_is(ps, ")")) {
				lx_next(ps);
				lx_next(ps);
				struct val one = { VT_IV, { .iv = 1 } };
				n->a = mkconst_val(ps, &one, line);
			} else {
				n->a = parse_paren_expr(ps);
			}
			n->b = parse_block(ps);
			if (is_word(ps, "continue")) {
				lx_next(ps);
				n->c = parse_block(ps);
			}
			scope_close(ps, mark);
			goto out;
		}
		if (is_word(ps, "for") || is_word(ps, "foreach")) {
			n = parse_for(ps);
			goto out;
		}
		if (is_word(ps, "sub") && ps->lx.p < ps->lx.end) {
			lx_next(ps);
			if (ps->tok.t != T_IDENT) {
				/* anonymous sub as an expression statement */
				n = mknode(ps, N_ANONSUB, line);
				n = parse_sub_body(ps, n);
				n = parse_postfix(ps, n);
				end_statement(ps);
				goto out;
			}
			n = mknode(ps, N_SUBDEF, line);
			n->s = arena_strndup(ps->prog, ps->tok.s, ps->tok.len);
			n->slen = ps->tok.len;
			lx_next(ps);
			parse_sub_body(ps, n);
			goto out;
		}
		if (is_word(ps, "use") || is_word(ps, "no")) {
			n = parse_use(ps);
			goto out;
		}
		if (is_word(ps, "package")) {
			unsupported(ps, line, "package", 7);
		}
		if (is_word(ps, "BEGIN") || is_word(ps, "END"))
			unsupported(ps, line, ps->tok.s, ps->tok.len);
	}
	n = parse_expr(ps);
	n = parse_modifiers(ps, n);
	end_statement(ps);
out:
	leave(ps);
	return n;
}

struct prog *
tmpl_parse(struct tmpl_ctx *ctx, const char *src, size_t len, const char *where,
	   int line, struct strbuf *err)
{
	struct parser ps;
	struct prog *prog = xcalloc(1, sizeof(*prog));

	prog->refcnt = 1;
	prog->where = xstrdup(where);
	memset(&ps, 0, sizeof(ps));
	ps.prog = prog;
	ps.ctx = ctx;
	ps.where = prog->where;
	ps.err = err;
	ps.max_depth = (int)(ctx->lim.max_depth ? ctx->lim.max_depth : 200);
	ps.lx.src = ps.lx.p = src;
	ps.lx.end = src + len;
	ps.lx.line = line;
	ps.lx.want_term = 1;
	if (setjmp(ps.jb)) {
		while (ps.nlive > 0)
			strbuf_release(ps.live[--ps.nlive]);
		free(ps.vars);
		prog_unref(prog);
		return NULL;
	}
	lx_next(&ps);
	struct node *b = mknode(&ps, N_BLOCK, line);
	while (ps.tok.t != T_EOF) {
		if (is_op(&ps, "}"))
			perr(&ps, ps.tok.line, "unmatched right curly bracket");
		node_add(&ps, b, parse_statement(&ps));
	}
	prog->body = b;
	prog->nslots = ps.nslots;
	free(ps.vars);
	return prog;
}
