/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <yaml.h>

#include "db.h"
#include "dockspec.h"
#include "util.h"
#include "banned.h"

#define DEFAULT_NETWORK "smeserver"
#define DEFAULT_DATA_MOUNT_ROOT "/home/e-smith/files/docker-data"
#define DEFAULT_PRIORITY 50
#define MIN_MEMORY (6LL * 1024 * 1024)
#define MAX_YAML (1024 * 1024)

/* ---- property lists ------------------------------------------------ */

void
dockspec_props_set(struct dockspec_props *p, const char *name,
		   const char *value)
{
	size_t i, a;

	for (i = 0; i < p->nr; i++) {
		if (!strcmp(p->name[i], name)) {
			free(p->value[i]);
			p->value[i] = xstrdup(value);
			return;
		}
	}
	a = p->alloc;
	p->name = xgrow(p->name, &a, p->nr + 1, sizeof(*p->name));
	p->value = xgrow(p->value, &p->alloc, p->nr + 1, sizeof(*p->value));
	p->name[p->nr] = xstrdup(name);
	p->value[p->nr] = xstrdup(value);
	p->nr++;
}

const char *
dockspec_props_get(const struct dockspec_props *p, const char *name)
{
	size_t i;

	if (!p)
		return NULL;
	for (i = 0; i < p->nr; i++)
		if (!strcmp(p->name[i], name))
			return p->value[i];
	return NULL;
}

void
dockspec_props_release(struct dockspec_props *p)
{
	size_t i;

	for (i = 0; i < p->nr; i++) {
		free(p->name[i]);
		free(p->value[i]);
	}
	free(p->name);
	free(p->value);
	memset(p, 0, sizeof(*p));
}

static void
props_from_record(struct dockspec_props *p, const struct db_record *rec)
{
	size_t i;

	for (i = 0; i < db_record_nprops(rec); i++)
		dockspec_props_set(p, db_record_prop_name(rec, i),
				   db_record_prop_value(rec, i));
}

/* ---- configuration ------------------------------------------------- */

void
dockspec_config_init(struct dockspec_config *cfg)
{
	cfg->network = xstrdup(DEFAULT_NETWORK);
	cfg->data_mount_root = xstrdup(DEFAULT_DATA_MOUNT_ROOT);
	cfg->lan_ip = NULL;
}

static void
config_take(char **dst, const struct db_record *rec, const char *prop)
{
	const char *v = rec ? db_record_prop(rec, prop) : NULL;

	if (v && *v) {
		free(*dst);
		*dst = xstrdup(v);
	}
}

void
dockspec_config_load(struct dockspec_config *cfg, const struct db *conf)
{
	struct db_record *rec;

	if (!conf)
		return;
	rec = db_get(conf, "docker");
	config_take(&cfg->network, rec, "Network");
	config_take(&cfg->data_mount_root, rec, "DataMountRoot");
	rec = db_get(conf, "docker");
	if (rec && db_record_prop(rec, "PrivateBind")) {
		config_take(&cfg->lan_ip, rec, "PrivateBind");
		return;
	}
	rec = db_get(conf, "LocalIP");
	if (rec && *db_record_type(rec)) {
		free(cfg->lan_ip);
		cfg->lan_ip = xstrdup(db_record_type(rec));
	}
}

void
dockspec_config_release(struct dockspec_config *cfg)
{
	free(cfg->network);
	free(cfg->data_mount_root);
	free(cfg->lan_ip);
	memset(cfg, 0, sizeof(*cfg));
}

/* ---- small parsers ------------------------------------------------- */

struct ctx {
	const char *db;
	const char *name;
	struct strbuf *err;
	int problems;
};

static void __attribute__((format(printf, 4, 5)))
problem(struct ctx *c, const char *prop, const char *value, const char *fmt,
	...)
{
	va_list ap;

	strbuf_addf(c->err, "%s: %s: ", c->db, c->name);
	if (prop && value)
		strbuf_addf(c->err, "%s '%s': ", prop, value);
	else if (prop)
		strbuf_addf(c->err, "%s: ", prop);
	va_start(ap, fmt);
	strbuf_vaddf(c->err, fmt, ap);
	va_end(ap);
	strbuf_addch(c->err, '\n');
	c->problems++;
}

static void
list_push(char ***list, size_t *n, const char *s, size_t len)
{
	*list = xrealloc(*list, (*n + 1) * sizeof(**list));
	(*list)[(*n)++] = xstrndup(s, len);
}

static void
list_free(char **list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

/* Split on `sep`, trimming blanks; empty items are dropped. */
static void
split(const char *s, int sep, char ***out, size_t *n)
{
	const char *p = s, *e, *a, *b;

	*out = NULL;
	*n = 0;
	if (!s)
		return;
	while (*p) {
		e = strchr(p, sep);
		if (!e)
			e = p + strlen(p);
		a = p;
		b = e;
		while (a < b && isspace((unsigned char)*a))
			a++;
		while (b > a && isspace((unsigned char)b[-1]))
			b--;
		if (b > a)
			list_push(out, n, a, (size_t)(b - a));
		p = *e ? e + 1 : e;
	}
}

static int
is_digits(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

static int
parse_port(const char *s)
{
	long v;

	if (!is_digits(s) || strlen(s) > 5 || !parse_long(s, &v) || v < 1 ||
	    v > 65535)
		return -1;
	return (int)v;
}

int
dockspec_has_tag(const char *ref)
{
	const char *slash = strrchr(ref, '/');
	const char *colon = strrchr(slash ? slash : ref, ':');

	return colon != NULL || strchr(ref, '@') != NULL;
}

/* Container names: what Docker and DNS both accept. */
static int
valid_name(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 63 ||
	    !(islower((unsigned char)s[0]) || isdigit((unsigned char)s[0])))
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (!(islower(ch) || isdigit(ch) || ch == '-' || ch == '_'))
			return 0;
	}
	return 1;
}

static int
chars_in(const char *s, const char *extra)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (!isalnum(ch) && !strchr(extra, ch))
			return 0;
	}
	return 1;
}

static int
valid_image(const char *s)
{
	return *s && isalnum((unsigned char)*s) && strlen(s) <= 255 &&
	       chars_in(s, "._/:@-");
}

static int
valid_label(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= 63 && isalnum((unsigned char)s[0]) &&
	       isalnum((unsigned char)s[n - 1]) && chars_in(s, "-");
}

static int
valid_web_alias(const char *s)
{
	return *s && strlen(s) <= 64 && isalnum((unsigned char)s[0]) &&
	       chars_in(s, "._-");
}

