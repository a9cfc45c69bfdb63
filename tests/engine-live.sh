#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The engine client against a real engine: run through with-dockerd.sh.
# Builds the busybox test image with docker-image-build, then runs the
# Check suite test-engine-live against it.
set -eu
: "${BUILDDIR:?}" "${SRCDIR:?}" "${DOCKER_HOST:?run through tests/with-dockerd.sh}"
ESMITH_ROOT=$(mktemp -d /tmp/engine-live-root.XXXXXX)
export ESMITH_ROOT
trap 'rm -rf "$ESMITH_ROOT"' EXIT
TEST_IMAGE=smetest/busybox:1
export TEST_IMAGE
sh "$SRCDIR/tests/make-test-image.sh" "$TEST_IMAGE" >/dev/null
"$BUILDDIR/tests/test-engine-live"
