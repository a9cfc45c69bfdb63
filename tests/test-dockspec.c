/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "dockspec.h"
#include "util.h"

static struct dockspec_config cfg;

static void
setup(void)
{
	dockspec_config_init(&cfg);
}

static void
teardown(void)
{
	dockspec_config_release(&cfg);
}

/* "a=1|b=2" -> props */
static void
props(struct dockspec_props *p, const char *spec)
{
	char *s = xstrdup(spec), *item = s, *bar, *eq;

	memset(p, 0, sizeof(*p));
	while (item && *item) {
		bar = strchr(item, '|');
		if (bar)
			*bar = '\0';
		eq = strchr(item, '=');
		ck_assert_ptr_nonnull(eq);
		*eq = '\0';
		dockspec_props_set(p, item, eq + 1);
		item = bar ? bar + 1 : NULL;
	}
	free(s);
}

static int
build(struct dockspec *o, const char *name, const char *rec, const char *img,
      struct strbuf *err)
{
	struct dockspec_props r, i;
	int ret;

	props(&r, rec);
	props(&i, img ? img : "");
	ret = dockspec_build(o, "docker_containers", name, &r, img ? &i : NULL,
			     &cfg, err);
	dockspec_props_release(&r);
	dockspec_props_release(&i);
	return ret;
}

static const struct {
	const char *name, *rec, *msg;
} bad_cases[] = {
	{ "Bad", "status=enabled|Image=x",
	  "docker_containers: Bad: bad container name" },
	{ "web", "Image=x", "docker_containers: web: status: missing" },
	{ "web", "status=on|Image=x",
	  "docker_containers: web: status 'on': expected disabled or enabled" },
	{ "web", "status=enabled", "docker_containers: web: Image: missing" },
	{ "web", "status=enabled|Image=a b",
	  "docker_containers: web: Image 'a b': expected an image reference" },
	{ "web", "status=enabled|Image=x|TCPPort=80,70000",
	  "docker_containers: web: TCPPort '70000': expected a port number 1-65535" },
	{ "web", "status=enabled|Image=x|UDPPort=0",
	  "docker_containers: web: UDPPort '0': expected a port number" },
	{ "web",
	  "status=enabled|Image=x|TCPPort=80|PortMapping=custom|PortMappingPorts=8080",
	  "docker_containers: web: PortMappingPorts '8080': expected host:container" },
	{ "web",
	  "status=enabled|Image=x|TCPPort=80|PortMapping=custom|PortMappingPorts=8080:81",
	  "docker_containers: web: PortMappingPorts '8080:81': container port 81 is in neither" },
	{ "web", "status=enabled|Image=x|TCPPort=80|PortMappingPorts=8080:80",
	  "docker_containers: web: PortMappingPorts '8080:80': set, but PortMapping is not custom" },
	{ "web", "status=enabled|Image=x|MaxMemory=lots",
	  "docker_containers: web: MaxMemory 'lots': expected a size like 512M" },
	{ "web", "status=enabled|Image=x|MaxMemory=2M",
	  "docker_containers: web: MaxMemory '2M': below the engine's minimum" },
	{ "web", "status=enabled|Image=x|MaxCpu=0.001",
	  "docker_containers: web: MaxCpu '0.001': expected a number of CPUs" },
	{ "web", "status=enabled|Image=x|MaxCpu=-1",
	  "docker_containers: web: MaxCpu '-1': expected a number of CPUs" },
	{ "web", "status=enabled|Image=x|MountPath=/data/../etc",
	  "docker_containers: web: MountPath '/data/../etc': expected an absolute path" },
	{ "web", "status=enabled|Image=x|MountPath=data",
	  "docker_containers: web: MountPath 'data': expected an absolute path" },
	{ "web", "status=enabled|Image=x|MountPath=/a:b",
	  "docker_containers: web: MountPath '/a:b': expected an absolute path" },
	{ "web", "status=enabled|Image=x|DataMountPath=/etc",
	  "docker_containers: web: DataMountPath '/etc': outside the data root" },
	{ "web",
	  "status=enabled|Image=x|DataMountPath=/home/e-smith/files/docker-data/../x",
	  "docker_containers: web: DataMountPath '/home/e-smith/files/docker-data/../x': expected an absolute path" },
	{ "web", "status=enabled|Image=x|DataMount=nfs",
	  "docker_containers: web: DataMount 'nfs': expected host or container" },
	{ "web", "status=enabled|Image=x|DataMountWrite=ro",
	  "docker_containers: web: DataMountWrite 'ro': expected yes or no" },
	{ "web", "status=enabled|Image=x|WebAlias=a/b",
	  "docker_containers: web: WebAlias 'a/b': expected letters" },
	{ "web", "status=enabled|Image=x|WebAlias=a\"b",
	  "docker_containers: web: WebAlias 'a\"b': expected letters" },
	{ "web", "status=enabled|Image=x|SubDomain=enabled|SubDomainName=a.b",
	  "docker_containers: web: SubDomainName 'a.b': expected a DNS label" },
	{ "web", "status=enabled|Image=x|SubDomain=enabled",
	  "docker_containers: web: SubDomainName: missing" },
	{ "web", "status=enabled|Image=x|Interlinked=web",
	  "docker_containers: web: Interlinked 'web': a container cannot link to itself" },
	{ "web", "status=enabled|Image=x|InterLinkPriority=high",
	  "docker_containers: web: InterLinkPriority 'high': expected a number" },
	{ "web", "status=enabled|Image=x|network=none",
	  "docker_containers: web: network 'none': expected bridge or host" },
	{ "web", "status=enabled|Image=x|access=world",
	  "docker_containers: web: access 'world': expected private or public" },
	{ "web", "status=enabled|Image=x|Env=1A=b",
	  "docker_containers: web: Env '1A=b': expected NAME=value" },
	{ "web", "status=enabled|Image=x|Cmd=[\"a\",1]",
	  "docker_containers: web: Cmd '[\"a\",1]': expected words separated "
	  "by spaces, or a JSON array" },
	{ "web", "status=enabled|Image=x|StopTimeout=1h",
	  "docker_containers: web: StopTimeout '1h': expected seconds" },
	{ "web", "status=enabled|Image=x|Restart=sometimes",
	  "docker_containers: web: Restart 'sometimes': expected unless-stopped, always, on-failure or no" },
	{ "web", "status=enabled|Image=x|Cmd=a\nb",
	  "docker_containers: web: Cmd: control characters" },
	{ "web",
	  "status=enabled|Image=x|network=host|PortMapping=custom|TCPPort=80|PortMappingPorts=81:80",
	  "docker_containers: web: PortMapping 'custom': not possible with network host" },
};

