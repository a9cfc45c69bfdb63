/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The Docker Engine API client: transport (libcurl on a unix socket or
 * loopback TCP), handshake, error mapping, and the typed calls. See
 * engine.h for the contract.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "db.h"
#include "engine.h"
#include "util.h"
#include "banned.h"

#define DEFAULT_CONNECT_TIMEOUT_MS 5000L
#define DEFAULT_TIMEOUT_MS 60000L
#define DEFAULT_LONG_TIMEOUT_MS 3600000L
#define DEFAULT_MAX_BODY ((size_t)16 << 20)
#define MIN_MEMORY ((int64_t)6 << 20)

struct engine {
	struct engine_endpoint ep;
	struct engine_options opts;
	char api[16];
	CURL *curl;
	struct engine_stats stats;
};

/* ------------------------------------------------------------------------
 * Lists.
 */

void
engine_strlist_add(struct engine_strlist *l, const char *s)
{
	l->items = xgrow(l->items, &l->alloc, l->nr + 1, sizeof(*l->items));
	l->items[l->nr++] = xstrdup(s);
}

void
engine_strlist_add_argv(struct engine_strlist *l, const char *const *v)
{
	for (; v && *v; v++)
		engine_strlist_add(l, *v);
}

int
engine_strlist_has(const struct engine_strlist *l, const char *s)
{
	size_t i;

	for (i = 0; i < l->nr; i++)
		if (!strcmp(l->items[i], s))
			return 1;
	return 0;
}

void
engine_strlist_release(struct engine_strlist *l)
{
	size_t i;

	for (i = 0; i < l->nr; i++)
		free(l->items[i]);
	free(l->items);
	l->items = NULL;
	l->nr = l->alloc = 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
strlist_sort(struct engine_strlist *l)
{
	if (l->nr > 1)
		qsort(l->items, l->nr, sizeof(*l->items), cmp_str);
}

void
engine_kvlist_set(struct engine_kvlist *l, const char *key, const char *value)
{
	size_t i;

	for (i = 0; i < l->nr; i++) {
		if (!strcmp(l->items[i].key, key)) {
			free(l->items[i].value);
			l->items[i].value = value ? xstrdup(value) : NULL;
			return;
		}
	}
	l->items = xgrow(l->items, &l->alloc, l->nr + 1, sizeof(*l->items));
	l->items[l->nr].key = xstrdup(key);
	l->items[l->nr].value = value ? xstrdup(value) : NULL;
	l->nr++;
}

const char *
engine_kvlist_get(const struct engine_kvlist *l, const char *key)
{
	size_t i;

	for (i = 0; i < l->nr; i++)
		if (!strcmp(l->items[i].key, key))
			return l->items[i].value;
	return NULL;
}

void
engine_kvlist_release(struct engine_kvlist *l)
{
	size_t i;

	for (i = 0; i < l->nr; i++) {
		free(l->items[i].key);
		free(l->items[i].value);
	}
	free(l->items);
	l->items = NULL;
	l->nr = l->alloc = 0;
}

static int
cmp_kv(const void *a, const void *b)
{
	return strcmp(((const struct engine_kv *)a)->key,
		      ((const struct engine_kv *)b)->key);
}

/* ------------------------------------------------------------------------
 * Errors.
 */

const char *
engine_strerror(int code)
{
	switch (code) {
	case ENGINE_OK:
		return "success";
	case ENGINE_ENOTRUNNING:
		return "engine not running";
	case ENGINE_EPERM:
		return "permission denied";
	case ENGINE_ETIMEOUT:
		return "timeout";
	case ENGINE_ETOOBIG:
		return "reply too big";
	case ENGINE_EPROTO:
		return "protocol error";
	case ENGINE_EVERSION:
		return "engine too old";
	case ENGINE_ECONFIG:
		return "bad endpoint";
	case ENGINE_EBADREQ:
		return "bad request";
	case ENGINE_EFORBIDDEN:
		return "forbidden";
	case ENGINE_ENOTFOUND:
		return "not found";
	case ENGINE_ECONFLICT:
		return "conflict";
	case ENGINE_ESERVER:
		return "engine error";
	case ENGINE_ESTREAM:
		return "error in stream";
	case ENGINE_EABORTED:
		return "aborted";
	default:
		return "error";
	}
}

/* ------------------------------------------------------------------------
 * Endpoints.
 */

static int
is_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (!strcmp(host, "localhost"))
		return 1;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6);
	return 0;
}

static int
parse_port(const char *s, int *port)
{
	long v;

	if (!*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 5)
		return -1;
	if (!parse_long(s, &v) || v < 1 || v > 65535)
		return -1;
	*port = (int)v;
	return 0;
}

static int
endpoint_parse_tcp(struct engine_endpoint *ep, const char *spec, const char *hp,
		   struct strbuf *err)
{
	const char *colon, *tls = getenv("DOCKER_TLS_VERIFY");
	char *host = NULL;
	int port;

	if (*hp == '[') {
		const char *close = strchr(hp, ']');

		if (!close || close[1] != ':')
			goto bad;
		host = xstrndup(hp + 1, (size_t)(close - hp - 1));
		colon = close + 1;
	} else {
		colon = strrchr(hp, ':');
		if (!colon)
			goto bad;
		host = xstrndup(hp, (size_t)(colon - hp));
	}
	if (parse_port(colon + 1, &port) < 0)
		goto bad;
	if (!is_loopback(host)) {
		strbuf_addf(err,
			    "refusing engine endpoint '%s': plain TCP to a "
			    "non-loopback address exposes the Docker API (root "
			    "on this machine) to the network and this client "
			    "speaks no TLS; use the unix socket or "
			    "tcp://127.0.0.1:PORT",
			    spec);
		free(host);
		return ENGINE_ECONFIG;
	}
	if (tls && *tls) {
		strbuf_addf(
			err,
			"engine endpoint '%s': DOCKER_TLS_VERIFY is set but "
			"this client speaks no TLS",
			spec);
		free(host);
		return ENGINE_ECONFIG;
	}
	ep->transport = ENGINE_TCP;
	ep->host = host;
	ep->port = port;
	return 0;
bad:
	free(host);
	strbuf_addf(err,
		    "bad engine endpoint '%s': expected tcp://127.0.0.1:PORT",
		    spec);
	return ENGINE_ECONFIG;
}

int
engine_endpoint_parse(struct engine_endpoint *ep, const char *spec,
		      struct strbuf *err)
{
	struct engine_endpoint tmp = ENGINE_ENDPOINT_INIT;
	int ret;

	if (!strncmp(spec, "unix://", 7)) {
		if (spec[7] != '/' || strlen(spec + 7) >= 108) {
			strbuf_addf(err,
				    "bad engine endpoint '%s': expected "
				    "unix:///absolute/path (under 108 bytes)",
				    spec);
			return ENGINE_ECONFIG;
		}
		tmp.transport = ENGINE_UNIX;
		tmp.socket_path = xstrdup(spec + 7);
	} else if (!strncmp(spec, "tcp://", 6)) {
		ret = endpoint_parse_tcp(&tmp, spec, spec + 6, err);
		if (ret < 0)
			return ret;
	} else {
		strbuf_addf(err,
			    "bad engine endpoint '%s': expected unix:///path "
			    "or tcp://127.0.0.1:PORT",
			    spec);
		return ENGINE_ECONFIG;
	}
	engine_endpoint_release(ep);
	*ep = tmp;
	return 0;
}

static int
endpoint_from_db(struct engine_endpoint *ep, struct strbuf *err)
{
	struct db *db;
	struct db_record *rec;
	const char *sock, *port;
	int ret = 1, p;

	db = db_open("configuration", err);
	if (!db)
		return ENGINE_ECONFIG;
	rec = db_get(db, "docker");
	if (!rec)
		goto out;
	sock = db_record_prop(rec, "Socket");
	port = db_record_prop(rec, "TCPPort");
	if (sock && *sock) {
		if (sock[0] != '/' || strlen(sock) >= 108) {
			strbuf_addf(err,
				    "configuration: docker: Socket '%s': "
				    "expected an absolute path under 108 bytes",
				    sock);
			ret = ENGINE_ECONFIG;
			goto out;
		}
		ep->transport = ENGINE_UNIX;
		ep->socket_path = xstrdup(sock);
		ret = 0;
	} else if (port && *port) {
		if (parse_port(port, &p) < 0) {
			strbuf_addf(err,
				    "configuration: docker: TCPPort '%s': "
				    "expected a port number 1-65535",
				    port);
			ret = ENGINE_ECONFIG;
			goto out;
		}
		ep->transport = ENGINE_TCP;
		ep->host = xstrdup("127.0.0.1");
		ep->port = p;
		ret = 0;
	}
out:
	db_free(db);
	return ret;
}

int
engine_endpoint_from_config(struct engine_endpoint *ep, struct strbuf *err)
{
	const char *dh = getenv("DOCKER_HOST");
	int ret;

	engine_endpoint_release(ep);
	if (dh && *dh)
		return engine_endpoint_parse(ep, dh, err);
	ret = endpoint_from_db(ep, err);
	if (ret <= 0)
		return ret;
	ep->transport = ENGINE_UNIX;
	ep->socket_path = xstrdup(ENGINE_DEFAULT_SOCKET);
	return 0;
}

void
engine_endpoint_describe(const struct engine_endpoint *ep, struct strbuf *out)
{
	if (ep->transport == ENGINE_UNIX)
		strbuf_addf(out, "unix://%s",
			    ep->socket_path ? ep->socket_path : "");
	else if (ep->host && strchr(ep->host, ':'))
		strbuf_addf(out, "tcp://[%s]:%d", ep->host, ep->port);
	else
		strbuf_addf(out, "tcp://%s:%d", ep->host ? ep->host : "",
			    ep->port);
}

void
engine_endpoint_release(struct engine_endpoint *ep)
{
	free(ep->socket_path);
	free(ep->host);
	ep->socket_path = NULL;
	ep->host = NULL;
	ep->port = 0;
	ep->transport = ENGINE_UNIX;
}

static void
endpoint_copy(struct engine_endpoint *dst, const struct engine_endpoint *src)
{
	dst->transport = src->transport;
	dst->socket_path = src->socket_path ? xstrdup(src->socket_path) : NULL;
	dst->host = src->host ? xstrdup(src->host) : NULL;
	dst->port = src->port;
}

/* ------------------------------------------------------------------------
 * URL building.
 */

/* Percent-encode `s`; characters in `keep` are left as they are too. */
static void
url_encode(struct strbuf *out, const char *s, const char *keep)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (isalnum(c) || strchr("-._~", c) ||
		    (keep && c && strchr(keep, c))) {
			strbuf_addch(out, (char)c);
		} else {
			strbuf_addch(out, '%');
			strbuf_addch(out, hex[c >> 4]);
			strbuf_addch(out, hex[c & 15]);
		}
	}
}

/* Append `{"label":["k=v","k"]}` URL-encoded, after `&filters=` etc. */
static void
add_label_filters(struct strbuf *path, const struct engine_kvlist *labels)
{
	cJSON *root, *arr;
	struct strbuf item = STRBUF_INIT;
	char *txt;
	size_t i;

	if (!labels || !labels->nr)
		return;
	root = cJSON_CreateObject();
	arr = cJSON_AddArrayToObject(root, "label");
	for (i = 0; i < labels->nr; i++) {
		strbuf_reset(&item);
		strbuf_addstr(&item, labels->items[i].key);
		if (labels->items[i].value) {
			strbuf_addch(&item, '=');
			strbuf_addstr(&item, labels->items[i].value);
		}
		cJSON_AddItemToArray(arr, cJSON_CreateString(item.buf));
	}
	txt = cJSON_PrintUnformatted(root);
	if (!txt)
		die_oom();
	strbuf_addstr(path, strchr(path->buf, '?') ? "&" : "?");
	strbuf_addstr(path, "filters=");
	url_encode(path, txt, NULL);
	free(txt);
	cJSON_Delete(root);
	strbuf_release(&item);
}

