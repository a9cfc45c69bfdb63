/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef TMPL_INT_H
#define TMPL_INT_H

/*
 * Private parts of the fragment language: values, the syntax tree, the
 * parser and the evaluator. Only tmpl*.c include this.
 */

#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"
#include "tmpl.h"

struct db;

/* ---- values ------------------------------------------------------------ */

/* A reference-counted byte string, always NUL-terminated at len. */
struct tstr {
	unsigned refcnt;
	size_t len, cap;
	char s[];
};

/* VT_UV: an unsigned integer above INT64_MAX, its bits in u.iv. */
enum vtype { VT_UNDEF, VT_IV, VT_NV, VT_PV, VT_REF, VT_UV };

/* A scalar value (not a container): the evaluator's temporaries. */
struct val {
	unsigned char t;
	union {
		int64_t iv;
		double nv;
		struct tstr *pv;
		struct obj *ref;
	} u;
};

enum okind { OK_SCALAR, OK_ARRAY, OK_HASH, OK_CODE, OK_DB, OK_REC };

struct arr {
	struct obj **v;
	size_t n, cap;
};

struct hent {
	struct tstr *k; /* NULL: deleted */
	struct obj *v;
	uint32_t hash;
};

/* A hash keeping insertion order, with an open-addressing index. */
struct hash {
	struct hent *e;
	size_t n, cap, live;
	int32_t *idx;
	size_t idxcap;
	size_t iter; /* position of each() */
};

struct prog;
struct node;

struct code {
	struct prog *prog;
	struct node *body;
	int nslots;
	char *name;
	/* closures: outer `my` variables, placed in slots capslot[] */
	struct obj **cap;
	int *capslot;
	int ncap;
};

struct dbobj {
	char *name;    /* database name, e.g. "configuration" */
	struct db *db; /* the data */
	int owned;     /* freed with the object */
	char *classname;
};

struct recobj {
	struct obj *db; /* an OK_DB object */
	char *key;
};

/* A container: scalar variable, array, hash, code, database or record. */
struct obj {
	unsigned refcnt;
	unsigned char kind;
	unsigned char fresh; /* a `my` slot not yet declared */
	union {
		struct val sv;
		struct arr a;
		struct hash h;
		struct code c;
		struct dbobj d;
		struct recobj r;
	} u;
};

/* A list of values (list context results). */
struct list {
	struct val *v;
	size_t n, cap;
};

/* value helpers (tmpl-value.c) */
struct tstr *tstr_new(const char *s, size_t len);
struct tstr *tstr_newz(size_t cap);
void tstr_unref(struct tstr *s);

struct obj *obj_new(enum okind kind);
void obj_unref(struct obj *o);
static inline struct obj *
obj_ref(struct obj *o)
{
	o->refcnt++;
	return o;
}

void val_free(struct val *v);
void val_copy(struct val *dst, const struct val *src);
void val_set_iv(struct val *v, int64_t iv);
void val_set_nv(struct val *v, double nv);
void val_set_str(struct val *v, const char *s, size_t len);
void val_set_undef(struct val *v);
void val_set_ref(struct val *v, struct obj *o); /* takes a reference */
void val_move(struct val *dst, struct val *src);
int val_true(const struct val *v);
/* Numeric value: returns 1 and *iv when it is an integer, else 0 and *nv. */
int val_num(const struct val *v, int64_t *iv, double *nv);
/* Same, but returns 2 for an unsigned integer above INT64_MAX (bits in *iv). */
int val_num3(const struct val *v, int64_t *iv, double *nv);
double val_nv(const struct val *v);
int64_t val_iv(const struct val *v);
/* String form; the pointer is valid while `v` and `tmp` live. */
const char *val_str(const struct val *v, size_t *len, struct strbuf *tmp);
void val_append(const struct val *v, struct strbuf *out);
void fmt_nv(double nv, struct strbuf *out);
void val_to_pv(struct val *v); /* make it a string in place */
const char *ref_typename(const struct obj *o);
/* Parse a number the way Perl numifies a string: 1 IV, 2 UV, 0 NV. */
int str_num(const char *s, size_t len, int64_t *iv, double *nv);

void list_push(struct list *l, struct val *v); /* moves v */
void list_push_copy(struct list *l, const struct val *v);
void list_release(struct list *l);
void list_clear(struct list *l);

void arr_push(struct arr *a, struct obj *sv); /* takes a reference */
struct obj *arr_at(struct obj *av, int64_t i, int create);
void arr_clear(struct arr *a);

