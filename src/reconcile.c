/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dockspec.h"
#include "engine.h"
#include "reconcile.h"
#include "util.h"
#include "banned.h"

#define STOP_TIMEOUT 10

const char *
reconcile_op_name(enum reconcile_op op)
{
	switch (op) {
	case RECONCILE_REMOVE:
		return "remove";
	case RECONCILE_STOP:
		return "stop";
	case RECONCILE_CREATE:
		return "create";
	case RECONCILE_RECREATE:
		return "recreate";
	case RECONCILE_START:
		return "start";
	}
	return "?";
}

/* ---- plan ------------------------------------------------------------- */

static long
find_actual(const struct reconcile_actual *a, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(a[i].name, name))
			return (long)i;
	return -1;
}

static long
find_desired(const struct reconcile_desired *d, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(d[i].spec->name, name))
			return (long)i;
	return -1;
}

static void
add_step(struct reconcile_plan *p, enum reconcile_op op, const char *name,
	 const char *reason, long desired, long actual, int start)
{
	struct reconcile_step *s;

	p->steps = xrealloc(p->steps, (p->nr + 1) * sizeof(*p->steps));
	s = &p->steps[p->nr++];
	s->op = op;
	s->name = xstrdup(name);
	s->reason = xstrdup(reason);
	s->desired = desired;
	s->actual = actual;
	s->start = start;
}

/* Mark `i` and, for a start, everything it links to. */
static void
mark_scope(const struct reconcile_desired *d, size_t n, size_t i, char *in,
	   int follow)
{
	size_t k;
	long j;

	if (in[i])
		return;
	in[i] = 1;
	if (!follow)
		return;
	for (k = 0; k < d[i].spec->nlinks; k++) {
		j = find_desired(d, n, d[i].spec->links[k]);
		if (j >= 0)
			mark_scope(d, n, (size_t)j, in, follow);
	}
}

static int
tmp_of(const char *actual, const char *name)
{
	size_t n = strlen(name);

	return !strncmp(actual, name, n) &&
	       !strcmp(actual + n, RECONCILE_TMP_SUFFIX);
}

static void
plan_removals(const struct reconcile_desired *d, size_t nd,
	      const struct reconcile_actual *a, size_t na, const char *in,
	      int all, struct reconcile_plan *p)
{
	size_t i, k;
	long j;

	for (i = 0; i < na; i++) {
		j = find_desired(d, nd, a[i].name);
		if (j >= 0)
			continue;
		for (k = 0; k < nd; k++)
			if (in[k] && tmp_of(a[i].name, d[k].spec->name))
				break;
		if (k < nd)
			add_step(p, RECONCILE_REMOVE, a[i].name,
				 "leftover temporary container", -1, (long)i,
				 0);
		else if (all)
			add_step(p, RECONCILE_REMOVE, a[i].name,
				 "its record is gone", -1, (long)i, 0);
	}
}

static int
decide(const struct reconcile_desired *d, const struct reconcile_actual *a,
       struct strbuf *reason)
{
	const struct dockspec *s = d->spec;

	if (!a) {
		strbuf_addstr(reason, "missing");
		return RECONCILE_CREATE;
	}
	if (strcmp(a->hash, d->hash)) {
		strbuf_addstr(reason, "spec changed");
		return RECONCILE_RECREATE;
	}
	if (d->image_id && strcmp(a->image_id, d->image_id)) {
		strbuf_addf(reason, "image changed: %.19s -> %.19s",
			    a->image_id, d->image_id);
		return RECONCILE_RECREATE;
	}
	if (s->enabled && !a->running) {
		strbuf_addstr(reason, "not running");
		return RECONCILE_START;
	}
	if (!s->enabled && a->running) {
		strbuf_addstr(reason, "disabled");
		return RECONCILE_STOP;
	}
	return -1;
}

int
reconcile_plan(const struct reconcile_desired *d, size_t nd,
	       const struct reconcile_actual *a, size_t na,
	       const struct reconcile_scope *scope, struct reconcile_plan *p,
	       struct strbuf *err)
{
	char *in = xcalloc(nd ? nd : 1, 1);
	int *op = xcalloc(nd ? nd : 1, sizeof(*op));
	struct strbuf *why = xcalloc(nd ? nd : 1, sizeof(*why));
	size_t i;
	long j;
	int ret = 0;

