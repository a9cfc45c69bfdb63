/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * signal-event: run the handlers of an e-smith event (ESMITH.md §4).
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "event.h"
#include "util.h"
#include "banned.h"

#define EXIT_USAGE 2
#define OUTPUT_KEEP (64u << 10)

static const char usage_text[] =
	"usage: signal-event [--root DIR] [options] event [args...]\n"
	"\n"
	"Runs every handler of /etc/e-smith/events/<event>/ in name order as\n"
	"`handler <event> <args...>`.\n"
	"\n"
	"options:\n"
	"  -t, --timeout SECONDS  time limit per handler (default 600, 0: "
	"none;\n"
	"                         also ESMITH_EVENT_TIMEOUT)\n"
	"  -l, --log FILE         also append the log lines to FILE (also\n"
	"                         ESMITH_EVENT_LOG)\n"
	"  -v, --verbose          show every handler's output as it comes\n"
	"  -h, --help             this text\n";

struct progress {
	const char *event;
	int verbose;
	struct strbuf output; /* the current handler's output */
	int truncated;
	unsigned timeout;
	size_t failed, ran;
};

static void
on_lock_wait(const char *holder, void *data)
{
	(void)data;
	fprintf(stderr,
		"signal-event: waiting for the event lock (held by %s)\n",
		holder);
}

static void
on_start(const struct event_handler *h, void *data)
{
	struct progress *p = data;

	(void)h;
	strbuf_reset(&p->output);
	p->truncated = 0;
}

static void
on_line(const struct event_handler *h, int stream, const char *line, void *data)
{
	struct progress *p = data;

	(void)stream;
	if (p->verbose) {
		fprintf(stderr, "  %s: %s\n", h->name, line);
		return;
	}
	if (p->output.len > OUTPUT_KEEP) {
		p->truncated = 1;
		return;
	}
	strbuf_addf(&p->output, "  %s: %s\n", h->name, line);
}

static void
describe_status(const struct event_result *r, unsigned timeout,
		struct strbuf *sb)
{
	if (r->skipped)
		strbuf_addstr(sb, "skipped (not executable)");
	else if (r->exec_errno)
		strbuf_addf(sb, "failed (cannot run: %s)",
			    strerror(r->exec_errno));
	else if (r->timed_out)
		strbuf_addf(sb,
			    "killed: time limit of %u s reached (status %d)",
			    timeout, r->status);
	else if (WIFEXITED(r->status) && !WEXITSTATUS(r->status))
		strbuf_addstr(sb, "ok");
	else if (WIFEXITED(r->status))
		strbuf_addf(sb, "failed (exit status %d)",
			    WEXITSTATUS(r->status));
	else if (WIFSIGNALED(r->status))
		strbuf_addf(sb, "failed (killed by signal %d, %s)",
			    WTERMSIG(r->status),
			    strsignal(WTERMSIG(r->status)));
	else
		strbuf_addf(sb, "failed (status %d)", r->status);
}

static void
on_done(const struct event_result *r, void *data)
{
	struct progress *p = data;
	struct strbuf sb = STRBUF_INIT;

	describe_status(r, p->timeout, &sb);
	if (r->skipped)
		fprintf(stderr, "signal-event: %s: %s %s\n", p->event,
			r->handler->name, sb.buf);
	else
		fprintf(stderr, "signal-event: %s: %s %s, %.3f s\n", p->event,
			r->handler->name, sb.buf, r->elapsed);
	if (!r->skipped)
		p->ran++;
	if (r->status) {
		p->failed++;
		fputs(p->output.buf, stderr);
		if (p->truncated)
			fprintf(stderr, "  %s: (more output in the log)\n",
				r->handler->name);
	}
	strbuf_release(&sb);
}

static int
parse_timeout(const char *s, unsigned *out)
{
	long v;

	if (!parse_long(s, &v) || v < 0 || v > 86400 * 7)
		return -1;
	*out = (unsigned)v;
	return 0;
}

static const struct option long_opts[] = {
	{ "timeout", required_argument, NULL, 't' },
	{ "log", required_argument, NULL, 'l' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int
main(int argc, char **argv)
{
	struct strbuf err = STRBUF_INIT;
	struct progress prog = { 0 };
	struct event_hooks hooks = { on_lock_wait, on_start, on_line, on_done,
				     &prog };
	struct event_opts o = { 0 };
	const char *env;
	int c, ret;

	esmith_set_progname("signal-event");
	if (esmith_parse_root_option(&argc, &argv, &err) < 0) {
		fprintf(stderr, "signal-event: %s\n", err.buf);
		return EXIT_USAGE;
	}
	o.timeout = EVENT_DEFAULT_TIMEOUT;
	env = getenv("ESMITH_EVENT_TIMEOUT");
	if (env && *env && parse_timeout(env, &o.timeout) < 0) {
		fprintf(stderr,
			"signal-event: ESMITH_EVENT_TIMEOUT '%s': expected "
			"a number of seconds\n",
			env);
		return EXIT_USAGE;
	}
	o.log_file = getenv("ESMITH_EVENT_LOG");
	while ((c = getopt_long(argc, argv, "+t:l:vh", long_opts, NULL)) !=
	       -1) {
		switch (c) {
		case 't':
			if (parse_timeout(optarg, &o.timeout) < 0) {
				fprintf(stderr,
					"signal-event: --timeout '%s': "
					"expected a number of seconds\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 'l':
			o.log_file = optarg;
			break;
		case 'v':
			prog.verbose = 1;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			fputs(usage_text, stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fputs("signal-event: no event given\n", stderr);
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	signal(SIGPIPE, SIG_IGN);
	o.event = argv[optind];
	o.args = argv + optind + 1;
	o.nargs = (size_t)(argc - optind - 1);
	o.hooks = &hooks;
	prog.event = o.event;
	prog.timeout = o.timeout;
	strbuf_init(&prog.output, 0);
	event_log_open(o.log_file);
	ret = event_signal(&o, &err);
	event_log_close();
	if (ret < 0) {
		fprintf(stderr, "signal-event: %s\n", err.buf);
		ret = 1;
	} else if (ret > 0) {
		fprintf(stderr,
			"signal-event: event %s failed: %zu of %zu handlers "
			"failed\n",
			o.event, prog.failed, prog.ran);
		ret = 1;
	}
	strbuf_release(&prog.output);
	strbuf_release(&err);
	return ret;
}
