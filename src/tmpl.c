/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The fragment language's public side: contexts (one package per
 * expansion), variable installation (ESMITH.md §3) and Text::Template's
 * splitting of a fragment into text and `{ code }` blocks.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "tmpl-int.h"
#include "util.h"
#include "banned.h"

struct tmpl_ctx *
tmpl_ctx_new(void)
{
	struct tmpl_ctx *ctx = xcalloc(1, sizeof(*ctx));

	ctx->lim.max_depth = 500;
	ctx->lim.max_output = 64u << 20;
	ctx->lim.max_steps = 50000000;
	ctx->lim.max_memory = 512u << 20;
	return ctx;
}

void
tmpl_ctx_free(struct tmpl_ctx *ctx)
{
	if (!ctx)
		return;
	/* the programs run here let go of this package */
	for (size_t i = 0; i < ctx->ncached; i++) {
		if (ctx->cached[i]->bound == ctx)
			prog_unbind(ctx->cached[i]);
		prog_unref(ctx->cached[i]);
	}
	free(ctx->cached);
	/* code objects hold programs whose nodes hold package variables:
	   clear the package first, then drop the rest */
	hash_clear(&ctx->cv);
	hash_clear(&ctx->sv);
	hash_clear(&ctx->av);
	hash_clear(&ctx->hv);
	hash_clear(&ctx->reinst);
	free(ctx->cv.e);
	free(ctx->sv.e);
	free(ctx->av.e);
	free(ctx->hv.e);
	for (size_t i = 0; i < ctx->ndbs; i++)
		obj_unref(ctx->dbs[i]);
	free(ctx->dbs);
	obj_unref(ctx->confdb);
	tstr_unref(ctx->match_subject);
	free(ctx->match_ovec);
	free(ctx);
}

void
tmpl_ctx_set_limits(struct tmpl_ctx *ctx, const struct tmpl_limits *l)
{
	struct tmpl_limits d = ctx->lim;

	ctx->lim = *l;
	if (!ctx->lim.max_depth)
		ctx->lim.max_depth = d.max_depth;
	if (!ctx->lim.max_output)
		ctx->lim.max_output = d.max_output;
	if (!ctx->lim.max_steps)
		ctx->lim.max_steps = d.max_steps;
	if (!ctx->lim.max_memory)
		ctx->lim.max_memory = d.max_memory;
}

/* Set a package scalar from the outside, and remember it for later
   fragments. */
static void
apply_sv(struct tmpl_ctx *ctx, const char *name, size_t nlen,
	 const struct val *v)
{
	struct obj *o = hash_fetch(&ctx->sv, name, nlen, OK_SCALAR);

	val_free(&o->u.sv);
	val_copy(&o->u.sv, v);
	if (v->t == VT_UNDEF) {
		/* the whole name goes: also keeps a record from coming back */
		arr_clear(&hash_fetch(&ctx->av, name, nlen, OK_ARRAY)->u.a);
		hash_clear(&hash_fetch(&ctx->hv, name, nlen, OK_HASH)->u.h);
	}
}

static void
install_sv(struct tmpl_ctx *ctx, const char *name, size_t nlen,
	   const struct val *v)
{
	apply_sv(ctx, name, nlen, v);
	hash_store(&ctx->reinst, name, nlen, sv_new_val(v));
}

static void
set_sv(struct tmpl_ctx *ctx, const char *name, const char *s, size_t len)
{
	struct val v;

	val_set_str(&v, s, len);
	install_sv(ctx, name, strlen(name), &v);
	val_free(&v);
}

/* Before each fragment: the installed scalars get their values again. */
static void
reinstall(struct tmpl_ctx *ctx)
{
	struct hash *h = &ctx->reinst;

	for (size_t i = 0; i < h->n; i++)
		if (h->e[i].k)
			apply_sv(ctx, h->e[i].k->s, h->e[i].k->len,
				 &h->e[i].v->u.sv);
}

