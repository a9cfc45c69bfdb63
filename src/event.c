/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "event.h"
#include "util.h"
#include "banned.h"

#define LOCK_PID_ENV "ESMITH_EVENT_LOCK_PID"
#define LINE_MAX_LEN 8192
#define KILL_GRACE_MS 2000

/* ---- names and paths -------------------------------------------------- */

int
event_check_name(const char *event, struct strbuf *err)
{
	if (!*event || strchr(event, '/') || !strcmp(event, ".") ||
	    !strcmp(event, "..") || !strcmp(event, "actions")) {
		strbuf_addf(err, "'%s' is not a valid event name", event);
		return -1;
	}
	return 0;
}

static char *
event_dir(const char *event, const char *sub)
{
	struct strbuf sb = STRBUF_INIT;

	esmith_path_buf(&sb, EVENT_DIR);
	strbuf_addf(&sb, "/%s", event);
	if (sub)
		strbuf_addf(&sb, "/%s", sub);
	return strbuf_detach(&sb, NULL);
}

static int
is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

void
event_strings_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ---- handler list ----------------------------------------------------- */

static void
handlers_add(struct event_handlers *hs, const char *name, const char *path,
	     int implicit)
{
	struct event_handler *h;
	struct stat st;

	hs->v = xgrow(hs->v, &hs->alloc, hs->n + 1, sizeof(*hs->v));
	h = &hs->v[hs->n++];
	h->name = xstrdup(name);
	h->path = xstrdup(path);
	h->implicit = implicit;
	/* A missing implicit action is run anyway: its failure fails the
	   event, where skipping it would hide it. */
	h->executable =
		implicit || (stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
			     access(path, X_OK) == 0);
}

static int
handlers_has(const struct event_handlers *hs, const char *name)
{
	size_t i;

	for (i = 0; i < hs->n; i++)
		if (!strcmp(hs->v[i].name, name))
			return 1;
	return 0;
}

static void
handlers_add_implicit(struct event_handlers *hs, const char *dir,
		      const char *sub, const char *name, const char *action)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb, "%s/%s", dir, sub);
	if (!is_dir(sb.buf) || handlers_has(hs, name))
		goto out;
	strbuf_reset(&sb);
	esmith_path_buf(&sb, EVENT_ACTIONS_DIR);
	strbuf_addf(&sb, "/%s", action);
	handlers_add(hs, name, sb.buf, 1);
out:
	strbuf_release(&sb);
}

static int
cmp_handler(const void *a, const void *b)
{
	const struct event_handler *x = a, *y = b;

	return strcmp(x->name, y->name);
}

int
event_handlers_list(const char *event, struct event_handlers *out,
		    struct strbuf *err)
{
	char *dir = NULL;
	struct strbuf path = STRBUF_INIT;
	struct dirent *de;
	DIR *d;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	if (event_check_name(event, err) < 0)
		goto out;
	dir = event_dir(event, NULL);
	d = opendir(dir);
	if (!d) {
		if (errno == ENOENT || errno == ENOTDIR)
			strbuf_addf(err, "no such event '%s' (%s is missing)",
				    event, dir);
		else
			strbuf_addf(err, "event '%s': %s: %s", event, dir,
				    strerror(errno));
		goto out;
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		strbuf_reset(&path);
		strbuf_addf(&path, "%s/%s", dir, de->d_name);
		if (is_dir(path.buf))
			continue;
		handlers_add(out, de->d_name, path.buf, 0);
	}
	closedir(d);
	handlers_add_implicit(out, dir, "templates2expand",
			      EVENT_TEMPLATE_HANDLER,
			      "generic_template_expand");
	handlers_add_implicit(out, dir, "services2adjust",
			      EVENT_SERVICE_HANDLER, "adjust-services");
	if (out->n)
		qsort(out->v, out->n, sizeof(*out->v), cmp_handler);
	ret = 0;
out:
	free(dir);
	strbuf_release(&path);
	return ret;
}

