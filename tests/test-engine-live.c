/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The engine client against a real Docker engine (started by
 * tests/with-dockerd.sh, DOCKER_HOST set) and the busybox test image
 * (tests/make-test-image.sh, name in TEST_IMAGE).
 */
#include <check.h>
#include <errno.h>
#include <ftw.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "engine.h"
#include "util.h"

#define LABEL "org.smeserver.test"

static const char *image;

static struct engine *
open_engine(void)
{
	struct strbuf err = STRBUF_INIT;
	struct engine *e = engine_open_default(NULL, NULL, &err);

	ck_assert_msg(e != NULL, "%s", err.buf);
	strbuf_release(&err);
	return e;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int
free_port(void)
{
	struct sockaddr_in a = { 0 };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static size_t
collect(char *p, size_t size, size_t n, void *data)
{
	strbuf_add(data, p, size * n);
	return size * n;
}

/* GET url into `out`; 0 on HTTP 200. */
static int
http_get(const char *url, struct strbuf *out)
{
	CURL *c = curl_easy_init();
	long status = 0;
	CURLcode rc;

	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 2000L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	return rc == CURLE_OK && status == 200 ? 0 : -1;
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

/* Remove what a test may have left (ignoring "not found"). */
static void
cleanup(struct engine *e, const char *const *containers,
	const char *const *networks, const char *const *volumes)
{
	struct strbuf err = STRBUF_INIT;

	for (; containers && *containers; containers++)
		engine_container_remove(e, *containers, ENGINE_REMOVE_FORCE,
					&err);
	for (; networks && *networks; networks++)
		engine_network_remove(e, *networks, &err);
	for (; volumes && *volumes; volumes++)
		engine_volume_remove(e, *volumes, 1, &err);
	strbuf_release(&err);
}

static void
base_spec(struct engine_container_spec *s, const char *name)
{
	engine_container_spec_init(s);
	s->name = xstrdup(name);
	s->image = xstrdup(image);
	engine_kvlist_set(&s->labels, LABEL, "1");
}

/* Create, start, wait: the exit code of a one-shot container. */
static int
run_once(struct engine *e, struct engine_container_spec *s)
{
	struct strbuf err = STRBUF_INIT;
	int code = -1;

	ck_assert_msg(engine_container_create(e, s, NULL, &err) == 0, "%s",
		      err.buf);
	ck_assert_msg(engine_container_start(e, s->name, &err) == 0, "%s",
		      err.buf);
	ck_assert_msg(engine_container_wait(e, s->name, 60000, &code, &err) ==
			      0,
		      "%s", err.buf);
	ck_assert_int_eq(engine_container_remove(e, s->name, 0, &err), 0);
	strbuf_release(&err);
	return code;
}

START_TEST(test_engine_live_system)
{
	struct strbuf err = STRBUF_INIT;
	struct engine_version v;
	struct engine_info info;
	struct engine_stats st;
	struct engine *e = open_engine();

	ck_assert_str_eq(engine_api_version(e), "1.41");
	ck_assert_int_eq(engine_ping(e, &err), 0);
	ck_assert_int_eq(engine_version(e, &v, &err), 0);
	ck_assert_str_eq(v.api_version, "1.41");
	ck_assert_str_eq(v.os, "linux");
	ck_assert_ptr_nonnull(strstr(v.version, "20.10"));
	engine_version_release(&v);
	ck_assert_int_eq(engine_info(e, &info, &err), 0);
	ck_assert_int_gt(info.ncpu, 0);
	ck_assert_int_gt(info.mem_total, 0);
	ck_assert_ptr_nonnull(strstr(info.docker_root_dir, "/tmp/smedockerd."));
	engine_info_release(&info);
	engine_get_stats(e, &st);
	ck_assert_uint_eq(st.calls, 4);
	ck_assert_uint_eq(st.mutating, 0);
	engine_free(e);
	strbuf_release(&err);
}
END_TEST

START_TEST(test_engine_live_images)
{
	struct strbuf err = STRBUF_INIT;
	struct engine_image img;
	struct engine_image_list l;
	struct engine *e = open_engine();

	ck_assert_msg(engine_image_inspect(e, image, &img, &err) == 0, "%s",
		      err.buf);
	ck_assert_ptr_nonnull(strstr(img.id, "sha256:"));
	ck_assert(engine_strlist_has(&img.repo_tags, image));
	ck_assert_uint_eq(img.cmd.nr, 7);
	ck_assert_str_eq(img.cmd.items[0], "/bin/busybox");
	ck_assert_str_eq(img.cmd.items[1], "httpd");
	ck_assert_uint_eq(img.exposed_ports.nr, 1);
	ck_assert_str_eq(img.exposed_ports.items[0], "80/tcp");
	engine_image_release(&img);

	ck_assert_int_eq(engine_image_list(e, image, &l, &err), 0);
	ck_assert_uint_eq(l.nr, 1);
	ck_assert(engine_strlist_has(&l.items[0].repo_tags, image));
	engine_image_list_release(&l);

	ck_assert_int_eq(engine_image_inspect(e, "smetest/none:1", &img, &err),
			 ENGINE_ENOTFOUND);
	ck_assert_msg(!strncmp(err.buf,
			       "inspect image 'smetest/none:1': no such image: "
			       "smetest/none:1",
			       61),
		      "%s", err.buf);
	engine_image_release(&img);
	strbuf_reset(&err);
	ck_assert_int_eq(engine_image_remove(e, "smetest/none:1", 0, &err),
			 ENGINE_ENOTFOUND);
	engine_free(e);
	strbuf_release(&err);
}
END_TEST

static const char *const web_containers[] = {
	"smetest-web",
	"smetest-web2",
	"smetest-client",
	"smetest-rocheck",
	"smetest-clash",
	"smetest-vol-user",
	NULL,
};
static const char *const web_networks[] = { "smetest-net", "smetest-net2",
					    NULL };
static const char *const web_volumes[] = { "smetest-vol", NULL };

struct hostdirs {
	char top[64];
	struct strbuf www, data;
	char token[64];
};

static void
make_hostdirs(struct hostdirs *h)
{
	struct strbuf page = STRBUF_INIT, err = STRBUF_INIT, f = STRBUF_INIT;

	snprintf(h->top, sizeof(h->top), "/tmp/test-engine-live.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(h->top));
	chmod(h->top, 0755);
	strbuf_init(&h->www, 0);
	strbuf_init(&h->data, 0);
	strbuf_addf(&h->www, "%s/www", h->top);
	strbuf_addf(&h->data, "%s/data", h->top);
	ck_assert_int_eq(mkdir(h->www.buf, 0755), 0);
	ck_assert_int_eq(mkdir(h->data.buf, 0777), 0);
	snprintf(h->token, sizeof(h->token), "live-page-%ld", (long)getpid());
	strbuf_addf(&page, "<html>%s</html>\n", h->token);
	strbuf_addf(&f, "%s/index.html", h->www.buf);
	ck_assert_int_eq(
		write_file_atomic(f.buf, page.buf, page.len, 0644, &err), 0);
	strbuf_release(&page);
	strbuf_release(&err);
	strbuf_release(&f);
}

static void
web_spec(struct engine_container_spec *s, const struct hostdirs *h, int port)
{
	char p[16];

	base_spec(s, "smetest-web");
	s->hostname = xstrdup("web");
	engine_strlist_add(&s->cmd, "/bin/busybox");
	engine_strlist_add(&s->cmd, "sh");
	engine_strlist_add(&s->cmd, "-c");
	engine_strlist_add(&s->cmd, "echo written > /data/out && exec "
				    "/bin/busybox httpd -f -p 80 -h /www");
	engine_strlist_add(&s->env, "SME=1");
	engine_kvlist_set(&s->labels, "org.smeserver.managed", "1");
	snprintf(p, sizeof(p), "%d", port);
	engine_container_spec_add_port(s, "80/tcp", "127.0.0.1", p);
	s->memory = 64 << 20;
	s->nano_cpus = 500000000;
	engine_container_spec_add_mount(s, ENGINE_MOUNT_BIND, h->www.buf,
					"/www", 1);
	engine_container_spec_add_mount(s, ENGINE_MOUNT_BIND, h->data.buf,
					"/data", 0);
	s->network_mode = xstrdup("smetest-net");
	engine_strlist_add(&s->aliases, "webalias");
	s->restart_policy.name = ENGINE_RESTART_UNLESS_STOPPED;
}

static void
check_inspect(struct engine *e, const struct hostdirs *h, int port, int started)
{
	struct strbuf err = STRBUF_INIT;
	struct engine_container c;
	const struct engine_net_attachment *a;
	char p[16];
	size_t i;

	snprintf(p, sizeof(p), "%d", port);
	ck_assert_msg(engine_container_inspect(e, "smetest-web", &c, &err) == 0,
		      "%s", err.buf);
	ck_assert_str_eq(c.name, "smetest-web");
	ck_assert_str_eq(c.image, image);
	ck_assert_ptr_nonnull(strstr(c.image_id, "sha256:"));
	ck_assert_str_eq(c.hostname, "web");
	ck_assert(engine_strlist_has(&c.env, "SME=1"));
	ck_assert_str_eq(engine_kvlist_get(&c.labels, LABEL), "1");
	ck_assert_int_eq(c.memory, 64 << 20);
	ck_assert_int_eq(c.nano_cpus, 500000000);
	ck_assert_int_eq(c.restart_policy.name, ENGINE_RESTART_UNLESS_STOPPED);
	ck_assert_str_eq(c.network_mode, "smetest-net");
	ck_assert_uint_eq(c.nr_port_bindings, 1);
	ck_assert_str_eq(c.port_bindings[0].container_port, "80/tcp");
	ck_assert_str_eq(c.port_bindings[0].host_ip, "127.0.0.1");
	ck_assert_str_eq(c.port_bindings[0].host_port, p);
	ck_assert_uint_eq(c.nr_host_mounts, 2);
	ck_assert_str_eq(c.host_mounts[0].target, "/www");
	ck_assert_int_eq(c.host_mounts[0].read_only, 1);
	ck_assert_int_eq(c.host_mounts[1].read_only, 0);
	a = engine_container_network(&c, "smetest-net");
	ck_assert_ptr_nonnull(a);
	ck_assert(engine_strlist_has(&a->aliases, "webalias"));
	ck_assert_int_eq(c.running, started);
	ck_assert_str_eq(c.status, started ? "running" : "created");
	if (started) {
		ck_assert_str_ne(c.started_at, "0001-01-01T00:00:00Z");
		ck_assert_str_ne(a->ip_address, "");
		ck_assert_uint_eq(c.nr_mounts, 2);
		for (i = 0; i < c.nr_mounts; i++) {
			ck_assert_int_eq(c.mounts[i].type, ENGINE_MOUNT_BIND);
			ck_assert_int_eq(c.mounts[i].read_only,
					 !strcmp(c.mounts[i].target, "/www"));
			ck_assert_str_eq(c.mounts[i].source,
					 !strcmp(c.mounts[i].target, "/www")
						 ? h->www.buf
						 : h->data.buf);
		}
		ck_assert_uint_eq(c.nr_ports, 1);
		ck_assert_str_eq(c.ports[0].host_port, p);
	}
	engine_container_release(&c);
	strbuf_release(&err);
}

/* GET the page from the published port; httpd may need a moment. */
static void
check_page(const struct hostdirs *h, int port)
{
	struct strbuf url = STRBUF_INIT, body = STRBUF_INIT;
	int i;

	strbuf_addf(&url, "http://127.0.0.1:%d/", port);
	for (i = 0; i < 100; i++) {
		strbuf_reset(&body);
		if (!http_get(url.buf, &body))
			break;
		sleep_ms(100);
	}
	ck_assert_msg(i < 100, "no page at %s", url.buf);
	ck_assert_msg(strstr(body.buf, h->token), "page: %s", body.buf);
	strbuf_release(&url);
	strbuf_release(&body);
}

static void
check_data_written(const struct hostdirs *h)
{
	struct strbuf f = STRBUF_INIT, c = STRBUF_INIT;
	int i;

	strbuf_addf(&f, "%s/out", h->data.buf);
	for (i = 0; i < 100; i++) {
		if (!access(f.buf, F_OK))
			break;
		sleep_ms(100);
	}
	ck_assert_int_eq(strbuf_read_file(&c, f.buf, 100), 0);
	ck_assert_str_eq(c.buf, "written\n");
	strbuf_release(&f);
	strbuf_release(&c);
}

START_TEST(test_engine_live_web_container)
{
	struct strbuf err = STRBUF_INIT;
	struct engine_container_spec s;
	struct engine_network_spec ns = { 0 };
	struct engine_kvlist labels = ENGINE_KVLIST_INIT;
	struct engine_container_list l;
	struct engine_network net;
	struct engine_stats before, after;
	struct hostdirs h;
	struct engine *e = open_engine();
	char *id = NULL, *net_id = NULL;
	int port = free_port();

	cleanup(e, web_containers, web_networks, web_volumes);
	make_hostdirs(&h);

	/* A user-defined network; a second of the same name is refused. */
	engine_kvlist_set(&labels, LABEL, "1");
	ns.name = "smetest-net";
	ns.labels = &labels;
	ck_assert_msg(engine_network_create(e, &ns, &net_id, &err) == 0, "%s",
		      err.buf);
	ck_assert_int_eq(engine_network_create(e, &ns, NULL, &err),
			 ENGINE_ECONFLICT);
	ck_assert_msg(strstr(err.buf, "create network 'smetest-net': network "
				      "with name smetest-net already exists"),
		      "%s", err.buf);
	strbuf_reset(&err);
	ck_assert_int_eq(engine_network_inspect(e, "smetest-net", &net, &err),
			 0);
	ck_assert_str_eq(net.id, net_id);
	ck_assert_str_eq(net.driver, "bridge");
	ck_assert_str_eq(engine_kvlist_get(&net.labels, LABEL), "1");
	engine_network_release(&net);

	/* Create: every setting shows in inspect, before and after start. */
	web_spec(&s, &h, port);
	ck_assert_msg(engine_container_create(e, &s, &id, &err) == 0, "%s",
		      err.buf);
	check_inspect(e, &h, port, 0);
	ck_assert_int_eq(engine_container_start(e, id, &err), 0);
	ck_assert_int_eq(engine_container_start(e, "smetest-web", &err), 1);
	check_inspect(e, &h, port, 1);

	/* The page through the published port; the rw mount written. */
	check_page(&h, port);
	check_data_written(&h);

	/* Another container reaches it by its alias on the network. */
	{
		struct engine_container_spec c;
		struct strbuf sh = STRBUF_INIT;

		base_spec(&c, "smetest-client");
		c.network_mode = xstrdup("smetest-net");
		strbuf_addf(&sh,
			    "/bin/busybox wget -q -O - http://webalias/ | "
			    "/bin/busybox grep -q %s",
			    h.token);
		engine_strlist_add(&c.cmd, "/bin/busybox");
		engine_strlist_add(&c.cmd, "sh");
		engine_strlist_add(&c.cmd, "-c");
		engine_strlist_add(&c.cmd, sh.buf);
		ck_assert_int_eq(run_once(e, &c), 0);
		engine_container_spec_release(&c);
		strbuf_release(&sh);
	}
	/* The read-only mount cannot be written from inside. */
	{
		struct engine_container_spec c;
		struct strbuf f = STRBUF_INIT;

		base_spec(&c, "smetest-rocheck");
		engine_container_spec_add_mount(&c, ENGINE_MOUNT_BIND,
						h.www.buf, "/www", 1);
		engine_strlist_add(&c.cmd, "/bin/busybox");
		engine_strlist_add(&c.cmd, "touch");
		engine_strlist_add(&c.cmd, "/www/x");
		ck_assert_int_ne(run_once(e, &c), 0);
		strbuf_addf(&f, "%s/x", h.www.buf);
		ck_assert_int_ne(access(f.buf, F_OK), 0);
		engine_container_spec_release(&c);
		strbuf_release(&f);
	}

	/* Reading makes no mutating call. */
	engine_get_stats(e, &before);
	ck_assert_int_eq(engine_container_list(e, 1, &labels, &l, &err), 0);
	ck_assert_uint_eq(l.nr, 1);
	ck_assert_str_eq(l.items[0].names.items[0], "smetest-web");
	ck_assert_str_eq(l.items[0].state, "running");
	ck_assert_str_eq(l.items[0].id, id);
	engine_container_list_release(&l);
	check_inspect(e, &h, port, 1);
	engine_get_stats(e, &after);
	ck_assert_uint_eq(after.calls, before.calls + 2);
	ck_assert_uint_eq(after.mutating, before.mutating);

	/* The same host port again: the engine's 500 at start. */
	{
		struct engine_container_spec c;
		char p[16];

		snprintf(p, sizeof(p), "%d", port);
		base_spec(&c, "smetest-clash");
		engine_container_spec_add_port(&c, "80/tcp", "127.0.0.1", p);
		ck_assert_int_eq(engine_container_create(e, &c, NULL, &err), 0);
		ck_assert_int_eq(
			engine_container_start(e, "smetest-clash", &err),
			ENGINE_ESERVER);
		ck_assert_msg(
			strstr(err.buf, "start container "
					"'smetest-clash': engine error "
					"500: ") &&
				strstr(err.buf, "port is already allocated"),
			"%s", err.buf);
		strbuf_reset(&err);
		engine_container_spec_release(&c);
	}

	/* A name in use. */
	ck_assert_int_eq(engine_container_create(e, &s, NULL, &err),
			 ENGINE_ECONFLICT);
	ck_assert_msg(strstr(err.buf, "create container 'smetest-web': "
				      "conflict. The container name "
				      "\"/smetest-web\" is already in use"),
		      "%s", err.buf);
	strbuf_reset(&err);
	engine_container_spec_release(&s);

	/* Update in place. */
	{
		struct engine_container_update u = { 0 };
		struct engine_container c;

		u.fields = ENGINE_UPDATE_MEMORY | ENGINE_UPDATE_NANO_CPUS |
			   ENGINE_UPDATE_RESTART;
		u.memory = 128 << 20;
		u.nano_cpus = 1000000000;
		u.restart_policy.name = ENGINE_RESTART_ON_FAILURE;
		u.restart_policy.max_retry = 2;
		ck_assert_msg(engine_container_update(e, "smetest-web", &u,
						      &err) == 0,
			      "%s", err.buf);
		ck_assert_int_eq(
			engine_container_inspect(e, "smetest-web", &c, &err),
			0);
		ck_assert_int_eq(c.memory, 128 << 20);
		ck_assert_int_eq(c.nano_cpus, 1000000000);
		ck_assert_int_eq(c.restart_policy.name,
				 ENGINE_RESTART_ON_FAILURE);
		ck_assert_int_eq(c.restart_policy.max_retry, 2);
		ck_assert_str_eq(c.id, id);
		ck_assert_int_eq(c.running, 1);
		engine_container_release(&c);
	}

	/* Connect to a second network with an alias; twice is refused. */
	{
		struct engine_strlist aliases = ENGINE_STRLIST_INIT;
		struct engine_container c;
		const struct engine_net_attachment *a;

		ns.name = "smetest-net2";
		ck_assert_int_eq(engine_network_create(e, &ns, NULL, &err), 0);
		engine_strlist_add(&aliases, "second");
		ck_assert_msg(engine_network_connect(e, "smetest-net2",
						     "smetest-web", &aliases,
						     &err) == 0,
			      "%s", err.buf);
		ck_assert_int_lt(engine_network_connect(e, "smetest-net2",
							"smetest-web", &aliases,
							&err),
				 0);
		ck_assert_msg(strstr(err.buf, "connect container 'smetest-web' "
					      "to network 'smetest-net2': "),
			      "%s", err.buf);
		strbuf_reset(&err);
		ck_assert_int_eq(
			engine_container_inspect(e, "smetest-web", &c, &err),
			0);
		a = engine_container_network(&c, "smetest-net2");
		ck_assert_ptr_nonnull(a);
		ck_assert(engine_strlist_has(&a->aliases, "second"));
		engine_container_release(&c);
		ck_assert_int_eq(engine_network_disconnect(e, "smetest-net2",
							   "smetest-web", 0,
							   &err),
				 0);
		engine_strlist_release(&aliases);
	}

	/* Remove while running: refused without force. */
	ck_assert_int_eq(engine_container_remove(e, "smetest-web", 0, &err),
			 ENGINE_ECONFLICT);
	ck_assert_msg(strstr(err.buf, "remove container 'smetest-web': "), "%s",
		      err.buf);
	strbuf_reset(&err);

	/* Rename, stop twice, restart, remove. */
	ck_assert_int_eq(
		engine_container_rename(e, "smetest-web", "smetest-web2", &err),
		0);
	ck_assert_int_eq(engine_container_stop(e, "smetest-web2", 2, &err), 0);
	ck_assert_int_eq(engine_container_stop(e, "smetest-web2", 2, &err), 1);
	ck_assert_int_eq(engine_container_restart(e, "smetest-web2", 2, &err),
			 0);
	check_page(&h, port);
	ck_assert_int_eq(engine_container_stop(e, "smetest-web2", 2, &err), 0);
	ck_assert_int_eq(engine_container_remove(e, "smetest-web2", 0, &err),
			 0);
	{
		struct engine_container c;

		ck_assert_int_eq(
			engine_container_inspect(e, "smetest-web2", &c, &err),
			ENGINE_ENOTFOUND);
		ck_assert_str_eq(err.buf, "inspect container 'smetest-web2': "
					  "no such container: smetest-web2");
		engine_container_release(&c);
		strbuf_reset(&err);
	}
	ck_assert_int_eq(engine_container_start(e, "smetest-web2", &err),
			 ENGINE_ENOTFOUND);
	strbuf_reset(&err);
	/* The host data stays. */
	check_data_written(&h);

	cleanup(e, web_containers, web_networks, web_volumes);
	nftw(h.top, rm_cb, 8, FTW_DEPTH | FTW_PHYS);
	strbuf_release(&h.www);
	strbuf_release(&h.data);
	engine_kvlist_release(&labels);
	free(id);
	free(net_id);
	engine_free(e);
	strbuf_release(&err);
}
END_TEST

START_TEST(test_engine_live_volumes_survive_removal)
{
	struct strbuf err = STRBUF_INIT;
	struct engine_kvlist labels = ENGINE_KVLIST_INIT;
	struct engine_container_spec s;
	struct engine_volume v;
	struct engine_volume_list l;
	struct engine *e = open_engine();

	cleanup(e, web_containers, NULL, web_volumes);
	engine_kvlist_set(&labels, LABEL, "vol");
	ck_assert_int_eq(
		engine_volume_create(e, "smetest-vol", &labels, &v, &err), 0);
	ck_assert_str_eq(v.name, "smetest-vol");
	ck_assert_str_eq(v.driver, "local");
	engine_volume_release(&v);

	base_spec(&s, "smetest-vol-user");
	engine_container_spec_add_mount(&s, ENGINE_MOUNT_VOLUME, "smetest-vol",
					"/data", 0);
	engine_strlist_add(&s.cmd, "/bin/busybox");
	engine_strlist_add(&s.cmd, "sh");
	engine_strlist_add(&s.cmd, "-c");
	engine_strlist_add(&s.cmd, "echo kept > /data/file");
	ck_assert_int_eq(run_once(e, &s), 0);
	engine_container_spec_release(&s);

	/* Removed with the container's default flags: the volume stays. */
	ck_assert_int_eq(engine_volume_list(e, &labels, &l, &err), 0);
	ck_assert_uint_eq(l.nr, 1);
	ck_assert_str_eq(l.items[0].name, "smetest-vol");
	engine_volume_list_release(&l);

	base_spec(&s, "smetest-vol-user");
	engine_container_spec_add_mount(&s, ENGINE_MOUNT_VOLUME, "smetest-vol",
					"/data", 1);
	engine_strlist_add(&s.cmd, "/bin/busybox");
	engine_strlist_add(&s.cmd, "grep");
	engine_strlist_add(&s.cmd, "-q");
	engine_strlist_add(&s.cmd, "kept");
	engine_strlist_add(&s.cmd, "/data/file");
	ck_assert_int_eq(run_once(e, &s), 0);
	engine_container_spec_release(&s);

	ck_assert_int_eq(engine_volume_inspect(e, "smetest-vol", &v, &err), 0);
	ck_assert_str_eq(engine_kvlist_get(&v.labels, LABEL), "vol");
	engine_volume_release(&v);
	ck_assert_int_eq(engine_volume_remove(e, "smetest-vol", 0, &err), 0);
	ck_assert_int_eq(engine_volume_inspect(e, "smetest-vol", &v, &err),
			 ENGINE_ENOTFOUND);
	engine_volume_release(&v);
	engine_kvlist_release(&labels);
	engine_free(e);
	strbuf_release(&err);
}
END_TEST

static ssize_t
garbage_read(void *data, char *buf, size_t len, struct strbuf *err)
{
	int *left = data;
	size_t n = len < 4096 ? len : 4096;

	(void)err;
	if (!*left)
		return 0;
	(*left)--;
	memset(buf, 'x', n);
	return (ssize_t)n;
}

START_TEST(test_engine_live_import_garbage)
{
	struct strbuf err = STRBUF_INIT;
	struct engine_import imp = { 0 };
	struct engine_image img;
	struct engine *e = open_engine();
	int left = 8;
	char *id = NULL;
	int ret;

	imp.repo = "smetest/garbage";
	imp.tag = "1";
	imp.read = garbage_read;
	imp.read_data = &left;
	ret = engine_image_import(e, &imp, &id, &err);
	ck_assert_msg(ret == ENGINE_ESTREAM || ret == ENGINE_ESERVER, "%d: %s",
		      ret, err.buf);
	ck_assert_msg(strstr(err.buf, "import image 'smetest/garbage:1': "),
		      "%s", err.buf);
	ck_assert_ptr_null(id);
	strbuf_reset(&err);
	ck_assert_int_eq(
		engine_image_inspect(e, "smetest/garbage:1", &img, &err),
		ENGINE_ENOTFOUND);
	engine_image_release(&img);
	engine_free(e);
	strbuf_release(&err);
}
END_TEST

static Suite *
live_suite(void)
{
	Suite *s = suite_create("engine-live");
	TCase *tc = tcase_create("live");

	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, test_engine_live_system);
	tcase_add_test(tc, test_engine_live_images);
	tcase_add_test(tc, test_engine_live_web_container);
	tcase_add_test(tc, test_engine_live_volumes_survive_removal);
	tcase_add_test(tc, test_engine_live_import_garbage);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	image = getenv("TEST_IMAGE");
	if (!getenv("DOCKER_HOST") || !image) {
		fputs("test-engine-live: run through tests/engine-live.sh "
		      "(DOCKER_HOST and TEST_IMAGE are not set)\n",
		      stderr);
		return 1;
	}
	curl_global_init(CURL_GLOBAL_NOTHING);
	sr = srunner_create(live_suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	curl_global_cleanup();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
