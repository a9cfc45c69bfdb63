/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef WEB_H
#define WEB_H

#include "strbuf.h"

struct db;
struct db_record;

/*
 * Web access for containers (README.md, "Web access for containers"): the
 * checks on the values that reach the Apache configuration, the cron file and
 * the hosts database, and the rules both the fragments and the actions follow.
 *
 * A container takes part when its record has type `service` and status
 * `enabled`. Its web port is the container port `WebPort`, else the first
 * of `TCPPort`; Apache reaches it on 127.0.0.1 at the host port: the same
 * number with PortMapping native (or network host), the host side of the
 * `host:container` pair in PortMappingPorts with PortMapping custom.
 *
 * The single-value checks return 0, or -1 with a short reason appended to
 * `err` ("expected ..."); the caller names database, record and property.
 */

/*
 * WebAlias: a letter or digit, then letters, digits, '.', '_', '-' (so no
 * '/', `..`, space, quote, '<', '>', '%' or newline); at most 64 bytes;
 * not one of the paths the server itself uses (server-manager, icons...).
 */
int web_check_alias(const char *alias, struct strbuf *err);

/* SubDomainName: one DNS label, lowercase letters, digits and '-', not
   starting or ending with '-', at most 63 bytes; not `www`. */
int web_check_label(const char *label, struct strbuf *err);

/*
 * StartSchedule / StopSchedule: five cron fields (minute hour day-of-month
 * month day-of-week), each a comma list of `*`, `N` or `N-M`, optionally
 * followed by `/STEP`, with numbers in the field's range; month and day
 * of week also take a single three-letter name (jan, mon); or one of
 * @reboot @hourly @daily @weekly @monthly @yearly @annually @midnight.
 */
int web_check_cron(const char *spec, struct strbuf *err);

/* A container name that may appear in a cron command line: a letter or
   digit, then letters, digits, '_', '.', '-'; at most 64 bytes. */
int web_check_name(const char *name, struct strbuf *err);

/* The SubDomainName of a container, or NULL when absent or empty (a
   problem while SubDomain is enabled). */
const char *web_subdomain_label(const struct db_record *rec);

/* 1 when the record is a `service` with status `enabled`. */
int web_container_enabled(const struct db_record *rec);

/* 1 when an enabled container has SubDomain `enabled`. */
int web_wants_subdomain(const struct db_record *rec);

/*
 * The host port Apache proxies to for an enabled container (see above).
 * Returns the port (1..65535), or -1 with the reason in `err`, naming the
 * property.
 */
long web_host_port(const struct db_record *rec, struct strbuf *err);

/*
 * Check every web property of every record of `containers` (the
 * docker_containers database) against `config` (the configuration
 * database: DomainName is needed when a subdomain is enabled): the values
 * above, a web port for each enabled container with WebAlias or
 * SubDomain, and no alias or subdomain claimed by two enabled containers.
 * Every problem is appended to `problems`, one a line, naming the
 * database, the record and the property:
 *   docker_containers: shop: SubDomainName 'Shop Front': expected ...
 * Values are shown with a newline as `\n` and other control bytes as
 * `\xNN`. Returns the number of problems (0: all is well).
 */
int
web_validate(struct db *containers, struct db *config, struct strbuf *problems);

/*
 * The same over the databases on disk (docker_containers, configuration,
 * below the sandbox root), for docker-validate, leaving out what the spec
 * model (dockspec_build) already reports: SubDomain not enabled/disabled,
 * SubDomainName missing, WebAlias and SubDomainName outside its syntax;
 * what is stricter here (lowercase labels, reserved names) is reported.
 * A database that cannot be read counts no problem here: the caller
 * reports it.
 */
int web_validate_all(struct strbuf *problems);

/*
 * The hosts database sync (actions/docker-hosts): make the records of
 * `hosts` match the enabled subdomains: `<label>.<DomainName>` of type
 * `host` with HostType Self, ExternalIP and InternalIP empty, and the
 * marker property `DockerContainer` naming the container. Records carrying
 * the marker that are no longer wanted are deleted; records without it are
 * never changed: a wanted name held by such a record is a problem. The
 * changes are made in memory (the caller commits). Returns the number of
 * records changed, or -1 with every problem in `problems` (then nothing
 * was changed).
 */
int web_sync_hosts(struct db *containers, struct db *config, struct db *hosts,
		   struct strbuf *problems);

#endif
