/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Web access for containers: checks on WebAlias, SubDomainName, the
 * schedules and the web port, duplicate detection, and the hosts database
 * sync. The fragments under fragments/templates/etc/httpd/conf.d/
 * docker-proxy.conf and fragments/templates/etc/cron.d/docker-containers
 * follow the same rules (and skip what fails them).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "util.h"
#include "web.h"
#include "banned.h"

#define CONTAINERS_DB "docker_containers"
#define HOSTS_MARKER "DockerContainer"

/* Paths the server's own configuration uses (SME and Debian). */
static const char *const reserved_aliases[] = {
	"server-manager", "server-common", "user-password", "icons", "error",
	"manual",	  "cgi-bin",	   "javascript",    NULL,
};

static int
is_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* The syntax of WebAlias as the spec model (dockspec) checks it. */
static int
alias_syntax_ok(const char *alias)
{
	size_t len = strlen(alias);

	if (len == 0 || len > 64 || !is_alnum((unsigned char)alias[0]))
		return 0;
	for (size_t i = 1; i < len; i++) {
		char c = alias[i];
		if (!(is_alnum((unsigned char)c) || c == '.' || c == '_' ||
		      c == '-'))
			return 0;
	}
	return 1;
}

/* A DNS label of any case, as the spec model checks SubDomainName. */
static int
label_syntax_ok(const char *label)
{
	size_t len = strlen(label);

	if (len == 0 || len > 63 || !is_alnum((unsigned char)label[0]) ||
	    !is_alnum((unsigned char)label[len - 1]))
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!(is_alnum((unsigned char)label[i]) || label[i] == '-'))
			return 0;
	return 1;
}

int
web_check_alias(const char *alias, struct strbuf *err)
{
	if (!alias_syntax_ok(alias)) {
		strbuf_addstr(err,
			      "expected a name like blog: letters, digits, "
			      "'.', '_', '-', starting with a letter or "
			      "digit, at most 64 characters");
		return -1;
	}
	for (size_t i = 0; reserved_aliases[i]; i++) {
		if (strcmp(alias, reserved_aliases[i]) == 0) {
			strbuf_addf(err, "/%s/ is used by the server itself",
				    alias);
			return -1;
		}
	}
	return 0;
}

int
web_check_label(const char *label, struct strbuf *err)
{
	if (!label_syntax_ok(label)) {
		strbuf_addstr(err, "expected a DNS label like shop: letters, "
				   "digits and '-', not '-' at either end, at "
				   "most 63 characters");
		return -1;
	}
	for (const char *p = label; *p; p++) {
		if (*p >= 'A' && *p <= 'Z') {
			strbuf_addstr(err, "expected lowercase (the hosts "
					   "database and Apache compare names "
					   "as given)");
			return -1;
		}
	}
	if (strcmp(label, "www") == 0) {
		strbuf_addstr(err, "www is the server's own name");
		return -1;
	}
	return 0;
}

int
web_check_name(const char *name, struct strbuf *err)
{
	size_t len = strlen(name);

	if (len == 0 || len > 64 || !is_alnum((unsigned char)name[0]))
		goto bad;
	for (size_t i = 1; i < len; i++) {
		char c = name[i];
		if (!(is_alnum((unsigned char)c) || c == '_' || c == '.' ||
		      c == '-'))
			goto bad;
	}
	return 0;
bad:
	strbuf_addstr(err, "expected a container name of letters, digits, "
			   "'_', '.', '-' starting with a letter or digit");
	return -1;
}

/* --- cron ------------------------------------------------------------- */

struct cron_field {
	const char *what;
	int min, max;
	const char *const *names; /* names[i] stands for min + i */
};

static const char *const month_names[] = {
	"jan", "feb", "mar", "apr", "may", "jun", "jul",
	"aug", "sep", "oct", "nov", "dec", NULL,
};
static const char *const dow_names[] = {
	"sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL,
};

static const struct cron_field cron_fields[5] = {
	{ "minute", 0, 59, NULL },	    { "hour", 0, 23, NULL },
	{ "day of month", 1, 31, NULL },    { "month", 1, 12, month_names },
	{ "day of week", 0, 7, dow_names },
};

static const char *const cron_specials[] = {
	"@reboot", "@hourly",	"@daily",    "@weekly", "@monthly",
	"@yearly", "@annually", "@midnight", NULL,
};