/* ------------------------------------------------------------------------
 * Transport.
 */

/* A line-by-line consumer of a streamed reply. */
typedef int (*line_fn)(void *data, const char *line, size_t len);

struct request {
	const char *method; /* GET, POST, DELETE */
	const char *path;   /* after the version prefix, encoded */
	int versioned;	    /* prefix /vX.Y */
	int mutating;	    /* counts as a mutating call */
	const char *body;   /* JSON body, or NULL */
	int empty_post;	    /* POST with an empty body */
	long timeout_ms;    /* 0: the ordinary timeout */
	const char *what;   /* for messages: "start container 'web'" */
	/* Upload. */
	engine_read_fn read;
	void *read_data;
	struct strbuf *read_err;
	int read_failed;
	/* Streamed reply. */
	line_fn line;
	void *line_data;
};

struct reply {
	long status;
	struct strbuf body;
	size_t cap;
	size_t total;
	int too_big;
	struct request *req;
	CURL *curl;
	char api_version[16];
};

static size_t
write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct reply *r = userdata;
	size_t n = size * nmemb;
	long status = 0;
	char *nl;

	r->total += n;
	if (r->total > r->cap) {
		r->too_big = 1;
		return 0;
	}
	strbuf_add(&r->body, ptr, n);
	if (!r->req->line)
		return n;
	/* Only a successful reply is a stream of lines; an error's body is
	 * kept whole for its message. */
	curl_easy_getinfo(r->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status < 200 || status > 299)
		return n;
	/* Hand over complete lines; keep the rest for the next chunk. */
	while ((nl = memchr(r->body.buf, '\n', r->body.len))) {
		size_t len = (size_t)(nl - r->body.buf);

		r->req->line(r->req->line_data, r->body.buf, len);
		memmove(r->body.buf, nl + 1, r->body.len - len - 1);
		strbuf_setlen(&r->body, r->body.len - len - 1);
	}
	return n;
}

static size_t
header_cb(char *buf, size_t size, size_t nitems, void *userdata)
{
	struct reply *r = userdata;
	size_t n = size * nitems, i = 0, vlen;
	static const char name[] = "api-version:";

	if (n > sizeof(name) - 1 && !strncasecmp(buf, name, sizeof(name) - 1)) {
		i = sizeof(name) - 1;
		while (i < n && (buf[i] == ' ' || buf[i] == '\t'))
			i++;
		vlen = n - i;
		while (vlen &&
		       (buf[i + vlen - 1] == '\r' ||
			buf[i + vlen - 1] == '\n' || buf[i + vlen - 1] == ' '))
			vlen--;
		if (vlen < sizeof(r->api_version)) {
			memcpy(r->api_version, buf + i, vlen);
			r->api_version[vlen] = '\0';
		}
	}
	return n;
}

static size_t
read_cb(char *buf, size_t size, size_t nitems, void *userdata)
{
	struct request *req = userdata;
	ssize_t n =
		req->read(req->read_data, buf, size * nitems, req->read_err);

	if (n < 0) {
		req->read_failed = 1;
		return CURL_READFUNC_ABORT;
	}
	return (size_t)n;
}

static void
describe_request(struct engine *e, const struct request *req,
		 struct strbuf *out)
{
	if (req->what)
		strbuf_addstr(out, req->what);
	else
		strbuf_addf(out, "%s %s", req->method, req->path);
}

static int
transport_error(struct engine *e, const struct request *req, CURLcode rc,
		const struct reply *rep, struct strbuf *err)
{
	struct strbuf ep = STRBUF_INIT;
	long oserr = 0;
	int ret;

	engine_endpoint_describe(&e->ep, &ep);
	curl_easy_getinfo(e->curl, CURLINFO_OS_ERRNO, &oserr);
	describe_request(e, req, err);
	strbuf_addstr(err, ": ");
	if (req->read_failed) {
		strbuf_addstr(err, "upload aborted");
		if (req->read_err && req->read_err->len)
			strbuf_addf(err, ": %s", req->read_err->buf);
		ret = ENGINE_EABORTED;
	} else if (rep->too_big) {
		strbuf_addf(err, "the engine's reply is larger than %zu bytes",
			    rep->cap);
		ret = ENGINE_ETOOBIG;
	} else if (rc == CURLE_OPERATION_TIMEDOUT) {
		strbuf_addf(err, "no answer from the engine at %s in time",
			    ep.buf);
		ret = ENGINE_ETIMEOUT;
	} else if (rc == CURLE_COULDNT_CONNECT &&
		   (oserr == EACCES || oserr == EPERM)) {
		strbuf_addf(err,
			    "permission denied on the engine's socket %s (run "
			    "as root or as a member of the socket's group)",
			    ep.buf);
		ret = ENGINE_EPERM;
	} else if (rc == CURLE_COULDNT_CONNECT ||
		   rc == CURLE_COULDNT_RESOLVE_HOST) {
		strbuf_addf(err, "the engine at %s is not running", ep.buf);
		if (oserr)
			strbuf_addf(err, " (connect: %s)",
				    strerror((int)oserr));
		ret = ENGINE_ENOTRUNNING;
	} else {
		strbuf_addf(err, "talking to the engine at %s: %s", ep.buf,
			    curl_easy_strerror(rc));
		ret = rc == CURLE_GOT_NOTHING || rc == CURLE_RECV_ERROR ||
				      rc == CURLE_SEND_ERROR
			      ? ENGINE_EPROTO
			      : ENGINE_ERR;
		if (rc == CURLE_WEIRD_SERVER_REPLY ||
		    rc == CURLE_UNSUPPORTED_PROTOCOL)
			ret = ENGINE_EPROTO;
	}
	strbuf_release(&ep);
	return ret;
}

static void
setup_curl(struct engine *e, struct request *req, struct reply *rep,
	   struct curl_slist **hdrs, struct strbuf *url)
{
	CURL *c = e->curl;

	curl_easy_reset(c);
	if (e->ep.transport == ENGINE_UNIX) {
		curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH,
				 e->ep.socket_path);
		strbuf_addstr(url, "http://localhost");
	} else if (strchr(e->ep.host, ':')) {
		strbuf_addf(url, "http://[%s]:%d", e->ep.host, e->ep.port);
	} else {
		strbuf_addf(url, "http://%s:%d", e->ep.host, e->ep.port);
	}
	if (req->versioned)
		strbuf_addf(url, "/v%s", e->api);
	strbuf_addstr(url, req->path);
	curl_easy_setopt(c, CURLOPT_URL, url->buf);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http");
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
			 e->opts.connect_timeout_ms);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
			 req->timeout_ms ? req->timeout_ms
					 : e->opts.timeout_ms);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, rep);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, rep);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "smeserver-docker");
	*hdrs = curl_slist_append(*hdrs, "Expect:");
	if (req->read) {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
		curl_easy_setopt(c, CURLOPT_READDATA, req);
		*hdrs = curl_slist_append(*hdrs,
					  "Content-Type: application/x-tar");
		*hdrs = curl_slist_append(*hdrs, "Transfer-Encoding: chunked");
	} else if (req->body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)strlen(req->body));
		*hdrs = curl_slist_append(*hdrs,
					  "Content-Type: application/json");
	} else if (!strcmp(req->method, "POST")) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
		/* No form content type for an empty body. */
		*hdrs = curl_slist_append(*hdrs, "Content-Type:");
	}
	if (strcmp(req->method, "GET") && strcmp(req->method, "POST"))
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
	else if (!strcmp(req->method, "GET"))
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, *hdrs);
}

/*
 * Perform `req`. Returns 0 when an HTTP reply arrived (its status and body
 * in `rep`), or a negative engine_error for a transport failure.
 */
static int
http_do(struct engine *e, struct request *req, struct reply *rep,
	struct strbuf *err)
{
	struct curl_slist *hdrs = NULL;
	struct strbuf url = STRBUF_INIT;
	CURLcode rc;
	int ret = 0;

	rep->req = req;
	rep->curl = e->curl;
	rep->cap = e->opts.max_body;
	setup_curl(e, req, rep, &hdrs, &url);
	e->stats.calls++;
	if (req->mutating)
		e->stats.mutating++;
	rc = curl_easy_perform(e->curl);
	if (rc != CURLE_OK) {
		ret = transport_error(e, req, rc, rep, err);
		goto out;
	}
	curl_easy_getinfo(e->curl, CURLINFO_RESPONSE_CODE, &rep->status);
	/* A last streamed line without a newline. */
	if (req->line && rep->body.len && rep->status >= 200 &&
	    rep->status <= 299) {
		req->line(req->line_data, rep->body.buf, rep->body.len);
		strbuf_reset(&rep->body);
	}
out:
	curl_slist_free_all(hdrs);
	strbuf_release(&url);
	return ret;
}

/* The engine's {"message":...} from an error body, or the body itself. */
static void
add_engine_message(struct strbuf *err, const struct strbuf *body)
{
	cJSON *j = cJSON_ParseWithLength(body->buf, body->len);
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "message");
	const char *msg;
	struct strbuf tmp = STRBUF_INIT;

	if (cJSON_IsString(m) && m->valuestring[0]) {
		msg = m->valuestring;
	} else {
		strbuf_add(&tmp, body->buf, body->len > 300 ? 300 : body->len);
		strbuf_chomp(&tmp);
		msg = tmp.len ? tmp.buf : "(no message)";
	}
	/* "No such container: x" -> "no such container: x"; keep "API". */
	if (isupper((unsigned char)msg[0]) && islower((unsigned char)msg[1])) {
		strbuf_addch(err, (char)tolower((unsigned char)msg[0]));
		strbuf_addstr(err, msg + 1);
	} else {
		strbuf_addstr(err, msg);
	}
	strbuf_chomp(err);
	strbuf_release(&tmp);
	cJSON_Delete(j);
}

static int
status_error(long status)
{
	switch (status) {
	case 400:
		return ENGINE_EBADREQ;
	case 403:
		return ENGINE_EFORBIDDEN;
	case 404:
		return ENGINE_ENOTFOUND;
	case 409:
		return ENGINE_ECONFLICT;
	default:
		return status >= 500 ? ENGINE_ESERVER : ENGINE_ERR;
	}
}

/*
 * Perform and map the status: 2xx is 0, 304 is 1, anything else is an
 * error with the engine's message.
 */
static int
call(struct engine *e, struct request *req, struct reply *rep,
     struct strbuf *err)
{
	int ret = http_do(e, req, rep, err);

	if (ret < 0)
		return ret;
	if (rep->status >= 200 && rep->status < 300)
		return 0;
	if (rep->status == 304)
		return 1;
	describe_request(e, req, err);
	strbuf_addstr(err, ": ");
	if (rep->status >= 500)
		strbuf_addf(err, "engine error %ld: ", rep->status);
	else if (rep->status != 404 && rep->status != 409)
		strbuf_addf(err, "engine refused (%ld): ", rep->status);
	add_engine_message(err, &rep->body);
	return status_error(rep->status);
}

#define REPLY_INIT                                      \
	{                                               \
		0, STRBUF_INIT, 0, 0, 0, NULL, NULL, "" \
	}

static void
reply_release(struct reply *rep)
{
	strbuf_release(&rep->body);
}