/* Absolute, clean, and free of characters that mean something to Docker
   (':' and ',' separate bind fields) or to a config file. */
static int
valid_path(const char *s)
{
	const char *p;

	if (s[0] != '/' || strlen(s) > 1024 || !chars_in(s, "/._+@-"))
		return 0;
	for (p = s; *p; p++) {
		if (p[0] == '/' && p[1] == '/')
			return 0;
		if (p[0] == '/' && p[1] == '.' &&
		    (p[2] == '/' || p[2] == '\0' ||
		     (p[2] == '.' && (p[3] == '/' || p[3] == '\0'))))
			return 0;
	}
	return 1;
}

static int
path_under(const char *path, const char *root)
{
	size_t n = strlen(root);

	while (n > 1 && root[n - 1] == '/')
		n--;
	return !strncmp(path, root, n) && (path[n] == '/' || path[n] == '\0');
}

/* "512" (megabytes), "512M", "2G", "65536K", "1073741824B". */
static long long
parse_size(const char *s)
{
	unsigned long long v = 0, mul = 1024ULL * 1024;
	const char *p = s;

	if (!isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		v = v * 10 + (unsigned)(*p - '0');
		if (v > (1ULL << 40))
			return -1;
	}
	switch (toupper((unsigned char)*p)) {
	case '\0':
		break;
	case 'B':
		mul = 1;
		break;
	case 'K':
		mul = 1024;
		break;
	case 'M':
		break;
	case 'G':
		mul = 1024ULL * 1024 * 1024;
		break;
	default:
		return -1;
	}
	if (*p && p[1] &&
	    !(toupper((unsigned char)p[1]) == 'B' && !p[2] && mul != 1))
		return -1;
	if (v > (1ULL << 50) / mul)
		return -1;
	return (long long)(v * mul);
}

/* "0.5", "2", "1.25": CPUs, at most 2 decimals, in 0.01..1024. */
static long long
parse_cpu(const char *s)
{
	long long whole = 0, frac = 0, scale = 100000000;
	const char *p = s;
	int digits = 0;

	if (!isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		whole = whole * 10 + (*p - '0');
		if (whole > 1024)
			return -1;
	}
	if (*p == '.') {
		for (p++; isdigit((unsigned char)*p); p++) {
			if (++digits > 2)
				return -1;
			frac += (*p - '0') * scale;
			scale /= 10;
		}
		if (!digits)
			return -1;
	}
	if (*p)
		return -1;
	whole = whole * 1000000000LL + frac;
	if (whole < 10000000LL || whole > 1024LL * 1000000000LL)
		return -1;
	return whole;
}

static int
has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

static void
check_conf_choice(struct ctx *c, const struct db_record *rec, const char *prop,
		  const char *a, const char *b)
{
	const char *v = db_record_prop(rec, prop);

	if (v && strcmp(v, a) && strcmp(v, b))
		problem(c, prop, v, "expected %s or %s", a, b);
}

static void
check_conf_path(struct ctx *c, const struct db_record *rec, const char *prop)
{
	const char *v = db_record_prop(rec, prop);

	if (v && (!valid_path(v) || !strcmp(v, "/")))
		problem(c, prop, v,
			"expected an absolute path without '..', '//' or "
			"special characters");
}

int
dockspec_check_config(const struct db *conf, struct strbuf *err)
{
	struct ctx c = { "configuration", "docker", err, 0 };
	const struct db_record *rec = conf ? db_get(conf, "docker") : NULL;
	const char *v;

	if (!rec)
		return 0;
	check_conf_choice(&c, rec, "status", "enabled", "disabled");
	check_conf_choice(&c, rec, "TCPSocket", "enabled", "disabled");
	check_conf_path(&c, rec, "DataRoot");
	check_conf_path(&c, rec, "DataMountRoot");
	check_conf_path(&c, rec, "Socket");
	v = db_record_prop(rec, "TCPPort");
	if (v && parse_port(v) < 0)
		problem(&c, "TCPPort", v, "expected a port number 1-65535");
	v = db_record_prop(rec, "Network");
	if (v && (!valid_name(v) || !strcmp(v, "host") ||
		  !strcmp(v, "bridge") || !strcmp(v, "none")))
		problem(&c, "Network", v,
			"expected a network name (lowercase letters, digits, "
			"'-', '_'; not bridge, host or none)");
	return c.problems;
}

/* ---- building one spec ---------------------------------------------- */

static const char *const known_props[] = {
	"status",
	"Image",
	"Cmd",
	"Env",
	"TCPPort",
	"UDPPort",
	"PortMapping",
	"PortMappingPorts",
	"access",
	"network",
	"MountPath",
	"DataMount",
	"DataMountWrite",
	"DataMountPath",
	"DataMountOwner",
	"DataMountOutside",
	"Interlinked",
	"InterLinkPriority",
	"MaxMemory",
	"MaxCpu",
	"SubDomain",
	"SubDomainName",
	"WebAlias",
	"WebPort",
	"StartSchedule",
	"StopSchedule",
	"Restart",
	"StopTimeout",
	"Description",
	"Reference",
	NULL,
};

static int
known_prop(const char *p)
{
	size_t i;

	for (i = 0; known_props[i]; i++)
		if (!strcmp(known_props[i], p))
			return 1;
	return 0;
}

struct src {
	const struct dockspec_props *rec, *img;
};

/* The container's value, else the image's (status and Image excepted). */
static const char *
prop(const struct src *s, const char *name)
{
	const char *v = dockspec_props_get(s->rec, name);

	if (v || !strcmp(name, "status") || !strcmp(name, "Image"))
		return v;
	return dockspec_props_get(s->img, name);
}

static int
choice(struct ctx *c, const struct src *s, const char *name,
       const char *const *values, int def)
{
	const char *v = prop(s, name);
	int i;

	if (!v || !*v)
		return def;
	for (i = 0; values[i]; i++)
		if (!strcmp(values[i], v))
			return i;
	problem(c, name, v, "expected %s", "");
	strbuf_setlen(c->err, c->err->len - 1); /* list the values */
	for (i = 0; values[i]; i++)
		strbuf_addf(c->err, "%s%s",
			    i == 0	    ? ""
			    : values[i + 1] ? ", "
					    : " or ",
			    values[i]);
	strbuf_addch(c->err, '\n');
	return def;
}

static void
build_status(struct ctx *c, const struct src *s, struct dockspec *o)
{
	static const char *const v[] = { "disabled", "enabled", NULL };
	const char *st = prop(s, "status");

	if (!st)
		problem(c, "status", NULL, "missing (enabled or disabled)");
	o->enabled = choice(c, s, "status", v, 0);
}

