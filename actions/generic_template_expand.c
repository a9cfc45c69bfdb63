/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * generic_template_expand EVENT [args...]: expand every target named by a
 * marker below /etc/e-smith/events/EVENT/templates2expand/ (the marker's
 * path names the target), with MORE_DATA EVENT => EVENT. Each changed
 * target is recorded for adjust-services (ESMITH_EVENT_CHANGES). Unlike
 * the original, a template that fails to expand fails the action.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "event.h"
#include "expand.h"
#include "util.h"
#include "banned.h"

/*
 * The target's directory, below the root, made when missing: a sandbox
 * root has no package to provide /etc/sysconfig and the like.
 */
static int
make_parent(const char *target)
{
	char *path = esmith_path(target);
	char *slash = strrchr(path, '/');
	struct stat st;
	int ret = 0;

	*slash = '\0';
	if (*path && stat(path, &st) < 0 && errno == ENOENT) {
		ret = mkdir_p(path, 0755);
		if (ret < 0)
			fprintf(stderr,
				"generic_template_expand: %s: cannot create "
				"the directory %s: %s\n",
				target, path, strerror(-ret));
	}
	free(path);
	return ret;
}

static int
expand_one(const char *event, const char *target)
{
	const char *more[] = { "EVENT", event, NULL };
	struct expand_opts o = { 0 };
	struct strbuf err = STRBUF_INIT;
	int ret;

	o.target = target;
	o.more_data = more;
	if (make_parent(target) < 0)
		return -1;
	ret = expand_template(&o, &err);
	if (ret < 0) {
		strbuf_chomp(&err);
		/* The messages name the target themselves when they can. */
		if (!strstr(err.buf, target))
			fprintf(stderr, "generic_template_expand: %s: %s\n",
				target, err.buf);
		else
			fprintf(stderr, "generic_template_expand: %s\n",
				err.buf);
	} else if (ret > 0) {
		printf("generic_template_expand: %s: updated\n", target);
		strbuf_reset(&err);
		if (event_changes_record(target, &err) < 0) {
			fprintf(stderr, "generic_template_expand: %s\n",
				err.buf);
			ret = -1;
		}
	}
	strbuf_release(&err);
	return ret < 0 ? -1 : 0;
}

int
main(int argc, char **argv)
{
	struct strbuf err = STRBUF_INIT;
	char **targets = NULL;
	size_t n = 0, i;
	int failed = 0;

	esmith_set_progname("generic_template_expand");
	if (esmith_parse_root_option(&argc, &argv, &err) < 0 || argc < 2) {
		fprintf(stderr,
			"%s%susage: generic_template_expand [--root "
			"DIR] event [args...]\n",
			err.buf, err.len ? "\n" : "");
		strbuf_release(&err);
		return 2;
	}
	if (event_templates_list(argv[1], &targets, &n, &err) < 0) {
		fprintf(stderr, "generic_template_expand: %s\n", err.buf);
		strbuf_release(&err);
		return 1;
	}
	for (i = 0; i < n; i++)
		if (expand_one(argv[1], targets[i]) < 0)
			failed = 1;
	fflush(stdout);
	event_strings_free(targets, n);
	strbuf_release(&err);
	return failed;
}