/* A call whose reply is JSON; `*json` receives the parsed reply. */
static int
call_json(struct engine *e, struct request *req, cJSON **json,
	  struct strbuf *err)
{
	struct reply rep = REPLY_INIT;
	int ret = call(e, req, &rep, err);

	*json = NULL;
	if (ret < 0)
		goto out;
	*json = cJSON_ParseWithLength(rep.body.buf, rep.body.len);
	if (!*json) {
		describe_request(e, req, err);
		strbuf_addstr(err, ": the engine's reply is not JSON");
		ret = ENGINE_EPROTO;
	}
out:
	reply_release(&rep);
	return ret;
}

/* A call whose reply body does not matter. */
static int
call_simple(struct engine *e, struct request *req, struct strbuf *err)
{
	struct reply rep = REPLY_INIT;
	int ret = call(e, req, &rep, err);

	reply_release(&rep);
	return ret;
}

/* ------------------------------------------------------------------------
 * Client.
 */

/* Compare "1.41" with "1.25" numerically. */
static int
version_cmp(const char *a, const char *b)
{
	unsigned long amaj = strtoul(a, NULL, 10), bmaj = strtoul(b, NULL, 10);
	const char *ad = strchr(a, '.'), *bd = strchr(b, '.');
	unsigned long amin = ad ? strtoul(ad + 1, NULL, 10) : 0;
	unsigned long bmin = bd ? strtoul(bd + 1, NULL, 10) : 0;

	if (amaj != bmaj)
		return amaj < bmaj ? -1 : 1;
	if (amin != bmin)
		return amin < bmin ? -1 : 1;
	return 0;
}

static int
valid_version(const char *v)
{
	size_t n = strspn(v, "0123456789");

	return n > 0 && v[n] == '.' && v[n + 1] &&
	       strspn(v + n + 1, "0123456789") == strlen(v + n + 1);
}

static int
handshake(struct engine *e, struct strbuf *err)
{
	struct request req = { .method = "GET",
			       .path = "/_ping",
			       .what = "handshake (GET /_ping)" };
	struct reply rep = REPLY_INIT;
	struct strbuf ep = STRBUF_INIT;
	int ret = http_do(e, &req, &rep, err);

	if (ret < 0)
		goto out;
	engine_endpoint_describe(&e->ep, &ep);
	strbuf_chomp(&rep.body);
	if (rep.status != 200 || strcmp(rep.body.buf, "OK")) {
		strbuf_addf(err,
			    "%s does not answer like a Docker engine (GET "
			    "/_ping: HTTP %ld)",
			    ep.buf, rep.status);
		ret = ENGINE_EPROTO;
		goto out;
	}
	if (!valid_version(rep.api_version)) {
		strbuf_addf(err,
			    "the engine at %s did not report its API version "
			    "(older than API %s?)",
			    ep.buf, ENGINE_API_MIN);
		ret = ENGINE_EVERSION;
		goto out;
	}
	if (version_cmp(rep.api_version, ENGINE_API_MIN) < 0) {
		strbuf_addf(err,
			    "the engine at %s speaks API %s; at least %s is "
			    "needed",
			    ep.buf, rep.api_version, ENGINE_API_MIN);
		ret = ENGINE_EVERSION;
		goto out;
	}
	if (version_cmp(rep.api_version, ENGINE_API_DEFAULT) < 0)
		memcpy(e->api, rep.api_version, sizeof(e->api));
out:
	strbuf_release(&ep);
	reply_release(&rep);
	return ret;
}

struct engine *
engine_open(const struct engine_endpoint *ep, const struct engine_options *opts,
	    int *code, struct strbuf *err)
{
	static int curl_ready;
	struct engine *e;
	int ret;

	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_NOTHING) != CURLE_OK) {
			strbuf_addstr(err, "cannot initialise libcurl");
			ret = ENGINE_ERR;
			goto fail_early;
		}
		curl_ready = 1;
	}
	if ((ep->transport == ENGINE_UNIX && !ep->socket_path) ||
	    (ep->transport == ENGINE_TCP && !ep->host)) {
		strbuf_addstr(err, "engine endpoint without a socket or host");
		ret = ENGINE_ECONFIG;
		goto fail_early;
	}
	e = xcalloc(1, sizeof(*e));
	endpoint_copy(&e->ep, ep);
	if (opts)
		e->opts = *opts;
	if (e->opts.connect_timeout_ms <= 0)
		e->opts.connect_timeout_ms = DEFAULT_CONNECT_TIMEOUT_MS;
	if (e->opts.timeout_ms <= 0)
		e->opts.timeout_ms = DEFAULT_TIMEOUT_MS;
	if (e->opts.long_timeout_ms <= 0)
		e->opts.long_timeout_ms = DEFAULT_LONG_TIMEOUT_MS;
	if (!e->opts.max_body)
		e->opts.max_body = DEFAULT_MAX_BODY;
	memcpy(e->api, ENGINE_API_DEFAULT, sizeof(ENGINE_API_DEFAULT));
	e->curl = curl_easy_init();
	if (!e->curl)
		die_oom();
	ret = handshake(e, err);
	if (ret < 0) {
		engine_free(e);
		goto fail_early;
	}
	if (code)
		*code = 0;
	return e;
fail_early:
	if (code)
		*code = ret;
	return NULL;
}

struct engine *
engine_open_default(const struct engine_options *opts, int *code,
		    struct strbuf *err)
{
	struct engine_endpoint ep = ENGINE_ENDPOINT_INIT;
	struct engine *e = NULL;
	int ret = engine_endpoint_from_config(&ep, err);

	if (ret < 0) {
		if (code)
			*code = ret;
		goto out;
	}
	e = engine_open(&ep, opts, code, err);
out:
	engine_endpoint_release(&ep);
	return e;
}

void
engine_free(struct engine *e)
{
	if (!e)
		return;
	if (e->curl)
		curl_easy_cleanup(e->curl);
	engine_endpoint_release(&e->ep);
	free(e);
}

const char *
engine_api_version(const struct engine *e)
{
	return e->api;
}

const struct engine_endpoint *
engine_get_endpoint(const struct engine *e)
{
	return &e->ep;
}

void
engine_get_stats(const struct engine *e, struct engine_stats *st)
{
	*st = e->stats;
}

void
engine_reset_stats(struct engine *e)
{
	memset(&e->stats, 0, sizeof(e->stats));
}

int
engine_ping(struct engine *e, struct strbuf *err)
{
	struct request req = { .method = "GET",
			       .path = "/_ping",
			       .what = "ping" };
	struct reply rep = REPLY_INIT;
	int ret = call(e, &req, &rep, err);

	if (ret >= 0 && strncmp(rep.body.buf, "OK", 2)) {
		strbuf_addstr(err, "ping: the engine did not answer OK");
		ret = ENGINE_EPROTO;
	}
	reply_release(&rep);
	return ret < 0 ? ret : 0;
}

int
engine_request(struct engine *e, const char *method, const char *path,
	       const char *json_body, struct strbuf *reply, struct strbuf *err)
{
	struct request req = { .method = method,
			       .path = path,
			       .versioned = 1,
			       .body = json_body };
	struct reply rep = REPLY_INIT;
	int ret;

	req.mutating = strcmp(method, "GET") && strcmp(method, "HEAD");
	ret = call(e, &req, &rep, err);
	if (ret >= 0) {
		strbuf_addbuf(reply, &rep.body);
		ret = (int)rep.status;
	}
	reply_release(&rep);
	return ret;
}

/* ------------------------------------------------------------------------
 * JSON helpers.
 */

static const cJSON *
jget(const cJSON *obj, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(obj, key);
}

/* `j` when it is an array (an object), else NULL: safe to iterate. */
static const cJSON *
jarray(const cJSON *j)
{
	return cJSON_IsArray(j) ? j : NULL;
}

static const cJSON *
jobject(const cJSON *j)
{
	return cJSON_IsObject(j) ? j : NULL;
}

/* A string member, copied; "" when absent or not a string. */
static char *
jstr(const cJSON *obj, const char *key)
{
	const cJSON *v = jget(obj, key);

	return xstrdup(cJSON_IsString(v) && v->valuestring ? v->valuestring
							   : "");
}

static int64_t
jint(const cJSON *obj, const char *key)
{
	const cJSON *v = jget(obj, key);

	return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
}

static int
jbool(const cJSON *obj, const char *key)
{
	return cJSON_IsTrue(jget(obj, key));
}

static void
jstrlist(struct engine_strlist *l, const cJSON *arr)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, arr)
	{
		if (cJSON_IsString(it))
			engine_strlist_add(l, it->valuestring);
	}
}

/* Object keys ({"80/tcp":{}}) as a sorted list. */
static void
jkeys(struct engine_strlist *l, const cJSON *obj)
{
	const cJSON *it;

	if (!cJSON_IsObject(obj))
		return;
	cJSON_ArrayForEach(it, obj)
	{
		engine_strlist_add(l, it->string);
	}
	strlist_sort(l);
}

static void
jlabels(struct engine_kvlist *l, const cJSON *obj)
{
	const cJSON *it;

	if (!cJSON_IsObject(obj))
		return;
	cJSON_ArrayForEach(it, obj)
	{
		if (cJSON_IsString(it))
			engine_kvlist_set(l, it->string, it->valuestring);
	}
}

static char *
json_print(const cJSON *j)
{
	char *s = cJSON_PrintUnformatted(j);

	if (!s)
		die_oom();
	return s;
}

static cJSON *
json_strarray(const struct engine_strlist *l)
{
	cJSON *arr = cJSON_CreateArray();
	size_t i;

	for (i = 0; i < l->nr; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(l->items[i]));
	return arr;
}

static cJSON *
json_labels(const struct engine_kvlist *l)
{
	cJSON *obj = cJSON_CreateObject();
	struct engine_kv *sorted;
	size_t i;

	if (!l || !l->nr)
		return obj;
	sorted = xmalloc(l->nr * sizeof(*sorted));
	memcpy(sorted, l->items, l->nr * sizeof(*sorted));
	qsort(sorted, l->nr, sizeof(*sorted), cmp_kv);
	for (i = 0; i < l->nr; i++)
		cJSON_AddStringToObject(obj, sorted[i].key,
					sorted[i].value ? sorted[i].value : "");
	free(sorted);
	return obj;
}

/* An engine reply that is not of the expected shape. */
static int
bad_shape(const char *what, struct strbuf *err)
{
	strbuf_addf(err, "%s: unexpected reply from the engine", what);
	return ENGINE_EPROTO;
}

/* Message prefix: "<verb> <kind> '<name>'". */
static void
what3(struct strbuf *sb, const char *verb, const char *kind, const char *name)
{
	strbuf_addf(sb, "%s %s '%s'", verb, kind, name);
}

/* "/containers/<encoded id><suffix>" */
static void
obj_path(struct strbuf *sb, const char *kind, const char *id,
	 const char *suffix, const char *keep)
{
	strbuf_addf(sb, "/%s/", kind);
	url_encode(sb, id, keep);
	strbuf_addstr(sb, suffix);
}

static void
warn_list(const char *what, const cJSON *warnings)
{
	const cJSON *w;

	if (cJSON_IsString(warnings) && warnings->valuestring[0])
		esmith_warn("%s: %s", what, warnings->valuestring);
	cJSON_ArrayForEach(w, jarray(warnings))
	{
		if (cJSON_IsString(w) && w->valuestring[0])
			esmith_warn("%s: %s", what, w->valuestring);
	}
}

/* ------------------------------------------------------------------------
 * System.
 */

void
engine_version_release(struct engine_version *v)
{
	free(v->version);
	free(v->api_version);
	free(v->min_api_version);
	free(v->os);
	free(v->arch);
	free(v->kernel_version);
	memset(v, 0, sizeof(*v));
}

