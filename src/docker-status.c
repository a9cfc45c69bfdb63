/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * docker-status [--root DIR]
 *
 * The status view of the docker contrib: one line per container record
 * (and per managed container whose record is gone): what the records want
 * and what the engine has, what docker-update would do about it, the image,
 * published ports, memory limit and the URLs it is reached at.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "dockspec.h"
#include "engine.h"
#include "reconcile.h"
#include "util.h"
#include "banned.h"

#define NCOL 8

struct table {
	char **cells; /* rows * NCOL */
	size_t rows;
};

static void
table_add(struct table *t, const char *const *row)
{
	size_t i;

	t->cells = xrealloc(t->cells, (t->rows + 1) * NCOL * sizeof(*t->cells));
	for (i = 0; i < NCOL; i++)
		t->cells[t->rows * NCOL + i] = xstrdup(row[i] ? row[i] : "-");
	t->rows++;
}

static void
table_print(const struct table *t, FILE *out)
{
	size_t w[NCOL] = { 0 }, r, c, n;

	for (r = 0; r < t->rows; r++)
		for (c = 0; c < NCOL; c++) {
			n = strlen(t->cells[r * NCOL + c]);
			if (n > w[c])
				w[c] = n;
		}
	for (r = 0; r < t->rows; r++) {
		for (c = 0; c < NCOL; c++) {
			const char *s = t->cells[r * NCOL + c];

			if (c == NCOL - 1)
				fprintf(out, "%s\n", s);
			else
				fprintf(out, "%-*s  ", (int)w[c], s);
		}
	}
}

static void
table_release(struct table *t)
{
	size_t i;

	for (i = 0; i < t->rows * NCOL; i++)
		free(t->cells[i]);
	free(t->cells);
}

static void
size_text(long long bytes, struct strbuf *out)
{
	if (!bytes)
		strbuf_addstr(out, "-");
	else if (bytes % (1024LL * 1024 * 1024) == 0)
		strbuf_addf(out, "%lldG", bytes / (1024LL * 1024 * 1024));
	else if (bytes % (1024LL * 1024) == 0)
		strbuf_addf(out, "%lldM", bytes / (1024LL * 1024));
	else
		strbuf_addf(out, "%lldK", bytes / 1024);
}

static void
ports_text(const struct dockspec *s, struct strbuf *out)
{
	size_t i, k;

	for (i = 0; i < s->nports; i++) {
		const struct dockspec_port *p = &s->ports[i];
		const char *proto = p->proto == DOCKSPEC_UDP ? "udp" : "tcp";

		if (s->host_network) {
			strbuf_addf(out, "%shost:%d/%s", out->len ? "," : "",
				    p->container, proto);
			continue;
		}
		if (!p->host)
			continue;
		for (k = 0; k < s->nbind_ips; k++)
			strbuf_addf(out, "%s%s:%d->%d/%s", out->len ? "," : "",
				    *s->bind_ips[k] ? s->bind_ips[k]
						    : "0.0.0.0",
				    p->host, p->container, proto);
	}
	if (!out->len)
		strbuf_addstr(out, "-");
}

static void
urls_text(const struct dockspec *s, const char *domain, struct strbuf *out)
{
	size_t i;

	if (s->web_alias)
		strbuf_addf(out, "http://%s/%s/", domain, s->web_alias);
	if (s->subdomain)
		strbuf_addf(out, "%shttp://%s.%s/", out->len ? "," : "",
			    s->subdomain, domain);
	for (i = 0; !out->len && i < s->nports; i++)
		if (s->ports[i].host && s->ports[i].proto == DOCKSPEC_TCP &&
		    !s->host_network)
			strbuf_addf(out, "http://%s:%d/",
				    *s->bind_ips[0] ? s->bind_ips[0] : domain,
				    s->ports[i].host);
	if (!out->len)
		strbuf_addstr(out, "-");
}

static const struct reconcile_actual *
find_actual(const struct reconcile_actual *a, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(a[i].name, name))
			return &a[i];
	return NULL;
}

static const char *
todo(const struct reconcile_plan *p, const char *name)
{
	size_t i;

	for (i = 0; p && i < p->nr; i++)
		if (!strcmp(p->steps[i].name, name))
			return reconcile_op_name(p->steps[i].op);
	return p ? "in sync" : "?";
}

static char *
domain_name(void)
{
	struct strbuf err = STRBUF_INIT;
	struct db *db = db_open("configuration", &err);
	struct db_record *r = db ? db_get(db, "DomainName") : NULL;
	char *d = xstrdup(r && *db_record_type(r) ? db_record_type(r)
						  : "localhost");

	db_free(db);
	strbuf_release(&err);
	return d;
}