/* The hash %key of a record: its properties and its type. */
static void
install_record_hash(struct tmpl_ctx *ctx, struct db_record *rec,
		    const char *key, size_t klen)
{
	struct obj *hv = hash_fetch(&ctx->hv, key, klen, OK_HASH);
	const char *type = db_record_type(rec);
	struct obj *sv = obj_new(OK_SCALAR);

	hash_clear(&hv->u.h);
	val_set_str(&sv->u.sv, type, strlen(type));
	hash_store(&hv->u.h, "type", 4, sv);
	for (size_t p = 0; p < db_record_nprops(rec); p++) {
		const char *n = db_record_prop_name(rec, p);
		const char *v = db_record_prop_value(rec, p);
		sv = obj_new(OK_SCALAR);
		val_set_str(&sv->u.sv, v, strlen(v));
		hash_store(&hv->u.h, n, strlen(n), sv);
	}
}

/* $confref: a reference to a hash of every record's raw value. */
static void
install_confref(struct tmpl_ctx *ctx)
{
	struct db *db = ctx->lazydb;
	struct strbuf raw = STRBUF_INIT;
	struct obj *conf = obj_new(OK_HASH);
	struct val v;

	for (size_t i = 0; i < db_count(db); i++) {
		struct db_record *rec = db_record_at(db, i);
		const char *key = db_record_key(rec);
		struct obj *sv = obj_new(OK_SCALAR);
		strbuf_reset(&raw);
		db_record_raw(rec, &raw);
		val_set_str(&sv->u.sv, raw.buf, raw.len);
		hash_store(&conf->u.h, key, strlen(key), sv);
	}
	strbuf_release(&raw);
	val_set_ref(&v, conf);
	apply_sv(ctx, "confref", 7, &v);
	val_free(&v);
}

void
tmpl_lazy_global(struct tmpl_ctx *ctx, char sigil, const char *name, size_t len)
{
	struct db_record *rec;
	char *key;

	if (!ctx->lazydb || sigil == '@' || !len || memchr(name, 0, len))
		return;
	if (sigil == '$' && len == 7 && memcmp(name, "confref", 7) == 0) {
		install_confref(ctx);
		return;
	}
	key = xstrndup(name, len);
	rec = db_get(ctx->lazydb, key);
	if (rec && sigil == '$') {
		struct strbuf raw = STRBUF_INIT;
		db_record_raw(rec, &raw);
		set_sv(ctx, key, raw.buf, raw.len);
		strbuf_release(&raw);
	} else if (rec && sigil == '%' && !ctx->lazy_scalars_only &&
		   db_record_nprops(rec) > 0) {
		install_record_hash(ctx, rec, key, len);
	}
	free(key);
}

void
tmpl_ctx_install_config(struct tmpl_ctx *ctx, struct db *db,
			int all_records_as_scalars)
{
	/* %key, $key and $confref are made when a fragment names them
	   (tmpl_lazy_global) */
	ctx->lazydb = db;
	ctx->lazy_scalars_only = all_records_as_scalars;
	obj_unref(ctx->confdb);
	ctx->confdb = tmpl_db_object(db, db_name(db), "esmith::ConfigDB", 0);
	struct obj *o = hash_fetch(&ctx->sv, "DB", 2, OK_SCALAR);
	val_free(&o->u.sv);
	val_set_ref(&o->u.sv, obj_ref(ctx->confdb));
}

void
tmpl_ctx_set_scalar(struct tmpl_ctx *ctx, const char *name, const char *value)
{
	struct val v = { VT_UNDEF, { 0 } };

	if (value)
		val_set_str(&v, value, strlen(value));
	install_sv(ctx, name, strlen(name), &v);
	val_free(&v);
}

/*
 * Parsed blocks, kept for the life of the process: the same text (with the
 * same name, first line and depth limit) gives the same program, so a
 * block is parsed once and only its package variables are bound again to
 * the context that runs it (as parsing would have made them). A program
 * is taken from the cache only when no other context holds it.
 */
struct pcache_ent {
	unsigned long hash; /* first, for struct ptab */
	char *src;
	size_t len;
	char *where;
	int line;
	size_t max_depth;
	struct prog *p;
};

