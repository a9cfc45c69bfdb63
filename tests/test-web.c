/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "util.h"
#include "web.h"

static struct db *
parse(const char *name, const char *text)
{
	return db_parse(name, text, strlen(text));
}

struct name_case {
	const char *value;
	int ok;
};

static const struct name_case alias_cases[] = {
	{ "blog", 1 },
	{ "apps/blog", 0 },
	{ "my-app_2.0", 1 },
	{ "B", 1 },
	{ "", 0 },
	{ "/blog", 0 },
	{ "blog/", 0 },
	{ "a//b", 0 },
	{ "..", 0 },
	{ "a/../b", 0 },
	{ "a/.hidden", 0 },
	{ "blog two", 0 },
	{ "blog\"", 0 },
	{ "blog'", 0 },
	{ "blog\n", 0 },
	{ "blog\nProxyPass / http://evil/", 0 },
	{ "blog>", 0 },
	{ "<blog", 0 },
	{ "blog%20", 0 },
	{ "blog\\", 0 },
	{ "blog$x", 0 },
	{ "blog#", 0 },
	{ "blog?x", 0 },
	{ "-blog", 0 },
	{ "server-manager", 0 },
	{ "icons", 0 },
	{ "iconsx", 1 },
	{ "\xc3\xa9t\xc3\xa9", 0 },
};

START_TEST(test_web_alias)
{
	const struct name_case *c = &alias_cases[_i];
	struct strbuf err = STRBUF_INIT;
	int ret = web_check_alias(c->value, &err);

	ck_assert_msg((ret == 0) == c->ok, "alias '%s': got %d (%s)", c->value,
		      ret, err.buf);
	ck_assert_int_eq(err.len == 0, c->ok);
	strbuf_release(&err);
}
END_TEST

START_TEST(test_web_alias_too_long)
{
	char buf[66];
	struct strbuf err = STRBUF_INIT;

	memset(buf, 'a', 64);
	buf[64] = '\0';
	ck_assert_int_eq(web_check_alias(buf, &err), 0);
	buf[64] = 'a';
	buf[65] = '\0';
	ck_assert_int_eq(web_check_alias(buf, &err), -1);
	strbuf_release(&err);
}
END_TEST

static const struct name_case label_cases[] = {
	{ "shop", 1 },	   { "shop-2", 1 },
	{ "1a", 1 },	   { "a", 1 },
	{ "", 0 },	   { "Shop", 0 },
	{ "shoP", 0 },	   { "-shop", 0 },
	{ "shop-", 0 },	   { "shop.example", 0 },
	{ "shop two", 0 }, { "shop\n", 0 },
	{ "shop\"", 0 },   { "sh_op", 0 },
	{ "www", 0 },	   { "*", 0 },
	{ "..", 0 },	   { "a/b", 0 },
};

START_TEST(test_web_label)
{
	const struct name_case *c = &label_cases[_i];
	struct strbuf err = STRBUF_INIT;
	int ret = web_check_label(c->value, &err);

	ck_assert_msg((ret == 0) == c->ok, "label '%s': got %d (%s)", c->value,
		      ret, err.buf);
	strbuf_release(&err);
}
END_TEST

START_TEST(test_web_label_length)
{
	char buf[65];
	struct strbuf err = STRBUF_INIT;

	memset(buf, 'a', 63);
	buf[63] = '\0';
	ck_assert_int_eq(web_check_label(buf, &err), 0);
	buf[63] = 'a';
	buf[64] = '\0';
	ck_assert_int_eq(web_check_label(buf, &err), -1);
	strbuf_release(&err);
}
END_TEST

