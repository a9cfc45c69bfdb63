/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The tree-walking evaluator of the fragment language: Perl's scalar and
 * list contexts, lvalues with autovivification, control flow, subs and the
 * operators. Builtins, regexes and database objects are in tmpl-builtin.c.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tmpl-eval.h"
#include "util.h"
#include "banned.h"

#define OP1(a) ((a)*256)
#define OP2(a, b) ((a)*256 + (b))
#define OP3(a, b, c) (((a)*256 + (b)) * 256 + (c))

/* ---- errors --------------------------------------------------------- */

void
ev_die(struct ev *e, int line, const char *fmt, ...)
{
	va_list ap;

	if (e->ctl == CTL_DIE)
		return;
	strbuf_reset(&e->die);
	va_start(ap, fmt);
	strbuf_vaddf(&e->die, fmt, ap);
	va_end(ap);
	e->die_line = line;
	e->ctl = CTL_DIE;
}

/* The rare ways out of ev_enter(), kept out of line. */
static __attribute__((noinline, cold)) int
ev_enter_fail(struct ev *e, int line)
{
	if (e->ctl)
		return -1;
	if (e->steps > e->ctx->lim.max_steps) {
		ev_die(e, line, "step limit exceeded");
		return -1;
	}
	e->depth--;
	ev_die(e, line, "nesting too deep");
	return -1;
}

static inline int
ev_enter(struct ev *e, int line)
{
	if (e->ctl)
		return -1;
	if (++e->steps > e->ctx->lim.max_steps ||
	    ++e->depth > e->ctx->lim.max_depth)
		return ev_enter_fail(e, line);
	return 0;
}

int
ev_charge(struct ev *e, size_t bytes, int line)
{
	e->mem += bytes;
	if (e->mem > e->ctx->lim.max_memory) {
		ev_die(e, line, "memory limit exceeded");
		return -1;
	}
	return 0;
}

/* ---- variables ------------------------------------------------------ */

static struct obj *
slot_get(struct ev *e, int slot, enum okind kind)
{
	struct obj **s = &e->fr->slots[slot];

	if (!*s) {
		*s = obj_new(kind);
		(*s)->fresh = 1;
	}
	return *s;
}

/* A code object for a sub definition, bound to the outer variables it
   uses (taken from the running frame). */
static struct obj *
make_code(struct ev *e, struct prog *p, struct node *def)
{
	struct obj *c = obj_new(OK_CODE);

	c->u.c.prog = p;
	p->refcnt++;
	c->u.c.body = def->b;
	c->u.c.nslots = def->slot;
	if (def->s)
		c->u.c.name = xstrndup(def->s, def->slen);
	if (def->ncaps) {
		c->u.c.ncap = def->ncaps;
		c->u.c.cap = xcalloc((size_t)def->ncaps, sizeof(*c->u.c.cap));
		c->u.c.capslot = xcalloc((size_t)def->ncaps, sizeof(int));
		for (int i = 0; i < def->ncaps; i++) {
			int sig = def->caps[3 * i + 2];
			enum okind kind = sig == '@'   ? OK_ARRAY
					  : sig == '%' ? OK_HASH
						       : OK_SCALAR;
			c->u.c.cap[i] =
				obj_ref(slot_get(e, def->caps[3 * i], kind));
			c->u.c.capslot[i] = def->caps[3 * i + 1];
		}
	}
	return c;
}

struct obj *
ev_glob(struct ev *e, const char *name, size_t len, enum okind kind)
{
	struct hash *h = kind == OK_SCALAR  ? &e->ctx->sv
			 : kind == OK_ARRAY ? &e->ctx->av
					    : &e->ctx->hv;
	if (!hash_get(h, name, len))
		tmpl_lazy_global(e->ctx,
				 kind == OK_SCALAR  ? '$'
				 : kind == OK_ARRAY ? '@'
						    : '%',
				 name, len);
	return hash_fetch(h, name, len, kind);
}

/* The container a reference value points to, for deref `kind`. */
static struct obj *
deref(struct ev *e, struct val *v, enum okind kind, int line, unsigned flags)
{
	static const char *const names[] = { "a SCALAR", "an ARRAY", "a HASH",
					     "a CODE" };
	if (v->t == VT_REF) {
		if (v->u.ref->kind == kind)
			return obj_ref(v->u.ref);
		ev_die(e, line, "Not %s reference", names[kind]);
		return NULL;
	}
	if (v->t == VT_UNDEF) {
		ev_die(e, line, "Can't use an undefined value as %s reference",
		       names[kind]);
		return NULL;
	}
	/* symbolic reference: a package variable by name (no strict refs) */
	struct strbuf tmp = STRBUF_INIT;
	size_t len;
	const char *s = val_str(v, &len, &tmp);
	if (flags & NF_STRICT_REFS) {
		static const char *const kn[] = { "a SCALAR", "an ARRAY",
						  "a HASH", "a subroutine" };
		ev_die(e, line,
		       "Can't use string (\"%.32s\") as %s ref while \"strict refs\" in use",
		       s, kn[kind]);
		strbuf_release(&tmp);
		return NULL;
	}
	if (len > 6 && memcmp(s, "main::", 6) == 0) {
		s += 6;
		len -= 6;
	}
	struct obj *o = NULL;
	if (kind == OK_CODE) {
		o = hash_get(&e->ctx->cv, s, len);
		if (o)
			obj_ref(o);
		else
			ev_die(e, line,
			       "Undefined subroutine &main::%.*s called",
			       (int)len, s);
	} else {
		o = obj_ref(ev_glob(e, s, len, kind));
	}
	strbuf_release(&tmp);
	return o;
}

/* Container for an array expression, +1 reference. NULL: absent/error. */
struct obj *
ev_av(struct ev *e, struct node *n, int create)
{
	switch (n->type) {
	case N_MYAV:
		return obj_ref(slot_get(e, n->slot, OK_ARRAY));
	case N_GAV:
		return obj_ref(n->glob);
	case N_ARGS:
		if (!e->fr->args)
			e->fr->args = obj_new(OK_ARRAY);
		return obj_ref(e->fr->args);
	case N_MY:
		if (n->nkids == 1 && n->kids[0]->type != N_CONST) {
			ev_my(e, n);
			return ev_av(e, n->kids[0], create);
		}
		break;
	case N_LOCAL:
		ev_local(e, n);
		return ev_av(e, n->a, create);
	case N_RV2AV: {
		struct val v = { VT_UNDEF, { 0 } };
		struct obj *o;
		if (create && is_lvalue_node(n->a)) {
			struct obj *sv = ev_lv(e, n->a);
			if (!sv)
				return NULL;
			if (sv->u.sv.t == VT_UNDEF)
				val_set_ref(&sv->u.sv, obj_new(OK_ARRAY));
			o = deref(e, &sv->u.sv, OK_ARRAY, n->line, 0);
			obj_unref(sv);
			return o;
		}
		ev_sv(e, n->a, &v);
		if (e->ctl || (v.t == VT_UNDEF && !create)) {
			val_free(&v);
			return NULL;
		}
		o = deref(e, &v, OK_ARRAY, n->line, n->flags);
		val_free(&v);
		return o;
	}
	default:
		break;
	}
	ev_die(e, n->line, "Can't use this as an array");
	return NULL;
}

struct obj *
ev_hv(struct ev *e, struct node *n, int create)
{
	switch (n->type) {
	case N_MYHV:
		return obj_ref(slot_get(e, n->slot, OK_HASH));
	case N_GHV:
		return obj_ref(n->glob);
	case N_MY:
		if (n->nkids == 1 && n->kids[0]->type != N_CONST) {
			ev_my(e, n);
			return ev_hv(e, n->kids[0], create);
		}
		break;
	case N_LOCAL:
		ev_local(e, n);
		return ev_hv(e, n->a, create);
	case N_RV2HV: {
		struct val v = { VT_UNDEF, { 0 } };
		struct obj *o;
		if (create && is_lvalue_node(n->a)) {
			struct obj *sv = ev_lv(e, n->a);
			if (!sv)
				return NULL;
			if (sv->u.sv.t == VT_UNDEF)
				val_set_ref(&sv->u.sv, obj_new(OK_HASH));
			o = deref(e, &sv->u.sv, OK_HASH, n->line, 0);
			obj_unref(sv);
			return o;
		}
		ev_sv(e, n->a, &v);
		if (e->ctl || (v.t == VT_UNDEF && !create)) {
			val_free(&v);
			return NULL;
		}
		o = deref(e, &v, OK_HASH, n->line, n->flags);
		val_free(&v);
		return o;
	}
	default:
		break;
	}
	ev_die(e, n->line, "Can't use this as a hash");
	return NULL;
}

/*
 * An element read through a reference held in a variable or an element
 * (`$u->{a}`, `$h{a}{b}`) creates that reference when it is undefined, as
 * Perl's rvalue autovivification does.
 */
int
vivify_rvalue(const struct node *n)
{
	return (n->type == N_RV2HV || n->type == N_RV2AV) &&
	       is_lvalue_node(n->a);
}

int
is_lvalue_node(const struct node *n)
{
	switch (n->type) {
	case N_MYSV:
	case N_GSV:
	case N_OUT:
	case N_ELEM:
	case N_HELEM:
	case N_RV2SV:
		return 1;
	default:
		return 0;
	}
}

