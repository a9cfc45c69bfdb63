/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * docker-image-build [options] NAME [SOURCE]
 *
 * Build an SME base image from a root filesystem and record it in the
 * docker_images database. Also installed as the action of the event
 * docker-image-build: called from /etc/e-smith/events/actions/, its first
 * argument is the event name and is skipped.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "engine.h"
#include "imagebuild.h"
#include "util.h"
#include "banned.h"

#define USAGE                                                                   \
	"usage: docker-image-build [--root DIR] [options] NAME[:TAG] SOURCE\n"  \
	"       docker-image-build [--root DIR] [options] --build-command CMD " \
	"NAME[:TAG] [DIR]\n"

static const char usage_text[] = USAGE
	"\n"
	"Stream a root filesystem to the Docker engine as the image NAME:TAG and\n"
	"record it in the docker_images database (key NAME, type image).\n"
	"SOURCE is a directory or a tarball (extracted to a temporary directory\n"
	"with tar). The tree is never modified: minimized paths are left out of\n"
	"the stream.\n"
	"\n"
	"Options:\n"
	"  -t, --tag TAG            the tag (default: VERSION_ID of the tree's\n"
	"                           etc/os-release, else the number in\n"
	"                           etc/redhat-release, else NAME, with a warning)\n"
	"      --image-version TAG  same as --tag\n"
	"  -c, --cmd CMD            default command: a JSON array\n"
	"                           ('[\"/bin/httpd\",\"-f\"]') or words split on\n"
	"                           spaces\n"
	"  -p, --expose PORTS       exposed ports, comma-separated: 80,443/tcp,53/udp\n"
	"                           (may be repeated)\n"
	"  -b, --build-command CMD  run CMD with /bin/sh -c to fill the tree: the\n"
	"                           directory is $1 and $ROOTFS (DIR, created if\n"
	"                           needed and kept, or a temporary directory)\n"
	"      --no-minimize        keep everything (no step below)\n"
	"      --keep-locales       keep usr/{lib,share}/locale, gconv, localedef\n"
	"      --keep-docs          keep usr/share/doc, usr/share/gnome/help\n"
	"      --keep-man           keep usr/share/man, usr/share/info\n"
	"      --keep-cracklib      keep usr/share/cracklib\n"
	"      --keep-i18n          keep usr/share/i18n\n"
	"      --keep-sln           keep sbin/sln\n"
	"      --keep-ldconfig      keep etc/ld.so.cache, var/cache/ldconfig/*\n"
	"      --no-record          do not write the docker_images database\n"
	"  -q, --quiet              no progress line\n"
	"  -h, --help               this text\n"
	"\n"
	"The engine is found as for every tool of this package: DOCKER_HOST, else\n"
	"the configuration record docker (Socket, TCPPort), else\n"
	"/var/run/docker.sock. On success prints NAME:TAG and the image id.\n";

enum {
	OPT_NO_MINIMIZE = 256,
	OPT_KEEP = 512, /* OPT_KEEP + step bit index */
	OPT_NO_RECORD = 1024,
};

