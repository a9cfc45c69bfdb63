/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Values of the fragment language: reference-counted strings and
 * containers, Perl's scalar conversions and number formatting, arrays and
 * insertion-ordered hashes.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "tmpl-int.h"
#include "util.h"
#include "banned.h"

/*
 * Blocks of the commonest sizes (scalars and containers, short strings,
 * short lists) are kept for reuse when freed instead of going back to
 * malloc: expansion makes and drops them by the hundred thousand. Not
 * under AddressSanitizer, so that it still sees every use after free.
 */
#if defined(__has_feature)
#if __has_feature(address_sanitizer) /* clang */
#define TMPL_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(TMPL_ASAN)
#define POOL_MAX 0
#else
#define POOL_MAX 512
#endif
#define TSTR_SMALL 32 /* capacity of a short string */
#define LIST_SMALL 8  /* the first capacity of a list (xgrow) */

struct pool {
	void *blk[POOL_MAX + 1];
	size_t n;
};

static struct pool obj_pool, tstr_pool, list_pool;

static void *
pool_get(struct pool *p)
{
	return p->n ? p->blk[--p->n] : NULL;
}

static void
pool_put(struct pool *p, void *blk)
{
#if POOL_MAX > 0
	if (p->n < POOL_MAX) {
		p->blk[p->n++] = blk;
		return;
	}
#endif
	free(blk);
}

struct tstr *
tstr_newz(size_t cap)
{
	struct tstr *s;

	if (cap <= TSTR_SMALL) {
		cap = TSTR_SMALL;
		s = pool_get(&tstr_pool);
		if (!s)
			s = xmalloc(sizeof(*s) + TSTR_SMALL + 1);
	} else {
		s = xmalloc(sizeof(*s) + cap + 1);
	}

	s->refcnt = 1;
	s->len = 0;
	s->cap = cap;
	s->s[0] = '\0';
	return s;
}

struct tstr *
tstr_new(const char *str, size_t len)
{
	struct tstr *s = tstr_newz(len);

	if (len)
		memcpy(s->s, str, len);
	s->s[len] = '\0';
	s->len = len;
	return s;
}

void
tstr_unref(struct tstr *s)
{
	if (!s || --s->refcnt)
		return;
	/* a string of TSTR_SMALL was made so; one grown has a larger cap */
	if (s->cap == TSTR_SMALL)
		pool_put(&tstr_pool, s);
	else
		free(s);
}

struct obj *
obj_new(enum okind kind)
{
	struct obj *o = pool_get(&obj_pool);

	if (o)
		memset(o, 0, sizeof(*o));
	else
		o = xcalloc(1, sizeof(*o));
	o->refcnt = 1;
	o->kind = kind;
	return o;
}

void prog_unref(struct prog *p);

static void
obj_release(struct obj *o)
{
	switch (o->kind) {
	case OK_SCALAR:
		val_free(&o->u.sv);
		break;
	case OK_ARRAY:
		arr_clear(&o->u.a);
		free(o->u.a.v);
		break;
	case OK_HASH:
		hash_clear(&o->u.h);
		free(o->u.h.e);
		free(o->u.h.idx);
		break;
	case OK_CODE:
		if (o->u.c.prog)
			prog_unref(o->u.c.prog);
		free(o->u.c.name);
		for (int i = 0; i < o->u.c.ncap; i++)
			obj_unref(o->u.c.cap[i]);
		free(o->u.c.cap);
		free(o->u.c.capslot);
		break;
	case OK_DB:
		if (o->u.d.owned)
			db_free(o->u.d.db);
		free(o->u.d.name);
		free(o->u.d.classname);
		break;
	case OK_REC:
		obj_unref(o->u.r.db);
		free(o->u.r.key);
		break;
	}
}

/*
 * Releasing a container releases what it holds: done with an explicit
 * stack rather than recursion, so that a deeply nested structure
 * (`$x = [$x] for 1..1e6`) cannot exhaust the C stack.
 */