static int
is_array_node(const struct node *n)
{
	return n->type == N_MYAV || n->type == N_GAV || n->type == N_RV2AV ||
	       n->type == N_ARGS;
}

static int
is_hash_node(const struct node *n)
{
	return n->type == N_MYHV || n->type == N_GHV || n->type == N_RV2HV;
}

/* Hash key string of a node. */
static struct tstr *
ev_key(struct ev *e, struct node *n)
{
	struct val v = { VT_UNDEF, { 0 } };

	if (n->type == N_CONST && n->v.t == VT_PV) {
		n->v.u.pv->refcnt++;
		return n->v.u.pv;
	}
	if (n->type == N_LIST && n->nkids > 1) {
		/* $h{$a, $b}: joined by $; */
		struct strbuf sb = STRBUF_INIT;
		for (size_t i = 0; i < n->nkids; i++) {
			if (i)
				strbuf_addch(&sb, 0x1c);
			ev_sv(e, n->kids[i], &v);
			val_append(&v, &sb);
			val_free(&v);
		}
		struct tstr *s = tstr_new(sb.buf, sb.len);
		strbuf_release(&sb);
		return s;
	}
	ev_sv(e, n, &v);
	val_to_pv(&v);
	return v.u.pv;
}

/* The scalar container of an lvalue node, +1 reference (autovivifying). */
struct obj *
ev_lv(struct ev *e, struct node *n)
{
	switch (n->type) {
	case N_MYSV:
		return obj_ref(slot_get(e, n->slot, OK_SCALAR));
	case N_GSV:
		return obj_ref(n->glob);
	case N_OUT:
		return obj_ref(e->out);
	case N_ELEM: {
		struct obj *av = ev_av(e, n->a, 1);
		if (!av)
			return NULL;
		struct val iv = { VT_UNDEF, { 0 } };
		ev_sv(e, n->b, &iv);
		struct obj *el = e->ctl ? NULL : arr_at(av, val_iv(&iv), 1);
		val_free(&iv);
		if (!el && !e->ctl)
			ev_die(e, n->line,
			       "Modification of non-creatable array value attempted");
		if (el)
			obj_ref(el);
		obj_unref(av);
		return el;
	}
	case N_HELEM: {
		struct obj *hv = ev_hv(e, n->a, 1);
		if (!hv)
			return NULL;
		struct tstr *k = ev_key(e, n->b);
		struct obj *el = NULL;
		if (!e->ctl) {
			el = obj_ref(
				hash_fetch(&hv->u.h, k->s, k->len, OK_SCALAR));
			ev_charge(e, k->len + 64, n->line);
		}
		tstr_unref(k);
		obj_unref(hv);
		return el;
	}
	case N_RV2SV: {
		struct val v = { VT_UNDEF, { 0 } };
		struct obj *o;
		if (is_lvalue_node(n->a)) {
			struct obj *sv = ev_lv(e, n->a);
			if (!sv)
				return NULL;
			if (sv->u.sv.t == VT_UNDEF)
				val_set_ref(&sv->u.sv, obj_new(OK_SCALAR));
			o = deref(e, &sv->u.sv, OK_SCALAR, n->line, 0);
			obj_unref(sv);
			return o;
		}
		ev_sv(e, n->a, &v);
		o = e->ctl ? NULL : deref(e, &v, OK_SCALAR, n->line, n->flags);
		val_free(&v);
		return o;
	}
	case N_MY:
		if (n->nkids == 1 && n->kids[0]->type != N_CONST && !n->op) {
			ev_my(e, n);
			return ev_lv(e, n->kids[0]);
		}
		break;
	case N_LOCAL:
		ev_local(e, n);
		return ev_lv(e, n->a);
	case N_COND: {
		struct val c = { VT_UNDEF, { 0 } };
		ev_sv(e, n->a, &c);
		int t = val_true(&c);
		val_free(&c);
		if (e->ctl)
			return NULL;
		return ev_lv(e, t ? n->b : n->c);
	}
	case N_ASSIGN: {
		struct val v = { VT_UNDEF, { 0 } };
		ev_sv(e, n, &v);
		val_free(&v);
		if (e->ctl)
			return NULL;
		if (n->a->type == N_MY && n->a->nkids == 1)
			return ev_lv(e, n->a->kids[0]);
		return ev_lv(e, n->a);
	}
	default:
		break;
	}
	ev_die(e, n->line, "Can't modify non-lvalue subroutine call");
	return NULL;
}

/* Execute a `my` declaration: fresh containers in its slots. */
void
ev_my(struct ev *e, struct node *n)
{
	for (size_t i = 0; i < n->nkids; i++) {
		struct node *v = n->kids[i];
		enum okind kind;
		if (v->type == N_MYSV)
			kind = OK_SCALAR;
		else if (v->type == N_MYAV)
			kind = OK_ARRAY;
		else if (v->type == N_MYHV)
			kind = OK_HASH;
		else
			continue; /* our: the package variable itself */
		struct obj **s = &e->fr->slots[v->slot];
		if (*s && (*s)->fresh) {
			/* first declaration of a variable a sub captured */
			(*s)->fresh = 0;
		} else if (*s && (*s)->refcnt == 1) {
			struct obj *o = *s;
			if (kind == OK_SCALAR)
				val_free(&o->u.sv);
			else if (kind == OK_ARRAY)
				arr_clear(&o->u.a);
			else
				hash_clear(&o->u.h);
		} else {
			obj_unref(*s);
			*s = obj_new(kind);
		}
	}
}

/* local: save the current value, restored when the block exits. */
static void
local_save(struct ev *e, struct obj *o)
{
	if (e->nlocals == e->alocals)
		e->locals = xgrow(e->locals, &e->alocals, e->nlocals + 1,
				  sizeof(*e->locals));
	struct local_save *l = &e->locals[e->nlocals++];
	l->o = obj_ref(o);
	l->saved = obj_new(o->kind);
	/* swap contents: the variable starts empty */
	struct obj tmp = *l->saved;
	l->saved->u = o->u;
	o->u = tmp.u;
}

void
ev_local(struct ev *e, struct node *n)
{
	struct node *t = n->a;
	struct obj *o = NULL;

	if (t->type == N_LIST) {
		for (size_t i = 0; i < t->nkids; i++) {
			struct node fake = *n;
			fake.a = t->kids[i];
			ev_local(e, &fake);
		}
		return;
	}
	if (is_lvalue_node(t))
		o = ev_lv(e, t);
	else if (is_array_node(t))
		o = ev_av(e, t, 1);
	else if (is_hash_node(t))
		o = ev_hv(e, t, 1);
	else if (t->type == N_ASSIGN)
		ev_die(e, n->line, "local: unsupported form");
	else
		ev_die(e, n->line, "Can't localize this");
	if (!o)
		return;
	local_save(e, o);
	obj_unref(o);
}

void
ev_unwind_locals(struct ev *e, size_t mark)
{
	while (e->nlocals > mark) {
		struct local_save *l = &e->locals[--e->nlocals];
		struct obj tmp;
		tmp.u = l->o->u;
		l->o->u = l->saved->u;
		l->saved->u = tmp.u;
		obj_unref(l->saved);
		obj_unref(l->o);
	}
}

/* ---- numbers -------------------------------------------------------- */

static void
set_num(struct val *out, int isint, int64_t iv, double nv)
{
	if (isint)
		val_set_iv(out, iv);
	else
		val_set_nv(out, nv);
}

static int
pow_int(int64_t base, int64_t power, struct val *out)
{
	/* Perl computes integer ** non-negative integer as a double and
	   keeps it an integer while it is exact (below 2**53). */
	double r = pow((double)base, (double)power);
	if (power < 0)
		return 0;
	if (fabs(r) < 9007199254740992.0 && r == floor(r)) {
		val_set_iv(out, (int64_t)r);
		return 1;
	}
	val_set_nv(out, r);
	return 1;
}

static int64_t
perl_mod(int64_t a, int64_t b)
{
	if (b == -1)
		return 0;
	int64_t r = a % b;
	if (r != 0 && ((r < 0) != (b < 0)))
		r += b;
	return r;
}

__extension__ typedef __int128 i128;

/* An exact integer result: IV, UV above INT64_MAX, or else a float. */
static void
set_i128(struct val *out, i128 r)
{
	if (r >= INT64_MIN && r <= INT64_MAX)
		val_set_iv(out, (int64_t)r);
	else if (r > 0 && r <= (i128)UINT64_MAX) {
		val_set_iv(out, (int64_t)(uint64_t)r);
		out->t = VT_UV;
	} else
		val_set_nv(out, (double)r);
}

static i128
to_i128(int kind, int64_t iv)
{
	return kind == 2 ? (i128)(uint64_t)iv : (i128)iv;
}

static int
num_op(struct ev *e, int op, const struct val *a, const struct val *b,
       struct val *out, int line)
{
	int64_t ia = 0, ib = 0;
	double na = 0, nb = 0;
	int ka = val_num3(a, &ia, &na), kb = val_num3(b, &ib, &nb);
	int inta = ka == 1, intb = kb == 1;
	int both = ka && kb;

