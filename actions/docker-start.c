/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * docker-start / docker-stop (one program, two names), as event actions:
 *   docker-start [--root DIR] docker-start NAME
 * or run directly:
 *   docker-start [--root DIR] NAME
 * Set the status of docker_containers record NAME to enabled (docker-start)
 * or disabled (docker-stop). docker-apply, later in the same event, then
 * applies NAME (and, for a start, what it links to).
 */
#include <stdio.h>
#include <string.h>

#include "db.h"
#include "util.h"
#include "banned.h"

int
main(int argc, char **argv)
{
	struct strbuf err = STRBUF_INIT;
	const char *name, *status;
	struct db *db;
	int ret = 1;

	esmith_set_progname(argv[0]);
	if (esmith_parse_root_option(&argc, &argv, &err) < 0)
		goto out;
	status = strstr(esmith_progname(), "stop") ? "disabled" : "enabled";
	if (argc == 3 && !strncmp(argv[1], "docker-", 7))
		name = argv[2];
	else if (argc == 2)
		name = argv[1];
	else {
		strbuf_addf(&err, "usage: %s [--root DIR] [EVENT] NAME",
			    esmith_progname());
		goto out;
	}
	db = db_open("docker_containers", &err);
	if (!db)
		goto out;
	if (!db_get(db, name)) {
		strbuf_addf(&err, "docker_containers: no record '%s'", name);
		db_free(db);
		goto out;
	}
	db_free(db);
	if (db_update_prop("docker_containers", name, "status", status, &err) <
	    0)
		goto out;
	ret = 0;
out:
	if (ret)
		fprintf(stderr, "%s: %s\n", esmith_progname(), err.buf);
	strbuf_release(&err);
	return ret;
}
