/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Builtin functions, regular expressions (PCRE2) and the database objects
 * of the fragment language.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <math.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "db.h"
#include "tmpl-eval.h"
#include "util.h"
#include "banned.h"

static void
ret_sv(struct list *out, struct val *sout, struct val *v)
{
	if (sout)
		val_move(sout, v);
	else
		list_push(out, v);
}

static void
ret_iv(struct list *out, struct val *sout, int64_t iv)
{
	struct val v = { VT_IV, { .iv = iv } };

	ret_sv(out, sout, &v);
}

static void
ret_str(struct list *out, struct val *sout, const char *s, size_t len)
{
	struct val v;

	val_set_str(&v, s, len);
	ret_sv(out, sout, &v);
}

static void
ret_bool(struct list *out, struct val *sout, int t)
{
	if (t)
		ret_iv(out, sout, 1);
	else
		ret_str(out, sout, "", 0);
}

static void
ret_undef(struct list *out, struct val *sout)
{
	struct val v = { VT_UNDEF, { 0 } };

	if (sout)
		val_free(sout);
	else
		list_push(out, &v);
}

static struct obj *
underscore(struct ev *e)
{
	return ev_glob(e, "_", 1, OK_SCALAR);
}

/* The single argument of a unary builtin, or $_. */
static void
arg_sv(struct ev *e, struct node *n, struct val *v)
{
	if (n->nkids)
		ev_sv(e, n->kids[0], v);
	else
		val_copy(v, &underscore(e)->u.sv);
}

/* All arguments in list context. */
static void
args_list(struct ev *e, struct node *n, size_t from, struct list *l)
{
	for (size_t i = from; i < n->nkids && !e->ctl; i++)
		ev_lst(e, n->kids[i], l);
}

static void
case_map(struct val *v, int mode)
{
	/* mode: 0 lc, 1 uc, 2 lcfirst, 3 ucfirst; ASCII only, by bytes */
	val_to_pv(v);
	struct tstr *s = tstr_new(v->u.pv->s, v->u.pv->len);
	size_t n = mode >= 2 ? (s->len ? 1 : 0) : s->len;
	for (size_t i = 0; i < n; i++) {
		char c = s->s[i];
		if ((mode & 1) && c >= 'a' && c <= 'z')
			s->s[i] = (char)(c - 32);
		else if (!(mode & 1) && c >= 'A' && c <= 'Z')
			s->s[i] = (char)(c + 32);
	}
	val_free(v);
	v->t = VT_PV;
	v->u.pv = s;
}

/* ---- sprintf -------------------------------------------------------- */

/* The format is built from a checked conversion spec, one at a time. */
#pragma GCC diagnostic ignored "-Wformat-nonliteral"

static void
do_sprintf(struct ev *e, struct list *l, struct strbuf *out, int line)
{
	struct strbuf tmp = STRBUF_INIT, fmtb = STRBUF_INIT;
	size_t flen, ai = 1;
	const char *f;
	struct val undef = { VT_UNDEF, { 0 } };

	if (!l->n)
		return;
	f = val_str(&l->v[0], &flen, &fmtb);
	for (size_t i = 0; i < flen; i++) {
		if (f[i] != '%') {
			strbuf_addch(out, f[i]);
			continue;
		}
		size_t start = i++;
		char spec[64];
		size_t sl = 0;
		spec[sl++] = '%';
		{
			/* an explicit argument index: %2$s */
			size_t j = i;
			size_t idx = 0;
			while (j < flen && f[j] >= '0' && f[j] <= '9' &&
			       idx < 10000)
				idx = idx * 10 + (size_t)(f[j++] - '0');
			if (j > i && j < flen && f[j] == '$' && idx > 0) {
				ai = idx;
				i = j + 1;
			}
		}
		while (i < flen && strchr("-+ 0#", f[i]) && sl < 20)
			spec[sl++] = f[i++];
		if (i < flen && f[i] == '*') {
			const struct val *w = ai < l->n ? &l->v[ai++] : &undef;
			sl += (size_t)snprintf(spec + sl, sizeof(spec) - sl,
					       "%d", (int)val_iv(w));
			i++;
		} else {
			while (i < flen && f[i] >= '0' && f[i] <= '9' &&
			       sl < 40)
				spec[sl++] = f[i++];
		}
		if (i < flen && f[i] == '.') {
			spec[sl++] = f[i++];
			if (i < flen && f[i] == '*') {
				const struct val *w =
					ai < l->n ? &l->v[ai++] : &undef;
				sl += (size_t)snprintf(spec + sl,
						       sizeof(spec) - sl, "%d",
						       (int)val_iv(w));
				i++;
			} else {
				while (i < flen && f[i] >= '0' && f[i] <= '9' &&
				       sl < 50)
					spec[sl++] = f[i++];
			}
		}
		while (i < flen && strchr("hlqLV", f[i]))
			i++;
		if (i >= flen) {
			strbuf_add(out, f + start, flen - start);
			break;
		}
		char conv = f[i];
		const struct val *a = ai < l->n ? &l->v[ai] : &undef;
		switch (conv) {
		case '%':
			strbuf_addch(out, '%');
			continue;
		case 'c': {
			spec[sl++] = 'c';
			spec[sl] = '\0';
			strbuf_addf(out, spec, (int)val_iv(a));
			ai++;
			continue;
		}
		case 's': {
			size_t len;
			const char *s = val_str(a, &len, &tmp);
			char *z = xstrndup(s, len);
			spec[sl++] = 's';
			spec[sl] = '\0';
			strbuf_addf(out, spec, z);
			free(z);
			ai++;
			continue;
		}
		case 'd':
		case 'i':
		case 'u': {
			int64_t iv;
			double nv;
			if (!val_num(a, &iv, &nv))
				iv = isnan(nv)	     ? 0
				     : nv >= 9.2e18  ? INT64_MAX
				     : nv <= -9.2e18 ? INT64_MIN
						     : (int64_t)nv;
			memcpy(spec + sl, "lld", 4);
			strbuf_addf(out, spec, (long long)iv);
			ai++;
			continue;
		}
		case 'x':
		case 'X':
		case 'o':
		case 'b':
		case 'B': {
			uint64_t uv = (uint64_t)val_iv(a);
			if (conv == 'b' || conv == 'B') {
				char bits[80];
				size_t bn = 0;
				do {
					bits[bn++] = (char)('0' + (uv & 1));
					uv >>= 1;
				} while (uv);
				char rev[80];
				for (size_t k = 0; k < bn; k++)
					rev[k] = bits[bn - 1 - k];
				rev[bn] = '\0';
				spec[sl++] = 's';
				spec[sl] = '\0';
				/* flags like 0 don't apply to %s: pad by hand
				 */
				int width = 0;
				int zero = 0, left = 0;
				for (size_t k = 1; k < sl - 1; k++) {
					if (spec[k] == '0' && !width)
						zero = 1;
					else if (spec[k] == '-')
						left = 1;
					else if (spec[k] >= '1' &&
						 spec[k] <= '9')
						width = width * 10 + spec[k] -
							'0';
					else if (spec[k] == '0')
						width *= 10;
				}
				for (int k = (int)bn; k < width && !left; k++)
					strbuf_addch(out, zero ? '0' : ' ');
				strbuf_addstr(out, rev);
				for (int k = (int)bn; k < width && left; k++)
					strbuf_addch(out, ' ');
				ai++;
				continue;
			}
			spec[sl++] = 'l';
			spec[sl++] = 'l';
			spec[sl++] = conv;
			spec[sl] = '\0';
			strbuf_addf(out, spec, (unsigned long long)uv);
			ai++;
			continue;
		}
		case 'e':
		case 'E':
		case 'f':
		case 'F':
		case 'g':
		case 'G': {
			spec[sl++] = conv;
			spec[sl] = '\0';
			strbuf_addf(out, spec, val_nv(a));
			ai++;
			continue;
		}
		default:
			strbuf_add(out, f + start, i + 1 - start);
			continue;
		}
	}
	(void)e;
	(void)line;
	strbuf_release(&tmp);
	strbuf_release(&fmtb);
}

/* ---- regular expressions -------------------------------------------- */

/* Backtracking limits, so that a pathological pattern fails instead of
   running for minutes. */
static pcre2_match_context *
match_context(void)
{
	static pcre2_match_context *mc;

	if (!mc) {
		mc = pcre2_match_context_create(NULL);
		if (!mc)
			die_oom();
		pcre2_set_match_limit(mc, 1000000);
		pcre2_set_depth_limit(mc, 10000);
	}
	return mc;
}

void
tmpl_regex_release(struct regex *re)
{
	if (re->code)
		pcre2_code_free(re->code);
	tstr_unref(re->src);
	re->code = NULL;
	re->src = NULL;
}

static pcre2_code *
regex_get(struct ev *e, struct regex *re, int line)
{
	struct val v = { VT_UNDEF, { 0 } };

	if (re->code && re->pat->type == N_CONST)
		return re->code;
	ev_sv(e, re->pat, &v);
	if (e->ctl)
		return NULL;
	val_to_pv(&v);
	if (re->code && re->src && re->src->len == v.u.pv->len &&
	    memcmp(re->src->s, v.u.pv->s, v.u.pv->len) == 0) {
		val_free(&v);
		return re->code;
	}
	uint32_t opts = 0;
	if (re->flags & RF_I)
		opts |= PCRE2_CASELESS;
	if (re->flags & RF_X)
		opts |= PCRE2_EXTENDED;
	if (re->flags & RF_S)
		opts |= PCRE2_DOTALL;
	if (re->flags & RF_M)
		opts |= PCRE2_MULTILINE;
	int errcode;
	PCRE2_SIZE erroff;
	pcre2_code *code = pcre2_compile((PCRE2_SPTR)v.u.pv->s, v.u.pv->len,
					 opts, &errcode, &erroff, NULL);
	if (!code) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(errcode, msg, sizeof(msg));
		ev_die(e, line, "invalid regex /%s/: %s", v.u.pv->s,
		       (char *)msg);
		val_free(&v);
		return NULL;
	}
	if (re->code)
		pcre2_code_free(re->code);
	tstr_unref(re->src);
	re->code = code;
	re->src = v.u.pv;
	return code;
}

static void
set_captures(struct ev *e, struct tstr *subject, pcre2_match_data *md, int rc)
{
	struct tmpl_ctx *ctx = e->ctx;
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);

	tstr_unref(ctx->match_subject);
	subject->refcnt++;
	ctx->match_subject = subject;
	free(ctx->match_ovec);
	ctx->match_n = rc > 0 ? (size_t)rc : 0;
	ctx->match_ovec = xmalloc((ctx->match_n * 2 + 1) * sizeof(size_t));
	for (size_t i = 0; i < ctx->match_n * 2; i++)
		ctx->match_ovec[i] = ov[i];
}

void
ev_capture(struct ev *e, int i, struct val *out)
{
	struct tmpl_ctx *ctx = e->ctx;

	if (i < 0 || (size_t)i >= ctx->match_n || !ctx->match_subject)
		return;
	size_t s = ctx->match_ovec[2 * i], en = ctx->match_ovec[2 * i + 1];
	if (s == PCRE2_UNSET || en < s)
		return;
	val_set_str(out, ctx->match_subject->s + s, en - s);
}

