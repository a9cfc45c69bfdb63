/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "event.h"
#include "util.h"

/* A string literal where the API takes `char *` (argv). */
#define S(x) ((char *)(uintptr_t)(x))

static char root[64];

static void
rm_rf(const char *path)
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		execl("/bin/rm", "rm", "-rf", path, (char *)NULL);
		_exit(127);
	}
	waitpid(pid, &st, 0);
}

static void
setup(void)
{
	snprintf(root, sizeof(root), "/tmp/test-event.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
	esmith_set_root(root);
	unsetenv("ESMITH_EVENT_LOCK_PID");
	unsetenv(EVENT_CHANGES_ENV);
}

static void
teardown(void)
{
	rm_rf(root);
}

/* Write `text` to the SME path `abs` below the root, with `mode`. */
static void
put(const char *abs, const char *text, mode_t mode)
{
	char *path = esmith_path(abs);
	char *slash = strrchr(path, '/');
	FILE *fp;

	*slash = '\0';
	ck_assert_int_eq(mkdir_p(path, 0755), 0);
	*slash = '/';
	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	fputs(text, fp);
	fclose(fp);
	ck_assert_int_eq(chmod(path, mode), 0);
	free(path);
}

static void
put_dir(const char *abs)
{
	char *path = esmith_path(abs);

	ck_assert_int_eq(mkdir_p(path, 0755), 0);
	free(path);
}

static void
put_link(const char *abs, const char *target)
{
	char *path = esmith_path(abs);

	ck_assert_int_eq(symlink(target, path), 0);
	free(path);
}

static char *
slurp(const char *abs)
{
	struct strbuf sb = STRBUF_INIT;
	char *path = esmith_path(abs);

	ck_assert_int_eq(strbuf_read_file(&sb, path, 0), 0);
	free(path);
	return strbuf_detach(&sb, NULL);
}

#define SCRIPT "#!/bin/sh\n"
#define EV "/etc/e-smith/events/ev"

/* ---- names and handler lists ------------------------------------------ */

START_TEST(test_event_check_name)
{
	static const struct {
		const char *name;
		int ok;
	} cases[] = {
		{ "docker-update", 0 },
		{ "post-install", 0 },
		{ "", -1 },
		{ ".", -1 },
		{ "..", -1 },
		{ "a/b", -1 },
		{ "actions", -1 },
		{ "x.y_z+1", 0 },
	};
	struct strbuf err = STRBUF_INIT;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		strbuf_reset(&err);
		ck_assert_msg(event_check_name(cases[i].name, &err) ==
				      cases[i].ok,
			      "name '%s'", cases[i].name);
		if (cases[i].ok)
			ck_assert_ptr_nonnull(strstr(err.buf, "not a valid"));
	}
	strbuf_release(&err);
}
END_TEST

START_TEST(test_event_handlers_order)
{
	static const char *const want[] = {
		"S05generic_template_expand",
		"S10a",
		"S20b",
		"S25noexec",
		"S90adjust-services",
		"a-plain-name",
		"s30lower",
	};
	struct event_handlers hs;
	struct strbuf err = STRBUF_INIT;
	size_t i;

	put(EV "/S20b", SCRIPT, 0755);
	put(EV "/S10a", SCRIPT, 0755);
	put(EV "/a-plain-name", SCRIPT, 0755);
	put(EV "/s30lower", SCRIPT, 0755);
	put(EV "/S25noexec", SCRIPT, 0644);
	put_dir(EV "/S15adir");
	put_dir(EV "/templates2expand/etc");
	put_dir(EV "/services2adjust");
	ck_assert_int_eq(event_handlers_list("ev", &hs, &err), 0);
	ck_assert_uint_eq(hs.n, sizeof(want) / sizeof(want[0]));
	for (i = 0; i < hs.n; i++) {
		ck_assert_str_eq(hs.v[i].name, want[i]);
		ck_assert_int_eq(hs.v[i].executable,
				 strcmp(want[i], "S25noexec") != 0);
	}
	ck_assert_int_eq(hs.v[0].implicit, 1);
	ck_assert_ptr_nonnull(strstr(hs.v[0].path,
				     "/etc/e-smith/events/actions/"
				     "generic_template_expand"));
	ck_assert_ptr_nonnull(strstr(hs.v[4].path, "/actions/adjust-services"));
	event_handlers_release(&hs);
	strbuf_release(&err);
}
END_TEST

