/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests of the engine client: endpoints, references, specs, and the
 * error paths a real engine cannot be made to take on demand, against
 * canned replies from tests/fake-engine on a private unix socket.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"
#include "util.h"

/* ------------------------------------------------------------------------
 * The fake engine.
 */

struct fake {
	char dir[64];
	char listen[256];
	char log[160];
	char script[160];
	pid_t pid;
	int n;
	int tcp;
	struct engine_endpoint ep;
};

#define PING_141                                                 \
	"HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nContent-Type: " \
	"text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nOK"

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static void
fake_init(struct fake *f)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/test-engine.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(f->dir));
	snprintf(f->script, sizeof(f->script), "%s/script", f->dir);
	snprintf(f->log, sizeof(f->log), "%s/log", f->dir);
	ck_assert_int_eq(mkdir(f->script, 0700), 0);
}

static void
fake_add_len(struct fake *f, const char *resp, size_t len)
{
	char path[200];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%d", f->script, ++f->n);
	fp = fopen(path, "wb");
	ck_assert_ptr_nonnull(fp);
	ck_assert_uint_eq(fwrite(resp, 1, len, fp), len);
	fclose(fp);
}

static void
fake_add(struct fake *f, const char *resp)
{
	fake_add_len(f, resp, strlen(resp));
}

/* A complete JSON (or text) reply with Content-Length. */
static void
fake_reply(struct fake *f, int status, const char *body)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addf(&sb,
		    "HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
		    "Api-Version: 1.41\r\nContent-Length: %zu\r\n"
		    "Connection: close\r\n\r\n%s",
		    status, strlen(body), body);
	fake_add(f, sb.buf);
	strbuf_release(&sb);
}

