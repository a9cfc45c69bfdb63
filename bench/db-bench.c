/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * In-process cost of the database operations: load (parse a file),
 * getprop (one lookup) and setprop (lock, read, change, write) for each
 * database file named on the command line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "db.h"
#include "util.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
bench_file(const char *path)
{
	struct strbuf err = STRBUF_INIT;
	struct db *db;
	double t0, load, reopen, get, set;
	size_t n, i, loads = 0;
	char key[32];

	/* reading and parsing the file: the process's kept copy is dropped
	   before each open */
	t0 = now();
	do {
		db_cache_clear();
		db = db_open(path, &err);
		if (!db) {
			fprintf(stderr, "%s\n", err.buf);
			exit(1);
		}
		n = db_count(db);
		db_free(db);
		loads++;
	} while (now() - t0 < 0.5);
	load = (now() - t0) / (double)loads;

	/* opening it again in the same process: a copy of the kept records */
	db_free(db_open(path, &err));
	t0 = now();
	loads = 0;
	do {
		db_free(db_open(path, &err));
		loads++;
	} while (now() - t0 < 0.5);
	reopen = (now() - t0) / (double)loads;

	db = db_open(path, &err);
	t0 = now();
	for (i = 0; i < 1000000; i++) {
		struct db_record *r;
		snprintf(key, sizeof(key), "key%06zu", i % n);
		r = db_get(db, key);
		if (!r || !db_record_prop(r, "TCPPort"))
			exit(1);
	}
	get = (now() - t0) / 1e6;
	db_free(db);

	t0 = now();
	for (i = 0; i < 20; i++) {
		snprintf(key, sizeof(key), "key%06zu", (i * 7919) % n);
		if (db_update_prop(path, key, "Note", i % 2 ? "a" : "b", &err) <
		    0) {
			fprintf(stderr, "%s\n", err.buf);
			exit(1);
		}
	}
	set = (now() - t0) / 20;
	printf("%7zu records: load %8.3f ms   open again %8.3f ms   "
	       "getprop %6.3f us   setprop (lock+read+write+fsync) %8.3f ms\n",
	       n, load * 1e3, reopen * 1e3, get * 1e6, set * 1e3);
	strbuf_release(&err);
}

int
main(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		bench_file(argv[i]);
	return 0;
}