static const struct option long_options[] = {
	{ "tag", required_argument, NULL, 't' },
	{ "image-version", required_argument, NULL, 't' },
	{ "cmd", required_argument, NULL, 'c' },
	{ "expose", required_argument, NULL, 'p' },
	{ "build-command", required_argument, NULL, 'b' },
	{ "no-minimize", no_argument, NULL, OPT_NO_MINIMIZE },
	{ "keep-locales", no_argument, NULL, OPT_KEEP + 0 },
	{ "keep-docs", no_argument, NULL, OPT_KEEP + 1 },
	{ "keep-man", no_argument, NULL, OPT_KEEP + 2 },
	{ "keep-cracklib", no_argument, NULL, OPT_KEEP + 3 },
	{ "keep-i18n", no_argument, NULL, OPT_KEEP + 4 },
	{ "keep-sln", no_argument, NULL, OPT_KEEP + 5 },
	{ "keep-ldconfig", no_argument, NULL, OPT_KEEP + 6 },
	{ "no-record", no_argument, NULL, OPT_NO_RECORD },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static volatile sig_atomic_t interrupted;

static void
on_signal(int sig)
{
	interrupted = sig;
}

/* INT, TERM, HUP: stop streaming and clean up instead of dying with a
 * temporary tree left behind. */
static void
catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

struct progress {
	int quiet;
	int tty;
	struct timespec start, last;
};

static double
elapsed(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) +
	       (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static void
show_progress(void *data, uint64_t bytes, uint64_t entries, int final)
{
	struct progress *p = data;
	struct timespec now;
	double t, mib = (double)bytes / (1024.0 * 1024.0);

	if (p->quiet)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!final && elapsed(&p->last, &now) < (p->tty ? 0.25 : 5.0))
		return;
	p->last = now;
	t = elapsed(&p->start, &now);
	fprintf(stderr, "%s%s: sent %.1f MiB, %llu entries, %.1f MiB/s%s",
		p->tty ? "\r" : "", esmith_progname(), mib,
		(unsigned long long)entries, t > 0 ? mib / t : 0.0,
		final || !p->tty ? "\n" : "");
	fflush(stderr);
}

/* A JSON array of strings, or words split on spaces. */
static int
parse_cmd(const char *s, struct engine_strlist *out, struct strbuf *err)
{
	const cJSON *it;
	cJSON *j;

	while (*s == ' ')
		s++;
	if (*s != '[') {
		const char *w = s;

		while (*w) {
			size_t n = strcspn(w, " \t");
			char *word = xstrndup(w, n);

			if (n)
				engine_strlist_add(out, word);
			free(word);
			w += n;
			w += strspn(w, " \t");
		}
		goto check;
	}
	j = cJSON_Parse(s);
	if (!cJSON_IsArray(j)) {
		cJSON_Delete(j);
		goto bad;
	}
	cJSON_ArrayForEach(it, j)
	{
		if (!cJSON_IsString(it)) {
			cJSON_Delete(j);
			goto bad;
		}
		engine_strlist_add(out, it->valuestring);
	}
	cJSON_Delete(j);
check:
	if (out->nr)
		return 0;
bad:
	strbuf_addf(err,
		    "--cmd '%s': expected a JSON array of strings or a "
		    "command line",
		    s);
	return -1;
}

/* Comma-separated ports, in canonical form ("80" -> "80/tcp"); a bad one
 * is kept as given for imagebuild_check() to report. */
static void
add_ports(const char *s, struct engine_strlist *out)
{
	struct strbuf canon = STRBUF_INIT;

	while (*s) {
		size_t n = strcspn(s, ",");
		char *p = xstrndup(s, n);

		strbuf_reset(&canon);
		if (n && engine_port_normalize(p, &canon) == 0 &&
		    !engine_strlist_has(out, canon.buf))
			engine_strlist_add(out, canon.buf);
		else if (n && canon.len == 0)
			engine_strlist_add(out, p);
		free(p);
		s += n;
		if (*s == ',')
			s++;
	}
	strbuf_release(&canon);
}

struct args {
	struct imagebuild_options o;
	struct engine_strlist cmd, ports;
	int quiet;
};

static int
parse_args(int argc, char **argv, struct args *a, struct strbuf *err)
{
	int c;

	a->o.minimize = IMAGEBUILD_ALL;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "t:c:p:b:qh", long_options,
				NULL)) != -1) {
		switch (c) {
		case 't':
			a->o.tag = optarg;
			break;
		case 'c':
			if (parse_cmd(optarg, &a->cmd, err) < 0)
				return -1;
			break;
		case 'p':
			add_ports(optarg, &a->ports);
			break;
		case 'b':
			a->o.build_command = optarg;
			break;
		case OPT_NO_MINIMIZE:
			a->o.minimize = 0;
			break;
		case OPT_NO_RECORD:
			a->o.no_record = 1;
			break;
		case 'q':
			a->quiet = 1;
			break;
		case 'h':
			fputs(usage_text, stdout);
			exit(0);
		default:
			if (c >= OPT_KEEP && c < OPT_KEEP + 7) {
				a->o.minimize &= ~(1u << (c - OPT_KEEP));
				break;
			}
			if (optopt && optopt < 256)
				fprintf(stderr, "%s: bad option '-%c'\n",
					esmith_progname(), optopt);
			else
				fprintf(stderr, "%s: bad option '%s'\n",
					esmith_progname(), argv[optind - 1]);
			return -2;
		}
	}
	if (argc - optind < 1 || argc - optind > 2 ||
	    (argc - optind < 2 && !a->o.build_command))
		return -2;
	a->o.name = argv[optind];
	a->o.source = argc - optind > 1 ? argv[optind + 1] : NULL;
	a->o.cmd = &a->cmd;
	a->o.ports = &a->ports;
	return 0;
}

/* Called as an event action: drop the event name. */
static void
skip_event_name(int *argc, char ***argv)
{
	if (!strstr((*argv)[0], "/events/actions/") || *argc < 2)
		return;
	memmove(*argv + 1, *argv + 2, (size_t)(*argc - 1) * sizeof(**argv));
	(*argc)--;
}

int
main(int argc, char **argv)
{
	struct strbuf err = STRBUF_INIT;
	struct args a = { { 0 }, ENGINE_STRLIST_INIT, ENGINE_STRLIST_INIT, 0 };
	struct imagebuild_result res = { 0 };
	struct progress prog = { 0 };
	struct engine *e = NULL;
	int ret = 1, r;

	esmith_set_progname(argv[0]);
	skip_event_name(&argc, &argv);
	if (esmith_parse_root_option(&argc, &argv, &err) < 0)
		goto fail;
	r = parse_args(argc, argv, &a, &err);
	if (r == -2) {
		fprintf(stderr, USAGE "see '%s --help'\n", esmith_progname());
		ret = 2;
		goto out;
	}
	if (r < 0 || imagebuild_check(&a.o, &err) < 0)
		goto fail;
	e = engine_open_default(NULL, NULL, &err);
	if (!e)
		goto fail;
	prog.quiet = a.quiet;
	prog.tty = isatty(STDERR_FILENO);
	clock_gettime(CLOCK_MONOTONIC, &prog.start);
	prog.last = prog.start;
	a.o.progress = show_progress;
	a.o.progress_data = &prog;
	a.o.interrupted = &interrupted;
	catch_signals();
	if (imagebuild_run(e, &a.o, &res, &err) < 0) {
		if (interrupted)
			ret = 128 + interrupted;
		goto fail;
	}
	printf("%s %s\n", res.reference, res.image_id);
	ret = 0;
	goto out;
fail:
	fprintf(stderr, "%s: %s\n", esmith_progname(), err.buf);
out:
	imagebuild_result_release(&res);
	engine_free(e);
	engine_strlist_release(&a.cmd);
	engine_strlist_release(&a.ports);
	strbuf_release(&err);
	return ret;
}
