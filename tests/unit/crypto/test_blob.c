/* Encrypted blob streams: round trips and every kind of tampering. */
#include "../test.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>

#include "common/err.h"
#include "common/fsutil.h"
#include "crypto/blob.h"

#define CANARY "CANARY-blob-41d2-never-plaintext"
#define SLOT (12 + BLOB_CHUNK + 16)

struct fx {
	char *dir;
	struct key key, other;
	unsigned char *data;
	size_t len;
	char id[BLOB_ID_LEN + 1], path[600];
};

static int
setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	if (sodium_init() < 0)
		return -1;
	fx->dir = test_tmpdir();
	key_random(&fx->key);
	key_random(&fx->other);
	/* Three chunks: two full, one partial; the canary repeats throughout. */
	fx->len = 2 * BLOB_CHUNK + 1000;
	fx->data = malloc(3 * BLOB_CHUNK);      /* room for the largest round trip below */
	for (size_t i = 0; i < 3 * BLOB_CHUNK; i++)
		fx->data[i] = (unsigned char)CANARY[i % strlen(CANARY)];
	if (blob_put(fx->dir, &fx->key, fx->data, fx->len, fx->id) != 0)
		return -1;
	snprintf(fx->path, sizeof(fx->path), "%s/%s", fx->dir, fx->id);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	key_free(&fx->key);
	key_free(&fx->other);
	free(fx->data);
	test_rmtree(fx->dir);
	free(fx);
	return 0;
}

static int
get(struct fx *fx, const struct key *k, const char *id)
{
	unsigned char *out = NULL;
	size_t len = 0;
	int rc = blob_get(fx->dir, k, id, 1 << 24, &out, &len);

	if (rc == 0) {
		assert_int_equal(len, fx->len);
		assert_memory_equal(out, fx->data, len);
	}
	free(out);
	return rc;
}

static unsigned char *
raw(const char *path, size_t *len)
{
	char *buf;

	assert_int_equal(fs_read_all(path, 1 << 24, 0, &buf, len), 0);
	return (unsigned char *)buf;
}

static void
put_raw(const char *path, const unsigned char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_TRUNC);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static void
test_round_trip_and_no_plaintext(void **state)
{
	struct fx *fx = *state;
	size_t len;
	unsigned char *f = raw(fx->path, &len);
	char id2[BLOB_ID_LEN + 1];
	const size_t sizes[] = { 0, 1, BLOB_CHUNK - 1, BLOB_CHUNK, BLOB_CHUNK + 1, 3 * BLOB_CHUNK };

	assert_int_equal(get(fx, &fx->key, fx->id), 0);
	assert_true(blob_id_valid(fx->id));
	assert_null(memmem(f, len, CANARY, strlen(CANARY)));
	assert_null(memmem(f, len, "CANARY", 6));
	free(f);
	/* Same content, different name: ids are random, not content hashes. */
	assert_int_equal(blob_put(fx->dir, &fx->key, fx->data, fx->len, id2), 0);
	assert_string_not_equal(id2, fx->id);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		unsigned char *out;
		size_t n;
		char id[BLOB_ID_LEN + 1];
		assert_int_equal(blob_put(fx->dir, &fx->key, fx->data, sizes[i], id), 0);
		assert_int_equal(blob_get(fx->dir, &fx->key, id, 1 << 24, &out, &n), 0);
		assert_int_equal(n, sizes[i]);
		if (n > 0)
			assert_memory_equal(out, fx->data, n);
		free(out);
		assert_int_equal(blob_delete(fx->dir, id), 0);
	}
	assert_int_equal(blob_delete(fx->dir, id2), 0);
	assert_int_equal(blob_delete(fx->dir, id2), ERR_NOTFOUND);
}

static void
test_wrong_key_name_and_ids(void **state)
{
	struct fx *fx = *state;
	char moved[600], other_id[BLOB_ID_LEN + 1];
	unsigned char *out;
	size_t n;

	assert_int_equal(get(fx, &fx->other, fx->id), ERR_CRYPTO);
	memset(other_id, 'a', BLOB_ID_LEN);
	other_id[BLOB_ID_LEN] = '\0';
	snprintf(moved, sizeof(moved), "%s/%s", fx->dir, other_id);
	assert_int_equal(rename(fx->path, moved), 0);
	assert_int_equal(get(fx, &fx->key, other_id), ERR_CRYPTO);     /* the id is bound */
	assert_int_equal(rename(moved, fx->path), 0);
	assert_int_equal(blob_get(fx->dir, &fx->key, "../../etc/passwd", 100, &out, &n),
	    ERR_INVALID);
	assert_int_equal(blob_get(fx->dir, &fx->key, "ABCDEF", 100, &out, &n), ERR_INVALID);
	assert_int_equal(blob_delete(fx->dir, "../x"), ERR_INVALID);
	assert_int_equal(blob_get(fx->dir, &fx->key, fx->id, 1000, &out, &n), ERR_TOOBIG);
}

static void
test_tampering_is_detected(void **state)
{
	struct fx *fx = *state;
	size_t len;
	unsigned char *orig = raw(fx->path, &len), *t = malloc(len + SLOT);
	const size_t c0 = 16, c1 = 16 + SLOT, c2 = 16 + 2 * SLOT;

	assert_int_equal(len, 16 + 2 * SLOT + 12 + 1000 + 16);
	/* Any flipped byte: header, nonce, ciphertext, tag, in any chunk. */
	const size_t flips[] = { 0, 9, c0, c0 + 12, c0 + 5000, c1 - 1, c1 + 100, c2 + 20, len - 1 };
	for (size_t i = 0; i < sizeof(flips) / sizeof(flips[0]); i++) {
		memcpy(t, orig, len);
		t[flips[i]] ^= 0x01;
		put_raw(fx->path, t, len);
		assert_int_equal(get(fx, &fx->key, fx->id), ERR_CRYPTO);
	}
	/* Two chunks swapped. */
	memcpy(t, orig, len);
	memcpy(t + c0, orig + c1, SLOT);
	memcpy(t + c1, orig + c0, SLOT);
	put_raw(fx->path, t, len);
	assert_int_equal(get(fx, &fx->key, fx->id), ERR_CRYPTO);
	/* Truncated at a chunk boundary, inside a chunk, to the header only. */
	put_raw(fx->path, orig, c2);
	assert_int_equal(get(fx, &fx->key, fx->id), ERR_CRYPTO);
	put_raw(fx->path, orig, c2 + 500);
	assert_int_equal(get(fx, &fx->key, fx->id), ERR_CRYPTO);
	put_raw(fx->path, orig, 16);
	assert_int_equal(get(fx, &fx->key, fx->id), ERR_CRYPTO);
	/* Extended with a copy of a chunk. */
	memcpy(t, orig, len);
	memcpy(t + len, orig + c0, SLOT);
	put_raw(fx->path, t, len + SLOT);
	assert_int_equal(get(fx, &fx->key, fx->id), ERR_CRYPTO);
	put_raw(fx->path, orig, len);
	assert_int_equal(get(fx, &fx->key, fx->id), 0);
	free(orig);
	free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip_and_no_plaintext, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_key_name_and_ids, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tampering_is_detected, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
