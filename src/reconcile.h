/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef RECONCILE_H
#define RECONCILE_H

#include <stddef.h>

#include "strbuf.h"

struct dockspec;
struct engine;
struct engine_container_spec;

/*
 * Reconcile: from container specs (the desired state) and the managed
 * containers the engine has (the actual state, one labelled list call), a
 * plan of steps; then apply the plan with the engine client.
 *
 * Ownership is by label: only containers carrying RECONCILE_LABEL_MANAGED
 * are ever listed, stopped or removed. Each carries the hash of its create
 * body (RECONCILE_LABEL_HASH): a container is recreated only when that hash
 * or its image ID differs from the desired one. Named volumes and host data
 * directories are never removed.
 */

#define RECONCILE_LABEL_MANAGED "org.smeserver.docker.managed"
#define RECONCILE_LABEL_RECORD "org.smeserver.docker.record"
#define RECONCILE_LABEL_HASH "org.smeserver.docker.spec-hash"
/* Suffix of the temporary name a replacement is created under. */
#define RECONCILE_TMP_SUFFIX ".sme-new"

/* One managed container as the engine lists it. */
struct reconcile_actual {
	char *name;
	char *id;
	char *record; /* RECONCILE_LABEL_RECORD */
	char *hash;   /* RECONCILE_LABEL_HASH, "" when missing */
	char *image_id;
	int running;
};

/* What one container should be: its spec, create body hash, image ID. */
struct reconcile_desired {
	const struct dockspec *spec;
	char hash[65];
	char *image_id; /* NULL: the image is not in the engine */
};

enum reconcile_op {
	RECONCILE_REMOVE,   /* managed, record gone (or a stale temporary) */
	RECONCILE_STOP,	    /* status disabled, still running */
	RECONCILE_CREATE,   /* missing */
	RECONCILE_RECREATE, /* hash or image changed: safe replace */
	RECONCILE_START,    /* enabled, not running */
};

struct reconcile_step {
	enum reconcile_op op;
	char *name;
	char *reason;
	long desired; /* index in the desired array, -1 for REMOVE */
	long actual;  /* index in the actual array, -1 for CREATE */
	int start;    /* CREATE/RECREATE: start it afterwards */
};

struct reconcile_plan {
	struct reconcile_step *steps;
	size_t nr;
};

const char *reconcile_op_name(enum reconcile_op op);

/* Which containers a run covers. */
enum reconcile_scope_kind {
	RECONCILE_ALL,	     /* docker-update: everything, orphans removed */
	RECONCILE_START_ONE, /* docker-start NAME: NAME and what it needs */
	RECONCILE_STOP_ONE,  /* docker-stop NAME: only NAME */
};
struct reconcile_scope {
	enum reconcile_scope_kind kind;
	const char *name;
};

/*
 * Compute the plan. `desired` follows the start order (dependencies
 * first). Removals come first, then stops (dependents before what they
 * depend on), then creates, recreates and starts in start order. Returns 0,
 * or -1 when the scope names no container.
 */
int reconcile_plan(const struct reconcile_desired *desired, size_t ndesired,
		   const struct reconcile_actual *actual, size_t nactual,
		   const struct reconcile_scope *scope,
		   struct reconcile_plan *plan, struct strbuf *err);
void reconcile_plan_release(struct reconcile_plan *plan);
/* One line a step: "recreate web (spec changed)". */
void
reconcile_plan_print(const struct reconcile_plan *plan, struct strbuf *out);
void reconcile_actual_release(struct reconcile_actual *a, size_t n);

/*
 * The engine's create body for a spec: labels, ports (bound to the
 * spec's addresses), mounts (host directories below the sandbox root,
 * named volumes), limits, restart policy, network and its alias.
 */
void reconcile_engine_spec(const struct dockspec *spec, const char *hash,
			   struct engine_container_spec *out);
/* The hash of the create body without the hash label. */
int reconcile_spec_hash(const struct dockspec *spec, char hex[65],
			struct strbuf *err);

/*
 * Read the actual state: the managed containers (one labelled list call).
 */
int reconcile_list_actual(struct engine *e, struct reconcile_actual **out,
			  size_t *n, struct strbuf *err);

/*
 * Fill `desired` for `specs` given in start order: hashes and image IDs
 * (one inspect per distinct image). A missing image is an error naming the
 * container, unless `missing_ok` (dry run).
 */
int reconcile_desired_fill(struct engine *e, const struct dockspec *specs,
			   const size_t *order, size_t n,
			   struct reconcile_desired *desired, int missing_ok,
			   struct strbuf *err);
void reconcile_desired_release(struct reconcile_desired *d, size_t n);

/*
 * Apply the plan: ensure the project network and the host data
 * directories, then each step in order. Recreate is safe: the new container
 * is created under `<name>.sme-new`, the old one stopped, the new one
 * started, the old one removed and the new one renamed; if the new one
 * fails to start it is removed and the old one started again, and the
 * apply fails saying why. Stops at the first failing step. Progress lines
 * ("created web", ...) are appended to `log`.
 */
int reconcile_apply(struct engine *e, const struct reconcile_plan *plan,
		    const struct reconcile_desired *desired, size_t ndesired,
		    const struct reconcile_actual *actual, struct strbuf *log,
		    struct strbuf *err);

#endif
