/*
 * blob.h: files stored as chunked AES-256-GCM streams. Each 64 KiB chunk has its own
 * nonce and tag; the blob id, the chunk index and a last-chunk flag are associated data,
 * so a swapped, reordered, truncated or extended chunk fails to read. Blob ids are random,
 * never content hashes.
 */
#ifndef COFFRE_BLOB_H
#define COFFRE_BLOB_H

#include <stddef.h>
#include <sys/types.h>

#include "crypto/keyring.h"

#define BLOB_CHUNK (64 * 1024)
#define BLOB_ID_LEN 32          /* hex characters */

struct blob_writer;
struct blob_reader;

/* Starts a new blob in dir (a temporary file until commit). NULL with *err on failure. */
struct blob_writer *blob_writer_open(const char *dir, const struct key *blob_key, int *err);
/* Same, writing the blob under an existing id (key rotation re-encrypts in place of it). */
struct blob_writer *blob_writer_open_as(const char *dir, const struct key *blob_key,
    const char *id, int *err);
/* Appends len bytes. */
int blob_writer_write(struct blob_writer *w, const void *data, size_t len);
/* Seals the last chunk, fsyncs and names the file; writes the id (BLOB_ID_LEN + NUL). */
int blob_writer_commit(struct blob_writer *w, char *id_out);
/* Discards an unfinished blob; accepts NULL. Commit also frees. */
void blob_writer_abort(struct blob_writer *w);

/* Opens blob id of dir for reading; ERR_NOTFOUND, ERR_INVALID for a malformed id. */
struct blob_reader *blob_reader_open(const char *dir, const struct key *blob_key,
    const char *id, int *err);
/* Reads up to cap bytes; *n = 0 at the end. ERR_CRYPTO when any chunk fails to verify. */
int blob_reader_read(struct blob_reader *r, void *buf, size_t cap, size_t *n);
void blob_reader_close(struct blob_reader *r);

/* Whole-blob helpers: at most max bytes are read (ERR_TOOBIG beyond). */
int blob_put(const char *dir, const struct key *blob_key, const void *data, size_t len,
    char *id_out);
int blob_get(const char *dir, const struct key *blob_key, const char *id, size_t max,
    unsigned char **out, size_t *len);
/* Removes a blob; ERR_NOTFOUND when absent. */
int blob_delete(const char *dir, const char *id);
/* 1 when id has the form of a blob id. */
int blob_id_valid(const char *id);

#endif