#define PCACHE_MAX 2048		     /* programs kept at most */
#define PCACHE_MAX_BYTES (16u << 20) /* bytes of source kept at most */

static struct ptab pcache;
static size_t pcache_bytes;

static unsigned long
pcache_hash(const char *src, size_t len, const char *where, int line)
{
	unsigned long h = mem_hash(MEM_HASH_INIT, src, len);

	h = mem_hash(h, where, strlen(where));
	return (h ^ (unsigned long)line) * 0x100000001b3ull;
}

/* What a program is cached by. */
struct pcache_key {
	const char *src;
	size_t len;
	const char *where;
	int line;
	size_t max_depth;
};

static int
pcache_eq(const void *entry, const void *key)
{
	const struct pcache_ent *e = entry;
	const struct pcache_key *k = key;

	return e->len == k->len && e->line == k->line &&
	       e->max_depth == k->max_depth &&
	       memcmp(e->src, k->src, k->len) == 0 &&
	       strcmp(e->where, k->where) == 0;
}

static void
ctx_hold(struct tmpl_ctx *ctx, struct prog *p)
{
	ctx->cached = xgrow(ctx->cached, &ctx->acached, ctx->ncached + 1,
			    sizeof(*ctx->cached));
	p->refcnt++;
	ctx->cached[ctx->ncached++] = p;
}

/* The program for `src`: from the cache, or parsed (and kept). */
static struct prog *
parse_cached(struct tmpl_ctx *ctx, const char *src, size_t len,
	     const char *where, int line, unsigned long h, struct strbuf *err)
{
	struct pcache_key key = { src, len, where, line, ctx->lim.max_depth };
	const struct pcache_ent *e = ptab_find(&pcache, h, pcache_eq, &key);
	struct prog *p;

	if (e && e->p->bound == ctx) {
		e->p->refcnt++;
		return e->p;
	}
	if (e && e->p->refcnt == 1) {
		/* held by the cache only: no context uses it */
		prog_bind(e->p, ctx);
		ctx_hold(ctx, e->p);
		e->p->refcnt++;
		return e->p;
	}
	p = tmpl_parse(ctx, src, len, where, line, err);
	if (!p)
		return NULL;
	/* the context lets go of the program's variables when freed: a
	   closure kept in a variable the program names is then freed too */
	p->bound = ctx;
	ctx_hold(ctx, p);
	if (e || pcache.n >= PCACHE_MAX ||
	    pcache_bytes + len > PCACHE_MAX_BYTES)
		return p;
	struct pcache_ent *n = xmalloc(sizeof(*n));
	n->hash = h;
	n->len = len;
	n->line = line;
	n->max_depth = ctx->lim.max_depth;
	n->src = xmalloc(len ? len : 1);
	memcpy(n->src, src, len);
	n->where = xstrdup(where);
	n->p = p; /* the cache's reference */
	ptab_add(&pcache, n);
	pcache_bytes += len;
	p->refcnt++;
	return p;
}

static void tmpl_split_cache_clear(void);

void
tmpl_cache_clear(void)
{
	tmpl_split_cache_clear();
	for (size_t i = 0; i < pcache.cap; i++) {
		struct pcache_ent *e = pcache.v[i];
		if (!e)
			continue;
		/* a context still holding it unbinds it when freed */
		prog_unref(e->p);
		free(e->src);
		free(e->where);
		free(e);
	}
	ptab_release(&pcache);
	pcache_bytes = 0;
}

size_t
tmpl_cache_count(void)
{
	return pcache.n;
}

/* Parse and run `src` as one block (its pcache_hash() `h`); the value
   goes to *res. */
static int
eval_src_h(struct tmpl_ctx *ctx, const char *src, size_t len, const char *where,
	   int line, unsigned long h, struct val *res, struct strbuf *err)
{
	struct prog *p = parse_cached(ctx, src, len, where, line, h, err);
	int rc;

	if (!p)
		return -1;
	rc = tmpl_run(ctx, p, res, err);
	prog_unref(p);
	return rc;
}

