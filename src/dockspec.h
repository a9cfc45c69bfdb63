/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef DOCKSPEC_H
#define DOCKSPEC_H

#include <stddef.h>

#include "strbuf.h"

struct db;
struct db_record;

/*
 * The container spec model of the docker contrib.
 *
 * A container is described by a `docker_containers` record (the admin's
 * properties, see README.md, "The Docker contrib"), completed by the
 * `docker_images` record of its image (defaults the container inherits) and by
 * the `configuration` record `docker` (data roots, network name). The run spec
 * (`<name>.yml`, expanded from a template) carries the same properties in
 * YAML; both paths end in dockspec_build(), so the database, the YAML and
 * the engine see one interpretation.
 *
 * Every problem is reported, not just the first: each as one line
 * "<db>: <record>: <Property> '<value>': <what was expected>" appended to
 * `err`, and counted in the return value.
 */

/* Where the run specs are written (docker-specs) and read (docker-apply). */
#define DOCKSPEC_DIR "/etc/smeserver-docker/containers"
/* The template expanded into each run spec, with MORE_DATA CONTAINER. */
#define DOCKSPEC_TEMPLATE "/etc/smeserver-docker/container.yml"

/* A property list: name/value pairs in insertion order. */
struct dockspec_props {
	char **name;
	char **value;
	size_t nr, alloc;
};

void dockspec_props_set(struct dockspec_props *p, const char *name,
			const char *value);
const char *
dockspec_props_get(const struct dockspec_props *p, const char *name);
void dockspec_props_release(struct dockspec_props *p);

/* Settings from the `configuration` record `docker`. */
struct dockspec_config {
	char *network;	       /* project bridge network (Network) */
	char *data_mount_root; /* DataMountRoot: where host data dirs live */
	char *lan_ip;	       /* LAN address for access private, or NULL */
};

void dockspec_config_init(struct dockspec_config *cfg);
/* Read the `docker` record (and LocalIP) of `configuration` when not NULL. */
void dockspec_config_load(struct dockspec_config *cfg, const struct db *conf);
void dockspec_config_release(struct dockspec_config *cfg);
/*
 * Check the `docker` record of `configuration` (status, DataRoot,
 * DataMountRoot, Socket, TCPPort, TCPSocket, Network). Returns the number
 * of problems, each a line in `err`. A missing record is no problem.
 */
int dockspec_check_config(const struct db *conf, struct strbuf *err);

enum dockspec_proto { DOCKSPEC_TCP = 1 << 0, DOCKSPEC_UDP = 1 << 1 };

struct dockspec_port {
	int container;
	int host; /* 0: exposed only, not published */
	enum dockspec_proto proto;
};

struct dockspec_mount {
	char *target;  /* path inside the container */
	char *source;  /* SME absolute host dir, or volume name */
	int volume;    /* 1: named volume */
	int read_only; /* DataMountWrite no */
};

struct dockspec {
	char *name;
	int enabled;
	char *image;
	char **cmd;
	size_t ncmd;
	char **env; /* KEY=value */
	size_t nenv;
	struct dockspec_port *ports;
	size_t nports;
	char **bind_ips; /* addresses ports are published on; "" = all */
	size_t nbind_ips;
	int host_network;
	char *network; /* project network, NULL with host networking */
	struct dockspec_mount *mounts;
	size_t nmounts;
	char *data_owner; /* "uid:gid" for created host dirs, or NULL */
	char **links;	  /* Interlinked: names of dependencies */
	size_t nlinks;
	long priority;	     /* InterLinkPriority, default 50 */
	long long memory;    /* bytes, 0 = no limit */
	long long nano_cpus; /* 1e9 = one CPU, 0 = no limit */
	char *restart;	     /* restart policy, "unless-stopped" */
	char *web_alias;     /* WebAlias or NULL */
	char *subdomain;     /* SubDomainName when SubDomain enabled, or NULL */
	int stop_timeout;    /* StopTimeout: seconds before the kill, 10 */
	int invalid;	     /* built with problems (never returned) */
};