int
engine_version(struct engine *e, struct engine_version *out, struct strbuf *err)
{
	struct request req = { .method = "GET",
			       .path = "/version",
			       .versioned = 1,
			       .what = "version" };
	cJSON *j;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = call_json(e, &req, &j, err);
	if (ret < 0)
		return ret;
	out->version = jstr(j, "Version");
	out->api_version = jstr(j, "ApiVersion");
	out->min_api_version = jstr(j, "MinAPIVersion");
	out->os = jstr(j, "Os");
	out->arch = jstr(j, "Arch");
	out->kernel_version = jstr(j, "KernelVersion");
	cJSON_Delete(j);
	return 0;
}

void
engine_info_release(struct engine_info *info)
{
	free(info->id);
	free(info->name);
	free(info->server_version);
	free(info->docker_root_dir);
	free(info->storage_driver);
	free(info->cgroup_driver);
	free(info->cgroup_version);
	memset(info, 0, sizeof(*info));
}

int
engine_info(struct engine *e, struct engine_info *out, struct strbuf *err)
{
	struct request req = {
		.method = "GET", .path = "/info", .versioned = 1, .what = "info"
	};
	cJSON *j;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = call_json(e, &req, &j, err);
	if (ret < 0)
		return ret;
	out->id = jstr(j, "ID");
	out->name = jstr(j, "Name");
	out->server_version = jstr(j, "ServerVersion");
	out->docker_root_dir = jstr(j, "DockerRootDir");
	out->storage_driver = jstr(j, "Driver");
	out->cgroup_driver = jstr(j, "CgroupDriver");
	out->cgroup_version = jstr(j, "CgroupVersion");
	out->containers = (long)jint(j, "Containers");
	out->containers_running = (long)jint(j, "ContainersRunning");
	out->images = (long)jint(j, "Images");
	out->ncpu = (long)jint(j, "NCPU");
	out->mem_total = jint(j, "MemTotal");
	out->memory_limit = jbool(j, "MemoryLimit");
	cJSON_Delete(j);
	return 0;
}

/* ------------------------------------------------------------------------
 * Restart policies, ports, mounts.
 */

static const char *const restart_names[] = {
	[ENGINE_RESTART_DEFAULT] = "",
	[ENGINE_RESTART_NO] = "no",
	[ENGINE_RESTART_ALWAYS] = "always",
	[ENGINE_RESTART_UNLESS_STOPPED] = "unless-stopped",
	[ENGINE_RESTART_ON_FAILURE] = "on-failure",
};

const char *
engine_restart_name(enum engine_restart r)
{
	if ((unsigned)r >= sizeof(restart_names) / sizeof(*restart_names))
		return "";
	return restart_names[r];
}

int
engine_restart_parse(const char *s, enum engine_restart *out)
{
	size_t i;

	for (i = 0; i < sizeof(restart_names) / sizeof(*restart_names); i++) {
		if (!strcmp(s, restart_names[i])) {
			*out = (enum engine_restart)i;
			return 0;
		}
	}
	return -1;
}

static void
port_binding_release(struct engine_port_binding *b)
{
	free(b->container_port);
	free(b->host_ip);
	free(b->host_port);
}

static void
mount_release(struct engine_mount *m)
{
	free(m->source);
	free(m->target);
}

static enum engine_mount_type
mount_type_parse(const char *s)
{
	if (!strcmp(s, "bind"))
		return ENGINE_MOUNT_BIND;
	if (!strcmp(s, "volume"))
		return ENGINE_MOUNT_VOLUME;
	if (!strcmp(s, "tmpfs"))
		return ENGINE_MOUNT_TMPFS;
	return ENGINE_MOUNT_OTHER;
}

static const char *
mount_type_name(enum engine_mount_type t)
{
	switch (t) {
	case ENGINE_MOUNT_BIND:
		return "bind";
	case ENGINE_MOUNT_VOLUME:
		return "volume";
	case ENGINE_MOUNT_TMPFS:
		return "tmpfs";
	default:
		return "other";
	}
}

/* {"80/tcp":[{"HostIp":"","HostPort":"8081"}], "81/tcp":null} */
static void
parse_port_map(const cJSON *obj, struct engine_port_binding **out, size_t *nr)
{
	const cJSON *port, *b;
	size_t alloc = 0;

	*out = NULL;
	*nr = 0;
	if (!cJSON_IsObject(obj))
		return;
	cJSON_ArrayForEach(port, obj)
	{
		cJSON_ArrayForEach(b, jarray(port))
		{
			struct engine_port_binding *pb;

			*out = xgrow(*out, &alloc, *nr + 1, sizeof(**out));
			pb = &(*out)[(*nr)++];
			pb->container_port = xstrdup(port->string);
			pb->host_ip = jstr(b, "HostIp");
			pb->host_port = jstr(b, "HostPort");
		}
	}
}

/* HostConfig.Mounts ({Type,Source,Target,ReadOnly}) or Mounts
 * ({Type,Name,Source,Destination,RW}). */
static void
parse_mounts(const cJSON *arr, int effective, struct engine_mount **out,
	     size_t *nr)
{
	const cJSON *m;
	size_t alloc = 0;

	*out = NULL;
	*nr = 0;
	cJSON_ArrayForEach(m, jarray(arr))
	{
		struct engine_mount *em;
		char *type = jstr(m, "Type");

		*out = xgrow(*out, &alloc, *nr + 1, sizeof(**out));
		em = &(*out)[(*nr)++];
		em->type = mount_type_parse(type);
		free(type);
		if (effective) {
			em->source = jstr(m, em->type == ENGINE_MOUNT_VOLUME
						     ? "Name"
						     : "Source");
			em->target = jstr(m, "Destination");
			em->read_only = !jbool(m, "RW");
		} else {
			em->source = jstr(m, "Source");
			em->target = jstr(m, "Target");
			em->read_only = jbool(m, "ReadOnly");
		}
	}
}

/* ------------------------------------------------------------------------
 * Containers: list and inspect.
 */

static void
container_summary_release(struct engine_container_summary *c)
{
	free(c->id);
	engine_strlist_release(&c->names);
	free(c->image);
	free(c->image_id);
	free(c->state);
	free(c->status);
	engine_kvlist_release(&c->labels);
}

void
engine_container_list_release(struct engine_container_list *l)
{
	size_t i;

	for (i = 0; i < l->nr; i++)
		container_summary_release(&l->items[i]);
	free(l->items);
	l->items = NULL;
	l->nr = 0;
}

static void
parse_container_summary(struct engine_container_summary *c, const cJSON *j)
{
	const cJSON *n;

	memset(c, 0, sizeof(*c));
	c->id = jstr(j, "Id");
	cJSON_ArrayForEach(n, jget(j, "Names"))
	{
		if (cJSON_IsString(n))
			engine_strlist_add(&c->names,
					   n->valuestring +
						   (n->valuestring[0] == '/'));
	}
	c->image = jstr(j, "Image");
	c->image_id = jstr(j, "ImageID");
	c->state = jstr(j, "State");
	c->status = jstr(j, "Status");
	c->created = jint(j, "Created");
	jlabels(&c->labels, jget(j, "Labels"));
}

int
engine_container_list(struct engine *e, int all,
		      const struct engine_kvlist *labels,
		      struct engine_container_list *out, struct strbuf *err)
{
	struct strbuf path = STRBUF_INIT;
	struct request req = { .method = "GET",
			       .versioned = 1,
			       .what = "list containers" };
	const cJSON *it;
	cJSON *j = NULL;
	size_t n = 0;
	int ret;

	memset(out, 0, sizeof(*out));
	strbuf_addf(&path, "/containers/json?all=%d", all ? 1 : 0);
	add_label_filters(&path, labels);
	req.path = path.buf;
	ret = call_json(e, &req, &j, err);
	if (ret < 0)
		goto out;
	if (!cJSON_IsArray(j)) {
		ret = bad_shape("list containers", err);
		goto out;
	}
	out->items =
		xcalloc((size_t)cJSON_GetArraySize(j) + 1, sizeof(*out->items));
	cJSON_ArrayForEach(it, j)
	{
		parse_container_summary(&out->items[n++], it);
	}
	out->nr = n;
	ret = 0;
out:
	cJSON_Delete(j);
	strbuf_release(&path);
	return ret;
}

void
engine_container_release(struct engine_container *c)
{
	size_t i;

	free(c->id);
	free(c->name);
	free(c->image);
	free(c->image_id);
	free(c->hostname);
	engine_strlist_release(&c->cmd);
	engine_strlist_release(&c->env);
	engine_kvlist_release(&c->labels);
	engine_strlist_release(&c->exposed_ports);
	free(c->created);
	free(c->status);
	free(c->started_at);
	free(c->finished_at);
	free(c->network_mode);
	for (i = 0; i < c->nr_port_bindings; i++)
		port_binding_release(&c->port_bindings[i]);
	free(c->port_bindings);
	engine_strlist_release(&c->binds);
	for (i = 0; i < c->nr_host_mounts; i++)
		mount_release(&c->host_mounts[i]);
	free(c->host_mounts);
	for (i = 0; i < c->nr_mounts; i++)
		mount_release(&c->mounts[i]);
	free(c->mounts);
	for (i = 0; i < c->nr_ports; i++)
		port_binding_release(&c->ports[i]);
	free(c->ports);
	for (i = 0; i < c->nr_networks; i++) {
		free(c->networks[i].network);
		free(c->networks[i].network_id);
		free(c->networks[i].ip_address);
		engine_strlist_release(&c->networks[i].aliases);
	}
	free(c->networks);
	memset(c, 0, sizeof(*c));
}

static void
parse_restart_policy(struct engine_restart_policy *rp, const cJSON *j)
{
	char *name = jstr(j, "Name");

	if (engine_restart_parse(name, &rp->name) < 0)
		rp->name = ENGINE_RESTART_DEFAULT;
	rp->max_retry = (int)jint(j, "MaximumRetryCount");
	free(name);
}

static void
parse_networks(struct engine_container *c, const cJSON *nets)
{
	const cJSON *n;
	size_t alloc = 0;

	cJSON_ArrayForEach(n, jobject(nets))
	{
		struct engine_net_attachment *a;

		c->networks = xgrow(c->networks, &alloc, c->nr_networks + 1,
				    sizeof(*c->networks));
		a = &c->networks[c->nr_networks++];
		memset(a, 0, sizeof(*a));
		a->network = xstrdup(n->string);
		a->network_id = jstr(n, "NetworkID");
		a->ip_address = jstr(n, "IPAddress");
		jstrlist(&a->aliases, jget(n, "Aliases"));
	}
}

