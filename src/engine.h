/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef ENGINE_H
#define ENGINE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "strbuf.h"

/*
 * A client for the Docker Engine HTTP API (libcurl + cJSON).
 *
 * Transport: the engine's unix socket (default /var/run/docker.sock) or
 * TCP on the loopback interface. A non-loopback tcp:// endpoint is refused:
 * the API without TLS is root for anyone who can reach the port, and this
 * client speaks no TLS.
 *
 * Opening a client makes the handshake: `GET /_ping`, whose `API-Version`
 * header gives the engine's API version. Every later call uses versioned
 * paths, `/v1.41/...`, or the engine's own version when it is lower. An
 * engine below ENGINE_API_MIN is refused with a clear message.
 *
 * Conventions for every call below:
 * - Returns 0 on success (some calls return 1 for "nothing to do", said
 *   there) or a negative `enum engine_error`, with a message in `err`
 *   (lowercase, no full stop) saying what was tried and what the engine
 *   answered, e.g. `no such container: web` or
 *   `engine at unix:///var/run/docker.sock is not running (connect: no
 *   such file or directory)`. `err` is appended to, never reset.
 * - Nothing is printed. Warnings the engine returns (e.g. from create) go
 *   through esmith_warn().
 * - Every call has a connect timeout and a total timeout (struct
 *   engine_options); stop, restart, wait and import get long ones.
 * - Every response body is capped (engine_options.max_body); a larger one
 *   is ENGINE_ETOOBIG.
 * - Result structs are filled by the call and owned by the caller, who
 *   releases them with the matching `_release()` (contents) function.
 *   Releasing a zeroed struct is safe, and on failure a result struct is
 *   left zeroed (released), so `_release()` may always be called.
 * - String inputs (names, ids) are passed URL-encoded where they go into a
 *   path or query; the caller passes them plain.
 *
 * The client keeps a call counter (struct engine_stats): every HTTP request
 * counts as a call; POST, PUT and DELETE requests also count as mutating
 * calls, except engine_container_wait() (a POST that changes nothing).
 * Tests and benchmarks use it to assert "no mutating call was made".
 */

/* The API version used when the engine supports it, and the minimum. */
#define ENGINE_API_DEFAULT "1.41"
#define ENGINE_API_MIN "1.25"

/* The default socket, a host path (see engine_endpoint_from_config()). */
#define ENGINE_DEFAULT_SOCKET "/var/run/docker.sock"

enum engine_error {
	ENGINE_OK = 0,
	ENGINE_ERR = -1,	 /* anything else (bad argument, bad reply) */
	ENGINE_ENOTRUNNING = -2, /* cannot connect: engine not running */
	ENGINE_EPERM = -3,	 /* permission denied on the socket */
	ENGINE_ETIMEOUT = -4,	 /* connect or total timeout */
	ENGINE_ETOOBIG = -5,	 /* response body over the size cap */
	ENGINE_EPROTO = -6,	 /* malformed HTTP or JSON from the engine */
	ENGINE_EVERSION = -7,	 /* engine API below ENGINE_API_MIN */
	ENGINE_ECONFIG = -8,	 /* bad endpoint (DOCKER_HOST, database) */
	ENGINE_EBADREQ = -9,	 /* 400: the engine rejected the request */
	ENGINE_EFORBIDDEN = -10, /* 403 (e.g. already connected to network) */
	ENGINE_ENOTFOUND = -11,	 /* 404: no such container/image/network */
	ENGINE_ECONFLICT = -12,	 /* 409: name in use, container running */
	ENGINE_ESERVER = -13,	 /* 500 and other 5xx: the engine's message */
	ENGINE_ESTREAM = -14,	 /* {"error":...} inside a 200 stream */
	ENGINE_EABORTED = -15,	 /* the caller's read callback failed */
};

/* A short name for an error code ("not found", "conflict", ...). */
const char *engine_strerror(int code);

/* ---------------------------------------------------------------------------
 * Small containers used in results and specs. All own their strings.
 */

/* A list of strings (argv, env "K=V", aliases, "80/tcp" ports, ...). */
struct engine_strlist {
	char **items;
	size_t nr, alloc;
};
#define ENGINE_STRLIST_INIT \
	{                   \
		NULL, 0, 0  \
	}
void engine_strlist_add(struct engine_strlist *l, const char *s);
/* Add every string of a NULL-terminated array. */
void engine_strlist_add_argv(struct engine_strlist *l, const char *const *v);
int engine_strlist_has(const struct engine_strlist *l, const char *s);
void engine_strlist_release(struct engine_strlist *l);