static int
eval_src(struct tmpl_ctx *ctx, const char *src, size_t len, const char *where,
	 int line, struct val *res, struct strbuf *err)
{
	return eval_src_h(ctx, src, len, where, line,
			  pcache_hash(src, len, where, line), res, err);
}

static void
install_pair(struct tmpl_ctx *ctx, const char *k, size_t klen, struct val *v)
{
	if (v->t == VT_UNDEF) {
		install_sv(ctx, k, klen, v);
		return;
	}
	if (v->t == VT_REF && v->u.ref->kind == OK_ARRAY) {
		struct obj *av = hash_fetch(&ctx->av, k, klen, OK_ARRAY);
		struct arr *src = &v->u.ref->u.a;
		if (av == v->u.ref)
			return;
		arr_clear(&av->u.a);
		for (size_t i = 0; i < src->n; i++)
			arr_push(&av->u.a,
				 sv_new_val(src->v[i] ? &src->v[i]->u.sv
						      : NULL));
		return;
	}
	if (v->t == VT_REF && v->u.ref->kind == OK_HASH) {
		struct obj *hv = hash_fetch(&ctx->hv, k, klen, OK_HASH);
		struct hash *src = &v->u.ref->u.h;
		if (hv == v->u.ref)
			return;
		hash_clear(&hv->u.h);
		for (size_t i = 0; i < src->n; i++)
			if (src->e[i].k)
				hash_store(&hv->u.h, src->e[i].k->s,
					   src->e[i].k->len,
					   sv_new_val(&src->e[i].v->u.sv));
		return;
	}
	install_sv(ctx, k, klen, v);
}

int
tmpl_ctx_more_data(struct tmpl_ctx *ctx, const char *src, const char *where,
		   struct strbuf *err)
{
	struct val v = { VT_UNDEF, { 0 } };
	struct strbuf code = STRBUF_INIT;
	int rc;

	/* the value is an expression: a leading { is a hash, not a block */
	while (*src == ' ' || *src == '\t' || *src == '\n')
		src++;
	if (*src == '{')
		strbuf_addch(&code, '+');
	strbuf_addstr(&code, src);
	rc = eval_src(ctx, code.buf, code.len, where, 1, &v, err);
	strbuf_release(&code);
	if (rc < 0)
		return -1;
	if (v.t != VT_REF || v.u.ref->kind != OK_HASH) {
		strbuf_addf(err, "%s: MORE_DATA is not a hash reference\n",
			    where);
		val_free(&v);
		return -1;
	}
	struct hash *h = &v.u.ref->u.h;
	for (size_t i = 0; i < h->n; i++)
		if (h->e[i].k)
			install_pair(ctx, h->e[i].k->s, h->e[i].k->len,
				     &h->e[i].v->u.sv);
	val_free(&v);
	return 0;
}

static tmpl_process_fn process_hook;

void
tmpl_set_process_hook(tmpl_process_fn fn)
{
	process_hook = fn;
}

tmpl_process_fn
tmpl_process_hook(void)
{
	return process_hook;
}

int
tmpl_ctx_install_call(struct tmpl_ctx *ctx, const struct tmpl_call *call,
		      int data, const char *filter_name)
{
	int done = 0;

	if (data && call->more_data) {
		struct obj *hv = call->more_data;
		struct hash *h = &hv->u.h;

		for (size_t i = 0; i < h->n; i++)
			if (h->e[i].k)
				install_pair(ctx, h->e[i].k->s, h->e[i].k->len,
					     &h->e[i].v->u.sv);
		if (call->confref) {
			struct val v;

			val_set_ref(&v, obj_ref(hv));
			install_sv(ctx, "confref", 7, &v);
			val_free(&v);
		}
		done |= 1;
	}
	if (filter_name && call->filter) {
		struct val v;

		val_set_ref(&v, obj_ref(call->filter));
		install_sv(ctx, filter_name, strlen(filter_name), &v);
		val_free(&v);
		done |= 2;
	}
	return done;
}

