/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * docker-specgen [--root DIR]
 *
 * Test helper: write the run spec of every docker_containers record with
 * dockspec_props_to_yaml(), the C twin of the container.yml template. The
 * engine tests use it where docker-specs (which needs the template
 * engine) is not built; test-docker-specs compares the two.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "dockspec.h"
#include "util.h"

static void
props_of(const struct db_record *rec, struct dockspec_props *p)
{
	size_t i;

	for (i = 0; rec && i < db_record_nprops(rec); i++)
		dockspec_props_set(p, db_record_prop_name(rec, i),
				   db_record_prop_value(rec, i));
}

int
main(int argc, char **argv)
{
	struct strbuf err = STRBUF_INIT, y = STRBUF_INIT, path = STRBUF_INIT;
	struct db *c = NULL, *im = NULL;
	char *dir = NULL;
	size_t i;
	int ret = 1;

	esmith_set_progname(argv[0]);
	if (esmith_parse_root_option(&argc, &argv, &err) < 0)
		goto out;
	c = db_open("docker_containers", &err);
	im = c ? db_open("docker_images", &err) : NULL;
	if (!im)
		goto out;
	dir = esmith_path(DOCKSPEC_DIR);
	mkdir_p(dir, 0755);
	for (i = 0; i < db_count(c); i++) {
		const struct db_record *r = db_record_at(c, i);
		struct dockspec_props rp = { 0 }, ip = { 0 };
		int found;

		props_of(r, &rp);
		found = dockspec_image_props(im, r, &ip);
		strbuf_reset(&y);
		dockspec_props_to_yaml(db_record_key(r), &rp,
				       found ? &ip : NULL, &y);
		strbuf_reset(&path);
		strbuf_addf(&path, "%s/%s.yml", dir, db_record_key(r));
		dockspec_props_release(&rp);
		dockspec_props_release(&ip);
		if (write_file_atomic(path.buf, y.buf, y.len, 0644, &err) < 0)
			goto out;
	}
	ret = 0;
out:
	if (ret)
		fprintf(stderr, "docker-specgen: %s\n", err.buf);
	db_free(c);
	db_free(im);
	free(dir);
	strbuf_release(&err);
	strbuf_release(&y);
	strbuf_release(&path);
	return ret;
}