static void
add_rows(struct table *t, const struct reconcile_desired *d, size_t n,
	 const struct reconcile_actual *a, size_t na,
	 const struct reconcile_plan *plan, int engine_ok)
{
	char *domain = domain_name();
	struct strbuf ports = STRBUF_INIT, mem = STRBUF_INIT,
		      urls = STRBUF_INIT;
	size_t i;

	for (i = 0; i < n; i++) {
		const struct dockspec *s = d[i].spec;
		const struct reconcile_actual *ac = find_actual(a, na, s->name);
		const char *row[NCOL];

		strbuf_reset(&ports);
		strbuf_reset(&mem);
		strbuf_reset(&urls);
		ports_text(s, &ports);
		size_text(s->memory, &mem);
		urls_text(s, domain, &urls);
		row[0] = s->name;
		row[1] = s->enabled ? "running" : "stopped";
		row[2] = !engine_ok    ? "unknown"
			 : !ac	       ? "missing"
			 : ac->running ? "running"
				       : "stopped";
		row[3] = todo(plan, s->name);
		row[4] = s->image;
		row[5] = ports.buf;
		row[6] = mem.buf;
		row[7] = urls.buf;
		table_add(t, row);
	}
	for (i = 0; i < na; i++) {
		const char *row[NCOL] = { a[i].name,
					  "(no record)",
					  a[i].running ? "running" : "stopped",
					  todo(plan, a[i].name),
					  NULL,
					  NULL,
					  NULL,
					  NULL };
		size_t k;

		for (k = 0; k < n; k++)
			if (!strcmp(d[k].spec->name, a[i].name))
				break;
		if (k == n)
			table_add(t, row);
	}
	free(domain);
	strbuf_release(&ports);
	strbuf_release(&mem);
	strbuf_release(&urls);
}

/* Run specs when docker-specs wrote them, else the records themselves. */
static int
load(struct dockspec_config *cfg, struct dockspec **specs, size_t *n,
     struct strbuf *err)
{
	struct dockspec *db_specs, *yaml;
	const char **names;
	struct strbuf yerr = STRBUF_INIT;
	size_t i;
	int problems = dockspec_load_all(cfg, &db_specs, n, err);

	if (problems)
		return problems;
	names = xcalloc(*n ? *n : 1, sizeof(*names));
	for (i = 0; i < *n; i++)
		names[i] = db_specs[i].name;
	if (!dockspec_load_run_specs(names, *n, cfg, &yaml, &yerr)) {
		dockspec_free_all(db_specs, *n);
		db_specs = yaml;
	}
	free(names);
	strbuf_release(&yerr);
	*specs = db_specs;
	return 0;
}

int
main(int argc, char **argv)
{
	struct strbuf err = STRBUF_INIT, eerr = STRBUF_INIT;
	struct dockspec_config cfg;
	struct dockspec *specs = NULL;
	struct reconcile_desired *d = NULL;
	struct reconcile_actual *a = NULL;
	struct reconcile_plan plan = { 0 };
	struct reconcile_scope all = { RECONCILE_ALL, NULL };
	struct table t = { 0 };
	struct engine *e = NULL;
	size_t n = 0, na = 0, *order = NULL;
	int ret = 1, engine_ok = 0, planned = 0;
	static const char *const head[NCOL] = { "NAME",	  "WANTED", "ACTUAL",
						"UPDATE", "IMAGE",  "PORTS",
						"MEMORY", "URLS" };

	esmith_set_progname(argv[0]);
	dockspec_config_init(&cfg);
	if (esmith_parse_root_option(&argc, &argv, &err) < 0)
		goto out;
	if (load(&cfg, &specs, &n, &err)) {
		strbuf_addstr(&err,
			      "the records have problems (docker-validate "
			      "lists them)");
		goto out;
	}
	order = xcalloc(n ? n : 1, sizeof(*order));
	dockspec_start_order(specs, n, order);
	d = xcalloc(n ? n : 1, sizeof(*d));
	e = engine_open_default(NULL, NULL, &eerr);
	if (e && reconcile_list_actual(e, &a, &na, &eerr) == 0)
		engine_ok = 1;
	if (engine_ok &&
	    reconcile_desired_fill(e, specs, order, n, d, 1, &eerr) == 0 &&
	    reconcile_plan(d, n, a, na, &all, &plan, &eerr) == 0)
		planned = 1;
	if (!planned) {
		size_t i;

		for (i = 0; i < n; i++)
			d[i].spec = &specs[order[i]];
	}
	table_add(&t, head);
	add_rows(&t, d, n, a, na, planned ? &plan : NULL, engine_ok);
	table_print(&t, stdout);
	if (!engine_ok)
		fprintf(stderr, "%s: engine: %s\n", esmith_progname(),
			eerr.buf);
	ret = engine_ok ? 0 : 1;
out:
	if (ret && err.len)
		fprintf(stderr, "%s: %s%s", esmith_progname(), err.buf,
			err.buf[err.len - 1] == '\n' ? "" : "\n");
	table_release(&t);
	reconcile_plan_release(&plan);
	reconcile_actual_release(a, na);
	if (d)
		reconcile_desired_release(d, n);
	free(order);
	engine_free(e);
	dockspec_free_all(specs, n);
	dockspec_config_release(&cfg);
	strbuf_release(&err);
	strbuf_release(&eerr);
	return ret;
}