START_TEST(test_event_handlers_explicit_wins)
{
	struct event_handlers hs;
	struct strbuf err = STRBUF_INIT;

	put(EV "/S05generic_template_expand", SCRIPT, 0755);
	put_dir(EV "/templates2expand");
	ck_assert_int_eq(event_handlers_list("ev", &hs, &err), 0);
	ck_assert_uint_eq(hs.n, 1);
	ck_assert_int_eq(hs.v[0].implicit, 0);
	ck_assert_int_eq(hs.v[0].executable, 1);
	event_handlers_release(&hs);
	strbuf_release(&err);
}
END_TEST

START_TEST(test_event_handlers_missing_event)
{
	struct event_handlers hs;
	struct strbuf err = STRBUF_INIT;

	ck_assert_int_eq(event_handlers_list("nope", &hs, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.buf, "no such event 'nope'"));
	ck_assert_uint_eq(hs.n, 0);
	strbuf_release(&err);
}
END_TEST

/* ---- running programs -------------------------------------------------- */

struct lines {
	struct strbuf out;
	int done, started;
	char *waited_for;
};

static void
collect_line(const struct event_handler *h, int stream, const char *line,
	     void *data)
{
	struct lines *l = data;

	strbuf_addf(&l->out, "%s %d [%s]\n", h->name, stream, line);
}

static void
collect_start(const struct event_handler *h, void *data)
{
	struct lines *l = data;

	(void)h;
	l->started++;
}

static void
collect_done(const struct event_result *r, void *data)
{
	struct lines *l = data;

	(void)r;
	l->done++;
}

static int
run_sh(const char *script, unsigned timeout, struct lines *l,
       struct event_result *r)
{
	struct event_handler h = { S("t"), S("/bin/sh"), 0, 1 };
	struct event_hooks hooks = { 0 };
	char *argv[] = { S("/bin/sh"), S("-c"),	       S(script), S("arg0"),
			 S("one"),     S("two words"), NULL };

	hooks.line = collect_line;
	hooks.data = l;
	return event_run_program(&h, argv, NULL, timeout, &hooks, r);
}

START_TEST(test_event_run_captures_lines)
{
	struct lines l = { STRBUF_INIT, 0, 0, NULL };
	struct event_result r;

	ck_assert_int_eq(run_sh("echo \"1:$1\"; echo \"2:$2\" >&2; "
				"printf 'no newline'",
				0, &l, &r),
			 0);
	ck_assert_int_eq(r.status, 0);
	ck_assert_int_eq(r.timed_out, 0);
	ck_assert_ptr_nonnull(strstr(l.out.buf, "t 1 [1:one]\n"));
	ck_assert_ptr_nonnull(strstr(l.out.buf, "t 2 [2:two words]\n"));
	ck_assert_ptr_nonnull(strstr(l.out.buf, "t 1 [no newline]\n"));
	strbuf_release(&l.out);
}
END_TEST

START_TEST(test_event_run_long_line_split)
{
	struct lines l = { STRBUF_INIT, 0, 0, NULL };
	struct event_result r;
	size_t xs = 0;
	const char *p;

	/* A line longer than the line buffer comes in pieces, none lost. */
	ck_assert_int_eq(run_sh("i=0; while [ $i -lt 2500 ]; do "
				"printf xxxxxxxx; i=$((i+1)); done; echo",
				0, &l, &r),
			 0);
	ck_assert_int_eq(r.status, 0);
	for (p = l.out.buf; *p; p++)
		xs += *p == 'x';
	ck_assert_uint_eq(xs, 20000);
	ck_assert_ptr_nonnull(strstr(l.out.buf, "]\nt 1 [x"));
	strbuf_release(&l.out);
}
END_TEST

