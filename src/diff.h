/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef DIFF_H
#define DIFF_H

#include <stddef.h>

#include "strbuf.h"

/*
 * A line diff (Myers' O(ND) algorithm) printed in unified format, as
 * `diff -u` prints it: `--- old_label`, `+++ new_label`, hunks with three
 * lines of context, `\ No newline at end of file` where a side lacks its
 * final newline. Appends nothing when the texts are equal. Returns 1 when
 * they differ, 0 when equal.
 *
 * Very large, very different inputs (beyond the memory bound of the edit
 * trace) fall back to one hunk replacing every line: still a correct
 * patch, only not a minimal one.
 */
int diff_unified(const char *old_label, const char *old, size_t old_len,
		 const char *new_label, const char *new, size_t new_len,
		 struct strbuf *out);

#endif