/* Key/value pairs (labels). A NULL value is allowed only in filters. */
struct engine_kv {
	char *key;
	char *value;
};
struct engine_kvlist {
	struct engine_kv *items;
	size_t nr, alloc;
};
#define ENGINE_KVLIST_INIT \
	{                  \
		NULL, 0, 0 \
	}
/* Set `key` to `value` (replacing an earlier value of the same key). */
void
engine_kvlist_set(struct engine_kvlist *l, const char *key, const char *value);
/* The value of `key`, or NULL (absent, or present with a NULL value). */
const char *engine_kvlist_get(const struct engine_kvlist *l, const char *key);
void engine_kvlist_release(struct engine_kvlist *l);

/* ---------------------------------------------------------------------------
 * Endpoint and client.
 */

enum engine_transport {
	ENGINE_UNIX = 0,
	ENGINE_TCP,
};

struct engine_endpoint {
	enum engine_transport transport;
	char *socket_path; /* ENGINE_UNIX: absolute host path */
	char *host;	   /* ENGINE_TCP: loopback address, e.g. 127.0.0.1 */
	int port;	   /* ENGINE_TCP */
};
#define ENGINE_ENDPOINT_INIT               \
	{                                  \
		ENGINE_UNIX, NULL, NULL, 0 \
	}

/*
 * Parse a DOCKER_HOST-style string: `unix:///path` or
 * `tcp://HOST:PORT` (HOST one of 127.0.0.0/8, ::1, [::1], localhost).
 * A non-loopback tcp host, `tcp://` with TLS variables set
 * (DOCKER_TLS_VERIFY), or another scheme is ENGINE_ECONFIG with an
 * explanation.
 */
int engine_endpoint_parse(struct engine_endpoint *ep, const char *spec,
			  struct strbuf *err);

/*
 * Where the engine is, in this order:
 * 1. DOCKER_HOST from the environment, when set and non-empty;
 * 2. the `configuration` record `docker`: property `Socket` (a unix socket
 *    path), else property `TCPPort` (TCP on 127.0.0.1);
 * 3. ENGINE_DEFAULT_SOCKET.
 * The configuration database is read below the sandbox root like every
 * database, but the socket path is a host path and is used as it is, never
 * below the root: a sandbox root holds configuration, the engine is the
 * machine's (or the one DOCKER_HOST names). A Socket that is not absolute
 * or a TCPPort that is not a port number is ENGINE_ECONFIG naming the
 * record and property.
 */
int engine_endpoint_from_config(struct engine_endpoint *ep, struct strbuf *err);

/* `unix:///var/run/docker.sock` or `tcp://127.0.0.1:4243`. */
void
engine_endpoint_describe(const struct engine_endpoint *ep, struct strbuf *out);
void engine_endpoint_release(struct engine_endpoint *ep);

/* Timeouts in milliseconds (0: the default given after each field). */
struct engine_options {
	long connect_timeout_ms; /* 5000 */
	long timeout_ms;	 /* 60000: ordinary calls */
	long long_timeout_ms;	 /* 3600000: import (total) */
	size_t max_body;	 /* 16 MiB: cap on any response body */
};

struct engine;

/*
 * Open a client on `ep` (copied) with `opts` (NULL: defaults) and make the
 * handshake (GET /_ping). Returns NULL with a message in `err` when the
 * engine cannot be reached, refuses, or is too old; `code`, when not NULL,
 * receives the enum engine_error.
 */
struct engine *
engine_open(const struct engine_endpoint *ep, const struct engine_options *opts,
	    int *code, struct strbuf *err);
/* engine_endpoint_from_config() then engine_open(). */
struct engine *engine_open_default(const struct engine_options *opts, int *code,
				   struct strbuf *err);
/* Close the client; NULL does nothing. */
void engine_free(struct engine *e);

/* The API version in use, e.g. "1.41". */
const char *engine_api_version(const struct engine *e);
/* The endpoint the client talks to. */
const struct engine_endpoint *engine_get_endpoint(const struct engine *e);

struct engine_stats {
	unsigned long calls;	/* every HTTP request, the handshake included */
	unsigned long mutating; /* POST, PUT and DELETE requests but wait */
};
void engine_get_stats(const struct engine *e, struct engine_stats *st);
void engine_reset_stats(struct engine *e);

/* GET /_ping again. 0 when the engine answers OK. */
int engine_ping(struct engine *e, struct strbuf *err);