void
event_handlers_release(struct event_handlers *hs)
{
	size_t i;

	for (i = 0; i < hs->n; i++) {
		free(hs->v[i].name);
		free(hs->v[i].path);
	}
	free(hs->v);
	memset(hs, 0, sizeof(*hs));
}

/* ---- logging ---------------------------------------------------------- */

static int log_syslog;
static FILE *log_fp;

void
event_log_open(const char *log_file)
{
	if (access("/dev/log", F_OK) == 0) {
		openlog("esmith::event", LOG_PID, LOG_LOCAL1);
		log_syslog = 1;
	}
	if (log_file && *log_file) {
		log_fp = fopen(log_file, "ae");
		if (!log_fp)
			esmith_warn("%s: cannot open the log file: %s",
				    log_file, strerror(errno));
	}
}

void
event_log(const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	if (log_syslog)
		syslog(LOG_INFO, "%s", sb.buf);
	if (log_fp) {
		fprintf(log_fp, "%s\n", sb.buf);
		fflush(log_fp);
	}
	strbuf_release(&sb);
}

void
event_log_close(void)
{
	if (log_syslog)
		closelog();
	log_syslog = 0;
	if (log_fp)
		fclose(log_fp);
	log_fp = NULL;
}

/* ---- running one program ---------------------------------------------- */

struct capture {
	int fd;
	int stream;
	struct strbuf buf;
};