static const struct name_case cron_cases[] = {
	{ "30 7 * * 1-5", 1 },
	{ "0 0 1 1 *", 1 },
	{ "*/15 * * * *", 1 },
	{ "0-59/5 0,12 1-31 1-12 0-7", 1 },
	{ "0 8 * jan mon", 1 },
	{ "0 8 * JAN Sun", 1 },
	{ "  0\t8 * * *  ", 1 },
	{ "59 23 31 12 7", 1 },
	{ "@daily", 1 },
	{ "@reboot", 1 },
	{ "@every", 0 },
	{ "@daily ", 0 },
	{ "", 0 },
	{ "* * * *", 0 },
	{ "* * * * * *", 0 },
	{ "* * * * * root /bin/sh", 0 },
	{ "60 * * * *", 0 },
	{ "* 24 * * *", 0 },
	{ "* * 0 * *", 0 },
	{ "* * 32 * *", 0 },
	{ "* * * 13 *", 0 },
	{ "* * * 0 *", 0 },
	{ "* * * * 8", 0 },
	{ "5-1 * * * *", 0 },
	{ "*/0 * * * *", 0 },
	{ "1, * * * *", 0 },
	{ ",1 * * * *", 0 },
	{ "1-2-3 * * * *", 0 },
	{ "100 * * * *", 0 },
	{ "-1 * * * *", 0 },
	{ "* * * jan-mar *", 0 },
	{ "* * * * monday", 0 },
	{ "* * * * % ", 0 },
	{ "0 0 * * *\n* * * * * root sh", 0 },
	{ "mon * * * *", 0 },
	{ "* * * * */8", 0 },
};

START_TEST(test_web_cron)
{
	const struct name_case *c = &cron_cases[_i];
	struct strbuf err = STRBUF_INIT;
	int ret = web_check_cron(c->value, &err);

	ck_assert_msg((ret == 0) == c->ok, "cron '%s': got %d (%s)", c->value,
		      ret, err.buf);
	strbuf_release(&err);
}
END_TEST

static const struct name_case cname_cases[] = {
	{ "wordpress", 1 }, { "my_app.2-x", 1 }, { "", 0 },	{ "-x", 0 },
	{ "a b", 0 },	    { "a;b", 0 },	 { "a\nb", 0 }, { "a%b", 0 },
	{ "a/b", 0 },	    { "$(x)", 0 },	 { "_a", 0 },
};

START_TEST(test_web_container_name)
{
	const struct name_case *c = &cname_cases[_i];
	struct strbuf err = STRBUF_INIT;

	ck_assert_int_eq(web_check_name(c->value, &err) == 0, c->ok);
	strbuf_release(&err);
}
END_TEST

struct port_case {
	const char *record;
	long port; /* -1: error */
	const char *err;
};

static const struct port_case port_cases[] = {
	{ "a=service|status|enabled|TCPPort|8080", 8080, "" },
	{ "a=service|status|enabled|TCPPort|8080,8443", 8080, "" },
	{ "a=service|status|enabled|TCPPort| 81 ,82", 81, "" },
	{ "a=service|status|enabled|TCPPort|8080,8443|WebPort|8443", 8443, "" },
	{ "a=service|status|enabled|TCPPort|80|PortMapping|custom|"
	  "PortMappingPorts|9443:443,9080:80",
	  9080, "" },
	{ "a=service|status|enabled|TCPPort|80,443|WebPort|443|PortMapping|"
	  "custom|PortMappingPorts|9080:80,9443:443",
	  9443, "" },
	{ "a=service|status|enabled|TCPPort|80|PortMapping|native|"
	  "PortMappingPorts|9080:80",
	  80, "" },
	{ "a=service|status|enabled|TCPPort|80|network|host|PortMapping|custom|"
	  "PortMappingPorts|9080:80",
	  80, "" },
	{ "a=service|status|enabled", -1, "needs a web port" },
	{ "a=service|status|enabled|TCPPort|http", -1, "TCPPort 'http'" },
	{ "a=service|status|enabled|TCPPort|70000", -1, "TCPPort '70000'" },
	{ "a=service|status|enabled|TCPPort|0", -1, "TCPPort '0'" },
	{ "a=service|status|enabled|WebPort|x1", -1, "WebPort 'x1'" },
	{ "a=service|status|enabled|TCPPort|80|PortMapping|custom|"
	  "PortMappingPorts|9443:443",
	  -1, "no host:container pair publishes web port 80" },
	{ "a=service|status|enabled|TCPPort|80|PortMapping|custom|"
	  "PortMappingPorts|bad:80",
	  -1, "no host:container pair" },
};