START_TEST(test_event_run_exit_status)
{
	struct lines l = { STRBUF_INIT, 0, 0, NULL };
	struct event_result r;

	ck_assert_int_eq(run_sh("exit 3", 0, &l, &r), 0);
	ck_assert(WIFEXITED(r.status));
	ck_assert_int_eq(WEXITSTATUS(r.status), 3);
	ck_assert_int_eq(r.status, 768);
	strbuf_release(&l.out);
}
END_TEST

START_TEST(test_event_run_cannot_exec)
{
	struct event_handler h = { S("x"), S("/nonexistent/x"), 0, 1 };
	char *argv[] = { S("/nonexistent/x"), NULL };
	struct event_result r;

	ck_assert_int_eq(event_run_program(&h, argv, NULL, 0, NULL, &r), -1);
	ck_assert_int_eq(r.exec_errno, ENOENT);
	ck_assert_int_ne(r.status, 0);
}
END_TEST

static int
process_gone(pid_t pid)
{
	char path[64];
	struct strbuf sb = STRBUF_INIT;
	const char *p;
	int gone;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if (strbuf_read_file(&sb, path, 4096) < 0)
		return 1;
	p = strrchr(sb.buf, ')');
	gone = p && p[2] == 'Z';
	strbuf_release(&sb);
	return gone;
}

START_TEST(test_event_run_timeout_kills_group)
{
	struct lines l = { STRBUF_INIT, 0, 0, NULL };
	struct event_result r;
	long child = 0;
	const char *p;
	int i;

	/* The background sleep is in the handler's process group. */
	ck_assert_int_eq(run_sh("sleep 60 & echo \"pid $!\"; wait", 1, &l, &r),
			 0);
	ck_assert_int_eq(r.timed_out, 1);
	ck_assert(WIFSIGNALED(r.status));
	ck_assert_int_eq(WTERMSIG(r.status), SIGTERM);
	p = strstr(l.out.buf, "[pid ");
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(sscanf(p, "[pid %ld]", &child), 1);
	for (i = 0; i < 250 && !process_gone((pid_t)child); i++)
		usleep(20000);
	ck_assert(process_gone((pid_t)child));
	strbuf_release(&l.out);
}
END_TEST

START_TEST(test_event_run_timeout_kills_stragglers)
{
	struct lines l = { STRBUF_INIT, 0, 0, NULL };
	struct event_result r;
	long child = 0;
	const char *p;
	int i;

	/* The handler dies at SIGTERM; its child ignores SIGTERM and must
	   not outlive it. */
	ck_assert_int_eq(run_sh("(trap '' TERM; exec sleep 60) & "
				"echo \"pid $!\"; wait",
				1, &l, &r),
			 0);
	ck_assert_int_eq(r.timed_out, 1);
	p = strstr(l.out.buf, "[pid ");
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(sscanf(p, "[pid %ld]", &child), 1);
	for (i = 0; i < 250 && !process_gone((pid_t)child); i++)
		usleep(20000);
	ck_assert(process_gone((pid_t)child));
	strbuf_release(&l.out);
}
END_TEST

START_TEST(test_event_run_timeout_sigkill)
{
	struct lines l = { STRBUF_INIT, 0, 0, NULL };
	struct event_result r;

	/* Ignores SIGTERM: SIGKILL follows. */
	ck_assert_int_eq(run_sh("trap '' TERM; echo ready; while :; do "
				"sleep 1; done",
				1, &l, &r),
			 0);
	ck_assert_int_eq(r.timed_out, 1);
	ck_assert(WIFSIGNALED(r.status));
	ck_assert_int_eq(WTERMSIG(r.status), SIGKILL);
	ck_assert_ptr_nonnull(strstr(l.out.buf, "[ready]"));
	strbuf_release(&l.out);
}
END_TEST