static double
now_real(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
capture_emit(struct capture *c, const struct event_handler *h,
	     const struct event_hooks *hooks, int flush)
{
	char *nl;
	size_t off = 0;

	while (off < c->buf.len) {
		nl = memchr(c->buf.buf + off, '\n', c->buf.len - off);
		if (!nl && !flush && c->buf.len - off < LINE_MAX_LEN)
			break;
		if (nl)
			*nl = '\0';
		else
			c->buf.buf[c->buf.len] = '\0';
		if (hooks && hooks->line)
			hooks->line(h, c->stream, c->buf.buf + off,
				    hooks->data);
		off = nl ? (size_t)(nl - c->buf.buf) + 1 : c->buf.len;
	}
	memmove(c->buf.buf, c->buf.buf + off, c->buf.len - off);
	strbuf_setlen(&c->buf, c->buf.len - off);
}

/* Read what is available; returns 1 at end of file or error. */
static int
capture_read(struct capture *c, const struct event_handler *h,
	     const struct event_hooks *hooks)
{
	char tmp[4096];
	ssize_t n;

	for (;;) {
		n = read(c->fd, tmp, sizeof(tmp));
		if (n > 0) {
			strbuf_add(&c->buf, tmp, (size_t)n);
			capture_emit(c, h, hooks, 0);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		return 1;
	}
}

static void
capture_close(struct capture *c, const struct event_handler *h,
	      const struct event_hooks *hooks)
{
	if (c->fd >= 0) {
		capture_read(c, h, hooks);
		close(c->fd);
		c->fd = -1;
	}
	capture_emit(c, h, hooks, 1);
	strbuf_release(&c->buf);
}

static _Noreturn void
child_exec(char *const *argv, char *const *env, int out, int errfd, int st)
{
	sigset_t none;
	int fd, e;

	setpgid(0, 0);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	fd = open("/dev/null", O_RDONLY);
	if (fd >= 0 && fd != 0) {
		dup2(fd, 0);
		close(fd);
	}
	dup2(out, 1);
	dup2(errfd, 2);
	for (; env && *env; env++)
		putenv(*env);
	execv(argv[0], argv);
	e = errno;
	if (write(st, &e, sizeof(e)) < 0)
		_exit(127);
	_exit(127);
}

static int
pidfd_for(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	(void)pid;
	return -1;
#endif
}

struct runner {
	pid_t pid;
	int pidfd;
	struct capture cap[2];
	long long deadline; /* ms, 0: none */
	int killed;	    /* 0, SIGTERM or SIGKILL sent */
	int exited;
	int status;
};

/* Send the next signal when the deadline passed. */
static void
runner_check_deadline(struct runner *rn, struct event_result *r)
{
	if (!rn->deadline || now_ms() < rn->deadline)
		return;
	if (!rn->killed) {
		r->timed_out = 1;
		kill(-rn->pid, SIGTERM);
		rn->killed = SIGTERM;
		rn->deadline = now_ms() + KILL_GRACE_MS;
	} else {
		kill(-rn->pid, SIGKILL);
		rn->killed = SIGKILL;
		rn->deadline = 0;
	}
}

static int
runner_poll_timeout(const struct runner *rn)
{
	long long left;
	int tick = rn->pidfd >= 0 ? -1 : 50;

	if (!rn->deadline)
		return tick;
	left = rn->deadline - now_ms();
	if (left < 0)
		left = 0;
	if (tick >= 0 && left > tick)
		return tick;
	return left > 60000 ? 60000 : (int)left;
}

static void
runner_try_reap(struct runner *rn)
{
	pid_t w;

	do
		w = waitpid(rn->pid, &rn->status, WNOHANG);
	while (w < 0 && errno == EINTR);
	if (w == rn->pid)
		rn->exited = 1;
}

static void
runner_loop(struct runner *rn, const struct event_handler *h,
	    const struct event_hooks *hooks, struct event_result *r)
{
	struct pollfd pfd[3];
	int i, n;

	while (!rn->exited) {
		n = 0;
		for (i = 0; i < 2; i++)
			if (rn->cap[i].fd >= 0) {
				pfd[n].fd = rn->cap[i].fd;
				pfd[n++].events = POLLIN;
			}
		if (rn->pidfd >= 0) {
			pfd[n].fd = rn->pidfd;
			pfd[n++].events = POLLIN;
		}
		if (poll(pfd, (nfds_t)n, runner_poll_timeout(rn)) < 0 &&
		    errno != EINTR)
			break;
		for (i = 0; i < 2; i++)
			if (rn->cap[i].fd >= 0 &&
			    capture_read(&rn->cap[i], h, hooks)) {
				close(rn->cap[i].fd);
				rn->cap[i].fd = -1;
			}
		runner_try_reap(rn);
		if (!rn->exited)
			runner_check_deadline(rn, r);
	}
	if (!rn->exited) {
		kill(-rn->pid, SIGKILL);
		while (waitpid(rn->pid, &rn->status, 0) < 0 && errno == EINTR)
			;
	}
}

static int
start_child(struct runner *rn, char *const *argv, char *const *env,
	    struct event_result *r)
{
	int out[2] = { -1, -1 }, errp[2] = { -1, -1 }, st[2] = { -1, -1 };
	int e = 0, ret = -1;
	ssize_t n;

	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0 ||
	    pipe2(st, O_CLOEXEC) < 0) {
		r->exec_errno = errno;
		goto out;
	}
	rn->pid = fork();
	if (rn->pid < 0) {
		r->exec_errno = errno;
		goto out;
	}
	if (rn->pid == 0)
		child_exec(argv, env, out[1], errp[1], st[1]);
	setpgid(rn->pid, rn->pid);
	close(st[1]);
	st[1] = -1;
	do
		n = read(st[0], &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)sizeof(e)) {
		r->exec_errno = e;
		while (waitpid(rn->pid, &r->status, 0) < 0 && errno == EINTR)
			;
		goto out;
	}
	rn->cap[0].fd = out[0];
	rn->cap[1].fd = errp[0];
	out[0] = errp[0] = -1;
	fcntl(rn->cap[0].fd, F_SETFL, O_NONBLOCK);
	fcntl(rn->cap[1].fd, F_SETFL, O_NONBLOCK);
	rn->pidfd = pidfd_for(rn->pid);
	ret = 0;
out:
	for (n = 0; n < 2; n++) {
		if (out[n] >= 0)
			close(out[n]);
		if (errp[n] >= 0)
			close(errp[n]);
		if (st[n] >= 0)
			close(st[n]);
	}
	return ret;
}

