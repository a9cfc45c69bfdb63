/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * adjust-services EVENT [args...]: bring the services named in
 * /etc/e-smith/events/EVENT/services2adjust/ in line with their
 * configuration record. A disabled service is stopped; an enabled one is
 * started when it is not running, otherwise it gets the actions its entry
 * names (restart, reload, sighup, ...). An action that names targets runs
 * only when one of them changed in this event.
 *
 * Commands: `systemctl ACTION SERVICE` where systemd runs, otherwise
 * `service SERVICE ACTION`. ESMITH_SERVICE_CMD (or --service-cmd) names a
 * command run as `CMD SERVICE ACTION` instead. Under a sandbox root
 * without such a command nothing is touched: the commands are printed.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "db.h"
#include "event.h"
#include "util.h"
#include "banned.h"

enum mode { MODE_DRY, MODE_CMD, MODE_SYSTEMCTL, MODE_SERVICE };

struct adjust {
	enum mode mode;
	const char *cmd;
	char **changed;
	size_t nchanged;
	int changes_known;
	int failed;
};

static void
cmd_argv(const struct adjust *a, const char *svc, const char *action,
	 const char **argv)
{
	int sighup = !strcmp(action, "sighup");

	switch (a->mode) {
	case MODE_SYSTEMCTL:
		argv[0] = "systemctl";
		if (!strcmp(action, "status")) {
			argv[1] = "is-active";
			argv[2] = "--quiet";
			argv[3] = svc;
			argv[4] = NULL;
		} else if (sighup) {
			argv[1] = "kill";
			argv[2] = "--signal=HUP";
			argv[3] = svc;
			argv[4] = NULL;
		} else {
			argv[1] = action;
			argv[2] = svc;
			argv[3] = NULL;
		}
		return;
	case MODE_CMD:
	case MODE_DRY:
	case MODE_SERVICE:
		argv[0] = a->mode == MODE_CMD ? a->cmd : "service";
		argv[1] = svc;
		/* SysV scripts know no sighup: a reload is their HUP. */
		argv[2] = sighup ? "reload" : action;
		argv[3] = NULL;
		return;
	}
}

static void
on_line(const struct event_handler *h, int stream, const char *line, void *data)
{
	(void)data;
	fprintf(stream == 1 ? stdout : stderr, "adjust-services: %s: %s\n",
		h->name, line);
}

/* Run one command; returns its wait status (-1: could not run). */
static int
run_cmd(const struct adjust *a, const char *svc, const char *action)
{
	const char *argv[6];
	struct strbuf path = STRBUF_INIT;
	struct event_handler h = { 0 };
	struct event_hooks hooks = { 0 };
	struct event_result r;
	int ret;

	cmd_argv(a, svc, action, argv);
	if (!strchr(argv[0], '/')) {
		const char *dirs[] = { "/usr/sbin", "/sbin", "/usr/bin", "/bin",
				       NULL };
		size_t i;

		for (i = 0; dirs[i]; i++) {
			strbuf_reset(&path);
			strbuf_addf(&path, "%s/%s", dirs[i], argv[0]);
			if (access(path.buf, X_OK) == 0)
				break;
		}
		argv[0] = path.buf;
	}
	h.name = (char *)(uintptr_t)svc;
	h.path = (char *)(uintptr_t)argv[0];
	hooks.line = on_line;
	fflush(stdout);
	if (event_run_program(&h, (char *const *)(uintptr_t)argv, NULL, 0,
			      &hooks, &r) < 0) {
		fprintf(stderr, "adjust-services: %s: cannot run %s: %s\n", svc,
			argv[0], strerror(r.exec_errno));
		ret = -1;
	} else {
		ret = r.status;
	}
	strbuf_release(&path);
	return ret;
}

static void
print_cmd(const struct adjust *a, const char *svc, const char *action,
	  const char *why)
{
	const char *argv[6];
	size_t i;

	cmd_argv(a, svc, action, argv);
	printf("adjust-services: %s: would run '", svc);
	for (i = 0; argv[i]; i++)
		printf("%s%s", i ? " " : "", argv[i]);
	printf("'%s%s\n", why ? " " : "", why ? why : "");
}