static struct obj **pending;
static size_t npending, apending;
static int releasing;

void
obj_unref(struct obj *o)
{
	if (!o || --o->refcnt)
		return;
	if (releasing) {
		if (npending == apending)
			pending = xgrow(pending, &apending, npending + 1,
					sizeof(*pending));
		pending[npending++] = o;
		return;
	}
	releasing = 1;
	obj_release(o);
	pool_put(&obj_pool, o);
	while (npending) {
		o = pending[--npending];
		obj_release(o);
		pool_put(&obj_pool, o);
	}
	releasing = 0;
}

void
val_free(struct val *v)
{
	if (v->t == VT_PV)
		tstr_unref(v->u.pv);
	else if (v->t == VT_REF)
		obj_unref(v->u.ref);
	v->t = VT_UNDEF;
}

void
val_copy(struct val *dst, const struct val *src)
{
	*dst = *src;
	if (src->t == VT_PV)
		src->u.pv->refcnt++;
	else if (src->t == VT_REF)
		src->u.ref->refcnt++;
}

void
val_move(struct val *dst, struct val *src)
{
	*dst = *src;
	src->t = VT_UNDEF;
}

void
val_set_iv(struct val *v, int64_t iv)
{
	v->t = VT_IV;
	v->u.iv = iv;
}

void
val_set_nv(struct val *v, double nv)
{
	v->t = VT_NV;
	v->u.nv = nv;
}

void
val_set_str(struct val *v, const char *s, size_t len)
{
	v->t = VT_PV;
	v->u.pv = tstr_new(s, len);
}

void
val_set_undef(struct val *v)
{
	v->t = VT_UNDEF;
}

void
val_set_ref(struct val *v, struct obj *o)
{
	v->t = VT_REF;
	v->u.ref = o;
}

struct obj *
sv_new_val(const struct val *v)
{
	struct obj *o = obj_new(OK_SCALAR);

	if (v)
		val_copy(&o->u.sv, v);
	return o;
}

/* Perl's truth: "", "0", 0 and undef are false. */
int
val_true(const struct val *v)
{
	switch (v->t) {
	case VT_UNDEF:
		return 0;
	case VT_IV:
	case VT_UV:
		return v->u.iv != 0;
	case VT_NV:
		return v->u.nv != 0.0;
	case VT_PV:
		return !(v->u.pv->len == 0 ||
			 (v->u.pv->len == 1 && v->u.pv->s[0] == '0'));
	default:
		return 1;
	}
}

static int
is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	       c == '\v';
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
match_word(const char *p, const char *end, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(end - p) < n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((p[i] | 0x20) != w[i])
			return 0;
	return 1;
}

/*
 * Numify a string like Perl: leading white space, sign, digits, fraction,
 * exponent; trailing garbage ignored; "Inf"/"NaN" recognised. Returns 1
 * with *iv for an integer that fits, else 0 with *nv.
 */