static void
parse_container(struct engine_container *c, const cJSON *j)
{
	const cJSON *cfg = jget(j, "Config"), *st = jget(j, "State");
	const cJSON *hc = jget(j, "HostConfig"),
		    *ns = jget(j, "NetworkSettings");
	char *name = jstr(j, "Name");

	c->id = jstr(j, "Id");
	c->name = xstrdup(name + (name[0] == '/'));
	free(name);
	c->image = jstr(cfg, "Image");
	c->image_id = jstr(j, "Image");
	c->hostname = jstr(cfg, "Hostname");
	jstrlist(&c->cmd, jget(cfg, "Cmd"));
	jstrlist(&c->env, jget(cfg, "Env"));
	jlabels(&c->labels, jget(cfg, "Labels"));
	jkeys(&c->exposed_ports, jget(cfg, "ExposedPorts"));
	c->created = jstr(j, "Created");
	c->status = jstr(st, "Status");
	c->running = jbool(st, "Running");
	c->restarting = jbool(st, "Restarting");
	c->exit_code = (int)jint(st, "ExitCode");
	c->pid = (long)jint(st, "Pid");
	c->started_at = jstr(st, "StartedAt");
	c->finished_at = jstr(st, "FinishedAt");
	c->memory = jint(hc, "Memory");
	c->nano_cpus = jint(hc, "NanoCpus");
	parse_restart_policy(&c->restart_policy, jget(hc, "RestartPolicy"));
	c->network_mode = jstr(hc, "NetworkMode");
	parse_port_map(jget(hc, "PortBindings"), &c->port_bindings,
		       &c->nr_port_bindings);
	jstrlist(&c->binds, jget(hc, "Binds"));
	parse_mounts(jget(hc, "Mounts"), 0, &c->host_mounts,
		     &c->nr_host_mounts);
	parse_mounts(jget(j, "Mounts"), 1, &c->mounts, &c->nr_mounts);
	parse_port_map(jget(ns, "Ports"), &c->ports, &c->nr_ports);
	parse_networks(c, jget(ns, "Networks"));
}

/*
 * GET /<coll>/<id><suffix> and hand the reply, which must be a JSON object,
 * to `parse`. Returns 0 or a negative ENGINE_E* code with `err` set.
 */
static int
inspect_object(struct engine *e, const char *coll, const char *kind,
	       const char *id, const char *suffix, const char *keep,
	       void (*parse)(void *out, const cJSON *j), void *out,
	       struct strbuf *err)
{
	struct strbuf path = STRBUF_INIT, what = STRBUF_INIT;
	struct request req = { .method = "GET", .versioned = 1 };
	cJSON *j = NULL;
	int ret;

	obj_path(&path, coll, id, suffix, keep);
	what3(&what, "inspect", kind, id);
	req.path = path.buf;
	req.what = what.buf;
	ret = call_json(e, &req, &j, err);
	if (ret < 0)
		goto out;
	if (!cJSON_IsObject(j)) {
		ret = bad_shape(what.buf, err);
		goto out;
	}
	parse(out, j);
	ret = 0;
out:
	cJSON_Delete(j);
	strbuf_release(&path);
	strbuf_release(&what);
	return ret;
}

static void
parse_container_any(void *out, const cJSON *j)
{
	parse_container(out, j);
}

int
engine_container_inspect(struct engine *e, const char *name_or_id,
			 struct engine_container *out, struct strbuf *err)
{
	memset(out, 0, sizeof(*out));
	return inspect_object(e, "containers", "container", name_or_id, "/json",
			      NULL, parse_container_any, out, err);
}

const struct engine_net_attachment *
engine_container_network(const struct engine_container *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nr_networks; i++)
		if (!strcmp(c->networks[i].network, name))
			return &c->networks[i];
	return NULL;
}

/* ------------------------------------------------------------------------
 * Container specs.
 */

void
engine_container_spec_init(struct engine_container_spec *s)
{
	memset(s, 0, sizeof(*s));
}

void
engine_container_spec_release(struct engine_container_spec *s)
{
	size_t i;

	free(s->name);
	free(s->image);
	free(s->hostname);
	engine_strlist_release(&s->cmd);
	engine_strlist_release(&s->env);
	engine_kvlist_release(&s->labels);
	engine_strlist_release(&s->exposed_ports);
	for (i = 0; i < s->nr_port_bindings; i++)
		port_binding_release(&s->port_bindings[i]);
	free(s->port_bindings);
	engine_strlist_release(&s->binds);
	for (i = 0; i < s->nr_mounts; i++)
		mount_release(&s->mounts[i]);
	free(s->mounts);
	free(s->network_mode);
	engine_strlist_release(&s->aliases);
	memset(s, 0, sizeof(*s));
}

void
engine_container_spec_add_port(struct engine_container_spec *s,
			       const char *container_port, const char *host_ip,
			       const char *host_port)
{
	struct engine_port_binding *b;

	s->port_bindings =
		xgrow(s->port_bindings, &s->alloc_port_bindings,
		      s->nr_port_bindings + 1, sizeof(*s->port_bindings));
	b = &s->port_bindings[s->nr_port_bindings++];
	b->container_port = xstrdup(container_port);
	b->host_ip = xstrdup(host_ip ? host_ip : "");
	b->host_port = xstrdup(host_port ? host_port : "");
}

void
engine_container_spec_add_mount(struct engine_container_spec *s,
				enum engine_mount_type type, const char *source,
				const char *target, int read_only)
{
	struct engine_mount *m;

	s->mounts = xgrow(s->mounts, &s->alloc_mounts, s->nr_mounts + 1,
			  sizeof(*s->mounts));
	m = &s->mounts[s->nr_mounts++];
	m->type = type;
	m->source = xstrdup(source ? source : "");
	m->target = xstrdup(target ? target : "");
	m->read_only = read_only;
}

/* "80", "80/tcp", "53/udp" -> "80/tcp" in `out`; -1 when malformed. */
static int
normalize_port(const char *p, struct strbuf *out)
{
	const char *slash = strchr(p, '/');
	char *num = xstrndup(p, slash ? (size_t)(slash - p) : strlen(p));
	int port, ret = -1;

	if (parse_port(num, &port) < 0)
		goto out;
	if (slash && strcmp(slash + 1, "tcp") && strcmp(slash + 1, "udp"))
		goto out;
	strbuf_addf(out, "%d/%s", port, slash ? slash + 1 : "tcp");
	ret = 0;
out:
	free(num);
	return ret;
}

int
engine_port_normalize(const char *p, struct strbuf *out)
{
	return normalize_port(p, out) < 0 ? ENGINE_ERR : 0;
}

static int
valid_ip(const char *s)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return !*s || inet_pton(AF_INET, s, buf) == 1 ||
	       inet_pton(AF_INET6, s, buf) == 1;
}

static int
spec_user_network(const struct engine_container_spec *s)
{
	const char *m = s->network_mode;

	return m && *m && strcmp(m, "default") && strcmp(m, "bridge") &&
	       strcmp(m, "host") && strcmp(m, "none") &&
	       strncmp(m, "container:", 10);
}

static int spec_err(const struct engine_container_spec *s, struct strbuf *err,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
spec_err(const struct engine_container_spec *s, struct strbuf *err,
	 const char *fmt, ...)
{
	va_list ap;

	strbuf_addf(err, "container spec '%s': ", s->name ? s->name : "");
	va_start(ap, fmt);
	strbuf_vaddf(err, fmt, ap);
	va_end(ap);
	return ENGINE_ERR;
}

static int
spec_ports_json(const struct engine_container_spec *s, cJSON *exposed,
		cJSON *bindings, struct strbuf *err)
{
	struct engine_strlist ports = ENGINE_STRLIST_INIT;
	struct strbuf p = STRBUF_INIT;
	size_t i, k;
	int ret = ENGINE_ERR;

	for (i = 0; i < s->exposed_ports.nr; i++) {
		strbuf_reset(&p);
		if (normalize_port(s->exposed_ports.items[i], &p) < 0) {
			spec_err(s, err, "port '%s': expected N/tcp or N/udp",
				 s->exposed_ports.items[i]);
			goto out;
		}
		if (!engine_strlist_has(&ports, p.buf))
			engine_strlist_add(&ports, p.buf);
	}
	for (i = 0; i < s->nr_port_bindings; i++) {
		const struct engine_port_binding *b = &s->port_bindings[i];
		int hp;

		strbuf_reset(&p);
		if (normalize_port(b->container_port, &p) < 0) {
			spec_err(s, err, "port '%s': expected N/tcp or N/udp",
				 b->container_port);
			goto out;
		}
		if (b->host_port && *b->host_port &&
		    parse_port(b->host_port, &hp) < 0) {
			spec_err(s, err, "host port '%s': expected 1-65535",
				 b->host_port);
			goto out;
		}
		if (b->host_ip && !valid_ip(b->host_ip)) {
			spec_err(s, err,
				 "host address '%s': expected an IP "
				 "address",
				 b->host_ip);
			goto out;
		}
		if (!engine_strlist_has(&ports, p.buf))
			engine_strlist_add(&ports, p.buf);
	}
	strlist_sort(&ports);
	for (i = 0; i < ports.nr; i++) {
		cJSON *arr = NULL;

		cJSON_AddItemToObject(exposed, ports.items[i],
				      cJSON_CreateObject());
		for (k = 0; k < s->nr_port_bindings; k++) {
			const struct engine_port_binding *b =
				&s->port_bindings[k];
			cJSON *o;

			strbuf_reset(&p);
			normalize_port(b->container_port, &p);
			if (strcmp(p.buf, ports.items[i]))
				continue;
			if (!arr)
				arr = cJSON_AddArrayToObject(bindings,
							     ports.items[i]);
			o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "HostIp",
						b->host_ip ? b->host_ip : "");
			cJSON_AddStringToObject(o, "HostPort",
						b->host_port ? b->host_port
							     : "");
			cJSON_AddItemToArray(arr, o);
		}
	}
	ret = 0;
out:
	engine_strlist_release(&ports);
	strbuf_release(&p);
	return ret;
}

static int
spec_mounts_json(const struct engine_container_spec *s, cJSON *hc,
		 struct strbuf *err)
{
	cJSON *arr;
	size_t i;

	for (i = 0; i < s->binds.nr; i++) {
		const char *b = s->binds.items[i], *colon = strchr(b, ':');

		if (!colon || colon == b || colon[1] != '/')
			return spec_err(
				s, err,
				"bind '%s': expected SOURCE:/TARGET[:ro]", b);
	}
	if (s->binds.nr)
		cJSON_AddItemToObject(hc, "Binds", json_strarray(&s->binds));
	if (!s->nr_mounts)
		return 0;
	arr = cJSON_AddArrayToObject(hc, "Mounts");
	for (i = 0; i < s->nr_mounts; i++) {
		const struct engine_mount *m = &s->mounts[i];
		cJSON *o;

		if (m->target[0] != '/')
			return spec_err(s, err,
					"mount target '%s': expected an "
					"absolute path",
					m->target);
		if (m->type == ENGINE_MOUNT_BIND && m->source[0] != '/')
			return spec_err(s, err,
					"bind mount source '%s': expected an "
					"absolute path",
					m->source);
		if (m->type == ENGINE_MOUNT_VOLUME && !m->source[0])
			return spec_err(
				s, err,
				"volume mount on '%s': a volume name is "
				"required (no anonymous volumes)",
				m->target);
		if (m->type == ENGINE_MOUNT_OTHER)
			return spec_err(s, err, "mount on '%s': unknown type",
					m->target);
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "Type", mount_type_name(m->type));
		if (m->type != ENGINE_MOUNT_TMPFS)
			cJSON_AddStringToObject(o, "Source", m->source);
		cJSON_AddStringToObject(o, "Target", m->target);
		cJSON_AddBoolToObject(o, "ReadOnly", m->read_only != 0);
		cJSON_AddItemToArray(arr, o);
	}
	return 0;
}

static cJSON *
restart_json(const struct engine_restart_policy *rp)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "Name", engine_restart_name(rp->name));
	cJSON_AddNumberToObject(
		o, "MaximumRetryCount",
		rp->name == ENGINE_RESTART_ON_FAILURE ? rp->max_retry : 0);
	return o;
}