/*
 * Build `out` from a record's properties `rec` and the inherited `img`
 * (may be NULL). `dbname` names the source in messages. Returns the number
 * of problems (0: `out` is complete and valid; otherwise `out` is released).
 */
int dockspec_build(struct dockspec *out, const char *dbname, const char *name,
		   const struct dockspec_props *rec,
		   const struct dockspec_props *img,
		   const struct dockspec_config *cfg, struct strbuf *err);
void dockspec_release(struct dockspec *spec);

/*
 * Checks across containers: Interlinked names that exist, links to
 * disabled or host-network containers, link cycles, and host ports
 * published twice by enabled containers. Returns the number of problems.
 */
int dockspec_check_set(const struct dockspec *specs, size_t n,
		       const char *dbname, struct strbuf *err);

/*
 * Order for starting: dependencies before dependents, then by
 * InterLinkPriority, then by name. Fills `order` (n indexes). Returns 0,
 * or -1 when there is a cycle (dockspec_check_set reports it).
 */
int dockspec_start_order(const struct dockspec *specs, size_t n, size_t *order);

/*
 * The canonical form: every field the engine sees, in a fixed order, with
 * host paths as given (SME absolute). Its SHA-256 in hex (65 bytes with
 * NUL) is the spec hash stored in a label.
 */
void dockspec_canonical(const struct dockspec *spec, struct strbuf *out);
void dockspec_hash(const struct dockspec *spec, char hex[65]);

/* SHA-256 of `len` bytes as 64 hex digits plus NUL. */
void dockspec_sha256_hex(const void *data, size_t len, char hex[65]);

/*
 * Read every record of `docker_containers` (with `docker_images`) and
 * check it, one by one and across the set. On success (return 0) the specs
 * are in *specs / *n, sorted by name. Otherwise the number of problems.
 */
int dockspec_load_db(const struct db *containers, const struct db *images,
		     const struct dockspec_config *cfg, struct dockspec **specs,
		     size_t *n, struct strbuf *err);
void dockspec_free_all(struct dockspec *specs, size_t n);

/*
 * The properties a container record inherits: those of the docker_images
 * record named by its Image (as written, else without its tag), or, with
 * no Image, the record named like the container. `Reference` is added when
 * the record has none: its key, with `:<Tag>` when it has a Tag (as
 * docker-image-build records images). Returns 1 when a record was found.
 */
int dockspec_image_props(const struct db *images, const struct db_record *rec,
			 struct dockspec_props *out);
/* True when an image reference carries a tag or a digest. */
int dockspec_has_tag(const char *ref);

/*
 * Everything docker-validate checks: open `configuration`,
 * `docker_containers` and `docker_images` (below the sandbox root), load
 * `cfg` (initialised by the caller) and check the `docker` record and
 * every container. On success (0) the specs are returned as by
 * dockspec_load_db(); otherwise the number of problems (a database that
 * cannot be read counts as one).
 */
int dockspec_load_all(struct dockspec_config *cfg, struct dockspec **specs,
		      size_t *n, struct strbuf *err);

/*
 * A run spec file: YAML with a mapping holding `name`, `record` (the
 * container's properties, string values) and optionally `image` (the
 * inherited properties). `where` names the file in messages. Returns the
 * number of problems, like dockspec_build().
 */
int dockspec_parse_yaml(struct dockspec *out, const char *where,
			const char *text, size_t len,
			const struct dockspec_config *cfg, struct strbuf *err);

/*
 * Read the run spec DOCKSPEC_DIR/<name>.yml (below the sandbox root) of
 * each of the `n` names, check each and the set. Returns 0 with the specs
 * in *out (in the order of `names`), or the number of problems.
 */
int dockspec_load_run_specs(const char *const *names, size_t n,
			    const struct dockspec_config *cfg,
			    struct dockspec **out, struct strbuf *err);

/*
 * The YAML run spec of a record, with every value single-quoted, as the
 * template writes it (used by tests and by docker-specs --stdout).
 */
void
dockspec_props_to_yaml(const char *name, const struct dockspec_props *rec,
		       const struct dockspec_props *img, struct strbuf *out);

#endif