START_TEST(test_web_host_port)
{
	const struct port_case *c = &port_cases[_i];
	struct db *db = parse("docker_containers", c->record);
	struct strbuf err = STRBUF_INIT;
	long port = web_host_port(db_get(db, "a"), &err);

	ck_assert_msg(port == c->port, "%s: got %ld (%s)", c->record, port,
		      err.buf);
	ck_assert_msg(strstr(err.buf, c->err), "%s: message '%s'", c->record,
		      err.buf);
	ck_assert_int_eq(err.len == 0, c->port > 0);
	strbuf_release(&err);
	db_free(db);
}
END_TEST

struct validate_case {
	const char *containers;
	const char *config;
	const char *problems; /* exact text, "" when valid */
};

static const struct validate_case validate_cases[] = {
	{ "blog=service|status|enabled|TCPPort|80|WebAlias|blog\n"
	  "shop=service|status|enabled|TCPPort|80|SubDomain|enabled|"
	  "SubDomainName|shop\n",
	  "DomainName=example.com\n", "" },
	/* duplicates among enabled containers, reported on the later one */
	{ "a=service|status|enabled|TCPPort|80|WebAlias|blog\n"
	  "b=service|status|enabled|TCPPort|81|WebAlias|blog\n"
	  "c=service|status|enabled|TCPPort|82|SubDomain|enabled|"
	  "SubDomainName|shop\n"
	  "d=service|status|enabled|TCPPort|83|SubDomain|enabled|"
	  "SubDomainName|shop\n",
	  "DomainName=example.com\n",
	  "docker_containers: b: WebAlias 'blog': already used by a\n"
	  "docker_containers: d: SubDomainName 'shop': already used by c\n" },
	/* a disabled container claims nothing */
	{ "a=service|status|enabled|TCPPort|80|WebAlias|blog\n"
	  "b=service|status|disabled|TCPPort|81|WebAlias|blog\n",
	  "", "" },
	/* SubDomain enabled needs SubDomainName */
	{ "shop=service|status|enabled|TCPPort|80|SubDomain|enabled\n"
	  "x=service|status|enabled|TCPPort|81|SubDomain|enabled|"
	  "SubDomainName|shop\n",
	  "DomainName=example.com\n",
	  "docker_containers: shop: SubDomainName: missing while SubDomain is "
	  "enabled\n" },
	/* a disabled one may lack it */
	{ "shop=service|status|disabled|TCPPort|80|SubDomain|enabled\n",
	  "DomainName=example.com\n", "" },
	/* schedules need a name that is safe on a cron line */
	{ "My App=service|status|disabled|StartSchedule|@daily\n", "",
	  "docker_containers: My App: expected a container name of letters, "
	  "digits, '_', '.', '-' starting with a letter or digit to be "
	  "scheduled\n" },
	/* every problem of a record, hostile values shown escaped */
	{ "a=service|status|enabled|WebAlias|x\\ny|SubDomain|on|access|all|"
	  "StartSchedule|* * *\n",
	  "",
	  "docker_containers: a: WebAlias 'x\\ny': expected a name like blog: "
	  "letters, digits, '.', '_', '-', starting with a letter or digit, at "
	  "most 64 characters\n"
	  "docker_containers: a: StartSchedule '* * *': too few fields: "
	  "expected five cron fields like '30 7 * * 1-5' (minute hour day "
	  "month weekday: *, N, N-M, lists, /step, month and day names) or "
	  "@daily, @reboot ...\n"
	  "docker_containers: a: SubDomain 'on': expected enabled or "
	  "disabled\n"
	  "docker_containers: a: WebAlias or SubDomain needs a web port: set "
	  "WebPort or TCPPort\n" },
	{ "a=service|status|enabled|TCPPort|80|SubDomain|enabled|"
	  "SubDomainName|a\n",
	  "",
	  "configuration: DomainName '': a subdomain is enabled, expected a "
	  "domain name like example.com\n" },
	{ "a=service|status|enabled|TCPPort|80|SubDomain|enabled|"
	  "SubDomainName|a\n",
	  "DomainName=ex ample.com\n",
	  "configuration: DomainName 'ex ample.com': a subdomain is enabled, "
	  "expected a domain name like example.com\n" },
	{ "a=service|status|enabled|StopSchedule|0 18 * * 5|StartSchedule|"
	  "0 8 * * 1\n",
	  "", "" },
	/* records of other types are not containers */
	{ "a=image|WebAlias|a b\n", "", "" },
};