uint32_t hash_bytes(const char *s, size_t len);
struct obj *hash_get(struct hash *h, const char *k, size_t len);
/* Returns the slot object, creating it with `kind` when absent. */
struct obj *
hash_fetch(struct hash *h, const char *k, size_t len, enum okind kind);
/* Remove and return (owned) the value, or NULL. */
struct obj *hash_delete(struct hash *h, const char *k, size_t len);
void hash_clear(struct hash *h);
void hash_store(struct hash *h, const char *k, size_t len, struct obj *v);

struct obj *sv_new_val(const struct val *v);

/* ---- syntax tree -------------------------------------------------------- */

enum ntype {
	N_CONST,
	N_CONCATLIST, /* interpolated string: kids concatenated */
	N_JOINARR,    /* "@a" inside a string: a joined by $" */
	N_MYSV,
	N_MYAV,
	N_MYHV, /* lexical, slot */
	N_GSV,
	N_GAV,
	N_GHV,	   /* package, glob obj */
	N_OUT,	   /* $OUT */
	N_CAPTURE, /* $1.. (iv) */
	N_ARGS,	   /* @_ */
	N_ELEM,	   /* a: array node, b: index */
	N_HELEM,   /* a: hash node, b: key */
	N_SLICE,   /* a: array node, b: list */
	N_HSLICE,  /* a: hash node, b: list */
	N_RV2SV,
	N_RV2AV,
	N_RV2HV,
	N_RV2CV,   /* a: expr; &$code(...) */
	N_LASTIDX, /* $#a */
	N_MY,	   /* kids: variables; flags: 1 our, 2 local */
	N_LOCAL,
	N_ASSIGN, /* op: 0 or binop; a, b */
	N_LIST,	  /* kids */
	N_BINOP,  /* op, a, b */
	N_NEG,
	N_NOT,
	N_BITNOT,
	N_AND,
	N_OR,
	N_DOR,
	N_COND,
	N_PREINC,
	N_PREDEC,
	N_POSTINC,
	N_POSTDEC,
	N_RANGE,
	N_REFGEN,
	N_ANONARRAY,
	N_ANONHASH,
	N_ANONSUB,
	N_CALL,	   /* s: name, kids: args, glob: code slot */
	N_CALLREF, /* a: code expr, kids: args */
	N_METHOD,  /* a: invocant, s: name, kids: args */
	N_FUNC,	   /* op: builtin id, kids: args, a: block for sort/map/grep */
	N_MATCH,   /* a: target or NULL, re, flags; op 1: negated */
	N_SUBST,
	N_TRANS,
	N_STRINGIFY,
	N_WANTSCALAR, /* scalar(expr) */
	N_FILETEST,
	/* statements */
	N_BLOCK,
	N_IF,	   /* a: cond, b: then, c: else; op 1: unless */
	N_WHILE,   /* a: cond, b: body, c: continue; op 1: until; flags: postfix
		    */
	N_FORC,	   /* kids[0..2]: init cond step, b: body */
	N_FOREACH, /* a: var node (or NULL: $_), b: list, c: body */
	N_NEXT,
	N_LAST,
	N_RETURN,
	N_SUBDEF,
	N_NOP,
};

enum builtin {
	B_DEFINED,
	B_REF,
	B_LC,
	B_UC,
	B_LCFIRST,
	B_UCFIRST,
	B_LENGTH,
	B_CHR,
	B_ORD,
	B_INT,
	B_ABS,
	B_HEX,
	B_OCT,
	B_SQRT,
	B_EXISTS,
	B_DELETE,
	B_EACH,
	B_KEYS,
	B_VALUES,
	B_SHIFT,
	B_POP,
	B_QUOTEMETA,
	B_UNDEF,
	B_CHOMP,
	B_CHOP,
	B_JOIN,
	B_SPLIT,
	B_SPRINTF,
	B_PUSH,
	B_UNSHIFT,
	B_SPLICE,
	B_REVERSE,
	B_SORT,
	B_MAP,
	B_GREP,
	B_DIE,
	B_WARN,
	B_WANTARRAY,
	B_SUBSTR,
	B_INDEX,
	B_RINDEX,
	B_EVAL,
	B_DO,
	B_DB_GET,
	B_DB_GET_PROP,
	B_DB_GET_TYPE,
	B_FILETEST,
	B_EXP,
	B_LOG,
	B_SCALAR,
	B_TIME,
	B_LOCALTIME,
	B_GMTIME,
	B_PROCESS_TEMPLATE,
};