static void
push_groups(struct list *out, struct tstr *subj, pcre2_match_data *md, int rc,
	    int whole)
{
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
	int first = whole ? 0 : 1, last = whole ? 1 : rc;

	for (int g = first; g < last; g++) {
		struct val v = { VT_UNDEF, { 0 } };
		if (ov[2 * g] != PCRE2_UNSET)
			val_set_str(&v, subj->s + ov[2 * g],
				    ov[2 * g + 1] - ov[2 * g]);
		list_push(out, &v);
	}
}

static struct obj *
match_target(struct ev *e, struct node *n, struct val *v)
{
	struct node *t = n->a;

	while (t && t->type == N_LIST && t->nkids == 1)
		t = t->kids[0];
	if (t && (t->type == N_ASSIGN || t->type == N_MY)) {
		struct obj *o = ev_lv(e, t);
		if (o)
			val_copy(v, &o->u.sv);
		return o;
	}
	if (!n->a) {
		struct obj *u = underscore(e);
		val_copy(v, &u->u.sv);
		return obj_ref(u);
	}
	if (is_lvalue_node(n->a)) {
		struct obj *o = ev_lv(e, n->a);
		if (o)
			val_copy(v, &o->u.sv);
		return o;
	}
	ev_sv(e, n->a, v);
	return NULL;
}

void
ev_match(struct ev *e, struct node *n, int want, struct list *out,
	 struct val *sout)
{
	struct val t = { VT_UNDEF, { 0 } };
	struct obj *tobj = NULL;
	pcre2_match_data *md = NULL;

	if (n->type == N_FUNC)
		return;
	tobj = match_target(e, n, &t);
	if (e->ctl)
		goto out;
	pcre2_code *code = regex_get(e, n->re, n->line);
	if (!code)
		goto out;
	val_to_pv(&t);
	struct tstr *subj = t.u.pv;
	md = pcre2_match_data_create_from_pattern(code, NULL);
	int global = (n->re->flags & RF_G) != 0;
	int neg = n->op == 1;
	if (global && want == WANT_LIST && !neg) {
		size_t off = 0;
		int count = 0;
		while (off <= subj->len) {
			int rc = pcre2_match(code, (PCRE2_SPTR)subj->s,
					     subj->len, off, 0, md,
					     match_context());
			if (rc < 0)
				break;
			PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
			push_groups(out, subj, md, rc, rc == 1);
			set_captures(e, subj, md, rc);
			count++;
			if (ov[1] == ov[0])
				off = ov[1] + 1;
			else
				off = ov[1];
			if (++e->steps > e->ctx->lim.max_steps) {
				ev_die(e, n->line, "step limit exceeded");
				break;
			}
		}
		goto out;
	}
	size_t start = 0;
	if (global) {
		if (tobj && e->ctx->pos_obj == tobj)
			start = e->ctx->pos_off;
		if (start > subj->len) {
			e->ctx->pos_obj = NULL;
			ret_bool(out, sout, neg);
			goto out;
		}
	}
	int rc = pcre2_match(code, (PCRE2_SPTR)subj->s, subj->len, start, 0, md,
			     match_context());
	if (rc >= 0) {
		set_captures(e, subj, md, rc);
		if (global) {
			PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
			e->ctx->pos_obj = tobj;
			e->ctx->pos_off = ov[1] == ov[0] ? ov[1] + 1 : ov[1];
		}
	} else if (global) {
		e->ctx->pos_obj = NULL;
	}
	if (want == WANT_LIST && !neg && !sout) {
		if (rc >= 0) {
			if (rc == 1 || global)
				ret_iv(out, NULL, 1);
			else
				push_groups(out, subj, md, rc, 0);
		}
		goto out;
	}
	ret_bool(out, sout, (rc >= 0) != neg);
out:
	if (md)
		pcre2_match_data_free(md);
	val_free(&t);
	obj_unref(tobj);
}

void
ev_subst(struct ev *e, struct node *n, struct val *out)
{
	struct val t = { VT_UNDEF, { 0 } };
	struct obj *tobj = match_target(e, n, &t);
	pcre2_match_data *md = NULL;
	struct strbuf res = STRBUF_INIT;
	int count = 0;

	if (e->ctl)
		goto out;
	if (!tobj && !(n->re->flags & RF_R)) {
		ev_die(e, n->line,
		       "Can't modify non-lvalue in substitution (s///)");
		goto out;
	}
	pcre2_code *code = regex_get(e, n->re, n->line);
	if (!code)
		goto out;
	val_to_pv(&t);
	struct tstr *subj = t.u.pv;
	md = pcre2_match_data_create_from_pattern(code, NULL);
	size_t off = 0, copied = 0;
	while (off <= subj->len) {
		int rc = pcre2_match(code, (PCRE2_SPTR)subj->s, subj->len, off,
				     0, md, match_context());
		if (rc < 0)
			break;
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
		size_t ms = ov[0], me = ov[1];
		set_captures(e, subj, md, rc);
		strbuf_add(&res, subj->s + copied, ms - copied);
		struct val r = { VT_UNDEF, { 0 } };
		if (n->repl->type == N_BLOCK) {
			struct list l = { 0 };
			ev_stmts(e, n->repl, WANT_SCALAR, &l);
			if (l.n)
				val_move(&r, &l.v[l.n - 1]);
			list_release(&l);
		} else {
			ev_sv(e, n->repl, &r);
		}
		if (e->ctl) {
			val_free(&r);
			goto out;
		}
		val_append(&r, &res);
		val_free(&r);
		copied = me;
		count++;
		if (ev_charge(e, res.len / 4 + 1, n->line) < 0)
			goto out;
		if (!(n->re->flags & RF_G))
			break;
		if (me == ms) {
			if (me < subj->len)
				strbuf_addch(&res, subj->s[me]);
			copied = me + 1;
			off = me + 1;
		} else {
			off = me;
		}
	}
	if (copied < subj->len)
		strbuf_add(&res, subj->s + copied, subj->len - copied);
	if (n->re->flags & RF_R) {
		if (count)
			val_set_str(out, res.buf, res.len);
		else
			val_copy(out, &t);
		goto out;
	}
	if (count) {
		val_free(&tobj->u.sv);
		val_set_str(&tobj->u.sv, res.buf, res.len);
		val_set_iv(out, count);
	} else {
		val_set_str(out, "", 0);
	}
out:
	if (md)
		pcre2_match_data_free(md);
	strbuf_release(&res);
	val_free(&t);
	obj_unref(tobj);
}

/* Expand a tr/// list (ranges a-z, escapes) into bytes. */
static void
tr_expand(const char *s, size_t len, struct strbuf *out)
{
	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)s[i];
		if (c == '\\' && i + 1 < len) {
			i++;
			switch (s[i]) {
			case 'n':
				c = '\n';
				break;
			case 't':
				c = '\t';
				break;
			case 'r':
				c = '\r';
				break;
			case '\\':
				c = '\\';
				break;
			case '-':
				c = '-';
				break;
			default:
				c = (unsigned char)s[i];
				break;
			}
		} else if (c == '-' && out->len && i + 1 < len) {
			int from = (unsigned char)out->buf[out->len - 1];
			int to = (unsigned char)s[++i];
			for (int k = from + 1; k <= to; k++)
				strbuf_addch(out, k);
			continue;
		}
		strbuf_addch(out, c);
	}
}

void
ev_trans(struct ev *e, struct node *n, struct val *out)
{
	struct val t = { VT_UNDEF, { 0 } };
	struct obj *tobj = match_target(e, n, &t);
	struct strbuf from = STRBUF_INIT, to = STRBUF_INIT, res = STRBUF_INIT;
	int map[256];
	int count = 0;

	if (e->ctl)
		goto out;
	tr_expand(n->tr_from, n->tr_flen, &from);
	tr_expand(n->tr_to, n->tr_tlen, &to);
	for (int i = 0; i < 256; i++)
		map[i] = -1; /* untouched */
	if (n->flags & RF_C) {
		int in[256] = { 0 };
		for (size_t i = 0; i < from.len; i++)
			in[(unsigned char)from.buf[i]] = 1;
		strbuf_reset(&from);
		for (int i = 0; i < 256; i++)
			if (!in[i])
				strbuf_addch(&from, i);
	}
	if (!to.len && !(n->flags & RF_D))
		strbuf_addbuf(&to, &from);
	for (size_t i = 0; i < from.len; i++) {
		int c = (unsigned char)from.buf[i];
		if (map[c] != -1)
			continue;
		if (i < to.len)
			map[c] = (unsigned char)to.buf[i];
		else if (n->flags & RF_D)
			map[c] = -2; /* delete */
		else
			map[c] = (unsigned char)to.buf[to.len - 1];
	}
	val_to_pv(&t);
	int last = -1;
	for (size_t i = 0; i < t.u.pv->len; i++) {
		int c = (unsigned char)t.u.pv->s[i];
		if (map[c] == -1) {
			strbuf_addch(&res, c);
			last = -1;
			continue;
		}
		count++;
		if (map[c] == -2)
			continue;
		if ((n->flags & RF_SQ) && last == map[c])
			continue;
		strbuf_addch(&res, map[c]);
		last = map[c];
	}
	if (n->flags & RF_R) {
		val_set_str(out, res.buf, res.len);
		goto out;
	}
	if (tobj && (from.len != to.len || memcmp(from.buf, to.buf, from.len) ||
		     (n->flags & (RF_D | RF_SQ)))) {
		val_free(&tobj->u.sv);
		val_set_str(&tobj->u.sv, res.buf, res.len);
	}
	val_set_iv(out, count);
out:
	strbuf_release(&from);
	strbuf_release(&to);
	strbuf_release(&res);
	val_free(&t);
	obj_unref(tobj);
}

/* ---- split ---------------------------------------------------------- */

static void
ev_split(struct ev *e, struct node *n, int want, struct list *out,
	 struct val *sout)
{
	struct val pat = { VT_UNDEF, { 0 } }, str = { VT_UNDEF, { 0 } };
	struct val lim = { VT_UNDEF, { 0 } };
	struct list res = { 0 };
	pcre2_code *code = NULL, *own = NULL;
	pcre2_match_data *md = NULL;
	int awk = 0;