	if (ka)
		na = (double)to_i128(ka, ia);
	if (kb)
		nb = (double)to_i128(kb, ib);
	switch (op) {
	case OP1('+'):
		if (both)
			set_i128(out, to_i128(ka, ia) + to_i128(kb, ib));
		else
			val_set_nv(out, na + nb);
		return 0;
	case OP1('-'):
		if (both)
			set_i128(out, to_i128(ka, ia) - to_i128(kb, ib));
		else
			val_set_nv(out, na - nb);
		return 0;
	case OP1('*'): {
		i128 r;
		if (both && !__builtin_mul_overflow(to_i128(ka, ia),
						    to_i128(kb, ib), &r))
			set_i128(out, r);
		else
			val_set_nv(out, na * nb);
		return 0;
	}
	case OP1('/'):
		if (nb == 0.0) {
			ev_die(e, line, "Illegal division by zero");
			return -1;
		}
		if (inta && intb && ib != 0 && !(ia == INT64_MIN && ib == -1) &&
		    ia % ib == 0)
			val_set_iv(out, ia / ib);
		else
			val_set_nv(out, na / nb);
		return 0;
	case OP1('%'): {
		if (!inta) {
			if (isinf(na) || isnan(na) || fabs(na) >= 9.2e18) {
				val_set_nv(out, fmod(na, nb));
				return 0;
			}
			ia = (int64_t)na;
		}
		if (!intb) {
			if (isinf(nb) || isnan(nb) || fabs(nb) >= 9.2e18) {
				val_set_nv(out, na);
				return 0;
			}
			ib = (int64_t)nb;
		}
		if (ib == 0) {
			ev_die(e, line, "Illegal modulus zero");
			return -1;
		}
		val_set_iv(out, perl_mod(ia, ib));
		return 0;
	}
	case OP2('*', '*'):
		if (inta && intb && ib >= 0 && pow_int(ia, ib, out))
			return 0;
		val_set_nv(out, pow(na, nb));
		return 0;
	default:
		break;
	}
	(void)set_num;
	return -1;
}

/* Numeric comparison: -1, 0, 1, or 2 for NaN. */
static int
num_cmp(const struct val *a, const struct val *b)
{
	int64_t ia, ib;
	double na, nb;
	int ka = val_num3(a, &ia, &na), kb = val_num3(b, &ib, &nb);

	if (ka && kb) {
		i128 x = to_i128(ka, ia), y = to_i128(kb, ib);
		return x < y ? -1 : x > y;
	}
	if (ka)
		na = (double)to_i128(ka, ia);
	if (kb)
		nb = (double)to_i128(kb, ib);
	if (isnan(na) || isnan(nb))
		return 2;
	return na < nb ? -1 : na > nb;
}

int
str_cmp(const struct val *a, const struct val *b)
{
	struct strbuf ta = STRBUF_INIT, tb = STRBUF_INIT;
	size_t la, lb;
	const char *sa = val_str(a, &la, &ta), *sb = val_str(b, &lb, &tb);
	int c = memcmp(sa, sb, la < lb ? la : lb);

	if (c == 0)
		c = la < lb ? -1 : la > lb;
	else
		c = c < 0 ? -1 : 1;
	strbuf_release(&ta);
	strbuf_release(&tb);
	return c;
}

static void
set_bool(struct val *out, int t)
{
	if (t)
		val_set_iv(out, 1);
	else
		val_set_str(out, "", 0);
}

static uint64_t
val_uv(const struct val *v)
{
	int64_t iv;
	double nv;

	if (val_num3(v, &iv, &nv))
		return (uint64_t)iv;
	if (isnan(nv))
		return 0;
	if (nv < 0)
		return nv <= -9223372036854775808.0 ? (uint64_t)INT64_MIN
						    : (uint64_t)(int64_t)nv;
	if (nv >= 18446744073709551615.0)
		return UINT64_MAX;
	return (uint64_t)nv;
}

static void
set_uv(struct val *out, uint64_t u)
{
	val_set_iv(out, (int64_t)u);
	if (u > INT64_MAX)
		out->t = VT_UV;
}

/* a OP b into out; returns -1 on error (died). */
int
ev_binop(struct ev *e, int op, const struct val *a, const struct val *b,
	 struct val *out, int line)
{
	struct strbuf t1 = STRBUF_INIT;
	int c;

	switch (op) {
	case OP1('+'):
	case OP1('-'):
	case OP1('*'):
	case OP1('/'):
	case OP1('%'):
	case OP2('*', '*'):
		return num_op(e, op, a, b, out, line);
	case OP1('.'): {
		struct strbuf sb = STRBUF_INIT;
		val_append(a, &sb);
		val_append(b, &sb);
		if (ev_charge(e, sb.len, line) < 0) {
			strbuf_release(&sb);
			return -1;
		}
		out->t = VT_PV;
		out->u.pv = tstr_new(sb.buf, sb.len);
		strbuf_release(&sb);
		return 0;
	}
	case OP1('x'): {
		int64_t n = val_iv(b);
		size_t len;
		const char *s = val_str(a, &len, &t1);
		if (n < 0 || !len)
			n = 0; /* an empty string repeated is empty, at once */
		if (len && (uint64_t)n > e->ctx->lim.max_memory / len) {
			strbuf_release(&t1);
			ev_die(e, line, "memory limit exceeded");
			return -1;
		}
		if (ev_charge(e, len * (size_t)n, line) < 0) {
			strbuf_release(&t1);
			return -1;
		}
		struct tstr *r = tstr_newz(len * (size_t)n);
		for (int64_t i = 0; i < n; i++)
			memcpy(r->s + (size_t)i * len, s, len);
		r->len = len * (size_t)n;
		r->s[r->len] = '\0';
		out->t = VT_PV;
		out->u.pv = r;
		strbuf_release(&t1);
		return 0;
	}
	case OP2('=', '='):
		set_bool(out, num_cmp(a, b) == 0);
		return 0;
	case OP2('!', '='):
		c = num_cmp(a, b);
		set_bool(out, c != 0);
		return 0;
	case OP1('<'):
		set_bool(out, num_cmp(a, b) == -1);
		return 0;
	case OP1('>'):
		set_bool(out, num_cmp(a, b) == 1);
		return 0;
	case OP2('<', '='):
		c = num_cmp(a, b);
		set_bool(out, c == -1 || c == 0);
		return 0;
	case OP2('>', '='):
		c = num_cmp(a, b);
		set_bool(out, c == 1 || c == 0);
		return 0;
	case OP3('<', '=', '>'):
		c = num_cmp(a, b);
		if (c == 2)
			val_set_undef(out);
		else
			val_set_iv(out, c);
		return 0;
	case OP2('e', 'q'):
		set_bool(out, str_cmp(a, b) == 0);
		return 0;
	case OP2('n', 'e'):
		set_bool(out, str_cmp(a, b) != 0);
		return 0;
	case OP2('l', 't'):
		set_bool(out, str_cmp(a, b) < 0);
		return 0;
	case OP2('g', 't'):
		set_bool(out, str_cmp(a, b) > 0);
		return 0;
	case OP2('l', 'e'):
		set_bool(out, str_cmp(a, b) <= 0);
		return 0;
	case OP2('g', 'e'):
		set_bool(out, str_cmp(a, b) >= 0);
		return 0;
	case OP3('c', 'm', 'p'):
		val_set_iv(out, str_cmp(a, b));
		return 0;
	case OP1('|'):
		set_uv(out, val_uv(a) | val_uv(b));
		return 0;
	case OP1('&'):
		set_uv(out, val_uv(a) & val_uv(b));
		return 0;
	case OP1('^'):
		set_uv(out, val_uv(a) ^ val_uv(b));
		return 0;
	case OP2('<', '<'): {
		uint64_t s = val_uv(b);
		set_uv(out, s >= 64 ? 0 : val_uv(a) << s);
		return 0;
	}
	case OP2('>', '>'): {
		uint64_t s = val_uv(b);
		set_uv(out, s >= 64 ? 0 : val_uv(a) >> s);
		return 0;
	}
	case OP2('x', 'o'):
		set_bool(out, val_true(a) != val_true(b));
		return 0;
	default:
		ev_die(e, line, "internal error: operator %d", op);
		return -1;
	}
}

/* ---- list helpers --------------------------------------------------- */

static void
push_array(struct list *out, struct obj *av)
{
	for (size_t i = 0; i < av->u.a.n; i++) {
		struct obj *el = av->u.a.v[i];
		if (el)
			list_push_copy(out, &el->u.sv);
		else {
			struct val u = { VT_UNDEF, { 0 } };
			list_push(out, &u);
		}
	}
}

static void
push_hash(struct list *out, struct obj *hv)
{
	for (size_t i = 0; i < hv->u.h.n; i++) {
		struct hent *h = &hv->u.h.e[i];
		if (!h->k)
			continue;
		struct val k = { VT_PV, { .pv = h->k } };
		h->k->refcnt++;
		list_push(out, &k);
		list_push_copy(out, &h->v->u.sv);
	}
}

/* Assign a list to an array container. */
static void
array_assign(struct ev *e, struct obj *av, struct list *l, size_t from)
{
	arr_clear(&av->u.a);
	for (size_t i = from; i < l->n; i++) {
		struct obj *sv = obj_new(OK_SCALAR);
		val_move(&sv->u.sv, &l->v[i]);
		arr_push(&av->u.a, sv);
	}
	ev_charge(e, (l->n - from) * 48, 0);
}