START_TEST(test_dockspec_bad_values)
{
	struct strbuf err = STRBUF_INIT;
	struct dockspec o;
	int n = build(&o, bad_cases[_i].name, bad_cases[_i].rec, NULL, &err);

	ck_assert_int_ge(n, 1);
	if (!strstr(err.buf, bad_cases[_i].msg))
		ck_abort_msg("case %d: want '%s' in:\n%s", _i,
			     bad_cases[_i].msg, err.buf);
	ck_assert_ptr_null(o.name);
	strbuf_release(&err);
}
END_TEST

START_TEST(test_dockspec_all_problems_at_once)
{
	struct strbuf err = STRBUF_INIT;
	struct dockspec o;
	int n = build(&o, "web",
		      "status=yes|Image=x|TCPPort=99999|MaxMemory=lots|"
		      "MountPath=rel",
		      NULL, &err);

	ck_assert_int_eq(n, 4);
	ck_assert_ptr_nonnull(strstr(err.buf, "status 'yes'"));
	ck_assert_ptr_nonnull(strstr(err.buf, "TCPPort '99999'"));
	ck_assert_ptr_nonnull(strstr(err.buf, "MaxMemory 'lots'"));
	ck_assert_ptr_nonnull(strstr(err.buf, "MountPath 'rel'"));
	strbuf_release(&err);
}
END_TEST

