/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The SME base-image builder. See imagebuild.h.
 */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "db.h"
#include "engine.h"
#include "imagebuild.h"
#include "tarstream.h"
#include "util.h"
#include "banned.h"

/* ------------------------------------------------------------------------
 * Minimization steps: the paths the seed's mkimage script removed.
 */

struct step {
	enum imagebuild_step step;
	const char *name;
	const char *const *paths;
};

static const char *const locales_paths[] = {
	"usr/lib/locale",
	"usr/share/locale",
	"usr/lib/gconv",
	"usr/lib64/gconv",
	"usr/bin/localedef",
	"usr/sbin/build-locale-archive",
	NULL,
};
static const char *const docs_paths[] = { "usr/share/doc",
					  "usr/share/gnome/help", NULL };
static const char *const man_paths[] = { "usr/share/man", "usr/share/info",
					 NULL };
static const char *const cracklib_paths[] = { "usr/share/cracklib", NULL };
static const char *const i18n_paths[] = { "usr/share/i18n", NULL };
/* sbin/sln; on a merged /usr the same file is usr/sbin/sln. */
static const char *const sln_paths[] = { "sbin/sln", "usr/sbin/sln", NULL };
static const char *const ldconfig_paths[] = { "etc/ld.so.cache",
					      "var/cache/ldconfig/*", NULL };

static const struct step steps[] = {
	{ IMAGEBUILD_LOCALES, "locales", locales_paths },
	{ IMAGEBUILD_DOCS, "docs", docs_paths },
	{ IMAGEBUILD_MAN, "man", man_paths },
	{ IMAGEBUILD_CRACKLIB, "cracklib", cracklib_paths },
	{ IMAGEBUILD_I18N, "i18n", i18n_paths },
	{ IMAGEBUILD_SLN, "sln", sln_paths },
	{ IMAGEBUILD_LDCONFIG, "ldconfig", ldconfig_paths },
};
#define NR_STEPS (sizeof(steps) / sizeof(*steps))

const char *
imagebuild_step_name(enum imagebuild_step step)
{
	size_t i;

	for (i = 0; i < NR_STEPS; i++)
		if (steps[i].step == step)
			return steps[i].name;
	return "";
}

void
imagebuild_exclusions(unsigned mask, struct engine_strlist *out)
{
	size_t i;

	for (i = 0; i < NR_STEPS; i++)
		if (mask & steps[i].step)
			engine_strlist_add_argv(out, steps[i].paths);
}

static void
steps_applied(unsigned mask, struct strbuf *out)
{
	size_t i;

	for (i = 0; i < NR_STEPS; i++) {
		if (!(mask & steps[i].step))
			continue;
		if (out->len)
			strbuf_addch(out, ',');
		strbuf_addstr(out, steps[i].name);
	}
	if (!out->len)
		strbuf_addstr(out, "none");
}

/* ------------------------------------------------------------------------
 * Version detection.
 */

/* VERSION_ID=... from an os-release file (shell-style, maybe quoted). */
static char *
os_release_version(const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	char *line, *next, *ret = NULL;

	if (strbuf_read_file(&sb, path, 65536) < 0)
		goto out;
	for (line = sb.buf; line && *line; line = next) {
		char *v, *end;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (strncmp(line, "VERSION_ID=", 11))
			continue;
		v = line + 11;
		end = v + strlen(v);
		while (end > v && (end[-1] == ' ' || end[-1] == '\r'))
			end--;
		if (end - v >= 2 && (*v == '"' || *v == '\'') &&
		    end[-1] == *v) {
			v++;
			end--;
		}
		if (end > v)
			ret = xstrndup(v, (size_t)(end - v));
	}
out:
	strbuf_release(&sb);
	return ret;
}

/* The first run of digits and dots, as the seed's sed did. */
static char *
redhat_release_version(const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	char *ret = NULL;
	size_t i, n;

	if (strbuf_read_file(&sb, path, 65536) < 0)
		goto out;
	for (i = 0; i < sb.len && (sb.buf[i] < '0' || sb.buf[i] > '9'); i++)
		if (sb.buf[i] == '\n')
			goto out;
	n = strspn(sb.buf + i, "0123456789.");
	if (n)
		ret = xstrndup(sb.buf + i, n);
out:
	strbuf_release(&sb);
	return ret;
}