	if (n->nkids == 0) {
		awk = 1;
	} else if (n->kids[0]->type == N_MATCH) {
		code = regex_get(e, n->kids[0]->re, n->line);
		if (!code)
			goto out;
		struct tstr *rs = n->kids[0]->re->src;
		if (rs && rs->len == 1 && rs->s[0] == '^') {
			/* split /^/ means split /^/m */
			int ec;
			PCRE2_SIZE eo;
			own = pcre2_compile((PCRE2_SPTR) "^", 1,
					    PCRE2_MULTILINE, &ec, &eo, NULL);
			code = own;
		}
		if (n->kids[0]->re->src && n->kids[0]->re->src->len == 1 &&
		    n->kids[0]->re->src->s[0] == ' ')
			awk = 0;
	} else {
		ev_sv(e, n->kids[0], &pat);
		if (e->ctl)
			goto out;
		val_to_pv(&pat);
		if (pat.u.pv->len == 1 && pat.u.pv->s[0] == ' ') {
			awk = 1;
		} else {
			int ec;
			PCRE2_SIZE eo;
			own = pcre2_compile((PCRE2_SPTR)pat.u.pv->s,
					    pat.u.pv->len, 0, &ec, &eo, NULL);
			if (!own) {
				ev_die(e, n->line, "invalid regex in split");
				goto out;
			}
			code = own;
		}
	}
	if (awk) {
		int ec;
		PCRE2_SIZE eo;
		own = pcre2_compile((PCRE2_SPTR) "\\s+", 3, 0, &ec, &eo, NULL);
		code = own;
	}
	if (n->nkids > 1)
		ev_sv(e, n->kids[1], &str);
	else
		val_copy(&str, &underscore(e)->u.sv);
	if (n->nkids > 2)
		ev_sv(e, n->kids[2], &lim);
	if (e->ctl)
		goto out;
	int64_t limit = n->nkids > 2 ? val_iv(&lim) : 0;
	val_to_pv(&str);
	const char *s = str.u.pv->s;
	size_t len = str.u.pv->len, off = 0, fstart = 0;
	if (awk) {
		while (off < len &&
		       (s[off] == ' ' || s[off] == '\t' || s[off] == '\n' ||
			s[off] == '\r' || s[off] == '\f'))
			off++;
		fstart = off;
	}
	md = pcre2_match_data_create_from_pattern(code, NULL);
	if (len == 0)
		goto done;
	while (off <= len) {
		if (limit > 0 && (int64_t)res.n >= limit - 1)
			break;
		int rc = pcre2_match(code, (PCRE2_SPTR)s, len, off, 0, md,
				     match_context());
		if (rc < 0)
			break;
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
		size_t ms = ov[0], me = ov[1];
		if (me == ms && ms == fstart) {
			/* an empty match at the start of a field: try one
			   character further (split //, 'abc' gives chars) */
			off = ms + 1;
			continue;
		}
		struct val f;
		val_set_str(&f, s + fstart, ms - fstart);
		list_push(&res, &f);
		push_groups(&res, str.u.pv, md, rc, 0);
		fstart = me;
		off = me;
		if (++e->steps > e->ctx->lim.max_steps) {
			ev_die(e, n->line, "step limit exceeded");
			goto out;
		}
	}
	{
		struct val f;
		val_set_str(&f, s + fstart, len - fstart);
		list_push(&res, &f);
	}
done:
	if (limit == 0)
		while (res.n && (res.v[res.n - 1].t == VT_UNDEF ||
				 (res.v[res.n - 1].t == VT_PV &&
				  res.v[res.n - 1].u.pv->len == 0)))
			val_free(&res.v[--res.n]);
	if (want == WANT_LIST && !sout) {
		for (size_t i = 0; i < res.n; i++)
			list_push(out, &res.v[i]);
		res.n = 0;
	} else {
		ret_iv(out, sout, (int64_t)res.n);
	}
out:
	if (md)
		pcre2_match_data_free(md);
	if (own)
		pcre2_code_free(own);
	list_release(&res);
	val_free(&pat);
	val_free(&str);
	val_free(&lim);
}

/* ---- sort, map, grep ------------------------------------------------ */

struct sorter {
	struct ev *e;
	struct node *block;
	struct obj *a, *b;
	int line;
};

static int
sort_cmp(struct sorter *s, const struct val *x, const struct val *y)
{
	struct ev *e = s->e;

	if (e->ctl)
		return 0;
	if (!s->block)
		return str_cmp(x, y);
	val_free(&s->a->u.sv);
	val_copy(&s->a->u.sv, x);
	val_free(&s->b->u.sv);
	val_copy(&s->b->u.sv, y);
	struct list l = { 0 };
	ev_stmts(e, s->block, WANT_SCALAR, &l);
	int r = 0;
	if (l.n) {
		double d = val_nv(&l.v[l.n - 1]);
		r = d < 0 ? -1 : d > 0;
	}
	list_release(&l);
	return r;
}

static void
merge_sort(struct sorter *s, struct val *v, struct val *tmp, size_t n)
{
	if (n < 2)
		return;
	size_t h = n / 2;
	merge_sort(s, v, tmp, h);
	merge_sort(s, v + h, tmp, n - h);
	size_t i = 0, j = h, k = 0;
	while (i < h && j < n) {
		if (sort_cmp(s, &v[j], &v[i]) < 0)
			tmp[k++] = v[j++];
		else
			tmp[k++] = v[i++];
	}
	while (i < h)
		tmp[k++] = v[i++];
	while (j < n)
		tmp[k++] = v[j++];
	memcpy(v, tmp, n * sizeof(*v));
}

static void
ev_sort(struct ev *e, struct node *n, int want, struct list *out,
	struct val *sout)
{
	struct list l = { 0 };
	struct sorter s = { e, n->a, NULL, NULL, n->line };
	struct val sa = { VT_UNDEF, { 0 } }, sb = { VT_UNDEF, { 0 } };

	args_list(e, n, 0, &l);
	if (e->ctl)
		goto out;
	if (s.block) {
		s.a = obj_ref(ev_glob(e, "a", 1, OK_SCALAR));
		s.b = obj_ref(ev_glob(e, "b", 1, OK_SCALAR));
		val_move(&sa, &s.a->u.sv);
		val_move(&sb, &s.b->u.sv);
	}
	struct val *tmp = xmalloc((l.n + 1) * sizeof(*tmp));
	merge_sort(&s, l.v, tmp, l.n);
	free(tmp);
	if (s.block) {
		val_free(&s.a->u.sv);
		val_move(&s.a->u.sv, &sa);
		val_free(&s.b->u.sv);
		val_move(&s.b->u.sv, &sb);
		obj_unref(s.a);
		obj_unref(s.b);
	}
	if (e->ctl)
		goto out;
	if (want == WANT_LIST && !sout) {
		for (size_t i = 0; i < l.n; i++)
			list_push(out, &l.v[i]);
		l.n = 0;
	} else {
		ret_iv(out, sout, (int64_t)l.n);
	}
out:
	list_release(&l);
}

static void
ev_mapgrep(struct ev *e, struct node *n, int want, struct list *out,
	   struct val *sout)
{
	struct list l = { 0 }, res = { 0 };
	struct obj *u = obj_ref(underscore(e));
	struct val saved;
	int grep = n->op == B_GREP;
	size_t count = 0;

	args_list(e, n, 0, &l);
	val_move(&saved, &u->u.sv);
	for (size_t i = 0; i < l.n && !e->ctl; i++) {
		val_free(&u->u.sv);
		val_copy(&u->u.sv, &l.v[i]);
		struct list r = { 0 };
		if (n->a->type == N_BLOCK)
			ev_stmts(e, n->a, grep ? WANT_SCALAR : WANT_LIST, &r);
		else if (grep) {
			struct val v = { VT_UNDEF, { 0 } };
			ev_sv(e, n->a, &v);
			list_push(&r, &v);
		} else
			ev_lst(e, n->a, &r);
		if (grep) {
			if (r.n && val_true(&r.v[r.n - 1])) {
				list_push_copy(&res, &l.v[i]);
				count++;
			}
		} else {
			for (size_t k = 0; k < r.n; k++)
				list_push(&res, &r.v[k]);
			r.n = 0;
			count = res.n;
		}
		list_release(&r);
	}
	val_free(&u->u.sv);
	val_move(&u->u.sv, &saved);
	obj_unref(u);
	if (!e->ctl) {
		if (want == WANT_LIST && !sout) {
			for (size_t i = 0; i < res.n; i++)
				list_push(out, &res.v[i]);
			res.n = 0;
		} else {
			ret_iv(out, sout, (int64_t)count);
		}
	}
	list_release(&l);
	list_release(&res);
}

/* ---- die, warn, eval ------------------------------------------------ */

static void
die_message(struct ev *e, struct node *n, struct strbuf *msg)
{
	struct list l = { 0 };

	args_list(e, n, 0, &l);
	for (size_t i = 0; i < l.n; i++)
		val_append(&l.v[i], msg);
	list_release(&l);
	if (!msg->len)
		strbuf_addstr(msg, n->op == B_DIE
					   ? "Died"
					   : "Warning: something's wrong");
}

static void
ev_eval_block(struct ev *e, struct node *n, int want, struct list *out,
	      struct val *sout)
{
	struct list l = { 0 };
	struct obj *err = ev_glob(e, "@", 1, OK_SCALAR);
	size_t depth = e->depth;

	ev_stmts(e, n->a, want == WANT_LIST ? WANT_LIST : WANT_SCALAR, &l);
	val_free(&err->u.sv);
	if (e->ctl == CTL_DIE) {
		struct strbuf m = STRBUF_INIT;
		strbuf_addbuf(&m, &e->die);
		if (!m.len || m.buf[m.len - 1] != '\n')
			strbuf_addf(&m, " at %s line %d.\n", e->prog->where,
				    e->die_line);
		val_set_str(&err->u.sv, m.buf, m.len);
		strbuf_release(&m);
		e->ctl = 0;
		e->depth = depth;
		list_release(&l);
		if (want == WANT_LIST && !sout)
			return;
		ret_undef(out, sout);
		return;
	}
	val_set_str(&err->u.sv, "", 0);
	if (want == WANT_LIST && !sout) {
		for (size_t i = 0; i < l.n; i++)
			list_push(out, &l.v[i]);
		l.n = 0;
	} else if (l.n) {
		ret_sv(out, sout, &l.v[l.n - 1]);
	} else {
		ret_undef(out, sout);
	}
	list_release(&l);
}

/* ---- esmith::db style functions on raw values ----------------------- */

/* Split a stored value `type|p|v|...` into a list (type, p, v, ...). */
static void
raw_split(const char *s, size_t len, struct list *out)
{
	struct strbuf f = STRBUF_INIT;

	for (size_t i = 0; i <= len; i++) {
		if (i == len || s[i] == '|') {
			struct val v;
			val_set_str(&v, f.buf, f.len);
			list_push(out, &v);
			strbuf_reset(&f);
			continue;
		}
		if (s[i] == '\\' && i + 1 < len) {
			i++;
			strbuf_addch(&f, s[i] == 'n' ? '\n' : s[i]);
			continue;
		}
		strbuf_addch(&f, s[i]);
	}
	strbuf_release(&f);
}

static void
ev_db_func(struct ev *e, struct node *n, int want, struct list *out,
	   struct val *sout)
{
	struct list a = { 0 }, parts = { 0 };
	struct strbuf tmp = STRBUF_INIT;