START_TEST(test_dockspec_full_record)
{
	struct strbuf err = STRBUF_INIT;
	struct dockspec o;
	int n = build(&o, "wordpress",
		      "status=enabled|Image=wp|TCPPort=80,443|UDPPort=53|"
		      "PortMapping=custom|PortMappingPorts=8081:80,5353:53|"
		      "access=public|MountPath=/var/www/html,/etc/wp|"
		      "DataMountWrite=no|MaxMemory=512|MaxCpu=1.5|"
		      "Interlinked=mysql|InterLinkPriority=7|WebAlias=blog|"
		      "SubDomain=enabled|SubDomainName=blog|"
		      "Env=A=1, B=two words",
		      "Reference=wordpress:6|Cmd=/run.sh -x|MaxMemory=64M",
		      &err);

	ck_assert_msg(n == 0, "%s", err.buf);
	ck_assert_str_eq(o.image, "wordpress:6");
	ck_assert_int_eq(o.enabled, 1);
	ck_assert_uint_eq(o.ncmd, 2);
	ck_assert_str_eq(o.cmd[1], "-x");
	ck_assert_uint_eq(o.nenv, 2);
	ck_assert_str_eq(o.env[1], "B=two words");
	ck_assert_uint_eq(o.nports, 3);
	ck_assert_int_eq(o.ports[0].host, 8081);
	ck_assert_int_eq(o.ports[0].container, 80);
	ck_assert_int_eq(o.ports[1].proto, DOCKSPEC_UDP);
	ck_assert_int_eq(o.ports[1].host, 5353);
	ck_assert_int_eq(o.ports[2].container, 443); /* exposed only */
	ck_assert_int_eq(o.ports[2].host, 0);
	ck_assert_str_eq(o.bind_ips[0], "");
	ck_assert_uint_eq(o.nmounts, 2);
	ck_assert_str_eq(o.mounts[0].source,
			 "/home/e-smith/files/docker-data/wordpress/"
			 "var_www_html");
	ck_assert_int_eq(o.mounts[0].read_only, 1);
	ck_assert_int_eq(o.mounts[0].volume, 0);
	ck_assert_int_eq(o.memory, 512LL * 1024 * 1024);
	ck_assert_int_eq(o.nano_cpus, 1500000000LL);
	ck_assert_str_eq(o.network, "smeserver");
	ck_assert_str_eq(o.restart, "unless-stopped");
	ck_assert_str_eq(o.links[0], "mysql");
	ck_assert_int_eq(o.priority, 7);
	ck_assert_str_eq(o.web_alias, "blog");
	ck_assert_str_eq(o.subdomain, "blog");
	dockspec_release(&o);
	strbuf_release(&err);
}
END_TEST

START_TEST(test_dockspec_defaults_private_native_volume)
{
	struct strbuf err = STRBUF_INIT;
	struct dockspec o;
	int n = build(&o, "db",
		      "status=disabled|Image=busy|TCPPort=3306|"
		      "DataMount=container|MountPath=/var/lib/mysql|"
		      "network=bridge",
		      NULL, &err);

	ck_assert_msg(n == 0, "%s", err.buf);
	ck_assert_int_eq(o.enabled, 0);
	ck_assert_int_eq(o.ports[0].host, 3306);
	ck_assert_str_eq(o.bind_ips[0], "127.0.0.1");
	ck_assert_int_eq(o.mounts[0].volume, 1);
	ck_assert_str_eq(o.mounts[0].source, "db_var_lib_mysql");
	ck_assert_int_eq(o.mounts[0].read_only, 0);
	ck_assert_int_eq(o.memory, 0);
	dockspec_release(&o);
	strbuf_release(&err);
}
END_TEST

START_TEST(test_dockspec_outside_allowed)
{
	struct strbuf err = STRBUF_INIT;
	struct dockspec o;
	int n = build(&o, "web",
		      "status=enabled|Image=x|DataMountPath=/srv/web|"
		      "DataMountOutside=yes|MountPath=/d",
		      NULL, &err);

	ck_assert_msg(n == 0, "%s", err.buf);
	ck_assert_str_eq(o.mounts[0].source, "/srv/web/d");
	dockspec_release(&o);
	strbuf_release(&err);
}
END_TEST

static struct db *
dbparse(const char *name, const char *text)
{
	return db_parse(name, text, strlen(text));
}

START_TEST(test_dockspec_set_problems)
{
	struct db *c = dbparse(
		"docker_containers",
		"a=service|status|enabled|Image|x|Interlinked|b|TCPPort|80\n"
		"b=service|status|enabled|Image|x|Interlinked|c\n"
		"c=service|status|enabled|Image|x|Interlinked|a\n"
		"d=service|status|enabled|Image|x|Interlinked|nosuch|"
		"TCPPort|81|PortMapping|custom|PortMappingPorts|80:81\n"
		"e=service|status|enabled|Image|x|Interlinked|f\n"
		"f=service|status|disabled|Image|x\n");
	struct strbuf err = STRBUF_INIT;
	struct dockspec *specs;
	size_t n;
	int p = dockspec_load_db(c, NULL, &cfg, &specs, &n, &err);

	ck_assert_int_eq(p, 4);
	ck_assert_ptr_nonnull(strstr(
		err.buf, "docker_containers: d: Interlinked 'nosuch': no such "
			 "container record\n"));
	ck_assert_ptr_nonnull(
		strstr(err.buf, "Interlinked: link cycle a -> b -> c -> a\n"));
	ck_assert_ptr_nonnull(strstr(
		err.buf, "docker_containers: a: host port 80/tcp is also "
			 "published by d\n"));
	ck_assert_ptr_nonnull(
		strstr(err.buf, "docker_containers: e: Interlinked 'f': that "
				"container is disabled\n"));
	ck_assert_ptr_null(specs);
	strbuf_release(&err);
	db_free(c);
}
END_TEST