int
imagebuild_detect_version(const char *dir, char **version)
{
	static const char *const os_release[] = { "etc/os-release",
						  "usr/lib/os-release" };
	struct strbuf path = STRBUF_INIT;
	char *v = NULL;
	size_t i;

	for (i = 0; i < 2 && !v; i++) {
		strbuf_reset(&path);
		strbuf_addf(&path, "%s/%s", dir, os_release[i]);
		v = os_release_version(path.buf);
	}
	if (!v) {
		strbuf_reset(&path);
		strbuf_addf(&path, "%s/etc/redhat-release", dir);
		v = redhat_release_version(path.buf);
	}
	strbuf_release(&path);
	*version = v;
	return v ? 0 : 1;
}

/* ------------------------------------------------------------------------
 * Checks.
 */

void
imagebuild_result_release(struct imagebuild_result *r)
{
	free(r->reference);
	free(r->image_id);
	memset(r, 0, sizeof(*r));
}

/* NAME (without a tag) and the tag given in NAME:TAG or NULL. */
static void
split_name(const char *name, char **repo, char **tag)
{
	const char *slash = strrchr(name, '/');
	const char *colon = strrchr(slash ? slash : name, ':');

	*repo = xstrndup(name, colon ? (size_t)(colon - name) : strlen(name));
	*tag = colon ? xstrdup(colon + 1) : NULL;
}

static int
check_ports(const struct engine_strlist *ports, struct strbuf *err)
{
	struct strbuf tmp = STRBUF_INIT;
	size_t i;
	int ret = 0;

	for (i = 0; ports && i < ports->nr && !ret; i++) {
		if (engine_port_normalize(ports->items[i], &tmp) < 0) {
			strbuf_addf(err,
				    "exposed port '%s': expected N, N/tcp or "
				    "N/udp with N in 1-65535",
				    ports->items[i]);
			ret = -1;
		}
	}
	strbuf_release(&tmp);
	return ret;
}

int
imagebuild_check(const struct imagebuild_options *o, struct strbuf *err)
{
	struct strbuf ref = STRBUF_INIT;
	char *repo = NULL, *tag = NULL;
	struct stat st;
	int ret = -1;

	if (!o->name || !*o->name) {
		strbuf_addstr(err, "no image name given");
		goto out;
	}
	split_name(o->name, &repo, &tag);
	strbuf_addf(&ref, "%s:%s", repo,
		    o->tag ? o->tag
		    : tag  ? tag
			   : "latest");
	if (engine_reference_parse(ref.buf, NULL, NULL, err) < 0)
		goto out;
	if (db_check_key(repo, err) < 0)
		goto out;
	if (check_ports(o->ports, err) < 0)
		goto out;
	if (!o->build_command) {
		if (!o->source || !*o->source) {
			strbuf_addstr(err, "no source tree given");
			goto out;
		}
		if (stat(o->source, &st) < 0) {
			strbuf_addf(err, "source '%s': %s", o->source,
				    strerror(errno));
			goto out;
		}
		if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) {
			strbuf_addf(err,
				    "source '%s': neither a directory nor a "
				    "tarball",
				    o->source);
			goto out;
		}
	} else if (o->source && !stat(o->source, &st) && !S_ISDIR(st.st_mode)) {
		strbuf_addf(err,
			    "build directory '%s' exists and is not a "
			    "directory",
			    o->source);
		goto out;
	}
	ret = 0;
out:
	free(repo);
	free(tag);
	strbuf_release(&ref);
	return ret;
}

/* ------------------------------------------------------------------------
 * Preparing the tree.
 */

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		return rmdir(path) < 0 ? 0 : 0;
	unlink(path);
	return 0;
}