static void
build_image(struct ctx *c, const struct src *s, struct dockspec *o)
{
	const char *v = dockspec_props_get(s->rec, "Image");

	if (!v || !*v || !dockspec_has_tag(v)) {
		const char *r = dockspec_props_get(s->img, "Reference");

		if (r && *r)
			v = r;
	}
	if (!v || !*v) {
		problem(c, "Image", NULL,
			"missing: set an image reference or a docker_images "
			"record");
		return;
	}
	if (!valid_image(v)) {
		problem(c, "Image", v,
			"expected an image reference like debian:12");
		return;
	}
	o->image = xstrdup(v);
}

/* Cmd in JSON array form: ["/bin/sh","-c","echo a b"]. */
static void
cmd_json(struct ctx *c, const char *v, struct dockspec *o)
{
	cJSON *arr = cJSON_Parse(v), *it;
	int ok = cJSON_IsArray(arr) && cJSON_GetArraySize(arr) > 0;

	for (it = ok ? arr->child : NULL; it; it = it->next)
		if (!cJSON_IsString(it))
			ok = 0;
	if (!ok) {
		problem(c, "Cmd", v,
			"expected words separated by spaces, or a JSON array "
			"of strings");
	} else {
		cJSON_ArrayForEach(it, arr)
		{
			list_push(&o->cmd, &o->ncmd, it->valuestring,
				  strlen(it->valuestring));
		}
	}
	cJSON_Delete(arr);
}

static void
build_cmd_env(struct ctx *c, const struct src *s, struct dockspec *o)
{
	const char *cmd = prop(s, "Cmd");
	char **env;
	size_t i, j, n;

	if (cmd && *cmd == '[') {
		cmd_json(c, cmd, o);
	} else if (cmd) {
		const char *p = cmd, *e;

		while (*p) {
			while (*p == ' ' || *p == '\t')
				p++;
			for (e = p; *e && *e != ' ' && *e != '\t'; e++)
				;
			if (e > p)
				list_push(&o->cmd, &o->ncmd, p,
					  (size_t)(e - p));
			p = e;
		}
	}
	split(prop(s, "Env"), ',', &env, &n);
	for (i = 0; i < n; i++) {
		const char *eq = strchr(env[i], '=');
		int ok =
			eq && eq > env[i] &&
			(isalpha((unsigned char)env[i][0]) || env[i][0] == '_');

		for (j = 0; ok && env[i] + j < eq; j++)
			if (!isalnum((unsigned char)env[i][j]) &&
			    env[i][j] != '_')
				ok = 0;
		if (!ok)
			problem(c, "Env", env[i],
				"expected NAME=value items separated by ','");
		else
			list_push(&o->env, &o->nenv, env[i], strlen(env[i]));
	}
	list_free(env, n);
}

static int
parse_port_list(struct ctx *c, const struct src *s, const char *name, int **out,
		size_t *n)
{
	char **items;
	size_t i, k, ni;

	*out = NULL;
	*n = 0;
	split(prop(s, name), ',', &items, &ni);
	for (i = 0; i < ni; i++) {
		int p = parse_port(items[i]);

		if (p < 0) {
			problem(c, name, items[i],
				"expected a port number 1-65535");
			continue;
		}
		for (k = 0; k < *n; k++)
			if ((*out)[k] == p)
				break;
		if (k < *n)
			continue;
		*out = xrealloc(*out, (*n + 1) * sizeof(**out));
		(*out)[(*n)++] = p;
	}
	list_free(items, ni);
	return 0;
}

static void
add_port(struct dockspec *o, int container, int host, enum dockspec_proto proto)
{
	o->ports = xrealloc(o->ports, (o->nports + 1) * sizeof(*o->ports));
	o->ports[o->nports].container = container;
	o->ports[o->nports].host = host;
	o->ports[o->nports].proto = proto;
	o->nports++;
}

static int
in_list(const int *l, size_t n, int v)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (l[i] == v)
			return 1;
	return 0;
}

static void
build_custom_ports(struct ctx *c, const struct src *s, struct dockspec *o,
		   const int *tcp, size_t ntcp, const int *udp, size_t nudp)
{
	char **pairs;
	size_t i, n;

	split(prop(s, "PortMappingPorts"), ',', &pairs, &n);
	if (!n)
		problem(c, "PortMappingPorts", NULL,
			"missing: PortMapping custom needs host:container "
			"pairs");
	for (i = 0; i < n; i++) {
		char *colon = strchr(pairs[i], ':');
		int h, ct, proto = 0;

		if (!colon) {
			problem(c, "PortMappingPorts", pairs[i],
				"expected host:container port pairs");
			continue;
		}
		*colon = '\0';
		h = parse_port(pairs[i]);
		ct = parse_port(colon + 1);
		*colon = ':';
		if (h < 0 || ct < 0) {
			problem(c, "PortMappingPorts", pairs[i],
				"expected host:container port pairs, each "
				"1-65535");
			continue;
		}
		if (in_list(tcp, ntcp, ct))
			proto |= DOCKSPEC_TCP;
		if (in_list(udp, nudp, ct))
			proto |= DOCKSPEC_UDP;
		if (!proto) {
			problem(c, "PortMappingPorts", pairs[i],
				"container port %d is in neither TCPPort nor "
				"UDPPort",
				ct);
			continue;
		}
		if (proto & DOCKSPEC_TCP)
			add_port(o, ct, h, DOCKSPEC_TCP);
		if (proto & DOCKSPEC_UDP)
			add_port(o, ct, h, DOCKSPEC_UDP);
	}
	list_free(pairs, n);
}