static void
hash_assign(struct ev *e, struct obj *hv, struct list *l, size_t from)
{
	struct strbuf tmp = STRBUF_INIT;

	hash_clear(&hv->u.h);
	for (size_t i = from; i < l->n; i += 2) {
		size_t len;
		const char *k = val_str(&l->v[i], &len, &tmp);
		struct obj *sv = obj_new(OK_SCALAR);
		if (i + 1 < l->n)
			val_move(&sv->u.sv, &l->v[i + 1]);
		hash_store(&hv->u.h, k, len, sv);
	}
	ev_charge(e, (l->n - from) * 48, 0);
	strbuf_release(&tmp);
}

/* ---- assignment ----------------------------------------------------- */

static int
is_list_lhs(const struct node *n)
{
	switch (n->type) {
	case N_MYAV:
	case N_GAV:
	case N_RV2AV:
	case N_ARGS:
	case N_MYHV:
	case N_GHV:
	case N_RV2HV:
	case N_SLICE:
	case N_HSLICE:
		return 1;
	case N_LIST:
		return 1;
	case N_MY:
		return n->op ||
		       (n->nkids == 1 && n->kids[0]->type != N_MYSV &&
			n->kids[0]->type != N_GSV && n->kids[0]->type != N_OUT);
	case N_LOCAL:
		return is_list_lhs(n->a);
	default:
		return 0;
	}
}

/* Assign values l->v[*pos..] to the target node; advances *pos. */
static void
assign_to(struct ev *e, struct node *t, struct list *l, size_t *pos)
{
	struct val u = { VT_UNDEF, { 0 } };

	if (e->ctl)
		return;
	switch (t->type) {
	case N_MY:
		ev_my(e, t);
		/* fall through */
	case N_LIST:
		for (size_t i = 0; i < t->nkids; i++)
			assign_to(e, t->kids[i], l, pos);
		return;
	case N_LOCAL:
		ev_local(e, t);
		assign_to(e, t->a, l, pos);
		return;
	case N_CONST: /* undef placeholder */
		if (*pos < l->n)
			(*pos)++;
		return;
	case N_FUNC:
		if (t->op == B_UNDEF && t->nkids == 0) {
			if (*pos < l->n)
				(*pos)++;
			return;
		}
		break;
	case N_MYAV:
	case N_GAV:
	case N_RV2AV:
	case N_ARGS: {
		struct obj *av = ev_av(e, t, 1);
		if (av) {
			array_assign(e, av, l, *pos);
			obj_unref(av);
		}
		*pos = l->n;
		return;
	}
	case N_MYHV:
	case N_GHV:
	case N_RV2HV: {
		struct obj *hv = ev_hv(e, t, 1);
		if (hv) {
			hash_assign(e, hv, l, *pos);
			obj_unref(hv);
		}
		*pos = l->n;
		return;
	}
	case N_SLICE:
	case N_HSLICE: {
		struct list keys = { 0 };
		ev_lst(e, t->b, &keys);
		for (size_t i = 0; i < keys.n && !e->ctl; i++) {
			struct obj *el = NULL;
			if (t->type == N_SLICE) {
				struct obj *av = ev_av(e, t->a, 1);
				if (av) {
					el = arr_at(av, val_iv(&keys.v[i]), 1);
					if (el)
						obj_ref(el);
					obj_unref(av);
				}
			} else {
				struct obj *hv = ev_hv(e, t->a, 1);
				if (hv) {
					struct strbuf tmp = STRBUF_INIT;
					size_t len;
					const char *k =
						val_str(&keys.v[i], &len, &tmp);
					el = obj_ref(hash_fetch(
						&hv->u.h, k, len, OK_SCALAR));
					strbuf_release(&tmp);
					obj_unref(hv);
				}
			}
			if (!el)
				continue;
			val_free(&el->u.sv);
			if (*pos < l->n)
				val_copy(&el->u.sv, &l->v[(*pos)++]);
			obj_unref(el);
		}
		list_release(&keys);
		return;
	}
	default:
		break;
	}
	struct obj *sv = ev_lv(e, t);
	if (!sv)
		return;
	val_free(&sv->u.sv);
	if (*pos < l->n)
		val_copy(&sv->u.sv, &l->v[(*pos)++]);
	else
		sv->u.sv = u;
	obj_unref(sv);
}

static void
ev_list_assign(struct ev *e, struct node *n, int want, struct list *out,
	       struct val *sout)
{
	struct list l = { 0 };
	size_t pos = 0;

	ev_lst(e, n->b, &l);
	if (e->ctl) {
		list_release(&l);
		return;
	}
	size_t count = l.n;
	assign_to(e, n->a, &l, &pos);
	list_release(&l);
	if (want == WANT_LIST && out && !e->ctl)
		ev_lst(e, n->a->type == N_MY ? n->a : n->a, out);
	if (sout)
		val_set_iv(sout, (int64_t)count);
}

static void
assign_scalar(struct ev *e, struct node *n, struct val *out)
{
	struct val v = { VT_UNDEF, { 0 } };
	struct obj *sv;

	if (n->op == 0 && n->a->type == N_LASTIDX) {
		/* $#a = N: truncate or extend */
		ev_sv(e, n->b, &v);
		struct obj *av = e->ctl ? NULL : ev_av(e, n->a->a, 1);
		if (av) {
			int64_t want = val_iv(&v) + 1;
			if (want < 0)
				want = 0;
			while (av->u.a.n > (uint64_t)want)
				obj_unref(av->u.a.v[--av->u.a.n]);
			if (want > 0)
				arr_at(av, want - 1, 1);
			obj_unref(av);
		}
		if (out)
			val_copy(out, &v);
		goto out;
	}
	if (n->op == 0) {
		ev_sv(e, n->b, &v);
		if (e->ctl)
			goto out;
		sv = ev_lv(e, n->a);
		if (!sv)
			goto out;
		if (n->a->type == N_OUT || sv == e->out)
			ev_check_out(e, &v, n->line);
		val_free(&sv->u.sv);
		val_copy(&sv->u.sv, &v);
		if (out)
			val_copy(out, &v);
		obj_unref(sv);
		goto out;
	}
	sv = ev_lv(e, n->a);
	if (!sv)
		goto out;
	if (n->op == 1 || n->op == 2 || n->op == 3) {
		/* ||= &&= //= short-circuit */
		int t = n->op == 3 ? sv->u.sv.t != VT_UNDEF
				   : val_true(&sv->u.sv);
		if ((n->op == 2) == t) {
			ev_sv(e, n->b, &v);
			if (!e->ctl) {
				val_free(&sv->u.sv);
				val_copy(&sv->u.sv, &v);
			}
		}
		if (out && !e->ctl)
			val_copy(out, &sv->u.sv);
		obj_unref(sv);
		goto out;
	}
	ev_sv(e, n->b, &v);
	if (e->ctl) {
		obj_unref(sv);
		goto out;
	}
	if (n->op == OP1('.')) {
		/* append in place when the string is not shared */
		struct val *cur = &sv->u.sv;
		size_t len;
		struct strbuf tmp = STRBUF_INIT;
		const char *s = val_str(&v, &len, &tmp);
		if (ev_charge(e, len, n->line) == 0) {
			if (cur->t != VT_PV) {
				val_to_pv(cur);
			} else if (cur->u.pv->refcnt != 1) {
				struct tstr *c =
					tstr_new(cur->u.pv->s, cur->u.pv->len);
				val_free(cur);
				cur->t = VT_PV;
				cur->u.pv = c;
			}
			struct tstr *p = cur->u.pv;
			if (p->len + len > p->cap) {
				size_t cap = (p->len + len) * 2 + 16;
				p = xrealloc(p, sizeof(*p) + cap + 1);
				p->cap = cap;
				cur->u.pv = p;
			}
			memcpy(p->s + p->len, s, len);
			p->len += len;
			p->s[p->len] = '\0';
			if (sv == e->out && p->len > e->ctx->lim.max_output)
				ev_die(e, n->line, "output limit exceeded");
		}
		strbuf_release(&tmp);
		if (out && !e->ctl)
			val_copy(out, cur);
		obj_unref(sv);
		goto out;
	}
	struct val r = { VT_UNDEF, { 0 } };
	if (ev_binop(e, n->op, &sv->u.sv, &v, &r, n->line) == 0) {
		val_free(&sv->u.sv);
		sv->u.sv = r;
		if (out)
			val_copy(out, &r);
	}
	obj_unref(sv);
out:
	val_free(&v);
}

void
ev_check_out(struct ev *e, const struct val *v, int line)
{
	if (v->t == VT_PV && v->u.pv->len > e->ctx->lim.max_output)
		ev_die(e, line, "output limit exceeded");
}

/* ---- increments ----------------------------------------------------- */

static int
magic_incr_ok(const struct tstr *s)
{
	size_t i = 0;

	if (!s->len)
		return 0;
	while (i < s->len && ((s->s[i] >= 'a' && s->s[i] <= 'z') ||
			      (s->s[i] >= 'A' && s->s[i] <= 'Z')))
		i++;
	while (i < s->len && s->s[i] >= '0' && s->s[i] <= '9')
		i++;
	return i == s->len;
}