	args_list(e, n, 0, &a);
	if (e->ctl)
		goto out;
	if (a.n < 2 || a.v[0].t != VT_REF || a.v[0].u.ref->kind != OK_HASH) {
		ev_die(e, n->line,
		       "db functions need a hash reference and a key");
		goto out;
	}
	size_t kl;
	const char *k = val_str(&a.v[1], &kl, &tmp);
	struct obj *el = hash_get(&a.v[0].u.ref->u.h, k, kl);
	if (!el || el->u.sv.t == VT_UNDEF) {
		if (!(want == WANT_LIST && !sout))
			ret_undef(out, sout);
		goto out;
	}
	size_t rl;
	struct strbuf t2 = STRBUF_INIT;
	const char *raw = val_str(&el->u.sv, &rl, &t2);
	raw_split(raw, rl, &parts);
	strbuf_release(&t2);
	if (n->op == B_DB_GET) {
		if (want == WANT_LIST && !sout) {
			for (size_t i = 0; i < parts.n; i++)
				list_push(out, &parts.v[i]);
			parts.n = 0;
		} else {
			struct val v;
			val_copy(&v, &el->u.sv);
			ret_sv(out, sout, &v);
		}
	} else if (n->op == B_DB_GET_TYPE) {
		ret_sv(out, sout, &parts.v[0]);
	} else {
		if (a.n < 3) {
			ev_die(e, n->line, "db_get_prop needs a property name");
			goto out;
		}
		struct strbuf t3 = STRBUF_INIT;
		size_t pl;
		const char *p = val_str(&a.v[2], &pl, &t3);
		int found = 0;
		for (size_t i = 1; i + 1 < parts.n; i += 2) {
			if (parts.v[i].u.pv->len == pl &&
			    memcmp(parts.v[i].u.pv->s, p, pl) == 0) {
				ret_sv(out, sout, &parts.v[i + 1]);
				found = 1;
				break;
			}
		}
		if (!found)
			ret_undef(out, sout);
		strbuf_release(&t3);
	}
out:
	strbuf_release(&tmp);
	list_release(&a);
	list_release(&parts);
}

/* ---- file tests (below the sandbox root) ---------------------------- */

static void
ev_filetest(struct ev *e, struct node *n, struct list *out, struct val *sout)
{
	struct val v = { VT_UNDEF, { 0 } };
	struct stat st;

	arg_sv(e, n, &v);
	if (e->ctl)
		return;
	val_to_pv(&v);
	char *path = v.u.pv->s[0] == '/' ? esmith_path(v.u.pv->s)
					 : xstrdup(v.u.pv->s);
	int r = (n->flags == 'l' ? lstat(path, &st) : stat(path, &st)) == 0;
	if (r) {
		switch (n->flags) {
		case 'f':
			r = S_ISREG(st.st_mode);
			break;
		case 'd':
			r = S_ISDIR(st.st_mode);
			break;
		case 'l':
			r = S_ISLNK(st.st_mode);
			break;
		case 's':
			r = st.st_size > 0;
			break;
		case 'z':
			r = st.st_size == 0;
			break;
		case 'x':
			r = (st.st_mode & 0111) != 0;
			break;
		default:
			break;
		}
	}
	free(path);
	val_free(&v);
	if (r && n->flags == 's')
		ret_iv(out, sout, (int64_t)st.st_size);
	else
		ret_bool(out, sout, r);
}

/* ---- the dispatcher ------------------------------------------------- */

static void
ev_defined(struct ev *e, struct node *n, struct list *out, struct val *sout)
{
	struct node *k = n->nkids ? n->kids[0] : NULL;
	struct val v = { VT_UNDEF, { 0 } };

	if (k && k->type == N_CALL && (k->flags & 4)) {
		ret_bool(out, sout,
			 hash_get(&e->ctx->cv, k->s, k->slen) != NULL);
		return;
	}
	if (k &&
	    (k->type == N_MYAV || k->type == N_GAV || k->type == N_RV2AV)) {
		struct obj *av = ev_av(e, k, 0);
		ret_bool(out, sout, av && av->u.a.n);
		obj_unref(av);
		return;
	}
	arg_sv(e, n, &v);
	ret_bool(out, sout, v.t != VT_UNDEF);
	val_free(&v);
}

static void
ev_exists_delete(struct ev *e, struct node *n, int want, struct list *out,
		 struct val *sout)
{
	struct node *k = n->nkids ? n->kids[0] : NULL;
	int del = n->op == B_DELETE;

	if (!k) {
		ev_die(e, n->line, "%s argument is not a HASH or ARRAY element",
		       del ? "delete" : "exists");
		return;
	}
	if (k->type == N_CALL) {
		ret_bool(out, sout,
			 hash_get(&e->ctx->cv, k->s, k->slen) != NULL);
		return;
	}
	if (k->type == N_HELEM || (k->type == N_HSLICE && del)) {
		struct obj *hv = ev_hv(e, k->a, vivify_rvalue(k->a));
		struct list keys = { 0 };
		if (k->type == N_HELEM) {
			struct val kv = { VT_UNDEF, { 0 } };
			ev_sv(e, k->b, &kv);
			list_push(&keys, &kv);
		} else {
			ev_lst(e, k->b, &keys);
		}
		struct strbuf tmp = STRBUF_INIT;
		for (size_t i = 0; i < keys.n && !e->ctl; i++) {
			size_t len;
			const char *s = val_str(&keys.v[i], &len, &tmp);
			if (!del) {
				ret_bool(out, sout,
					 hv && hash_get(&hv->u.h, s, len));
				break;
			}
			struct obj *o =
				hv ? hash_delete(&hv->u.h, s, len) : NULL;
			struct val v = { VT_UNDEF, { 0 } };
			if (o) {
				val_copy(&v, &o->u.sv);
				obj_unref(o);
			}
			if (want == WANT_LIST && !sout)
				list_push(out, &v);
			else if (i + 1 == keys.n)
				ret_sv(out, sout, &v);
			else
				val_free(&v);
		}
		if (!del && !keys.n)
			ret_bool(out, sout, 0);
		strbuf_release(&tmp);
		list_release(&keys);
		obj_unref(hv);
		return;
	}
	if (k->type == N_ELEM) {
		struct obj *av = ev_av(e, k->a, vivify_rvalue(k->a));
		struct val iv = { VT_UNDEF, { 0 } };
		ev_sv(e, k->b, &iv);
		int64_t i = val_iv(&iv);
		if (av && i < 0)
			i += (int64_t)av->u.a.n;
		int ex = av && i >= 0 && (uint64_t)i < av->u.a.n;
		if (!del) {
			ret_bool(out, sout, ex);
		} else {
			struct val v = { VT_UNDEF, { 0 } };
			if (ex) {
				struct obj *el = av->u.a.v[i];
				val_move(&v, &el->u.sv);
				if ((uint64_t)i + 1 == av->u.a.n) {
					obj_unref(el);
					av->u.a.n--;
				}
			}
			ret_sv(out, sout, &v);
		}
		obj_unref(av);
		return;
	}
	ev_die(e, n->line, "%s argument is not a HASH or ARRAY element",
	       del ? "delete" : "exists");
}

static void
ev_keys_values(struct ev *e, struct node *n, int want, struct list *out,
	       struct val *sout)
{
	struct node *k = n->nkids ? n->kids[0] : NULL;
	int keys = n->op == B_KEYS, each = n->op == B_EACH;

	if (!k) {
		ev_die(e, n->line, "Not enough arguments for %s",
		       keys   ? "keys"
		       : each ? "each"
			      : "values");
		return;
	}
	if (k->type == N_MYAV || k->type == N_GAV || k->type == N_RV2AV ||
	    k->type == N_ARGS) {
		struct obj *av = ev_av(e, k, 0);
		size_t cnt = av ? av->u.a.n : 0;
		if (want != WANT_LIST || sout) {
			ret_iv(out, sout, (int64_t)cnt);
		} else {
			for (size_t i = 0; i < cnt; i++) {
				struct val v = { VT_UNDEF, { 0 } };
				if (keys)
					val_set_iv(&v, (int64_t)i);
				else if (av->u.a.v[i])
					val_copy(&v, &av->u.a.v[i]->u.sv);
				list_push(out, &v);
			}
		}
		obj_unref(av);
		return;
	}
	struct obj *hv = ev_hv(e, k, 0);
	if (!hv) {
		if (want != WANT_LIST || sout)
			ret_iv(out, sout, 0);
		return;
	}
	struct hash *h = &hv->u.h;
	if (each) {
		while (h->iter < h->n && !h->e[h->iter].k)
			h->iter++;
		if (h->iter >= h->n) {
			h->iter = 0;
		} else {
			struct hent *he = &h->e[h->iter++];
			struct val kv = { VT_PV, { .pv = he->k } };
			he->k->refcnt++;
			if (want == WANT_LIST && !sout) {
				list_push(out, &kv);
				list_push_copy(out, &he->v->u.sv);
			} else {
				ret_sv(out, sout, &kv);
			}
		}
		obj_unref(hv);
		return;
	}
	h->iter = 0;
	if (want != WANT_LIST || sout) {
		ret_iv(out, sout, (int64_t)h->live);
	} else {
		for (size_t i = 0; i < h->n; i++) {
			if (!h->e[i].k)
				continue;
			if (keys) {
				struct val kv = { VT_PV, { .pv = h->e[i].k } };
				h->e[i].k->refcnt++;
				list_push(out, &kv);
			} else {
				list_push_copy(out, &h->e[i].v->u.sv);
			}
		}
	}
	obj_unref(hv);
}

static struct obj *
array_arg(struct ev *e, struct node *n)
{
	if (n->nkids)
		return ev_av(e, n->kids[0], 1);
	if (!e->fr->args)
		e->fr->args = obj_new(OK_ARRAY);
	return obj_ref(e->fr->args);
}

static void
ev_array_ops(struct ev *e, struct node *n, int want, struct list *out,
	     struct val *sout)
{
	struct obj *av = array_arg(e, n);
	struct val v = { VT_UNDEF, { 0 } };

