#include "crypto/vfs_crypt.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "crypto/aead.h"

#define PAGE VFS_CRYPT_PAGE_SIZE
#define OVERHEAD (AEAD_NONCE_BYTES + AEAD_TAG_BYTES)
#define PAGE_DATA (PAGE - VFS_CRYPT_RESERVE)    /* bytes of a page under the cipher */
#define SLOT 4096                              /* physical block: one page */
#define BLOCK_DATA (SLOT - OVERHEAD)            /* journal: logical bytes per block */
#define WAL_HEADER 32
#define WAL_FRAME_HEADER 24
#define WAL_FRAME (WAL_FRAME_HEADER + PAGE)
#define WAL_FRAME_STORED (WAL_FRAME_HEADER + PAGE_DATA)  /* without the reserved bytes */

enum cfile_kind { KIND_DB = 'D', KIND_WAL = 'W', KIND_JOURNAL = 'J' };

/* Keys by database path; files look theirs up when SQLite opens them. */
struct vfs_key {
	struct vfs_key *next;
	char *path;
	struct key key;
	int refs;
};

static pthread_mutex_t vfs_lock = PTHREAD_MUTEX_INITIALIZER;
static struct vfs_key *vfs_keys;
static sqlite3_vfs vfs_crypt;
static int vfs_registered;

struct cfile {
	sqlite3_file base;
	sqlite3_file *real;             /* the underlying file, right after this struct */
	enum cfile_kind kind;
	struct aead *aead;
	sqlite3_int64 phys;             /* physical size seen by the current operation */
	sqlite3_int64 held_off;         /* WAL frame header held until its page comes */
	int held_len;
	sqlite3_int64 last_read;        /* offset of the last read, -1 after a write */
	unsigned char held[WAL_FRAME_HEADER];
	unsigned char buf[SLOT];                /* ciphertext as stored */
	unsigned char plain[2 * PAGE];          /* plaintext and scratch */
	unsigned char frame[WAL_FRAME];
};

#define ROOT(v) ((sqlite3_vfs *)((v)->pAppData))

/* ---- key registry ---- */

static int
vfs_full_path(const char *path, char *out, int outsz)
{
	sqlite3_vfs *root = sqlite3_vfs_find(NULL);

	return root->xFullPathname(root, path, outsz, out) == SQLITE_OK ? 0 : ERR_INVALID;
}

int
vfs_crypt_attach(const char *path, const struct key *key)
{
	char full[4097];
	struct vfs_key *k;
	int rc = 0;

	if (vfs_full_path(path, full, sizeof(full)) != 0)
		return ERR_INVALID;
	pthread_mutex_lock(&vfs_lock);
	for (k = vfs_keys; k != NULL; k = k->next) {
		if (strcmp(k->path, full) == 0) {
			if (sodium_memcmp(k->key.bytes, key->bytes, KEYRING_KEY_BYTES) != 0)
				rc = ERR_EXISTS;
			else
				k->refs++;
			goto out;
		}
	}
	rc = ERR_NOMEM;
	if ((k = calloc(1, sizeof(*k))) == NULL)
		goto out;
	if ((k->path = strdup(full)) == NULL || key_copy(&k->key, key) != 0) {
		free(k->path);
		free(k);
		goto out;
	}
	k->refs = 1;
	k->next = vfs_keys;
	vfs_keys = k;
	rc = 0;
out:
	pthread_mutex_unlock(&vfs_lock);
	return rc;
}

void
vfs_crypt_detach(const char *path)
{
	char full[4097];
	struct vfs_key **pp, *k;

	if (vfs_full_path(path, full, sizeof(full)) != 0)
		return;
	pthread_mutex_lock(&vfs_lock);
	for (pp = &vfs_keys; (k = *pp) != NULL; pp = &k->next) {
		if (strcmp(k->path, full) != 0)
			continue;
		if (--k->refs == 0) {
			*pp = k->next;
			key_free(&k->key);
			free(k->path);
			free(k);
		}
		break;
	}
	pthread_mutex_unlock(&vfs_lock);
}