static void
do_action(struct adjust *a, const char *svc, const char *action)
{
	int st;

	if (a->mode == MODE_DRY) {
		print_cmd(a, svc, action, NULL);
		return;
	}
	printf("adjust-services: %s: %s\n", svc, action);
	st = run_cmd(a, svc, action);
	if (st != 0) {
		fprintf(stderr, "adjust-services: %s: %s failed (status %d)\n",
			svc, action, st);
		a->failed = 1;
	}
}

static int
is_running(const struct adjust *a, const char *svc)
{
	return run_cmd(a, svc, "status") == 0;
}

static int
action_due(const struct adjust *a, const struct event_service_action *act)
{
	size_t i;

	if (!act->nwhen || !a->changes_known)
		return 1;
	for (i = 0; i < act->nwhen; i++)
		if (event_changes_has(a->changed, a->nchanged, act->when[i]))
			return 1;
	return 0;
}

static void
adjust_enabled(struct adjust *a, const struct event_service *s)
{
	size_t i;

	if (a->mode == MODE_DRY) {
		print_cmd(a, s->name, "start", "(if it is not running)");
	} else if (!is_running(a, s->name)) {
		do_action(a, s->name, "start");
		return;
	}
	for (i = 0; i < s->nactions; i++) {
		if (action_due(a, &s->actions[i]))
			do_action(a, s->name, s->actions[i].action);
		else
			printf("adjust-services: %s: %s not needed (no "
			       "change to its files)\n",
			       s->name, s->actions[i].action);
	}
}

static void
adjust_disabled(struct adjust *a, const struct event_service *s)
{
	if (a->mode == MODE_DRY)
		print_cmd(a, s->name, "stop", "(if it is running)");
	else if (is_running(a, s->name))
		do_action(a, s->name, "stop");
}

static void
adjust_one(struct adjust *a, struct db *conf, const struct event_service *s)
{
	struct db_record *rec = db_get(conf, s->name);
	const char *status;

	if (!rec) {
		esmith_warn("%s: no record in the configuration database, "
			    "skipped",
			    s->name);
		return;
	}
	status = db_record_prop(rec, "status");
	if (status && !strcmp(status, "enabled"))
		adjust_enabled(a, s);
	else
		adjust_disabled(a, s);
}

static enum mode
pick_mode(const char *cmd)
{
	if (cmd && *cmd)
		return MODE_CMD;
	if (*esmith_root())
		return MODE_DRY;
	if (access("/run/systemd/system", F_OK) == 0)
		return MODE_SYSTEMCTL;
	return MODE_SERVICE;
}

static const struct option long_opts[] = {
	{ "service-cmd", required_argument, NULL, 'c' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int
usage(FILE *fp)
{
	fputs("usage: adjust-services [--root DIR] [--service-cmd CMD] "
	      "event [args...]\n",
	      fp);
	return fp == stdout ? 0 : 2;
}

int
main(int argc, char **argv)
{
	struct strbuf err = STRBUF_INIT;
	struct adjust a = { 0 };
	struct event_service *svcs = NULL;
	struct db *conf = NULL;
	size_t n = 0, i;
	const char *event;
	int c, ret = 1;

	esmith_set_progname("adjust-services");
	if (esmith_parse_root_option(&argc, &argv, &err) < 0) {
		fprintf(stderr, "adjust-services: %s\n", err.buf);
		return 2;
	}
	a.cmd = getenv("ESMITH_SERVICE_CMD");
	while ((c = getopt_long(argc, argv, "+c:h", long_opts, NULL)) != -1) {
		if (c == 'c')
			a.cmd = optarg;
		else
			return usage(c == 'h' ? stdout : stderr);
	}
	if (optind >= argc)
		return usage(stderr);
	event = argv[optind];
	if (!strcmp(event, "bootstrap-console-save") ||
	    !strcmp(event, "post-upgrade"))
		return 0;
	a.mode = pick_mode(a.cmd);
	if (event_services_list(event, &svcs, &n, &err) < 0)
		goto out;
	a.changes_known = event_changes_read(&a.changed, &a.nchanged, &err);
	if (a.changes_known < 0)
		goto out;
	conf = db_open("configuration", &err);
	if (!conf)
		goto out;
	for (i = 0; i < n; i++)
		adjust_one(&a, conf, &svcs[i]);
	ret = a.failed;
out:
	if (err.len)
		fprintf(stderr, "adjust-services: %s\n", err.buf);
	fflush(stdout);
	db_free(conf);
	event_services_free(svcs, n);
	event_strings_free(a.changed, a.nchanged);
	strbuf_release(&err);
	return ret;
}