int
event_run_program(const struct event_handler *h, char *const *argv,
		  char *const *env, unsigned timeout,
		  const struct event_hooks *hooks, struct event_result *r)
{
	struct runner rn;
	long long t0 = now_ms();
	double t0r = now_mono();
	int i;

	memset(r, 0, sizeof(*r));
	memset(&rn, 0, sizeof(rn));
	r->handler = h;
	r->start = now_real();
	rn.pidfd = -1;
	for (i = 0; i < 2; i++) {
		rn.cap[i].fd = -1;
		rn.cap[i].stream = i + 1;
		strbuf_init(&rn.cap[i].buf, 0);
	}
	if (start_child(&rn, argv, env, r) < 0) {
		if (!r->status)
			r->status = 127 << 8;
		r->elapsed = now_mono() - t0r;
		for (i = 0; i < 2; i++)
			strbuf_release(&rn.cap[i].buf);
		return -1;
	}
	if (timeout)
		rn.deadline = t0 + (long long)timeout * 1000;
	runner_loop(&rn, h, hooks, r);
	/* What is left of a killed handler's group goes too. */
	if (r->timed_out)
		kill(-rn.pid, SIGKILL);
	for (i = 0; i < 2; i++)
		capture_close(&rn.cap[i], h, hooks);
	if (rn.pidfd >= 0)
		close(rn.pidfd);
	r->status = rn.status;
	r->elapsed = now_mono() - t0r;
	return 0;
}

/* ---- the event lock --------------------------------------------------- */

/* The parent of `pid` from /proc, or -1. */
static pid_t
parent_of(pid_t pid)
{
	struct strbuf sb = STRBUF_INIT;
	char path[64];
	const char *p;
	long pp = -1;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if (strbuf_read_file(&sb, path, 4096) < 0)
		goto out;
	p = strrchr(sb.buf, ')');
	if (!p || sscanf(p, ") %*c %ld", &pp) != 1)
		pp = -1;
out:
	strbuf_release(&sb);
	return (pid_t)pp;
}

/* True when ESMITH_EVENT_LOCK_PID names an ancestor of this process. */
static int
lock_held_by_ancestor(void)
{
	const char *env = getenv(LOCK_PID_ENV);
	long holder;
	pid_t p;
	int depth;

	if (!env || !parse_long(env, &holder) || holder <= 1)
		return 0;
	p = getppid();
	for (depth = 0; p > 1 && depth < 64; depth++) {
		if (p == (pid_t)holder)
			return 1;
		p = parent_of(p);
	}
	return 0;
}

static void
lock_describe_holder(int fd, struct strbuf *out)
{
	struct strbuf sb = STRBUF_INIT;
	char tmp[256];
	ssize_t n = pread(fd, tmp, sizeof(tmp) - 1, 0);

	if (n > 0) {
		strbuf_add(&sb, tmp, (size_t)n);
		strbuf_chomp(&sb);
	}
	if (sb.len)
		strbuf_addbuf(out, &sb);
	else
		strbuf_addstr(out, "another event");
	strbuf_release(&sb);
}

static int
lock_open(struct strbuf *err)
{
	char *path = esmith_path(EVENT_LOCK_FILE);
	char *slash = strrchr(path, '/');
	int fd;

	*slash = '\0';
	mkdir_p(path, 0755);
	*slash = '/';
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		strbuf_addf(err, "%s: cannot open the event lock: %s", path,
			    strerror(errno));
	free(path);
	return fd;
}

