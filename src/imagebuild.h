/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef IMAGEBUILD_H
#define IMAGEBUILD_H

#include <signal.h>
#include <stdint.h>

#include "engine.h"
#include "strbuf.h"

/*
 * The SME base-image builder (the program docker-image-build): a root
 * filesystem (a directory, a tarball, or a directory filled by a build
 * command) is streamed as a tar to the engine's image import, minimized on
 * the way, tagged NAME:VERSION and recorded in the `docker_images`
 * database.
 *
 * Minimization never deletes anything: excluded paths are left out of the
 * stream (the seed's mkimage script deleted them from its own temporary
 * tree; here the admin's tree is never touched).
 *
 * The record `docker_images` NAME (type `image`) gets these properties;
 * those not given on this build are removed, every other property of an
 * existing record is kept:
 *   Tag        the tag (the version)
 *   ImageId    the engine's image id, sha256:...
 *   Source     the absolute path of the directory or tarball, or `build`
 *   BuildCommand  the build command, when one was used
 *   Created    when the image was built, UTC, 2026-01-31T12:00:00Z
 *   Cmd        the default command, as a JSON array
 *   TCPPort, UDPPort  exposed ports, comma-separated
 *   Minimized  the minimization steps applied, comma-separated, or `none`
 *   Size       bytes of the tar stream sent
 */

enum imagebuild_step {
	IMAGEBUILD_LOCALES = 1 << 0,
	IMAGEBUILD_DOCS = 1 << 1,
	IMAGEBUILD_MAN = 1 << 2,
	IMAGEBUILD_CRACKLIB = 1 << 3,
	IMAGEBUILD_I18N = 1 << 4,
	IMAGEBUILD_SLN = 1 << 5,
	IMAGEBUILD_LDCONFIG = 1 << 6,
	IMAGEBUILD_ALL = (1 << 7) - 1,
};

/* The step's name ("locales", "docs", "man", "cracklib", "i18n", "sln",
 * "ldconfig") and the paths it leaves out. */
const char *imagebuild_step_name(enum imagebuild_step step);
/* Append to `out` the exclusion patterns (see tarstream.h) of `steps`. */
void imagebuild_exclusions(unsigned steps, struct engine_strlist *out);

/*
 * The version of the tree at `dir`: VERSION_ID from etc/os-release (or
 * usr/lib/os-release), else the first number of etc/redhat-release.
 * Returns 0 and a malloc'd string, or 1 when none is found.
 */
int imagebuild_detect_version(const char *dir, char **version);

/* Progress: called while streaming (often; throttle in the callback) and
 * once more with `final` set. */
typedef void (*imagebuild_progress_fn)(void *data, uint64_t bytes,
				       uint64_t entries, int final);

struct imagebuild_options {
	const char *name;   /* NAME or NAME:TAG */
	const char *source; /* directory or tarball; with build_command the
			     * directory to fill (NULL: a temporary one) */
	const char *tag;    /* NULL: from NAME:TAG, else detected */
	const struct engine_strlist *cmd;   /* may be NULL or empty */
	const struct engine_strlist *ports; /* "80/tcp"; may be NULL */
	unsigned minimize;		    /* enum imagebuild_step bits */
	/* Run with /bin/sh -c: the admin's own command line, never data from
	 * a database. The directory is $1 and $ROOTFS. */
	const char *build_command;
	int no_record;	    /* do not write docker_images */
	const char *tmpdir; /* where temporary trees go (NULL: $TMPDIR or
			     * /var/tmp) */
	imagebuild_progress_fn progress;
	void *progress_data;
	/* When not NULL and set (by a signal handler), streaming stops and
	 * the build fails with "interrupted", temporary trees removed. */
	volatile sig_atomic_t *interrupted;
};

struct imagebuild_result {
	char *reference; /* NAME:TAG */
	char *image_id;
	uint64_t bytes;
	uint64_t entries;
	int version_guessed; /* no version found: NAME used as the tag */
};
void imagebuild_result_release(struct imagebuild_result *r);

/*
 * Check the options (name, ports, source) without touching anything.
 * Returns 0 or -1 with a message.
 */
int imagebuild_check(const struct imagebuild_options *o, struct strbuf *err);

/*
 * Build: check, prepare the tree (extract a tarball or run the build
 * command into a temporary directory), detect the tag, stream to the
 * engine `e`, record. Nothing is recorded unless the import succeeded.
 * Temporary directories are removed. Returns 0 or -1 with a message.
 */
int imagebuild_run(struct engine *e, const struct imagebuild_options *o,
		   struct imagebuild_result *res, struct strbuf *err);

#endif