/*
 * A raw call, for what the typed API below does not cover: `method`
 * ("GET", "POST", ...), `path` after the version prefix ("/containers/json
 * ?all=1", already URL-encoded), an optional JSON body (sent with
 * Content-Type: application/json; NULL: empty body). The reply body is
 * appended to `reply`. Returns the HTTP status (2xx/3xx), or a negative
 * engine_error (4xx/5xx mapped, message from the engine in `err`).
 */
int
engine_request(struct engine *e, const char *method, const char *path,
	       const char *json_body, struct strbuf *reply, struct strbuf *err);

/* ---------------------------------------------------------------------------
 * System.
 */

struct engine_version {
	char *version;	       /* "20.10.24+dfsg1" */
	char *api_version;     /* "1.41" */
	char *min_api_version; /* "1.12" */
	char *os;	       /* "linux" */
	char *arch;	       /* "amd64" */
	char *kernel_version;
};
int engine_version(struct engine *e, struct engine_version *out,
		   struct strbuf *err);
void engine_version_release(struct engine_version *v);

struct engine_info {
	char *id;
	char *name; /* host name */
	char *server_version;
	char *docker_root_dir;
	char *storage_driver;
	char *cgroup_driver;
	char *cgroup_version;
	long containers, containers_running, images;
	long ncpu;
	int64_t mem_total;
	int memory_limit; /* the kernel supports memory limits */
};
int engine_info(struct engine *e, struct engine_info *out, struct strbuf *err);
void engine_info_release(struct engine_info *info);

/* ---------------------------------------------------------------------------
 * Containers.
 */

enum engine_restart {
	ENGINE_RESTART_DEFAULT = 0, /* unset ("": the engine's "no") */
	ENGINE_RESTART_NO,
	ENGINE_RESTART_ALWAYS,
	ENGINE_RESTART_UNLESS_STOPPED,
	ENGINE_RESTART_ON_FAILURE,
};
struct engine_restart_policy {
	enum engine_restart name;
	int max_retry; /* on-failure only */
};
/* "", "no", "always", "unless-stopped", "on-failure". */
const char *engine_restart_name(enum engine_restart r);
/* Parse one of those names; -1 when unknown. */
int engine_restart_parse(const char *s, enum engine_restart *out);

/* One published port: container port "80/tcp" to host ip:port. */
struct engine_port_binding {
	char *container_port; /* "80/tcp", "53/udp" */
	char *host_ip;	      /* "" or NULL: all addresses */
	char *host_port;      /* "8081"; "" or NULL: an ephemeral port */
};

enum engine_mount_type {
	ENGINE_MOUNT_BIND = 0,
	ENGINE_MOUNT_VOLUME,
	ENGINE_MOUNT_TMPFS,
	ENGINE_MOUNT_OTHER, /* only in results */
};
struct engine_mount {
	enum engine_mount_type type;
	char *source; /* host path (bind) or volume name (volume) */
	char *target; /* path in the container */
	int read_only;
};

/* One network the container is attached to. */
struct engine_net_attachment {
	char *network;	  /* network name ("bridge", "smenet") */
	char *network_id; /* "" when not known (container not started) */
	char *ip_address; /* "" when not started */
	struct engine_strlist aliases;
};

/* One entry of GET /containers/json. */
struct engine_container_summary {
	char *id;
	struct engine_strlist names; /* without the leading '/' */
	char *image;		     /* as given at create */
	char *image_id;		     /* "sha256:..." */
	char *state;		     /* "created", "running", "exited", ... */
	char *status;		     /* human text, "Up 2 minutes" */
	int64_t created;	     /* unix time */
	struct engine_kvlist labels;
};
struct engine_container_list {
	struct engine_container_summary *items;
	size_t nr;
};
void engine_container_list_release(struct engine_container_list *l);

/*
 * List containers (all of them when `all`, else running only). When
 * `labels` is not NULL, only containers having every label: an entry with
 * a value matches `key=value`, an entry with a NULL value matches the
 * presence of `key` (the engine ANDs label filters).
 */
int
engine_container_list(struct engine *e, int all,
		      const struct engine_kvlist *labels,
		      struct engine_container_list *out, struct strbuf *err);

/* GET /containers/{id}/json: what a reconciler needs to compare. */
struct engine_container {
	char *id;
	char *name;	/* without the leading '/' */
	char *image;	/* Config.Image, the reference given at create */
	char *image_id; /* Image, "sha256:..." */
	char *hostname;
	struct engine_strlist cmd;
	struct engine_strlist env;
	struct engine_kvlist labels;
	struct engine_strlist exposed_ports; /* "80/tcp", sorted */
	char *created;			     /* RFC 3339 */