	if (!av)
		return;
	struct arr *a = &av->u.a;
	switch (n->op) {
	case B_SHIFT:
	case B_POP:
		if (a->n) {
			struct obj *el;
			if (n->op == B_SHIFT) {
				el = a->v[0];
				memmove(a->v, a->v + 1,
					(a->n - 1) * sizeof(*a->v));
			} else {
				el = a->v[a->n - 1];
			}
			a->n--;
			if (el) {
				val_copy(&v, &el->u.sv);
				obj_unref(el);
			}
		}
		ret_sv(out, sout, &v);
		break;
	case B_PUSH:
	case B_UNSHIFT: {
		struct list l = { 0 };
		args_list(e, n, 1, &l);
		if (ev_charge(e, l.n * 48, n->line) == 0) {
			if (n->op == B_PUSH) {
				for (size_t i = 0; i < l.n; i++) {
					struct obj *sv = obj_new(OK_SCALAR);
					val_move(&sv->u.sv, &l.v[i]);
					arr_push(a, sv);
				}
			} else if (l.n) {
				size_t old = a->n;
				for (size_t i = 0; i < l.n; i++)
					arr_push(a, NULL);
				memmove(a->v + l.n, a->v, old * sizeof(*a->v));
				for (size_t i = 0; i < l.n; i++) {
					struct obj *sv = obj_new(OK_SCALAR);
					val_move(&sv->u.sv, &l.v[i]);
					a->v[i] = sv;
				}
			}
		}
		list_release(&l);
		ret_iv(out, sout, (int64_t)a->n);
		break;
	}
	case B_SPLICE: {
		struct list l = { 0 };
		args_list(e, n, 1, &l);
		int64_t off = l.n > 0 ? val_iv(&l.v[0]) : 0;
		if (off < 0)
			off += (int64_t)a->n;
		if (off < 0)
			off = 0;
		if ((uint64_t)off > a->n)
			off = (int64_t)a->n;
		int64_t len = l.n > 1 ? val_iv(&l.v[1]) : (int64_t)a->n - off;
		if (len < 0)
			len = (int64_t)a->n - off + len;
		if (len < 0)
			len = 0;
		if ((uint64_t)(off + len) > a->n)
			len = (int64_t)a->n - off;
		struct list removed = { 0 };
		for (int64_t i = off; i < off + len; i++) {
			struct val r = { VT_UNDEF, { 0 } };
			if (a->v[i])
				val_copy(&r, &a->v[i]->u.sv);
			list_push(&removed, &r);
			obj_unref(a->v[i]);
		}
		size_t ins = l.n > 2 ? l.n - 2 : 0;
		size_t tail = a->n - (size_t)(off + len);
		size_t newn = (size_t)off + ins + tail;
		if (newn > a->cap)
			a->v = xgrow(a->v, &a->cap, newn, sizeof(*a->v));
		memmove(a->v + off + (int64_t)ins, a->v + off + len,
			tail * sizeof(*a->v));
		for (size_t i = 0; i < ins; i++) {
			struct obj *sv = obj_new(OK_SCALAR);
			val_move(&sv->u.sv, &l.v[2 + i]);
			a->v[off + (int64_t)i] = sv;
		}
		a->n = newn;
		if (want == WANT_LIST && !sout) {
			for (size_t i = 0; i < removed.n; i++)
				list_push(out, &removed.v[i]);
			removed.n = 0;
		} else if (removed.n) {
			ret_sv(out, sout, &removed.v[removed.n - 1]);
		} else {
			ret_undef(out, sout);
		}
		list_release(&removed);
		list_release(&l);
		break;
	}
	default:
		break;
	}
	obj_unref(av);
}

static void
ev_chomp(struct ev *e, struct node *n, struct list *out, struct val *sout)
{
	struct obj *sv;
	int64_t count = 0;

	if (n->nkids && (n->kids[0]->type == N_MY)) {
		struct list dummy = { 0 };
		ev_lst(e, n->kids[0], &dummy);
		list_release(&dummy);
	}
	struct node *t = n->nkids ? n->kids[0] : NULL;
	if (t && t->type == N_MY && t->nkids == 1)
		t = t->kids[0];
	if (t && t->type == N_ASSIGN) {
		struct val tmp = { VT_UNDEF, { 0 } };
		ev_sv(e, t, &tmp);
		val_free(&tmp);
		t = t->a;
		if (t->type == N_MY && t->nkids == 1)
			t = t->kids[0];
	}
	if (t &&
	    (t->type == N_MYAV || t->type == N_GAV || t->type == N_RV2AV)) {
		struct obj *av = ev_av(e, t, 0);
		for (size_t i = 0; av && i < av->u.a.n; i++) {
			struct val *v = &av->u.a.v[i]->u.sv;
			if (v->t == VT_UNDEF)
				continue;
			val_to_pv(v);
			struct tstr *s = tstr_new(v->u.pv->s, v->u.pv->len);
			if (s->len &&
			    (n->op == B_CHOP || s->s[s->len - 1] == '\n')) {
				s->len--;
				s->s[s->len] = '\0';
				count++;
			}
			val_free(v);
			v->t = VT_PV;
			v->u.pv = s;
		}
		obj_unref(av);
		ret_iv(out, sout, count);
		return;
	}
	sv = t ? ev_lv(e, t) : obj_ref(underscore(e));
	if (!sv)
		return;
	struct val *v = &sv->u.sv;
	if (v->t != VT_UNDEF) {
		val_to_pv(v);
		struct tstr *s = tstr_new(v->u.pv->s, v->u.pv->len);
		if (s->len && (n->op == B_CHOP || s->s[s->len - 1] == '\n')) {
			s->len--;
			s->s[s->len] = '\0';
			count = 1;
		}
		val_free(v);
		v->t = VT_PV;
		v->u.pv = s;
	}
	obj_unref(sv);
	ret_iv(out, sout, count);
}

static void
ev_substr(struct ev *e, struct node *n, struct list *out, struct val *sout)
{
	struct list l = { 0 };
	struct strbuf tmp = STRBUF_INIT;

	for (size_t i = 0; i < n->nkids && !e->ctl; i++) {
		struct val v = { VT_UNDEF, { 0 } };
		ev_sv(e, n->kids[i], &v);
		list_push(&l, &v);
	}
	if (e->ctl || l.n < 2) {
		if (!e->ctl)
			ev_die(e, n->line, "Not enough arguments for substr");
		goto out;
	}
	size_t len;
	const char *s = val_str(&l.v[0], &len, &tmp);
	int64_t off = val_iv(&l.v[1]);
	if (off < 0)
		off += (int64_t)len;
	if (off < 0 || (uint64_t)off > len) {
		ret_undef(out, sout);
		goto out;
	}
	int64_t cnt = l.n > 2 && l.v[2].t != VT_UNDEF ? val_iv(&l.v[2])
						      : (int64_t)len - off;
	if (cnt < 0)
		cnt = (int64_t)len - off + cnt;
	if (cnt < 0)
		cnt = 0;
	if ((uint64_t)(off + cnt) > len)
		cnt = (int64_t)len - off;
	struct val r;
	val_set_str(&r, s + off, (size_t)cnt);
	if (l.n > 3) {
		struct strbuf nb = STRBUF_INIT;
		strbuf_add(&nb, s, (size_t)off);
		val_append(&l.v[3], &nb);
		strbuf_add(&nb, s + off + cnt, len - (size_t)(off + cnt));
		struct obj *sv = ev_lv(e, n->kids[0]);
		if (sv) {
			val_free(&sv->u.sv);
			val_set_str(&sv->u.sv, nb.buf, nb.len);
			obj_unref(sv);
		}
		strbuf_release(&nb);
	}
	ret_sv(out, sout, &r);
out:
	strbuf_release(&tmp);
	list_release(&l);
}

static void
ev_index(struct ev *e, struct node *n, struct list *out, struct val *sout)
{
	struct list l = { 0 };
	struct strbuf t1 = STRBUF_INIT, t2 = STRBUF_INIT;

	for (size_t i = 0; i < n->nkids && !e->ctl; i++) {
		struct val v = { VT_UNDEF, { 0 } };
		ev_sv(e, n->kids[i], &v);
		list_push(&l, &v);
	}
	if (e->ctl || l.n < 2)
		goto out;
	size_t hl, nl;
	const char *h = val_str(&l.v[0], &hl, &t1);
	const char *nd = val_str(&l.v[1], &nl, &t2);
	int64_t pos, res = -1;
	if (n->op == B_INDEX) {
		pos = l.n > 2 ? val_iv(&l.v[2]) : 0;
		if (pos < 0)
			pos = 0;
		for (int64_t i = pos; (uint64_t)i + nl <= hl; i++)
			if (memcmp(h + i, nd, nl) == 0) {
				res = i;
				break;
			}
		if (res < 0 && nl == 0)
			res = (int64_t)hl;
	} else {
		pos = l.n > 2 ? val_iv(&l.v[2]) : (int64_t)hl;
		if (pos > (int64_t)(hl - (nl <= hl ? nl : hl)))
			pos = (int64_t)hl - (int64_t)nl;
		for (int64_t i = pos; i >= 0; i--)
			if ((uint64_t)i + nl <= hl &&
			    memcmp(h + i, nd, nl) == 0) {
				res = i;
				break;
			}
	}
	ret_iv(out, sout, res);
out:
	strbuf_release(&t1);
	strbuf_release(&t2);
	list_release(&l);
}

static void
ev_unary_num(struct ev *e, struct node *n, struct list *out, struct val *sout)
{
	struct val v = { VT_UNDEF, { 0 } };
	int64_t iv;
	double nv;

	arg_sv(e, n, &v);
	if (e->ctl)
		return;
	int isint = val_num(&v, &iv, &nv);
	switch (n->op) {
	case B_INT:
		if (isint)
			ret_iv(out, sout, iv);
		else if (isnan(nv) || isinf(nv)) {
			struct val r = { VT_NV, { .nv = nv } };
			ret_sv(out, sout, &r);
		} else if (fabs(nv) < 9.2e18)
			ret_iv(out, sout, (int64_t)nv);
		else {
			struct val r = { VT_NV, { .nv = trunc(nv) } };
			ret_sv(out, sout, &r);
		}
		break;
	case B_ABS:
		if (isint && iv != INT64_MIN)
			ret_iv(out, sout, iv < 0 ? -iv : iv);
		else {
			struct val r = {
				VT_NV, { .nv = fabs(isint ? (double)iv : nv) }
			};
			ret_sv(out, sout, &r);
		}
		break;
	default: {
		double d = isint ? (double)iv : nv, r;
		if (n->op == B_SQRT)
			r = sqrt(d);
		else if (n->op == B_EXP)
			r = exp(d);
		else {
			if (d <= 0) {
				ev_die(e, n->line, "Can't take log of %g", d);
				break;
			}
			r = log(d);
		}
		struct val rv = { VT_NV, { .nv = r } };
		ret_sv(out, sout, &rv);
		break;
	}
	}
	val_free(&v);
}

static void
ev_hex_oct(struct ev *e, struct node *n, struct list *out, struct val *sout)
{
	struct val v = { VT_UNDEF, { 0 } };
	uint64_t acc = 0;

	arg_sv(e, n, &v);
	val_to_pv(&v);
	const char *s = v.u.pv->s;
	int base = n->op == B_HEX ? 16 : 8;
	while (*s == ' ' || *s == '\t')
		s++;
	if (n->op == B_OCT) {
		if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
			base = 16;
			s += 2;
		} else if (s[0] == '0' && (s[1] == 'b' || s[1] == 'B')) {
			base = 2;
			s += 2;
		} else if (s[0] == 'x' || s[0] == 'X') {
			base = 16;
			s++;
		} else if (s[0] == 'b' || s[0] == 'B') {
			base = 2;
			s++;
		}
	} else if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
	}
	for (; *s; s++) {
		int d;
		if (*s == '_')
			continue;
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			break;
		if (d >= base)
			break;
		acc = acc * (uint64_t)base + (uint64_t)d;
	}
	val_free(&v);
	if (acc > INT64_MAX) {
		struct val r = { VT_NV, { .nv = (double)acc } };
		ret_sv(out, sout, &r);
	} else {
		ret_iv(out, sout, (int64_t)acc);
	}
}