static int
count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

START_TEST(test_web_validate)
{
	const struct validate_case *c = &validate_cases[_i];
	struct db *containers = parse("docker_containers", c->containers);
	struct db *config = parse("configuration", c->config);
	struct strbuf problems = STRBUF_INIT;
	int ret = web_validate(containers, config, &problems);

	ck_assert_str_eq(problems.buf, c->problems);
	ck_assert_int_eq(ret, count_lines(c->problems));
	strbuf_release(&problems);
	db_free(config);
	db_free(containers);
}
END_TEST

START_TEST(test_web_sync_hosts)
{
	struct db *containers = parse(
		"docker_containers",
		"shop=service|status|enabled|TCPPort|80|SubDomain|enabled|"
		"SubDomainName|shop\n"
		"wiki=service|status|enabled|TCPPort|81|SubDomain|enabled|"
		"SubDomainName|docs\n"
		"off=service|status|disabled|TCPPort|82|SubDomain|enabled\n"
		"nosub=service|status|enabled|TCPPort|83|SubDomain|disabled\n");
	struct db *config = parse("configuration", "DomainName=Example.COM\n");
	struct db *hosts = parse(
		"hosts", "www.example.com=host|HostType|Self\n"
			 "old.example.com=host|DockerContainer|gone|HostType|"
			 "Self\n"
			 "nosub.example.com=host|DockerContainer|nosub\n"
			 "docs.example.com=host|DockerContainer|wiki|"
			 "HostType|Self|InternalIP|10.0.0.5\n");
	struct strbuf problems = STRBUF_INIT, out = STRBUF_INIT;

	ck_assert_int_eq(web_sync_hosts(containers, config, hosts, &problems),
			 3);
	ck_assert_str_eq(problems.buf, "");
	db_serialize(hosts, &out, 0);
	ck_assert_str_eq(out.buf,
			 "docs.example.com=host|DockerContainer|wiki|HostType|"
			 "Self|InternalIP|10.0.0.5\n"
			 "shop.example.com=host|DockerContainer|shop|"
			 "ExternalIP||HostType|Self|InternalIP|\n"
			 "www.example.com=host|HostType|Self\n");
	/* a second run changes nothing */
	ck_assert_int_eq(web_sync_hosts(containers, config, hosts, &problems),
			 0);
	strbuf_release(&out);
	strbuf_release(&problems);
	db_free(hosts);
	db_free(config);
	db_free(containers);
}
END_TEST

START_TEST(test_web_sync_hosts_foreign)
{
	struct db *containers = parse(
		"docker_containers",
		"mail=service|status|enabled|TCPPort|80|SubDomain|enabled|"
		"SubDomainName|mail\n"
		"shop=service|status|enabled|TCPPort|81|SubDomain|enabled|"
		"SubDomainName|shop\n");
	struct db *config = parse("configuration", "DomainName=example.com\n");
	const char *before = "mail.example.com=host|HostType|Remote|"
			     "InternalIP|10.0.0.9\n"
			     "stale.example.com=host|DockerContainer|x\n";
	struct db *hosts = parse("hosts", before);
	struct strbuf problems = STRBUF_INIT, out = STRBUF_INIT;

	ck_assert_int_eq(web_sync_hosts(containers, config, hosts, &problems),
			 -1);
	ck_assert_str_eq(problems.buf,
			 "docker_containers: mail: SubDomainName 'mail': "
			 "hosts record mail.example.com exists and was not "
			 "made for a container; it is left alone\n");
	db_serialize(hosts, &out, 0);
	ck_assert_str_eq(out.buf, before);
	strbuf_release(&out);
	strbuf_release(&problems);
	db_free(hosts);
	db_free(config);
	db_free(containers);
}
END_TEST

START_TEST(test_web_sync_hosts_invalid)
{
	struct db *containers = parse("docker_containers",
				      "a=service|status|enabled|TCPPort|80|"
				      "SubDomain|enabled|SubDomainName|A b\n");
	struct db *config = parse("configuration", "DomainName=example.com\n");
	const char *before = "x.example.com=host|DockerContainer|x\n";
	struct db *hosts = parse("hosts", before);
	struct strbuf problems = STRBUF_INIT, out = STRBUF_INIT;

	ck_assert_int_eq(web_sync_hosts(containers, config, hosts, &problems),
			 -1);
	ck_assert_ptr_nonnull(strstr(problems.buf, "SubDomainName 'A b'"));
	db_serialize(hosts, &out, 0);
	ck_assert_str_eq(out.buf, before);
	strbuf_release(&out);
	strbuf_release(&problems);
	db_free(hosts);
	db_free(config);
	db_free(containers);
}
END_TEST

