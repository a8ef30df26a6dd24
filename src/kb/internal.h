/* internal.h: what the files of src/kb share; nothing outside src/kb includes it. */
#ifndef COFFRE_KB_INTERNAL_H
#define COFFRE_KB_INTERNAL_H

#include <sqlite3.h>
#include <strings.h>

#include "common/ids.h"
#include "common/timeutil.h"
#include "kb/kb.h"

#define kb_now() time_real_us()

/* Fills in from a JSON object (create: no "version"; partial: an update, "version" allowed
 * and fields optional). Refusals go to r and return ERR_INVALID. Strings are borrowed. */
int kb_input_from_json(const json_t *obj, struct kb_doc_input *in, int partial,
    struct result *r);
/* Prepares sql and binds the caller's user id to :uid (for ACCESS_HIDDEN_TAGS). */
int kb_prepare(sqlite3 *db, const char *sql, const struct identity *id, sqlite3_stmt **st);
void kb_bind_uid(sqlite3_stmt *st, const struct identity *id);
/* Steps once and finalizes: 0 when done (or a row came back), else an err code. */
int kb_step_done(sqlite3_stmt *st);
/* 1 when id holds perm (the command line, id NULL, holds every permission). */
int kb_may(const struct identity *id, const char *perm);
const char *kb_actor(const struct identity *id);
/* 1 when the tag is hidden from the caller (never for the command line). */
int kb_tag_hidden(sqlite3 *db, const struct identity *id, const char *tag_id);
/* The id of the tag / collection with this name (case-insensitive); created when create
 * is set and it is missing (*created then 1); ERR_NOTFOUND otherwise. */
int kb_tag_ensure(sqlite3 *db, const char *name, int create, char out[33], int *created);
int kb_collection_ensure(sqlite3 *db, const char *name, int create, char out[33],
    int *created);
/* Appends a success event of the caller to the vault's trail (detail owned). */
int kb_audit(struct vault *v, sqlite3 *db, const char *event, const struct identity *id,
    const char *source, const char *target, json_t *detail_owned);

#endif
