/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "dockspec.h"
#include "engine.h"
#include "reconcile.h"
#include "util.h"

/*
 * Desired: db (enabled), web (enabled, links db), old (disabled).
 * Actual states are written as "name:running|stopped:hash-ok|hash-bad
 * [:image-bad]" items separated by spaces.
 */
static const char records[] =
	"db=service|status|enabled|Image|img:1|StopTimeout|3\n"
	"web=service|status|enabled|Image|img:1|Interlinked|db|"
	"TCPPort|80\n"
	"old=service|status|disabled|Image|img:1|InterLinkPriority|1\n";

struct fixture {
	struct dockspec_config cfg;
	struct dockspec *specs;
	size_t n, order[3];
	struct reconcile_desired d[3];
	struct reconcile_actual *a;
	size_t na;
};

static void
fixture_init(struct fixture *f)
{
	struct db *c = db_parse("docker_containers", records, strlen(records));
	struct strbuf err = STRBUF_INIT;
	size_t i;

	f->a = NULL;
	f->na = 0;
	dockspec_config_init(&f->cfg);
	ck_assert_int_eq(
		dockspec_load_db(c, NULL, &f->cfg, &f->specs, &f->n, &err), 0);
	ck_assert_int_eq(dockspec_start_order(f->specs, f->n, f->order), 0);
	for (i = 0; i < f->n; i++) {
		f->d[i].spec = &f->specs[f->order[i]];
		ck_assert_int_eq(
			reconcile_spec_hash(f->d[i].spec, f->d[i].hash, &err),
			0);
		f->d[i].image_id = xstrdup("sha256:new");
	}
	db_free(c);
	strbuf_release(&err);
}

static void
actual_parse(struct fixture *f, const char *text)
{
	char *s = xstrdup(text), *item, *save = NULL;

	f->a = NULL;
	f->na = 0;
	for (item = strtok_r(s, " ", &save); item;
	     item = strtok_r(NULL, " ", &save)) {
		char *name = item, *st = strchr(name, ':'), *h, *im;
		struct reconcile_actual *a;
		size_t i;

		*st++ = '\0';
		h = strchr(st, ':');
		*h++ = '\0';
		im = strchr(h, ':');
		if (im)
			*im++ = '\0';
		f->a = xrealloc(f->a, (f->na + 1) * sizeof(*f->a));
		a = &f->a[f->na++];
		memset(a, 0, sizeof(*a));
		a->name = xstrdup(name);
		a->id = xstrdup(name);
		a->record = xstrdup(name);
		a->running = !strcmp(st, "running");
		a->hash = xstrdup("stale");
		a->image_id = xstrdup(im ? "sha256:old" : "sha256:new");
		for (i = 0; i < f->n; i++)
			if (!strcmp(f->d[i].spec->name, name) &&
			    !strcmp(h, "hash-ok")) {
				free(a->hash);
				a->hash = xstrdup(f->d[i].hash);
			}
	}
	free(s);
}

static void
fixture_release(struct fixture *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		free(f->d[i].image_id);
	reconcile_actual_release(f->a, f->na);
	dockspec_free_all(f->specs, f->n);
	dockspec_config_release(&f->cfg);
}

static const struct {
	const char *actual;
	enum reconcile_scope_kind kind;
	const char *name;
	const char *plan;
} cases[] = {
	/* nothing yet: create all, start the enabled ones; old first (its
	   priority), db before web (web links db) */
	{ "", RECONCILE_ALL, NULL,
	  "create old (missing)\n"
	  "create db (missing), then start\n"
	  "create web (missing), then start\n" },
	/* all in place: nothing at all */
	{ "db:running:hash-ok web:running:hash-ok old:stopped:hash-ok",
	  RECONCILE_ALL, NULL, "" },
	/* one changed spec, one changed image, one stopped, one disabled
	   still running, one orphan and a leftover temporary */
	{ "db:stopped:hash-ok web:running:hash-bad old:running:hash-ok "
	  "gone:running:hash-ok web.sme-new:stopped:hash-ok",
	  RECONCILE_ALL, NULL,
	  "remove gone (its record is gone)\n"
	  "remove web.sme-new (leftover temporary container)\n"
	  "stop old (disabled)\n"
	  "start db (not running)\n"
	  "recreate web (spec changed), then start\n" },
	{ "db:running:hash-ok:image web:running:hash-ok old:stopped:hash-ok",
	  RECONCILE_ALL, NULL,
	  "recreate db (image changed: sha256:old -> sha256:new), then "
	  "start\n" },
	/* docker-start web: web and what it links to, nothing else */
	{ "db:stopped:hash-ok web:stopped:hash-ok old:running:hash-ok "
	  "gone:running:hash-ok",
	  RECONCILE_START_ONE, "web",
	  "start db (not running)\n"
	  "start web (not running)\n" },
	/* docker-stop old: only old; orphans are left for docker-update */
	{ "db:stopped:hash-ok web:stopped:hash-ok old:running:hash-ok "
	  "gone:running:hash-ok",
	  RECONCILE_STOP_ONE, "old", "stop old (disabled)\n" },
};

