/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef EVENT_H
#define EVENT_H

#include <stddef.h>
#include <sys/types.h>

#include "strbuf.h"

/*
 * The e-smith event model (ESMITH.md §4).
 *
 * An event is a directory /etc/e-smith/events/<event>/ (below the sandbox
 * root). Its handlers are every entry that is not a directory, run in
 * plain byte order of name, each as `handler <event> <args...>`. When
 * `templates2expand/` exists the action generic_template_expand runs as if
 * named S05generic_template_expand; when `services2adjust/` exists the
 * action adjust-services runs as if named S90adjust-services.
 *
 * While an event runs it holds the event lock, an exclusive flock on
 * /var/lock/signal-event below the root, so two events never interleave
 * their writes. A handler that signals another event inherits the lock
 * (ESMITH_EVENT_LOCK_PID names the holder; only its descendants share it).
 *
 * Log lines go to syslog (ident "esmith::event") when /dev/log exists, and
 * to a log file when one is given.
 */

#define EVENT_DIR "/etc/e-smith/events"
#define EVENT_ACTIONS_DIR "/etc/e-smith/events/actions"
#define EVENT_LOCK_FILE "/var/lock/signal-event"
#define EVENT_TEMPLATE_HANDLER "S05generic_template_expand"
#define EVENT_SERVICE_HANDLER "S90adjust-services"
/* Default time limit for one handler, in seconds. */
#define EVENT_DEFAULT_TIMEOUT 600

/* One handler of an event. */
struct event_handler {
	char *name;	/* entry name, e.g. "S10foo" */
	char *path;	/* the file run, below the root */
	int implicit;	/* added for templates2expand/services2adjust */
	int executable; /* 0: logged and skipped (implicit ones: always 1) */
};

struct event_handlers {
	struct event_handler *v;
	size_t n, alloc;
};

/* What happened to one handler. */
struct event_result {
	const struct event_handler *handler;
	int status;	/* wait status as from waitpid(); 0 is success */
	int skipped;	/* not executable: not run */
	int timed_out;	/* killed when the time limit was reached */
	int exec_errno; /* the handler could not be started */
	double start;	/* seconds since the epoch */
	double elapsed; /* seconds */
};

/* Hooks through which the runner reports progress; any may be NULL. */
struct event_hooks {
	/* The lock is held by another event; the runner waits for it. */
	void (*lock_wait)(const char *holder, void *data);
	void (*handler_start)(const struct event_handler *h, void *data);
	/* One line of output (stream 1 or 2), without its newline. */
	void (*line)(const struct event_handler *h, int stream,
		     const char *line, void *data);
	void (*handler_done)(const struct event_result *r, void *data);
	void *data;
};

struct event_opts {
	const char *event;
	char *const *args; /* extra arguments for every handler */
	size_t nargs;
	unsigned timeout;     /* seconds per handler; 0: no limit */
	const char *log_file; /* also append log lines here; may be NULL */
	const struct event_hooks *hooks;
};

/*
 * Check an event name: non-empty, no '/', not "." or "..", not "actions".
 * Returns 0, or -1 with a message.
 */
int event_check_name(const char *event, struct strbuf *err);

/*
 * List the handlers of `event` in run order. Returns 0, or -1 with a
 * message when the event directory is missing or unreadable.
 */
int event_handlers_list(const char *event, struct event_handlers *out,
			struct strbuf *err);
void event_handlers_release(struct event_handlers *hs);

/*
 * Run one program `argv[0]` with `argv` (no shell), in a process group of
 * its own, stdin from /dev/null, stdout and stderr captured line by line
 * and passed to hooks->line. When `timeout` seconds (0: none) pass, the
 * whole group gets SIGTERM, then SIGKILL two seconds later, and
 * r->timed_out is set. Extra `env` entries ("NAME=value", NULL-terminated,
 * may be NULL) are added to the environment. Fills r; returns 0 when the
 * program ran (whatever its status), -1 when it could not be started.
 */
int event_run_program(const struct event_handler *h, char *const *argv,
		      char *const *env, unsigned timeout,
		      const struct event_hooks *hooks, struct event_result *r);

/*
 * Signal an event: take the event lock, log `Processing event`, run every
 * handler (all of them, even after a failure), log each one. Returns 0
 * when every handler succeeded, 1 when one failed or was killed, -1 (with
 * a message) when the event could not be run at all.
 */
int event_signal(const struct event_opts *opts, struct strbuf *err);

/*
 * The event lock. event_lock() takes it (reporting through hooks->lock_wait
 * when it has to wait) unless an ancestor process already holds it; the
 * lock file then names this process and `event`. Returns 0 or -1.
 */
struct event_lock {
	int fd;
	int inherited;
	char *prev_env;
};
int event_lock(struct event_lock *lk, const char *event,
	       const struct event_hooks *hooks, struct strbuf *err);
void event_unlock(struct event_lock *lk);

/* Log one line (syslog when /dev/log exists, and the log file if set). */
void event_log_open(const char *log_file);
void event_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void event_log_close(void);

/*
 * The targets below /etc/e-smith/events/<event>/templates2expand, as SME
 * absolute paths ("/etc/sysconfig/docker"), sorted. Returns 0 (an absent
 * directory gives none) or -1 with a message.
 */
int event_templates_list(const char *event, char ***targets, size_t *n,
			 struct strbuf *err);
void event_strings_free(char **v, size_t n);

/*
 * The services of /etc/e-smith/events/<event>/services2adjust. Each entry
 * names a service; a symlink's target names one action, a regular file
 * holds one action a line, optionally followed by the targets it depends
 * on ("restart /etc/docker/daemon.json"): such an action runs only when
 * one of them changed in this event. Blank lines and '#' comments are
 * ignored.
 */
struct event_service_action {
	char *action;
	char **when; /* targets; NULL when unconditional */
	size_t nwhen;
};
struct event_service {
	char *name;
	struct event_service_action *actions;
	size_t nactions;
};
int event_services_list(const char *event, struct event_service **out,
			size_t *n, struct strbuf *err);
void event_services_free(struct event_service *v, size_t n);
/* True when `action` is one adjust-services knows. */
int event_service_action_known(const char *action);

/*
 * Changed targets: signal-event exports ESMITH_EVENT_CHANGES, a file in
 * which generic_template_expand records each target it changed, one a
 * line. event_changes_record() appends (nothing when the variable is
 * unset). event_changes_read() loads the list; returns 1 when the list
 * exists (then `*changed` may be empty), 0 when no list is known
 * (everything is taken as changed), -1 on error.
 */
#define EVENT_CHANGES_ENV "ESMITH_EVENT_CHANGES"
int event_changes_record(const char *target, struct strbuf *err);
int event_changes_read(char ***changed, size_t *n, struct strbuf *err);
/* True when `target` is in `changed` (sorted or not). */
int event_changes_has(char *const *changed, size_t n, const char *target);

#endif