START_TEST(test_event_run_background_keeps_pipe)
{
	struct lines l = { STRBUF_INIT, 0, 0, NULL };
	struct event_result r;

	/* A daemon-like child holding stdout open must not hold us up
	   until the time limit: the handler itself exits at once. */
	ck_assert_int_eq(run_sh("sleep 30 & echo started", 60, &l, &r), 0);
	ck_assert_int_eq(r.timed_out, 0);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(l.out.buf, "[started]"));
	strbuf_release(&l.out);
}
END_TEST

/* ---- signalling -------------------------------------------------------- */

START_TEST(test_event_signal_runs_all)
{
	struct lines l = { STRBUF_INIT, 0, 0, NULL };
	struct event_hooks hooks = { 0 };
	struct strbuf err = STRBUF_INIT;
	char *const args[] = { S("x y"), S("z") };
	struct event_opts o = { "ev", args, 2, 0, NULL, &hooks };
	char *log_path, *out, *logtext;

	put(EV "/S10first",
	    SCRIPT "echo \"S10 $# [$1] [$2] [$3]\" >>\"$ESMITH_ROOT/out\"\n",
	    0755);
	put(EV "/S20fails", SCRIPT "echo oops; exit 2\n", 0755);
	put(EV "/S30after", SCRIPT "echo S30 >>\"$ESMITH_ROOT/out\"\n", 0755);
	put(EV "/zlast", SCRIPT "echo zlast >>\"$ESMITH_ROOT/out\"\n", 0755);
	put(EV "/S25skipped", SCRIPT "echo never >>\"$ESMITH_ROOT/out\"\n",
	    0644);
	hooks.line = collect_line;
	hooks.handler_start = collect_start;
	hooks.handler_done = collect_done;
	hooks.data = &l;
	log_path = esmith_path("/log");
	event_log_open(log_path);
	ck_assert_int_eq(event_signal(&o, &err), 1);
	event_log_close();
	out = slurp("/out");
	ck_assert_str_eq(out, "S10 3 [ev] [x y] [z]\nS30\nzlast\n");
	ck_assert_int_eq(l.started, 5);
	ck_assert_int_eq(l.done, 5);
	ck_assert_ptr_nonnull(strstr(l.out.buf, "S20fails 1 [oops]"));
	logtext = slurp("/log");
	ck_assert_ptr_nonnull(strstr(logtext, "Processing event: ev x y z\n"));
	ck_assert_ptr_nonnull(strstr(logtext, "Running event handler: "));
	ck_assert_ptr_nonnull(strstr(logtext, "S20fails: oops\n"));
	ck_assert_ptr_nonnull(strstr(logtext,
				     "S20fails=action|Event|ev|Action|S20fails|"
				     "Start|"));
	ck_assert_ptr_nonnull(strstr(logtext, "|Status|512\n"));
	ck_assert_ptr_nonnull(strstr(logtext, "Skipping non-executable "
					      "event handler: "));
	ck_assert_ptr_null(getenv(EVENT_CHANGES_ENV));
	free(out);
	free(logtext);
	free(log_path);
	strbuf_release(&l.out);
	strbuf_release(&err);
}
END_TEST

START_TEST(test_event_signal_all_ok)
{
	struct strbuf err = STRBUF_INIT;
	struct event_opts o = { "ev", NULL, 0, 0, NULL, NULL };

	put(EV "/S10a", SCRIPT "exit 0\n", 0755);
	put(EV "/S20b", SCRIPT "test -f \"$ESMITH_EVENT_CHANGES\"\n", 0755);
	ck_assert_int_eq(event_signal(&o, &err), 0);
	ck_assert_str_eq(err.buf, "");
	strbuf_release(&err);
}
END_TEST