/* node flags shared by the parser and the evaluator */
#define NF_STRICT_REFS 0x100u

/* A pattern: constant (compiled once) or interpolated (cached by text). */
struct regex {
	struct node *pat; /* string expression giving the pattern */
	unsigned flags;	  /* RF_* */
	void *code;	  /* pcre2_code */
	struct tstr *src; /* the text `code` was compiled from */
	struct regex *next;
};

enum regex_flags {
	RF_I = 1 << 0,
	RF_G = 1 << 1,
	RF_X = 1 << 2,
	RF_S = 1 << 3,
	RF_M = 1 << 4,
	RF_E = 1 << 5,
	RF_R = 1 << 6,
	RF_D = 1 << 7,	/* tr: delete */
	RF_C = 1 << 8,	/* tr: complement */
	RF_SQ = 1 << 9, /* tr: squeeze */
};

struct node {
	unsigned short type;
	int op;
	unsigned flags;
	int line;
	struct node *a, *b, *c;
	struct node **kids;
	size_t nkids;
	const char *s; /* name / string, arena */
	size_t slen;
	struct val v;	  /* N_CONST */
	int slot;	  /* lexical slot */
	struct obj *glob; /* package variable (owned ref) */
	struct regex *re;
	struct node *repl; /* s/// replacement expression */
	int *caps;	   /* sub: captured (outer slot, inner slot, sigil) */
	int ncaps;
	const char *tr_from, *tr_to;
	size_t tr_flen, tr_tlen;
};

/* A compiled block: the arena owning its nodes. Reference counted, as
   named subs keep the program alive after the fragment. */
/* A package variable named by a program: bound again when a cached
   program runs in another context (prog_bind). */
struct glob_site {
	struct node *n;
	const char *name;
	size_t len;
	char sigil;
};

struct prog {
	unsigned refcnt;
	struct arena_chunk *chunks;
	struct node *body;
	int nslots;
	struct regex *regexes;	 /* list, freed with the program */
	struct obj **globs;	 /* owned references held by nodes */
	struct glob_site *sites; /* where each of globs[] is used */
	size_t nglobs, aglobs;
	struct tmpl_ctx *bound; /* a cached program: the context whose
				   package variables its nodes hold */
	struct obj **consts;
	size_t nconsts, aconsts;
	char *where;
};

/* ---- context ------------------------------------------------------------ */

struct tmpl_ctx {
	struct hash sv, av, hv, cv; /* the package */
	struct tmpl_limits lim;
	struct obj *confdb; /* $DB object, or NULL */
	struct obj **dbs;   /* databases opened by fragments, by name */
	size_t ndbs, adbs;
	/* last successful match, for $1.. */
	struct tstr *match_subject;
	size_t *match_ovec;
	size_t match_n;
	/* scalars installed from the outside (configuration, MORE_DATA):
	   installed again before each fragment, as each fragment is filled
	   in with the same variables; undef deletes the name */
	struct hash reinst;
	/* the configuration database, installed lazily: a record's variables
	   are made when a fragment first names them */
	struct db *lazydb;
	int lazy_scalars_only;
	struct obj *pos_obj; /* pos() of the last m//g in scalar context */
	size_t pos_off;
	/* programs parsed or bound here (owned references) */
	struct prog **cached;
	size_t ncached, acached;
};

/* The processTemplate() hook (tmpl.c), or NULL. */
tmpl_process_fn tmpl_process_hook(void);

/* Make the package variable `sigil name` from the configuration database
   if it is a record not installed yet (tmpl.c). */
void tmpl_lazy_global(struct tmpl_ctx *ctx, char sigil, const char *name,
		      size_t len);

/* Parse one code block. Returns NULL with a message on error. */
struct prog *tmpl_parse(struct tmpl_ctx *ctx, const char *src, size_t len,
			const char *where, int line, struct strbuf *err);
void prog_unref(struct prog *p);
/* Point the package variables of `p` at those of `ctx` (made as parsing
   would make them), or drop them. */
void prog_bind(struct prog *p, struct tmpl_ctx *ctx);
void prog_unbind(struct prog *p);

/*
 * Run a program in scalar context. Its value is stored in *res. Returns 0,
 * or -1 with "where:line: message" in err.
 */
int tmpl_run(struct tmpl_ctx *ctx, struct prog *p, struct val *res,
	     struct strbuf *err);

/* Database objects. */
struct obj *tmpl_db_object(struct db *db, const char *name,
			   const char *classname, int owned);
void tmpl_regex_release(struct regex *re);

#endif
