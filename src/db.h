/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef DB_H
#define DB_H

#include <stddef.h>

#include "strbuf.h"

/*
 * The e-smith flat-file databases (/home/e-smith/db/<name>).
 *
 * One record a line: `key=type|prop|value|prop|value...`. Values escape
 * `|` as `\|`, a newline as `\n` and a backslash as `\\`, so every byte
 * string without NUL round-trips. Comments and blank lines are ignored, a
 * duplicate key replaces the earlier one, a line without `=` is a key with
 * an empty value. A damaged line is reported through esmith_warn() with
 * file and line and skipped; the rest of the file still loads.
 *
 * Readers take no lock. A writer opens with db_open_locked() (an exclusive
 * flock on `<file>.lock`, then a fresh read), changes records in memory and
 * calls db_commit(), which writes a temp file in the same directory, fsyncs
 * and renames it over the database, logs each change to syslog as
 * `<db>: OLD key=raw` / `NEW key=raw`, and releases the lock.
 *
 * Records are kept sorted by key and properties by name. Record pointers
 * stay valid until the database is changed by db_set()/db_delete() or freed;
 * hold keys, not pointers, across such changes.
 */

struct db;
struct db_record;

/*
 * The file of database `name`: a name containing '/' is a path (taken as
 * is); `configuration` honours ESMITH_CONFIG_DB; otherwise
 * /home/e-smith/db/<name> below the sandbox root. Caller frees.
 */
char *db_resolve_path(const char *name);

/*
 * Read a database without locking. A missing file gives an empty database
 * (db_exists() is 0). Returns NULL with a message in `err` only when the
 * file exists but cannot be read.
 */
struct db *db_open(const char *name, struct strbuf *err);
/*
 * db_open() keeps the files it read, parsed, for the process and reads a
 * file again only when it changed (device, inode, size, mode, times).
 * db_cache_clear() forgets them; db_cache_hit_count() says how many opens
 * were served without reading since the last clear.
 */
void db_cache_clear(void);
size_t db_cache_hit_count(void);
/* Take the write lock (waiting for it), then read. NULL on error. */
struct db *db_open_locked(const char *name, struct strbuf *err);
/*
 * Write the changes made since opening (nothing if there were none),
 * then release the lock. The database must have been opened with
 * db_open_locked(). Returns 0, or -1 with a message naming the file;
 * then the file on disk is unchanged. The lock is released either way.
 */
int db_commit(struct db *db, struct strbuf *err);
/* Free the database; releases the lock, discarding uncommitted changes. */
void db_free(struct db *db);

/* Parse `len` bytes of database text (for tests and fuzzing). */
struct db *db_parse(const char *name, const char *text, size_t len);
/* Serialise in file format, header included when `header` is set. */
void db_serialize(const struct db *db, struct strbuf *out, int header);

int db_exists(const struct db *db);
const char *db_name(const struct db *db);
const char *db_file(const struct db *db);
/* Number of problems found while reading (each already warned about). */
size_t db_read_problems(const struct db *db);

size_t db_count(const struct db *db);
/* The i-th record in key order, i < db_count(). */
struct db_record *db_record_at(const struct db *db, size_t i);
struct db_record *db_get(const struct db *db, const char *key);

const char *db_record_key(const struct db_record *rec);
const char *db_record_type(const struct db_record *rec);
/* Property value, or NULL when absent. "type" gives the type. */
const char *db_record_prop(const struct db_record *rec, const char *prop);
size_t db_record_nprops(const struct db_record *rec);
/* The i-th property in name order (type excluded). */
const char *db_record_prop_name(const struct db_record *rec, size_t i);
const char *db_record_prop_value(const struct db_record *rec, size_t i);
/* Append the stored (escaped) form of the value: `type|p|v|...`. */
void db_record_raw(const struct db_record *rec, struct strbuf *out);

/*
 * Changes, in memory. db_set() replaces (or creates) the whole record with
 * an empty property list. Setting the property "type" sets the type.
 * Keys must be non-empty and hold no '=', newline or NUL, and must not
 * start with '#' or white space; props must be non-empty without '|'
 * or newline... those checks are in db_check_key()/db_check_prop(); the
 * setters return -1 with a message when they fail.
 */
int db_check_key(const char *key, struct strbuf *err);
int db_check_prop(const char *prop, struct strbuf *err);
struct db_record *
db_set(struct db *db, const char *key, const char *type, struct strbuf *err);
int db_set_type(struct db *db, struct db_record *rec, const char *type);
int db_set_prop(struct db *db, struct db_record *rec, const char *prop,
		const char *value, struct strbuf *err);
/* Returns 1 if the property existed. */
int db_delete_prop(struct db *db, struct db_record *rec, const char *prop);
/* Returns 1 if the record existed. */
int db_delete(struct db *db, const char *key);

/*
 * Convenience for one change from outside a transaction: lock, re-read,
 * set the property of `key` (a missing record is left missing and 0 is
 * returned), commit. Also applies the change to `db` when not NULL.
 */
int db_update_prop(const char *name, const char *key, const char *prop,
		   const char *value, struct strbuf *err);

#endif