static void
build_ports(struct ctx *c, const struct src *s, struct dockspec *o,
	    const struct dockspec_config *cfg)
{
	static const char *const mapping[] = { "native", "custom", NULL };
	static const char *const access[] = { "private", "public", NULL };
	static const char *const network[] = { "bridge", "host", NULL };
	int *tcp, *udp, custom, pub;
	size_t ntcp, nudp, i, j;

	o->host_network = choice(c, s, "network", network, 0);
	parse_port_list(c, s, "TCPPort", &tcp, &ntcp);
	parse_port_list(c, s, "UDPPort", &udp, &nudp);
	custom = choice(c, s, "PortMapping", mapping, 0);
	pub = choice(c, s, "access", access, 0);
	if (!custom && prop(s, "PortMappingPorts") &&
	    *prop(s, "PortMappingPorts"))
		problem(c, "PortMappingPorts", prop(s, "PortMappingPorts"),
			"set, but PortMapping is not custom");
	if (custom && o->host_network)
		problem(c, "PortMapping", "custom",
			"not possible with network host");
	if (custom && !o->host_network) {
		build_custom_ports(c, s, o, tcp, ntcp, udp, nudp);
		/* ports not mapped stay exposed */
		for (i = 0; i < ntcp + nudp; i++) {
			int p = i < ntcp ? tcp[i] : udp[i - ntcp];
			enum dockspec_proto pr =
				i < ntcp ? DOCKSPEC_TCP : DOCKSPEC_UDP;

			for (j = 0; j < o->nports; j++)
				if (o->ports[j].container == p &&
				    o->ports[j].proto == pr)
					break;
			if (j == o->nports)
				add_port(o, p, 0, pr);
		}
	} else {
		for (i = 0; i < ntcp; i++)
			add_port(o, tcp[i], tcp[i], DOCKSPEC_TCP);
		for (i = 0; i < nudp; i++)
			add_port(o, udp[i], udp[i], DOCKSPEC_UDP);
	}
	free(tcp);
	free(udp);
	if (pub)
		list_push(&o->bind_ips, &o->nbind_ips, "", 0);
	else
		list_push(&o->bind_ips, &o->nbind_ips, "127.0.0.1", 9);
	if (!pub && cfg->lan_ip && *cfg->lan_ip)
		list_push(&o->bind_ips, &o->nbind_ips, cfg->lan_ip,
			  strlen(cfg->lan_ip));
}

static char *
mount_subdir(const char *target)
{
	char *d = xstrdup(target[1] ? target + 1 : "root");
	char *p;

	for (p = d; *p; p++)
		if (*p == '/')
			*p = '_';
	return d;
}

static void
build_one_mount(struct ctx *c, struct dockspec *o, const char *target,
		const char *base, int volume, int ro)
{
	struct dockspec_mount *m;
	struct strbuf sb = STRBUF_INIT;
	char *sub = mount_subdir(target);
	size_t i;

	if (volume)
		strbuf_addf(&sb, "%s_%s", o->name, sub);
	else
		strbuf_addf(&sb, "%s/%s", base, sub);
	for (i = 0; i < o->nmounts; i++) {
		if (!strcmp(o->mounts[i].source, sb.buf) ||
		    !strcmp(o->mounts[i].target, target)) {
			problem(c, "MountPath", target,
				"clashes with MountPath '%s'",
				o->mounts[i].target);
			goto out;
		}
	}
	o->mounts = xrealloc(o->mounts, (o->nmounts + 1) * sizeof(*o->mounts));
	m = &o->mounts[o->nmounts++];
	m->target = xstrdup(target);
	m->source = strbuf_detach(&sb, NULL);
	m->volume = volume;
	m->read_only = ro;
out:
	strbuf_release(&sb);
	free(sub);
}

static void
build_mounts(struct ctx *c, const struct src *s, struct dockspec *o,
	     const struct dockspec_config *cfg)
{
	static const char *const kind[] = { "host", "container", NULL };
	static const char *const yesno[] = { "yes", "no", NULL };
	const char *dmp = prop(s, "DataMountPath");
	const char *owner = prop(s, "DataMountOwner");
	struct strbuf base = STRBUF_INIT;
	char **paths;
	size_t i, n;
	int volume = choice(c, s, "DataMount", kind, 0);
	int ro = choice(c, s, "DataMountWrite", yesno, 0);
	int outside = choice(c, s, "DataMountOutside", yesno, 1) == 0;

	if (dmp && *dmp) {
		if (!valid_path(dmp))
			problem(c, "DataMountPath", dmp,
				"expected an absolute path without '..', "
				"'//' or special characters");
		else if (!outside && !path_under(dmp, cfg->data_mount_root))
			problem(c, "DataMountPath", dmp,
				"outside the data root %s (set "
				"DataMountOutside yes to allow)",
				cfg->data_mount_root);
		strbuf_addstr(&base, dmp);
	} else {
		strbuf_addf(&base, "%s/%s", cfg->data_mount_root, o->name);
	}
	if (owner && *owner) {
		const char *col = strchr(owner, ':');
		char *u = xstrndup(owner,
				   col ? (size_t)(col - owner) : strlen(owner));

		if (!is_digits(u) || strlen(u) > 9 ||
		    (col && (!is_digits(col + 1) || strlen(col + 1) > 9)))
			problem(c, "DataMountOwner", owner,
				"expected uid or uid:gid, numeric");
		else
			o->data_owner = xstrdup(owner);
		free(u);
	}
	split(prop(s, "MountPath"), ',', &paths, &n);
	for (i = 0; i < n; i++) {
		if (!valid_path(paths[i]) || !strcmp(paths[i], "/")) {
			problem(c, "MountPath", paths[i],
				"expected an absolute path without '..', "
				"'//' or special characters");
			continue;
		}
		build_one_mount(c, o, paths[i], base.buf, volume, ro);
	}
	list_free(paths, n);
	strbuf_release(&base);
}

static void
build_links(struct ctx *c, const struct src *s, struct dockspec *o)
{
	const char *pr = prop(s, "InterLinkPriority");
	char **links;
	size_t i, n;
	long v;

	split(prop(s, "Interlinked"), ',', &links, &n);
	for (i = 0; i < n; i++) {
		if (!valid_name(links[i]))
			problem(c, "Interlinked", links[i],
				"expected container names separated by ','");
		else if (!strcmp(links[i], o->name))
			problem(c, "Interlinked", links[i],
				"a container cannot link to itself");
		else
			list_push(&o->links, &o->nlinks, links[i],
				  strlen(links[i]));
	}
	list_free(links, n);
	o->priority = DEFAULT_PRIORITY;
	if (pr && *pr) {
		if (!is_digits(pr) || strlen(pr) > 4 || !parse_long(pr, &v))
			problem(c, "InterLinkPriority", pr,
				"expected a number 0-9999");
		else
			o->priority = v;
	}
}

static void
build_limits(struct ctx *c, const struct src *s, struct dockspec *o)
{
	static const char *const restart[] = { "unless-stopped", "always",
					       "on-failure", "no", NULL };
	const char *mem = prop(s, "MaxMemory");
	const char *cpu = prop(s, "MaxCpu");
	const char *st = prop(s, "StopTimeout");
	long v;

	if (mem && *mem) {
		o->memory = parse_size(mem);
		if (o->memory < 0)
			problem(c, "MaxMemory", mem,
				"expected a size like 512M or 2G (bare "
				"numbers are megabytes)");
		else if (o->memory < MIN_MEMORY)
			problem(c, "MaxMemory", mem,
				"below the engine's minimum of 6M");
		if (o->memory < 0)
			o->memory = 0;
	}
	if (cpu && *cpu) {
		o->nano_cpus = parse_cpu(cpu);
		if (o->nano_cpus < 0) {
			problem(c, "MaxCpu", cpu,
				"expected a number of CPUs like 0.5 or 2 "
				"(0.01-1024)");
			o->nano_cpus = 0;
		}
	}
	o->restart = xstrdup(restart[choice(c, s, "Restart", restart, 0)]);
	o->stop_timeout = 10;
	if (st && *st) {
		if (!is_digits(st) || strlen(st) > 4 || !parse_long(st, &v) ||
		    v > 3600)
			problem(c, "StopTimeout", st,
				"expected seconds, 0-3600");
		else
			o->stop_timeout = (int)v;
	}
}