/* Parse a number of at most 2 digits at *p; -1 if none. */
static int
cron_number(const char **p)
{
	int n = 0, digits = 0;

	while (is_digit(**p)) {
		if (++digits > 2)
			return -1;
		n = n * 10 + (**p - '0');
		(*p)++;
	}
	return digits ? n : -1;
}

static int
cron_is_name(const struct cron_field *f, const char *s, size_t len)
{
	if (!f->names || len != 3)
		return 0;
	for (size_t i = 0; f->names[i]; i++) {
		int same = 1;
		for (size_t j = 0; j < 3; j++)
			if (tolower((unsigned char)s[j]) != f->names[i][j])
				same = 0;
		if (same)
			return 1;
	}
	return 0;
}

/* One comma-separated item: `*`, `N`, `N-M`, each with optional `/S`. */
static int
cron_item(const struct cron_field *f, const char *s, size_t len)
{
	const char *p = s, *end = s + len;
	int lo = f->min, hi = f->max;

	if (cron_is_name(f, s, len))
		return 0;
	if (p < end && *p == '*') {
		p++;
	} else {
		lo = cron_number(&p);
		if (lo < f->min || lo > f->max)
			return -1;
		hi = lo;
		if (p < end && *p == '-') {
			p++;
			hi = cron_number(&p);
			if (hi < lo || hi > f->max)
				return -1;
		}
	}
	if (p < end && *p == '/') {
		int step;
		p++;
		step = cron_number(&p);
		if (step < 1 || step > f->max)
			return -1;
	}
	return p == end ? 0 : -1;
}

static int
cron_field_ok(const struct cron_field *f, const char *s, size_t len)
{
	size_t start = 0;

	for (size_t i = 0; i <= len; i++) {
		if (i == len || s[i] == ',') {
			if (i == start || cron_item(f, s + start, i - start))
				return -1;
			start = i + 1;
		}
	}
	return 0;
}

int
web_check_cron(const char *spec, struct strbuf *err)
{
	const char *p = spec;
	size_t nfield = 0;

	for (size_t i = 0; cron_specials[i]; i++)
		if (strcmp(spec, cron_specials[i]) == 0)
			return 0;
	while (*p) {
		const char *start;
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		start = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		if (nfield == 5) {
			nfield++;
			break;
		}
		if (cron_field_ok(&cron_fields[nfield], start,
				  (size_t)(p - start))) {
			strbuf_addf(err,
				    "bad %s '%.*s': ", cron_fields[nfield].what,
				    (int)(p - start), start);
			goto usage;
		}
		nfield++;
	}
	if (nfield == 5)
		return 0;
	strbuf_addstr(err,
		      nfield > 5 ? "too many fields: " : "too few fields: ");
usage:
	strbuf_addstr(err,
		      "expected five cron fields like '30 7 * * 1-5' "
		      "(minute hour day month weekday: *, N, N-M, lists, "
		      "/step, month and day names) or @daily, @reboot ...");
	return -1;
}

/* --- records ------------------------------------------------------------ */

static const char *
prop_or(const struct db_record *rec, const char *prop, const char *dflt)
{
	const char *v = db_record_prop(rec, prop);
	return v && *v ? v : dflt;
}

int
web_container_enabled(const struct db_record *rec)
{
	return strcmp(db_record_type(rec), "service") == 0 &&
	       strcmp(prop_or(rec, "status", "disabled"), "enabled") == 0;
}

int
web_wants_subdomain(const struct db_record *rec)
{
	return web_container_enabled(rec) &&
	       strcmp(prop_or(rec, "SubDomain", "disabled"), "enabled") == 0;
}

const char *
web_subdomain_label(const struct db_record *rec)
{
	return prop_or(rec, "SubDomainName", NULL);
}

/* A port number 1..65535 spanning exactly [s, s+len) after trimming. */
static long
parse_port(const char *s, size_t len)
{
	long n = 0;

	while (len && (*s == ' ' || *s == '\t'))
		s++, len--;
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (len == 0 || len > 5)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (!is_digit(s[i]))
			return -1;
		n = n * 10 + (s[i] - '0');
	}
	return n >= 1 && n <= 65535 ? n : -1;
}

