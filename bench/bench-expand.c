/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench-expand: expand every target of a benchmark root in this one
 * process, ROUNDS times each, and print the mean time per expansion,
 * wall clock and CPU: `<target> <wall-seconds> <cpu-seconds>` a line, then
 * `total <wall> <cpu>`.
 *
 * usage: bench-expand ROOT TARGETS-FILE ROUNDS
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "expand.h"
#include "util.h"
#include "banned.h"

static double
now(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
bench_target(const char *target, long rounds, double *wall, double *cpu)
{
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
	struct expand_opts o = { 0 };
	double t0, c0;
	long i;
	int ret = 0;

	o.target = target;
	o.output = &out;
	t0 = now(CLOCK_MONOTONIC);
	c0 = now(CLOCK_PROCESS_CPUTIME_ID);
	for (i = 0; i < rounds && ret == 0; i++) {
		strbuf_reset(&out);
		if (expand_template(&o, &err) < 0) {
			fprintf(stderr, "bench-expand: %s\n", err.buf);
			ret = -1;
		}
	}
	*wall = (now(CLOCK_MONOTONIC) - t0) / (double)rounds;
	*cpu = (now(CLOCK_PROCESS_CPUTIME_ID) - c0) / (double)rounds;
	strbuf_release(&out);
	strbuf_release(&err);
	return ret;
}

int
main(int argc, char **argv)
{
	struct strbuf list = STRBUF_INIT;
	double total = 0, total_cpu = 0, wall, cpu;
	long rounds;
	char *line, *next;

	if (argc != 4 || !parse_long(argv[3], &rounds) || rounds < 1) {
		fprintf(stderr,
			"usage: bench-expand ROOT TARGETS-FILE ROUNDS\n");
		return 255;
	}
	esmith_set_root(argv[1]);
	if (strbuf_read_file(&list, argv[2], 0) < 0) {
		fprintf(stderr, "bench-expand: %s: cannot read\n", argv[2]);
		return 1;
	}
	for (line = list.buf; *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		else
			next = line + strlen(line);
		if (!*line)
			continue;
		if (bench_target(line, rounds, &wall, &cpu) < 0)
			return 1;
		printf("%s %.9f %.9f\n", line, wall, cpu);
		total += wall;
		total_cpu += cpu;
	}
	printf("total %.9f %.9f\n", total, total_cpu);
	strbuf_release(&list);
	return 0;
}