int
event_lock(struct event_lock *lk, const char *event,
	   const struct event_hooks *hooks, struct strbuf *err)
{
	struct strbuf sb = STRBUF_INIT;
	const char *prev = getenv(LOCK_PID_ENV);

	lk->fd = -1;
	lk->inherited = 0;
	lk->prev_env = prev ? xstrdup(prev) : NULL;
	if (lock_held_by_ancestor()) {
		lk->inherited = 1;
		return 0;
	}
	lk->fd = lock_open(err);
	if (lk->fd < 0)
		goto fail;
	if (flock(lk->fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK) {
			strbuf_addf(err, "cannot lock the event lock: %s",
				    strerror(errno));
			goto fail;
		}
		lock_describe_holder(lk->fd, &sb);
		if (hooks && hooks->lock_wait)
			hooks->lock_wait(sb.buf, hooks->data);
		while (flock(lk->fd, LOCK_EX) < 0) {
			if (errno == EINTR)
				continue;
			strbuf_addf(err, "cannot lock the event lock: %s",
				    strerror(errno));
			goto fail;
		}
	}
	strbuf_reset(&sb);
	strbuf_addf(&sb, "event '%s' (pid %ld)\n", event, (long)getpid());
	if (ftruncate(lk->fd, 0) == 0 && pwrite(lk->fd, sb.buf, sb.len, 0) < 0)
		esmith_warn("cannot record the event lock holder: %s",
			    strerror(errno));
	strbuf_reset(&sb);
	strbuf_addf(&sb, "%ld", (long)getpid());
	setenv(LOCK_PID_ENV, sb.buf, 1);
	strbuf_release(&sb);
	return 0;
fail:
	strbuf_release(&sb);
	if (lk->fd >= 0)
		close(lk->fd);
	lk->fd = -1;
	free(lk->prev_env);
	lk->prev_env = NULL;
	return -1;
}

void
event_unlock(struct event_lock *lk)
{
	if (lk->fd >= 0) {
		if (ftruncate(lk->fd, 0) < 0)
			esmith_warn("cannot clear the event lock: %s",
				    strerror(errno));
		close(lk->fd);
		lk->fd = -1;
		if (lk->prev_env)
			setenv(LOCK_PID_ENV, lk->prev_env, 1);
		else
			unsetenv(LOCK_PID_ENV);
	}
	free(lk->prev_env);
	lk->prev_env = NULL;
}

/* ---- signalling an event ---------------------------------------------- */

static void
log_action_line(const struct event_opts *o, const struct event_result *r)
{
	const char *name = r->handler->name;
	double end = r->start + r->elapsed;
	long ss = (long)r->start, es = (long)end;
	long su = (long)((r->start - (double)ss) * 1e6);
	long eu = (long)((end - (double)es) * 1e6);
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb,
		    "%s=action|Event|%s|Action|%s|Start|%ld %ld|End|%ld "
		    "%ld|Elapsed|%.6f",
		    name, o->event, name, ss, su, es, eu, r->elapsed);
	if (r->status)
		strbuf_addf(&sb, "|Status|%d", r->status);
	event_log("%s", sb.buf);
	strbuf_release(&sb);
}

static void
log_line_hook(const struct event_handler *h, int stream, const char *line,
	      void *data)
{
	const struct event_hooks *user = data;

	event_log("%s: %s", h->name, line);
	if (user && user->line)
		user->line(h, stream, line, user->data);
}

static char **
handler_argv(const struct event_opts *o, const struct event_handler *h)
{
	char **argv = xcalloc(o->nargs + 3, sizeof(*argv));
	size_t i;

	argv[0] = h->path;
	argv[1] = (char *)(uintptr_t)o->event;
	for (i = 0; i < o->nargs; i++)
		argv[i + 2] = o->args[i];
	return argv;
}