	/* State. */
	char *status; /* "created", "running", "exited", "paused", ... */
	int running;
	int restarting;
	int exit_code;
	long pid;
	char *started_at; /* RFC 3339; "0001-01-01T00:00:00Z" if never */
	char *finished_at;

	/* HostConfig, as configured. */
	int64_t memory;	   /* bytes, 0: unlimited */
	int64_t nano_cpus; /* 1e9 = one CPU, 0: unlimited */
	struct engine_restart_policy restart_policy;
	char *network_mode;
	struct engine_port_binding *port_bindings; /* HostConfig.PortBindings */
	size_t nr_port_bindings;
	struct engine_strlist binds;	  /* "src:dst[:opts]" */
	struct engine_mount *host_mounts; /* HostConfig.Mounts */
	size_t nr_host_mounts;

	/* Effective state. */
	struct engine_mount *mounts; /* Mounts: binds and volumes in effect */
	size_t nr_mounts;
	struct engine_port_binding *ports; /* NetworkSettings.Ports bound */
	size_t nr_ports;
	struct engine_net_attachment *networks; /* NetworkSettings.Networks */
	size_t nr_networks;
};
int engine_container_inspect(struct engine *e, const char *name_or_id,
			     struct engine_container *out, struct strbuf *err);
void engine_container_release(struct engine_container *c);
/* The attachment to network `name`, or NULL. */
const struct engine_net_attachment *
engine_container_network(const struct engine_container *c, const char *name);

/*
 * What to create. Initialise with engine_container_spec_init(), fill the
 * fields (strings are owned: set them with xstrdup()), release with
 * engine_container_spec_release().
 */
struct engine_container_spec {
	char *name;		   /* NULL: the engine picks one */
	char *image;		   /* required */
	char *hostname;		   /* NULL: the engine's default */
	struct engine_strlist cmd; /* empty: the image's CMD */
	struct engine_strlist env; /* "KEY=value" */
	struct engine_kvlist labels;
	/* "80/tcp", "53/udp" ("80" means "80/tcp"). Ports of port_bindings
	 * are exposed too, without being listed here. */
	struct engine_strlist exposed_ports;
	struct engine_port_binding *port_bindings;
	size_t nr_port_bindings, alloc_port_bindings;
	int64_t memory;	   /* bytes; 0: unlimited (else at least 6 MiB) */
	int64_t nano_cpus; /* 1e9 = one CPU; 0: unlimited */
	struct engine_strlist binds; /* "src:dst[:ro]", legacy binds */
	struct engine_mount *mounts; /* bind (source must exist) or volume */
	size_t nr_mounts, alloc_mounts;
	char *network_mode; /* NULL: "default"; "bridge", "host", "none", or
			     * a user-defined network name */
	struct engine_restart_policy restart_policy;
	/* Aliases on the network_mode network (user-defined networks only). */
	struct engine_strlist aliases;
};
void engine_container_spec_init(struct engine_container_spec *s);
void engine_container_spec_release(struct engine_container_spec *s);
/* Publish `container_port` ("80/tcp") on host_ip:host_port (copied;
 * NULL host_ip: all addresses). */
void engine_container_spec_add_port(struct engine_container_spec *s,
				    const char *container_port,
				    const char *host_ip, const char *host_port);
void
engine_container_spec_add_mount(struct engine_container_spec *s,
				enum engine_mount_type type, const char *source,
				const char *target, int read_only);
/*
 * Check a container port and append its canonical form to `out`: "80" and
 * "80/tcp" give "80/tcp", "53/udp" gives "53/udp". Returns 0, or
 * ENGINE_ERR when it is not N/tcp or N/udp with N in 1-65535 (nothing
 * appended, no message: the caller names the place).
 */
int engine_port_normalize(const char *port, struct strbuf *out);

/*
 * The JSON body of POST /containers/create for `s`, appended to `out`.
 * Deterministic (object keys in a fixed order, labels and ports sorted):
 * a hash of it identifies the spec. Returns 0, or ENGINE_ERR with a message
 * when the spec is invalid (no image, a port like "80/sctp" or "x/tcp",
 * memory below 6 MiB, aliases with network mode host/none/default).
 */
