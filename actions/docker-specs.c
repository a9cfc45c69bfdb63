/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * docker-specs [--root DIR] [EVENT [ARGS...]]
 *
 * Write one run spec per docker_containers record:
 * DOCKSPEC_DIR/<name>.yml, expanded from the template DOCKSPEC_TEMPLATE
 * (so templates-custom can override any fragment) with MORE_DATA
 * CONTAINER => <name>. Run specs of records that are gone are removed.
 * The records are validated first; on any problem nothing is written.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dockspec.h"
#include "expand.h"
#include "util.h"
#include "banned.h"

static int
expand_one(const char *name, struct strbuf *log, struct strbuf *err)
{
	struct strbuf out = STRBUF_INIT;
	const char *more[] = { "CONTAINER", name, NULL };
	struct expand_opts o = { 0 };
	int r;

	strbuf_addf(&out, "%s/%s.yml", DOCKSPEC_DIR, name);
	o.target = DOCKSPEC_TEMPLATE;
	o.output_filename = out.buf;
	o.more_data = more;
	r = expand_template(&o, err);
	if (r > 0)
		strbuf_addf(log, "wrote %s\n", out.buf);
	strbuf_release(&out);
	return r < 0 ? -1 : 0;
}

static int
is_record(const struct dockspec *specs, size_t n, const char *file)
{
	size_t i, len = strlen(file);

	if (len < 5 || strcmp(file + len - 4, ".yml"))
		return 1; /* not ours to remove */
	for (i = 0; i < n; i++)
		if (strlen(specs[i].name) == len - 4 &&
		    !strncmp(specs[i].name, file, len - 4))
			return 1;
	return 0;
}

static int
remove_stale(const char *dir, const struct dockspec *specs, size_t n,
	     struct strbuf *log, struct strbuf *err)
{
	struct strbuf p = STRBUF_INIT;
	DIR *d = opendir(dir);
	struct dirent *de;
	int ret = 0;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || is_record(specs, n, de->d_name))
			continue;
		strbuf_reset(&p);
		strbuf_addf(&p, "%s/%s", dir, de->d_name);
		if (unlink(p.buf) < 0) {
			strbuf_addf(err, "cannot remove %s: %s\n", p.buf,
				    strerror(errno));
			ret = -1;
		} else {
			strbuf_addf(log, "removed %s\n", p.buf);
		}
	}
	closedir(d);
	strbuf_release(&p);
	return ret;
}

int
main(int argc, char **argv)
{
	struct strbuf err = STRBUF_INIT, log = STRBUF_INIT;
	struct dockspec_config cfg;
	struct dockspec *specs = NULL;
	size_t n = 0, i;
	char *dir = NULL;
	int ret = 1, problems, r;

	esmith_set_progname(argv[0]);
	dockspec_config_init(&cfg);
	if (esmith_parse_root_option(&argc, &argv, &err) < 0)
		goto out;
	problems = dockspec_load_all(&cfg, &specs, &n, &err);
	if (problems) {
		strbuf_addf(&err, "%d problem%s, no run spec written", problems,
			    problems == 1 ? "" : "s");
		goto out;
	}
	dir = esmith_path(DOCKSPEC_DIR);
	r = mkdir_p(dir, 0755);
	if (r < 0) {
		strbuf_addf(&err, "cannot create %s: %s", dir, strerror(-r));
		goto out;
	}
	ret = 0;
	for (i = 0; i < n; i++)
		if (expand_one(specs[i].name, &log, &err) < 0)
			ret = 1;
	if (remove_stale(dir, specs, n, &log, &err) < 0)
		ret = 1;
out:
	fputs(log.buf, stdout);
	if (ret)
		fprintf(stderr, "%s: %s%s", esmith_progname(), err.buf,
			err.len && err.buf[err.len - 1] == '\n' ? "" : "\n");
	free(dir);
	dockspec_free_all(specs, n);
	dockspec_config_release(&cfg);
	strbuf_release(&err);
	strbuf_release(&log);
	return ret;
}
