/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * docker-validate [--root DIR] [EVENT [ARGS...]]
 *
 * The first action of docker-update: check the `docker` configuration
 * record and every docker_containers record (with the docker_images
 * records they inherit from), one by one and as a set. Every problem is
 * printed, one a line; the exit status is 1 when there is any.
 */
#include <stdio.h>
#include <stdlib.h>

#include "dockspec.h"
#include "util.h"
#include "web.h"
#include "banned.h"

int
main(int argc, char **argv)
{
	struct strbuf err = STRBUF_INIT;
	struct dockspec_config cfg;
	struct dockspec *specs;
	size_t n;
	int problems;

	esmith_set_progname(argv[0]);
	if (esmith_parse_root_option(&argc, &argv, &err) < 0) {
		fprintf(stderr, "%s: %s\n", esmith_progname(), err.buf);
		return 2;
	}
	dockspec_config_init(&cfg);
	problems = dockspec_load_all(&cfg, &specs, &n, &err);
	problems += web_validate_all(&err);
	if (problems)
		fprintf(stderr, "%s%s: %d problem%s, nothing applied\n",
			err.buf, esmith_progname(), problems,
			problems == 1 ? "" : "s");
	dockspec_free_all(specs, n);
	dockspec_config_release(&cfg);
	strbuf_release(&err);
	return problems ? 1 : 0;
}