START_TEST(test_reconcile_plan_cases)
{
	struct fixture f;
	struct reconcile_plan p;
	struct reconcile_scope scope = { cases[_i].kind, cases[_i].name };
	struct strbuf err = STRBUF_INIT, out = STRBUF_INIT;

	fixture_init(&f);
	actual_parse(&f, cases[_i].actual);
	ck_assert_int_eq(reconcile_plan(f.d, f.n, f.a, f.na, &scope, &p, &err),
			 0);
	reconcile_plan_print(&p, &out);
	ck_assert_str_eq(out.buf, cases[_i].plan);
	reconcile_plan_release(&p);
	fixture_release(&f);
	strbuf_release(&err);
	strbuf_release(&out);
}
END_TEST

START_TEST(test_reconcile_unknown_scope)
{
	struct fixture f;
	struct reconcile_plan p;
	struct reconcile_scope scope = { RECONCILE_START_ONE, "nosuch" };
	struct strbuf err = STRBUF_INIT;

	fixture_init(&f);
	actual_parse(&f, "");
	ck_assert_int_eq(reconcile_plan(f.d, f.n, f.a, f.na, &scope, &p, &err),
			 -1);
	ck_assert_str_eq(err.buf, "no container record 'nosuch'");
	fixture_release(&f);
	strbuf_release(&err);
}
END_TEST

/* The create body: what the engine gets, and what the hash covers. */
START_TEST(test_reconcile_engine_spec)
{
	struct fixture f;
	struct engine_container_spec es;
	struct strbuf json = STRBUF_INIT, err = STRBUF_INIT;
	const struct dockspec *web;

	fixture_init(&f);
	web = f.d[2].spec;
	ck_assert_str_eq(web->name, "web");
	reconcile_engine_spec(web, "h", &es);
	ck_assert_int_eq(engine_container_spec_json(&es, &json, &err), 0);
	ck_assert_ptr_nonnull(
		strstr(json.buf, "\"org.smeserver.docker.spec-hash\":\"h\""));
	ck_assert_ptr_nonnull(strstr(json.buf, "\"HostIp\":\"127.0.0.1\""));
	ck_assert_ptr_nonnull(strstr(json.buf, "\"unless-stopped\""));
	ck_assert_ptr_nonnull(strstr(json.buf, "\"smeserver\""));
	ck_assert_str_eq(es.aliases.items[0], "web");
	engine_container_spec_release(&es);
	strbuf_release(&json);
	fixture_release(&f);
	strbuf_release(&err);
}
END_TEST

/* Status, links, priority, web settings, stop timeout: not the container's
   configuration, so not in the hash; a limit is. */
START_TEST(test_reconcile_hash_covers_container_only)
{
	static const char *const same[] = {
		"status=disabled", "InterLinkPriority=9", "WebAlias=w",
		"StopTimeout=30",  "Interlinked=x",	  NULL
	};
	struct dockspec_config cfg;
	struct dockspec_props p = { 0 };
	struct strbuf err = STRBUF_INIT;
	struct dockspec base, o;
	char h0[65], h[65];
	size_t i;

	dockspec_config_init(&cfg);
	dockspec_props_set(&p, "status", "enabled");
	dockspec_props_set(&p, "Image", "img:1");
	ck_assert_int_eq(dockspec_build(&base, "t", "c", &p, NULL, &cfg, &err),
			 0);
	ck_assert_int_eq(reconcile_spec_hash(&base, h0, &err), 0);
	for (i = 0; same[i]; i++) {
		struct dockspec_props q = { 0 };
		char *kv = xstrdup(same[i]), *eq = strchr(kv, '=');

		*eq = '\0';
		dockspec_props_set(&q, "status", "enabled");
		dockspec_props_set(&q, "Image", "img:1");
		dockspec_props_set(&q, kv, eq + 1);
		ck_assert_int_eq(
			dockspec_build(&o, "t", "c", &q, NULL, &cfg, &err), 0);
		ck_assert_int_eq(reconcile_spec_hash(&o, h, &err), 0);
		ck_assert_msg(!strcmp(h, h0), "%s changed the hash", same[i]);
		dockspec_release(&o);
		dockspec_props_release(&q);
		free(kv);
	}
	dockspec_props_set(&p, "MaxMemory", "64M");
	ck_assert_int_eq(dockspec_build(&o, "t", "c", &p, NULL, &cfg, &err), 0);
	ck_assert_int_eq(reconcile_spec_hash(&o, h, &err), 0);
	ck_assert_str_ne(h, h0);
	dockspec_release(&o);
	dockspec_release(&base);
	dockspec_props_release(&p);
	dockspec_config_release(&cfg);
	strbuf_release(&err);
}
END_TEST

static Suite *
reconcile_suite(void)
{
	Suite *s = suite_create("reconcile");
	TCase *tc = tcase_create("plan");

	tcase_add_loop_test(tc, test_reconcile_plan_cases, 0,
			    (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, test_reconcile_unknown_scope);
	tcase_add_test(tc, test_reconcile_engine_spec);
	tcase_add_test(tc, test_reconcile_hash_covers_container_only);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(reconcile_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
