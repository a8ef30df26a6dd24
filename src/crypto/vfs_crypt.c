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
#define BLOCK_DATA (SLOT - OVERHEAD)            /* logical bytes per block */
#define BLOCK_MAX PAGE

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
	unsigned char buf[BLOCK_MAX + OVERHEAD];
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

/* ---- database pages ---- */

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

/* Associated data of a page: "cfv1", kind, page number, and for page 1 its clear bytes. */
static size_t
page_ad(unsigned char ad[20], sqlite3_int64 pgno, const unsigned char *page)
{
	memcpy(ad, "cfv1", 4);
	ad[4] = KIND_DB;
	ad[5] = ad[6] = ad[7] = 0;
	put32(ad + 8, pgno);
	if (pgno != 1)
		return 12;
	memcpy(ad + 12, page + 16, 8);
	return 20;
}

/* Page 1 keeps bytes 16..23 readable: SQLite's page size and reserved-byte count. */
static int
page_iov(struct iovec iov[2], unsigned char *page, sqlite3_int64 pgno)
{
	if (pgno == 1) {
		iov[0].iov_base = page;
		iov[0].iov_len = 16;
		iov[1].iov_base = page + 24;
		iov[1].iov_len = PAGE_DATA - 24;
		return 2;
	}
	iov[0].iov_base = page;
	iov[0].iov_len = PAGE_DATA;
	return 1;
}

static int
page_seal(struct cfile *f, unsigned char *page, sqlite3_int64 pgno)
{
	unsigned char ad[20], *nonce = page + PAGE_DATA, *tag = nonce + AEAD_NONCE_BYTES;
	struct iovec iov[2];
	int n = page_iov(iov, page, pgno);
	size_t adlen = page_ad(ad, pgno, page);

	aead_random_nonce(nonce);
	memset(tag + AEAD_TAG_BYTES, 0, VFS_CRYPT_RESERVE - OVERHEAD);
	return aead_seal_iov(f->aead, nonce, ad, adlen, iov, n, tag);
}

static int
page_open(struct cfile *f, unsigned char *page, sqlite3_int64 pgno)
{
	unsigned char ad[20], nonce[AEAD_NONCE_BYTES], tag[AEAD_TAG_BYTES];
	struct iovec iov[2];
	int n = page_iov(iov, page, pgno);
	size_t adlen = page_ad(ad, pgno, page);

	memcpy(nonce, page + PAGE_DATA, AEAD_NONCE_BYTES);
	memcpy(tag, page + PAGE_DATA + AEAD_NONCE_BYTES, AEAD_TAG_BYTES);
	return aead_open_iov(f->aead, nonce, ad, adlen, iov, n, tag);
}