long
web_host_port(const struct db_record *rec, struct strbuf *err)
{
	const char *web = db_record_prop(rec, "WebPort");
	const char *pairs, *p;
	long port;

	if (web && *web) {
		port = parse_port(web, strlen(web));
		if (port < 0) {
			strbuf_addf(err,
				    "WebPort '%s': expected a port 1-65535",
				    web);
			return -1;
		}
	} else {
		const char *tcp = prop_or(rec, "TCPPort", "");
		size_t n = strcspn(tcp, ",");
		if (!*tcp) {
			strbuf_addstr(err, "WebAlias or SubDomain needs a web "
					   "port: set WebPort or TCPPort");
			return -1;
		}
		port = parse_port(tcp, n);
		if (port < 0) {
			strbuf_addf(err, "TCPPort '%s': expected ports 1-65535",
				    tcp);
			return -1;
		}
	}
	if (strcmp(prop_or(rec, "network", "bridge"), "host") == 0 ||
	    strcmp(prop_or(rec, "PortMapping", "native"), "custom") != 0)
		return port;
	pairs = prop_or(rec, "PortMappingPorts", "");
	for (p = pairs; *p;) {
		size_t n = strcspn(p, ",");
		const char *colon = memchr(p, ':', n);
		if (colon && parse_port(colon + 1,
					n - (size_t)(colon + 1 - p)) == port) {
			long host = parse_port(p, (size_t)(colon - p));
			if (host > 0)
				return host;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	strbuf_addf(err,
		    "PortMappingPorts '%s': no host:container pair publishes "
		    "web port %ld",
		    pairs, port);
	return -1;
}

/* --- validation ------------------------------------------------------- */

static void
problem(struct strbuf *problems, const char *key, const char *prop,
	const char *value, const struct strbuf *why)
{
	strbuf_addf(problems, "%s: %s: ", CONTAINERS_DB, key);
	if (prop)
		strbuf_addf(problems, "%s '%s': ", prop, value);
	strbuf_addbuf(problems, why);
	strbuf_addch(problems, '\n');
}

/* Print a value for a message: control bytes as `\n`, `\xNN`. */
static void
quote_value(struct strbuf *out, const char *v)
{
	for (; *v; v++) {
		unsigned char c = (unsigned char)*v;
		if (c == '\n')
			strbuf_addstr(out, "\\n");
		else if (c < 0x20 || c == 0x7f)
			strbuf_addf(out, "\\x%02x", c);
		else
			strbuf_addch(out, (char)c);
	}
}

static int
check_prop(const struct db_record *rec, const char *prop,
	   int (*check)(const char *, struct strbuf *), struct strbuf *problems)
{
	const char *v = db_record_prop(rec, prop);
	struct strbuf why = STRBUF_INIT, shown = STRBUF_INIT;
	int ret = 0;

	if (!v || !*v)
		return 0;
	if (check(v, &why)) {
		quote_value(&shown, v);
		problem(problems, db_record_key(rec), prop, shown.buf, &why);
		ret = 1;
	}
	strbuf_release(&why);
	strbuf_release(&shown);
	return ret;
}

static int
check_enum(const struct db_record *rec, const char *prop, const char *a,
	   const char *b, struct strbuf *problems)
{
	const char *v = db_record_prop(rec, prop);
	struct strbuf why = STRBUF_INIT, shown = STRBUF_INIT;

	if (!v || !*v || strcmp(v, a) == 0 || strcmp(v, b) == 0)
		return 0;
	strbuf_addf(&why, "expected %s or %s", a, b);
	quote_value(&shown, v);
	problem(problems, db_record_key(rec), prop, shown.buf, &why);
	strbuf_release(&why);
	strbuf_release(&shown);
	return 1;
}

/* Find `value` among the first `n` claimed values; returns index or -1. */
static long
find_claim(char **claims, size_t n, const char *value)
{
	for (size_t i = 0; i < n; i++)
		if (claims[i] && strcmp(claims[i], value) == 0)
			return (long)i;
	return -1;
}

static int
check_domain(const char *d)
{
	size_t label = 0;

	if (!*d || strlen(d) > 200)
		return -1;
	for (; *d; d++) {
		if (*d == '.') {
			if (label == 0)
				return -1;
			label = 0;
		} else if (is_alnum((unsigned char)*d) || *d == '-') {
			label++;
		} else {
			return -1;
		}
	}
	return label ? 0 : -1;
}

/* 0 when `check` accepts `v`, without a message. */
static int
quietly(int (*check)(const char *, struct strbuf *), const char *v)
{
	struct strbuf why = STRBUF_INIT;
	int ret = check(v, &why);

	strbuf_release(&why);
	return ret;
}

/* Report `value` of `prop` when an earlier record in `claims` has it. */
static int
check_claim(struct db *containers, char **claims, size_t i, const char *prop,
	    const char *value, struct strbuf *problems)
{
	long other = find_claim(claims, i, value);

	claims[i] = xstrdup(value);
	if (other < 0)
		return 0;
	strbuf_addf(problems, "%s: %s: %s '%s': already used by %s\n",
		    CONTAINERS_DB, db_record_key(db_record_at(containers, i)),
		    prop, value,
		    db_record_key(db_record_at(containers, (size_t)other)));
	return 1;
}

/* The checks on one record that do not depend on the others; returns the
   number of problems. */
static int
validate_record(const struct db_record *rec, int spec_checks,
		struct strbuf *problems)
{
	const char *key = db_record_key(rec);
	const char *alias = prop_or(rec, "WebAlias", "");
	const char *label = prop_or(rec, "SubDomainName", "");
	int n = 0;

	if (spec_checks || alias_syntax_ok(alias))
		n += check_prop(rec, "WebAlias", web_check_alias, problems);
	if (spec_checks || label_syntax_ok(label))
		n += check_prop(rec, "SubDomainName", web_check_label,
				problems);
	n += check_prop(rec, "StartSchedule", web_check_cron, problems);
	n += check_prop(rec, "StopSchedule", web_check_cron, problems);
	if (spec_checks)
		n += check_enum(rec, "SubDomain", "enabled", "disabled",
				problems);
	if ((db_record_prop(rec, "StartSchedule") ||
	     db_record_prop(rec, "StopSchedule")) &&
	    quietly(web_check_name, key)) {
		struct strbuf why = STRBUF_INIT;
		web_check_name(key, &why);
		strbuf_addstr(&why, " to be scheduled");
		problem(problems, key, NULL, NULL, &why);
		strbuf_release(&why);
		n++;
	}
	if (spec_checks && web_wants_subdomain(rec) &&
	    !web_subdomain_label(rec)) {
		strbuf_addf(problems,
			    "%s: %s: SubDomainName: missing while SubDomain "
			    "is enabled\n",
			    CONTAINERS_DB, key);
		n++;
	}
	if (web_container_enabled(rec) &&
	    (*prop_or(rec, "WebAlias", "") || web_wants_subdomain(rec))) {
		struct strbuf why = STRBUF_INIT;
		if (web_host_port(rec, &why) < 0) {
			problem(problems, key, NULL, NULL, &why);
			n++;
		}
		strbuf_release(&why);
	}
	return n;
}

static int
validate_domain(struct db *config, struct strbuf *problems)
{
	struct db_record *d = config ? db_get(config, "DomainName") : NULL;
	const char *v = d ? db_record_type(d) : "";
	struct strbuf shown = STRBUF_INIT;

	if (check_domain(v) == 0)
		return 0;
	quote_value(&shown, v);
	strbuf_addf(problems,
		    "configuration: DomainName '%s': a subdomain is enabled, "
		    "expected a domain name like example.com\n",
		    shown.buf);
	strbuf_release(&shown);
	return 1;
}

static int
validate(struct db *containers, struct db *config, int spec_checks,
	 struct strbuf *problems)
{
	size_t n = db_count(containers);
	char **aliases = xcalloc(n ? n : 1, sizeof(*aliases));
	char **labels = xcalloc(n ? n : 1, sizeof(*labels));
	int count = 0, need_domain = 0;

	for (size_t i = 0; i < n; i++) {
		struct db_record *rec = db_record_at(containers, i);
		const char *alias = prop_or(rec, "WebAlias", "");
		const char *label = web_subdomain_label(rec);

		if (strcmp(db_record_type(rec), "service") != 0)
			continue;
		count += validate_record(rec, spec_checks, problems);
		if (!web_container_enabled(rec))
			continue;
		if (*alias && quietly(web_check_alias, alias) == 0)
			count += check_claim(containers, aliases, i, "WebAlias",
					     alias, problems);
		if (web_wants_subdomain(rec)) {
			need_domain = 1;
			if (label && quietly(web_check_label, label) == 0)
				count += check_claim(containers, labels, i,
						     "SubDomainName", label,
						     problems);
		}
	}
	if (need_domain)
		count += validate_domain(config, problems);
	for (size_t i = 0; i < n; i++) {
		free(aliases[i]);
		free(labels[i]);
	}
	free(aliases);
	free(labels);
	return count;
}

int
web_validate(struct db *containers, struct db *config, struct strbuf *problems)
{
	return validate(containers, config, 1, problems);
}

int
web_validate_all(struct strbuf *problems)
{
	struct strbuf err = STRBUF_INIT;
	struct db *containers = db_open(CONTAINERS_DB, &err);
	struct db *config = containers ? db_open("configuration", &err) : NULL;
	int count;

	if (!config) {
		/* docker-validate reports unreadable databases itself */
		count = 0;
		goto out;
	}
	count = validate(containers, config, 0, problems);
out:
	db_free(config);
	db_free(containers);
	strbuf_release(&err);
	return count;
}

/* --- hosts database ----------------------------------------------------- */

struct wanted_host {
	char *key;
	const char *container;
};

/* Set `prop` to `value` when it differs; returns 1 when it changed. */
static int
set_if_differs(struct db *hosts, struct db_record *rec, const char *prop,
	       const char *value)
{
	const char *old = db_record_prop(rec, prop);
	struct strbuf err = STRBUF_INIT;

	if (old && strcmp(old, value) == 0)
		return 0;
	/* prop names are constants that pass db_check_prop() */
	db_set_prop(hosts, rec, prop, value, &err);
	strbuf_release(&err);
	return 1;
}

static int
wanted_has(const struct wanted_host *w, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(w[i].key, key) == 0)
			return 1;
	return 0;
}

static int
apply_hosts(struct db *hosts, const struct wanted_host *w, size_t nw)
{
	int changed = 0;

	for (size_t i = 0; i < nw; i++) {
		struct db_record *rec = db_get(hosts, w[i].key);
		struct strbuf err = STRBUF_INIT;
		int c = 0;

		if (!rec) {
			rec = db_set(hosts, w[i].key, "host", &err);
			set_if_differs(hosts, rec, "ExternalIP", "");
			set_if_differs(hosts, rec, "InternalIP", "");
			c = 1;
		} else if (strcmp(db_record_type(rec), "host") != 0) {
			db_set_type(hosts, rec, "host");
			c = 1;
		}
		strbuf_release(&err);
		c |= set_if_differs(hosts, rec, "HostType", "Self");
		c |= set_if_differs(hosts, rec, HOSTS_MARKER, w[i].container);
		changed += c;
	}
	for (size_t i = db_count(hosts); i-- > 0;) {
		struct db_record *rec = db_record_at(hosts, i);
		if (db_record_prop(rec, HOSTS_MARKER) &&
		    !wanted_has(w, nw, db_record_key(rec))) {
			/* copy: the key dies with the record */
			char *key = xstrdup(db_record_key(rec));
			db_delete(hosts, key);
			free(key);
			changed++;
		}
	}
	return changed;
}

int
web_sync_hosts(struct db *containers, struct db *config, struct db *hosts,
	       struct strbuf *problems)
{
	size_t n = db_count(containers), nw = 0;
	struct wanted_host *w = xcalloc(n ? n : 1, sizeof(*w));
	struct db_record *d;
	char *domain = NULL;
	int ret = -1, conflict = 0;

	if (web_validate(containers, config, problems) > 0)
		goto out;
	d = config ? db_get(config, "DomainName") : NULL;
	domain = xstrdup(d ? db_record_type(d) : "");
	for (char *p = domain; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	for (size_t i = 0; i < n; i++) {
		struct db_record *rec = db_record_at(containers, i);
		struct strbuf key = STRBUF_INIT;
		struct db_record *h;

		if (!web_wants_subdomain(rec) || !web_subdomain_label(rec))
			continue;
		strbuf_addf(&key, "%s.%s", web_subdomain_label(rec), domain);
		h = db_get(hosts, key.buf);
		if (h && !db_record_prop(h, HOSTS_MARKER)) {
			strbuf_addf(problems,
				    "%s: %s: SubDomainName '%s': hosts record "
				    "%s exists and was not made for a "
				    "container; it is left alone\n",
				    CONTAINERS_DB, db_record_key(rec),
				    web_subdomain_label(rec), key.buf);
			strbuf_release(&key);
			conflict = 1;
			continue;
		}
		w[nw].key = strbuf_detach(&key, NULL);
		w[nw].container = db_record_key(rec);
		nw++;
	}
	if (conflict)
		goto out;
	ret = apply_hosts(hosts, w, nw);
out:
	for (size_t i = 0; i < nw; i++)
		free(w[i].key);
	free(w);
	free(domain);
	return ret;
}