int
str_num(const char *s, size_t len, int64_t *iv, double *nv)
{
	const char *p = s, *end = s + len, *start;
	int neg = 0;
	char buf[128];

	while (p < end && is_space((unsigned char)*p))
		p++;
	start = p;
	if (p < end && (*p == '+' || *p == '-')) {
		neg = *p == '-';
		p++;
	}
	if (p < end && !is_digit((unsigned char)*p) && *p != '.') {
		if (match_word(p, end, "inf")) {
			*nv = neg ? -INFINITY : INFINITY;
			return 0;
		}
		if (match_word(p, end, "nan")) {
			*nv = NAN;
			return 0;
		}
	}
	const char *d = p;
	uint64_t acc = 0;
	int overflow = 0;
	while (p < end && is_digit((unsigned char)*p)) {
		unsigned dig = (unsigned)(*p - '0');
		if (acc > (UINT64_MAX - dig) / 10)
			overflow = 1;
		else
			acc = acc * 10 + dig;
		p++;
	}
	int ndig = (int)(p - d);
	int isint = 1;
	if (p < end && *p == '.') {
		const char *f = p + 1;
		while (f < end && is_digit((unsigned char)*f))
			f++;
		if (f - p > 1 || ndig)
			isint = 0;
		if (f - p > 1 || ndig)
			p = f;
	}
	if (ndig == 0 && isint) {
		*iv = 0;
		return 1;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		const char *q = p + 1;
		if (q < end && (*q == '+' || *q == '-'))
			q++;
		if (q < end && is_digit((unsigned char)*q)) {
			isint = 0;
			while (q < end && is_digit((unsigned char)*q))
				q++;
			p = q;
		}
	}
	if (isint && !overflow) {
		if (!neg && acc <= (uint64_t)INT64_MAX) {
			*iv = (int64_t)acc;
			return 1;
		}
		if (!neg) {
			*iv = (int64_t)acc;
			return 2;
		}
		if (neg && acc <= (uint64_t)INT64_MAX + 1) {
			*iv = (int64_t)(0 - acc);
			return 1;
		}
	}
	size_t n = (size_t)(p - start);
	if (n >= sizeof(buf)) {
		char *tmp = xstrndup(start, n);
		*nv = strtod(tmp, NULL);
		free(tmp);
		return 0;
	}
	memcpy(buf, start, n);
	buf[n] = '\0';
	*nv = strtod(buf, NULL);
	return 0;
}

int
val_num(const struct val *v, int64_t *iv, double *nv)
{
	int r = val_num3(v, iv, nv);

	if (r == 2) {
		*nv = (double)(uint64_t)*iv;
		return 0;
	}
	return r;
}

int
val_num3(const struct val *v, int64_t *iv, double *nv)
{
	switch (v->t) {
	case VT_UV:
		*iv = v->u.iv;
		return 2;
	case VT_UNDEF:
		*iv = 0;
		return 1;
	case VT_IV:
		*iv = v->u.iv;
		return 1;
	case VT_NV:
		*nv = v->u.nv;
		return 0;
	case VT_PV:
		return str_num(v->u.pv->s, v->u.pv->len, iv, nv);
	default:
		*iv = (int64_t)(uintptr_t)v->u.ref;
		return 1;
	}
}

double
val_nv(const struct val *v)
{
	int64_t iv;
	double nv;

	if (val_num(v, &iv, &nv))
		return (double)iv;
	return nv;
}

int64_t
val_iv(const struct val *v)
{
	int64_t iv;
	double nv;

	if (val_num(v, &iv, &nv))
		return iv;
	if (isnan(nv))
		return 0;
	if (nv >= 9223372036854775807.0)
		return INT64_MAX;
	if (nv <= -9223372036854775808.0)
		return INT64_MIN;
	return (int64_t)nv;
}

/* Decimal integer, without printf's overhead (the hot path of output). */
static void
fmt_iv(int64_t iv, struct strbuf *out)
{
	char buf[24];
	char *p = buf + sizeof(buf);
	uint64_t u = iv < 0 ? 0 - (uint64_t)iv : (uint64_t)iv;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (iv < 0)
		*--p = '-';
	strbuf_add(out, p, (size_t)(buf + sizeof(buf) - p));
}

/* Perl prints an NV with "%.15g". */
void
fmt_nv(double nv, struct strbuf *out)
{
	if (isnan(nv)) {
		strbuf_addstr(out, "NaN");
		return;
	}
	if (isinf(nv)) {
		strbuf_addstr(out, nv < 0 ? "-Inf" : "Inf");
		return;
	}
	if (nv == 0.0) {
		strbuf_addch(out, '0');
		return;
	}
	strbuf_addf(out, "%.15g", nv);
}

const char *
ref_typename(const struct obj *o)
{
	switch (o->kind) {
	case OK_SCALAR:
		return o->u.sv.t == VT_REF ? "REF" : "SCALAR";
	case OK_ARRAY:
		return "ARRAY";
	case OK_HASH:
		return "HASH";
	case OK_CODE:
		return "CODE";
	case OK_DB:
		return o->u.d.classname;
	case OK_REC:
		return "esmith::DB::db::Record";
	}
	return "SCALAR";
}

