/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * docker-hosts: make the `hosts` database hold one record
 * `<SubDomainName>.<DomainName>` (type host, HostType Self) for each
 * enabled container with SubDomain enabled, so the server's DNS answers for
 * it; delete the records it made that are no longer wanted. Records it did
 * not make (without the DockerContainer property) are never changed.
 *
 * Usage: docker-hosts [--root DIR] [event [args...]]
 * Exit 0 when the hosts database is right (changed or not), 1 on bad
 * records (every problem printed; nothing changed), 2 on I/O errors.
 */
#include <stdio.h>
#include <string.h>

#include "db.h"
#include "util.h"
#include "web.h"
#include "banned.h"

/* Each line of `msg` prefixed with the program name. */
static void
print_lines(const char *msg)
{
	while (*msg) {
		size_t n = strcspn(msg, "\n");
		fprintf(stderr, "%s: %.*s\n", esmith_progname(), (int)n, msg);
		msg += n;
		if (*msg)
			msg++;
	}
}

int
main(int argc, char **argv)
{
	struct strbuf err = STRBUF_INIT;
	struct db *containers = NULL, *config = NULL, *hosts = NULL;
	int ret = 2, changed;

	esmith_set_progname(argv[0]);
	if (esmith_parse_root_option(&argc, &argv, &err) < 0)
		goto out;
	containers = db_open("docker_containers", &err);
	if (!containers)
		goto out;
	config = db_open("configuration", &err);
	if (!config)
		goto out;
	hosts = db_open_locked("hosts", &err);
	if (!hosts)
		goto out;
	changed = web_sync_hosts(containers, config, hosts, &err);
	if (changed < 0) {
		ret = 1;
		goto out;
	}
	if (db_commit(hosts, &err) < 0)
		goto out;
	if (changed)
		printf("hosts: %d record%s changed\n", changed,
		       changed == 1 ? "" : "s");
	ret = 0;
out:
	if (err.len) {
		strbuf_chomp(&err);
		print_lines(err.buf);
	}
	db_free(hosts);
	db_free(config);
	db_free(containers);
	strbuf_release(&err);
	return ret;
}