START_TEST(test_dockspec_images_and_order)
{
	struct db *c = dbparse(
		"docker_containers",
		"web=service|status|enabled|Image|app|Interlinked|db|"
		"InterLinkPriority|1\n"
		"db=service|status|enabled|Image|busybox:1\n"
		"cache=service|status|enabled|InterLinkPriority|3\n"
		"aaa=service|status|enabled|Image|sme/base:3|InterLinkPriority|2\n");
	struct db *i =
		dbparse("docker_images",
			"app=image|Reference|sme/app:2|TCPPort|8080\n"
			"cache=image|Tag|7|Cmd|[\"redis-server\",\"--a b\"]\n"
			"sme/base=image|Tag|1|Env|X=1\n");
	struct strbuf err = STRBUF_INIT;
	struct dockspec *specs;
	size_t n, order[4];
	int p = dockspec_load_db(c, i, &cfg, &specs, &n, &err);

	ck_assert_msg(p == 0, "%s", err.buf);
	ck_assert_uint_eq(n, 4);
	ck_assert_str_eq(specs[0].name, "aaa");
	ck_assert_str_eq(specs[3].name, "web");
	ck_assert_str_eq(specs[3].image, "sme/app:2");
	ck_assert_int_eq(specs[3].ports[0].container, 8080);
	ck_assert_str_eq(specs[1].image, "cache:7");
	ck_assert_uint_eq(specs[1].ncmd, 2);
	ck_assert_str_eq(specs[1].cmd[1], "--a b");
	/* tag as written wins, defaults from the repository's record */
	ck_assert_str_eq(specs[0].image, "sme/base:3");
	ck_assert_str_eq(specs[0].env[0], "X=1");
	ck_assert_int_eq(dockspec_start_order(specs, n, order), 0);
	/* db (50) must precede web (1) although web's priority is lower */
	ck_assert_str_eq(specs[order[0]].name, "aaa");
	ck_assert_str_eq(specs[order[1]].name, "cache");
	ck_assert_str_eq(specs[order[2]].name, "db");
	ck_assert_str_eq(specs[order[3]].name, "web");
	dockspec_free_all(specs, n);
	strbuf_release(&err);
	db_free(c);
	db_free(i);
}
END_TEST

START_TEST(test_dockspec_yaml_roundtrip_and_hash)
{
	struct dockspec_props r = { 0 }, img = { 0 };
	struct strbuf y = STRBUF_INIT, err = STRBUF_INIT;
	struct dockspec a, b, d;
	char h1[65], h2[65], h3[65];

	props(&r, "status=enabled|Image=busybox|TCPPort=80|"
		  "Env=Q=it's: {x} #y,R=2|MountPath=/www");
	props(&img, "Cmd=httpd -f");
	dockspec_props_to_yaml("web", &r, &img, &y);
	ck_assert_int_eq(
		dockspec_parse_yaml(&a, "web.yml", y.buf, y.len, &cfg, &err),
		0);
	ck_assert_msg(err.len == 0, "%s", err.buf);
	ck_assert_str_eq(a.env[0], "Q=it's: {x} #y");
	ck_assert_str_eq(a.env[1], "R=2");
	ck_assert_str_eq(a.cmd[0], "httpd");
	ck_assert_int_eq(build(&b, "web",
			       "status=enabled|Image=busybox|TCPPort=80|"
			       "Env=Q=it's: {x} #y,R=2|MountPath=/www|"
			       "Cmd=httpd -f",
			       NULL, &err),
			 0);
	dockspec_hash(&a, h1);
	dockspec_hash(&b, h2);
	ck_assert_str_eq(h1, h2);
	ck_assert_uint_eq(strlen(h1), 64);
	/* status, priority and web settings are not part of the container */
	ck_assert_int_eq(build(&d, "web",
			       "status=disabled|Image=busybox|TCPPort=80|"
			       "Env=Q=it's: {x} #y,R=2|MountPath=/www|"
			       "Cmd=httpd -f|WebAlias=w|InterLinkPriority=3",
			       NULL, &err),
			 0);
	dockspec_hash(&d, h3);
	ck_assert_str_eq(h1, h3);
	dockspec_release(&d);
	ck_assert_int_eq(build(&d, "web",
			       "status=enabled|Image=busybox|TCPPort=80|"
			       "Env=Q=it's: {x} #y,R=2|MountPath=/www|"
			       "Cmd=httpd -f|MaxMemory=64M",
			       NULL, &err),
			 0);
	dockspec_hash(&d, h3);
	ck_assert_str_ne(h1, h3);
	dockspec_release(&a);
	dockspec_release(&b);
	dockspec_release(&d);
	dockspec_props_release(&r);
	dockspec_props_release(&img);
	strbuf_release(&y);
	strbuf_release(&err);
}
END_TEST