static void
build_web(struct ctx *c, const struct src *s, struct dockspec *o)
{
	static const char *const onoff[] = { "disabled", "enabled", NULL };
	const char *wa = dockspec_props_get(s->rec, "WebAlias");
	const char *sd = dockspec_props_get(s->rec, "SubDomainName");
	int sub = choice(c, s, "SubDomain", onoff, 0);

	if (wa && *wa) {
		if (!valid_web_alias(wa))
			problem(c, "WebAlias", wa,
				"expected letters, digits, '.', '_' or '-'");
		else
			o->web_alias = xstrdup(wa);
	}
	if (sd && *sd && !valid_label(sd))
		problem(c, "SubDomainName", sd,
			"expected a DNS label (letters, digits, '-')");
	else if (sub && (!sd || !*sd))
		problem(c, "SubDomainName", NULL,
			"missing while SubDomain is enabled");
	else if (sub)
		o->subdomain = xstrdup(sd);
}

static void
check_props(struct ctx *c, const struct dockspec_props *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->nr; i++) {
		if (has_control(p->value[i]))
			problem(c, p->name[i], NULL,
				"control characters (newline, tab...) are "
				"not allowed");
		else if (!known_prop(p->name[i]))
			esmith_warn("%s: %s: unknown property '%s' ignored",
				    c->db, c->name, p->name[i]);
	}
}

/* Build, keeping what could be built even when there are problems. */
static int
build_keep(struct dockspec *out, const char *dbname, const char *name,
	   const struct dockspec_props *rec, const struct dockspec_props *img,
	   const struct dockspec_config *cfg, struct strbuf *err)
{
	struct ctx c = { dbname, name, err, 0 };
	struct src s = { rec, img };

	memset(out, 0, sizeof(*out));
	out->name = xstrdup(name);
	if (!valid_name(name)) {
		problem(&c, NULL, NULL,
			"bad container name: expected lowercase letters, "
			"digits, '-' or '_', starting with a letter or digit, "
			"at most 63");
		goto out;
	}
	check_props(&c, rec);
	if (c.problems)
		goto out;
	build_status(&c, &s, out);
	build_image(&c, &s, out);
	build_cmd_env(&c, &s, out);
	build_ports(&c, &s, out, cfg);
	if (!out->host_network)
		out->network = xstrdup(cfg->network);
	build_mounts(&c, &s, out, cfg);
	build_links(&c, &s, out);
	build_limits(&c, &s, out);
	build_web(&c, &s, out);
out:
	out->invalid = c.problems > 0;
	return c.problems;
}

int
dockspec_build(struct dockspec *out, const char *dbname, const char *name,
	       const struct dockspec_props *rec,
	       const struct dockspec_props *img,
	       const struct dockspec_config *cfg, struct strbuf *err)
{
	int problems = build_keep(out, dbname, name, rec, img, cfg, err);

	if (problems)
		dockspec_release(out);
	return problems;
}

void
dockspec_release(struct dockspec *o)
{
	size_t i;

	free(o->name);
	free(o->image);
	list_free(o->cmd, o->ncmd);
	list_free(o->env, o->nenv);
	free(o->ports);
	list_free(o->bind_ips, o->nbind_ips);
	free(o->network);
	for (i = 0; i < o->nmounts; i++) {
		free(o->mounts[i].target);
		free(o->mounts[i].source);
	}
	free(o->mounts);
	free(o->data_owner);
	list_free(o->links, o->nlinks);
	free(o->restart);
	free(o->web_alias);
	free(o->subdomain);
	memset(o, 0, sizeof(*o));
}

void
dockspec_free_all(struct dockspec *specs, size_t n)
{
	size_t i;

	if (!specs)
		return;
	for (i = 0; i < n; i++)
		dockspec_release(&specs[i]);
	free(specs);
}

/* ---- checks across the set ------------------------------------------ */

static long
find_spec(const struct dockspec *specs, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(specs[i].name, name))
			return (long)i;
	return -1;
}

enum { WHITE, GREY, BLACK };

/* Depth-first search; reports the first cycle found through `i`. */
static int
visit(const struct dockspec *specs, size_t n, size_t i, int *color,
      size_t *stack, size_t depth, struct strbuf *err, const char *dbname)
{
	size_t k, j;
	long d;

	color[i] = GREY;
	stack[depth] = i;
	for (k = 0; k < specs[i].nlinks; k++) {
		d = find_spec(specs, n, specs[i].links[k]);
		if (d < 0)
			continue;
		if (color[d] == GREY) {
			strbuf_addf(err, "%s: %s: Interlinked: link cycle ",
				    dbname, specs[d].name);
			for (j = 0; j <= depth; j++)
				if (stack[j] == (size_t)d)
					break;
			for (; j <= depth; j++)
				strbuf_addf(err, "%s -> ",
					    specs[stack[j]].name);
			strbuf_addf(err, "%s\n", specs[d].name);
			return 1;
		}
		if (color[d] == WHITE && visit(specs, n, (size_t)d, color,
					       stack, depth + 1, err, dbname))
			return 1;
	}
	color[i] = BLACK;
	return 0;
}

static int
check_cycles(const struct dockspec *specs, size_t n, const char *dbname,
	     struct strbuf *err)
{
	int *color = xcalloc(n, sizeof(*color));
	size_t *stack = xcalloc(n + 1, sizeof(*stack));
	size_t i;
	int problems = 0;

	for (i = 0; i < n; i++) {
		if (color[i] != WHITE)
			continue;
		if (visit(specs, n, i, color, stack, 0, err, dbname)) {
			problems++;
			break;
		}
	}
	free(color);
	free(stack);
	return problems;
}

static int
check_links(const struct dockspec *specs, size_t n, const char *dbname,
	    struct strbuf *err)
{
	size_t i, k;
	int problems = 0;
	long d;