void
val_append(const struct val *v, struct strbuf *out)
{
	switch (v->t) {
	case VT_UNDEF:
		break;
	case VT_IV:
		fmt_iv(v->u.iv, out);
		break;
	case VT_UV:
		strbuf_addf(out, "%llu", (unsigned long long)v->u.iv);
		break;
	case VT_NV:
		fmt_nv(v->u.nv, out);
		break;
	case VT_PV:
		strbuf_add(out, v->u.pv->s, v->u.pv->len);
		break;
	case VT_REF: {
		const struct obj *o = v->u.ref;
		const char *name = ref_typename(o);
		if (o->kind == OK_DB || o->kind == OK_REC)
			strbuf_addf(out, "%s=HASH(%p)", name, (const void *)o);
		else
			strbuf_addf(out, "%s(%p)", name, (const void *)o);
		break;
	}
	}
}

const char *
val_str(const struct val *v, size_t *len, struct strbuf *tmp)
{
	if (v->t == VT_PV) {
		*len = v->u.pv->len;
		return v->u.pv->s;
	}
	if (v->t == VT_UNDEF) {
		*len = 0;
		return "";
	}
	strbuf_reset(tmp);
	val_append(v, tmp);
	*len = tmp->len;
	return tmp->buf;
}

void
val_to_pv(struct val *v)
{
	struct strbuf sb = STRBUF_INIT;

	if (v->t == VT_PV)
		return;
	val_append(v, &sb);
	val_free(v);
	v->t = VT_PV;
	v->u.pv = tstr_new(sb.buf, sb.len);
	strbuf_release(&sb);
}

/* ---- lists ---------------------------------------------------------- */

/* Room for one more value; a new list takes a kept block of LIST_SMALL. */
static void
list_room(struct list *l)
{
	if (l->n < l->cap)
		return;
	if (!l->cap && (l->v = pool_get(&list_pool)) != NULL) {
		l->cap = LIST_SMALL;
		return;
	}
	l->v = xgrow(l->v, &l->cap, l->n + 1, sizeof(*l->v));
}

void
list_push(struct list *l, struct val *v)
{
	list_room(l);
	val_move(&l->v[l->n++], v);
}

void
list_push_copy(struct list *l, const struct val *v)
{
	list_room(l);
	val_copy(&l->v[l->n++], v);
}

void
list_clear(struct list *l)
{
	for (size_t i = 0; i < l->n; i++)
		val_free(&l->v[i]);
	l->n = 0;
}

void
list_release(struct list *l)
{
	list_clear(l);
	/* a block of LIST_SMALL values (xgrow's first size, or the pool's) */
	if (l->cap == LIST_SMALL)
		pool_put(&list_pool, l->v);
	else
		free(l->v);
	l->v = NULL;
	l->cap = 0;
}

/* ---- arrays --------------------------------------------------------- */

void
arr_push(struct arr *a, struct obj *sv)
{
	if (a->n == a->cap)
		a->v = xgrow(a->v, &a->cap, a->n + 1, sizeof(*a->v));
	a->v[a->n++] = sv;
}

void
arr_clear(struct arr *a)
{
	size_t n = a->n;

	a->n = 0;
	for (size_t i = 0; i < n; i++)
		obj_unref(a->v[i]);
}

/* Element i (negative counts from the end); NULL when absent and !create. */
struct obj *
arr_at(struct obj *av, int64_t i, int create)
{
	struct arr *a = &av->u.a;

	if (i < 0)
		i += (int64_t)a->n;
	if (i < 0)
		return NULL;
	if ((uint64_t)i >= a->n) {
		if (!create)
			return NULL;
		if ((uint64_t)i > ((size_t)1 << 28))
			return NULL;
		while (a->n <= (uint64_t)i)
			arr_push(a, obj_new(OK_SCALAR));
	}
	if (!a->v[i] && create)
		a->v[i] = obj_new(OK_SCALAR);
	return a->v[i];
}