static int
all_zero(const unsigned char *p, size_t n)
{
	unsigned char acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

static int
db_read(struct cfile *f, void *out, int amt, sqlite3_int64 off)
{
	sqlite3_int64 pgno = off / PAGE + 1;
	sqlite3_int64 start = (pgno - 1) * PAGE;
	int rc;

	if (off % PAGE == 0 && amt == PAGE) {
		rc = f->real->pMethods->xRead(f->real, out, PAGE, off);
		if (rc == SQLITE_IOERR_SHORT_READ)
			return all_zero(out, PAGE) ? rc : SQLITE_IOERR_DATA;
		if (rc != SQLITE_OK)
			return rc;
		return page_open(f, out, pgno) == 0 ? SQLITE_OK : SQLITE_IOERR_DATA;
	}
	/* A read inside one page (the 100-byte header, the change counter): decrypt it whole. */
	if (off - start + amt > PAGE)
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
	if (page_open(f, f->buf, pgno) != 0)
		return SQLITE_IOERR_DATA;
	memcpy(out, f->buf + (off - start), (size_t)amt);
	return SQLITE_OK;
}

static int
db_write(struct cfile *f, const void *data, int amt, sqlite3_int64 off)
{
	sqlite3_int64 pgno = off / PAGE + 1;

	/* Whole pages only, and only once SQLite keeps room for nonce and tag. */
	if (off % PAGE != 0 || amt != PAGE)
		return SQLITE_IOERR_WRITE;
	memcpy(f->buf, data, PAGE);
	if (pgno == 1 && (f->buf[16] != (PAGE >> 8) || f->buf[17] != (PAGE & 0xff) ||
	    f->buf[20] != VFS_CRYPT_RESERVE))
		return SQLITE_IOERR_WRITE;
	if (page_seal(f, f->buf, pgno) != 0)
		return SQLITE_IOERR_WRITE;
	return f->real->pMethods->xWrite(f->real, f->buf, PAGE, off);
}

/* ---- blockfile: WAL and journals ----
 *
 * The logical file is cut into blocks of BLOCK_DATA bytes; block b lives in the 4096-byte
 * slot at b * SLOT as nonce | ciphertext | tag (the last slot may be shorter). A slot never
 * straddles a page, so a process killed mid-write leaves each block old or new, never torn,
 * and SQLite's own checksums then see a torn frame exactly as they would without us.
 */

static sqlite3_int64
blk_logical_size(sqlite3_int64 phys)
{
	sqlite3_int64 full = phys / SLOT, rem = phys % SLOT;

	if (rem != 0 && rem <= OVERHEAD)
		return -1;
	return full * BLOCK_DATA + (rem ? rem - OVERHEAD : 0);
}

static int
blk_size(struct cfile *f, sqlite3_int64 *logical)
{
	sqlite3_int64 phys;
	int rc = f->real->pMethods->xFileSize(f->real, &phys);

	if (rc != SQLITE_OK)
		return rc;
	*logical = blk_logical_size(phys);
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

/* Reads block b (len logical bytes) into f->buf + AEAD_NONCE_BYTES, decrypted. */
static int
blk_load(struct cfile *f, sqlite3_int64 b, sqlite3_int64 len)
{
	unsigned char ad[16], *p = f->buf;
	int rc;

	if (len == 0)
		return SQLITE_OK;
	rc = f->real->pMethods->xRead(f->real, p, (int)(len + OVERHEAD), b * SLOT);
	if (rc == SQLITE_IOERR_SHORT_READ)
		return SQLITE_IOERR_DATA;
	if (rc != SQLITE_OK)
		return rc;
	blk_ad(f, ad, b);
	if (aead_open(f->aead, p, ad, sizeof(ad), p + AEAD_NONCE_BYTES, (size_t)len,
	    p + AEAD_NONCE_BYTES + len) != 0)
		return SQLITE_IOERR_DATA;
	return SQLITE_OK;
}

/* Encrypts len bytes at f->buf + AEAD_NONCE_BYTES as block b and writes it. */
static int
blk_store(struct cfile *f, sqlite3_int64 b, sqlite3_int64 len)
{
	unsigned char ad[16], *p = f->buf;

	blk_ad(f, ad, b);
	aead_random_nonce(p);
	if (aead_seal(f->aead, p, ad, sizeof(ad), p + AEAD_NONCE_BYTES, (size_t)len,
	    p + AEAD_NONCE_BYTES + len) != 0)
		return SQLITE_IOERR_WRITE;
	return f->real->pMethods->xWrite(f->real, p, (int)(len + OVERHEAD), b * SLOT);
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
		sqlite3_int64 b = off / BLOCK_DATA, s = b * BLOCK_DATA;
		sqlite3_int64 len = size - s, take;

		if (len <= off - s) {
			memset(dst, 0, (size_t)(end - off));
			return SQLITE_IOERR_SHORT_READ;
		}
		if (len > BLOCK_DATA)
			len = BLOCK_DATA;
		if ((rc = blk_load(f, b, len)) != SQLITE_OK)
			return rc;
		take = (s + len < end ? s + len : end) - off;
		memcpy(dst, f->buf + AEAD_NONCE_BYTES + (off - s), (size_t)take);
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
		sqlite3_int64 b = off / BLOCK_DATA, s = b * BLOCK_DATA, cap = BLOCK_DATA;
		sqlite3_int64 have = size - s, wend = end < s + cap ? end : s + cap, newlen;

		if (have < 0)
			have = 0;
		if (have > cap)
			have = cap;
		newlen = wend - s > have ? wend - s : have;
		/* Keep what the block holds outside the written range. */
		if (have > 0 && (off > s || wend < s + have) &&
		    (rc = blk_load(f, b, have)) != SQLITE_OK)
			return rc;
		memcpy(f->buf + AEAD_NONCE_BYTES + (off - s), src, (size_t)(wend - off));
		if ((rc = blk_store(f, b, newlen)) != SQLITE_OK)
			return rc;
		if (s + newlen > size)
			size = s + newlen;
		src += wend - off;
		off = wend;
	}
	return SQLITE_OK;
}

static int
blk_truncate(struct cfile *f, sqlite3_int64 size)
{
	sqlite3_int64 cur, b, s;
	int rc = blk_size(f, &cur);

	if (rc != SQLITE_OK)
		return rc;
	if (size >= cur)
		return SQLITE_OK;
	if (size == 0)
		return f->real->pMethods->xTruncate(f->real, 0);
	b = size / BLOCK_DATA;
	s = b * BLOCK_DATA;
	if (size > s) {
		/* The new last block is partial: re-encrypt what remains of it. */
		sqlite3_int64 have = cur - s < BLOCK_DATA ? cur - s : BLOCK_DATA;
		if ((rc = blk_load(f, b, have)) != SQLITE_OK ||
		    (rc = blk_store(f, b, size - s)) != SQLITE_OK)
			return rc;
		return f->real->pMethods->xTruncate(f->real, b * SLOT + (size - s) + OVERHEAD);
	}
	return f->real->pMethods->xTruncate(f->real, b * SLOT);
}

/* ---- io methods ---- */

static int
c_close(sqlite3_file *pf)
{
	struct cfile *f = (struct cfile *)pf;
	int rc = f->real->pMethods ? f->real->pMethods->xClose(f->real) : SQLITE_OK;

	aead_free(f->aead);
	f->aead = NULL;
	sodium_memzero(f->buf, sizeof(f->buf));
	return rc;
}

static int
c_read(sqlite3_file *pf, void *out, int amt, sqlite3_int64 off)
{
	struct cfile *f = (struct cfile *)pf;

	return f->kind == KIND_DB ? db_read(f, out, amt, off) : blk_read(f, out, amt, off);
}

static int
c_write(sqlite3_file *pf, const void *data, int amt, sqlite3_int64 off)
{
	struct cfile *f = (struct cfile *)pf;

	return f->kind == KIND_DB ? db_write(f, data, amt, off) : blk_write(f, data, amt, off);
}

static int
c_truncate(sqlite3_file *pf, sqlite3_int64 size)
{
	struct cfile *f = (struct cfile *)pf;

	if (f->kind == KIND_DB)
		return f->real->pMethods->xTruncate(f->real, size);
	return blk_truncate(f, size);
}

static int
c_sync(sqlite3_file *pf, int flags)
{
	struct cfile *f = (struct cfile *)pf;

	return f->real->pMethods->xSync(f->real, flags);
}

static int
c_file_size(sqlite3_file *pf, sqlite3_int64 *size)
{
	struct cfile *f = (struct cfile *)pf;

	if (f->kind == KIND_DB)
		return f->real->pMethods->xFileSize(f->real, size);
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