static int
spec_check(const struct engine_container_spec *s, struct strbuf *err)
{
	if (!s->image || !*s->image)
		return spec_err(s, err, "%s", "no image given");
	if (s->memory && s->memory < MIN_MEMORY)
		return spec_err(
			s, err, "%s",
			"memory limit below the engine's minimum of 6M");
	if (s->memory < 0 || s->nano_cpus < 0)
		return spec_err(s, err, "%s", "negative memory or CPU limit");
	if (s->aliases.nr && !spec_user_network(s))
		return spec_err(s, err,
				"network aliases need a user-defined network, "
				"not network mode '%s'",
				s->network_mode ? s->network_mode : "default");
	if ((unsigned)s->restart_policy.name > ENGINE_RESTART_ON_FAILURE)
		return spec_err(s, err, "%s", "unknown restart policy");
	return 0;
}

int
engine_container_spec_json(const struct engine_container_spec *s,
			   struct strbuf *out, struct strbuf *err)
{
	cJSON *root = NULL, *hc, *exposed, *bindings;
	char *txt;
	int ret = spec_check(s, err);

	if (ret < 0)
		return ret;
	root = cJSON_CreateObject();
	if (s->hostname && *s->hostname)
		cJSON_AddStringToObject(root, "Hostname", s->hostname);
	cJSON_AddStringToObject(root, "Image", s->image);
	if (s->cmd.nr)
		cJSON_AddItemToObject(root, "Cmd", json_strarray(&s->cmd));
	cJSON_AddItemToObject(root, "Env", json_strarray(&s->env));
	cJSON_AddItemToObject(root, "Labels", json_labels(&s->labels));
	exposed = cJSON_AddObjectToObject(root, "ExposedPorts");
	hc = cJSON_AddObjectToObject(root, "HostConfig");
	bindings = cJSON_AddObjectToObject(hc, "PortBindings");
	ret = spec_ports_json(s, exposed, bindings, err);
	if (ret < 0)
		goto out;
	cJSON_AddNumberToObject(hc, "Memory", (double)s->memory);
	cJSON_AddNumberToObject(hc, "NanoCpus", (double)s->nano_cpus);
	ret = spec_mounts_json(s, hc, err);
	if (ret < 0)
		goto out;
	if (s->network_mode && *s->network_mode)
		cJSON_AddStringToObject(hc, "NetworkMode", s->network_mode);
	cJSON_AddItemToObject(hc, "RestartPolicy",
			      restart_json(&s->restart_policy));
	if (spec_user_network(s)) {
		cJSON *ec = cJSON_AddObjectToObject(
			cJSON_AddObjectToObject(root, "NetworkingConfig"),
			"EndpointsConfig");
		cJSON *ep = cJSON_AddObjectToObject(ec, s->network_mode);

		cJSON_AddItemToObject(ep, "Aliases",
				      json_strarray(&s->aliases));
	}
	txt = json_print(root);
	strbuf_addstr(out, txt);
	free(txt);
out:
	cJSON_Delete(root);
	return ret;
}

/* ------------------------------------------------------------------------
 * Containers: life cycle.
 */

int
engine_container_create(struct engine *e, const struct engine_container_spec *s,
			char **id_out, struct strbuf *err)
{
	struct strbuf body = STRBUF_INIT, path = STRBUF_INIT,
		      what = STRBUF_INIT;
	struct request req = { .method = "POST",
			       .versioned = 1,
			       .mutating = 1 };
	const cJSON *id;
	cJSON *j = NULL;
	int ret;

	if (id_out)
		*id_out = NULL;
	ret = engine_container_spec_json(s, &body, err);
	if (ret < 0)
		goto out;
	strbuf_addstr(&path, "/containers/create");
	if (s->name && *s->name) {
		strbuf_addstr(&path, "?name=");
		url_encode(&path, s->name, NULL);
	}
	what3(&what, "create", "container", s->name ? s->name : s->image);
	req.path = path.buf;
	req.what = what.buf;
	req.body = body.buf;
	ret = call_json(e, &req, &j, err);
	if (ret < 0)
		goto out;
	id = jget(j, "Id");
	if (!cJSON_IsString(id)) {
		ret = bad_shape(what.buf, err);
		goto out;
	}
	warn_list(what.buf, jget(j, "Warnings"));
	if (id_out)
		*id_out = xstrdup(id->valuestring);
	ret = 0;
out:
	cJSON_Delete(j);
	strbuf_release(&body);
	strbuf_release(&path);
	strbuf_release(&what);
	return ret;
}

/* POST /containers/{id}/<action><query> with an empty body. */
static int
container_action(struct engine *e, const char *verb, const char *id,
		 const char *action, const char *query, long timeout_ms,
		 struct strbuf *err)
{
	struct strbuf path = STRBUF_INIT, what = STRBUF_INIT;
	struct request req = { .method = "POST",
			       .versioned = 1,
			       .mutating = 1,
			       .timeout_ms = timeout_ms };
	int ret;

	obj_path(&path, "containers", id, "/", NULL);
	strbuf_addstr(&path, action);
	strbuf_addstr(&path, query);
	what3(&what, verb, "container", id);
	req.path = path.buf;
	req.what = what.buf;
	ret = call_simple(e, &req, err);
	strbuf_release(&path);
	strbuf_release(&what);
	return ret;
}

int
engine_container_start(struct engine *e, const char *name_or_id,
		       struct strbuf *err)
{
	return container_action(e, "start", name_or_id, "start", "", 0, err);
}

static long
stop_timeout_ms(struct engine *e, int timeout_s)
{
	long t = ((long)(timeout_s < 0 ? 10 : timeout_s) + 30) * 1000;

	return t > e->opts.timeout_ms ? t : e->opts.timeout_ms;
}

int
engine_container_stop(struct engine *e, const char *name_or_id, int timeout_s,
		      struct strbuf *err)
{
	char q[32] = "";

	if (timeout_s >= 0)
		snprintf(q, sizeof(q), "?t=%d", timeout_s);
	return container_action(e, "stop", name_or_id, "stop", q,
				stop_timeout_ms(e, timeout_s), err);
}

int
engine_container_restart(struct engine *e, const char *name_or_id,
			 int timeout_s, struct strbuf *err)
{
	char q[32] = "";
	int ret;

	if (timeout_s >= 0)
		snprintf(q, sizeof(q), "?t=%d", timeout_s);
	ret = container_action(e, "restart", name_or_id, "restart", q,
			       stop_timeout_ms(e, timeout_s), err);
	return ret < 0 ? ret : 0;
}

int
engine_container_remove(struct engine *e, const char *name_or_id,
			unsigned flags, struct strbuf *err)
{
	struct strbuf path = STRBUF_INIT, what = STRBUF_INIT;
	struct request req = { .method = "DELETE",
			       .versioned = 1,
			       .mutating = 1 };
	int ret;

	obj_path(&path, "containers", name_or_id, "", NULL);
	strbuf_addf(&path, "?v=%d&force=%d",
		    (flags & ENGINE_REMOVE_VOLUMES) ? 1 : 0,
		    (flags & ENGINE_REMOVE_FORCE) ? 1 : 0);
	what3(&what, "remove", "container", name_or_id);
	req.path = path.buf;
	req.what = what.buf;
	if (flags & ENGINE_REMOVE_FORCE)
		req.timeout_ms = stop_timeout_ms(e, 10);
	ret = call_simple(e, &req, err);
	strbuf_release(&path);
	strbuf_release(&what);
	return ret < 0 ? ret : 0;
}

int
engine_container_rename(struct engine *e, const char *name_or_id,
			const char *new_name, struct strbuf *err)
{
	struct strbuf q = STRBUF_INIT;
	int ret;

	strbuf_addstr(&q, "?name=");
	url_encode(&q, new_name, NULL);
	ret = container_action(e, "rename", name_or_id, "rename", q.buf, 0,
			       err);
	strbuf_release(&q);
	return ret < 0 ? ret : 0;
}

int
engine_container_update(struct engine *e, const char *name_or_id,
			const struct engine_container_update *u,
			struct strbuf *err)
{
	struct strbuf path = STRBUF_INIT, what = STRBUF_INIT;
	struct request req = { .method = "POST",
			       .versioned = 1,
			       .mutating = 1 };
	cJSON *body = cJSON_CreateObject(), *j = NULL;
	char *txt = NULL;
	int ret = ENGINE_ERR;

	what3(&what, "update", "container", name_or_id);
	if (u->fields & ENGINE_UPDATE_MEMORY) {
		if (u->memory < MIN_MEMORY) {
			strbuf_addf(err,
				    "%s: memory limit below the engine's "
				    "minimum of 6M",
				    what.buf);
			goto out;
		}
		cJSON_AddNumberToObject(body, "Memory", (double)u->memory);
		cJSON_AddNumberToObject(body, "MemorySwap",
					(double)u->memory * 2);
	}
	if (u->fields & ENGINE_UPDATE_NANO_CPUS)
		cJSON_AddNumberToObject(body, "NanoCpus", (double)u->nano_cpus);
	if (u->fields & ENGINE_UPDATE_RESTART)
		cJSON_AddItemToObject(body, "RestartPolicy",
				      restart_json(&u->restart_policy));
	txt = json_print(body);
	obj_path(&path, "containers", name_or_id, "/update", NULL);
	req.path = path.buf;
	req.what = what.buf;
	req.body = txt;
	ret = call_json(e, &req, &j, err);
	if (ret >= 0) {
		warn_list(what.buf, jget(j, "Warnings"));
		ret = 0;
	}
out:
	cJSON_Delete(body);
	cJSON_Delete(j);
	free(txt);
	strbuf_release(&path);
	strbuf_release(&what);
	return ret;
}

int
engine_container_wait(struct engine *e, const char *name_or_id, long timeout_ms,
		      int *exit_code, struct strbuf *err)
{
	struct strbuf path = STRBUF_INIT, what = STRBUF_INIT;
	struct request req = { .method = "POST", .versioned = 1 };
	const cJSON *code;
	cJSON *j = NULL;
	int ret;

	obj_path(&path, "containers", name_or_id, "/wait", NULL);
	what3(&what, "wait for", "container", name_or_id);
	req.path = path.buf;
	req.what = what.buf;
	req.timeout_ms = timeout_ms > 0 ? timeout_ms : e->opts.long_timeout_ms;
	ret = call_json(e, &req, &j, err);
	if (ret < 0)
		goto out;
	code = jget(j, "StatusCode");
	if (!cJSON_IsNumber(code)) {
		ret = bad_shape(what.buf, err);
		goto out;
	}
	if (exit_code)
		*exit_code = code->valueint;
	ret = 0;
out:
	cJSON_Delete(j);
	strbuf_release(&path);
	strbuf_release(&what);
	return ret;
}

/* ------------------------------------------------------------------------
 * Networks.
 */

void
engine_network_release(struct engine_network *n)
{
	free(n->id);
	free(n->name);
	free(n->driver);
	free(n->scope);
	free(n->subnet);
	free(n->gateway);
	engine_kvlist_release(&n->labels);
	engine_kvlist_release(&n->containers);
	memset(n, 0, sizeof(*n));
}

void
engine_network_list_release(struct engine_network_list *l)
{
	size_t i;

	for (i = 0; i < l->nr; i++)
		engine_network_release(&l->items[i]);
	free(l->items);
	l->items = NULL;
	l->nr = 0;
}

static void
parse_network(struct engine_network *n, const cJSON *j)
{
	const cJSON *cfg =
		cJSON_GetArrayItem(jget(jget(j, "IPAM"), "Config"), 0);
	const cJSON *c;

	memset(n, 0, sizeof(*n));
	n->id = jstr(j, "Id");
	n->name = jstr(j, "Name");
	n->driver = jstr(j, "Driver");
	n->scope = jstr(j, "Scope");
	n->internal = jbool(j, "Internal");
	n->subnet = jstr(cfg, "Subnet");
	n->gateway = jstr(cfg, "Gateway");
	jlabels(&n->labels, jget(j, "Labels"));
	cJSON_ArrayForEach(c, jobject(jget(j, "Containers")))
	{
		char *name = jstr(c, "Name");

		engine_kvlist_set(&n->containers, c->string, name);
		free(name);
	}
}