	for (i = 0; i < n; i++) {
		for (k = 0; k < specs[i].nlinks; k++) {
			const char *l = specs[i].links[k];

			d = find_spec(specs, n, l);
			if (d < 0)
				strbuf_addf(err,
					    "%s: %s: Interlinked '%s': no such "
					    "container record\n",
					    dbname, specs[i].name, l);
			else if (specs[d].invalid)
				continue;
			else if (specs[i].enabled && !specs[d].enabled)
				strbuf_addf(err,
					    "%s: %s: Interlinked '%s': that "
					    "container is disabled\n",
					    dbname, specs[i].name, l);
			else if (specs[i].host_network || specs[d].host_network)
				strbuf_addf(err,
					    "%s: %s: Interlinked '%s': links "
					    "need network bridge on both "
					    "sides\n",
					    dbname, specs[i].name, l);
			else
				continue;
			problems++;
		}
	}
	return problems;
}

/* Host ports actually bound: published ones, or all with network host. */
static int
host_port(const struct dockspec_port *p, int host_network)
{
	return host_network ? p->container : p->host;
}

static int
check_ports(const struct dockspec *specs, size_t n, const char *dbname,
	    struct strbuf *err)
{
	size_t i, j, a, b;
	int problems = 0;

	for (i = 0; i < n; i++) {
		if (!specs[i].enabled)
			continue;
		for (a = 0; a < specs[i].nports; a++) {
			const struct dockspec_port *pa = &specs[i].ports[a];
			int ha = host_port(pa, specs[i].host_network);

			if (!ha)
				continue;
			for (j = i; j < n; j++) {
				if (!specs[j].enabled)
					continue;
				for (b = j == i ? a + 1 : 0;
				     b < specs[j].nports; b++) {
					const struct dockspec_port *pb =
						&specs[j].ports[b];

					if (host_port(pb,
						      specs[j].host_network) !=
						    ha ||
					    !(pa->proto & pb->proto))
						continue;
					strbuf_addf(err,
						    "%s: %s: host port %d/%s "
						    "is also published by %s\n",
						    dbname, specs[i].name, ha,
						    pa->proto == DOCKSPEC_TCP
							    ? "tcp"
							    : "udp",
						    specs[j].name);
					problems++;
				}
			}
		}
	}
	return problems;
}

int
dockspec_check_set(const struct dockspec *specs, size_t n, const char *dbname,
		   struct strbuf *err)
{
	return check_links(specs, n, dbname, err) +
	       check_cycles(specs, n, dbname, err) +
	       check_ports(specs, n, dbname, err);
}

static int
before(const struct dockspec *a, const struct dockspec *b)
{
	if (a->priority != b->priority)
		return a->priority < b->priority;
	return strcmp(a->name, b->name) < 0;
}

int
dockspec_start_order(const struct dockspec *specs, size_t n, size_t *order)
{
	size_t *pending = xcalloc(n ? n : 1, sizeof(*pending));
	char *done = xcalloc(n ? n : 1, 1);
	size_t i, k, out = 0;
	int ret = 0;

	/* Kahn's algorithm, picking the best ready container each round. */
	while (out < n) {
		long best = -1;

		for (i = 0; i < n; i++) {
			int ready = !done[i];

			for (k = 0; ready && k < specs[i].nlinks; k++) {
				long d = find_spec(specs, n, specs[i].links[k]);

				if (d >= 0 && !done[d])
					ready = 0;
			}
			if (ready &&
			    (best < 0 || before(&specs[i], &specs[best])))
				best = (long)i;
		}
		if (best < 0) {
			ret = -1;
			break;
		}
		done[best] = 1;
		order[out++] = (size_t)best;
	}
	free(pending);
	free(done);
	return ret;
}

/* ---- canonical form and hash ------------------------------------------ */

static void
canon_str(struct strbuf *out, const char *key, const char *v)
{
	strbuf_addf(out, "%s %zu:%s\n", key, v ? strlen(v) : 0, v ? v : "");
}

void
dockspec_canonical(const struct dockspec *o, struct strbuf *out)
{
	size_t i;

	strbuf_addstr(out, "smeserver-docker-spec 1\n");
	canon_str(out, "name", o->name);
	canon_str(out, "image", o->image);
	for (i = 0; i < o->ncmd; i++)
		canon_str(out, "cmd", o->cmd[i]);
	for (i = 0; i < o->nenv; i++)
		canon_str(out, "env", o->env[i]);
	for (i = 0; i < o->nports; i++)
		strbuf_addf(out, "port %d %d %d\n", o->ports[i].container,
			    o->ports[i].host, (int)o->ports[i].proto);
	for (i = 0; i < o->nbind_ips; i++)
		canon_str(out, "bind", o->bind_ips[i]);
	strbuf_addf(out, "hostnet %d\n", o->host_network);
	canon_str(out, "network", o->network);
	for (i = 0; i < o->nmounts; i++) {
		canon_str(out, "mount", o->mounts[i].target);
		canon_str(out, "source", o->mounts[i].source);
		strbuf_addf(out, "flags %d %d\n", o->mounts[i].volume,
			    o->mounts[i].read_only);
	}
	strbuf_addf(out, "memory %lld\ncpu %lld\n", o->memory, o->nano_cpus);
	canon_str(out, "restart", o->restart);
}

void
dockspec_hash(const struct dockspec *spec, char hex[65])
{
	struct strbuf sb = STRBUF_INIT;

	dockspec_canonical(spec, &sb);
	dockspec_sha256_hex(sb.buf, sb.len, hex);
	strbuf_release(&sb);
}

/* SHA-256 (FIPS 180-4). */
static const uint32_t sha_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void
sha256_block(uint32_t h[8], const unsigned char *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, hh, t1, t2;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (i = 16; i < 64; i++)
		w[i] = w[i - 16] +
		       (ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^
			(w[i - 15] >> 3)) +
		       w[i - 7] +
		       (ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^
			(w[i - 2] >> 10));
	a = h[0], b = h[1], c = h[2], d = h[3];
	e = h[4], f = h[5], g = h[6], hh = h[7];
	for (i = 0; i < 64; i++) {
		t1 = hh + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) +
		     ((e & f) ^ (~e & g)) + sha_k[i] + w[i];
		t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) +
		     ((a & b) ^ (a & c) ^ (b & c));
		hh = g, g = f, f = e, e = d + t1;
		d = c, c = b, b = a, a = t1 + t2;
	}
	h[0] += a, h[1] += b, h[2] += c, h[3] += d;
	h[4] += e, h[5] += f, h[6] += g, h[7] += hh;
}