static int
run_handler(const struct event_opts *o, const struct event_handler *h)
{
	const struct event_hooks *hooks = o->hooks;
	struct event_hooks wrap = { 0 };
	struct event_result r;
	char **argv;

	if (hooks && hooks->handler_start)
		hooks->handler_start(h, hooks->data);
	if (!h->executable) {
		memset(&r, 0, sizeof(r));
		r.handler = h;
		r.skipped = 1;
		event_log("Skipping non-executable event handler: %s", h->path);
		if (hooks && hooks->handler_done)
			hooks->handler_done(&r, hooks->data);
		return 0;
	}
	event_log("Running event handler: %s", h->path);
	wrap.line = log_line_hook;
	wrap.data = (void *)(uintptr_t)hooks;
	argv = handler_argv(o, h);
	if (event_run_program(h, argv, NULL, o->timeout, &wrap, &r) < 0)
		event_log("%s: cannot run %s: %s", h->name, h->path,
			  strerror(r.exec_errno));
	if (r.timed_out)
		event_log("%s: time limit of %u s reached, handler killed",
			  h->name, o->timeout);
	log_action_line(o, &r);
	if (hooks && hooks->handler_done)
		hooks->handler_done(&r, hooks->data);
	free(argv);
	return r.status ? -1 : 0;
}

/* A fresh, empty file for the changed targets, next to the lock. */
static char *
changes_file_create(void)
{
	struct strbuf sb = STRBUF_INIT;
	int fd;

	esmith_path_buf(&sb, EVENT_LOCK_FILE);
	strbuf_addstr(&sb, ".changes.XXXXXX");
	fd = mkstemp(sb.buf);
	if (fd < 0) {
		esmith_warn("%s: cannot create: %s", sb.buf, strerror(errno));
		strbuf_release(&sb);
		return NULL;
	}
	close(fd);
	return strbuf_detach(&sb, NULL);
}

static void
log_processing(const struct event_opts *o)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	strbuf_addstr(&sb, o->event);
	for (i = 0; i < o->nargs; i++)
		strbuf_addf(&sb, " %s", o->args[i]);
	event_log("Processing event: %s", sb.buf);
	strbuf_release(&sb);
}

int
event_signal(const struct event_opts *o, struct strbuf *err)
{
	struct event_handlers hs;
	struct event_lock lk;
	char *changes = NULL;
	char *prev_changes = NULL;
	int failed = 0, ret = -1;
	size_t i;

	if (event_handlers_list(o->event, &hs, err) < 0)
		return -1;
	if (event_lock(&lk, o->event, o->hooks, err) < 0)
		goto out;
	if (getenv(EVENT_CHANGES_ENV))
		prev_changes = xstrdup(getenv(EVENT_CHANGES_ENV));
	changes = changes_file_create();
	if (changes)
		setenv(EVENT_CHANGES_ENV, changes, 1);
	log_processing(o);
	for (i = 0; i < hs.n; i++)
		if (run_handler(o, &hs.v[i]) < 0)
			failed = 1;
	if (changes) {
		unlink(changes);
		free(changes);
	}
	if (prev_changes)
		setenv(EVENT_CHANGES_ENV, prev_changes, 1);
	else
		unsetenv(EVENT_CHANGES_ENV);
	free(prev_changes);
	event_unlock(&lk);
	ret = failed;
out:
	event_handlers_release(&hs);
	return ret;
}

/* ---- templates2expand ------------------------------------------------- */

struct strlist {
	char **v;
	size_t n, alloc;
};

