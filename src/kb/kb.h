/*
 * kb.h: the knowledge base (K1-K3, K5): documents with versions, the trash, collections
 * and tags. Every read goes through the visibility rule of access/access.h inside its SQL;
 * a document the caller may not see is "not found". Every change is audited in the same
 * transaction and makes a new version.
 */
#ifndef COFFRE_KB_H
#define COFFRE_KB_H

#include <jansson.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "access/access.h"
#include "common/result.h"

struct vault;

#define KB_TITLE_MAX 300                /* bytes */
#define KB_BODY_MAX (512 * 1024)        /* bytes of Markdown */
#define KB_TAG_MAX 64                   /* bytes of a tag name */
#define KB_TAGS_MAX 32                  /* tags on one document */
#define KB_COLLECTION_MAX 100           /* bytes of a collection name */
#define KB_PAGE_MAX 200
#define KB_TRASH_DAYS_DEFAULT 30

/* A document as given by a client or an import, before it is checked. */
struct kb_doc_input {
	const char *title;
	const char *body;
	const char *language;           /* "fr", "en"... (kb_language_valid) */
	const char *collection;         /* a collection name, created when missing; NULL: none */
	const char *tags[KB_TAGS_MAX];  /* tag names, created (unrestricted) when missing */
	size_t ntags;
};

/* 1 for a supported ISO 639-1 language code. */
int kb_language_valid(const char *code);
/* 1 for an acceptable tag or collection name: valid UTF-8, no control characters, not empty
 * or blank, at most max bytes. */
int kb_name_valid(const char *name, size_t max);
/* Checks an input (sizes, UTF-8, control characters, languages, names); fills r with 400
 * or 422 and returns ERR_INVALID when it is refused. */
int kb_doc_input_check(const struct kb_doc_input *in, struct result *r);

/*
 * Creates a document as author (a user id, or "import") with the given source address
 * (NULL for the CLI): version 1. The author must be allowed every tag given (422
 * tag_not_allowed otherwise). 201 with the document.
 */
int kb_document_create(struct vault *v, const struct identity *id, const char *source,
    const struct kb_doc_input *in, struct result *r);
/* The same from a JSON body {title, body, language, collection?, tags?} (unknown fields 400). */
int kb_document_create_json(struct vault *v, const struct identity *id, const char *source,
    const json_t *body, struct result *r);
/* 200 with the document (body included), or 404 when it is absent, trashed or invisible. */
int kb_document_get(struct vault *v, const struct identity *id, const char *doc_id,
    struct result *r);
/*
 * A new version from {version, title?, body?, language?, collection?, tags?}: version is the
 * one the client edited (409 version_conflict with current_version when stale); absent
 * fields keep their value; tags, when given, replace the list.
 */
int kb_document_update(struct vault *v, const struct identity *id, const char *source,
    const char *doc_id, const json_t *body, struct result *r);
/* Moves a live document to the trash (204) / back from the trash (200). */
int kb_document_trash(struct vault *v, const struct identity *id, const char *source,
    const char *doc_id, struct result *r);
int kb_trash_restore(struct vault *v, const struct identity *id, const char *source,
    const char *doc_id, struct result *r);
/* Removes a trashed document with every version (204). */
int kb_trash_purge(struct vault *v, const struct identity *id, const char *source,
    const char *doc_id, struct result *r);
/* Purges what went to the trash before before_us (background job, audited as system). */
int kb_trash_expire(struct vault *v, int64_t before_us, long *purged);

/* The tag names of a document, sorted, as a JSON array (no visibility check: for callers
 * that checked); NULL on failure. */
json_t *kb_document_tags(sqlite3 *db, const char *doc_id);

/* Filters and paging of a document list; NULL fields do not filter. */
struct kb_query {
	const char *collection, *tag, *language, *author;
	const char *sort;               /* updated (default), created, title */
	const char *order;              /* desc (default), asc */
	int limit;                      /* 1..KB_PAGE_MAX; 0: 50 */
	const char *cursor;             /* next_cursor of the previous page */
};
/* {items: [document without body], next_cursor}; trashed lists the trash (newest first). */
int kb_document_list(struct vault *v, const struct identity *id, const struct kb_query *q,
    int trashed, struct result *r);

/* Tags and collections: lists with counts of the caller's visible live documents (a tag
 * hidden from the caller is listed only to holders of tags.manage); create {name,
 * restricted?} (409 name_taken); update (rename, restrict); delete (collections: their
 * documents keep living without one; tags in use only with force). */
int kb_tags_list(struct vault *v, const struct identity *id, struct result *r);
int kb_collections_list(struct vault *v, const struct identity *id, struct result *r);
int kb_taxonomy_create(struct vault *v, const struct identity *id, const char *source,
    int tags, const json_t *body, struct result *r);
int kb_taxonomy_update(struct vault *v, const struct identity *id, const char *source,
    int tags, const char *item_id, const json_t *body, struct result *r);
int kb_taxonomy_delete(struct vault *v, const struct identity *id, const char *source,
    int tags, const char *item_id, int force, struct result *r);

/* Versions: list (newest first), one version, a line diff of two, restore one as new. */
int kb_versions_list(struct vault *v, const struct identity *id, const char *doc_id,
    struct result *r);
int kb_version_get(struct vault *v, const struct identity *id, const char *doc_id, int64_t n,
    struct result *r);
int kb_version_diff(struct vault *v, const struct identity *id, const char *doc_id,
    int64_t from, int64_t to, struct result *r);
int kb_version_restore(struct vault *v, const struct identity *id, const char *source,
    const char *doc_id, int64_t n, struct result *r);

#endif
