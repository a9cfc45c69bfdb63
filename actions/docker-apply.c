/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * docker-apply [--root DIR] [--dry-run] [--stats] [EVENT [NAME]]
 *
 * Make the engine run what the run specs say. As an event action it is
 * called with the event's name and arguments: for docker-start NAME it
 * applies NAME and what NAME links to, for docker-stop NAME only NAME,
 * for any other event (docker-update) everything.
 *
 * The records are validated first (as docker-validate does): on any
 * problem nothing is asked of the engine. Then the run specs are read,
 * the managed containers listed, the plan made and applied (or, with
 * --dry-run, printed). --stats (or DOCKER_APPLY_STATS=1 in the
 * environment, e.g. through signal-event) prints the number of engine
 * calls made, and how many of them changed something, to stderr.
 * One lock keeps two applies from running at once.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "dockspec.h"
#include "engine.h"
#include "reconcile.h"
#include "util.h"
#include "banned.h"

#define LOCK_FILE "/var/lock/smeserver-docker-apply.lock"

struct opts {
	int dry_run;
	int stats;
	struct reconcile_scope scope;
};

static int
parse_args(int argc, char **argv, struct opts *o, struct strbuf *err)
{
	int i = 1;

	memset(o, 0, sizeof(*o));
	for (; i < argc && !strncmp(argv[i], "--", 2); i++) {
		if (!strcmp(argv[i], "--dry-run"))
			o->dry_run = 1;
		else if (!strcmp(argv[i], "--stats"))
			o->stats = 1;
		else {
			strbuf_addf(err, "unknown option '%s'", argv[i]);
			return -1;
		}
	}
	if (getenv("DOCKER_APPLY_STATS") &&
	    !strcmp(getenv("DOCKER_APPLY_STATS"), "1"))
		o->stats = 1;
	o->scope.kind = RECONCILE_ALL;
	if (i + 1 < argc && !strcmp(argv[i], "docker-start"))
		o->scope.kind = RECONCILE_START_ONE;
	else if (i + 1 < argc && !strcmp(argv[i], "docker-stop"))
		o->scope.kind = RECONCILE_STOP_ONE;
	if (o->scope.kind != RECONCILE_ALL)
		o->scope.name = argv[i + 1];
	return 0;
}

static int
take_lock(struct strbuf *err)
{
	char *path = esmith_path(LOCK_FILE);
	char *slash = strrchr(path, '/');
	int fd;

	*slash = '\0';
	mkdir_p(path, 0755);
	*slash = '/';
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || flock(fd, LOCK_EX) < 0) {
		strbuf_addf(err, "cannot lock %s", path);
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	free(path);
	return fd;
}

/* The run specs of the validated records, in start order. */
static int
load_specs(struct dockspec_config *cfg, struct dockspec **specs, size_t *n,
	   size_t **order, struct strbuf *err)
{
	struct dockspec *db_specs;
	const char **names;
	size_t i;
	int problems = dockspec_load_all(cfg, &db_specs, n, err);

	if (problems)
		return problems;
	names = xcalloc(*n ? *n : 1, sizeof(*names));
	for (i = 0; i < *n; i++)
		names[i] = db_specs[i].name;
	problems = dockspec_load_run_specs(names, *n, cfg, specs, err);
	free(names);
	dockspec_free_all(db_specs, *n);
	if (problems) {
		*n = 0;
		return problems;
	}
	*order = xcalloc(*n ? *n : 1, sizeof(**order));
	if (dockspec_start_order(*specs, *n, *order) < 0) {
		strbuf_addstr(err, "link cycle in the run specs\n");
		return 1;
	}
	return 0;
}

static int
run(struct engine *e, const struct opts *o, const struct dockspec *specs,
    const size_t *order, size_t n, struct strbuf *out, struct strbuf *err)
{
	struct reconcile_desired *d = xcalloc(n ? n : 1, sizeof(*d));
	struct reconcile_actual *a = NULL;
	struct reconcile_plan plan = { 0 };
	size_t na = 0;
	int ret = -1;

	if (reconcile_list_actual(e, &a, &na, err) < 0 ||
	    reconcile_desired_fill(e, specs, order, n, d, o->dry_run, err) <
		    0 ||
	    reconcile_plan(d, n, a, na, &o->scope, &plan, err) < 0)
		goto out;
	if (o->dry_run) {
		reconcile_plan_print(&plan, out);
		if (!plan.nr)
			strbuf_addstr(out, "nothing to do\n");
		ret = 0;
		goto out;
	}
	ret = reconcile_apply(e, &plan, d, n, a, out, err);
out:
	reconcile_plan_release(&plan);
	reconcile_actual_release(a, na);
	reconcile_desired_release(d, n);
	return ret;
}

int
main(int argc, char **argv)
{
	struct strbuf err = STRBUF_INIT, out = STRBUF_INIT;
	struct dockspec_config cfg;
	struct dockspec *specs = NULL;
	struct engine *e = NULL;
	struct engine_stats st;
	size_t n = 0, *order = NULL;
	struct opts o;
	int lock = -1, ret = 1, problems;

	esmith_set_progname(argv[0]);
	dockspec_config_init(&cfg);
	if (esmith_parse_root_option(&argc, &argv, &err) < 0 ||
	    parse_args(argc, argv, &o, &err) < 0)
		goto out;
	lock = take_lock(&err);
	if (lock < 0)
		goto out;
	problems = load_specs(&cfg, &specs, &n, &order, &err);
	if (problems) {
		strbuf_addf(&err, "%d problem%s, nothing applied", problems,
			    problems == 1 ? "" : "s");
		goto out;
	}
	e = engine_open_default(NULL, NULL, &err);
	if (!e)
		goto out;
	ret = run(e, &o, specs, order, n, &out, &err) < 0 ? 1 : 0;
	if (o.stats) {
		engine_get_stats(e, &st);
		fprintf(stderr, "engine calls: %lu, mutating: %lu\n", st.calls,
			st.mutating);
	}
out:
	fputs(out.buf, stdout);
	if (ret)
		fprintf(stderr, "%s: %s%s", esmith_progname(), err.buf,
			err.len && err.buf[err.len - 1] == '\n' ? "" : "\n");
	engine_free(e);
	if (lock >= 0)
		close(lock);
	free(order);
	dockspec_free_all(specs, n);
	dockspec_config_release(&cfg);
	strbuf_release(&err);
	strbuf_release(&out);
	return ret;
}