	memset(p, 0, sizeof(*p));
	if (scope->kind == RECONCILE_ALL) {
		memset(in, 1, nd);
	} else {
		j = find_desired(d, nd, scope->name);
		if (j < 0) {
			strbuf_addf(err, "no container record '%s'",
				    scope->name);
			ret = -1;
			goto out;
		}
		mark_scope(d, nd, (size_t)j, in,
			   scope->kind == RECONCILE_START_ONE);
	}
	plan_removals(d, nd, a, na, in, scope->kind == RECONCILE_ALL, p);
	for (i = 0; i < nd; i++) {
		strbuf_init(&why[i], 0);
		op[i] = -1;
		if (in[i]) {
			j = find_actual(a, na, d[i].spec->name);
			op[i] = decide(&d[i], j >= 0 ? &a[j] : NULL, &why[i]);
		}
	}
	for (i = nd; i-- > 0;)
		if (op[i] == RECONCILE_STOP)
			add_step(p, RECONCILE_STOP, d[i].spec->name, why[i].buf,
				 (long)i, find_actual(a, na, d[i].spec->name),
				 0);
	for (i = 0; i < nd; i++)
		if (op[i] >= 0 && op[i] != RECONCILE_STOP)
			add_step(p, (enum reconcile_op)op[i], d[i].spec->name,
				 why[i].buf, (long)i,
				 find_actual(a, na, d[i].spec->name),
				 d[i].spec->enabled);
out:
	for (i = 0; i < nd; i++)
		strbuf_release(&why[i]);
	free(why);
	free(op);
	free(in);
	return ret;
}

void
reconcile_plan_release(struct reconcile_plan *p)
{
	size_t i;

	for (i = 0; i < p->nr; i++) {
		free(p->steps[i].name);
		free(p->steps[i].reason);
	}
	free(p->steps);
	memset(p, 0, sizeof(*p));
}

void
reconcile_plan_print(const struct reconcile_plan *p, struct strbuf *out)
{
	size_t i;

	for (i = 0; i < p->nr; i++) {
		const struct reconcile_step *s = &p->steps[i];

		strbuf_addf(out, "%s %s (%s)%s\n", reconcile_op_name(s->op),
			    s->name, s->reason,
			    (s->op == RECONCILE_CREATE ||
			     s->op == RECONCILE_RECREATE) &&
					    s->start
				    ? ", then start"
				    : "");
	}
}

void
reconcile_actual_release(struct reconcile_actual *a, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(a[i].name);
		free(a[i].id);
		free(a[i].record);
		free(a[i].hash);
		free(a[i].image_id);
	}
	free(a);
}

/* ---- the engine's view of a spec ------------------------------------------
 */

static const char *
proto_name(enum dockspec_proto p)
{
	return p == DOCKSPEC_UDP ? "udp" : "tcp";
}

static void
engine_ports(const struct dockspec *s, struct engine_container_spec *o)
{
	struct strbuf cp = STRBUF_INIT, hp = STRBUF_INIT;
	size_t i, k;

	for (i = 0; i < s->nports; i++) {
		const struct dockspec_port *p = &s->ports[i];

		strbuf_reset(&cp);
		strbuf_addf(&cp, "%d/%s", p->container, proto_name(p->proto));
		if (!p->host || s->host_network) {
			engine_strlist_add(&o->exposed_ports, cp.buf);
			continue;
		}
		strbuf_reset(&hp);
		strbuf_addf(&hp, "%d", p->host);
		for (k = 0; k < s->nbind_ips; k++)
			engine_container_spec_add_port(
				o, cp.buf,
				*s->bind_ips[k] ? s->bind_ips[k] : NULL,
				hp.buf);
	}
	strbuf_release(&cp);
	strbuf_release(&hp);
}

void
reconcile_engine_spec(const struct dockspec *s, const char *hash,
		      struct engine_container_spec *o)
{
	size_t i;