START_TEST(test_event_signal_missing)
{
	struct strbuf err = STRBUF_INIT;
	struct event_opts o = { "missing", NULL, 0, 0, NULL, NULL };

	ck_assert_int_eq(event_signal(&o, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.buf, "no such event 'missing'"));
	strbuf_release(&err);
}
END_TEST

/* ---- the lock ---------------------------------------------------------- */

static void
wait_hook_exit(const char *holder, void *data)
{
	(void)data;
	_exit(strstr(holder, "event 'first'") ? 42 : 43);
}

static int
child_lock_status(int keep_env)
{
	struct event_hooks hooks = { 0 };
	pid_t pid;
	int st;

	hooks.lock_wait = wait_hook_exit;
	pid = fork();
	if (pid == 0) {
		struct event_lock lk;
		struct strbuf err = STRBUF_INIT;

		if (!keep_env)
			unsetenv("ESMITH_EVENT_LOCK_PID");
		if (event_lock(&lk, "second", &hooks, &err) < 0)
			_exit(2);
		_exit(lk.inherited ? 10 : 11);
	}
	ck_assert_int_gt(pid, 0);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st));
	return WEXITSTATUS(st);
}

START_TEST(test_event_lock_wait_and_nesting)
{
	struct event_lock lk;
	struct strbuf err = STRBUF_INIT;

	ck_assert_int_eq(event_lock(&lk, "first", NULL, &err), 0);
	ck_assert_int_eq(lk.inherited, 0);
	/* A descendant of the holder shares the lock. */
	ck_assert_int_eq(child_lock_status(1), 10);
	/* Anyone else waits, and is told who holds it. */
	ck_assert_int_eq(child_lock_status(0), 42);
	event_unlock(&lk);
	ck_assert_ptr_null(getenv("ESMITH_EVENT_LOCK_PID"));
	/* Free again: taken without waiting. */
	ck_assert_int_eq(child_lock_status(0), 11);
	strbuf_release(&err);
}
END_TEST

START_TEST(test_event_lock_forged_env)
{
	char pid[32];
	pid_t other = fork();
	int st;

	/* A holder pid that is not an ancestor does not skip the lock. */
	if (other == 0) {
		pause();
		_exit(0);
	}
	ck_assert_int_gt(other, 0);
	snprintf(pid, sizeof(pid), "%ld", (long)other);
	setenv("ESMITH_EVENT_LOCK_PID", pid, 1);
	ck_assert_int_eq(child_lock_status(1), 11);
	kill(other, SIGKILL);
	waitpid(other, &st, 0);
}
END_TEST

/* ---- templates2expand, services2adjust, changes ----------------------- */