int engine_container_spec_json(const struct engine_container_spec *s,
			       struct strbuf *out, struct strbuf *err);

/*
 * Create a container. `id_out`, when not NULL, receives the new id
 * (caller frees). 404: no such image; 409: the name is in use.
 */
int
engine_container_create(struct engine *e, const struct engine_container_spec *s,
			char **id_out, struct strbuf *err);
/* Start. Returns 0, or 1 when it was already running (304). */
int engine_container_start(struct engine *e, const char *name_or_id,
			   struct strbuf *err);
/* Stop, waiting `timeout_s` seconds before the kill (< 0: the engine's
 * default). Returns 0, or 1 when it was already stopped (304). */
int engine_container_stop(struct engine *e, const char *name_or_id,
			  int timeout_s, struct strbuf *err);
int engine_container_restart(struct engine *e, const char *name_or_id,
			     int timeout_s, struct strbuf *err);

enum engine_remove_flags {
	ENGINE_REMOVE_FORCE = 1 << 0,	/* kill it first if it runs */
	ENGINE_REMOVE_VOLUMES = 1 << 1, /* also its anonymous volumes */
};
/* Remove. Named volumes and bind sources are never removed; anonymous
 * volumes only with ENGINE_REMOVE_VOLUMES. 409: running without FORCE. */
int engine_container_remove(struct engine *e, const char *name_or_id,
			    unsigned flags, struct strbuf *err);
/* 409: the new name is in use. */
int engine_container_rename(struct engine *e, const char *name_or_id,
			    const char *new_name, struct strbuf *err);

/* Settings changed in place by POST /containers/{id}/update. */
enum engine_update_fields {
	ENGINE_UPDATE_MEMORY = 1 << 0,
	ENGINE_UPDATE_NANO_CPUS = 1 << 1,
	ENGINE_UPDATE_RESTART = 1 << 2,
};
struct engine_container_update {
	unsigned fields;   /* which of the following to apply */
	int64_t memory;	   /* bytes (> 0); MemorySwap follows as 2x, as at
			    * create */
	int64_t nano_cpus; /* 0: unlimited */
	struct engine_restart_policy restart_policy;
};
int engine_container_update(struct engine *e, const char *name_or_id,
			    const struct engine_container_update *u,
			    struct strbuf *err);

/* Wait until it stops (at most timeout_ms; 0: long_timeout_ms); the exit
 * code in `exit_code` when not NULL. */
int engine_container_wait(struct engine *e, const char *name_or_id,
			  long timeout_ms, int *exit_code, struct strbuf *err);

/* ---------------------------------------------------------------------------
 * Networks.
 */

struct engine_network {
	char *id;
	char *name;
	char *driver; /* "bridge" */
	char *scope;  /* "local" */
	int internal;
	char *subnet;  /* first IPAM config, "" when none */
	char *gateway; /* idem */
	struct engine_kvlist labels;
	/* inspect only: attached container ids (key) and names (value) */
	struct engine_kvlist containers;
};
struct engine_network_list {
	struct engine_network *items;
	size_t nr;
};
void engine_network_release(struct engine_network *n);
void engine_network_list_release(struct engine_network_list *l);

/* All networks, or those with every label in `labels` (as for
 * containers). */
int engine_network_list(struct engine *e, const struct engine_kvlist *labels,
			struct engine_network_list *out, struct strbuf *err);
int engine_network_inspect(struct engine *e, const char *name_or_id,
			   struct engine_network *out, struct strbuf *err);

struct engine_network_spec {
	const char *name;   /* required */
	const char *driver; /* NULL: "bridge" */
	int internal;
	const char *subnet;		    /* NULL: the engine picks */
	const char *gateway;		    /* NULL: the engine picks */
	const struct engine_kvlist *labels; /* may be NULL */
};
/* Create with CheckDuplicate: 409 when the name exists. `id_out` as for
 * containers. */
int
engine_network_create(struct engine *e, const struct engine_network_spec *spec,
		      char **id_out, struct strbuf *err);
int engine_network_remove(struct engine *e, const char *name_or_id,
			  struct strbuf *err);
/* Attach a container, with `aliases` (may be NULL) on that network.
 * 403: already attached. */
int engine_network_connect(struct engine *e, const char *network,
			   const char *container,
			   const struct engine_strlist *aliases,
			   struct strbuf *err);
int
engine_network_disconnect(struct engine *e, const char *network,
			  const char *container, int force, struct strbuf *err);

/* ---------------------------------------------------------------------------
 * Volumes.
 */