	engine_container_spec_init(o);
	o->image = xstrdup(s->image);
	for (i = 0; i < s->ncmd; i++)
		engine_strlist_add(&o->cmd, s->cmd[i]);
	for (i = 0; i < s->nenv; i++)
		engine_strlist_add(&o->env, s->env[i]);
	engine_kvlist_set(&o->labels, RECONCILE_LABEL_MANAGED, "1");
	engine_kvlist_set(&o->labels, RECONCILE_LABEL_RECORD, s->name);
	if (hash)
		engine_kvlist_set(&o->labels, RECONCILE_LABEL_HASH, hash);
	engine_ports(s, o);
	o->memory = s->memory;
	o->nano_cpus = s->nano_cpus;
	for (i = 0; i < s->nmounts; i++) {
		const struct dockspec_mount *m = &s->mounts[i];
		char *src =
			m->volume ? xstrdup(m->source) : esmith_path(m->source);

		engine_container_spec_add_mount(
			o, m->volume ? ENGINE_MOUNT_VOLUME : ENGINE_MOUNT_BIND,
			src, m->target, m->read_only);
		free(src);
	}
	if (s->host_network) {
		o->network_mode = xstrdup("host");
	} else {
		o->network_mode = xstrdup(s->network);
		engine_strlist_add(&o->aliases, s->name);
	}
	if (engine_restart_parse(s->restart, &o->restart_policy.name) < 0)
		o->restart_policy.name = ENGINE_RESTART_UNLESS_STOPPED;
}

int
reconcile_spec_hash(const struct dockspec *spec, char hex[65],
		    struct strbuf *err)
{
	struct engine_container_spec es;
	struct strbuf json = STRBUF_INIT;
	int ret;

	reconcile_engine_spec(spec, NULL, &es);
	ret = engine_container_spec_json(&es, &json, err);
	if (!ret)
		dockspec_sha256_hex(json.buf, json.len, hex);
	engine_container_spec_release(&es);
	strbuf_release(&json);
	return ret ? -1 : 0;
}

/* ---- actual and desired state
 * ------------------------------------------------ */

int
reconcile_list_actual(struct engine *e, struct reconcile_actual **out,
		      size_t *n, struct strbuf *err)
{
	struct engine_kvlist filter = ENGINE_KVLIST_INIT;
	struct engine_container_list list = { 0 };
	struct reconcile_actual *a;
	size_t i;
	int ret;

	*out = NULL;
	*n = 0;
	engine_kvlist_set(&filter, RECONCILE_LABEL_MANAGED, "1");
	ret = engine_container_list(e, 1, &filter, &list, err);
	engine_kvlist_release(&filter);
	if (ret < 0)
		return -1;
	a = xcalloc(list.nr ? list.nr : 1, sizeof(*a));
	for (i = 0; i < list.nr; i++) {
		const struct engine_container_summary *c = &list.items[i];
		const char *h =
			engine_kvlist_get(&c->labels, RECONCILE_LABEL_HASH);
		const char *r =
			engine_kvlist_get(&c->labels, RECONCILE_LABEL_RECORD);

		a[i].name = xstrdup(c->names.nr ? c->names.items[0] : c->id);
		a[i].id = xstrdup(c->id);
		a[i].record = xstrdup(r ? r : "");
		a[i].hash = xstrdup(h ? h : "");
		a[i].image_id = xstrdup(c->image_id ? c->image_id : "");
		a[i].running = c->state && (!strcmp(c->state, "running") ||
					    !strcmp(c->state, "restarting"));
	}
	*out = a;
	*n = list.nr;
	engine_container_list_release(&list);
	return 0;
}

int
reconcile_desired_fill(struct engine *e, const struct dockspec *specs,
		       const size_t *order, size_t n,
		       struct reconcile_desired *d, int missing_ok,
		       struct strbuf *err)
{
	size_t i, k;
	int ret = 0;

	memset(d, 0, n * sizeof(*d));
	for (i = 0; i < n; i++) {
		const struct dockspec *s = &specs[order ? order[i] : i];
		struct engine_image img = { 0 };
		struct strbuf ierr = STRBUF_INIT;
		int r;

		d[i].spec = s;
		if (reconcile_spec_hash(s, d[i].hash, err) < 0) {
			strbuf_addf(err, " (container %s)\n", s->name);
			ret = -1;
			continue;
		}
		for (k = 0; k < i; k++)
			if (!strcmp(d[k].spec->image, s->image))
				break;
		if (k < i) {
			d[i].image_id =
				d[k].image_id ? xstrdup(d[k].image_id) : NULL;
		} else {
			r = engine_image_inspect(e, s->image, &img, &ierr);
			if (!r)
				d[i].image_id = xstrdup(img.id);
			else if (r != ENGINE_ENOTFOUND) {
				strbuf_addf(err, "%s: image %s: %s\n", s->name,
					    s->image, ierr.buf);
				ret = -1;
			}
			engine_image_release(&img);
		}
		if (!d[i].image_id && !missing_ok && ret == 0) {
			strbuf_addf(err,
				    "%s: image '%s' is not in the engine "
				    "(pull or import it first)\n",
				    s->name, s->image);
			ret = -1;
		}
		strbuf_release(&ierr);
	}
	return ret;
}