/* Remove a temporary directory of our own. */
static void
remove_tree(const char *dir)
{
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static char *
make_tmpdir(const struct imagebuild_options *o, struct strbuf *err)
{
	const char *base = o->tmpdir ? o->tmpdir : getenv("TMPDIR");
	struct strbuf sb = STRBUF_INIT;

	if (!base || !*base)
		base = "/var/tmp";
	strbuf_addf(&sb, "%s/docker-image-build.XXXXXX", base);
	if (!mkdtemp(sb.buf)) {
		strbuf_addf(err,
			    "cannot create a temporary directory in %s: %s",
			    base, strerror(errno));
		strbuf_release(&sb);
		return NULL;
	}
	chmod(sb.buf, 0755);
	return strbuf_detach(&sb, NULL);
}

/* Run argv (fork/exec, no shell); 0 when it exits 0. */
static int
run_argv(const char *const *argv, const char *rootfs, struct strbuf *err)
{
	pid_t pid;
	int status;

	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		strbuf_addf(err, "cannot fork: %s", strerror(errno));
		return -1;
	}
	if (!pid) {
		if (rootfs)
			setenv("ROOTFS", rootfs, 1);
		/* stdout belongs to our result line: the child writes to
		 * stderr. */
		dup2(STDERR_FILENO, STDOUT_FILENO);
		execv(argv[0], (char *const *)(uintptr_t)argv);
		fprintf(stderr, "%s: cannot run: %s\n", argv[0],
			strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			strbuf_addf(err, "waitpid: %s", strerror(errno));
			return -1;
		}
	if (WIFEXITED(status) && !WEXITSTATUS(status))
		return 0;
	if (WIFEXITED(status))
		strbuf_addf(err, "exited with status %d", WEXITSTATUS(status));
	else
		strbuf_addf(err, "killed by signal %d", WTERMSIG(status));
	return -1;
}

static int
extract_tarball(const char *tarball, const char *dir, struct strbuf *err)
{
	const char *argv[] = { "/bin/tar", "-x",    "-p", "--numeric-owner",
			       "-f",	   tarball, "-C", dir,
			       NULL };
	struct strbuf why = STRBUF_INIT;
	int ret = run_argv(argv, NULL, &why);

	if (ret < 0)
		strbuf_addf(err,
			    "source '%s': cannot extract the tarball: "
			    "tar %s",
			    tarball, why.buf);
	strbuf_release(&why);
	return ret;
}

static int
run_build(const char *cmd, const char *dir, struct strbuf *err)
{
	const char *argv[] = { "/bin/sh", "-c", cmd, "sh", dir, NULL };
	struct strbuf why = STRBUF_INIT;
	int ret = run_argv(argv, dir, &why);

	if (ret < 0)
		strbuf_addf(err, "build command '%s' failed: %s", cmd, why.buf);
	strbuf_release(&why);
	return ret;
}

/* The directory to stream; *tmp receives a temporary one to remove. */
static int
prepare_tree(const struct imagebuild_options *o, char **tree, char **tmp,
	     struct strbuf *err)
{
	struct stat st;

	*tree = *tmp = NULL;
	if (o->build_command) {
		if (o->source) {
			if (mkdir_p(o->source, 0755) < 0) {
				strbuf_addf(err, "%s: cannot create: %s",
					    o->source, strerror(errno));
				return -1;
			}
			*tree = xstrdup(o->source);
		} else {
			*tmp = make_tmpdir(o, err);
			if (!*tmp)
				return -1;
			*tree = xstrdup(*tmp);
		}
		return run_build(o->build_command, *tree, err);
	}
	if (stat(o->source, &st) < 0) {
		strbuf_addf(err, "source '%s': %s", o->source, strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		*tree = xstrdup(o->source);
		return 0;
	}
	*tmp = make_tmpdir(o, err);
	if (!*tmp)
		return -1;
	*tree = xstrdup(*tmp);
	return extract_tarball(o->source, *tmp, err);
}

/* ------------------------------------------------------------------------
 * Streaming.
 */

struct pump {
	struct tar_stream *ts;
	const struct imagebuild_options *o;
};

static ssize_t
pump_read(void *data, char *buf, size_t len, struct strbuf *err)
{
	struct pump *p = data;
	ssize_t n;

	if (p->o->interrupted && *p->o->interrupted) {
		strbuf_addstr(err, "interrupted");
		return -1;
	}
	n = tar_stream_read(p->ts, buf, len, err);

	if (n >= 0 && p->o->progress)
		p->o->progress(p->o->progress_data, tar_stream_bytes(p->ts),
			       tar_stream_entries(p->ts), 0);
	return n;
}

static void
build_changes(const struct imagebuild_options *o, struct engine_strlist *ch)
{
	struct strbuf sb = STRBUF_INIT;
	const char **v;
	size_t i;

	if (o->cmd && o->cmd->nr) {
		v = xcalloc(o->cmd->nr + 1, sizeof(*v));
		for (i = 0; i < o->cmd->nr; i++)
			v[i] = o->cmd->items[i];
		engine_change_cmd(&sb, v);
		engine_strlist_add(ch, sb.buf);
		free(v);
	}
	if (o->ports && o->ports->nr) {
		strbuf_reset(&sb);
		v = xcalloc(o->ports->nr + 1, sizeof(*v));
		for (i = 0; i < o->ports->nr; i++)
			v[i] = o->ports->items[i];
		engine_change_expose(&sb, v);
		engine_strlist_add(ch, sb.buf);
		free(v);
	}
	strbuf_release(&sb);
}

/* Refuse a tree with nothing to import (after minimization). */
static int
check_not_empty(const struct imagebuild_options *o, const char *tree,
		struct strbuf *err)
{
	struct engine_strlist excl = ENGINE_STRLIST_INIT;
	const char **ex;
	size_t i;
	int ret = -1;

	imagebuild_exclusions(o->minimize, &excl);
	ex = xcalloc(excl.nr + 1, sizeof(*ex));
	for (i = 0; i < excl.nr; i++)
		ex[i] = excl.items[i];
	switch (tar_tree_has_entries(tree, ex, err)) {
	case -1:
		break;
	case 0:
		strbuf_addf(err,
			    "source '%s': the tree is empty, nothing to import",
			    o->source ? o->source : tree);
		break;
	default:
		ret = 0;
	}
	free(ex);
	engine_strlist_release(&excl);
	return ret;
}

static int
stream_tree(struct engine *e, const struct imagebuild_options *o,
	    const char *tree, const char *repo, const char *tag,
	    struct imagebuild_result *res, struct strbuf *err)
{
	struct engine_strlist excl = ENGINE_STRLIST_INIT;
	struct engine_strlist changes = ENGINE_STRLIST_INIT;
	struct engine_import imp = { 0 };
	struct pump p = { NULL, o };
	const char **ex;
	size_t i;
	int ret = -1;

	imagebuild_exclusions(o->minimize, &excl);
	ex = xcalloc(excl.nr + 1, sizeof(*ex));
	for (i = 0; i < excl.nr; i++)
		ex[i] = excl.items[i];
	p.ts = tar_stream_new(tree, ex, err);
	if (!p.ts)
		goto out;
	build_changes(o, &changes);
	imp.repo = repo;
	imp.tag = tag;
	imp.changes = &changes;
	imp.message = "docker-image-build";
	imp.read = pump_read;
	imp.read_data = &p;
	if (engine_image_import(e, &imp, &res->image_id, err) < 0)
		goto out;
	res->bytes = tar_stream_bytes(p.ts);
	res->entries = tar_stream_entries(p.ts);
	if (o->progress)
		o->progress(o->progress_data, res->bytes, res->entries, 1);
	ret = 0;
out:
	tar_stream_free(p.ts);
	free(ex);
	engine_strlist_release(&excl);
	engine_strlist_release(&changes);
	return ret;
}

/* ------------------------------------------------------------------------
 * The record.
 */

static void
ports_of(const struct engine_strlist *ports, const char *proto,
	 struct strbuf *out)
{
	size_t i;

	for (i = 0; ports && i < ports->nr; i++) {
		const char *p = ports->items[i], *slash = strchr(p, '/');
		const char *pr = slash ? slash + 1 : "tcp";

		if (strcmp(pr, proto))
			continue;
		if (out->len)
			strbuf_addch(out, ',');
		strbuf_add(out, p, slash ? (size_t)(slash - p) : strlen(p));
	}
}

static int
set_or_delete(struct db *db, struct db_record *rec, const char *prop,
	      const char *value, struct strbuf *err)
{
	if (value && *value)
		return db_set_prop(db, rec, prop, value, err);
	db_delete_prop(db, rec, prop);
	return 0;
}

static char *
cmd_json(const struct engine_strlist *cmd)
{
	cJSON *arr;
	char *s;
	size_t i;

	if (!cmd || !cmd->nr)
		return NULL;
	arr = cJSON_CreateArray();
	for (i = 0; i < cmd->nr; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(cmd->items[i]));
	s = cJSON_PrintUnformatted(arr);
	cJSON_Delete(arr);
	if (!s)
		die_oom();
	return s;
}

/* Check (before anything is done) that the record may be written. */
static int
check_record(const char *repo, struct strbuf *err)
{
	char *file = db_resolve_path("docker_images");
	char *slash = strrchr(file, '/');
	struct db *db;
	struct db_record *rec;
	const char *type;
	int ret = 0;

	/* The database directory, so that the record can be written after
	 * the import (a fresh sandbox root has none). */
	if (slash && slash != file) {
		*slash = '\0';
		if (mkdir_p(file, 0755) < 0) {
			strbuf_addf(err, "docker_images: cannot create %s: %s",
				    file, strerror(errno));
			free(file);
			return -1;
		}
	}
	free(file);
	db = db_open("docker_images", err);
	if (!db)
		return -1;
	rec = db_get(db, repo);
	type = rec ? db_record_type(rec) : NULL;
	if (type && strcmp(type, "image")) {
		strbuf_addf(err,
			    "docker_images: %s: exists with type '%s', not "
			    "'image'",
			    repo, type);
		ret = -1;
	}
	db_free(db);
	return ret;
}

static int
write_record(const struct imagebuild_options *o, const char *repo,
	     const char *tag, const struct imagebuild_result *res,
	     struct strbuf *err)
{
	struct strbuf src = STRBUF_INIT, tcp = STRBUF_INIT, udp = STRBUF_INIT;
	struct strbuf min = STRBUF_INIT, size = STRBUF_INIT;
	char created[32], *cmd = cmd_json(o->cmd), *abs = NULL;
	time_t now = time(NULL);
	struct tm tm;
	struct db *db = db_open_locked("docker_images", err);
	struct db_record *rec;
	int ret = -1;

	if (!db)
		goto out;
	gmtime_r(&now, &tm);
	strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (o->source)
		abs = realpath(o->source, NULL);
	strbuf_addstr(&src, abs ? abs : o->source ? o->source : "build");
	ports_of(o->ports, "tcp", &tcp);
	ports_of(o->ports, "udp", &udp);
	steps_applied(o->minimize, &min);
	strbuf_addf(&size, "%llu", (unsigned long long)res->bytes);
	rec = db_get(db, repo);
	if (!rec)
		rec = db_set(db, repo, "image", err);
	if (!rec || db_set_type(db, rec, "image") < 0 ||
	    db_set_prop(db, rec, "Tag", tag, err) < 0 ||
	    db_set_prop(db, rec, "ImageId", res->image_id, err) < 0 ||
	    db_set_prop(db, rec, "Source", src.buf, err) < 0 ||
	    set_or_delete(db, rec, "BuildCommand", o->build_command, err) < 0 ||
	    db_set_prop(db, rec, "Created", created, err) < 0 ||
	    set_or_delete(db, rec, "Cmd", cmd, err) < 0 ||
	    set_or_delete(db, rec, "TCPPort", tcp.buf, err) < 0 ||
	    set_or_delete(db, rec, "UDPPort", udp.buf, err) < 0 ||
	    db_set_prop(db, rec, "Minimized", min.buf, err) < 0 ||
	    db_set_prop(db, rec, "Size", size.buf, err) < 0)
		goto out;
	ret = db_commit(db, err);
out:
	db_free(db);
	free(cmd);
	free(abs);
	strbuf_release(&src);
	strbuf_release(&tcp);
	strbuf_release(&udp);
	strbuf_release(&min);
	strbuf_release(&size);
	return ret;
}

/* ------------------------------------------------------------------------
 * The build.
 */

static char *
choose_tag(const struct imagebuild_options *o, const char *name_tag,
	   const char *tree, const char *repo, struct imagebuild_result *res)
{
	char *v = NULL;

	if (o->tag)
		return xstrdup(o->tag);
	if (name_tag)
		return xstrdup(name_tag);
	if (!imagebuild_detect_version(tree, &v))
		return v;
	/* As the seed's script did: the name is the tag (its last part, as
	 * a tag holds no '/'). */
	v = strrchr(repo, '/');
	v = xstrdup(v ? v + 1 : repo);
	res->version_guessed = 1;
	esmith_warn("cannot detect the version of the tree (no VERSION_ID in "
		    "etc/os-release, no etc/redhat-release): using '%s' as "
		    "the tag",
		    v);
	return v;
}

int
imagebuild_run(struct engine *e, const struct imagebuild_options *o,
	       struct imagebuild_result *res, struct strbuf *err)
{
	struct strbuf ref = STRBUF_INIT;
	char *repo = NULL, *name_tag = NULL, *tag = NULL;
	char *tree = NULL, *tmp = NULL;
	int ret = -1;

	memset(res, 0, sizeof(*res));
	if (imagebuild_check(o, err) < 0)
		goto out;
	split_name(o->name, &repo, &name_tag);
	if (!o->no_record && check_record(repo, err) < 0)
		goto out;
	if (prepare_tree(o, &tree, &tmp, err) < 0)
		goto out;
	if (check_not_empty(o, tree, err) < 0)
		goto out;
	tag = choose_tag(o, name_tag, tree, repo, res);
	strbuf_addf(&ref, "%s:%s", repo, tag);
	if (engine_reference_parse(ref.buf, NULL, NULL, err) < 0)
		goto out;
	if (stream_tree(e, o, tree, repo, tag, res, err) < 0)
		goto out;
	res->reference = strbuf_detach(&ref, NULL);
	if (!o->no_record && write_record(o, repo, tag, res, err) < 0) {
		strbuf_addf(err,
			    " (the image %s was imported but is not recorded)",
			    res->reference);
		goto out;
	}
	ret = 0;
out:
	if (tmp)
		remove_tree(tmp);
	free(tmp);
	free(tree);
	free(repo);
	free(name_tag);
	free(tag);
	strbuf_release(&ref);
	return ret;
}