static void
magic_incr(struct val *v)
{
	struct tstr *s = v->u.pv;
	struct strbuf sb = STRBUF_INIT;
	size_t i = s->len;

	strbuf_add(&sb, s->s, s->len);
	while (i-- > 0) {
		char *c = &sb.buf[i];
		if (*c == 'z') {
			*c = 'a';
		} else if (*c == 'Z') {
			*c = 'A';
		} else if (*c == '9') {
			*c = '0';
		} else {
			(*c)++;
			goto done;
		}
	}
	{
		char first = sb.buf[0] == '0' ? '1' : sb.buf[0];
		struct strbuf nb = STRBUF_INIT;
		strbuf_addch(&nb, first);
		strbuf_addbuf(&nb, &sb);
		strbuf_release(&sb);
		sb = nb;
	}
done:
	val_free(v);
	val_set_str(v, sb.buf, sb.len);
	strbuf_release(&sb);
}

static void
ev_incdec(struct ev *e, struct node *n, struct val *out)
{
	struct obj *sv = ev_lv(e, n->a);
	int inc = n->type == N_PREINC || n->type == N_POSTINC;
	int post = n->type == N_POSTINC || n->type == N_POSTDEC;

	if (!sv)
		return;
	struct val *v = &sv->u.sv;
	if (post && out) {
		if (v->t == VT_UNDEF && !inc)
			val_set_undef(out);
		else if (v->t == VT_UNDEF)
			val_set_iv(out, 0);
		else
			val_copy(out, v);
	}
	if (inc && v->t == VT_PV && magic_incr_ok(v->u.pv) &&
	    !(v->u.pv->s[0] >= '0' && v->u.pv->s[0] <= '9')) {
		magic_incr(v);
	} else {
		struct val one = { VT_IV, { .iv = 1 } }, r;
		num_op(e, inc ? OP1('+') : OP1('-'), v, &one, &r, n->line);
		val_free(v);
		*v = r;
	}
	if (!post && out)
		val_copy(out, v);
	obj_unref(sv);
}

/* ---- control -------------------------------------------------------- */

/* Run statements; the value of the last one goes to `val` (if given). */
void
ev_stmts(struct ev *e, struct node *b, int want, struct list *val)
{
	size_t last = b->nkids;
	size_t mark = e->nlocals;

	if (val) {
		while (last > 0 && (b->kids[last - 1]->type == N_NOP ||
				    b->kids[last - 1]->type == N_SUBDEF))
			last--;
	}
	for (size_t i = 0; i < b->nkids && !e->ctl; i++) {
		struct node *s = b->kids[i];
		if (val && i + 1 == last) {
			list_clear(val);
			ev_stmt(e, s, want, val);
		} else {
			ev_stmt(e, s, WANT_VOID, NULL);
		}
	}
	ev_unwind_locals(e, mark);
}

static void
ev_value(struct ev *e, struct node *n, int want, struct list *val)
{
	if (want == WANT_LIST) {
		ev_lst(e, n, val);
	} else {
		struct val v = { VT_UNDEF, { 0 } };
		ev_sv(e, n, &v);
		if (val)
			list_push(val, &v);
		else
			val_free(&v);
	}
}

static void
ev_foreach(struct ev *e, struct node *n)
{
	struct node *lst = n->b, *var = n->a;
	struct obj *av = NULL;
	struct list items = { 0 };
	size_t count;
	struct obj *gsv = NULL;
	struct val saved = { VT_UNDEF, { 0 } };
	struct obj *saved_slot = NULL;

	if (is_array_node(lst)) {
		av = ev_av(e, lst, 0);
		count = av ? av->u.a.n : 0;
	} else {
		ev_lst(e, lst, &items);
		count = items.n;
	}
	if (e->ctl)
		goto out;
	if (!var || var->type != N_MYSV) {
		gsv = var ? ev_lv(e, var)
			  : obj_ref(ev_glob(e, "_", 1, OK_SCALAR));
		if (!gsv)
			goto out;
		val_move(&saved, &gsv->u.sv);
	} else {
		saved_slot = e->fr->slots[var->slot];
		e->fr->slots[var->slot] = NULL;
	}
	for (size_t i = 0; i < count && !e->ctl; i++) {
		struct obj *el;
		if (av) {
			if (i >= av->u.a.n)
				break;
			el = arr_at(av, (int64_t)i, 1);
			obj_ref(el);
		} else {
			el = obj_new(OK_SCALAR);
			val_move(&el->u.sv, &items.v[i]);
		}
		if (gsv) {
			val_free(&gsv->u.sv);
			val_copy(&gsv->u.sv, &el->u.sv);
		} else {
			obj_unref(e->fr->slots[var->slot]);
			e->fr->slots[var->slot] = obj_ref(el);
		}
		if (n->flags & 1) {
			struct val v = { VT_UNDEF, { 0 } };
			ev_sv(e, n->c, &v);
			val_free(&v);
		} else {
			ev_stmts(e, n->c, WANT_VOID, NULL);
		}
		if (gsv && av) {
			/* aliasing: write back changes to the element */
			val_free(&el->u.sv);
			val_copy(&el->u.sv, &gsv->u.sv);
		}
		obj_unref(el);
		if (e->ctl == CTL_NEXT)
			e->ctl = 0;
		else if (e->ctl == CTL_LAST) {
			e->ctl = 0;
			break;
		}
	}
	if (gsv) {
		val_free(&gsv->u.sv);
		val_move(&gsv->u.sv, &saved);
	} else {
		obj_unref(e->fr->slots[var->slot]);
		e->fr->slots[var->slot] = saved_slot;
	}
out:
	obj_unref(gsv);
	obj_unref(av);
	list_release(&items);
}

static int
loop_ctl(struct ev *e)
{
	if (e->ctl == CTL_NEXT) {
		e->ctl = 0;
		return 0;
	}
	if (e->ctl == CTL_LAST) {
		e->ctl = 0;
		return 1;
	}
	return e->ctl != 0;
}

static int
ev_cond(struct ev *e, struct node *n)
{
	struct val v = { VT_UNDEF, { 0 } };
	int t;

	ev_sv(e, n, &v);
	t = val_true(&v);
	val_free(&v);
	return t;
}

void
ev_stmt(struct ev *e, struct node *s, int want, struct list *val)
{
	if (ev_enter(e, s->line) < 0)
		return;
	e->line = s->line;
	switch (s->type) {
	case N_IF: {
		struct val c = { VT_UNDEF, { 0 } };
		ev_sv(e, s->a, &c);
		if (e->ctl) {
			val_free(&c);
			break;
		}
		int t = val_true(&c) != (s->op == 1);
		if (t) {
			val_free(&c);
			if (s->flags & 1)
				ev_stmt(e, s->b, want, val);
			else
				ev_stmts(e, s->b, want, val);
		} else if (s->c) {
			val_free(&c);
			if (s->c->type == N_IF)
				ev_stmt(e, s->c, want, val);
			else
				ev_stmts(e, s->c, want, val);
		} else if (val) {
			list_push(val, &c);
		} else {
			val_free(&c);
		}
		break;
	}
	case N_WHILE:
		if (s->flags & 1) {
			/* postfix: body is an expression */
			while (!e->ctl && ev_cond(e, s->a) != (s->op == 1) &&
			       !e->ctl) {
				struct val v = { VT_UNDEF, { 0 } };
				ev_sv(e, s->b, &v);
				val_free(&v);
				if (++e->steps > e->ctx->lim.max_steps)
					ev_die(e, s->line,
					       "step limit exceeded");
			}
			break;
		}
		while (!e->ctl && ev_cond(e, s->a) != (s->op == 1) && !e->ctl) {
			ev_stmts(e, s->b, WANT_VOID, NULL);
			if (loop_ctl(e))
				break;
			if (s->c)
				ev_stmts(e, s->c, WANT_VOID, NULL);
		}
		break;
	case N_FORC: {
		struct val v = { VT_UNDEF, { 0 } };
		if (s->kids[0])
			ev_sv(e, s->kids[0], &v);
		val_free(&v);
		while (!e->ctl && (!s->kids[1] || ev_cond(e, s->kids[1])) &&
		       !e->ctl) {
			ev_stmts(e, s->b, WANT_VOID, NULL);
			if (loop_ctl(e))
				break;
			if (s->kids[2]) {
				ev_sv(e, s->kids[2], &v);
				val_free(&v);
			}
		}
		break;
	}
	case N_FOREACH:
		ev_foreach(e, s);
		break;
	case N_BLOCK:
		ev_stmts(e, s, want, val);
		if (e->ctl == CTL_LAST && (s->flags & 1))
			e->ctl = 0;
		break;
	case N_NEXT:
		e->ctl = CTL_NEXT;
		break;
	case N_LAST:
		e->ctl = CTL_LAST;
		break;
	case N_RETURN:
		list_clear(&e->ret);
		if (s->a)
			ev_value(e, s->a,
				 e->fr->want == WANT_LIST ? WANT_LIST
							  : WANT_SCALAR,
				 &e->ret);
		if (!e->ctl)
			e->ctl = CTL_RETURN;
		break;
	case N_SUBDEF:
	case N_NOP:
		break;
	default:
		if (val)
			ev_value(e, s, want, val);
		else
			ev_void(e, s);
		break;
	}
	e->depth--;
}