static void
write_db(const char *name, const char *text)
{
	struct strbuf path = STRBUF_INIT, err = STRBUF_INIT;

	esmith_path_buf(&path, "/home/e-smith/db/");
	ck_assert_int_eq(mkdir_p(path.buf, 0755), 0);
	strbuf_addstr(&path, name);
	ck_assert_int_eq(
		write_file_atomic(path.buf, text, strlen(text), 0644, &err), 0);
	strbuf_release(&path);
	strbuf_release(&err);
}

static void
remove_tree(const char *dir)
{
	static const char *const files[] = {
		"/home/e-smith/db/docker_containers",
		"/home/e-smith/db/configuration",
		"/home/e-smith/db",
		"/home/e-smith",
		"/home",
		NULL,
	};
	struct strbuf p = STRBUF_INIT;

	for (size_t i = 0; files[i]; i++) {
		strbuf_reset(&p);
		strbuf_addf(&p, "%s%s", dir, files[i]);
		remove(p.buf);
	}
	remove(dir);
	strbuf_release(&p);
}

/* docker-validate's call: what the spec model reports is left out, what
   is stricter here is reported. */
START_TEST(test_web_validate_all)
{
	char dir[] = "/tmp/test-web-XXXXXX";
	struct strbuf problems = STRBUF_INIT;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	esmith_set_root(dir);
	write_db("configuration", "DomainName=example.com\n");
	write_db("docker_containers",
		 "a=service|status|enabled|TCPPort|80|WebAlias|a b|"
		 "SubDomain|on\n"
		 "b=service|status|enabled|TCPPort|81|WebAlias|icons|"
		 "SubDomain|enabled|SubDomainName|Shop\n"
		 "c=service|status|enabled|TCPPort|82|SubDomain|enabled|"
		 "SubDomainName|bad.name\n"
		 "d=service|status|enabled|TCPPort|83|SubDomain|enabled\n"
		 "e=service|status|disabled|StopSchedule|0 25 * * *\n");
	ck_assert_int_eq(web_validate_all(&problems), 3);
	ck_assert_str_eq(
		problems.buf,
		"docker_containers: b: WebAlias 'icons': /icons/ is used by "
		"the server itself\n"
		"docker_containers: b: SubDomainName 'Shop': expected "
		"lowercase (the hosts database and Apache compare names as "
		"given)\n"
		"docker_containers: e: StopSchedule '0 25 * * *': bad hour "
		"'25': expected five cron fields like '30 7 * * 1-5' (minute "
		"hour day month weekday: *, N, N-M, lists, /step, month and "
		"day names) or @daily, @reboot ...\n");
	strbuf_release(&problems);
	esmith_set_root("");
	remove_tree(dir);
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *
web_suite(void)
{
	Suite *s = suite_create("web");
	TCase *names = tcase_create("names");
	TCase *records = tcase_create("records");

	tcase_add_loop_test(names, test_web_alias, 0, N(alias_cases));
	tcase_add_test(names, test_web_alias_too_long);
	tcase_add_loop_test(names, test_web_label, 0, N(label_cases));
	tcase_add_test(names, test_web_label_length);
	tcase_add_loop_test(names, test_web_cron, 0, N(cron_cases));
	tcase_add_loop_test(names, test_web_container_name, 0, N(cname_cases));
	tcase_add_loop_test(records, test_web_host_port, 0, N(port_cases));
	tcase_add_loop_test(records, test_web_validate, 0, N(validate_cases));
	tcase_add_test(records, test_web_sync_hosts);
	tcase_add_test(records, test_web_sync_hosts_foreign);
	tcase_add_test(records, test_web_sync_hosts_invalid);
	tcase_add_test(records, test_web_validate_all);
	suite_add_tcase(s, names);
	suite_add_tcase(s, records);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(web_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
