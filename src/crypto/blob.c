#include "crypto/blob.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "crypto/aead.h"

#define BLOB_MAGIC "CFBLOB01"
#define BLOB_HEADER 16          /* magic, chunk size; in the associated data of every chunk */
#define BLOB_SLOT (AEAD_NONCE_BYTES + BLOB_CHUNK + AEAD_TAG_BYTES)

struct blob_writer {
	int fd;
	struct aead *aead;
	char id[BLOB_ID_LEN + 1];
	char tmp[4096], path[4096];
	unsigned char header[BLOB_HEADER];
	unsigned char *chunk;   /* nonce | plaintext then ciphertext | tag */
	size_t fill;
	unsigned long long index;
};

struct blob_reader {
	int fd;
	struct aead *aead;
	char id[BLOB_ID_LEN + 1];
	unsigned char header[BLOB_HEADER];
	unsigned char *chunk;
	size_t have, off;       /* decrypted bytes in chunk and the next one to hand out */
	unsigned long long index;
	off_t size, pos;
	int done;
};

int
blob_id_valid(const char *id)
{
	if (strlen(id) != BLOB_ID_LEN)
		return 0;
	for (const char *p = id; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return 0;
	return 1;
}

static void
blob_header(unsigned char h[BLOB_HEADER])
{
	memcpy(h, BLOB_MAGIC, 8);
	h[8] = (unsigned char)(BLOB_CHUNK >> 24);
	h[9] = (unsigned char)(BLOB_CHUNK >> 16);
	h[10] = (unsigned char)(BLOB_CHUNK >> 8);
	h[11] = (unsigned char)BLOB_CHUNK;
	memset(h + 12, 0, 4);
}

/* Associated data: header, id, chunk index, last flag. */
static size_t
blob_ad(unsigned char *ad, const unsigned char *header, const char *id,
    unsigned long long index, int last)
{
	size_t n = 0;

	memcpy(ad, header, BLOB_HEADER);
	n += BLOB_HEADER;
	memcpy(ad + n, id, BLOB_ID_LEN);
	n += BLOB_ID_LEN;
	for (int i = 7; i >= 0; i--)
		ad[n++] = (unsigned char)(index >> (8 * i));
	ad[n++] = last ? 1 : 0;
	return n;
}

static int
blob_write_all(int fd, const unsigned char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return ERR_IO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
blob_flush(struct blob_writer *w, int last)
{
	unsigned char ad[BLOB_HEADER + BLOB_ID_LEN + 9];
	size_t adlen = blob_ad(ad, w->header, w->id, w->index, last);
	int rc;

	aead_random_nonce(w->chunk);
	if (aead_seal(w->aead, w->chunk, ad, adlen, w->chunk + AEAD_NONCE_BYTES, w->fill,
	    w->chunk + AEAD_NONCE_BYTES + w->fill) != 0)
		return ERR_CRYPTO;
	rc = blob_write_all(w->fd, w->chunk, AEAD_NONCE_BYTES + w->fill + AEAD_TAG_BYTES);
	w->fill = 0;
	w->index++;
	return rc;
}

struct blob_writer *
blob_writer_open(const char *dir, const struct key *blob_key, int *err)
{
	unsigned char rnd[BLOB_ID_LEN / 2];
	char id[BLOB_ID_LEN + 1];

	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(id, sizeof(id), rnd, sizeof(rnd));
	return blob_writer_open_as(dir, blob_key, id, err);
}

struct blob_writer *
blob_writer_open_as(const char *dir, const struct key *blob_key, const char *id, int *err)
{
	struct blob_writer *w;

	*err = ERR_INVALID;
	if (!blob_id_valid(id))
		return NULL;
	*err = ERR_NOMEM;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	w->fd = -1;
	if ((w->chunk = sodium_malloc(BLOB_SLOT)) == NULL ||
	    (w->aead = aead_new(blob_key->bytes)) == NULL)
		goto fail;
	memcpy(w->id, id, BLOB_ID_LEN + 1);
	*err = ERR_TOOBIG;
	if ((size_t)snprintf(w->path, sizeof(w->path), "%s/%s", dir, w->id) >= sizeof(w->path) ||
	    (size_t)snprintf(w->tmp, sizeof(w->tmp), "%s/.%s.tmp", dir, w->id) >= sizeof(w->tmp))
		goto fail;
	*err = ERR_IO;
	if ((w->fd = open(w->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
		goto fail;
	blob_header(w->header);
	if (blob_write_all(w->fd, w->header, BLOB_HEADER) != 0)
		goto fail;
	*err = 0;
	return w;
fail:
	blob_writer_abort(w);
	return NULL;
}

int
blob_writer_write(struct blob_writer *w, const void *data, size_t len)
{
	const unsigned char *p = data;
	int rc;

	while (len > 0) {
		size_t take = BLOB_CHUNK - w->fill;
		if (w->fill == BLOB_CHUNK) {
			/* A full chunk is sealed as "not last" only once more data follows. */
			if ((rc = blob_flush(w, 0)) != 0)
				return rc;
			continue;
		}
		if (take > len)
			take = len;
		memcpy(w->chunk + AEAD_NONCE_BYTES + w->fill, p, take);
		w->fill += take;
		p += take;
		len -= take;
	}
	return 0;
}

int
blob_writer_commit(struct blob_writer *w, char *id_out)
{
	char dir[4096], *slash;
	int rc, dfd;

	if ((rc = blob_flush(w, 1)) != 0 || fsync(w->fd) != 0 || close(w->fd) != 0) {
		blob_writer_abort(w);
		return rc ? rc : ERR_IO;
	}
	w->fd = -1;
	if (rename(w->tmp, w->path) != 0) {
		blob_writer_abort(w);
		return ERR_IO;
	}
	snprintf(dir, sizeof(dir), "%s", w->path);
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		fsync(dfd);
		close(dfd);
	}
	memcpy(id_out, w->id, BLOB_ID_LEN + 1);
	w->tmp[0] = '\0';
	blob_writer_abort(w);
	return 0;
}

void
blob_writer_abort(struct blob_writer *w)
{
	if (w == NULL)
		return;
	if (w->fd >= 0)
		close(w->fd);
	if (w->tmp[0] != '\0')
		unlink(w->tmp);
	if (w->chunk != NULL)
		sodium_free(w->chunk);
	aead_free(w->aead);
	free(w);
}

struct blob_reader *
blob_reader_open(const char *dir, const struct key *blob_key, const char *id, int *err)
{
	struct blob_reader *r;
	unsigned char expect[BLOB_HEADER];
	char path[4096];

	*err = ERR_INVALID;
	if (!blob_id_valid(id))
		return NULL;
	*err = ERR_NOMEM;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->fd = -1;
	memcpy(r->id, id, BLOB_ID_LEN + 1);
	if ((r->chunk = sodium_malloc(BLOB_SLOT)) == NULL ||
	    (r->aead = aead_new(blob_key->bytes)) == NULL)
		goto fail;
	*err = ERR_TOOBIG;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, id) >= sizeof(path))
		goto fail;
	if ((r->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		*err = errno == ENOENT ? ERR_NOTFOUND : ERR_IO;
		goto fail;
	}
	*err = ERR_CRYPTO;
	blob_header(expect);
	if ((r->size = lseek(r->fd, 0, SEEK_END)) < BLOB_HEADER ||
	    pread(r->fd, r->header, BLOB_HEADER, 0) != BLOB_HEADER ||
	    memcmp(r->header, expect, BLOB_HEADER) != 0)
		goto fail;
	r->pos = BLOB_HEADER;
	*err = 0;
	return r;
fail:
	blob_reader_close(r);
	return NULL;
}

/* Loads and verifies the next chunk; the one that ends the file must say it is last. */
static int
blob_next_chunk(struct blob_reader *r)
{
	unsigned char ad[BLOB_HEADER + BLOB_ID_LEN + 9];
	off_t left = r->size - r->pos;
	size_t slot, len;
	int last;

	if (left < AEAD_NONCE_BYTES + AEAD_TAG_BYTES)
		return ERR_CRYPTO;      /* truncated, or nothing where a last chunk must be */
	slot = left > BLOB_SLOT ? BLOB_SLOT : (size_t)left;
	last = (off_t)slot == left;
	if (pread(r->fd, r->chunk, slot, r->pos) != (ssize_t)slot)
		return ERR_IO;
	len = slot - AEAD_NONCE_BYTES - AEAD_TAG_BYTES;
	if (aead_open(r->aead, r->chunk, ad, blob_ad(ad, r->header, r->id, r->index, last),
	    r->chunk + AEAD_NONCE_BYTES, len, r->chunk + AEAD_NONCE_BYTES + len) != 0)
		return ERR_CRYPTO;
	r->pos += (off_t)slot;
	r->index++;
	r->have = len;
	r->off = 0;
	r->done = last;
	return 0;
}

int
blob_reader_read(struct blob_reader *r, void *buf, size_t cap, size_t *n)
{
	unsigned char *dst = buf;
	int rc;

	*n = 0;
	while (cap > 0) {
		if (r->off == r->have) {
			if (r->done)
				break;
			if ((rc = blob_next_chunk(r)) != 0)
				return rc;
			continue;
		}
		size_t take = r->have - r->off < cap ? r->have - r->off : cap;
		memcpy(dst, r->chunk + AEAD_NONCE_BYTES + r->off, take);
		r->off += take;
		dst += take;
		cap -= take;
		*n += take;
	}
	return 0;
}

void
blob_reader_close(struct blob_reader *r)
{
	if (r == NULL)
		return;
	if (r->fd >= 0)
		close(r->fd);
	if (r->chunk != NULL)
		sodium_free(r->chunk);
	aead_free(r->aead);
	free(r);
}

int
blob_put(const char *dir, const struct key *blob_key, const void *data, size_t len,
    char *id_out)
{
	int rc;
	struct blob_writer *w = blob_writer_open(dir, blob_key, &rc);

	if (w == NULL)
		return rc;
	if ((rc = blob_writer_write(w, data, len)) != 0) {
		blob_writer_abort(w);
		return rc;
	}
	return blob_writer_commit(w, id_out);
}

int
blob_get(const char *dir, const struct key *blob_key, const char *id, size_t max,
    unsigned char **out, size_t *len)
{
	struct blob_reader *r;
	unsigned char *buf = NULL;
	size_t cap = 0, used = 0, n;
	int rc;

	*out = NULL;
	*len = 0;
	if ((r = blob_reader_open(dir, blob_key, id, &rc)) == NULL)
		return rc;
	for (;;) {
		if (used == cap) {
			size_t ncap = cap ? cap * 2 : BLOB_CHUNK;
			unsigned char *nb;
			if (cap > max) {
				rc = ERR_TOOBIG;
				goto out;
			}
			if ((nb = realloc(buf, ncap)) == NULL) {
				rc = ERR_NOMEM;
				goto out;
			}
			buf = nb;
			cap = ncap;
		}
		if ((rc = blob_reader_read(r, buf + used, cap - used, &n)) != 0)
			goto out;
		if (n == 0)
			break;
		used += n;
		if (used > max) {
			rc = ERR_TOOBIG;
			goto out;
		}
	}
	*out = buf;
	*len = used;
	buf = NULL;
out:
	free(buf);
	blob_reader_close(r);
	return rc;
}

int
blob_delete(const char *dir, const char *id)
{
	char path[4096];

	if (!blob_id_valid(id))
		return ERR_INVALID;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, id) >= sizeof(path))
		return ERR_TOOBIG;
	if (unlink(path) != 0)
		return errno == ENOENT ? ERR_NOTFOUND : ERR_IO;
	return 0;
}