void
ev_void(struct ev *e, struct node *n)
{
	struct val v = { VT_UNDEF, { 0 } };

	if (n->type == N_ASSIGN && n->op == 0 && is_list_lhs(n->a)) {
		ev_list_assign(e, n, WANT_VOID, NULL, NULL);
		return;
	}
	if (n->type == N_ASSIGN && n->op == OP1('.')) {
		assign_scalar(e, n, NULL);
		return;
	}
	if (n->type == N_FUNC || n->type == N_CALL || n->type == N_METHOD ||
	    n->type == N_CALLREF) {
		struct list l = { 0 };
		ev_lst(e, n, &l);
		list_release(&l);
		return;
	}
	ev_sv(e, n, &v);
	val_free(&v);
}

/* Install the subs defined in a block (at compile time, as Perl does). */
void
ev_install_subs(struct ev *e, struct prog *p, struct node *n)
{
	if (!n)
		return;
	if (n->type == N_SUBDEF) {
		hash_store(&e->ctx->cv, n->s, n->slen, make_code(e, p, n));
		return;
	}
	if (n->type == N_BLOCK || n->type == N_IF || n->type == N_FOREACH ||
	    n->type == N_WHILE || n->type == N_FORC) {
		for (size_t i = 0; i < n->nkids; i++)
			if (n->kids[i])
				ev_install_subs(e, p, n->kids[i]);
		if (n->type != N_BLOCK) {
			if (n->b && n->b->type == N_BLOCK)
				ev_install_subs(e, p, n->b);
			if (n->c && n->c->type == N_BLOCK)
				ev_install_subs(e, p, n->c);
		}
	}
}

/* Call a code object; `argv` (an array of the argument containers, which
   alias the caller's variables) becomes @_. Results go to out. */
void
ev_call(struct ev *e, struct obj *code, struct obj *argv, int want,
	struct list *out, int line)
{
	struct frame fr = { 0 };
	struct frame *save = e->fr;
	struct list val = { 0 };

	if (code->u.c.nslots)
		fr.slots = xcalloc((size_t)code->u.c.nslots, sizeof(*fr.slots));
	fr.nslots = code->u.c.nslots;
	fr.args = obj_ref(argv);
	fr.want = want;
	for (int i = 0; i < code->u.c.ncap; i++)
		fr.slots[code->u.c.capslot[i]] = obj_ref(code->u.c.cap[i]);
	if (e->depth + 1 > e->ctx->lim.max_depth) {
		ev_die(e, line, "nesting too deep");
		goto out;
	}
	e->fr = &fr;
	ev_stmts(e, code->u.c.body, want == WANT_LIST ? WANT_LIST : WANT_SCALAR,
		 &val);
	e->fr = save;
	if (e->ctl == CTL_RETURN) {
		e->ctl = 0;
		list_clear(&val);
		for (size_t i = 0; i < e->ret.n; i++)
			list_push(&val, &e->ret.v[i]);
		e->ret.n = 0;
	} else if (e->ctl == CTL_NEXT || e->ctl == CTL_LAST) {
		e->ctl = 0;
	}
	for (size_t i = 0; i < val.n; i++)
		list_push(out, &val.v[i]);
out:
	e->fr = save;
	list_release(&val);
	for (int i = 0; i < fr.nslots; i++)
		obj_unref(fr.slots[i]);
	free(fr.slots);
	obj_unref(fr.args);
}

/* Arguments of a call: scalar variables and array elements are passed
   as themselves (aliases), other values as copies. */
static void
call_args(struct ev *e, struct node *n, struct obj *argv)
{
	struct list l = { 0 };

	for (size_t i = 0; i < n->nkids && !e->ctl; i++) {
		struct node *k = n->kids[i];
		if (k->type == N_MYSV || k->type == N_GSV) {
			arr_push(&argv->u.a, ev_lv(e, k));
			continue;
		}
		if (k->type == N_MYAV || k->type == N_GAV) {
			struct obj *av = ev_av(e, k, 0);
			for (size_t j = 0; av && j < av->u.a.n; j++)
				arr_push(&argv->u.a,
					 obj_ref(arr_at(av, (int64_t)j, 1)));
			obj_unref(av);
			continue;
		}
		ev_lst(e, k, &l);
		for (size_t j = 0; j < l.n; j++) {
			struct obj *sv = obj_new(OK_SCALAR);
			val_move(&sv->u.sv, &l.v[j]);
			arr_push(&argv->u.a, sv);
		}
		list_clear(&l);
	}
	list_release(&l);
}

static void
ev_call_node(struct ev *e, struct node *n, int want, struct list *out)
{
	struct obj *code = NULL;
	struct obj *args;

	if (n->type == N_CALL) {
		code = hash_get(&e->ctx->cv, n->s, n->slen);
		if (!code) {
			if (n->flags & 8) {
				/* bareword */
				struct val s;
				val_set_str(&s, n->s, n->slen);
				list_push(out, &s);
				return;
			}
			ev_die(e, n->line,
			       "Undefined subroutine &main::%s called", n->s);
			return;
		}
		obj_ref(code);
	} else {
		struct val v = { VT_UNDEF, { 0 } };
		ev_sv(e, n->a, &v);
		if (!e->ctl)
			code = deref(e, &v, OK_CODE, n->line, 0);
		val_free(&v);
		if (!code)
			return;
	}
	if (n->flags & 4) {
		/* &name; shares the caller's @_ */
		if (!e->fr->args)
			e->fr->args = obj_new(OK_ARRAY);
		args = obj_ref(e->fr->args);
	} else {
		args = obj_new(OK_ARRAY);
		call_args(e, n, args);
	}
	if (!e->ctl)
		ev_call(e, code, args, want, out, n->line);
	obj_unref(code);
	obj_unref(args);
}

/* ---- expressions ---------------------------------------------------- */

static void
ev_concatlist(struct ev *e, struct node *n, struct val *out)
{
	struct strbuf sb = STRBUF_INIT;
	struct val v = { VT_UNDEF, { 0 } };

	for (size_t i = 0; i < n->nkids && !e->ctl; i++) {
		struct node *k = n->kids[i];
		if (k->type == N_CONST && k->v.t == VT_PV) {
			strbuf_add(&sb, k->v.u.pv->s, k->v.u.pv->len);
			continue;
		}
		ev_sv(e, k, &v);
		val_append(&v, &sb);
		val_free(&v);
	}
	ev_charge(e, sb.len, n->line);
	out->t = VT_PV;
	out->u.pv = tstr_new(sb.buf, sb.len);
	strbuf_release(&sb);
}

static void
join_list(struct list *l, const char *sep, size_t seplen, struct strbuf *sb)
{
	for (size_t i = 0; i < l->n; i++) {
		if (i)
			strbuf_add(sb, sep, seplen);
		val_append(&l->v[i], sb);
	}
}

static void
ev_range(struct ev *e, struct node *n, struct list *out)
{
	struct val a = { VT_UNDEF, { 0 } }, b = { VT_UNDEF, { 0 } };

	ev_sv(e, n->a, &a);
	ev_sv(e, n->b, &b);
	if (e->ctl)
		goto out;
	int64_t ia, ib;
	double na, nb;
	int numeric = 1;
	if (a.t == VT_PV) {
		int64_t x;
		double y;
		/* a string that does not look like a number: magic range */
		const struct tstr *s = a.u.pv;
		if (s->len && !(s->s[0] >= '0' && s->s[0] <= '9') &&
		    !(s->s[0] == '-' && s->len > 1) && magic_incr_ok(s)) {
			numeric = 0;
		}
		(void)x;
		(void)y;
	}
	if (!numeric) {
		struct val cur;
		size_t blen;
		struct strbuf tmp = STRBUF_INIT;
		val_str(&b, &blen, &tmp);
		val_copy(&cur, &a);
		for (int guard = 0; guard < 1000000; guard++) {
			list_push_copy(out, &cur);
			if (str_cmp(&cur, &b) == 0 || cur.u.pv->len > blen)
				break;
			magic_incr(&cur);
			if (cur.u.pv->len > blen)
				break;
			if (ev_charge(e, 48, n->line) < 0)
				break;
		}
		val_free(&cur);
		strbuf_release(&tmp);
		goto out;
	}
	ia = val_iv(&a);
	ib = val_iv(&b);
	(void)na;
	(void)nb;
	if (ib >= ia) {
		uint64_t cnt = (uint64_t)ib - (uint64_t)ia + 1;
		if (cnt == 0 || cnt > e->ctx->lim.max_memory / 48 ||
		    ev_charge(e, (size_t)cnt * 48, n->line) < 0) {
			ev_die(e, n->line, "memory limit exceeded");
			goto out;
		}
		for (int64_t i = ia;; i++) {
			struct val v = { VT_IV, { .iv = i } };
			list_push(out, &v);
			if (i == ib)
				break;
		}
	}
out:
	val_free(&a);
	val_free(&b);
}