int
engine_network_list(struct engine *e, const struct engine_kvlist *labels,
		    struct engine_network_list *out, struct strbuf *err)
{
	struct strbuf path = STRBUF_INIT;
	struct request req = { .method = "GET",
			       .versioned = 1,
			       .what = "list networks" };
	const cJSON *it;
	cJSON *j = NULL;
	size_t n = 0;
	int ret;

	memset(out, 0, sizeof(*out));
	strbuf_addstr(&path, "/networks");
	add_label_filters(&path, labels);
	req.path = path.buf;
	ret = call_json(e, &req, &j, err);
	if (ret < 0)
		goto out;
	if (!cJSON_IsArray(j)) {
		ret = bad_shape("list networks", err);
		goto out;
	}
	out->items =
		xcalloc((size_t)cJSON_GetArraySize(j) + 1, sizeof(*out->items));
	cJSON_ArrayForEach(it, j)
	{
		parse_network(&out->items[n++], it);
	}
	out->nr = n;
	ret = 0;
out:
	cJSON_Delete(j);
	strbuf_release(&path);
	return ret;
}

static void
parse_network_any(void *out, const cJSON *j)
{
	parse_network(out, j);
}

int
engine_network_inspect(struct engine *e, const char *name_or_id,
		       struct engine_network *out, struct strbuf *err)
{
	memset(out, 0, sizeof(*out));
	return inspect_object(e, "networks", "network", name_or_id, "", NULL,
			      parse_network_any, out, err);
}

int
engine_network_create(struct engine *e, const struct engine_network_spec *spec,
		      char **id_out, struct strbuf *err)
{
	struct strbuf what = STRBUF_INIT;
	struct request req = { .method = "POST",
			       .path = "/networks/create",
			       .versioned = 1,
			       .mutating = 1 };
	cJSON *body = cJSON_CreateObject(), *j = NULL;
	const cJSON *id;
	char *txt = NULL;
	int ret = ENGINE_ERR;

	if (id_out)
		*id_out = NULL;
	what3(&what, "create", "network", spec->name ? spec->name : "");
	if (!spec->name || !*spec->name) {
		strbuf_addf(err, "%s: a name is required", what.buf);
		goto out;
	}
	cJSON_AddStringToObject(body, "Name", spec->name);
	cJSON_AddBoolToObject(body, "CheckDuplicate", 1);
	cJSON_AddStringToObject(body, "Driver",
				spec->driver ? spec->driver : "bridge");
	cJSON_AddBoolToObject(body, "Internal", spec->internal != 0);
	if (spec->subnet) {
		cJSON *cfg = cJSON_CreateObject();

		cJSON_AddStringToObject(cfg, "Subnet", spec->subnet);
		if (spec->gateway)
			cJSON_AddStringToObject(cfg, "Gateway", spec->gateway);
		cJSON_AddItemToArray(
			cJSON_AddArrayToObject(
				cJSON_AddObjectToObject(body, "IPAM"),
				"Config"),
			cfg);
	}
	cJSON_AddItemToObject(body, "Labels", json_labels(spec->labels));
	txt = json_print(body);
	req.what = what.buf;
	req.body = txt;
	ret = call_json(e, &req, &j, err);
	if (ret < 0)
		goto out;
	id = jget(j, "Id");
	if (!cJSON_IsString(id)) {
		ret = bad_shape(what.buf, err);
		goto out;
	}
	warn_list(what.buf, jget(j, "Warning"));
	if (id_out)
		*id_out = xstrdup(id->valuestring);
	ret = 0;
out:
	cJSON_Delete(body);
	cJSON_Delete(j);
	free(txt);
	strbuf_release(&what);
	return ret;
}

int
engine_network_remove(struct engine *e, const char *name_or_id,
		      struct strbuf *err)
{
	struct strbuf path = STRBUF_INIT, what = STRBUF_INIT;
	struct request req = { .method = "DELETE",
			       .versioned = 1,
			       .mutating = 1 };
	int ret;

	obj_path(&path, "networks", name_or_id, "", NULL);
	what3(&what, "remove", "network", name_or_id);
	req.path = path.buf;
	req.what = what.buf;
	ret = call_simple(e, &req, err);
	strbuf_release(&path);
	strbuf_release(&what);
	return ret < 0 ? ret : 0;
}

static int
network_attach(struct engine *e, const char *verb, const char *network,
	       const char *container, const struct engine_strlist *aliases,
	       int force, struct strbuf *err)
{
	struct strbuf path = STRBUF_INIT, what = STRBUF_INIT;
	struct request req = { .method = "POST",
			       .versioned = 1,
			       .mutating = 1 };
	cJSON *body = cJSON_CreateObject();
	char *txt;
	int ret;

	cJSON_AddStringToObject(body, "Container", container);
	if (!strcmp(verb, "connect")) {
		cJSON *ec = cJSON_AddObjectToObject(body, "EndpointConfig");

		if (aliases && aliases->nr)
			cJSON_AddItemToObject(ec, "Aliases",
					      json_strarray(aliases));
	} else {
		cJSON_AddBoolToObject(body, "Force", force != 0);
	}
	txt = json_print(body);
	obj_path(&path, "networks", network, "/", NULL);
	strbuf_addstr(&path, verb);
	strbuf_addf(&what, "%s container '%s' %s network '%s'", verb, container,
		    strcmp(verb, "connect") ? "from" : "to", network);
	req.path = path.buf;
	req.what = what.buf;
	req.body = txt;
	ret = call_simple(e, &req, err);
	cJSON_Delete(body);
	free(txt);
	strbuf_release(&path);
	strbuf_release(&what);
	return ret < 0 ? ret : 0;
}

int
engine_network_connect(struct engine *e, const char *network,
		       const char *container,
		       const struct engine_strlist *aliases, struct strbuf *err)
{
	return network_attach(e, "connect", network, container, aliases, 0,
			      err);
}

int
engine_network_disconnect(struct engine *e, const char *network,
			  const char *container, int force, struct strbuf *err)
{
	return network_attach(e, "disconnect", network, container, NULL, force,
			      err);
}

/* ------------------------------------------------------------------------
 * Volumes.
 */

void
engine_volume_release(struct engine_volume *v)
{
	free(v->name);
	free(v->driver);
	free(v->mountpoint);
	free(v->created_at);
	engine_kvlist_release(&v->labels);
	memset(v, 0, sizeof(*v));
}

void
engine_volume_list_release(struct engine_volume_list *l)
{
	size_t i;

	for (i = 0; i < l->nr; i++)
		engine_volume_release(&l->items[i]);
	free(l->items);
	l->items = NULL;
	l->nr = 0;
}

static void
parse_volume(struct engine_volume *v, const cJSON *j)
{
	memset(v, 0, sizeof(*v));
	v->name = jstr(j, "Name");
	v->driver = jstr(j, "Driver");
	v->mountpoint = jstr(j, "Mountpoint");
	v->created_at = jstr(j, "CreatedAt");
	jlabels(&v->labels, jget(j, "Labels"));
}

int
engine_volume_list(struct engine *e, const struct engine_kvlist *labels,
		   struct engine_volume_list *out, struct strbuf *err)
{
	struct strbuf path = STRBUF_INIT;
	struct request req = { .method = "GET",
			       .versioned = 1,
			       .what = "list volumes" };
	const cJSON *it, *vols;
	cJSON *j = NULL;
	size_t n = 0;
	int ret;

	memset(out, 0, sizeof(*out));
	strbuf_addstr(&path, "/volumes");
	add_label_filters(&path, labels);
	req.path = path.buf;
	ret = call_json(e, &req, &j, err);
	if (ret < 0)
		goto out;
	vols = jget(j, "Volumes");
	if (!cJSON_IsArray(vols) && !cJSON_IsNull(vols)) {
		ret = bad_shape("list volumes", err);
		goto out;
	}
	out->items = xcalloc((size_t)cJSON_GetArraySize(vols) + 1,
			     sizeof(*out->items));
	cJSON_ArrayForEach(it, jarray(vols))
	{
		parse_volume(&out->items[n++], it);
	}
	out->nr = n;
	ret = 0;
out:
	cJSON_Delete(j);
	strbuf_release(&path);
	return ret;
}

static void
parse_volume_any(void *out, const cJSON *j)
{
	parse_volume(out, j);
}

int
engine_volume_inspect(struct engine *e, const char *name,
		      struct engine_volume *out, struct strbuf *err)
{
	memset(out, 0, sizeof(*out));
	return inspect_object(e, "volumes", "volume", name, "", NULL,
			      parse_volume_any, out, err);
}

int
engine_volume_create(struct engine *e, const char *name,
		     const struct engine_kvlist *labels,
		     struct engine_volume *out, struct strbuf *err)
{
	struct strbuf what = STRBUF_INIT;
	struct request req = { .method = "POST",
			       .path = "/volumes/create",
			       .versioned = 1,
			       .mutating = 1 };
	cJSON *body = cJSON_CreateObject(), *j = NULL;
	char *txt;
	int ret;

	if (out)
		memset(out, 0, sizeof(*out));
	cJSON_AddStringToObject(body, "Name", name);
	cJSON_AddStringToObject(body, "Driver", "local");
	cJSON_AddItemToObject(body, "Labels", json_labels(labels));
	txt = json_print(body);
	what3(&what, "create", "volume", name);
	req.what = what.buf;
	req.body = txt;
	ret = call_json(e, &req, &j, err);
	if (ret >= 0) {
		if (out)
			parse_volume(out, j);
		ret = 0;
	}
	cJSON_Delete(body);
	cJSON_Delete(j);
	free(txt);
	strbuf_release(&what);
	return ret;
}

int
engine_volume_remove(struct engine *e, const char *name, int force,
		     struct strbuf *err)
{
	struct strbuf path = STRBUF_INIT, what = STRBUF_INIT;
	struct request req = { .method = "DELETE",
			       .versioned = 1,
			       .mutating = 1 };
	int ret;

	obj_path(&path, "volumes", name, force ? "?force=1" : "", NULL);
	what3(&what, "remove", "volume", name);
	req.path = path.buf;
	req.what = what.buf;
	ret = call_simple(e, &req, err);
	strbuf_release(&path);
	strbuf_release(&what);
	return ret < 0 ? ret : 0;
}

/* ------------------------------------------------------------------------
 * Images.
 */

void
engine_image_release(struct engine_image *img)
{
	free(img->id);
	engine_strlist_release(&img->repo_tags);
	engine_kvlist_release(&img->labels);
	engine_strlist_release(&img->cmd);
	engine_strlist_release(&img->entrypoint);
	engine_strlist_release(&img->env);
	engine_strlist_release(&img->exposed_ports);
	free(img->working_dir);
	free(img->os);
	free(img->architecture);
	memset(img, 0, sizeof(*img));
}

void
engine_image_list_release(struct engine_image_list *l)
{
	size_t i;

	for (i = 0; i < l->nr; i++)
		engine_image_release(&l->items[i]);
	free(l->items);
	l->items = NULL;
	l->nr = 0;
}

int
engine_image_list(struct engine *e, const char *reference,
		  struct engine_image_list *out, struct strbuf *err)
{
	struct strbuf path = STRBUF_INIT;
	struct request req = { .method = "GET",
			       .versioned = 1,
			       .what = "list images" };
	const cJSON *it;
	cJSON *j = NULL;
	size_t n = 0;
	int ret;