void
reconcile_desired_release(struct reconcile_desired *d, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(d[i].image_id);
	free(d);
}

/* ---- apply
 * -------------------------------------------------------------------- */

static int
ensure_network(struct engine *e, const char *name, struct strbuf *log,
	       struct strbuf *err)
{
	struct engine_network net = { 0 };
	struct engine_kvlist labels = ENGINE_KVLIST_INIT;
	struct engine_network_spec spec = { 0 };
	struct strbuf ierr = STRBUF_INIT;
	int r = engine_network_inspect(e, name, &net, &ierr);

	engine_network_release(&net);
	if (r != ENGINE_ENOTFOUND) {
		if (r < 0)
			strbuf_addf(err, "network %s: %s", name, ierr.buf);
		strbuf_release(&ierr);
		return r < 0 ? -1 : 0;
	}
	strbuf_release(&ierr);
	engine_kvlist_set(&labels, RECONCILE_LABEL_MANAGED, "1");
	spec.name = name;
	spec.labels = &labels;
	r = engine_network_create(e, &spec, NULL, err);
	engine_kvlist_release(&labels);
	if (r < 0 && r != ENGINE_ECONFLICT)
		return -1;
	strbuf_addf(log, "created network %s\n", name);
	return 0;
}

static int
ensure_dirs(const struct dockspec *s, struct strbuf *log, struct strbuf *err)
{
	size_t i;
	long uid = -1, gid = -1;

	if (s->data_owner) {
		const char *col = strchr(s->data_owner, ':');
		char *u = xstrndup(s->data_owner,
				   col ? (size_t)(col - s->data_owner)
				       : strlen(s->data_owner));

		parse_long(u, &uid);
		if (col)
			parse_long(col + 1, &gid);
		free(u);
	}
	for (i = 0; i < s->nmounts; i++) {
		char *p;
		struct stat st;
		int r;

		if (s->mounts[i].volume)
			continue;
		p = esmith_path(s->mounts[i].source);
		if (stat(p, &st) == 0) {
			free(p);
			continue;
		}
		r = mkdir_p(p, 0755);
		if (r < 0) {
			strbuf_addf(err,
				    "%s: cannot create data directory %s: %s",
				    s->name, p, strerror(-r));
			free(p);
			return -1;
		}
		if (uid >= 0 && chown(p, (uid_t)uid, (gid_t)gid) < 0) {
			strbuf_addf(err, "%s: cannot chown %s: %s", s->name, p,
				    strerror(errno));
			free(p);
			return -1;
		}
		strbuf_addf(log, "created data directory %s\n", p);
		free(p);
	}
	return 0;
}

static int
create(struct engine *e, const struct reconcile_desired *d, const char *name,
       struct strbuf *err)
{
	struct engine_container_spec es;
	int r;

	reconcile_engine_spec(d->spec, d->hash, &es);
	es.name = xstrdup(name);
	r = engine_container_create(e, &es, NULL, err);
	engine_container_spec_release(&es);
	if (r < 0)
		strbuf_addf(err, " (creating %s)", name);
	return r < 0 ? -1 : 0;
}

/* Start and check that it runs. */
static int
start(struct engine *e, const char *name, struct strbuf *err)
{
	struct engine_container c = { 0 };
	int r = engine_container_start(e, name, err);

	if (r < 0)
		return -1;
	r = engine_container_inspect(e, name, &c, err);
	if (!r && !c.running) {
		strbuf_addf(err, "%s exited at once with code %d", name,
			    c.exit_code);
		r = -1;
	}
	engine_container_release(&c);
	return r < 0 ? -1 : 0;
}

static int
stop(struct engine *e, const char *name, int timeout, struct strbuf *err)
{
	return engine_container_stop(e, name, timeout, err) < 0 ? -1 : 0;
}

static int
remove_container(struct engine *e, const char *name, struct strbuf *err)
{
	int r = engine_container_stop(e, name, STOP_TIMEOUT, err);

	if (r < 0 && r != ENGINE_ENOTFOUND)
		return -1;
	r = engine_container_remove(e, name, ENGINE_REMOVE_FORCE, err);
	return r < 0 && r != ENGINE_ENOTFOUND ? -1 : 0;
}