static void
ev_string_fn(struct ev *e, struct node *n, struct list *out, struct val *sout)
{
	struct val v = { VT_UNDEF, { 0 } };

	arg_sv(e, n, &v);
	if (e->ctl) {
		val_free(&v);
		return;
	}
	switch (n->op) {
	case B_LC:
		case_map(&v, 0);
		break;
	case B_UC:
		case_map(&v, 1);
		break;
	case B_LCFIRST:
		case_map(&v, 2);
		break;
	case B_UCFIRST:
		case_map(&v, 3);
		break;
	case B_LENGTH:
		if (v.t != VT_UNDEF) {
			struct strbuf t = STRBUF_INIT;
			size_t len;
			val_str(&v, &len, &t);
			strbuf_release(&t);
			val_free(&v);
			val_set_iv(&v, (int64_t)len);
		}
		break;
	case B_CHR: {
		int64_t c = val_iv(&v);
		char ch = (char)(c & 0xff);
		val_free(&v);
		val_set_str(&v, &ch, 1);
		break;
	}
	case B_ORD: {
		struct strbuf t = STRBUF_INIT;
		size_t len;
		const char *s = val_str(&v, &len, &t);
		int64_t c = len ? (unsigned char)s[0] : 0;
		strbuf_release(&t);
		val_free(&v);
		val_set_iv(&v, c);
		break;
	}
	case B_REF: {
		const char *name = v.t == VT_REF ? ref_typename(v.u.ref) : "";
		val_free(&v);
		val_set_str(&v, name, strlen(name));
		break;
	}
	case B_QUOTEMETA: {
		struct strbuf sb = STRBUF_INIT, t = STRBUF_INIT;
		size_t len;
		const char *s = val_str(&v, &len, &t);
		for (size_t i = 0; i < len; i++) {
			unsigned char c = (unsigned char)s[i];
			if (!(c >= 128 || (c >= 'a' && c <= 'z') ||
			      (c >= 'A' && c <= 'Z') ||
			      (c >= '0' && c <= '9') || c == '_'))
				strbuf_addch(&sb, '\\');
			strbuf_addch(&sb, c);
		}
		val_free(&v);
		val_set_str(&v, sb.buf, sb.len);
		strbuf_release(&sb);
		strbuf_release(&t);
		break;
	}
	default:
		break;
	}
	ret_sv(out, sout, &v);
}

static void
ev_undef(struct ev *e, struct node *n, struct list *out, struct val *sout)
{
	if (n->nkids) {
		struct node *k = n->kids[0];
		if (k->type == N_MYAV || k->type == N_GAV ||
		    k->type == N_RV2AV) {
			struct obj *av = ev_av(e, k, 1);
			if (av)
				arr_clear(&av->u.a);
			obj_unref(av);
		} else if (k->type == N_MYHV || k->type == N_GHV ||
			   k->type == N_RV2HV) {
			struct obj *hv = ev_hv(e, k, 1);
			if (hv)
				hash_clear(&hv->u.h);
			obj_unref(hv);
		} else {
			struct obj *sv = ev_lv(e, k);
			if (sv)
				val_free(&sv->u.sv);
			obj_unref(sv);
		}
	}
	ret_undef(out, sout);
}

static void
ev_reverse(struct ev *e, struct node *n, int want, struct list *out,
	   struct val *sout)
{
	struct list l = { 0 };

	if (n->nkids == 0 && (want != WANT_LIST || sout))
		list_push_copy(&l, &underscore(e)->u.sv);
	else
		args_list(e, n, 0, &l);
	if (want == WANT_LIST && !sout) {
		for (size_t i = l.n; i-- > 0;)
			list_push(out, &l.v[i]);
		l.n = 0;
	} else {
		struct strbuf sb = STRBUF_INIT;
		for (size_t i = 0; i < l.n; i++)
			val_append(&l.v[i], &sb);
		for (size_t i = 0; i < sb.len / 2; i++) {
			char c = sb.buf[i];
			sb.buf[i] = sb.buf[sb.len - 1 - i];
			sb.buf[sb.len - 1 - i] = c;
		}
		ret_str(out, sout, sb.buf, sb.len);
		strbuf_release(&sb);
	}
	list_release(&l);
}

static void
ev_qr(struct ev *e, struct node *n, struct list *out, struct val *sout)
{
	struct val p = { VT_UNDEF, { 0 } };
	struct strbuf sb = STRBUF_INIT;

	ev_sv(e, n->re->pat, &p);
	strbuf_addstr(&sb, "(?");
	if (n->re->flags & RF_I)
		strbuf_addch(&sb, 'i');
	if (n->re->flags & RF_X)
		strbuf_addch(&sb, 'x');
	if (n->re->flags & RF_S)
		strbuf_addch(&sb, 's');
	if (n->re->flags & RF_M)
		strbuf_addch(&sb, 'm');
	strbuf_addch(&sb, ':');
	val_append(&p, &sb);
	strbuf_addch(&sb, ')');
	ret_str(out, sout, sb.buf, sb.len);
	strbuf_release(&sb);
	val_free(&p);
}

/* localtime / gmtime: nine fields in list context, ctime text else. */
static void
ev_time(struct ev *e, struct node *n, int want, struct list *out,
	struct val *sout)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed",
					    "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr",
					      "May", "Jun", "Jul", "Aug",
					      "Sep", "Oct", "Nov", "Dec" };
	struct val v = { VT_UNDEF, { 0 } };
	time_t t = time(NULL);
	struct tm tm;

	if (n->nkids) {
		ev_sv(e, n->kids[0], &v);
		t = (time_t)val_iv(&v);
		val_free(&v);
	}
	if (e->ctl)
		return;
	if (!(n->op == B_GMTIME ? gmtime_r(&t, &tm) : localtime_r(&t, &tm))) {
		ret_undef(out, sout);
		return;
	}
	if (want == WANT_LIST && !sout) {
		int f[] = { tm.tm_sec,	tm.tm_min,  tm.tm_hour,
			    tm.tm_mday, tm.tm_mon,  tm.tm_year,
			    tm.tm_wday, tm.tm_yday, tm.tm_isdst };
		for (size_t i = 0; i < 9; i++)
			ret_iv(out, NULL, f[i]);
		return;
	}
	struct strbuf sb = STRBUF_INIT;
	strbuf_addf(&sb, "%s %s %2d %02d:%02d:%02d %d", days[tm.tm_wday % 7],
		    months[tm.tm_mon % 12], tm.tm_mday, tm.tm_hour, tm.tm_min,
		    tm.tm_sec, tm.tm_year + 1900);
	ret_str(out, sout, sb.buf, sb.len);
	strbuf_release(&sb);
}

/* ---- processTemplate() ------------------------------------------------ */

/* The string parameters of a call, in the order of struct call_strs. */
static const char *const call_str_keys[] = {
	"TEMPLATE_PATH", "OUTPUT_FILENAME",
	"OUTPUT_PREFIX", "OUTPUT_TYPE",
	"PERMS",	 "UID",
	"GID",		 NULL,
};

struct call_state {
	struct tmpl_call call;
	struct strbuf str[7]; /* call_str_keys */
	char **queue;
	size_t nqueue;
};

static const char **
call_str_slot(struct tmpl_call *c, size_t i)
{
	const char **slots[] = { &c->template_path,
				 &c->output_filename,
				 &c->output_prefix,
				 &c->output_type,
				 &c->perms,
				 &c->uid,
				 &c->gid };
	return slots[i];
}

static void
call_set_str(struct call_state *cs, size_t i, const struct val *v)
{
	struct strbuf tmp = STRBUF_INIT;
	size_t len;
	const char *s = val_str(v, &len, &tmp);

	strbuf_reset(&cs->str[i]);
	strbuf_add(&cs->str[i], s, len);
	*call_str_slot(&cs->call, i) = cs->str[i].buf;
	strbuf_release(&tmp);
}

static void
call_queue_add(struct call_state *cs, const struct val *v)
{
	struct strbuf tmp = STRBUF_INIT;
	size_t len;
	const char *s = val_str(v, &len, &tmp);

	cs->queue = xrealloc(cs->queue, (cs->nqueue + 2) * sizeof(char *));
	cs->queue[cs->nqueue++] = xstrndup(s, len);
	cs->queue[cs->nqueue] = NULL;
	cs->call.queue = (const char *const *)cs->queue;
	strbuf_release(&tmp);
}

static int
is_ref_kind(const struct val *v, enum okind kind)
{
	return v->t == VT_REF && v->u.ref->kind == kind;
}

/* One KEY => value of the parameter hash. Returns -1 after ev_die(). */
static int
call_param(struct ev *e, struct call_state *cs, const struct tstr *k,
	   const struct val *v, int line)
{
	for (size_t i = 0; call_str_keys[i]; i++) {
		if (strcmp(k->s, call_str_keys[i]))
			continue;
		if (v->t != VT_UNDEF)
			call_set_str(cs, i, v);
		return 0;
	}
	if (!strcmp(k->s, "DELETE")) {
		cs->call.have_delete = 1;
		cs->call.delete_file = val_true(v);
	} else if (!strcmp(k->s, "TEMPLATE_EXPAND_QUEUE")) {
		if (v->t == VT_UNDEF)
			return 0;
		if (!is_ref_kind(v, OK_ARRAY)) {
			ev_die(e, line,
			       "processTemplate: TEMPLATE_EXPAND_QUEUE must be "
			       "an array reference of directories");
			return -1;
		}
		const struct arr *q = &v->u.ref->u.a;
		struct val undef = { VT_UNDEF, { 0 } };
		for (size_t i = 0; i < q->n; i++)
			call_queue_add(cs, q->v[i] ? &q->v[i]->u.sv : &undef);
		if (!q->n)
			call_queue_add(cs, &undef); /* an empty queue */
	} else if (!strcmp(k->s, "MORE_DATA") || !strcmp(k->s, "CONFREF")) {
		if (v->t == VT_UNDEF)
			return 0;
		if (!is_ref_kind(v, OK_HASH)) {
			ev_die(e, line,
			       "processTemplate: %s must be a hash reference",
			       k->s);
			return -1;
		}
		if (cs->call.more_data) {
			ev_die(e, line,
			       "processTemplate: CONFREF and MORE_DATA cannot "
			       "be used together");
			return -1;
		}
		cs->call.more_data = v->u.ref;
		cs->call.confref = k->s[0] == 'C';
	} else if (!strcmp(k->s, "FILTER")) {
		if (v->t == VT_UNDEF)
			return 0;
		if (!is_ref_kind(v, OK_CODE)) {
			ev_die(e, line,
			       "processTemplate: FILTER must be a code "
			       "reference");
			return -1;
		}
		cs->call.filter = v->u.ref;
	} else if (strcmp(k->s, "ALL_RECORDS_AS_SCALARS")) {
		esmith_warn("%s:%d: processTemplate: unknown parameter '%s', "
			    "ignored",
			    e->prog->where, line, k->s);
	}
	return 0;
}

static void
ev_process_template(struct ev *e, struct node *n, struct list *out,
		    struct val *sout)
{
	tmpl_process_fn hook = tmpl_process_hook();
	struct call_state cs;
	struct list a = { 0 };
	struct strbuf text = STRBUF_INIT, err = STRBUF_INIT;
	int r;