	memset(out, 0, sizeof(*out));
	strbuf_addstr(&path, "/images/json");
	if (reference && *reference) {
		cJSON *f = cJSON_CreateObject();
		cJSON *arr = cJSON_AddArrayToObject(f, "reference");
		char *txt;

		cJSON_AddItemToArray(arr, cJSON_CreateString(reference));
		txt = json_print(f);
		strbuf_addstr(&path, "?filters=");
		url_encode(&path, txt, NULL);
		free(txt);
		cJSON_Delete(f);
	}
	req.path = path.buf;
	ret = call_json(e, &req, &j, err);
	if (ret < 0)
		goto out;
	if (!cJSON_IsArray(j)) {
		ret = bad_shape("list images", err);
		goto out;
	}
	out->items =
		xcalloc((size_t)cJSON_GetArraySize(j) + 1, sizeof(*out->items));
	cJSON_ArrayForEach(it, j)
	{
		struct engine_image *img = &out->items[n++];

		img->id = jstr(it, "Id");
		jstrlist(&img->repo_tags, jget(it, "RepoTags"));
		img->created = jint(it, "Created");
		img->size = jint(it, "Size");
		jlabels(&img->labels, jget(it, "Labels"));
	}
	out->nr = n;
	ret = 0;
out:
	cJSON_Delete(j);
	strbuf_release(&path);
	return ret;
}

static void
parse_image_any(void *out, const cJSON *j)
{
	struct engine_image *img = out;
	const cJSON *cfg;

	cfg = jget(j, "Config");
	img->id = jstr(j, "Id");
	jstrlist(&img->repo_tags, jget(j, "RepoTags"));
	img->size = jint(j, "Size");
	jlabels(&img->labels, jget(cfg, "Labels"));
	jstrlist(&img->cmd, jget(cfg, "Cmd"));
	jstrlist(&img->entrypoint, jget(cfg, "Entrypoint"));
	jstrlist(&img->env, jget(cfg, "Env"));
	jkeys(&img->exposed_ports, jget(cfg, "ExposedPorts"));
	img->working_dir = jstr(cfg, "WorkingDir");
	img->os = jstr(j, "Os");
	img->architecture = jstr(j, "Architecture");
}

int
engine_image_inspect(struct engine *e, const char *name_or_id,
		     struct engine_image *out, struct strbuf *err)
{
	memset(out, 0, sizeof(*out));
	return inspect_object(e, "images", "image", name_or_id, "/json",
			      "/:", parse_image_any, out, err);
}

int
engine_image_remove(struct engine *e, const char *name_or_id, int force,
		    struct strbuf *err)
{
	struct strbuf path = STRBUF_INIT, what = STRBUF_INIT;
	struct request req = { .method = "DELETE",
			       .versioned = 1,
			       .mutating = 1 };
	int ret;

	obj_path(&path, "images", name_or_id, force ? "?force=1" : "", "/:");
	what3(&what, "remove", "image", name_or_id);
	req.path = path.buf;
	req.what = what.buf;
	ret = call_simple(e, &req, err);
	strbuf_release(&path);
	strbuf_release(&what);
	return ret < 0 ? ret : 0;
}

/* ------------------------------------------------------------------------
 * Image references.
 */

static int
is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* path-component := [a-z0-9]+ ( ( [._] | __ | -+ ) [a-z0-9]+ )* */
static int
valid_path_component(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t start = i;

		while (i < n && is_lower_alnum(s[i]))
			i++;
		if (i == start)
			return 0;
		if (i == n)
			return 1;
		if (s[i] == '.' ||
		    (s[i] == '_' && !(i + 1 < n && s[i + 1] == '_'))) {
			i++;
		} else if (s[i] == '_') {
			i += 2;
		} else if (s[i] == '-') {
			while (i < n && s[i] == '-')
				i++;
		} else {
			return 0;
		}
		if (i == n)
			return 0;
	}
	return n > 0;
}

/* domain := label ( . label )* ( : port )? */
static int
valid_domain(const char *s, size_t n)
{
	const char *colon = memchr(s, ':', n);
	size_t hn = colon ? (size_t)(colon - s) : n, i, lab = 0;
	int port;

	if (colon) {
		char *p = xstrndup(colon + 1, n - hn - 1);
		int bad = parse_port(p, &port) < 0;

		free(p);
		if (bad)
			return 0;
	}
	if (!hn)
		return 0;
	for (i = 0; i <= hn; i++) {
		if (i == hn || s[i] == '.') {
			if (!lab || s[i - 1] == '-' || s[i - lab] == '-')
				return 0;
			lab = 0;
			continue;
		}
		if (!isalnum((unsigned char)s[i]) && s[i] != '-')
			return 0;
		lab++;
	}
	return 1;
}

static int
valid_tag(const char *t)
{
	size_t n = strlen(t), i;

	if (n < 1 || n > 128)
		return 0;
	if (!(isalnum((unsigned char)t[0]) || t[0] == '_'))
		return 0;
	for (i = 1; i < n; i++)
		if (!(isalnum((unsigned char)t[i]) || strchr("_.-", t[i])))
			return 0;
	return 1;
}

static int
valid_name(const char *name)
{
	const char *p = name, *slash;
	int first = 1;

	if (!*name || strlen(name) > 255)
		return 0;
	for (;;) {
		size_t n;

		slash = strchr(p, '/');
		n = slash ? (size_t)(slash - p) : strlen(p);
		if (first && slash &&
		    (memchr(p, '.', n) || memchr(p, ':', n) ||
		     (n == 9 && !strncmp(p, "localhost", 9)))) {
			if (!valid_domain(p, n))
				return 0;
		} else if (!valid_path_component(p, n)) {
			return 0;
		}
		first = 0;
		if (!slash)
			return 1;
		p = slash + 1;
	}
}

int
engine_reference_parse(const char *ref, char **repo, char **tag,
		       struct strbuf *err)
{
	const char *slash = strrchr(ref, '/');
	const char *colon = strrchr(slash ? slash : ref, ':');
	char *name;
	const char *t = colon ? colon + 1 : "latest";
	int ok;

	if (strchr(ref, '@')) {
		strbuf_addf(err,
			    "image reference '%s': digests are not accepted "
			    "here",
			    ref);
		return ENGINE_ERR;
	}
	name = xstrndup(ref, colon ? (size_t)(colon - ref) : strlen(ref));
	ok = valid_name(name) && valid_tag(t);
	if (!ok) {
		strbuf_addf(err,
			    "image reference '%s': expected NAME[:TAG], the "
			    "name in lowercase letters, digits and . _ - "
			    "separators, components separated by '/', the tag "
			    "of up to 128 letters, digits, '_', '.' and '-'",
			    ref);
		free(name);
		return ENGINE_ERR;
	}
	if (repo)
		*repo = name;
	else
		free(name);
	if (tag)
		*tag = xstrdup(t);
	return 0;
}

/* ------------------------------------------------------------------------
 * Image import.
 */

struct import_state {
	const struct engine_import *imp;
	struct strbuf error; /* first {"error":...} */
	struct strbuf last;  /* last "status" */
	int bad_lines;
};

static int
import_line(void *data, const char *line, size_t len)
{
	struct import_state *st = data;
	cJSON *j;
	const cJSON *v;

	while (len && (line[len - 1] == '\r' || line[len - 1] == ' '))
		len--;
	if (!len)
		return 0;
	j = cJSON_ParseWithLength(line, len);
	if (!j) {
		st->bad_lines++;
		return 0;
	}
	v = jget(j, "error");
	if (cJSON_IsString(v) && !st->error.len) {
		strbuf_addstr(&st->error, v->valuestring);
		if (!st->error.len)
			strbuf_addstr(&st->error, "(empty error)");
	} else if (!cJSON_IsString(v) && jget(j, "error") && !st->error.len) {
		const cJSON *d = jget(jget(j, "errorDetail"), "message");

		strbuf_addstr(&st->error,
			      cJSON_IsString(d) ? d->valuestring : "(error)");
	}
	v = jget(j, "status");
	if (cJSON_IsString(v)) {
		strbuf_reset(&st->last);
		strbuf_addstr(&st->last, v->valuestring);
		if (st->imp->status)
			st->imp->status(st->imp->status_data, v->valuestring);
	}
	cJSON_Delete(j);
	return 0;
}

static void
import_path(struct strbuf *path, const struct engine_import *imp)
{
	size_t i;

	strbuf_addstr(path, "/images/create?fromSrc=-&repo=");
	url_encode(path, imp->repo, NULL);
	strbuf_addstr(path, "&tag=");
	url_encode(path, imp->tag ? imp->tag : "latest", NULL);
	for (i = 0; imp->changes && i < imp->changes->nr; i++) {
		strbuf_addstr(path, "&changes=");
		url_encode(path, imp->changes->items[i], NULL);
	}
	if (imp->message) {
		strbuf_addstr(path, "&message=");
		url_encode(path, imp->message, NULL);
	}
}

int
engine_image_import(struct engine *e, const struct engine_import *imp,
		    char **image_id, struct strbuf *err)
{
	struct strbuf path = STRBUF_INIT, what = STRBUF_INIT, ref = STRBUF_INIT;
	struct strbuf read_err = STRBUF_INIT;
	struct import_state st = { imp, STRBUF_INIT, STRBUF_INIT, 0 };
	struct request req = { .method = "POST",
			       .versioned = 1,
			       .mutating = 1 };
	int ret;

	if (image_id)
		*image_id = NULL;
	strbuf_addf(&ref, "%s:%s", imp->repo ? imp->repo : "",
		    imp->tag ? imp->tag : "latest");
	strbuf_addf(&what, "import image '%s'", ref.buf);
	ret = engine_reference_parse(ref.buf, NULL, NULL, err);
	if (ret < 0)
		goto out;
	if (!imp->read) {
		strbuf_addf(err, "%s: no tar stream", what.buf);
		ret = ENGINE_ERR;
		goto out;
	}
	import_path(&path, imp);
	req.path = path.buf;
	req.what = what.buf;
	req.read = imp->read;
	req.read_data = imp->read_data;
	req.read_err = &read_err;
	req.line = import_line;
	req.line_data = &st;
	req.timeout_ms = e->opts.long_timeout_ms;
	ret = call_simple(e, &req, err);
	if (ret < 0)
		goto out;
	if (st.error.len) {
		strbuf_addf(err, "%s: the engine reports: %s", what.buf,
			    st.error.buf);
		ret = ENGINE_ESTREAM;
		goto out;
	}
	if (strncmp(st.last.buf, "sha256:", 7)) {
		strbuf_addf(err,
			    "%s: the engine's reply ended without an image id",
			    what.buf);
		ret = ENGINE_EPROTO;
		goto out;
	}
	if (image_id)
		*image_id = xstrdup(st.last.buf);
	ret = 0;
out:
	strbuf_release(&st.error);
	strbuf_release(&st.last);
	strbuf_release(&path);
	strbuf_release(&what);
	strbuf_release(&ref);
	strbuf_release(&read_err);
	return ret;
}

void
engine_change_cmd(struct strbuf *out, const char *const *argv)
{
	cJSON *arr = cJSON_CreateArray();
	char *txt;

	for (; argv && *argv; argv++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(*argv));
	txt = json_print(arr);
	strbuf_addf(out, "CMD %s", txt);
	free(txt);
	cJSON_Delete(arr);
}

void
engine_change_expose(struct strbuf *out, const char *const *ports)
{
	strbuf_addstr(out, "EXPOSE");
	for (; ports && *ports; ports++)
		strbuf_addf(out, " %s", *ports);
}