/* ---- hashes --------------------------------------------------------- */

uint32_t
hash_bytes(const char *s, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	return h;
}

static void
hash_reindex(struct hash *h, size_t want)
{
	size_t cap = 16;

	while (cap < want * 2)
		cap *= 2;
	free(h->idx);
	h->idx = xmalloc(cap * sizeof(*h->idx));
	for (size_t i = 0; i < cap; i++)
		h->idx[i] = -1;
	h->idxcap = cap;
	for (size_t i = 0; i < h->n; i++) {
		if (!h->e[i].k)
			continue;
		size_t j = h->e[i].hash & (cap - 1);
		while (h->idx[j] >= 0)
			j = (j + 1) & (cap - 1);
		h->idx[j] = (int32_t)i;
	}
}

static long
hash_find(const struct hash *h, const char *k, size_t len, uint32_t hv)
{
	if (!h->idx)
		return -1;
	size_t j = hv & (h->idxcap - 1);
	while (h->idx[j] >= 0) {
		const struct hent *e = &h->e[h->idx[j]];
		if (e->k && e->hash == hv && e->k->len == len &&
		    memcmp(e->k->s, k, len) == 0)
			return h->idx[j];
		j = (j + 1) & (h->idxcap - 1);
	}
	return -1;
}

struct obj *
hash_get(struct hash *h, const char *k, size_t len)
{
	long i = hash_find(h, k, len, hash_bytes(k, len));

	return i < 0 ? NULL : h->e[i].v;
}

static void
hash_compact(struct hash *h)
{
	size_t j = 0;

	for (size_t i = 0; i < h->n; i++)
		if (h->e[i].k)
			h->e[j++] = h->e[i];
	h->n = j;
}

void
hash_store(struct hash *h, const char *k, size_t len, struct obj *v)
{
	uint32_t hv = hash_bytes(k, len);
	long i = hash_find(h, k, len, hv);

	if (i >= 0) {
		obj_unref(h->e[i].v);
		h->e[i].v = v;
		return;
	}
	if (h->n == h->cap) {
		if (h->live < h->n / 2 + 1 && h->n > 8)
			hash_compact(h);
		else
			h->e = xgrow(h->e, &h->cap, h->n + 1, sizeof(*h->e));
		hash_reindex(h, h->cap);
	}
	if (!h->idx || (h->n + 1) * 2 > h->idxcap)
		hash_reindex(h, h->n + 1);
	h->e[h->n].k = tstr_new(k, len);
	h->e[h->n].v = v;
	h->e[h->n].hash = hv;
	size_t j = hv & (h->idxcap - 1);
	while (h->idx[j] >= 0)
		j = (j + 1) & (h->idxcap - 1);
	h->idx[j] = (int32_t)h->n;
	h->n++;
	h->live++;
}

struct obj *
hash_fetch(struct hash *h, const char *k, size_t len, enum okind kind)
{
	struct obj *o = hash_get(h, k, len);

	if (o)
		return o;
	o = obj_new(kind);
	hash_store(h, k, len, o);
	return o;
}

struct obj *
hash_delete(struct hash *h, const char *k, size_t len)
{
	long i = hash_find(h, k, len, hash_bytes(k, len));
	struct obj *v;

	if (i < 0)
		return NULL;
	v = h->e[i].v;
	tstr_unref(h->e[i].k);
	h->e[i].k = NULL;
	h->e[i].v = NULL;
	h->live--;
	hash_reindex(h, h->n);
	return v;
}

void
hash_clear(struct hash *h)
{
	size_t n = h->n;
	struct hent *e = h->e;

	h->e = NULL;
	h->n = h->cap = h->live = 0;
	h->iter = 0;
	free(h->idx);
	h->idx = NULL;
	h->idxcap = 0;
	for (size_t i = 0; i < n; i++) {
		if (!e[i].k)
			continue;
		tstr_unref(e[i].k);
		obj_unref(e[i].v);
	}
	free(e);
}