static void
strlist_add(struct strlist *l, const char *s)
{
	l->v = xgrow(l->v, &l->alloc, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = xstrdup(s);
}

static int
walk_markers(const char *dir, struct strbuf *rel, struct strlist *out,
	     int depth, struct strbuf *err)
{
	struct strbuf path = STRBUF_INIT;
	struct dirent *de;
	size_t keep = rel->len;
	DIR *d;
	int ret = 0;

	if (depth > 64) {
		strbuf_addf(err, "%s: directories nested too deep", dir);
		return -1;
	}
	d = opendir(dir);
	if (!d) {
		strbuf_addf(err, "%s: %s", dir, strerror(errno));
		return -1;
	}
	while (!ret && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		strbuf_reset(&path);
		strbuf_addf(&path, "%s/%s", dir, de->d_name);
		strbuf_setlen(rel, keep);
		strbuf_addf(rel, "/%s", de->d_name);
		if (is_dir(path.buf))
			ret = walk_markers(path.buf, rel, out, depth + 1, err);
		else
			strlist_add(out, rel->buf);
	}
	closedir(d);
	strbuf_setlen(rel, keep);
	strbuf_release(&path);
	return ret;
}

int
event_templates_list(const char *event, char ***targets, size_t *n,
		     struct strbuf *err)
{
	struct strlist l = { 0 };
	struct strbuf rel = STRBUF_INIT;
	char *dir;
	int ret = 0;

	*targets = NULL;
	*n = 0;
	if (event_check_name(event, err) < 0)
		return -1;
	dir = event_dir(event, "templates2expand");
	if (is_dir(dir))
		ret = walk_markers(dir, &rel, &l, 0, err);
	free(dir);
	strbuf_release(&rel);
	if (ret < 0) {
		event_strings_free(l.v, l.n);
		return -1;
	}
	if (l.n)
		qsort(l.v, l.n, sizeof(*l.v), cmp_str);
	*targets = l.v;
	*n = l.n;
	return 0;
}

/* ---- services2adjust -------------------------------------------------- */

static const char *const known_actions[] = {
	"start",  "stop",	 "restart",	      "reload",
	"sighup", "condrestart", "reload-or-restart", "try-restart",
	NULL,
};

int
event_service_action_known(const char *action)
{
	size_t i;

	for (i = 0; known_actions[i]; i++)
		if (!strcmp(action, known_actions[i]))
			return 1;
	return 0;
}

static void
service_add_action(struct event_service *s, const char *line)
{
	struct event_service_action *a;
	struct strlist when = { 0 };
	const char *p = line, *q;
	size_t alloc = s->nactions;
	int first = 1;

	s->actions =
		xgrow(s->actions, &alloc, s->nactions + 1, sizeof(*s->actions));
	a = &s->actions[s->nactions++];
	memset(a, 0, sizeof(*a));
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		q = p;
		while (*q && *q != ' ' && *q != '\t')
			q++;
		if (first)
			a->action = xstrndup(p, (size_t)(q - p));
		else {
			char *t = xstrndup(p, (size_t)(q - p));
			strlist_add(&when, t);
			free(t);
		}
		first = 0;
		p = q;
	}
	a->when = when.v;
	a->nwhen = when.n;
}

static int
service_check_actions(const char *path, const struct event_service *s,
		      struct strbuf *err)
{
	size_t i;

	for (i = 0; i < s->nactions; i++)
		if (!event_service_action_known(s->actions[i].action)) {
			strbuf_addf(err,
				    "%s: unknown action '%s' (expected "
				    "start, stop, restart, reload, sighup, "
				    "condrestart, reload-or-restart or "
				    "try-restart)",
				    path, s->actions[i].action);
			return -1;
		}
	return 0;
}