	memset(&cs, 0, sizeof(cs));
	for (size_t i = 0; i < 7; i++)
		strbuf_init(&cs.str[i], 0);
	cs.call.where = e->prog->where;
	cs.call.line = n->line;
	args_list(e, n, 0, &a);
	if (e->ctl)
		goto out;
	if (!hook) {
		ev_die(e, n->line,
		       "processTemplate: no nested expansion is possible "
		       "here");
		goto out;
	}
	if (a.n == 1 && is_ref_kind(&a.v[0], OK_HASH)) {
		const struct hash *h = &a.v[0].u.ref->u.h;
		for (size_t i = 0; i < h->n; i++)
			if (h->e[i].k &&
			    call_param(e, &cs, h->e[i].k, &h->e[i].v->u.sv,
				       n->line) < 0)
				goto out;
	} else if (a.n == 2 || a.n == 3) {
		/* the older form: ($confref, $path [, $queue_dir]) */
		if (is_ref_kind(&a.v[0], OK_HASH)) {
			cs.call.more_data = a.v[0].u.ref;
			cs.call.confref = 1;
		} else if (a.v[0].t != VT_UNDEF) {
			ev_die(e, n->line,
			       "processTemplate: the first of three arguments "
			       "must be a hash reference (CONFREF)");
			goto out;
		}
		call_set_str(&cs, 0, &a.v[1]);
		if (a.n == 3 && val_true(&a.v[2]))
			call_queue_add(&cs, &a.v[2]);
	} else {
		ev_die(e, n->line,
		       "processTemplate: expected a hash reference of "
		       "parameters such as { TEMPLATE_PATH => '/etc/x', "
		       "OUTPUT_TYPE => 'string' }");
		goto out;
	}
	if (!cs.call.template_path || !*cs.call.template_path) {
		ev_die(e, n->line, "processTemplate: TEMPLATE_PATH missing");
		goto out;
	}
	r = hook(&cs.call, &text, &err);
	if (r < 0) {
		strbuf_chomp(&err);
		ev_die(e, n->line, "processTemplate %s: %s",
		       cs.call.template_path, err.buf);
		goto out;
	}
	if (r == 0) {
		ret_undef(out, sout);
		goto out;
	}
	if (ev_charge(e, text.len, n->line) < 0)
		goto out;
	ret_str(out, sout, text.buf, text.len);
out:
	for (size_t i = 0; i < 7; i++)
		strbuf_release(&cs.str[i]);
	for (size_t i = 0; i < cs.nqueue; i++)
		free(cs.queue[i]);
	free(cs.queue);
	list_release(&a);
	strbuf_release(&text);
	strbuf_release(&err);
}

void
ev_func(struct ev *e, struct node *n, int want, struct list *out,
	struct val *sout)
{
	switch (n->op) {
	case B_DEFINED:
		ev_defined(e, n, out, sout);
		return;
	case B_REF:
	case B_LC:
	case B_UC:
	case B_LCFIRST:
	case B_UCFIRST:
	case B_LENGTH:
	case B_CHR:
	case B_ORD:
		ev_string_fn(e, n, out, sout);
		return;
	case B_QUOTEMETA:
		if (n->flags == 1 && n->re)
			ev_qr(e, n, out, sout);
		else
			ev_string_fn(e, n, out, sout);
		return;
	case B_INT:
	case B_ABS:
	case B_SQRT:
	case B_EXP:
	case B_LOG:
		ev_unary_num(e, n, out, sout);
		return;
	case B_HEX:
	case B_OCT:
		ev_hex_oct(e, n, out, sout);
		return;
	case B_EXISTS:
	case B_DELETE:
		ev_exists_delete(e, n, want, out, sout);
		return;
	case B_EACH:
	case B_KEYS:
	case B_VALUES:
		ev_keys_values(e, n, want, out, sout);
		return;
	case B_SHIFT:
	case B_POP:
	case B_PUSH:
	case B_UNSHIFT:
	case B_SPLICE:
		ev_array_ops(e, n, want, out, sout);
		return;
	case B_UNDEF:
		ev_undef(e, n, out, sout);
		return;
	case B_CHOMP:
	case B_CHOP:
		ev_chomp(e, n, out, sout);
		return;
	case B_JOIN: {
		struct list l = { 0 };
		struct strbuf sb = STRBUF_INIT, t = STRBUF_INIT;
		args_list(e, n, 0, &l);
		if (l.n) {
			size_t sl;
			const char *sep = val_str(&l.v[0], &sl, &t);
			for (size_t i = 1; i < l.n; i++) {
				if (i > 1)
					strbuf_add(&sb, sep, sl);
				val_append(&l.v[i], &sb);
			}
		}
		if (ev_charge(e, sb.len, n->line) == 0)
			ret_str(out, sout, sb.buf, sb.len);
		strbuf_release(&sb);
		strbuf_release(&t);
		list_release(&l);
		return;
	}
	case B_SPLIT:
		ev_split(e, n, want, out, sout);
		return;
	case B_SPRINTF: {
		struct list l = { 0 };
		struct strbuf sb = STRBUF_INIT;
		args_list(e, n, 0, &l);
		do_sprintf(e, &l, &sb, n->line);
		if (ev_charge(e, sb.len, n->line) == 0)
			ret_str(out, sout, sb.buf, sb.len);
		strbuf_release(&sb);
		list_release(&l);
		return;
	}
	case B_REVERSE:
		ev_reverse(e, n, want, out, sout);
		return;
	case B_SORT:
		ev_sort(e, n, want, out, sout);
		return;
	case B_MAP:
	case B_GREP:
		ev_mapgrep(e, n, want, out, sout);
		return;
	case B_DIE: {
		struct strbuf m = STRBUF_INIT;
		die_message(e, n, &m);
		if (!e->ctl)
			ev_die(e, n->line, "%s", m.buf);
		strbuf_release(&m);
		return;
	}
	case B_WARN: {
		struct strbuf m = STRBUF_INIT;
		die_message(e, n, &m);
		strbuf_chomp(&m);
		esmith_warn("%s:%d: %s", e->prog->where, n->line, m.buf);
		strbuf_release(&m);
		ret_iv(out, sout, 1);
		return;
	}
	case B_WANTARRAY:
		if (e->fr->want == WANT_LIST)
			ret_iv(out, sout, 1);
		else if (e->fr->want == WANT_SCALAR)
			ret_iv(out, sout, 0);
		else
			ret_undef(out, sout);
		return;
	case B_SUBSTR:
		ev_substr(e, n, out, sout);
		return;
	case B_INDEX:
	case B_RINDEX:
		ev_index(e, n, out, sout);
		return;
	case B_EVAL:
		ev_eval_block(e, n, want, out, sout);
		return;
	case B_DO: {
		struct list l = { 0 };
		ev_stmts(e, n->a,
			 want == WANT_LIST && !sout ? WANT_LIST : WANT_SCALAR,
			 &l);
		if (want == WANT_LIST && !sout) {
			for (size_t i = 0; i < l.n; i++)
				list_push(out, &l.v[i]);
			l.n = 0;
		} else if (l.n) {
			ret_sv(out, sout, &l.v[l.n - 1]);
		}
		list_release(&l);
		return;
	}
	case B_DB_GET:
	case B_DB_GET_PROP:
	case B_DB_GET_TYPE:
		ev_db_func(e, n, want, out, sout);
		return;
	case B_PROCESS_TEMPLATE:
		ev_process_template(e, n, out, sout);
		return;
	case B_FILETEST:
		ev_filetest(e, n, out, sout);
		return;
	case B_TIME:
		ret_iv(out, sout, (int64_t)time(NULL));
		return;
	case B_LOCALTIME:
	case B_GMTIME:
		ev_time(e, n, want, out, sout);
		return;
	case B_SCALAR: {
		struct val v = { VT_UNDEF, { 0 } };
		if (n->nkids)
			ev_sv(e, n->kids[0], &v);
		ret_sv(out, sout, &v);
		return;
	}
	default:
		ev_die(e, n->line, "internal error: builtin %d", n->op);
		return;
	}
}

/* ---- database objects ----------------------------------------------- */

struct obj *
tmpl_db_object(struct db *db, const char *name, const char *classname,
	       int owned)
{
	struct obj *o = obj_new(OK_DB);

	o->u.d.db = db;
	o->u.d.name = xstrdup(name);
	o->u.d.owned = owned;
	o->u.d.classname = xstrdup(classname);
	return o;
}

static const struct {
	const char *classname;
	const char *dbname;
} db_classes[] = {
	{ "esmith::ConfigDB", "configuration" },
	{ "esmith::ConfigDB::UTF8", "configuration" },
	{ "esmith::AccountsDB", "accounts" },
	{ "esmith::AccountsDB::UTF8", "accounts" },
	{ "esmith::HostsDB", "hosts" },
	{ "esmith::NetworksDB", "networks" },
	{ "esmith::DomainsDB", "domains" },
	{ "esmith::DomainsDB::UTF8", "domains" },
	{ "esmith::DockerContainersDB", "docker_containers" },
	{ "esmith::DockerImagesDB", "docker_images" },
	{ NULL, NULL },
};

static struct obj *
record_object(struct obj *dbo, const char *key)
{
	struct obj *o = obj_new(OK_REC);

	o->u.r.db = obj_ref(dbo);
	o->u.r.key = xstrdup(key);
	return o;
}

static void
push_ref(struct list *out, struct obj *o)
{
	struct val v;

	val_set_ref(&v, o);
	list_push(out, &v);
}

static void
class_method(struct ev *e, struct node *n, const char *cls, size_t clen,
	     struct list *args, struct list *out)
{
	const char *dbname = NULL, *classname = NULL;
	struct strbuf tmp = STRBUF_INIT;

	for (size_t i = 0; db_classes[i].classname; i++) {
		if (strlen(db_classes[i].classname) == clen &&
		    memcmp(db_classes[i].classname, cls, clen) == 0) {
			dbname = db_classes[i].dbname;
			classname = db_classes[i].classname;
		}
	}
	if (!dbname) {
		ev_die(e, n->line, "unsupported construct '%.*s->%s'",
		       (int)clen, cls, n->s);
		return;
	}
	int create = strcmp(n->s, "create") == 0;
	if (strcmp(n->s, "open") && strcmp(n->s, "open_ro") && !create &&
	    strcmp(n->s, "new")) {
		ev_die(e, n->line,
		       "Can't locate object method \"%s\" via package \"%s\"",
		       n->s, classname);
		return;
	}
	if (args->n > 1 && args->v[1].t != VT_UNDEF) {
		size_t len;
		const char *s = val_str(&args->v[1], &len, &tmp);
		dbname = s;
		(void)len;
	}
	char *name = xstrdup(dbname);
	strbuf_release(&tmp);
	/* reuse a database already opened by this expansion */
	struct tmpl_ctx *ctx = e->ctx;
	struct obj *found = NULL;
	if (ctx->confdb && strcmp(name, "configuration") == 0)
		found = ctx->confdb;
	for (size_t i = 0; !found && i < ctx->ndbs; i++)
		if (strcmp(ctx->dbs[i]->u.d.name, name) == 0)
			found = ctx->dbs[i];
	if (!found) {
		struct strbuf err = STRBUF_INIT;
		struct db *db = db_open(name, &err);
		if (!db) {
			strbuf_chomp(&err);
			ev_die(e, n->line, "%s", err.buf);
			strbuf_release(&err);
			free(name);
			return;
		}
		strbuf_release(&err);
		found = tmpl_db_object(db, name, classname, 1);
		ctx->dbs = xgrow(ctx->dbs, &ctx->adbs, ctx->ndbs + 1,
				 sizeof(*ctx->dbs));
		ctx->dbs[ctx->ndbs++] = found;
	}
	free(name);
	if (!db_exists(found->u.d.db) && !create) {
		struct val u = { VT_UNDEF, { 0 } };
		list_push(out, &u);
		return;
	}
	push_ref(out, obj_ref(found));
}