int
tmpl_eval_string(struct tmpl_ctx *ctx, const char *src, const char *where,
		 struct strbuf *out, int *is_undef, struct strbuf *err)
{
	struct val v = { VT_UNDEF, { 0 } };

	if (eval_src(ctx, src, strlen(src), where, 1, &v, err) < 0)
		return -1;
	if (is_undef)
		*is_undef = v.t == VT_UNDEF;
	val_append(&v, out);
	val_free(&v);
	return 0;
}

/* One piece of a fragment: literal text or code, with its first line. */
struct piece {
	int code;
	int line;
	size_t start, len;  /* into the unescaped buffer */
	unsigned long hash; /* code: its pcache_hash() */
};

/*
 * Split like Text::Template: braces nest by counting; `\{` and `\}` are
 * literal braces (in text and in code), `\\` before backslashes and a
 * brace is one backslash. Returns 0, or -1 with a message.
 */
static int
split_fragment(const char *where, const char *t, size_t len, struct strbuf *buf,
	       struct piece **pieces, size_t *npieces, struct strbuf *err)
{
	size_t alloc = 0, cur = 0;
	int depth = 0, line = 1, start_line = 1, code = 0;

	*pieces = NULL;
	*npieces = 0;
#define FLUSH(isc, ln)                                                 \
	do {                                                           \
		if (buf->len > cur) {                                  \
			*pieces = xgrow(*pieces, &alloc, *npieces + 1, \
					sizeof(**pieces));             \
			(*pieces)[*npieces].code = (isc);              \
			(*pieces)[*npieces].line = (ln);               \
			(*pieces)[*npieces].start = cur;               \
			(*pieces)[*npieces].len = buf->len - cur;      \
			(*npieces)++;                                  \
			cur = buf->len;                                \
		}                                                      \
	} while (0)
	strbuf_grow(buf, len);
	for (size_t i = 0; i < len; i++) {
		char c = t[i];
		if (c != '\\' && c != '{' && c != '}' && c != '\n') {
			/* a run of ordinary bytes */
			size_t j = i + 1;
			while (j < len && t[j] != '\\' && t[j] != '{' &&
			       t[j] != '}' && t[j] != '\n')
				j++;
			strbuf_add(buf, t + i, j - i);
			i = j - 1;
			continue;
		}
		if (c == '\\' && i + 1 < len && t[i + 1] == '\\') {
			size_t j = i + 2;
			while (j < len && t[j] == '\\')
				j++;
			if (j < len && (t[j] == '{' || t[j] == '}')) {
				strbuf_addch(buf, '\\');
				i++;
				continue;
			}
		}
		if (c == '\\' && i + 1 < len &&
		    (t[i + 1] == '{' || t[i + 1] == '}')) {
			strbuf_addch(buf, t[++i]);
			continue;
		}
		if (c == '{') {
			if (depth == 0) {
				FLUSH(0, start_line);
				code = 1;
				start_line = line;
			} else {
				strbuf_addch(buf, c);
			}
			depth++;
			continue;
		}
		if (c == '}') {
			if (--depth < 0) {
				strbuf_addf(err,
					    "%s:%d: unmatched close brace\n",
					    where, line);
				return -1;
			}
			if (depth == 0) {
				FLUSH(1, start_line);
				cur = buf->len;
				code = 0;
				start_line = line;
			} else {
				strbuf_addch(buf, c);
			}
			continue;
		}
		if (c == '\n')
			line++;
		strbuf_addch(buf, c);
	}
	if (code) {
		strbuf_addf(
			err,
			"%s:%d: unmatched open brace: end of fragment inside the block that began here\n",
			where, start_line);
		return -1;
	}
	FLUSH(0, start_line);
#undef FLUSH
	return 0;
}

/* A fragment split into pieces, its code pieces hashed. */
struct split {
	unsigned long hash; /* first, for struct ptab */
	char *where, *text; /* the key (cached splits) */
	size_t len;
	struct strbuf buf;
	struct piece *pieces;
	size_t n;
};

/* Splits of the fragments seen, kept for the process like programs. */
#define SCACHE_MAX 2048
#define SCACHE_MAX_BYTES (32u << 20)