struct engine_volume {
	char *name;
	char *driver;
	char *mountpoint;
	char *created_at;
	struct engine_kvlist labels;
};
struct engine_volume_list {
	struct engine_volume *items;
	size_t nr;
};
void engine_volume_release(struct engine_volume *v);
void engine_volume_list_release(struct engine_volume_list *l);
int engine_volume_list(struct engine *e, const struct engine_kvlist *labels,
		       struct engine_volume_list *out, struct strbuf *err);
int engine_volume_inspect(struct engine *e, const char *name,
			  struct engine_volume *out, struct strbuf *err);
/* Create a local volume (an existing one of the same name is returned as
 * it is, as the engine does). `out` may be NULL. */
int engine_volume_create(struct engine *e, const char *name,
			 const struct engine_kvlist *labels,
			 struct engine_volume *out, struct strbuf *err);
/* 409: in use. */
int engine_volume_remove(struct engine *e, const char *name, int force,
			 struct strbuf *err);

/* ---------------------------------------------------------------------------
 * Images.
 */

struct engine_image {
	char *id;			 /* "sha256:..." */
	struct engine_strlist repo_tags; /* "name:tag" */
	int64_t created;		 /* unix time (list), 0 from inspect */
	int64_t size;
	struct engine_kvlist labels;
	/* inspect only (Config) */
	struct engine_strlist cmd;
	struct engine_strlist entrypoint;
	struct engine_strlist env;
	struct engine_strlist exposed_ports; /* sorted */
	char *working_dir;
	char *os;
	char *architecture;
};
struct engine_image_list {
	struct engine_image *items;
	size_t nr;
};
void engine_image_release(struct engine_image *img);
void engine_image_list_release(struct engine_image_list *l);
/* Images; `reference` (may be NULL) filters like `docker images REF`. */
int engine_image_list(struct engine *e, const char *reference,
		      struct engine_image_list *out, struct strbuf *err);
/* 404: no such image. */
int engine_image_inspect(struct engine *e, const char *name_or_id,
			 struct engine_image *out, struct strbuf *err);
/* 404: no such image; 409: used by a container (without force). */
int engine_image_remove(struct engine *e, const char *name_or_id, int force,
			struct strbuf *err);

/*
 * Check an image reference the way the engine will (name components in
 * lowercase letters, digits and separators, optional registry host[:port],
 * optional tag [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}, name at most 255
 * characters). Digests are not accepted here. When `repo`/`tag` are not
 * NULL they receive the parts (tag "latest" when none; caller frees).
 * Returns 0 or ENGINE_ERR with a message quoting the reference.
 */
int engine_reference_parse(const char *ref, char **repo, char **tag,
			   struct strbuf *err);

/*
 * A tar stream producer: fill `buf` with up to `len` bytes. Return the
 * number of bytes, 0 at the end, or -1 with a message in `err` to abort
 * the import.
 */
typedef ssize_t (*engine_read_fn)(void *data, char *buf, size_t len,
				  struct strbuf *err);
/* Progress of an import: each "status" line the engine streams. */
typedef void (*engine_status_fn)(void *data, const char *status);

struct engine_import {
	const char *repo; /* required, checked with engine_reference_parse */
	const char *tag;  /* NULL: "latest" */
	/* Dockerfile instructions applied to the image, e.g. `CMD
	 * ["/bin/httpd","-f"]`, `EXPOSE 80/tcp`: see engine_change_*(). */
	const struct engine_strlist *changes;
	const char *message; /* commit message, may be NULL */
	engine_read_fn read;
	void *read_data;
	engine_status_fn status; /* may be NULL */
	void *status_data;
};

/*
 * POST /images/create?fromSrc=- with the tar stream from imp->read, sent
 * chunked (empty Expect: header). The engine's JSON progress lines are
 * parsed as they arrive, across chunk boundaries; an {"error":...} line is
 * ENGINE_ESTREAM with the engine's message, although the HTTP status was
 * 200. On success `image_id` (may be NULL) receives "sha256:..." (caller
 * frees). Uses long_timeout_ms.
 */
int engine_image_import(struct engine *e, const struct engine_import *imp,
			char **image_id, struct strbuf *err);

/* Append `CMD ["a","b"]` (JSON array form) to `out`. */
void engine_change_cmd(struct strbuf *out, const char *const *argv);
/* Append `EXPOSE 80/tcp 53/udp` for the NULL-terminated port list. */
void engine_change_expose(struct strbuf *out, const char *const *ports);

#endif