static const char *
arg_str(struct list *args, size_t i, size_t *len, struct strbuf *tmp)
{
	if (i >= args->n) {
		*len = 0;
		return "";
	}
	return val_str(&args->v[i], len, tmp);
}

/* Write one property through to the database file and the loaded copy. */
static int
db_write_prop(struct ev *e, struct obj *dbo, const char *key, const char *prop,
	      const char *value, int line)
{
	struct strbuf err = STRBUF_INIT;
	struct db *db = dbo->u.d.db;
	struct db_record *rec = db_get(db, key);
	int rc = 0;

	if (!rec) {
		ev_die(e, line, "%s: %s: no such record", dbo->u.d.name, key);
		return -1;
	}
	if (value) {
		if (db_update_prop(dbo->u.d.name, key, prop, value, &err) < 0 ||
		    db_set_prop(db, rec, prop, value, &err) < 0)
			rc = -1;
	} else {
		struct db *w = db_open_locked(dbo->u.d.name, &err);
		if (!w) {
			rc = -1;
		} else {
			struct db_record *wr = db_get(w, key);
			if (wr)
				db_delete_prop(w, wr, prop);
			rc = db_commit(w, &err);
			db_free(w);
			db_delete_prop(db, rec, prop);
		}
	}
	if (rc < 0) {
		strbuf_chomp(&err);
		ev_die(e, line, "%s", err.buf);
	}
	strbuf_release(&err);
	return rc;
}

static void
record_props(struct db_record *rec, struct list *out)
{
	struct val v;
	const char *type = db_record_type(rec);

	val_set_str(&v, "type", 4);
	list_push(out, &v);
	val_set_str(&v, type, strlen(type));
	list_push(out, &v);
	for (size_t i = 0; i < db_record_nprops(rec); i++) {
		const char *k = db_record_prop_name(rec, i);
		const char *pv = db_record_prop_value(rec, i);
		val_set_str(&v, k, strlen(k));
		list_push(out, &v);
		val_set_str(&v, pv, strlen(pv));
		list_push(out, &v);
	}
}

static void
record_method(struct ev *e, struct node *n, struct obj *ro, struct list *args,
	      int want, struct list *out)
{
	struct db *db = ro->u.r.db->u.d.db;
	struct db_record *rec = db_get(db, ro->u.r.key);
	struct strbuf t1 = STRBUF_INIT, t2 = STRBUF_INIT;
	struct val v = { VT_UNDEF, { 0 } };
	size_t l1, l2;

	if (strcmp(n->s, "key") == 0) {
		val_set_str(&v, ro->u.r.key, strlen(ro->u.r.key));
		list_push(out, &v);
		goto out;
	}
	if (!rec) {
		if (strcmp(n->s, "prop") == 0 || strcmp(n->s, "props") == 0) {
			if (want != WANT_LIST)
				list_push(out, &v);
			goto out;
		}
		ev_die(e, n->line, "%s: %s: no such record",
		       ro->u.r.db->u.d.name, ro->u.r.key);
		goto out;
	}
	if (strcmp(n->s, "prop") == 0) {
		const char *p = arg_str(args, 1, &l1, &t1);
		if (args->n > 2) {
			const char *val = arg_str(args, 2, &l2, &t2);
			db_write_prop(e, ro->u.r.db, ro->u.r.key, p, val,
				      n->line);
			goto out;
		}
		const char *pv = db_record_prop(rec, p);
		if (pv)
			val_set_str(&v, pv, strlen(pv));
		list_push(out, &v);
	} else if (strcmp(n->s, "props") == 0) {
		if (want == WANT_LIST) {
			record_props(rec, out);
		} else {
			val_set_iv(&v, (int64_t)db_record_nprops(rec) + 1);
			list_push(out, &v);
		}
	} else if (strcmp(n->s, "set_prop") == 0 ||
		   strcmp(n->s, "delete_prop") == 0) {
		const char *p = arg_str(args, 1, &l1, &t1);
		const char *val =
			n->s[0] == 's' ? arg_str(args, 2, &l2, &t2) : NULL;
		db_write_prop(e, ro->u.r.db, ro->u.r.key, p, val, n->line);
	} else if (strcmp(n->s, "merge_props") == 0) {
		for (size_t i = 1; i + 1 < args->n && !e->ctl; i += 2) {
			const char *p = arg_str(args, i, &l1, &t1);
			char *pc = xstrdup(p);
			const char *val = arg_str(args, i + 1, &l2, &t2);
			db_write_prop(e, ro->u.r.db, ro->u.r.key, pc, val,
				      n->line);
			free(pc);
		}
	} else {
		ev_die(e, n->line, "unsupported construct '->%s' on a record",
		       n->s);
	}
out:
	strbuf_release(&t1);
	strbuf_release(&t2);
}

static int
record_matches(struct db_record *rec, struct list *args, struct strbuf *t1,
	       struct strbuf *t2)
{
	for (size_t i = 1; i + 1 < args->n; i += 2) {
		size_t l1, l2;
		const char *p = arg_str(args, i, &l1, t1);
		const char *want = db_record_prop(rec, p);
		const char *v = arg_str(args, i + 1, &l2, t2);
		if (!want || strlen(want) != l2 || memcmp(want, v, l2) != 0)
			return 0;
	}
	return 1;
}

static void
db_method(struct ev *e, struct node *n, struct obj *dbo, struct list *args,
	  int want, struct list *out)
{
	struct db *db = dbo->u.d.db;
	struct strbuf t1 = STRBUF_INIT, t2 = STRBUF_INIT;
	struct val v = { VT_UNDEF, { 0 } };
	size_t l1, l2;
	const char *m = n->s;
	static const struct {
		const char *method, *type;
	} lists[] = {
		{ "users", "user" },
		{ "groups", "group" },
		{ "ibays", "ibay" },
		{ "hosts", "host" },
		{ "domains", "domain" },
		{ "networks", "network" },
		{ "printers", "printer" },
		{ "pseudonyms", "pseudonym" },
		{ "containers", "container" },
		{ "images", "image" },
		{ NULL, NULL },
	};

	if (strcmp(m, "get") == 0) {
		const char *k = arg_str(args, 1, &l1, &t1);
		if (db_get(db, k))
			val_set_ref(&v, record_object(dbo, k));
		list_push(out, &v);
	} else if (strcmp(m, "get_prop") == 0) {
		const char *k = arg_str(args, 1, &l1, &t1);
		const char *p = arg_str(args, 2, &l2, &t2);
		struct db_record *rec = db_get(db, k);
		const char *pv = rec ? db_record_prop(rec, p) : NULL;
		if (pv)
			val_set_str(&v, pv, strlen(pv));
		list_push(out, &v);
	} else if (strcmp(m, "get_value") == 0) {
		const char *k = arg_str(args, 1, &l1, &t1);
		struct db_record *rec = db_get(db, k);
		if (rec)
			val_set_str(&v, db_record_type(rec),
				    strlen(db_record_type(rec)));
		list_push(out, &v);
	} else if (strcmp(m, "get_all") == 0 ||
		   strcmp(m, "get_all_by_prop") == 0) {
		size_t cnt = 0;
		for (size_t i = 0; i < db_count(db); i++) {
			struct db_record *rec = db_record_at(db, i);
			if (!record_matches(rec, args, &t1, &t2))
				continue;
			cnt++;
			if (want == WANT_LIST)
				push_ref(out, record_object(
						      dbo, db_record_key(rec)));
		}
		if (want != WANT_LIST) {
			val_set_iv(&v, (int64_t)cnt);
			list_push(out, &v);
		}
	} else if (strcmp(m, "set_prop") == 0) {
		const char *k = arg_str(args, 1, &l1, &t1);
		char *kc = xstrdup(k);
		const char *p = arg_str(args, 2, &l2, &t2);
		char *pc = xstrdup(p);
		const char *val = arg_str(args, 3, &l1, &t1);
		db_write_prop(e, dbo, kc, pc, val, n->line);
		free(kc);
		free(pc);
	} else if (strcmp(m, "keys") == 0) {
		for (size_t i = 0; i < db_count(db); i++) {
			const char *k = db_record_key(db_record_at(db, i));
			val_set_str(&v, k, strlen(k));
			list_push(out, &v);
		}
	} else {
		for (size_t i = 0; lists[i].method; i++) {
			if (strcmp(m, lists[i].method))
				continue;
			for (size_t r = 0; r < db_count(db); r++) {
				struct db_record *rec = db_record_at(db, r);
				if (strcmp(db_record_type(rec), lists[i].type))
					continue;
				push_ref(out, record_object(
						      dbo, db_record_key(rec)));
			}
			goto out;
		}
		ev_die(e, n->line, "unsupported construct '->%s' on a database",
		       m);
	}
out:
	strbuf_release(&t1);
	strbuf_release(&t2);
}

void
ev_method(struct ev *e, struct node *n, int want, struct list *out)
{
	struct list args = { 0 };
	struct val self = { VT_UNDEF, { 0 } };

	ev_sv(e, n->a, &self);
	list_push(&args, &self);
	for (size_t i = 0; i < n->nkids && !e->ctl; i++)
		ev_lst(e, n->kids[i], &args);
	if (e->ctl)
		goto out;
	struct val *s = &args.v[0];
	if (s->t == VT_REF && s->u.ref->kind == OK_DB) {
		db_method(e, n, s->u.ref, &args, want, out);
	} else if (s->t == VT_REF && s->u.ref->kind == OK_REC) {
		record_method(e, n, s->u.ref, &args, want, out);
	} else if (s->t == VT_PV && s->u.pv->len) {
		class_method(e, n, s->u.pv->s, s->u.pv->len, &args, out);
	} else if (s->t == VT_REF && s->u.ref->kind == OK_CODE) {
		ev_die(e, n->line,
		       "Can't call method \"%s\" on unblessed reference", n->s);
	} else if (s->t == VT_REF) {
		ev_die(e, n->line,
		       "Can't call method \"%s\" on unblessed reference", n->s);
	} else {
		ev_die(e, n->line,
		       "Can't call method \"%s\" on an undefined value", n->s);
	}
out:
	list_release(&args);
}