static void
ev_slice(struct ev *e, struct node *n, struct list *out)
{
	struct list keys = { 0 };

	if (n->flags & 1) {
		/* (LIST)[...] */
		struct list src = { 0 };
		ev_lst(e, n->a, &src);
		ev_lst(e, n->b, &keys);
		for (size_t i = 0; i < keys.n && !e->ctl; i++) {
			int64_t k = val_iv(&keys.v[i]);
			if (k < 0)
				k += (int64_t)src.n;
			if (k >= 0 && (uint64_t)k < src.n)
				list_push_copy(out, &src.v[k]);
			else if (src.n) {
				struct val u = { VT_UNDEF, { 0 } };
				list_push(out, &u);
			}
		}
		list_release(&src);
		list_release(&keys);
		return;
	}
	ev_lst(e, n->b, &keys);
	if (e->ctl)
		goto out;
	if (n->type == N_SLICE) {
		struct obj *av = ev_av(e, n->a, 0);
		for (size_t i = 0; i < keys.n; i++) {
			struct obj *el =
				av ? arr_at(av, val_iv(&keys.v[i]), 0) : NULL;
			if (el)
				list_push_copy(out, &el->u.sv);
			else {
				struct val u = { VT_UNDEF, { 0 } };
				list_push(out, &u);
			}
		}
		obj_unref(av);
	} else {
		struct obj *hv = ev_hv(e, n->a, 0);
		struct strbuf tmp = STRBUF_INIT;
		for (size_t i = 0; i < keys.n; i++) {
			size_t len;
			const char *k = val_str(&keys.v[i], &len, &tmp);
			struct obj *el = hv ? hash_get(&hv->u.h, k, len) : NULL;
			if (el)
				list_push_copy(out, &el->u.sv);
			else {
				struct val u = { VT_UNDEF, { 0 } };
				list_push(out, &u);
			}
		}
		strbuf_release(&tmp);
		obj_unref(hv);
	}
out:
	list_release(&keys);
}

static void
ev_refgen(struct ev *e, struct node *n, struct list *out, struct val *sout)
{
	struct node *t = n->a;
	struct obj *o = NULL;
	struct val v;

	if (t->type == N_LIST && (t->flags & 1) && out) {
		for (size_t i = 0; i < t->nkids; i++) {
			struct node fake = *n;
			fake.a = t->kids[i];
			ev_refgen(e, &fake, out, NULL);
		}
		return;
	}
	if (t->type == N_MY && t->nkids == 1)
		ev_my(e, t), t = t->kids[0];
	if (is_array_node(t))
		o = ev_av(e, t, 1);
	else if (is_hash_node(t))
		o = ev_hv(e, t, 1);
	else if (is_lvalue_node(t))
		o = ev_lv(e, t);
	else if (t->type == N_CALL && (t->flags & 4)) {
		o = hash_get(&e->ctx->cv, t->s, t->slen);
		if (!o) {
			ev_die(e, n->line, "Undefined subroutine &main::%s",
			       t->s);
			return;
		}
		obj_ref(o);
	} else {
		struct val tmp = { VT_UNDEF, { 0 } };
		ev_sv(e, t, &tmp);
		o = sv_new_val(&tmp);
		val_free(&tmp);
	}
	if (!o)
		return;
	val_set_ref(&v, o);
	if (out)
		list_push(out, &v);
	else
		val_move(sout, &v);
}

/* `(LIST) x cnt` (cnt > 0): the copies appended to out, or an error
   when they would pass the memory limit. */
static void
ev_list_repeat(struct ev *e, const struct list *l, int64_t cnt, int line,
	       struct list *out)
{
	if ((uint64_t)cnt > e->ctx->lim.max_memory / (l->n * 48)) {
		ev_die(e, line, "memory limit exceeded");
		return;
	}
	if (ev_charge(e, (size_t)cnt * l->n * 48, line) < 0)
		return;
	for (int64_t k = 0; k < cnt; k++)
		for (size_t i = 0; i < l->n; i++)
			list_push_copy(out, &l->v[i]);
}

/* Evaluate in list context, appending to out. */
void
ev_lst(struct ev *e, struct node *n, struct list *out)
{
	struct val v = { VT_UNDEF, { 0 } };

	if (ev_enter(e, n->line) < 0)
		return;
	switch (n->type) {
	case N_LIST:
		for (size_t i = 0; i < n->nkids && !e->ctl; i++)
			ev_lst(e, n->kids[i], out);
		break;
	case N_MYAV:
	case N_GAV:
	case N_RV2AV:
	case N_ARGS: {
		struct obj *av = ev_av(e, n, 0);
		if (av) {
			push_array(out, av);
			obj_unref(av);
		}
		break;
	}
	case N_MYHV:
	case N_GHV:
	case N_RV2HV: {
		struct obj *hv = ev_hv(e, n, 0);
		if (hv) {
			push_hash(out, hv);
			obj_unref(hv);
		}
		break;
	}
	case N_MY:
		ev_my(e, n);
		for (size_t i = 0; i < n->nkids && !e->ctl; i++)
			ev_lst(e, n->kids[i], out);
		break;
	case N_LOCAL:
		ev_local(e, n);
		ev_lst(e, n->a, out);
		break;
	case N_SLICE:
	case N_HSLICE:
		ev_slice(e, n, out);
		break;
	case N_RANGE:
		ev_range(e, n, out);
		break;
	case N_ASSIGN:
		if (n->op == 0 && is_list_lhs(n->a)) {
			ev_list_assign(e, n, WANT_LIST, out, NULL);
			break;
		}
		goto scalar;
	case N_COND:
		if (ev_cond(e, n->a))
			ev_lst(e, n->b, out);
		else if (!e->ctl)
			ev_lst(e, n->c, out);
		break;
	case N_CALL:
	case N_CALLREF:
		ev_call_node(e, n, WANT_LIST, out);
		break;
	case N_METHOD:
		ev_method(e, n, WANT_LIST, out);
		break;
	case N_FUNC:
		ev_func(e, n, WANT_LIST, out, NULL);
		break;
	case N_MATCH:
		ev_match(e, n, WANT_LIST, out, NULL);
		break;
	case N_REFGEN:
		ev_refgen(e, n, out, NULL);
		break;
	case N_BINOP:
		if (n->op == OP1('x') && n->a->type == N_LIST &&
		    (n->a->flags & 1)) {
			struct list l = { 0 };
			ev_lst(e, n->a, &l);
			ev_sv(e, n->b, &v);
			int64_t cnt = val_iv(&v);
			val_free(&v);
			if (cnt > 0 && l.n)
				ev_list_repeat(e, &l, cnt, n->line, out);
			list_release(&l);
			break;
		}
		goto scalar;
	case N_AND:
	case N_OR:
	case N_DOR: {
		ev_sv(e, n->a, &v);
		if (e->ctl)
			break;
		int t = n->type == N_DOR ? v.t != VT_UNDEF : val_true(&v);
		if (t == (n->type == N_AND)) {
			val_free(&v);
			ev_lst(e, n->b, out);
		} else {
			list_push(out, &v);
		}
		break;
	}
	default:
	scalar:
		ev_sv(e, n, &v);
		if (!e->ctl)
			list_push(out, &v);
		else
			val_free(&v);
		break;
	}
	e->depth--;
}

static void
last_of_list(struct ev *e, struct node *n, struct val *out)
{
	/* comma operator in scalar context: evaluate all, keep the last */
	for (size_t i = 0; i < n->nkids && !e->ctl; i++) {
		val_free(out);
		ev_sv(e, n->kids[i], out);
	}
}