static int
service_read(const char *path, struct event_service *s, struct strbuf *err)
{
	struct strbuf sb = STRBUF_INIT;
	struct stat st;
	char *line, *nl;
	ssize_t n;
	int ret = -1;

	if (lstat(path, &st) < 0) {
		strbuf_addf(err, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (S_ISLNK(st.st_mode)) {
		strbuf_grow(&sb, 256);
		n = readlink(path, sb.buf, 255);
		if (n < 0) {
			strbuf_addf(err, "%s: %s", path, strerror(errno));
			goto out;
		}
		strbuf_setlen(&sb, (size_t)n);
		service_add_action(s, sb.buf);
	} else {
		int e = strbuf_read_file(&sb, path, 65536);

		if (e < 0) {
			strbuf_addf(err, "%s: cannot read: %s", path,
				    strerror(-e));
			goto out;
		}
		for (line = sb.buf; line && *line; line = nl) {
			nl = strchr(line, '\n');
			if (nl)
				*nl++ = '\0';
			line += strspn(line, " \t");
			if (*line && *line != '#')
				service_add_action(s, line);
		}
	}
	if (!s->nactions) {
		strbuf_addf(err, "%s: names no action", path);
		goto out;
	}
	ret = service_check_actions(path, s, err);
out:
	strbuf_release(&sb);
	return ret;
}

static int
cmp_service(const void *a, const void *b)
{
	const struct event_service *x = a, *y = b;

	return strcmp(x->name, y->name);
}

int
event_services_list(const char *event, struct event_service **out, size_t *n,
		    struct strbuf *err)
{
	struct event_service *v = NULL;
	size_t cnt = 0, alloc = 0;
	struct strbuf path = STRBUF_INIT;
	struct dirent *de;
	char *dir;
	DIR *d = NULL;
	int ret = -1;

	*out = NULL;
	*n = 0;
	if (event_check_name(event, err) < 0)
		return -1;
	dir = event_dir(event, "services2adjust");
	d = opendir(dir);
	if (!d) {
		ret = errno == ENOENT ? 0 : -1;
		if (ret)
			strbuf_addf(err, "%s: %s", dir, strerror(errno));
		goto out;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		strbuf_reset(&path);
		strbuf_addf(&path, "%s/%s", dir, de->d_name);
		v = xgrow(v, &alloc, cnt + 1, sizeof(*v));
		memset(&v[cnt], 0, sizeof(*v));
		v[cnt].name = xstrdup(de->d_name);
		if (service_read(path.buf, &v[cnt++], err) < 0)
			goto out;
	}
	if (cnt)
		qsort(v, cnt, sizeof(*v), cmp_service);
	ret = 0;
out:
	if (d)
		closedir(d);
	free(dir);
	strbuf_release(&path);
	if (ret < 0) {
		event_services_free(v, cnt);
		return -1;
	}
	*out = v;
	*n = cnt;
	return 0;
}

void
event_services_free(struct event_service *v, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < v[i].nactions; j++) {
			free(v[i].actions[j].action);
			event_strings_free(v[i].actions[j].when,
					   v[i].actions[j].nwhen);
		}
		free(v[i].actions);
		free(v[i].name);
	}
	free(v);
}

/* ---- changed targets -------------------------------------------------- */

int
event_changes_record(const char *target, struct strbuf *err)
{
	const char *file = getenv(EVENT_CHANGES_ENV);
	struct strbuf sb = STRBUF_INIT;
	int fd, ret = 0;

	if (!file || !*file)
		return 0;
	fd = open(file, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0) {
		strbuf_addf(err, "%s: %s", file, strerror(errno));
		return -1;
	}
	strbuf_addf(&sb, "%s\n", target);
	if (write(fd, sb.buf, sb.len) != (ssize_t)sb.len) {
		strbuf_addf(err, "%s: write failed: %s", file, strerror(errno));
		ret = -1;
	}
	close(fd);
	strbuf_release(&sb);
	return ret;
}

int
event_changes_read(char ***changed, size_t *n, struct strbuf *err)
{
	const char *file = getenv(EVENT_CHANGES_ENV);
	struct strbuf sb = STRBUF_INIT;
	struct strlist l = { 0 };
	char *line, *nl;
	int e;

	*changed = NULL;
	*n = 0;
	if (!file || !*file)
		return 0;
	e = strbuf_read_file(&sb, file, 16u << 20);
	if (e < 0) {
		strbuf_addf(err, "%s: cannot read: %s", file, strerror(-e));
		strbuf_release(&sb);
		return -1;
	}
	for (line = sb.buf; *line; line = nl) {
		nl = strchr(line, '\n');
		if (nl)
			*nl++ = '\0';
		else
			nl = line + strlen(line);
		if (*line)
			strlist_add(&l, line);
	}
	strbuf_release(&sb);
	*changed = l.v;
	*n = l.n;
	return 1;
}

int
event_changes_has(char *const *changed, size_t n, const char *target)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(changed[i], target))
			return 1;
	return 0;
}