void
dockspec_sha256_hex(const void *data, size_t len, char hex[65])
{
	uint32_t h[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
			  0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
	const unsigned char *p = data;
	unsigned char tail[128];
	uint64_t bits = (uint64_t)len * 8;
	size_t rest, tl, i;
	static const char digits[] = "0123456789abcdef";

	for (; len >= 64; len -= 64, p += 64)
		sha256_block(h, p);
	rest = len;
	memset(tail, 0, sizeof(tail));
	memcpy(tail, p, rest);
	tail[rest] = 0x80;
	tl = rest + 1 + 8 <= 64 ? 64 : 128;
	for (i = 0; i < 8; i++)
		tail[tl - 1 - i] = (unsigned char)(bits >> (8 * i));
	sha256_block(h, tail);
	if (tl == 128)
		sha256_block(h, tail + 64);
	for (i = 0; i < 32; i++) {
		unsigned char byte =
			(unsigned char)(h[i / 4] >> (24 - 8 * (i % 4)));

		hex[2 * i] = digits[byte >> 4];
		hex[2 * i + 1] = digits[byte & 15];
	}
	hex[64] = '\0';
}

/* ---- the database ------------------------------------------------------ */

static int
cmp_spec(const void *a, const void *b)
{
	return strcmp(((const struct dockspec *)a)->name,
		      ((const struct dockspec *)b)->name);
}

/* The docker_images record a container inherits from. */
static const struct db_record *
image_record(const struct db *images, const struct db_record *rec)
{
	const char *img = db_record_prop(rec, "Image");
	const struct db_record *r;
	const char *slash, *colon;
	char *repo;

	if (!images)
		return NULL;
	if (!img || !*img)
		return db_get(images, db_record_key(rec));
	r = db_get(images, img);
	slash = strrchr(img, '/');
	colon = strrchr(slash ? slash : img, ':');
	if (r || !colon)
		return r;
	repo = xstrndup(img, (size_t)(colon - img));
	r = db_get(images, repo);
	free(repo);
	return r;
}

int
dockspec_image_props(const struct db *images, const struct db_record *rec,
		     struct dockspec_props *out)
{
	const struct db_record *ir = image_record(images, rec);
	const char *tag;
	struct strbuf ref = STRBUF_INIT;

	if (!ir)
		return 0;
	props_from_record(out, ir);
	if (!dockspec_props_get(out, "Reference")) {
		tag = db_record_prop(ir, "Tag");
		strbuf_addstr(&ref, db_record_key(ir));
		if (tag && *tag)
			strbuf_addf(&ref, ":%s", tag);
		dockspec_props_set(out, "Reference", ref.buf);
	}
	strbuf_release(&ref);
	return 1;
}

int
dockspec_load_db(const struct db *containers, const struct db *images,
		 const struct dockspec_config *cfg, struct dockspec **specs,
		 size_t *n, struct strbuf *err)
{
	size_t i, total = db_count(containers), ok = 0;
	struct dockspec *all = xcalloc(total ? total : 1, sizeof(*all));
	int problems = 0;

	for (i = 0; i < total; i++) {
		const struct db_record *rec = db_record_at(containers, i);
		struct dockspec_props rp = { 0 }, ip = { 0 };
		int pr, irec;

		props_from_record(&rp, rec);
		irec = dockspec_image_props(images, rec, &ip);
		if (strcmp(db_record_type(rec), "service")) {
			strbuf_addf(err,
				    "%s: %s: type '%s': expected service\n",
				    db_name(containers), db_record_key(rec),
				    db_record_type(rec));
			pr = 1;
			memset(&all[ok], 0, sizeof(all[ok]));
			all[ok].name = xstrdup(db_record_key(rec));
			all[ok].invalid = 1;
		} else {
			pr = build_keep(&all[ok], db_name(containers),
					db_record_key(rec), &rp,
					irec ? &ip : NULL, cfg, err);
		}
		ok++;
		problems += pr;
		dockspec_props_release(&rp);
		dockspec_props_release(&ip);
	}
	/* across the set too, so that every problem is reported at once */
	problems += dockspec_check_set(all, ok, db_name(containers), err);
	if (problems) {
		dockspec_free_all(all, ok);
		*specs = NULL;
		*n = 0;
		return problems;
	}
	qsort(all, ok, sizeof(*all), cmp_spec);
	*specs = all;
	*n = ok;
	return 0;
}

static struct db *
open_db(const char *name, int *problems, struct strbuf *err)
{
	struct strbuf e = STRBUF_INIT;
	struct db *db = db_open(name, &e);

	if (!db) {
		strbuf_addf(err, "%s\n", e.buf);
		(*problems)++;
	}
	strbuf_release(&e);
	return db;
}

int
dockspec_load_all(struct dockspec_config *cfg, struct dockspec **specs,
		  size_t *n, struct strbuf *err)
{
	int problems = 0;
	struct db *conf = open_db("configuration", &problems, err);
	struct db *cont = open_db("docker_containers", &problems, err);
	struct db *img = open_db("docker_images", &problems, err);

	*specs = NULL;
	*n = 0;
	if (problems)
		goto out;
	dockspec_config_load(cfg, conf);
	problems = dockspec_check_config(conf, err);
	problems += dockspec_load_db(cont, img, cfg, specs, n, err);
	if (problems && *specs) {
		dockspec_free_all(*specs, *n);
		*specs = NULL;
		*n = 0;
	}
out:
	db_free(conf);
	db_free(cont);
	db_free(img);
	return problems;
}

/* ---- YAML run specs ----------------------------------------------------- */

static void
yaml_quote(struct strbuf *out, const char *s)
{
	strbuf_addch(out, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			strbuf_addch(out, '\'');
		strbuf_addch(out, *s);
	}
	strbuf_addch(out, '\'');
}

static const struct dockspec_props *sort_props;

static int
cmp_prop(const void *a, const void *b)
{
	return strcmp(sort_props->name[*(const size_t *)a],
		      sort_props->name[*(const size_t *)b]);
}

/* Properties by name in byte order, as the template's `sort keys`. */
static void
yaml_map(struct strbuf *out, const char *key, const struct dockspec_props *p)
{
	size_t i, *order;

	if (!p->nr) {
		strbuf_addf(out, "%s: {}\n", key);
		return;
	}
	order = xcalloc(p->nr, sizeof(*order));
	for (i = 0; i < p->nr; i++)
		order[i] = i;
	sort_props = p;
	qsort(order, p->nr, sizeof(*order), cmp_prop);
	strbuf_addf(out, "%s:\n", key);
	for (i = 0; i < p->nr; i++) {
		strbuf_addstr(out, "  ");
		yaml_quote(out, p->name[order[i]]);
		strbuf_addstr(out, ": ");
		yaml_quote(out, p->value[order[i]]);
		strbuf_addch(out, '\n');
	}
	free(order);
}

void
dockspec_props_to_yaml(const char *name, const struct dockspec_props *rec,
		       const struct dockspec_props *img, struct strbuf *out)
{
	strbuf_addstr(out, "name: ");
	yaml_quote(out, name);
	strbuf_addch(out, '\n');
	yaml_map(out, "record", rec);
	if (img)
		yaml_map(out, "image", img);
}

struct yparse {
	yaml_parser_t parser;
	yaml_event_t ev;
	int have;
	const char *where;
	struct strbuf *err;
};

static int
ynext(struct yparse *y)
{
	if (y->have)
		yaml_event_delete(&y->ev);
	y->have = 0;
	if (!yaml_parser_parse(&y->parser, &y->ev)) {
		strbuf_addf(y->err, "%s:%zu: %s\n", y->where,
			    y->parser.problem_mark.line + 1,
			    y->parser.problem ? y->parser.problem
					      : "YAML error");
		return -1;
	}
	y->have = 1;
	return 0;
}

static int
yfail(struct yparse *y, const char *what)
{
	strbuf_addf(y->err, "%s:%zu: %s\n", y->where, y->ev.start_mark.line + 1,
		    what);
	return -1;
}

static char *
yscalar(struct yparse *y)
{
	return xstrndup((const char *)y->ev.data.scalar.value,
			y->ev.data.scalar.length);
}

/* A mapping of scalars to scalars, the MAPPING-START event current. */
static int
yprops(struct yparse *y, struct dockspec_props *p)
{
	char *k;
	int ret;

	if (y->ev.type != YAML_MAPPING_START_EVENT)
		return yfail(y, "expected a mapping of properties");
	for (;;) {
		if (ynext(y))
			return -1;
		if (y->ev.type == YAML_MAPPING_END_EVENT)
			return 0;
		if (y->ev.type != YAML_SCALAR_EVENT)
			return yfail(y, "expected a property name");
		k = yscalar(y);
		ret = ynext(y);
		if (!ret && y->ev.type != YAML_SCALAR_EVENT)
			ret = yfail(y, "expected a string value");
		if (!ret)
			dockspec_props_set(
				p, k, (const char *)y->ev.data.scalar.value);
		free(k);
		if (ret)
			return -1;
		if (strlen((const char *)y->ev.data.scalar.value) !=
		    y->ev.data.scalar.length)
			return yfail(y, "NUL byte in a value");
	}
}

static int
ytop(struct yparse *y, char **name, struct dockspec_props *rec,
     struct dockspec_props *img, int *has_img)
{
	char *k;
	int ret = 0;

	if (ynext(y) || ynext(y) || ynext(y))
		return -1;
	if (y->ev.type != YAML_MAPPING_START_EVENT)
		return yfail(y, "expected a mapping with name and record");
	for (;;) {
		if (ynext(y))
			return -1;
		if (y->ev.type == YAML_MAPPING_END_EVENT)
			break;
		if (y->ev.type != YAML_SCALAR_EVENT)
			return yfail(y, "expected a key");
		k = yscalar(y);
		if (ynext(y)) {
			free(k);
			return -1;
		}
		if (!strcmp(k, "name") && y->ev.type == YAML_SCALAR_EVENT &&
		    !*name)
			*name = yscalar(y);
		else if (!strcmp(k, "record"))
			ret = yprops(y, rec);
		else if (!strcmp(k, "image")) {
			ret = yprops(y, img);
			*has_img = 1;
		} else
			ret = yfail(y, "unknown or repeated key");
		free(k);
		if (ret)
			return -1;
	}
	if (ynext(y))
		return -1;
	if (y->ev.type != YAML_DOCUMENT_END_EVENT)
		return yfail(y, "expected one document");
	if (!*name)
		return yfail(y, "missing name");
	return 0;
}

int
dockspec_parse_yaml(struct dockspec *out, const char *where, const char *text,
		    size_t len, const struct dockspec_config *cfg,
		    struct strbuf *err)
{
	struct yparse y = { .where = where, .err = err };
	struct dockspec_props rec = { 0 }, img = { 0 };
	char *name = NULL;
	int has_img = 0, ret;

	memset(out, 0, sizeof(*out));
	if (len > MAX_YAML) {
		strbuf_addf(err, "%s: run spec larger than %d bytes\n", where,
			    MAX_YAML);
		return 1;
	}
	yaml_parser_initialize(&y.parser);
	yaml_parser_set_input_string(&y.parser, (const unsigned char *)text,
				     len);
	ret = ytop(&y, &name, &rec, &img, &has_img);
	if (y.have)
		yaml_event_delete(&y.ev);
	yaml_parser_delete(&y.parser);
	if (ret)
		ret = 1;
	else
		ret = dockspec_build(out, where, name, &rec,
				     has_img ? &img : NULL, cfg, err);
	free(name);
	dockspec_props_release(&rec);
	dockspec_props_release(&img);
	return ret;
}

int
dockspec_load_run_specs(const char *const *names, size_t n,
			const struct dockspec_config *cfg,
			struct dockspec **out, struct strbuf *err)
{
	struct dockspec *all = xcalloc(n ? n : 1, sizeof(*all));
	struct strbuf path = STRBUF_INIT, text = STRBUF_INIT;
	size_t i, ok = 0;
	int problems = 0, r;

	for (i = 0; i < n; i++) {
		strbuf_reset(&path);
		strbuf_reset(&text);
		esmith_path_buf(&path, DOCKSPEC_DIR);
		strbuf_addf(&path, "/%s.yml", names[i]);
		r = strbuf_read_file(&text, path.buf, MAX_YAML + 1);
		if (r < 0) {
			strbuf_addf(err, "%s: %s (run docker-specs first)\n",
				    path.buf, strerror(-r));
			problems++;
			continue;
		}
		r = dockspec_parse_yaml(&all[ok], path.buf, text.buf, text.len,
					cfg, err);
		if (!r && strcmp(all[ok].name, names[i])) {
			strbuf_addf(err,
				    "%s: name '%s' does not match the "
				    "file name\n",
				    path.buf, all[ok].name);
			dockspec_release(&all[ok]);
			r = 1;
		}
		if (!r)
			ok++;
		problems += r;
	}
	if (!problems)
		problems = dockspec_check_set(all, ok, "run specs", err);
	strbuf_release(&path);
	strbuf_release(&text);
	if (problems) {
		dockspec_free_all(all, ok);
		all = NULL;
	}
	*out = all;
	return problems;
}