static struct ptab scache;
static size_t scache_bytes;

struct split_key {
	const char *where, *text;
	size_t len;
};

static int
scache_eq(const void *entry, const void *key)
{
	const struct split *e = entry;
	const struct split_key *k = key;

	return e->len == k->len && memcmp(e->text, k->text, k->len) == 0 &&
	       strcmp(e->where, k->where) == 0;
}

static int
split_make(struct split *sp, const char *where, const char *text, size_t len,
	   struct strbuf *err)
{
	strbuf_init(&sp->buf, 0);
	if (split_fragment(where, text, len, &sp->buf, &sp->pieces, &sp->n,
			   err) < 0) {
		free(sp->pieces);
		strbuf_release(&sp->buf);
		return -1;
	}
	for (size_t i = 0; i < sp->n; i++) {
		struct piece *p = &sp->pieces[i];
		if (p->code)
			p->hash = pcache_hash(sp->buf.buf + p->start, p->len,
					      where, p->line);
	}
	return 0;
}

/* The split of `text`: from the cache, or made into *tmp (then the
   caller releases it). NULL on error. */
static const struct split *
split_get(const char *where, const char *text, size_t len, struct split *tmp,
	  struct strbuf *err)
{
	unsigned long h = mem_hash(
		mem_hash(MEM_HASH_INIT, where, strlen(where) + 1), text, len);
	struct split_key key = { where, text, len };
	struct split *e = ptab_find(&scache, h, scache_eq, &key);

	if (e)
		return e;
	memset(tmp, 0, sizeof(*tmp));
	if (split_make(tmp, where, text, len, err) < 0)
		return NULL;
	if (scache.n >= SCACHE_MAX || scache_bytes + 2 * len > SCACHE_MAX_BYTES)
		return tmp;
	e = xmalloc(sizeof(*e));
	*e = *tmp;
	e->where = xstrdup(where);
	e->text = xmalloc(len + 1);
	memcpy(e->text, text, len);
	e->text[len] = '\0';
	e->len = len;
	e->hash = h;
	ptab_add(&scache, e);
	scache_bytes += 2 * len;
	memset(tmp, 0, sizeof(*tmp));
	return e;
}

static void
split_release(struct split *sp)
{
	free(sp->pieces);
	strbuf_release(&sp->buf);
	free(sp->where);
	free(sp->text);
}

static void
tmpl_split_cache_clear(void)
{
	for (size_t i = 0; i < scache.cap; i++)
		if (scache.v[i]) {
			split_release(scache.v[i]);
			free(scache.v[i]);
		}
	ptab_release(&scache);
	scache_bytes = 0;
}

int
tmpl_expand_fragment(struct tmpl_ctx *ctx, const char *where, const char *text,
		     size_t len, struct strbuf *out, struct strbuf *err)
{
	struct split tmp = { 0 };
	const struct split *sp;
	size_t made = 0; /* bytes the blocks of this fragment produced */
	int rc = 0;

	reinstall(ctx);
	sp = split_get(where, text, len, &tmp, err);
	if (!sp)
		return -1;
	for (size_t i = 0; i < sp->n; i++) {
		const struct piece *p = &sp->pieces[i];
		if (!p->code) {
			strbuf_add(out, sp->buf.buf + p->start, p->len);
			continue;
		}
		struct val v = { VT_UNDEF, { 0 } };
		if (eval_src_h(ctx, sp->buf.buf + p->start, p->len, where,
			       p->line, p->hash, &v, err) < 0) {
			rc = -1;
		} else {
			/* A block's value is output too, so it counts
			   against the same limit as $OUT. */
			size_t before = out->len;
			val_append(&v, out);
			made += out->len - before;
			if (made > ctx->lim.max_output) {
				strbuf_setlen(out, before);
				strbuf_addf(err,
					    "%s:%d: output limit exceeded\n",
					    where, p->line);
				rc = -1;
				val_free(&v);
				break;
			}
		}
		val_free(&v);
	}
	split_release(&tmp);
	return rc;
}