START_TEST(test_event_templates_list)
{
	struct strbuf err = STRBUF_INIT;
	char **t;
	size_t n;

	put(EV "/templates2expand/etc/sysconfig/docker", "", 0644);
	put(EV "/templates2expand/etc/docker/daemon.json", "", 0644);
	put(EV "/templates2expand/etc/hosts", "", 0644);
	ck_assert_int_eq(event_templates_list("ev", &t, &n, &err), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(t[0], "/etc/docker/daemon.json");
	ck_assert_str_eq(t[1], "/etc/hosts");
	ck_assert_str_eq(t[2], "/etc/sysconfig/docker");
	event_strings_free(t, n);
	put_dir("/etc/e-smith/events/none");
	ck_assert_int_eq(event_templates_list("none", &t, &n, &err), 0);
	ck_assert_uint_eq(n, 0);
	strbuf_release(&err);
}
END_TEST

START_TEST(test_event_services_list)
{
	struct strbuf err = STRBUF_INIT;
	struct event_service *s;
	size_t n;

	put_dir(EV "/services2adjust");
	put_link(EV "/services2adjust/httpd", "reload");
	put(EV "/services2adjust/docker",
	    "# comment\n\nrestart /etc/docker/daemon.json "
	    "/etc/sysconfig/docker\n  sighup\n",
	    0644);
	ck_assert_int_eq(event_services_list("ev", &s, &n, &err), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(s[0].name, "docker");
	ck_assert_uint_eq(s[0].nactions, 2);
	ck_assert_str_eq(s[0].actions[0].action, "restart");
	ck_assert_uint_eq(s[0].actions[0].nwhen, 2);
	ck_assert_str_eq(s[0].actions[0].when[0], "/etc/docker/daemon.json");
	ck_assert_str_eq(s[0].actions[0].when[1], "/etc/sysconfig/docker");
	ck_assert_str_eq(s[0].actions[1].action, "sighup");
	ck_assert_uint_eq(s[0].actions[1].nwhen, 0);
	ck_assert_str_eq(s[1].name, "httpd");
	ck_assert_uint_eq(s[1].nactions, 1);
	ck_assert_str_eq(s[1].actions[0].action, "reload");
	event_services_free(s, n);
	strbuf_release(&err);
}
END_TEST

START_TEST(test_event_services_bad_action)
{
	struct strbuf err = STRBUF_INIT;
	struct event_service *s;
	size_t n;

	put_dir(EV "/services2adjust");
	put_link(EV "/services2adjust/httpd", "explode");
	ck_assert_int_eq(event_services_list("ev", &s, &n, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.buf, "services2adjust/httpd: "
					      "unknown action 'explode'"));
	ck_assert_ptr_null(s);
	strbuf_release(&err);
}
END_TEST

START_TEST(test_event_changes)
{
	struct strbuf err = STRBUF_INIT;
	char **c;
	size_t n;
	char *file = esmith_path("/changes");

	ck_assert_int_eq(event_changes_read(&c, &n, &err), 0);
	ck_assert_int_eq(event_changes_record("/etc/a", &err), 0);
	put("/changes", "", 0644);
	setenv(EVENT_CHANGES_ENV, file, 1);
	ck_assert_int_eq(event_changes_read(&c, &n, &err), 1);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(event_changes_record("/etc/a", &err), 0);
	ck_assert_int_eq(event_changes_record("/etc/b c", &err), 0);
	ck_assert_int_eq(event_changes_read(&c, &n, &err), 1);
	ck_assert_uint_eq(n, 2);
	ck_assert(event_changes_has(c, n, "/etc/b c"));
	ck_assert(event_changes_has(c, n, "/etc/a"));
	ck_assert(!event_changes_has(c, n, "/etc/b"));
	event_strings_free(c, n);
	unsetenv(EVENT_CHANGES_ENV);
	free(file);
	strbuf_release(&err);
}
END_TEST

static Suite *
event_suite(void)
{
	Suite *s = suite_create("event");
	TCase *tc = tcase_create("event");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_event_check_name);
	tcase_add_test(tc, test_event_handlers_order);
	tcase_add_test(tc, test_event_handlers_explicit_wins);
	tcase_add_test(tc, test_event_handlers_missing_event);
	tcase_add_test(tc, test_event_run_captures_lines);
	tcase_add_test(tc, test_event_run_long_line_split);
	tcase_add_test(tc, test_event_run_exit_status);
	tcase_add_test(tc, test_event_run_cannot_exec);
	tcase_add_test(tc, test_event_run_timeout_kills_group);
	tcase_add_test(tc, test_event_run_timeout_sigkill);
	tcase_add_test(tc, test_event_run_timeout_kills_stragglers);
	tcase_add_test(tc, test_event_run_background_keeps_pipe);
	tcase_add_test(tc, test_event_signal_runs_all);
	tcase_add_test(tc, test_event_signal_all_ok);
	tcase_add_test(tc, test_event_signal_missing);
	tcase_add_test(tc, test_event_lock_wait_and_nesting);
	tcase_add_test(tc, test_event_lock_forged_env);
	tcase_add_test(tc, test_event_templates_list);
	tcase_add_test(tc, test_event_services_list);
	tcase_add_test(tc, test_event_services_bad_action);
	tcase_add_test(tc, test_event_changes);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(event_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