static void
fake_start(struct fake *f)
{
	const char *builddir = getenv("BUILDDIR");
	char prog[4096], portfile[100];
	int i;

	snprintf(prog, sizeof(prog), "%s/tests/fake-engine",
		 builddir ? builddir : "build");
	snprintf(portfile, sizeof(portfile), "%s/port", f->dir);
	if (f->tcp)
		snprintf(f->listen, sizeof(f->listen), "tcp:%s", portfile);
	else
		snprintf(f->listen, sizeof(f->listen), "%s/sock", f->dir);
	f->pid = fork();
	ck_assert_int_ge(f->pid, 0);
	if (!f->pid) {
		execl(prog, prog, f->listen, f->script, f->log, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 500; i++) {
		if (!access(f->tcp ? portfile : f->listen, F_OK))
			break;
		sleep_ms(10);
	}
	ck_assert_msg(i < 500, "fake engine %s did not start", prog);
	if (f->tcp) {
		struct strbuf sb = STRBUF_INIT;
		long port;

		ck_assert_int_eq(strbuf_read_file(&sb, portfile, 100), 0);
		strbuf_chomp(&sb);
		ck_assert(parse_long(sb.buf, &port));
		f->ep.transport = ENGINE_TCP;
		f->ep.host = xstrdup("127.0.0.1");
		f->ep.port = (int)port;
		strbuf_release(&sb);
	} else {
		f->ep.transport = ENGINE_UNIX;
		f->ep.socket_path = xstrdup(f->listen);
	}
}

static int
rm_cb(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		rmdir(p);
	else
		unlink(p);
	return 0;
}

static void
fake_stop(struct fake *f)
{
	if (f->pid > 0) {
		kill(f->pid, SIGTERM);
		waitpid(f->pid, NULL, 0);
	}
	engine_endpoint_release(&f->ep);
	nftw(f->dir, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
}

/* Everything the fake engine received. Caller frees. */
static char *
fake_requests(struct fake *f)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_read_file(&sb, f->log, 0);
	return strbuf_detach(&sb, NULL);
}

static struct engine *
fake_open(struct fake *f, const struct engine_options *opts, int *code,
	  struct strbuf *err)
{
	return engine_open(&f->ep, opts, code, err);
}

/* ------------------------------------------------------------------------
 * Endpoints.
 */

static const struct {
	const char *spec;
	int code;
	enum engine_transport transport;
	const char *where; /* socket path or host */
	int port;
	const char *msg; /* part of the error */
} endpoint_cases[] = {
	{ "unix:///var/run/docker.sock", 0, ENGINE_UNIX, "/var/run/docker.sock",
	  0, NULL },
	{ "tcp://127.0.0.1:4243", 0, ENGINE_TCP, "127.0.0.1", 4243, NULL },
	{ "tcp://127.1.2.3:1", 0, ENGINE_TCP, "127.1.2.3", 1, NULL },
	{ "tcp://localhost:2375", 0, ENGINE_TCP, "localhost", 2375, NULL },
	{ "tcp://[::1]:2375", 0, ENGINE_TCP, "::1", 2375, NULL },
	{ "tcp://10.0.0.5:2375", ENGINE_ECONFIG, 0, NULL, 0,
	  "non-loopback address" },
	{ "tcp://0.0.0.0:2375", ENGINE_ECONFIG, 0, NULL, 0,
	  "non-loopback address" },
	{ "tcp://example.org:2375", ENGINE_ECONFIG, 0, NULL, 0,
	  "non-loopback address" },
	{ "tcp://127.0.0.1", ENGINE_ECONFIG, 0, NULL, 0,
	  "expected tcp://127.0.0.1:PORT" },
	{ "tcp://127.0.0.1:70000", ENGINE_ECONFIG, 0, NULL, 0,
	  "expected tcp://127.0.0.1:PORT" },
	{ "unix://relative.sock", ENGINE_ECONFIG, 0, NULL, 0,
	  "expected unix:///absolute/path" },
	{ "https://127.0.0.1:2376", ENGINE_ECONFIG, 0, NULL, 0,
	  "expected unix:///path or tcp://127.0.0.1:PORT" },
};

START_TEST(test_engine_endpoint_parse)
{
	struct engine_endpoint ep = ENGINE_ENDPOINT_INIT;
	struct strbuf err = STRBUF_INIT;
	int ret;

	unsetenv("DOCKER_TLS_VERIFY");
	ret = engine_endpoint_parse(&ep, endpoint_cases[_i].spec, &err);
	ck_assert_msg(ret == endpoint_cases[_i].code, "%s: %d (%s)",
		      endpoint_cases[_i].spec, ret, err.buf);
	if (!ret) {
		ck_assert_int_eq(ep.transport, endpoint_cases[_i].transport);
		if (ep.transport == ENGINE_UNIX) {
			ck_assert_str_eq(ep.socket_path,
					 endpoint_cases[_i].where);
		} else {
			ck_assert_str_eq(ep.host, endpoint_cases[_i].where);
			ck_assert_int_eq(ep.port, endpoint_cases[_i].port);
		}
		ck_assert_str_eq(err.buf, "");
	} else {
		ck_assert_msg(strstr(err.buf, endpoint_cases[_i].msg),
			      "message: %s", err.buf);
		ck_assert_msg(strstr(err.buf, endpoint_cases[_i].spec),
			      "message does not quote the endpoint: %s",
			      err.buf);
	}
	engine_endpoint_release(&ep);
	strbuf_release(&err);
}
END_TEST

START_TEST(test_engine_endpoint_tls_refused)
{
	struct engine_endpoint ep = ENGINE_ENDPOINT_INIT;
	struct strbuf err = STRBUF_INIT;

	setenv("DOCKER_TLS_VERIFY", "1", 1);
	ck_assert_int_eq(
		engine_endpoint_parse(&ep, "tcp://127.0.0.1:2376", &err),
		ENGINE_ECONFIG);
	ck_assert_ptr_nonnull(strstr(err.buf, "no TLS"));
	unsetenv("DOCKER_TLS_VERIFY");
	strbuf_release(&err);
}
END_TEST

static const struct {
	const char *record; /* the configuration db's docker line, or NULL */
	const char *docker_host;
	int code;
	const char *describe; /* the endpoint, or part of the error */
} config_cases[] = {
	{ NULL, NULL, 0, "unix:///var/run/docker.sock" },
	{ "docker=service|status|enabled", NULL, 0,
	  "unix:///var/run/docker.sock" },
	{ "docker=service|Socket|/run/other/docker.sock", NULL, 0,
	  "unix:///run/other/docker.sock" },
	{ "docker=service|TCPPort|4243", NULL, 0, "tcp://127.0.0.1:4243" },
	{ "docker=service|Socket|/a.sock|TCPPort|4243", NULL, 0,
	  "unix:///a.sock" },
	{ "docker=service|TCPPort|4243", "unix:///tmp/x.sock", 0,
	  "unix:///tmp/x.sock" },
	{ "docker=service|TCPPort|lots", NULL, ENGINE_ECONFIG,
	  "configuration: docker: TCPPort 'lots': expected a port number" },
	{ "docker=service|Socket|run/docker.sock", NULL, ENGINE_ECONFIG,
	  "configuration: docker: Socket 'run/docker.sock': expected an "
	  "absolute path" },
	{ NULL, "tcp://192.0.2.1:2375", ENGINE_ECONFIG,
	  "non-loopback address" },
};

START_TEST(test_engine_endpoint_from_config)
{
	struct engine_endpoint ep = ENGINE_ENDPOINT_INIT;
	struct strbuf err = STRBUF_INIT, path = STRBUF_INIT, d = STRBUF_INIT;
	char root[] = "/tmp/test-engine-root.XXXXXX";
	int ret;

	ck_assert_ptr_nonnull(mkdtemp(root));
	esmith_set_root(root);
	unsetenv("ESMITH_CONFIG_DB");
	if (config_cases[_i].record) {
		strbuf_addf(&path, "%s/home/e-smith/db", root);
		ck_assert_int_eq(mkdir_p(path.buf, 0755), 0);
		strbuf_addstr(&path, "/configuration");
		strbuf_addf(&d, "%s\n", config_cases[_i].record);
		ck_assert_int_eq(
			write_file_atomic(path.buf, d.buf, d.len, 0644, &err),
			0);
	}
	if (config_cases[_i].docker_host)
		setenv("DOCKER_HOST", config_cases[_i].docker_host, 1);
	else
		unsetenv("DOCKER_HOST");
	ret = engine_endpoint_from_config(&ep, &err);
	ck_assert_msg(ret == config_cases[_i].code, "case %d: %d (%s)", _i, ret,
		      err.buf);
	if (!ret) {
		strbuf_reset(&d);
		engine_endpoint_describe(&ep, &d);
		ck_assert_str_eq(d.buf, config_cases[_i].describe);
	} else {
		ck_assert_msg(strstr(err.buf, config_cases[_i].describe),
			      "message: %s", err.buf);
	}
	unsetenv("DOCKER_HOST");
	engine_endpoint_release(&ep);
	nftw(root, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
	esmith_set_root("/");
	unsetenv("ESMITH_ROOT");
	strbuf_release(&err);
	strbuf_release(&path);
	strbuf_release(&d);
}
END_TEST

/* ------------------------------------------------------------------------
 * References, specs, changes.
 */

static const struct {
	const char *ref;
	const char *repo, *tag; /* NULL repo: invalid */
} ref_cases[] = {
	{ "busybox", "busybox", "latest" },
	{ "sme/base:1", "sme/base", "1" },
	{ "sme9_real:6.5", "sme9_real", "6.5" },
	{ "localhost:5000/a/b:tag", "localhost:5000/a/b", "tag" },
	{ "registry.example.org/x-y/z__w:V_1.0-rc",
	  "registry.example.org/x-y/z__w", "V_1.0-rc" },
	{ "a.b-c--d", "a.b-c--d", "latest" },
	{ "Busybox", NULL, NULL },
	{ "a:", NULL, NULL },
	{ ":tag", NULL, NULL },
	{ "a//b", NULL, NULL },
	{ "a/-b", NULL, NULL },
	{ "a-", NULL, NULL },
	{ "a___b", NULL, NULL },
	{ "a..b", NULL, NULL },
	{ "a:tag with space", NULL, NULL },
	{ "a:.tag", NULL, NULL },
	{ "a@sha256:0123", NULL, NULL },
	{ "", NULL, NULL },
	{ "bad_domain-.org/x", NULL, NULL },
};

START_TEST(test_engine_reference_parse)
{
	struct strbuf err = STRBUF_INIT;
	char *repo = NULL, *tag = NULL;
	int ret = engine_reference_parse(ref_cases[_i].ref, &repo, &tag, &err);

	if (ref_cases[_i].repo) {
		ck_assert_msg(ret == 0, "%s: %s", ref_cases[_i].ref, err.buf);
		ck_assert_str_eq(repo, ref_cases[_i].repo);
		ck_assert_str_eq(tag, ref_cases[_i].tag);
	} else {
		ck_assert_msg(ret == ENGINE_ERR, "'%s' accepted",
			      ref_cases[_i].ref);
		ck_assert_msg(strstr(err.buf, "image reference"), "%s",
			      err.buf);
		ck_assert_ptr_null(repo);
	}
	free(repo);
	free(tag);
	strbuf_release(&err);
}
END_TEST

START_TEST(test_engine_reference_lengths)
{
	struct strbuf ref = STRBUF_INIT, err = STRBUF_INIT;
	int i;

	strbuf_addstr(&ref, "a:");
	for (i = 0; i < 128; i++)
		strbuf_addch(&ref, 'x');
	ck_assert_int_eq(engine_reference_parse(ref.buf, NULL, NULL, &err), 0);
	strbuf_addch(&ref, 'x');
	ck_assert_int_eq(engine_reference_parse(ref.buf, NULL, NULL, &err),
			 ENGINE_ERR);
	strbuf_reset(&ref);
	for (i = 0; i < 256; i++)
		strbuf_addch(&ref, 'a');
	ck_assert_int_eq(engine_reference_parse(ref.buf, NULL, NULL, &err),
			 ENGINE_ERR);
	strbuf_release(&ref);
	strbuf_release(&err);
}
END_TEST

static void
full_spec(struct engine_container_spec *s)
{
	engine_container_spec_init(s);
	s->name = xstrdup("web");
	s->image = xstrdup("sme/app:1");
	s->hostname = xstrdup("web");
	engine_strlist_add(&s->cmd, "/run.sh");
	engine_strlist_add(&s->env, "A=1");
	engine_kvlist_set(&s->labels, "org.example.z", "2");
	engine_kvlist_set(&s->labels, "org.example.a", "1");
	engine_strlist_add(&s->exposed_ports, "53/udp");
	engine_container_spec_add_port(s, "80", "127.0.0.1", "8081");
	engine_container_spec_add_port(s, "80/tcp", "::1", "8081");
	s->memory = 512 << 20;
	s->nano_cpus = 1500000000;
	engine_strlist_add(&s->binds, "/srv/app:/data:ro");
	engine_container_spec_add_mount(s, ENGINE_MOUNT_VOLUME, "appdata",
					"/var/lib/app", 0);
	s->network_mode = xstrdup("smenet");
	s->restart_policy.name = ENGINE_RESTART_UNLESS_STOPPED;
	engine_strlist_add(&s->aliases, "app");
}

START_TEST(test_engine_spec_json_full)
{
	struct engine_container_spec s;
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;

	full_spec(&s);
	ck_assert_int_eq(engine_container_spec_json(&s, &out, &err), 0);
	ck_assert_str_eq(
		out.buf,
		"{\"Hostname\":\"web\",\"Image\":\"sme/app:1\","
		"\"Cmd\":[\"/run.sh\"],\"Env\":[\"A=1\"],"
		"\"Labels\":{\"org.example.a\":\"1\",\"org.example.z\":\"2\"},"
		"\"ExposedPorts\":{\"53/udp\":{},\"80/tcp\":{}},"
		"\"HostConfig\":{\"PortBindings\":{\"80/tcp\":["
		"{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"8081\"},"
		"{\"HostIp\":\"::1\",\"HostPort\":\"8081\"}]},"
		"\"Memory\":536870912,\"NanoCpus\":1500000000,"
		"\"Binds\":[\"/srv/app:/data:ro\"],"
		"\"Mounts\":[{\"Type\":\"volume\",\"Source\":\"appdata\","
		"\"Target\":\"/var/lib/app\",\"ReadOnly\":false}],"
		"\"NetworkMode\":\"smenet\","
		"\"RestartPolicy\":{\"Name\":\"unless-stopped\","
		"\"MaximumRetryCount\":0}},"
		"\"NetworkingConfig\":{\"EndpointsConfig\":{\"smenet\":"
		"{\"Aliases\":[\"app\"]}}}}");
	ck_assert_str_eq(err.buf, "");
	engine_container_spec_release(&s);
	strbuf_release(&out);
	strbuf_release(&err);
}
END_TEST

enum spec_break {
	NO_IMAGE,
	BAD_PORT,
	BAD_PORT_NUMBER,
	BAD_HOST_PORT,
	BAD_HOST_IP,
	SMALL_MEMORY,
	ALIAS_DEFAULT_NET,
	ALIAS_HOST_NET,
	RELATIVE_TARGET,
	ANON_VOLUME,
	BAD_BIND,
};

static const struct {
	enum spec_break what;
	const char *msg;
} spec_cases[] = {
	{ NO_IMAGE, "container spec 'web': no image given" },
	{ BAD_PORT, "container spec 'web': port '80/sctp': expected N/tcp" },
	{ BAD_PORT_NUMBER, "port 'x/tcp': expected N/tcp or N/udp" },
	{ BAD_HOST_PORT, "host port '99999': expected 1-65535" },
	{ BAD_HOST_IP, "host address 'lan': expected an IP address" },
	{ SMALL_MEMORY, "memory limit below the engine's minimum of 6M" },
	{ ALIAS_DEFAULT_NET, "network aliases need a user-defined network, "
			     "not network mode 'default'" },
	{ ALIAS_HOST_NET, "not network mode 'host'" },
	{ RELATIVE_TARGET, "mount target 'data': expected an absolute path" },
	{ ANON_VOLUME, "a volume name is required (no anonymous volumes)" },
	{ BAD_BIND, "bind '/srv': expected SOURCE:/TARGET[:ro]" },
};

START_TEST(test_engine_spec_json_invalid)
{
	struct engine_container_spec s;
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;

	engine_container_spec_init(&s);
	s.name = xstrdup("web");
	s.image = xstrdup("img");
	switch (spec_cases[_i].what) {
	case NO_IMAGE:
		free(s.image);
		s.image = NULL;
		break;
	case BAD_PORT:
		engine_strlist_add(&s.exposed_ports, "80/sctp");
		break;
	case BAD_PORT_NUMBER:
		engine_container_spec_add_port(&s, "x/tcp", NULL, "80");
		break;
	case BAD_HOST_PORT:
		engine_container_spec_add_port(&s, "80", NULL, "99999");
		break;
	case BAD_HOST_IP:
		engine_container_spec_add_port(&s, "80", "lan", "80");
		break;
	case SMALL_MEMORY:
		s.memory = 1000;
		break;
	case ALIAS_DEFAULT_NET:
		engine_strlist_add(&s.aliases, "x");
		break;
	case ALIAS_HOST_NET:
		engine_strlist_add(&s.aliases, "x");
		s.network_mode = xstrdup("host");
		break;
	case RELATIVE_TARGET:
		engine_container_spec_add_mount(&s, ENGINE_MOUNT_BIND, "/srv",
						"data", 1);
		break;
	case ANON_VOLUME:
		engine_container_spec_add_mount(&s, ENGINE_MOUNT_VOLUME, "",
						"/data", 0);
		break;
	case BAD_BIND:
		engine_strlist_add(&s.binds, "/srv");
		break;
	}
	ck_assert_int_eq(engine_container_spec_json(&s, &out, &err),
			 ENGINE_ERR);
	ck_assert_msg(strstr(err.buf, spec_cases[_i].msg), "message: %s",
		      err.buf);
	ck_assert_str_eq(out.buf, "");
	engine_container_spec_release(&s);
	strbuf_release(&out);
	strbuf_release(&err);
}
END_TEST

START_TEST(test_engine_change_strings)
{
	static const char *const cmd[] = { "/bin/busybox", "httpd", "-h",
					   "/w \"x\"", NULL };
	static const char *const ports[] = { "80/tcp", "53/udp", NULL };
	struct strbuf sb = STRBUF_INIT;

	engine_change_cmd(&sb, cmd);
	ck_assert_str_eq(sb.buf, "CMD [\"/bin/busybox\",\"httpd\",\"-h\","
				 "\"/w \\\"x\\\"\"]");
	strbuf_reset(&sb);
	engine_change_expose(&sb, ports);
	ck_assert_str_eq(sb.buf, "EXPOSE 80/tcp 53/udp");
	strbuf_release(&sb);
}
END_TEST

START_TEST(test_engine_restart_names)
{
	enum engine_restart r;

	ck_assert_int_eq(engine_restart_parse("unless-stopped", &r), 0);
	ck_assert_int_eq(r, ENGINE_RESTART_UNLESS_STOPPED);
	ck_assert_str_eq(engine_restart_name(ENGINE_RESTART_ON_FAILURE),
			 "on-failure");
	ck_assert_int_eq(engine_restart_parse("sometimes", &r), -1);
}
END_TEST

/* ------------------------------------------------------------------------
 * Transport and handshake.
 */

START_TEST(test_engine_not_running)
{
	struct engine_endpoint ep = ENGINE_ENDPOINT_INIT;
	struct strbuf err = STRBUF_INIT;
	int code = 0;

	ep.socket_path = xstrdup("/tmp/no-such-dir-test-engine/docker.sock");
	ck_assert_ptr_null(engine_open(&ep, NULL, &code, &err));
	ck_assert_int_eq(code, ENGINE_ENOTRUNNING);
	ck_assert_msg(strstr(err.buf, "the engine at unix:///tmp/no-such-dir-"
				      "test-engine/docker.sock is not running"),
		      "%s", err.buf);
	engine_endpoint_release(&ep);

	/* Nothing listens on this loopback port (bound, never listening). */
	strbuf_reset(&err);
	ck_assert_int_eq(engine_endpoint_parse(&ep, "tcp://127.0.0.1:1", &err),
			 0);
	ck_assert_ptr_null(engine_open(&ep, NULL, &code, &err));
	ck_assert_int_eq(code, ENGINE_ENOTRUNNING);
	ck_assert_msg(strstr(err.buf, "tcp://127.0.0.1:1 is not running"), "%s",
		      err.buf);
	engine_endpoint_release(&ep);
	strbuf_release(&err);
}
END_TEST

START_TEST(test_engine_permission_denied)
{
	struct fake f;
	pid_t pid;
	int status;

	if (geteuid() != 0) {
		/* As a user, a socket in a 0700 directory of another user is
		 * what root's is; only root can set it up. */
		ck_abort_msg("this test needs root (CI runs as root)");
	}
	fake_init(&f);
	fake_add(&f, PING_141);
	fake_start(&f);
	chmod(f.dir, 0700);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid) {
		struct strbuf err = STRBUF_INIT;
		struct engine *e;
		int code = 0;

		if (setgid(65534) < 0 || setuid(65534) < 0)
			_exit(10);
		e = engine_open(&f.ep, NULL, &code, &err);
		if (e)
			_exit(11);
		if (code != ENGINE_EPERM)
			_exit(12);
		if (!strstr(err.buf, "permission denied on the engine's "
				     "socket unix:///tmp/test-engine."))
			_exit(13);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	fake_stop(&f);
}
END_TEST

static const struct {
	const char *api;  /* the Api-Version header, or NULL */
	const char *body; /* the ping body */
	int code;	  /* engine_open's result */
	const char *used; /* the version then used */
	const char *msg;  /* part of the error */
} ping_cases[] = {
	{ "1.41", "OK", 0, "1.41", NULL },
	{ "1.43", "OK", 0, "1.41", NULL },
	{ "1.40", "OK", 0, "1.40", NULL },
	{ "1.25", "OK", 0, "1.25", NULL },
	{ "1.24", "OK", ENGINE_EVERSION, NULL,
	  "speaks API 1.24; at least 1.25 is needed" },
	{ NULL, "OK", ENGINE_EVERSION, NULL, "did not report its API version" },
	{ "1.41", "<html>hello</html>", ENGINE_EPROTO, NULL,
	  "does not answer like a Docker engine" },
};

START_TEST(test_engine_handshake_versions)
{
	struct strbuf resp = STRBUF_INIT, err = STRBUF_INIT;
	struct engine *e;
	struct fake f;
	int code = 99;

	fake_init(&f);
	strbuf_addstr(&resp, "HTTP/1.1 200 OK\r\n");
	if (ping_cases[_i].api)
		strbuf_addf(&resp, "Api-Version: %s\r\n", ping_cases[_i].api);
	strbuf_addf(&resp, "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
		    strlen(ping_cases[_i].body), ping_cases[_i].body);
	fake_add(&f, resp.buf);
	fake_reply(&f, 200,
		   "{\"Version\":\"20.10.24\",\"ApiVersion\":\"1.41\"}");
	fake_start(&f);
	e = fake_open(&f, NULL, &code, &err);
	ck_assert_msg(code == ping_cases[_i].code, "case %d: %d %s", _i, code,
		      err.buf);
	if (!code) {
		struct engine_version v;
		char *log;

		ck_assert_str_eq(engine_api_version(e), ping_cases[_i].used);
		ck_assert_int_eq(engine_version(e, &v, &err), 0);
		ck_assert_str_eq(v.version, "20.10.24");
		engine_version_release(&v);
		log = fake_requests(&f);
		ck_assert_msg(strstr(log, "GET /_ping HTTP/1.1\r\n"), "%s",
			      log);
		strbuf_reset(&resp);
		strbuf_addf(&resp, "GET /v%s/version HTTP/1.1\r\n",
			    ping_cases[_i].used);
		ck_assert_msg(strstr(log, resp.buf), "%s", log);
		free(log);
	} else {
		ck_assert_ptr_null(e);
		ck_assert_msg(strstr(err.buf, ping_cases[_i].msg), "%s",
			      err.buf);
	}
	engine_free(e);
	fake_stop(&f);
	strbuf_release(&resp);
	strbuf_release(&err);
}
END_TEST

START_TEST(test_engine_tcp_loopback)
{
	struct strbuf err = STRBUF_INIT;
	struct engine_info info;
	struct engine *e;
	struct fake f;

	fake_init(&f);
	f.tcp = 1;
	fake_add(&f, PING_141);
	fake_reply(&f, 200,
		   "{\"ID\":\"X\",\"Name\":\"host\",\"ServerVersion\":"
		   "\"20.10.24\",\"NCPU\":2,\"MemTotal\":1073741824,"
		   "\"Containers\":3,\"ContainersRunning\":1,\"Images\":4,"
		   "\"MemoryLimit\":true,\"CgroupVersion\":\"1\"}");
	fake_start(&f);
	e = fake_open(&f, NULL, NULL, &err);
	ck_assert_msg(e != NULL, "%s", err.buf);
	ck_assert_int_eq(engine_info(e, &info, &err), 0);
	ck_assert_str_eq(info.name, "host");
	ck_assert_int_eq(info.ncpu, 2);
	ck_assert_int_eq(info.mem_total, 1073741824);
	ck_assert_int_eq(info.containers_running, 1);
	ck_assert_int_eq(info.memory_limit, 1);
	engine_info_release(&info);
	engine_free(e);
	fake_stop(&f);
	strbuf_release(&err);
}
END_TEST

/* ------------------------------------------------------------------------
 * Status codes.
 */

enum op {
	OP_INSPECT,
	OP_CREATE,
	OP_START,
	OP_STOP,
	OP_REMOVE,
	OP_CONNECT,
	OP_LIST,
	OP_IMAGE_REMOVE,
};

static int
do_op(struct engine *e, enum op op, struct strbuf *err)
{
	struct engine_container_spec s;
	struct engine_container c;
	struct engine_container_list l;
	int ret = -100;

	switch (op) {
	case OP_INSPECT:
		ret = engine_container_inspect(e, "web", &c, err);
		engine_container_release(&c);
		break;
	case OP_CREATE:
		full_spec(&s);
		ret = engine_container_create(e, &s, NULL, err);
		engine_container_spec_release(&s);
		break;
	case OP_START:
		ret = engine_container_start(e, "web", err);
		break;
	case OP_STOP:
		ret = engine_container_stop(e, "web", 5, err);
		break;
	case OP_REMOVE:
		ret = engine_container_remove(e, "web", 0, err);
		break;
	case OP_CONNECT:
		ret = engine_network_connect(e, "smenet", "web", NULL, err);
		break;
	case OP_LIST:
		ret = engine_container_list(e, 1, NULL, &l, err);
		engine_container_list_release(&l);
		break;
	case OP_IMAGE_REMOVE:
		ret = engine_image_remove(e, "sme/app:1", 0, err);
		break;
	}
	return ret;
}

static const struct {
	enum op op;
	int status;
	const char *body;
	int code;
	const char *msg; /* the whole message, or "" */
} status_cases[] = {
	{ OP_INSPECT, 404, "{\"message\":\"No such container: web\"}",
	  ENGINE_ENOTFOUND, "inspect container 'web': no such container: web" },
	{ OP_CREATE, 409,
	  "{\"message\":\"Conflict. The container name \\\"/web\\\" is "
	  "already in use\"}",
	  ENGINE_ECONFLICT,
	  "create container 'web': conflict. The container name \"/web\" is "
	  "already in use" },
	{ OP_CREATE, 404, "{\"message\":\"No such image: sme/app:1\"}",
	  ENGINE_ENOTFOUND,
	  "create container 'web': no such image: sme/app:1" },
	{ OP_START, 500,
	  "{\"message\":\"driver failed programming external connectivity: "
	  "Bind for 127.0.0.1:8081 failed: port is already allocated\"}",
	  ENGINE_ESERVER,
	  "start container 'web': engine error 500: driver failed programming "
	  "external connectivity: Bind for 127.0.0.1:8081 failed: port is "
	  "already allocated" },
	{ OP_START, 304, "", 1, "" },
	{ OP_START, 204, "", 0, "" },
	{ OP_STOP, 304, "", 1, "" },
	{ OP_STOP, 204, "", 0, "" },
	{ OP_REMOVE, 409,
	  "{\"message\":\"You cannot remove a running container web. Stop "
	  "the container before attempting removal or force remove\"}",
	  ENGINE_ECONFLICT,
	  "remove container 'web': you cannot remove a running container web. "
	  "Stop the container before attempting removal or force remove" },
	{ OP_CONNECT, 403,
	  "{\"message\":\"endpoint with name web already exists in network "
	  "smenet\"}",
	  ENGINE_EFORBIDDEN,
	  "connect container 'web' to network 'smenet': engine refused (403): "
	  "endpoint with name web already exists in network smenet" },
	{ OP_LIST, 400, "{\"message\":\"invalid filter\"}", ENGINE_EBADREQ,
	  "list containers: engine refused (400): invalid filter" },
	{ OP_LIST, 502, "bad gateway\n", ENGINE_ESERVER,
	  "list containers: engine error 502: bad gateway" },
	{ OP_LIST, 200, "[{\"Id\":", ENGINE_EPROTO,
	  "list containers: the engine's reply is not JSON" },
	{ OP_LIST, 200, "{\"Id\":\"x\"}", ENGINE_EPROTO,
	  "list containers: unexpected reply from the engine" },
	{ OP_IMAGE_REMOVE, 409,
	  "{\"message\":\"conflict: unable to remove repository reference "
	  "\\\"sme/app:1\\\" (must force) - container abc is using its "
	  "referenced image def\"}",
	  ENGINE_ECONFLICT,
	  "remove image 'sme/app:1': conflict: unable to remove repository "
	  "reference \"sme/app:1\" (must force)" },
};

START_TEST(test_engine_status_errors)
{
	struct strbuf err = STRBUF_INIT;
	struct engine *e;
	struct fake f;
	int ret;

	fake_init(&f);
	fake_add(&f, PING_141);
	fake_reply(&f, status_cases[_i].status, status_cases[_i].body);
	fake_start(&f);
	e = fake_open(&f, NULL, NULL, &err);
	ck_assert_msg(e != NULL, "%s", err.buf);
	ret = do_op(e, status_cases[_i].op, &err);
	ck_assert_msg(ret == status_cases[_i].code, "case %d: %d (%s)", _i, ret,
		      err.buf);
	if (*status_cases[_i].msg)
		ck_assert_msg(!strncmp(err.buf, status_cases[_i].msg,
				       strlen(status_cases[_i].msg)),
			      "case %d: %s", _i, err.buf);
	else
		ck_assert_str_eq(err.buf, "");
	engine_free(e);
	fake_stop(&f);
	strbuf_release(&err);
}
END_TEST

START_TEST(test_engine_oversize_body)
{
	struct engine_options opts = { 0 };
	struct strbuf body = STRBUF_INIT, err = STRBUF_INIT;
	struct engine_container c;
	struct engine *e;
	struct fake f;
	int i;

	strbuf_addstr(&body, "{\"Id\":\"");
	for (i = 0; i < 100000; i++)
		strbuf_addstr(&body, "0123456789");
	strbuf_addstr(&body, "\"}");
	fake_init(&f);
	fake_add(&f, PING_141);
	fake_reply(&f, 200, body.buf);
	fake_start(&f);
	opts.max_body = 65536;
	e = fake_open(&f, &opts, NULL, &err);
	ck_assert_msg(e != NULL, "%s", err.buf);
	ck_assert_int_eq(engine_container_inspect(e, "web", &c, &err),
			 ENGINE_ETOOBIG);
	ck_assert_str_eq(err.buf, "inspect container 'web': the engine's "
				  "reply is larger than 65536 bytes");
	ck_assert_ptr_null(c.id);
	engine_container_release(&c);
	engine_free(e);

	fake_stop(&f);
	strbuf_release(&body);
	strbuf_release(&err);
}
END_TEST

START_TEST(test_engine_default_cap_takes_large_reply)
{
	struct strbuf body = STRBUF_INIT, err = STRBUF_INIT;
	struct engine_container c;
	struct engine *e;
	struct fake f;
	int i;

	strbuf_addstr(&body, "{\"Id\":\"");
	for (i = 0; i < 100000; i++)
		strbuf_addstr(&body, "0123456789");
	strbuf_addstr(&body, "\"}");
	fake_init(&f);
	fake_add(&f, PING_141);
	fake_reply(&f, 200, body.buf);
	fake_start(&f);
	e = fake_open(&f, NULL, NULL, &err);
	ck_assert_msg(e != NULL, "%s", err.buf);
	ck_assert_int_eq(engine_container_inspect(e, "web", &c, &err), 0);
	ck_assert_uint_eq(strlen(c.id), 1000000);
	engine_container_release(&c);
	engine_free(e);
	fake_stop(&f);
	strbuf_release(&body);
	strbuf_release(&err);
}
END_TEST

START_TEST(test_engine_timeout)
{
	struct engine_options opts = { 0 };
	struct strbuf err = STRBUF_INIT;
	struct engine_container_list l;
	struct engine *e;
	struct fake f;

	fake_init(&f);
	fake_add(&f, PING_141);
	fake_add(&f, "hang");
	fake_start(&f);
	opts.timeout_ms = 300;
	e = fake_open(&f, &opts, NULL, &err);
	ck_assert_msg(e != NULL, "%s", err.buf);
	ck_assert_int_eq(engine_container_list(e, 0, NULL, &l, &err),
			 ENGINE_ETIMEOUT);
	ck_assert_msg(strstr(err.buf, "list containers: no answer from the "
				      "engine at unix:///tmp/test-engine."),
		      "%s", err.buf);
	ck_assert_uint_eq(l.nr, 0);
	engine_container_list_release(&l);
	engine_free(e);
	fake_stop(&f);
	strbuf_release(&err);
}
END_TEST

START_TEST(test_engine_connection_closed)
{
	struct strbuf err = STRBUF_INIT;
	struct engine *e;
	struct fake f;

	fake_init(&f);
	fake_add(&f, PING_141);
	fake_add(&f, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"Id\"");
	fake_start(&f);
	e = fake_open(&f, NULL, NULL, &err);
	ck_assert_msg(e != NULL, "%s", err.buf);
	ck_assert_int_lt(engine_container_start(e, "web", &err), 0);
	ck_assert_msg(strstr(err.buf, "start container 'web': talking to the "
				      "engine at unix://"),
		      "%s", err.buf);
	engine_free(e);
	fake_stop(&f);
	strbuf_release(&err);
}
END_TEST

/* ------------------------------------------------------------------------
 * Request shapes and the call counter.
 */

START_TEST(test_engine_request_shapes)
{
	struct strbuf err = STRBUF_INIT;
	struct engine_container_spec s;
	struct engine_stats st;
	struct engine_container_list l;
	struct engine_kvlist labels = ENGINE_KVLIST_INIT;
	struct engine *e;
	struct fake f;
	char *id = NULL, *log, *p;

	fake_init(&f);
	fake_add(&f, PING_141);
	fake_reply(&f, 200,
		   "[{\"Id\":\"abc\",\"Names\":[\"/web\"],\"Image\":\"img\","
		   "\"ImageID\":\"sha256:1\",\"State\":\"running\","
		   "\"Status\":\"Up\",\"Labels\":{\"a\":\"1\"}}]");
	fake_reply(&f, 201, "{\"Id\":\"abc\",\"Warnings\":[]}");
	fake_add(&f, "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
	fake_add(&f, "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
	fake_start(&f);
	e = fake_open(&f, NULL, NULL, &err);
	ck_assert_msg(e != NULL, "%s", err.buf);
	engine_get_stats(e, &st);
	ck_assert_uint_eq(st.calls, 1);
	ck_assert_uint_eq(st.mutating, 0);

	engine_kvlist_set(&labels, "org.smeserver.managed", "1");
	engine_kvlist_set(&labels, "org.smeserver.name", NULL);
	ck_assert_int_eq(engine_container_list(e, 1, &labels, &l, &err), 0);
	ck_assert_uint_eq(l.nr, 1);
	ck_assert_str_eq(l.items[0].names.items[0], "web");
	ck_assert_str_eq(l.items[0].image_id, "sha256:1");
	ck_assert_str_eq(l.items[0].state, "running");
	ck_assert_str_eq(engine_kvlist_get(&l.items[0].labels, "a"), "1");
	engine_container_list_release(&l);
	engine_get_stats(e, &st);
	ck_assert_uint_eq(st.calls, 2);
	ck_assert_uint_eq(st.mutating, 0);

	full_spec(&s);
	ck_assert_int_eq(engine_container_create(e, &s, &id, &err), 0);
	ck_assert_str_eq(id, "abc");
	ck_assert_int_eq(engine_container_start(e, id, &err), 0);
	ck_assert_int_eq(
		engine_container_remove(e, id, ENGINE_REMOVE_FORCE, &err), 0);
	engine_get_stats(e, &st);
	ck_assert_uint_eq(st.calls, 5);
	ck_assert_uint_eq(st.mutating, 3);
	engine_reset_stats(e);
	engine_get_stats(e, &st);
	ck_assert_uint_eq(st.calls, 0);

	log = fake_requests(&f);
	/* Label filters, URL-encoded JSON, ANDed. */
	ck_assert_msg(strstr(log, "GET /v1.41/containers/json?all=1&filters="
				  "%7B%22label%22%3A%5B%22org.smeserver."
				  "managed%3D1%22%2C%22org.smeserver.name%22"
				  "%5D%7D HTTP/1.1"),
		      "%s", log);
	/* Create: a JSON body with its content type. */
	p = strstr(log, "POST /v1.41/containers/create?name=web HTTP/1.1");
	ck_assert_msg(p != NULL, "%s", log);
	ck_assert_ptr_nonnull(strstr(p, "Content-Type: application/json\r\n"));
	ck_assert_ptr_nonnull(strstr(p, "{\"Hostname\":\"web\""));
	/* Start: an empty body, no content type. */
	p = strstr(log, "POST /v1.41/containers/abc/start HTTP/1.1\r\n");
	ck_assert_msg(p != NULL, "%s", log);
	*strstr(p, "\n=====\n") = '\0';
	ck_assert_msg(strstr(p, "Content-Length: 0\r\n"), "%s", p);
	ck_assert_msg(!strcasestr(p, "Content-Type"), "%s", p);
	ck_assert_msg(!strcasestr(p, "Expect:"), "%s", p);
	p += strlen(p) + 1;
	ck_assert_msg(strstr(p, "DELETE /v1.41/containers/abc?v=0&force=1 "
				"HTTP/1.1"),
		      "%s", p);
	free(log);
	free(id);
	engine_container_spec_release(&s);
	engine_kvlist_release(&labels);
	engine_free(e);
	fake_stop(&f);
	strbuf_release(&err);
}
END_TEST

static const char inspect_json[] =
	"{\"Id\":\"c0ffee\",\"Created\":\"2026-01-01T00:00:00Z\","
	"\"Name\":\"/web\",\"Image\":\"sha256:beef\","
	"\"State\":{\"Status\":\"running\",\"Running\":true,"
	"\"Restarting\":false,\"Pid\":42,\"ExitCode\":0,"
	"\"StartedAt\":\"2026-01-01T00:00:01Z\","
	"\"FinishedAt\":\"0001-01-01T00:00:00Z\"},"
	"\"HostConfig\":{\"Binds\":[\"/srv/www:/www:ro\"],"
	"\"NetworkMode\":\"smenet\",\"PortBindings\":{\"80/tcp\":["
	"{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"8081\"}]},"
	"\"RestartPolicy\":{\"Name\":\"on-failure\",\"MaximumRetryCount\":3},"
	"\"Memory\":67108864,\"NanoCpus\":500000000,"
	"\"Mounts\":[{\"Type\":\"volume\",\"Source\":\"data\","
	"\"Target\":\"/data\"}]},"
	"\"Mounts\":[{\"Type\":\"bind\",\"Source\":\"/srv/www\","
	"\"Destination\":\"/www\",\"Mode\":\"ro\",\"RW\":false},"
	"{\"Type\":\"volume\",\"Name\":\"data\",\"Source\":"
	"\"/var/lib/docker/volumes/data/_data\",\"Destination\":\"/data\","
	"\"RW\":true}],"
	"\"Config\":{\"Hostname\":\"web\",\"Env\":[\"A=1\"],"
	"\"Cmd\":[\"/bin/busybox\",\"httpd\"],\"Image\":\"smetest/busybox:1\","
	"\"Labels\":{\"k\":\"v\"},\"ExposedPorts\":{\"80/tcp\":{},"
	"\"53/udp\":{}}},"
	"\"NetworkSettings\":{\"Ports\":{\"80/tcp\":[{\"HostIp\":"
	"\"127.0.0.1\",\"HostPort\":\"8081\"}],\"53/udp\":null},"
	"\"Networks\":{\"smenet\":{\"Aliases\":[\"app\",\"c0ffee\"],"
	"\"NetworkID\":\"n1\",\"IPAddress\":\"172.18.0.2\"}}}}";

START_TEST(test_engine_inspect_parse)
{
	struct strbuf err = STRBUF_INIT;
	struct engine_container c;
	const struct engine_net_attachment *a;
	struct engine *e;
	struct fake f;

	fake_init(&f);
	fake_add(&f, PING_141);
	fake_reply(&f, 200, inspect_json);
	fake_start(&f);
	e = fake_open(&f, NULL, NULL, &err);
	ck_assert_msg(e != NULL, "%s", err.buf);
	ck_assert_int_eq(engine_container_inspect(e, "web", &c, &err), 0);
	ck_assert_str_eq(c.id, "c0ffee");
	ck_assert_str_eq(c.name, "web");
	ck_assert_str_eq(c.image, "smetest/busybox:1");
	ck_assert_str_eq(c.image_id, "sha256:beef");
	ck_assert_str_eq(c.status, "running");
	ck_assert_int_eq(c.running, 1);
	ck_assert_int_eq(c.pid, 42);
	ck_assert_str_eq(c.started_at, "2026-01-01T00:00:01Z");
	ck_assert_uint_eq(c.cmd.nr, 2);
	ck_assert_str_eq(c.exposed_ports.items[0], "53/udp");
	ck_assert_str_eq(c.exposed_ports.items[1], "80/tcp");
	ck_assert_str_eq(engine_kvlist_get(&c.labels, "k"), "v");
	ck_assert_int_eq(c.memory, 67108864);
	ck_assert_int_eq(c.nano_cpus, 500000000);
	ck_assert_int_eq(c.restart_policy.name, ENGINE_RESTART_ON_FAILURE);
	ck_assert_int_eq(c.restart_policy.max_retry, 3);
	ck_assert_str_eq(c.network_mode, "smenet");
	ck_assert_uint_eq(c.nr_port_bindings, 1);
	ck_assert_str_eq(c.port_bindings[0].container_port, "80/tcp");
	ck_assert_str_eq(c.port_bindings[0].host_ip, "127.0.0.1");
	ck_assert_str_eq(c.port_bindings[0].host_port, "8081");
	ck_assert_uint_eq(c.nr_ports, 1);
	ck_assert_str_eq(c.binds.items[0], "/srv/www:/www:ro");
	ck_assert_uint_eq(c.nr_host_mounts, 1);
	ck_assert_int_eq(c.host_mounts[0].type, ENGINE_MOUNT_VOLUME);
	ck_assert_int_eq(c.host_mounts[0].read_only, 0);
	ck_assert_uint_eq(c.nr_mounts, 2);
	ck_assert_int_eq(c.mounts[0].type, ENGINE_MOUNT_BIND);
	ck_assert_str_eq(c.mounts[0].source, "/srv/www");
	ck_assert_str_eq(c.mounts[0].target, "/www");
	ck_assert_int_eq(c.mounts[0].read_only, 1);
	ck_assert_str_eq(c.mounts[1].source, "data");
	ck_assert_int_eq(c.mounts[1].read_only, 0);
	a = engine_container_network(&c, "smenet");
	ck_assert_ptr_nonnull(a);
	ck_assert_str_eq(a->ip_address, "172.18.0.2");
	ck_assert(engine_strlist_has(&a->aliases, "app"));
	ck_assert_ptr_null(engine_container_network(&c, "bridge"));
	engine_container_release(&c);
	engine_free(e);
	fake_stop(&f);
	strbuf_release(&err);
}
END_TEST

/* ------------------------------------------------------------------------
 * Image import.
 */

struct src {
	const char *data;
	size_t len, pos;
	int fail_at; /* fail on this call (1-based), 0: never */
	int calls;
};

static ssize_t
src_read(void *data, char *buf, size_t len, struct strbuf *err)
{
	struct src *s = data;
	size_t n = s->len - s->pos;

	if (++s->calls == s->fail_at) {
		strbuf_addstr(err, "tree: read error: input/output error");
		return -1;
	}
	if (n > len)
		n = len;
	if (n > 1000)
		n = 1000;
	memcpy(buf, s->data + s->pos, n);
	s->pos += n;
	return (ssize_t)n;
}

struct statuses {
	struct strbuf all;
};

static void
collect_status(void *data, const char *status)
{
	struct statuses *st = data;

	strbuf_addf(&st->all, "[%s]", status);
}

#define CHUNKED_HEAD                                            \
	"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" \
	"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"

/* A chunked reply: each piece is a chunk, "--split--" a pause between
 * writes. */
static void
fake_chunked(struct fake *f, const char *const *pieces)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_addstr(&sb, CHUNKED_HEAD);
	for (; *pieces; pieces++) {
		if (!strcmp(*pieces, "--split--"))
			strbuf_addstr(&sb, "\n--split--\n");
		else
			strbuf_addf(&sb, "%zx\r\n%s\r\n", strlen(*pieces),
				    *pieces);
	}
	strbuf_addstr(&sb, "0\r\n\r\n");
	fake_add(f, sb.buf);
	strbuf_release(&sb);
}

static const char *const split_pieces[] = {
	"{\"status\":\"",
	"--split--",
	"Importing\"}\n",
	"--split--",
	"{\"status\":\"a\"}\n{\"progress\":\"[=>  ]\",\"id\":\"x\"}\n",
	"--split--",
	"{\"stat",
	"--split--",
	"us\":\"sha256:ab",
	"--split--",
	"c12\"}",
	"\n",
	NULL,
};

START_TEST(test_engine_import_split_chunks)
{
	struct strbuf err = STRBUF_INIT, tar = STRBUF_INIT;
	struct engine_strlist changes = ENGINE_STRLIST_INIT;
	struct statuses st = { STRBUF_INIT };
	struct engine_import imp = { 0 };
	struct src s = { 0 };
	struct engine *e;
	struct fake f;
	char *id = NULL, *log, *p;
	int i;

	/* Line 1 in two HTTP chunks and two writes; line 2 and 3 in one
	 * chunk; the id line split mid-string over three writes. */
	fake_init(&f);
	fake_add(&f, PING_141);
	fake_chunked(&f, split_pieces);
	fake_start(&f);
	for (i = 0; i < 3000; i++)
		strbuf_addch(&tar, (char)('a' + i % 26));
	s.data = tar.buf;
	s.len = tar.len;
	engine_strlist_add(&changes, "CMD [\"/bin/sh\"]");
	engine_strlist_add(&changes, "EXPOSE 80/tcp");
	imp.repo = "sme/base";
	imp.tag = "1";
	imp.changes = &changes;
	imp.read = src_read;
	imp.read_data = &s;
	imp.status = collect_status;
	imp.status_data = &st;
	e = fake_open(&f, NULL, NULL, &err);
	ck_assert_msg(e != NULL, "%s", err.buf);
	ck_assert_msg(engine_image_import(e, &imp, &id, &err) == 0, "%s",
		      err.buf);
	ck_assert_str_eq(id, "sha256:abc12");
	ck_assert_str_eq(st.all.buf, "[Importing][a][sha256:abc12]");
	log = fake_requests(&f);
	p = strstr(log, "POST /v1.41/images/create?fromSrc=-&repo=sme%2Fbase&"
			"tag=1&changes=CMD%20%5B%22%2Fbin%2Fsh%22%5D&changes="
			"EXPOSE%2080%2Ftcp HTTP/1.1\r\n");
	ck_assert_msg(p != NULL, "%s", log);
	ck_assert_msg(strcasestr(p, "Transfer-Encoding: chunked\r\n"), "%s", p);
	ck_assert_msg(strstr(p, "Content-Type: application/x-tar\r\n"), "%s",
		      p);
	ck_assert_msg(!strcasestr(p, "Expect:"), "%s", p);
	/* The whole stream arrived (chunk framing aside). */
	ck_assert_ptr_nonnull(strstr(p, "uvwxyzabc"));
	ck_assert_ptr_nonnull(strstr(p, "\r\n0\r\n\r\n"));
	free(log);
	free(id);
	engine_strlist_release(&changes);
	strbuf_release(&st.all);
	engine_free(e);
	fake_stop(&f);
	strbuf_release(&tar);
	strbuf_release(&err);
}
END_TEST

static const char *const stream_error[] = {
	"{\"status\":\"Importing\"}\n",
	"--split--",
	"{\"errorDetail\":{\"message\":\"archive/tar: invalid tar header\"},"
	"\"error\":\"archive/tar: invalid tar header\"}\n",
	NULL,
};
static const char *const stream_no_id[] = { "{\"status\":\"Importing\"}\n",
					    NULL };
static const char *const stream_empty[] = { NULL };

static const struct {
	const char *const *pieces; /* a chunked 200 reply, or NULL */
	const char *reply;	   /* else a 500 with this body */
	int fail_at;
	int code;
	const char *msg;
} import_error_cases[] = {
	/* An error after streaming began: HTTP 200, in-stream error. */
	{ stream_error, NULL, 0, ENGINE_ESTREAM,
	  "import image 'sme/base:1': the engine reports: archive/tar: invalid "
	  "tar header" },
	/* The stream ends without an id. */
	{ stream_no_id, NULL, 0, ENGINE_EPROTO,
	  "import image 'sme/base:1': the engine's reply ended without an "
	  "image id" },
	/* A 500 before streaming began. */
	{ NULL, "{\"message\":\"disk full\"}", 0, ENGINE_ESERVER,
	  "import image 'sme/base:1': engine error 500: disk full" },
	/* The tar producer fails. */
	{ stream_empty, NULL, 2, ENGINE_EABORTED,
	  "import image 'sme/base:1': upload aborted: tree: read error: "
	  "input/output error" },
};

START_TEST(test_engine_import_errors)
{
	struct strbuf err = STRBUF_INIT;
	struct engine_import imp = { 0 };
	struct src s = { "0123456789abcdef0123456789", 26, 0, 0, 0 };
	struct engine *e;
	struct fake f;
	char *id = NULL;

	fake_init(&f);
	fake_add(&f, PING_141);
	if (import_error_cases[_i].pieces)
		fake_chunked(&f, import_error_cases[_i].pieces);
	else
		fake_reply(&f, 500, import_error_cases[_i].reply);
	fake_start(&f);
	s.fail_at = import_error_cases[_i].fail_at;
	imp.repo = "sme/base";
	imp.tag = "1";
	imp.read = src_read;
	imp.read_data = &s;
	e = fake_open(&f, NULL, NULL, &err);
	ck_assert_msg(e != NULL, "%s", err.buf);
	ck_assert_int_eq(engine_image_import(e, &imp, &id, &err),
			 import_error_cases[_i].code);
	ck_assert_msg(!strncmp(err.buf, import_error_cases[_i].msg,
			       strlen(import_error_cases[_i].msg)),
		      "case %d: %s", _i, err.buf);
	ck_assert_ptr_null(id);
	engine_free(e);
	fake_stop(&f);
	strbuf_release(&err);
}
END_TEST

START_TEST(test_engine_import_bad_reference)
{
	struct strbuf err = STRBUF_INIT;
	struct engine_import imp = { 0 };
	struct engine *e;
	struct fake f;
	struct engine_stats st;

	fake_init(&f);
	fake_add(&f, PING_141);
	fake_start(&f);
	e = fake_open(&f, NULL, NULL, &err);
	ck_assert_msg(e != NULL, "%s", err.buf);
	imp.repo = "Bad Name";
	imp.read = src_read;
	ck_assert_int_eq(engine_image_import(e, &imp, NULL, &err), ENGINE_ERR);
	ck_assert_str_eq(
		err.buf,
		"image reference 'Bad Name:latest': expected NAME[:TAG], "
		"the name in lowercase letters, digits and . _ - "
		"separators, components separated by '/', the tag of "
		"up to 128 letters, digits, '_', '.' and '-'");
	engine_get_stats(e, &st);
	ck_assert_uint_eq(st.calls, 1);
	engine_free(e);
	fake_stop(&f);
	strbuf_release(&err);
}
END_TEST

static Suite *
engine_suite(void)
{
	Suite *s = suite_create("engine");
	TCase *tc;

	tc = tcase_create("endpoint");
	tcase_add_loop_test(tc, test_engine_endpoint_parse, 0,
			    sizeof(endpoint_cases) / sizeof(*endpoint_cases));
	tcase_add_test(tc, test_engine_endpoint_tls_refused);
	tcase_add_loop_test(tc, test_engine_endpoint_from_config, 0,
			    sizeof(config_cases) / sizeof(*config_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("spec");
	tcase_add_loop_test(tc, test_engine_reference_parse, 0,
			    sizeof(ref_cases) / sizeof(*ref_cases));
	tcase_add_test(tc, test_engine_reference_lengths);
	tcase_add_test(tc, test_engine_spec_json_full);
	tcase_add_loop_test(tc, test_engine_spec_json_invalid, 0,
			    sizeof(spec_cases) / sizeof(*spec_cases));
	tcase_add_test(tc, test_engine_change_strings);
	tcase_add_test(tc, test_engine_restart_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("transport");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_engine_not_running);
	tcase_add_test(tc, test_engine_permission_denied);
	tcase_add_loop_test(tc, test_engine_handshake_versions, 0,
			    sizeof(ping_cases) / sizeof(*ping_cases));
	tcase_add_test(tc, test_engine_tcp_loopback);
	tcase_add_loop_test(tc, test_engine_status_errors, 0,
			    sizeof(status_cases) / sizeof(*status_cases));
	tcase_add_test(tc, test_engine_oversize_body);
	tcase_add_test(tc, test_engine_default_cap_takes_large_reply);
	tcase_add_test(tc, test_engine_timeout);
	tcase_add_test(tc, test_engine_connection_closed);
	tcase_add_test(tc, test_engine_request_shapes);
	tcase_add_test(tc, test_engine_inspect_parse);
	suite_add_tcase(s, tc);

	tc = tcase_create("import");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_engine_import_split_chunks);
	tcase_add_loop_test(tc, test_engine_import_errors, 0,
			    sizeof(import_error_cases) /
				    sizeof(*import_error_cases));
	tcase_add_test(tc, test_engine_import_bad_reference);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(engine_suite());
	int failed;

	signal(SIGPIPE, SIG_IGN);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