/* A new cipher context for the file's database, or NULL when none is attached. */
static struct aead *
vfs_lookup(const char *dbpath)
{
	struct vfs_key *k;
	struct aead *a = NULL;

	pthread_mutex_lock(&vfs_lock);
	for (k = vfs_keys; k != NULL; k = k->next)
		if (strcmp(k->path, dbpath) == 0) {
			a = aead_new(k->key.bytes);
			break;
		}
	pthread_mutex_unlock(&vfs_lock);
	return a;
}

/* ---- database pages ----
 *
 * Page layout: ciphertext of bytes [0, PAGE_DATA) | tag | nonce | zeros. For page 1,
 * bytes 16..23 stay in clear (and in the associated data) and the rest is encrypted as one
 * run, gathered and scattered around them.
 */

static void
put32(unsigned char *p, sqlite3_int64 v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static void
put64(unsigned char *p, sqlite3_int64 v)
{
	put32(p, v >> 32);
	put32(p + 4, v);
}

static int
all_zero(const unsigned char *p, size_t n)
{
	unsigned char acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

/* Associated data of a page: "cfv1", kind, page number, and for page 1 its clear bytes. */
static size_t
page_ad(unsigned char ad[20], sqlite3_int64 pgno, const unsigned char *clear)
{
	memcpy(ad, "cfv1", 4);
	ad[4] = KIND_DB;
	ad[5] = ad[6] = ad[7] = 0;
	put32(ad + 8, pgno);
	if (pgno != 1)
		return 12;
	memcpy(ad + 12, clear, 8);
	return 20;
}

/* Encrypts the page at data into out (PAGE bytes). */
static int
page_seal(struct cfile *f, const unsigned char *data, unsigned char *out, sqlite3_int64 pgno)
{
	unsigned char ad[20], *nonce = out + PAGE_DATA + AEAD_TAG_BYTES;
	size_t adlen = page_ad(ad, pgno, data + 16);

	aead_random_nonce(nonce);
	memset(nonce + AEAD_NONCE_BYTES, 0, VFS_CRYPT_RESERVE - OVERHEAD);
	if (pgno != 1)
		return aead_encrypt(f->aead, nonce, ad, adlen, data, PAGE_DATA, out);
	/* Page 1: encrypt [0,16) + [24,PAGE_DATA) as one run, then put the clear bytes back. */
	memcpy(f->plain, data, 16);
	memcpy(f->plain + 16, data + 24, PAGE_DATA - 24);
	if (aead_encrypt(f->aead, nonce, ad, adlen, f->plain, PAGE_DATA - 8, f->plain + PAGE) != 0)
		return ERR_CRYPTO;
	memcpy(out, f->plain + PAGE, 16);
	memcpy(out + 16, data + 16, 8);
	memcpy(out + 24, f->plain + PAGE + 16, PAGE_DATA - 24);
	memcpy(out + PAGE_DATA, f->plain + PAGE + PAGE_DATA - 8, AEAD_TAG_BYTES);
	return 0;
}

/* Decrypts the stored page at raw into out (PAGE bytes; the reserved bytes read as zero). */
static int
page_open(struct cfile *f, const unsigned char *raw, unsigned char *out, sqlite3_int64 pgno)
{
	unsigned char ad[20];
	const unsigned char *nonce = raw + PAGE_DATA + AEAD_TAG_BYTES;
	size_t adlen = page_ad(ad, pgno, raw + 16);
	int rc;

	/* The bytes after the nonce carry nothing and must stay zero: all bytes are checked. */
	if (!all_zero(nonce + AEAD_NONCE_BYTES, VFS_CRYPT_RESERVE - OVERHEAD))
		return ERR_CRYPTO;
	if (pgno != 1) {
		rc = aead_decrypt(f->aead, nonce, ad, adlen, raw, PAGE_DATA, out);
	} else {
		memcpy(f->plain + PAGE, raw, 16);
		memcpy(f->plain + PAGE + 16, raw + 24, PAGE_DATA - 24);
		memcpy(f->plain + PAGE + PAGE_DATA - 8, raw + PAGE_DATA, AEAD_TAG_BYTES);
		rc = aead_decrypt(f->aead, nonce, ad, adlen, f->plain + PAGE, PAGE_DATA - 8, f->plain);
		if (rc == 0) {
			memcpy(out + 16, raw + 16, 8);
			memcpy(out, f->plain, 16);
			memcpy(out + 24, f->plain + 16, PAGE_DATA - 24);
		}
	}
	memset(out + PAGE_DATA, 0, VFS_CRYPT_RESERVE);
	return rc;
}

static int
db_read(struct cfile *f, void *out, int amt, sqlite3_int64 off)
{
	sqlite3_int64 pgno = off / PAGE + 1;
	sqlite3_int64 start = (pgno - 1) * PAGE;
	int rc, whole = off % PAGE == 0 && amt == PAGE;

	/* A read inside one page (the 100-byte header, the change counter): decrypt it whole. */
	if (!whole && off - start + amt > PAGE)
		return SQLITE_IOERR_READ;
	rc = f->real->pMethods->xRead(f->real, f->buf, PAGE, start);
	if (rc == SQLITE_IOERR_SHORT_READ) {
		if (!all_zero(f->buf, PAGE))
			return SQLITE_IOERR_DATA;
		memset(out, 0, (size_t)amt);
		return rc;
	}
	if (rc != SQLITE_OK)
		return rc;
	if (whole)
		return page_open(f, f->buf, out, pgno) == 0 ? SQLITE_OK : SQLITE_IOERR_DATA;
	if (page_open(f, f->buf, f->buf, pgno) != 0)
		return SQLITE_IOERR_DATA;
	memcpy(out, f->buf + (off - start), (size_t)amt);
	return SQLITE_OK;
}

static int
db_write(struct cfile *f, const void *data, int amt, sqlite3_int64 off)
{
	const unsigned char *p = data;
	sqlite3_int64 pgno = off / PAGE + 1;

	/* Whole pages only, and only once SQLite keeps room for nonce and tag. */
	if (off % PAGE != 0 || amt != PAGE)
		return SQLITE_IOERR_WRITE;
	if (pgno == 1 && (p[16] != (PAGE >> 8) || p[17] != (PAGE & 0xff) ||
	    p[20] != VFS_CRYPT_RESERVE))
		return SQLITE_IOERR_WRITE;
	if (page_seal(f, p, f->buf, pgno) != 0)
		return SQLITE_IOERR_WRITE;
	return f->real->pMethods->xWrite(f->real, f->buf, PAGE, off);
}

/* ---- blockfile: WAL and journals ----
 *
 * The logical file is cut into blocks, each stored in its own 4096-byte slot (block b at
 * b * SLOT) as nonce | ciphertext | tag, the rest of the slot zero; the last slot may be
 * shorter. A slot never straddles a page, so a process killed mid-write leaves each block
 * old or new, never torn, and SQLite's own checksums see a torn frame as they always do.
 * WAL: block 0 is the 32-byte header; block 1 + i is frame i (24-byte header and page).
 * A page's reserved bytes are always zero in SQLite's hands (it never writes them; we
 * return them as zeros), so a frame is stored without them and fits one slot. A write that
 * puts anything else there is refused. Journal: blocks of BLOCK_DATA bytes.
 */

static sqlite3_int64
blk_start(const struct cfile *f, sqlite3_int64 b)
{
	if (f->kind != KIND_WAL)
		return b * BLOCK_DATA;
	return b == 0 ? 0 : WAL_HEADER + (b - 1) * WAL_FRAME;
}

/* Logical bytes a block spans, and how many of them are stored. */
static sqlite3_int64
blk_lcap(const struct cfile *f, sqlite3_int64 b)
{
	if (f->kind != KIND_WAL)
		return BLOCK_DATA;
	return b == 0 ? WAL_HEADER : WAL_FRAME;
}

static sqlite3_int64
blk_scap(const struct cfile *f, sqlite3_int64 b)
{
	if (f->kind != KIND_WAL)
		return BLOCK_DATA;
	return b == 0 ? WAL_HEADER : WAL_FRAME_STORED;
}

static sqlite3_int64
blk_index(const struct cfile *f, sqlite3_int64 off)
{
	if (f->kind != KIND_WAL)
		return off / BLOCK_DATA;
	return off < WAL_HEADER ? 0 : 1 + (off - WAL_HEADER) / WAL_FRAME;
}

/* Logical length of block b holding n stored bytes: a whole frame includes its reserve. */
static sqlite3_int64
blk_logical_len(const struct cfile *f, sqlite3_int64 b, sqlite3_int64 n)
{
	return n == blk_scap(f, b) ? blk_lcap(f, b) : n;
}

/* Logical size from the physical one; -1 when the tail cannot be a block. */
static sqlite3_int64
blk_logical_size(const struct cfile *f, sqlite3_int64 phys)
{
	sqlite3_int64 last = phys / SLOT, n = phys % SLOT;

	if (phys == 0)
		return 0;
	if (n == 0) {           /* the last slot is full to the byte */
		last--;
		n = SLOT;
	}
	n -= OVERHEAD;
	if (n <= 0 || n > blk_scap(f, last))
		return -1;
	return blk_start(f, last) + blk_logical_len(f, last, n);
}

static int
blk_size(struct cfile *f, sqlite3_int64 *logical)
{
	sqlite3_int64 phys;
	int rc = f->real->pMethods->xFileSize(f->real, &phys);

	if (rc != SQLITE_OK)
		return rc;
	f->phys = phys;
	*logical = blk_logical_size(f, phys);
	return *logical < 0 ? SQLITE_IOERR_DATA : SQLITE_OK;
}

static void
blk_ad(const struct cfile *f, unsigned char ad[16], sqlite3_int64 b)
{
	memcpy(ad, "cfv1", 4);
	ad[4] = (unsigned char)f->kind;
	ad[5] = ad[6] = ad[7] = 0;
	put64(ad + 8, b);
}

/*
 * Reads block b (n stored bytes) and decrypts it into f->plain, then zeroes the rest of
 * f->plain up to the block's logical size. The rest of its slot must be zero: no byte of
 * the file escapes authentication.
 */
static int
blk_load(struct cfile *f, sqlite3_int64 b, sqlite3_int64 n)
{
	unsigned char ad[16];
	sqlite3_int64 slot = f->phys - b * SLOT;
	int rc;

	memset(f->plain + n, 0, (size_t)(blk_lcap(f, b) - n));
	if (n == 0)
		return SQLITE_OK;
	if (slot > SLOT)
		slot = SLOT;
	if (slot < n + OVERHEAD)
		return SQLITE_IOERR_DATA;
	rc = f->real->pMethods->xRead(f->real, f->buf, (int)slot, b * SLOT);
	if (rc == SQLITE_IOERR_SHORT_READ)
		return SQLITE_IOERR_DATA;
	if (rc != SQLITE_OK)
		return rc;
	if (!all_zero(f->buf + n + OVERHEAD, (size_t)(slot - n - OVERHEAD)))
		return SQLITE_IOERR_DATA;
	blk_ad(f, ad, b);
	if (aead_decrypt(f->aead, f->buf, ad, sizeof(ad), f->buf + AEAD_NONCE_BYTES, (size_t)n,
	    f->plain) != 0)
		return SQLITE_IOERR_DATA;
	return SQLITE_OK;
}

/* Encrypts the first n bytes of f->plain as block b and writes its slot. */
static int
blk_store(struct cfile *f, sqlite3_int64 b, sqlite3_int64 n)
{
	unsigned char ad[16];

	blk_ad(f, ad, b);
	aead_random_nonce(f->buf);
	if (aead_encrypt(f->aead, f->buf, ad, sizeof(ad), f->plain, (size_t)n,
	    f->buf + AEAD_NONCE_BYTES) != 0)
		return SQLITE_IOERR_WRITE;
	if (b * SLOT + n + OVERHEAD > f->phys)
		f->phys = b * SLOT + n + OVERHEAD;
	return f->real->pMethods->xWrite(f->real, f->buf, (int)(n + OVERHEAD), b * SLOT);
}

/* Stored bytes of block b when the file's logical size is size. */
static sqlite3_int64
blk_stored(const struct cfile *f, sqlite3_int64 b, sqlite3_int64 size)
{
	sqlite3_int64 have = size - blk_start(f, b);

	if (have <= 0)
		return 0;
	return have > blk_scap(f, b) ? blk_scap(f, b) : have;
}

static int
blk_read(struct cfile *f, void *out, int amt, sqlite3_int64 off)
{
	unsigned char *dst = out;
	sqlite3_int64 size, end = off + amt;
	int rc = blk_size(f, &size);

	if (rc != SQLITE_OK)
		return rc;
	while (off < end) {
		sqlite3_int64 b = blk_index(f, off), s = blk_start(f, b);
		sqlite3_int64 n = blk_stored(f, b, size), len, take;

		len = blk_logical_len(f, b, n);
		if (len <= off - s) {
			memset(dst, 0, (size_t)(end - off));
			return SQLITE_IOERR_SHORT_READ;
		}
		if ((rc = blk_load(f, b, n)) != SQLITE_OK)
			return rc;
		take = (s + len < end ? s + len : end) - off;
		memcpy(dst, f->plain + (off - s), (size_t)take);
		dst += take;
		off += take;
	}
	return SQLITE_OK;
}

static int blk_write(struct cfile *f, const void *data, int amt, sqlite3_int64 off);

/* Zero-fills the logical range [from, to) so no block is ever missing on disk. */
static int
blk_fill(struct cfile *f, sqlite3_int64 from, sqlite3_int64 to)
{
	static const unsigned char zeros[4096];
	int rc;

	while (from < to) {
		int n = to - from > (sqlite3_int64)sizeof(zeros) ? (int)sizeof(zeros) : (int)(to - from);
		if ((rc = blk_write(f, zeros, n, from)) != SQLITE_OK)
			return rc;
		from += n;
	}
	return SQLITE_OK;
}

static int
blk_write(struct cfile *f, const void *data, int amt, sqlite3_int64 off)
{
	const unsigned char *src = data;
	sqlite3_int64 size, end = off + amt;
	int rc = blk_size(f, &size);

	if (rc != SQLITE_OK)
		return rc;
	if (off > size && (rc = blk_fill(f, size, off)) != SQLITE_OK)
		return rc;
	if (off > size)
		size = off;
	while (off < end) {
		sqlite3_int64 b = blk_index(f, off), s = blk_start(f, b), scap = blk_scap(f, b);
		sqlite3_int64 lcap = blk_lcap(f, b), n = blk_stored(f, b, size);
		sqlite3_int64 have = blk_logical_len(f, b, n);
		sqlite3_int64 wend = end < s + lcap ? end : s + lcap, stored_end;

		/* Keep what the block holds outside the written range. */
		if (n > 0 && (off > s || wend < s + have) && (rc = blk_load(f, b, n)) != SQLITE_OK)
			return rc;
		if (n == 0)
			memset(f->plain, 0, (size_t)lcap);
		memcpy(f->plain + (off - s), src, (size_t)(wend - off));
		/* A frame's reserved bytes are not stored: they must be zero. */
		if (wend - s > scap && !all_zero(f->plain + scap, (size_t)(wend - s - scap)))
			return SQLITE_IOERR_WRITE;
		stored_end = wend - s > scap ? scap : wend - s;
		if (stored_end < n)
			stored_end = n;
		if ((rc = blk_store(f, b, stored_end)) != SQLITE_OK)
			return rc;
		if (s + blk_logical_len(f, b, stored_end) > size)
			size = s + blk_logical_len(f, b, stored_end);
		src += wend - off;
		off = wend;
	}
	return SQLITE_OK;
}

/*
 * SQLite writes a WAL frame as its 24-byte header then its page. The header is held back
 * until the page follows, so the frame is written as two whole blocks with nothing to
 * read back; anything else touching the file writes a held header out first.
 */
static int
wal_flush(struct cfile *f)
{
	int rc;

	if (f->held_len == 0)
		return SQLITE_OK;
	rc = blk_write(f, f->held, f->held_len, f->held_off);
	if (rc == SQLITE_OK)
		f->held_len = 0;        /* on failure keep it: the next operation retries */
	return rc;
}

static int
wal_write(struct cfile *f, const void *data, int amt, sqlite3_int64 off)
{
	int rc;

	/*
	 * Only a new frame's header is held (walWriteOneFrame writes its page next). A header
	 * rewritten in place (walRewriteChecksums reads the frame, then writes its header only)
	 * goes to disk at once: held, the last one would miss the commit it belongs to.
	 */
	if (amt == WAL_FRAME_HEADER && off >= WAL_HEADER && (off - WAL_HEADER) % WAL_FRAME == 0 &&
	    off != f->last_read) {
		if ((rc = wal_flush(f)) != SQLITE_OK)
			return rc;
		memcpy(f->held, data, WAL_FRAME_HEADER);
		f->held_off = off;
		f->held_len = WAL_FRAME_HEADER;
		return SQLITE_OK;
	}
	if (f->held_len != 0 && amt == PAGE && off == f->held_off + WAL_FRAME_HEADER) {
		unsigned char *frame = f->frame;
		memcpy(frame, f->held, WAL_FRAME_HEADER);
		memcpy(frame + WAL_FRAME_HEADER, data, PAGE);
		f->held_len = 0;
		return blk_write(f, frame, WAL_FRAME, off - WAL_FRAME_HEADER);
	}
	if ((rc = wal_flush(f)) != SQLITE_OK)
		return rc;
	return blk_write(f, data, amt, off);
}

static int
blk_truncate(struct cfile *f, sqlite3_int64 size)
{
	sqlite3_int64 cur, b, s, n;
	int rc = blk_size(f, &cur);

	if (rc != SQLITE_OK)
		return rc;
	if (size >= cur)
		return SQLITE_OK;
	if (size == 0)
		return f->real->pMethods->xTruncate(f->real, 0);
	b = blk_index(f, size);
	s = blk_start(f, b);
	if (size == s)
		return f->real->pMethods->xTruncate(f->real, b * SLOT);
	/*
	 * The new last block is partial: re-encrypt what remains of it. Cut the file first, so
	 * that a kill in between leaves a short block that fails cleanly, never stale bytes
	 * after a valid one.
	 */
	n = blk_stored(f, b, cur);
	if ((rc = blk_load(f, b, n)) != SQLITE_OK)
		return rc;
	n = blk_stored(f, b, size);
	if ((rc = f->real->pMethods->xTruncate(f->real, b * SLOT + n + OVERHEAD)) != SQLITE_OK)
		return rc;
	f->phys = b * SLOT + n + OVERHEAD;
	return blk_store(f, b, n);
}

/* ---- io methods ---- */

static int
c_close(sqlite3_file *pf)
{
	struct cfile *f = (struct cfile *)pf;
	int rc = f->kind == KIND_WAL ? wal_flush(f) : SQLITE_OK;
	int rc2 = f->real->pMethods ? f->real->pMethods->xClose(f->real) : SQLITE_OK;

	if (rc == SQLITE_OK)
		rc = rc2;
	aead_free(f->aead);
	f->aead = NULL;
	sodium_memzero(f->plain, sizeof(f->plain));
	sodium_memzero(f->frame, sizeof(f->frame));
	return rc;
}

static int
c_read(sqlite3_file *pf, void *out, int amt, sqlite3_int64 off)
{
	struct cfile *f = (struct cfile *)pf;
	int rc;

	if (f->kind == KIND_DB)
		return db_read(f, out, amt, off);
	if ((rc = wal_flush(f)) != SQLITE_OK)
		return rc;
	f->last_read = off;
	return blk_read(f, out, amt, off);
}

static int
c_write(sqlite3_file *pf, const void *data, int amt, sqlite3_int64 off)
{
	struct cfile *f = (struct cfile *)pf;
	int rc;

	if (f->kind == KIND_DB)
		return db_write(f, data, amt, off);
	if (f->kind == KIND_WAL) {
		rc = wal_write(f, data, amt, off);
		f->last_read = -1;
		return rc;
	}
	return blk_write(f, data, amt, off);
}

static int
c_truncate(sqlite3_file *pf, sqlite3_int64 size)
{
	struct cfile *f = (struct cfile *)pf;
	int rc;

	if (f->kind == KIND_DB)
		return f->real->pMethods->xTruncate(f->real, size);
	if ((rc = wal_flush(f)) != SQLITE_OK)
		return rc;
	return blk_truncate(f, size);
}

static int
c_sync(sqlite3_file *pf, int flags)
{
	struct cfile *f = (struct cfile *)pf;
	int rc = wal_flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xSync(f->real, flags);
}

static int
c_file_size(sqlite3_file *pf, sqlite3_int64 *size)
{
	struct cfile *f = (struct cfile *)pf;
	int rc;

	if (f->kind == KIND_DB)
		return f->real->pMethods->xFileSize(f->real, size);
	if ((rc = wal_flush(f)) != SQLITE_OK)
		return rc;
	return blk_size(f, size);
}

#define PASS(name, proto, args)                                        \
	static int name proto                                          \
	{                                                              \
		struct cfile *f = (struct cfile *)pf;                  \
		return f->real->pMethods->args;                        \
	}

PASS(c_lock, (sqlite3_file *pf, int l), xLock(f->real, l))
PASS(c_unlock, (sqlite3_file *pf, int l), xUnlock(f->real, l))
PASS(c_check_reserved, (sqlite3_file *pf, int *out), xCheckReservedLock(f->real, out))
PASS(c_sector_size, (sqlite3_file *pf), xSectorSize(f->real))
PASS(c_device_chars, (sqlite3_file *pf), xDeviceCharacteristics(f->real))
PASS(c_shm_map, (sqlite3_file *pf, int pg, int pgsz, int extend, void volatile **pp),
    xShmMap(f->real, pg, pgsz, extend, pp))
PASS(c_shm_lock, (sqlite3_file *pf, int offset, int n, int flags),
    xShmLock(f->real, offset, n, flags))
PASS(c_shm_unmap, (sqlite3_file *pf, int del), xShmUnmap(f->real, del))

static void
c_shm_barrier(sqlite3_file *pf)
{
	struct cfile *f = (struct cfile *)pf;

	f->real->pMethods->xShmBarrier(f->real);
}

static int
c_file_control(sqlite3_file *pf, int op, void *arg)
{
	struct cfile *f = (struct cfile *)pf;

	/* Memory-mapped I/O would bypass decryption; the methods below have no xFetch anyway. */
	if (op == SQLITE_FCNTL_MMAP_SIZE) {
		*(sqlite3_int64 *)arg = 0;
		return SQLITE_OK;
	}
	/* Pre-allocation would leave unauthenticated zeros inside a block file. */
	if (f->kind != KIND_DB && (op == SQLITE_FCNTL_SIZE_HINT || op == SQLITE_FCNTL_CHUNK_SIZE))
		return SQLITE_OK;
	if (op == SQLITE_FCNTL_VFSNAME) {
		*(char **)arg = sqlite3_mprintf("%s", VFS_CRYPT_NAME);
		return SQLITE_OK;
	}
	return f->real->pMethods->xFileControl(f->real, op, arg);
}

/* Version 2: shared memory for WAL, no xFetch/xUnfetch, so no memory mapping. */
static const sqlite3_io_methods cfile_methods = {
	2, c_close, c_read, c_write, c_truncate, c_sync, c_file_size, c_lock, c_unlock,
	c_check_reserved, c_file_control, c_sector_size, c_device_chars, c_shm_map, c_shm_lock,
	c_shm_barrier, c_shm_unmap, NULL, NULL,
};

static int
c_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *pf, int flags, int *out_flags)
{
	struct cfile *f = (struct cfile *)pf;
	const char *dbname;
	int rc;

	memset(f, 0, sizeof(*f));
	f->real = (sqlite3_file *)(f + 1);
	f->last_read = -1;
	if (name == NULL)
		return SQLITE_CANTOPEN;
	if (flags & SQLITE_OPEN_MAIN_DB) {
		f->kind = KIND_DB;
		dbname = name;
	} else if (flags & SQLITE_OPEN_WAL) {
		f->kind = KIND_WAL;
		dbname = sqlite3_filename_database(name);
	} else if (flags & SQLITE_OPEN_MAIN_JOURNAL) {
		f->kind = KIND_JOURNAL;
		dbname = sqlite3_filename_database(name);
	} else {
		/* temp databases, sub-journals, super-journals: never on disk here */
		return SQLITE_CANTOPEN;
	}
	if ((f->aead = vfs_lookup(dbname)) == NULL)
		return SQLITE_CANTOPEN;
	rc = ROOT(vfs)->xOpen(ROOT(vfs), name, f->real, flags, out_flags);
	if (rc != SQLITE_OK) {
		aead_free(f->aead);
		f->aead = NULL;
		return rc;
	}
	pf->pMethods = &cfile_methods;
	return SQLITE_OK;
}

#define VPASS(name, proto, args) \
	static int name proto { return ROOT(vfs)->args; }

VPASS(v_delete, (sqlite3_vfs *vfs, const char *n, int sync), xDelete(ROOT(vfs), n, sync))
VPASS(v_access, (sqlite3_vfs *vfs, const char *n, int flags, int *out),
    xAccess(ROOT(vfs), n, flags, out))
VPASS(v_full_path, (sqlite3_vfs *vfs, const char *n, int sz, char *out),
    xFullPathname(ROOT(vfs), n, sz, out))
VPASS(v_randomness, (sqlite3_vfs *vfs, int n, char *out), xRandomness(ROOT(vfs), n, out))
VPASS(v_sleep, (sqlite3_vfs *vfs, int us), xSleep(ROOT(vfs), us))
VPASS(v_current_time, (sqlite3_vfs *vfs, double *t), xCurrentTime(ROOT(vfs), t))
VPASS(v_last_error, (sqlite3_vfs *vfs, int n, char *out), xGetLastError(ROOT(vfs), n, out))
VPASS(v_current_time64, (sqlite3_vfs *vfs, sqlite3_int64 *t), xCurrentTimeInt64(ROOT(vfs), t))

static pthread_once_t vfs_once = PTHREAD_ONCE_INIT;

static void
vfs_do_register(void)
{
	sqlite3_vfs *root = sqlite3_vfs_find(NULL);

	if (root == NULL)
		return;
	vfs_crypt.iVersion = 2;
	vfs_crypt.szOsFile = (int)sizeof(struct cfile) + root->szOsFile;
	vfs_crypt.mxPathname = root->mxPathname;
	vfs_crypt.zName = VFS_CRYPT_NAME;
	vfs_crypt.pAppData = root;
	vfs_crypt.xOpen = c_open;
	vfs_crypt.xDelete = v_delete;
	vfs_crypt.xAccess = v_access;
	vfs_crypt.xFullPathname = v_full_path;
	vfs_crypt.xRandomness = v_randomness;
	vfs_crypt.xSleep = v_sleep;
	vfs_crypt.xCurrentTime = v_current_time;
	vfs_crypt.xGetLastError = v_last_error;
	vfs_crypt.xCurrentTimeInt64 = v_current_time64;
	if (sqlite3_vfs_register(&vfs_crypt, 0) == SQLITE_OK)
		vfs_registered = 1;
}

int
vfs_crypt_register(void)
{
	pthread_once(&vfs_once, vfs_do_register);
	return vfs_registered ? 0 : ERR_INTERNAL;
}