/* Put the old container back after a failed replacement. */
static void
rollback(struct engine *e, const char *tmp, const char *name, int was_running,
	 struct strbuf *err)
{
	struct strbuf rerr = STRBUF_INIT;

	if (engine_container_remove(e, tmp, ENGINE_REMOVE_FORCE, &rerr) < 0)
		strbuf_addf(err, "; removing %s failed too: %s", tmp, rerr.buf);
	strbuf_reset(&rerr);
	if (was_running && engine_container_start(e, name, &rerr) < 0)
		strbuf_addf(err, "; restarting the old %s failed too: %s", name,
			    rerr.buf);
	else
		strbuf_addf(err, "; the old %s is %s again", name,
			    was_running ? "running" : "in place");
	strbuf_release(&rerr);
}

static int
recreate(struct engine *e, const struct reconcile_step *st,
	 const struct reconcile_desired *d, const struct reconcile_actual *a,
	 struct strbuf *err)
{
	struct strbuf tmp = STRBUF_INIT, serr = STRBUF_INIT;
	int ret = -1;

	strbuf_addf(&tmp, "%s%s", st->name, RECONCILE_TMP_SUFFIX);
	if (create(e, d, tmp.buf, err) < 0)
		goto out;
	if (a->running && stop(e, st->name, d->spec->stop_timeout, err) < 0) {
		rollback(e, tmp.buf, st->name, a->running, err);
		goto out;
	}
	if (st->start && start(e, tmp.buf, &serr) < 0) {
		strbuf_addf(err, "%s: the new container failed to start: %s",
			    st->name, serr.buf);
		rollback(e, tmp.buf, st->name, a->running, err);
		goto out;
	}
	if (engine_container_remove(e, st->name, ENGINE_REMOVE_FORCE, err) <
		    0 ||
	    engine_container_rename(e, tmp.buf, st->name, err) < 0)
		goto out;
	ret = 0;
out:
	strbuf_release(&tmp);
	strbuf_release(&serr);
	return ret;
}

static int
needs_network(const struct reconcile_plan *p, const struct reconcile_desired *d,
	      const char **name)
{
	size_t i;

	for (i = 0; i < p->nr; i++) {
		const struct reconcile_step *s = &p->steps[i];

		if ((s->op == RECONCILE_CREATE ||
		     s->op == RECONCILE_RECREATE) &&
		    d[s->desired].spec->network) {
			*name = d[s->desired].spec->network;
			return 1;
		}
	}
	return 0;
}

static int
apply_step(struct engine *e, const struct reconcile_step *s,
	   const struct reconcile_desired *d, const struct reconcile_actual *a,
	   struct strbuf *log, struct strbuf *err)
{
	const struct reconcile_desired *dd =
		s->desired >= 0 ? &d[s->desired] : NULL;
	struct strbuf serr = STRBUF_INIT;
	int r = 0;

	switch (s->op) {
	case RECONCILE_REMOVE:
		r = remove_container(e, s->name, err);
		break;
	case RECONCILE_STOP:
		r = stop(e, s->name, dd->spec->stop_timeout, err);
		break;
	case RECONCILE_START:
		r = start(e, s->name, err);
		break;
	case RECONCILE_CREATE:
		r = ensure_dirs(dd->spec, log, err);
		if (!r)
			r = create(e, dd, s->name, err);
		if (!r && s->start && start(e, s->name, &serr) < 0) {
			strbuf_addf(err, "%s: failed to start: %s", s->name,
				    serr.buf);
			r = -1;
		}
		break;
	case RECONCILE_RECREATE:
		r = ensure_dirs(dd->spec, log, err);
		if (!r)
			r = recreate(e, s, dd, &a[s->actual], err);
		break;
	}
	strbuf_release(&serr);
	if (r < 0)
		return -1;
	strbuf_addf(log, "%s %s (%s)\n", reconcile_op_name(s->op), s->name,
		    s->reason);
	return 0;
}

int
reconcile_apply(struct engine *e, const struct reconcile_plan *p,
		const struct reconcile_desired *d, size_t nd,
		const struct reconcile_actual *a, struct strbuf *log,
		struct strbuf *err)
{
	const char *net;
	size_t i;

	(void)nd;
	if (needs_network(p, d, &net) && ensure_network(e, net, log, err) < 0)
		return -1;
	for (i = 0; i < p->nr; i++)
		if (apply_step(e, &p->steps[i], d, a, log, err) < 0)
			return -1;
	return 0;
}