/* Evaluate in scalar context into *out (which must be undef/empty). */
void
ev_sv(struct ev *e, struct node *n, struct val *out)
{
	struct val a = { VT_UNDEF, { 0 } }, b = { VT_UNDEF, { 0 } };

	if (ev_enter(e, n->line) < 0)
		return;
	switch (n->type) {
	case N_CONST:
		val_copy(out, &n->v);
		break;
	case N_CONCATLIST:
		ev_concatlist(e, n, out);
		break;
	case N_JOINARR: {
		struct list l = { 0 };
		struct strbuf sb = STRBUF_INIT;
		ev_lst(e, n->a, &l);
		struct obj *sep = hash_get(&e->ctx->sv, "\"", 1);
		if (sep && sep->u.sv.t != VT_UNDEF) {
			struct strbuf t = STRBUF_INIT;
			size_t sl;
			const char *s = val_str(&sep->u.sv, &sl, &t);
			join_list(&l, s, sl, &sb);
			strbuf_release(&t);
		} else {
			join_list(&l, " ", 1, &sb);
		}
		out->t = VT_PV;
		out->u.pv = tstr_new(sb.buf, sb.len);
		strbuf_release(&sb);
		list_release(&l);
		break;
	}
	case N_MYSV:
		val_copy(out, &slot_get(e, n->slot, OK_SCALAR)->u.sv);
		break;
	case N_GSV:
		val_copy(out, &n->glob->u.sv);
		break;
	case N_OUT:
		val_copy(out, &e->out->u.sv);
		break;
	case N_CAPTURE:
		ev_capture(e, (int)n->v.u.iv, out);
		break;
	case N_MYAV:
	case N_GAV:
	case N_RV2AV:
	case N_ARGS: {
		struct obj *av = ev_av(e, n, 0);
		val_set_iv(out, av ? (int64_t)av->u.a.n : 0);
		obj_unref(av);
		break;
	}
	case N_MYHV:
	case N_GHV:
	case N_RV2HV: {
		struct obj *hv = ev_hv(e, n, 0);
		val_set_iv(out, hv ? (int64_t)hv->u.h.live : 0);
		obj_unref(hv);
		break;
	}
	case N_ELEM: {
		struct obj *av = ev_av(e, n->a, vivify_rvalue(n->a));
		ev_sv(e, n->b, &a);
		if (av && !e->ctl) {
			struct obj *el = arr_at(av, val_iv(&a), 0);
			if (el)
				val_copy(out, &el->u.sv);
		}
		obj_unref(av);
		break;
	}
	case N_HELEM: {
		struct obj *hv = ev_hv(e, n->a, vivify_rvalue(n->a));
		if (!hv)
			break;
		struct tstr *k = ev_key(e, n->b);
		if (!e->ctl) {
			struct obj *el = hash_get(&hv->u.h, k->s, k->len);
			if (el)
				val_copy(out, &el->u.sv);
		}
		tstr_unref(k);
		obj_unref(hv);
		break;
	}
	case N_RV2SV: {
		ev_sv(e, n->a, &a);
		if (e->ctl)
			break;
		struct obj *o = deref(e, &a, OK_SCALAR, n->line, n->flags);
		if (o) {
			val_copy(out, &o->u.sv);
			obj_unref(o);
		}
		break;
	}
	case N_LASTIDX: {
		struct obj *av = ev_av(e, n->a, 0);
		val_set_iv(out, av ? (int64_t)av->u.a.n - 1 : -1);
		obj_unref(av);
		break;
	}
	case N_MY:
		ev_my(e, n);
		if (n->nkids)
			ev_sv(e, n->kids[n->nkids - 1], out);
		break;
	case N_LOCAL:
		ev_local(e, n);
		ev_sv(e, n->a, out);
		break;
	case N_ASSIGN:
		if (n->op == 0 && is_list_lhs(n->a))
			ev_list_assign(e, n, WANT_SCALAR, NULL, out);
		else
			assign_scalar(e, n, out);
		break;
	case N_LIST:
		if (n->nkids == 0)
			break;
		last_of_list(e, n, out);
		break;
	case N_BINOP:
		ev_sv(e, n->a, &a);
		if (!e->ctl)
			ev_sv(e, n->b, &b);
		if (!e->ctl)
			ev_binop(e, n->op, &a, &b, out, n->line);
		break;
	case N_NEG: {
		ev_sv(e, n->a, &a);
		if (e->ctl)
			break;
		if (a.t == VT_PV && a.u.pv->len &&
		    ((a.u.pv->s[0] >= 'a' && a.u.pv->s[0] <= 'z') ||
		     (a.u.pv->s[0] >= 'A' && a.u.pv->s[0] <= 'Z') ||
		     a.u.pv->s[0] == '_')) {
			struct strbuf sb = STRBUF_INIT;
			strbuf_addch(&sb, '-');
			strbuf_add(&sb, a.u.pv->s, a.u.pv->len);
			val_set_str(out, sb.buf, sb.len);
			strbuf_release(&sb);
			break;
		}
		if (a.t == VT_PV && a.u.pv->len && a.u.pv->s[0] == '-' &&
		    a.u.pv->len > 1 &&
		    !(a.u.pv->s[1] >= '0' && a.u.pv->s[1] <= '9')) {
			val_set_str(out, a.u.pv->s + 1, a.u.pv->len - 1);
			break;
		}
		int64_t iv;
		double nv;
		int k = val_num3(&a, &iv, &nv);
		if (k == 2) {
			if ((uint64_t)iv == (uint64_t)INT64_MAX + 1)
				val_set_iv(out, INT64_MIN);
			else
				val_set_nv(out, -(double)(uint64_t)iv);
		} else if (k) {
			if (iv == INT64_MIN)
				val_set_nv(out, -(double)iv);
			else
				val_set_iv(out, -iv);
		} else {
			val_set_nv(out, -nv);
		}
		break;
	}
	case N_NOT:
		ev_sv(e, n->a, &a);
		set_bool(out, !val_true(&a));
		break;
	case N_BITNOT:
		ev_sv(e, n->a, &a);
		set_uv(out, ~val_uv(&a));
		break;
	case N_AND:
	case N_OR:
	case N_DOR: {
		ev_sv(e, n->a, &a);
		if (e->ctl)
			break;
		int t = n->type == N_DOR ? a.t != VT_UNDEF : val_true(&a);
		if (t == (n->type == N_AND))
			ev_sv(e, n->b, out);
		else
			val_move(out, &a);
		break;
	}
	case N_COND:
		if (ev_cond(e, n->a))
			ev_sv(e, n->b, out);
		else if (!e->ctl)
			ev_sv(e, n->c, out);
		break;
	case N_PREINC:
	case N_PREDEC:
	case N_POSTINC:
	case N_POSTDEC:
		ev_incdec(e, n, out);
		break;
	case N_SLICE:
	case N_HSLICE: {
		struct list l = { 0 };
		ev_slice(e, n, &l);
		if (l.n)
			val_move(out, &l.v[l.n - 1]);
		list_release(&l);
		break;
	}
	case N_RANGE: {
		struct list l = { 0 };
		ev_range(e, n, &l);
		if (l.n)
			val_move(out, &l.v[l.n - 1]);
		list_release(&l);
		break;
	}
	case N_REFGEN:
		ev_refgen(e, n, NULL, out);
		break;
	case N_ANONARRAY: {
		struct obj *av = obj_new(OK_ARRAY);
		if (n->a) {
			struct list l = { 0 };
			ev_lst(e, n->a, &l);
			array_assign(e, av, &l, 0);
			list_release(&l);
		}
		val_set_ref(out, av);
		break;
	}
	case N_ANONHASH: {
		struct obj *hv = obj_new(OK_HASH);
		if (n->a) {
			struct list l = { 0 };
			ev_lst(e, n->a, &l);
			hash_assign(e, hv, &l, 0);
			list_release(&l);
		}
		val_set_ref(out, hv);
		break;
	}
	case N_ANONSUB:
		val_set_ref(out, make_code(e, e->prog, n));
		break;
	case N_CALL:
	case N_CALLREF:
	case N_METHOD:
	case N_FUNC: {
		struct list l = { 0 };
		if (n->type == N_FUNC) {
			ev_func(e, n, WANT_SCALAR, &l, out);
		} else {
			if (n->type == N_METHOD)
				ev_method(e, n, WANT_SCALAR, &l);
			else
				ev_call_node(e, n, WANT_SCALAR, &l);
			if (l.n && !e->ctl)
				val_move(out, &l.v[l.n - 1]);
		}
		list_release(&l);
		break;
	}
	case N_MATCH:
		ev_match(e, n, WANT_SCALAR, NULL, out);
		break;
	case N_SUBST:
		ev_subst(e, n, out);
		break;
	case N_TRANS:
		ev_trans(e, n, out);
		break;
	case N_IF:
	case N_WHILE:
	case N_FORC:
	case N_FOREACH:
	case N_BLOCK:
	case N_NEXT:
	case N_LAST:
	case N_RETURN:
	case N_NOP:
	case N_SUBDEF: {
		struct list l = { 0 };
		ev_stmt(e, n, WANT_SCALAR, &l);
		if (l.n)
			val_move(out, &l.v[l.n - 1]);
		list_release(&l);
		break;
	}
	default:
		ev_die(e, n->line, "internal error: node %d", n->type);
		break;
	}
	val_free(&a);
	val_free(&b);
	if (e->ctl)
		val_free(out); /* nothing half-made survives a die */
	e->depth--;
}

/* ---- running -------------------------------------------------------- */

int
tmpl_run(struct tmpl_ctx *ctx, struct prog *p, struct val *res,
	 struct strbuf *err)
{
	struct ev e;
	struct frame fr = { 0 };
	struct list val = { 0 };
	int rc = 0;

	memset(&e, 0, sizeof(e));
	e.ctx = ctx;
	e.prog = p;
	strbuf_init(&e.die, 0);
	if (p->nslots)
		fr.slots = xcalloc((size_t)p->nslots, sizeof(*fr.slots));
	fr.nslots = p->nslots;
	fr.want = WANT_SCALAR;
	e.fr = &fr;
	e.out = obj_new(OK_SCALAR);
	ev_install_subs(&e, p, p->body);
	ev_stmts(&e, p->body, WANT_SCALAR, &val);
	if (e.ctl == CTL_RETURN) {
		e.ctl = 0;
		list_clear(&val);
		for (size_t i = 0; i < e.ret.n; i++)
			list_push(&val, &e.ret.v[i]);
		e.ret.n = 0;
	}
	if (e.ctl == CTL_DIE) {
		strbuf_chomp(&e.die);
		strbuf_addf(err, "%s:%d: %s\n", p->where, e.die_line,
			    e.die.buf);
		/* drop the trailing newline of die "...\n" */
		rc = -1;
	} else if (e.out->u.sv.t != VT_UNDEF) {
		val_copy(res, &e.out->u.sv);
	} else if (val.n) {
		val_copy(res, &val.v[val.n - 1]);
	}
	ev_unwind_locals(&e, 0);
	list_release(&val);
	list_release(&e.ret);
	for (int i = 0; i < fr.nslots; i++)
		obj_unref(fr.slots[i]);
	free(fr.slots);
	obj_unref(fr.args);
	obj_unref(e.out);
	free(e.locals);
	strbuf_release(&e.die);
	return rc;
}