/* A value trying to add a YAML key stays one string (the line break
   folds to a space inside the quotes; docker-validate refuses it before). */
START_TEST(test_dockspec_yaml_no_injection)
{
	struct dockspec_props r = { 0 };
	struct strbuf y = STRBUF_INIT, err = STRBUF_INIT;
	struct dockspec a;

	props(&r, "status=enabled|Image=busybox|"
		  "Env=A=x'\n  MaxMemory: '1G\nB: \"c");
	dockspec_props_to_yaml("web", &r, NULL, &y);
	ck_assert_int_eq(
		dockspec_parse_yaml(&a, "web.yml", y.buf, y.len, &cfg, &err),
		0);
	ck_assert_int_eq(a.memory, 0);
	ck_assert_uint_eq(a.nenv, 1);
	ck_assert_str_eq(a.env[0], "A=x' MaxMemory: '1G B: \"c");
	dockspec_release(&a);
	dockspec_props_release(&r);
	strbuf_release(&y);
	strbuf_release(&err);
}
END_TEST

static const struct {
	const char *yaml, *msg;
} bad_yaml[] = {
	{ "name: 'a'\nrecord: [1]\n", "t.yml:2: expected a mapping" },
	{ "name: 'a'\nrecord:\n  a: [1]\n",
	  "t.yml:3: expected a string value" },
	{ "name: 'a'\nother: 1\n", "t.yml:2: unknown or repeated key" },
	{ "record:\n  status: 'enabled'\n", "missing name" },
	{ "name: 'a\n", "t.yml:" },
	{ "- 1\n", "t.yml:1: expected a mapping with name" },
};

START_TEST(test_dockspec_yaml_errors)
{
	struct strbuf err = STRBUF_INIT;
	struct dockspec a;

	ck_assert_int_ge(dockspec_parse_yaml(&a, "t.yml", bad_yaml[_i].yaml,
					     strlen(bad_yaml[_i].yaml), &cfg,
					     &err),
			 1);
	if (!strstr(err.buf, bad_yaml[_i].msg))
		ck_abort_msg("case %d: want '%s' in '%s'", _i, bad_yaml[_i].msg,
			     err.buf);
	strbuf_release(&err);
}
END_TEST

START_TEST(test_dockspec_sha256_vectors)
{
	char hex[65];
	char *million = xmalloc(1000000);

	dockspec_sha256_hex("", 0, hex);
	ck_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb924"
			      "27ae41e4649b934ca495991b7852b855");
	dockspec_sha256_hex("abc", 3, hex);
	ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223"
			      "b00361a396177a9cb410ff61f20015ad");
	dockspec_sha256_hex(
		"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
		hex);
	ck_assert_str_eq(hex, "248d6a61d20638b8e5c026930c3e6039"
			      "a33ce45964ff2167f6ecedd419db06c1");
	memset(million, 'a', 1000000);
	dockspec_sha256_hex(million, 1000000, hex);
	ck_assert_str_eq(hex, "cdc76e5c9914fb9281a1c7e284d73e67"
			      "f1809a48a497200e046d39ccc7112cd0");
	free(million);
}
END_TEST

static Suite *
dockspec_suite(void)
{
	Suite *s = suite_create("dockspec");
	TCase *tc = tcase_create("spec");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_dockspec_bad_values, 0,
			    (int)(sizeof(bad_cases) / sizeof(bad_cases[0])));
	tcase_add_test(tc, test_dockspec_all_problems_at_once);
	tcase_add_test(tc, test_dockspec_full_record);
	tcase_add_test(tc, test_dockspec_defaults_private_native_volume);
	tcase_add_test(tc, test_dockspec_outside_allowed);
	tcase_add_test(tc, test_dockspec_set_problems);
	tcase_add_test(tc, test_dockspec_images_and_order);
	tcase_add_test(tc, test_dockspec_yaml_roundtrip_and_hash);
	tcase_add_test(tc, test_dockspec_yaml_no_injection);
	tcase_add_loop_test(tc, test_dockspec_yaml_errors, 0,
			    (int)(sizeof(bad_yaml) / sizeof(bad_yaml[0])));
	tcase_add_test(tc, test_dockspec_sha256_vectors);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(dockspec_suite());
	int failed;

	esmith_set_warn_hook(NULL, NULL);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
