/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef TMPL_EVAL_H
#define TMPL_EVAL_H

/* The evaluator's state, shared by tmpl-eval.c and tmpl-builtin.c. */

#include "tmpl-int.h"

enum want { WANT_VOID, WANT_SCALAR, WANT_LIST };
enum ctl { CTL_NONE, CTL_NEXT, CTL_LAST, CTL_RETURN, CTL_DIE };

struct frame {
	struct obj **slots;
	int nslots;
	struct obj *args; /* @_ */
	int want;
};

struct local_save {
	struct obj *o;	   /* the variable */
	struct obj *saved; /* its old contents */
};

struct ev {
	struct tmpl_ctx *ctx;
	struct prog *prog;
	struct frame *fr;
	struct obj *out; /* $OUT of the running block */
	int ctl;
	struct list ret; /* values of `return` */
	struct strbuf die;
	int die_line;
	int line;
	size_t steps, depth, mem;
	struct local_save *locals;
	size_t nlocals, alocals;
};

void ev_die(struct ev *e, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int ev_charge(struct ev *e, size_t bytes, int line);

void ev_sv(struct ev *e, struct node *n, struct val *out);
void ev_lst(struct ev *e, struct node *n, struct list *out);
void ev_void(struct ev *e, struct node *n);
struct obj *ev_lv(struct ev *e, struct node *n);
struct obj *ev_av(struct ev *e, struct node *n, int create);
struct obj *ev_hv(struct ev *e, struct node *n, int create);
struct obj *
ev_glob(struct ev *e, const char *name, size_t len, enum okind kind);
int is_lvalue_node(const struct node *n);
int vivify_rvalue(const struct node *n);
void ev_my(struct ev *e, struct node *n);
void ev_local(struct ev *e, struct node *n);
void ev_unwind_locals(struct ev *e, size_t mark);
void ev_stmts(struct ev *e, struct node *b, int want, struct list *val);
void ev_stmt(struct ev *e, struct node *s, int want, struct list *val);
void ev_call(struct ev *e, struct obj *code, struct obj *argv, int want,
	     struct list *out, int line);
void ev_install_subs(struct ev *e, struct prog *p, struct node *n);
void ev_check_out(struct ev *e, const struct val *v, int line);
int ev_binop(struct ev *e, int op, const struct val *a, const struct val *b,
	     struct val *out, int line);
int str_cmp(const struct val *a, const struct val *b);

/* tmpl-builtin.c */
void ev_func(struct ev *e, struct node *n, int want, struct list *out,
	     struct val *sout);
void ev_method(struct ev *e, struct node *n, int want, struct list *out);
void ev_match(struct ev *e, struct node *n, int want, struct list *out,
	      struct val *sout);
void ev_subst(struct ev *e, struct node *n, struct val *out);
void ev_trans(struct ev *e, struct node *n, struct val *out);
void ev_capture(struct ev *e, int i, struct val *out);

#endif
