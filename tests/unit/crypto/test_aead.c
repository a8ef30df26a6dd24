/* AES-256-GCM known answers (GCM specification test cases 13-16, as in NIST SP 800-38D
 * validation) and HKDF / DEK wrapping behaviour. */
#include "../test.h"

#include <sodium.h>

#include "common/err.h"
#include "crypto/aead.h"
#include "crypto/keyring.h"

static size_t
unhex(const char *hex, unsigned char *out, size_t cap)
{
	size_t len = 0;

	assert_int_equal(sodium_hex2bin(out, cap, hex, strlen(hex), NULL, &len, NULL), 0);
	return len;
}

struct kat {
	const char *key, *iv, *pt, *aad, *ct, *tag;
};

static const struct kat kats[] = {
	{ "0000000000000000000000000000000000000000000000000000000000000000",
	  "000000000000000000000000", "", "", "", "530f8afbc74536b9a963b4f1c4cb738b" },
	{ "0000000000000000000000000000000000000000000000000000000000000000",
	  "000000000000000000000000", "00000000000000000000000000000000", "",
	  "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919" },
	{ "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
	  "cafebabefacedbaddecaf888",
	  "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
	  "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255", "",
	  "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
	  "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad",
	  "b094dac5d93471bdec1a502270e3cc6c" },
	{ "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
	  "cafebabefacedbaddecaf888",
	  "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
	  "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
	  "feedfacedeadbeeffeedfacedeadbeefabaddad2",
	  "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
	  "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
	  "76fc6ece0f4e1768cddf8853bb2d551b" },
};

static void
test_gcm_known_answers(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(kats) / sizeof(kats[0]); i++) {
		unsigned char key[32], iv[12], pt[64], aad[32], ct[64], tag[16], out_tag[16];
		size_t ptlen = unhex(kats[i].pt, pt, sizeof(pt));
		size_t aadlen = unhex(kats[i].aad, aad, sizeof(aad));
		struct aead *a;

		unhex(kats[i].key, key, sizeof(key));
		unhex(kats[i].iv, iv, sizeof(iv));
		assert_int_equal(unhex(kats[i].ct, ct, sizeof(ct)), ptlen);
		unhex(kats[i].tag, tag, sizeof(tag));
		a = aead_new(key);
		assert_non_null(a);
		assert_int_equal(aead_seal(a, iv, aadlen ? aad : NULL, aadlen, pt, ptlen, out_tag), 0);
		assert_memory_equal(pt, ct, ptlen);
		assert_memory_equal(out_tag, tag, 16);
		assert_int_equal(aead_open(a, iv, aadlen ? aad : NULL, aadlen, pt, ptlen, tag), 0);
		unhex(kats[i].pt, ct, sizeof(ct));
		assert_memory_equal(pt, ct, ptlen);
		/* A flipped tag bit, ciphertext bit or associated-data bit is refused. */
		aead_seal(a, iv, aadlen ? aad : NULL, aadlen, pt, ptlen, out_tag);
		out_tag[15] ^= 1;
		assert_int_equal(aead_open(a, iv, aadlen ? aad : NULL, aadlen, pt, ptlen, out_tag),
		    ERR_CRYPTO);
		out_tag[15] ^= 1;
		if (ptlen > 0) {
			pt[0] ^= 1;
			assert_int_equal(aead_open(a, iv, aadlen ? aad : NULL, aadlen, pt, ptlen,
			    out_tag), ERR_CRYPTO);
			pt[0] ^= 1;
		}
		if (aadlen > 0) {
			aad[0] ^= 1;
			assert_int_equal(aead_open(a, iv, aad, aadlen, pt, ptlen, out_tag), ERR_CRYPTO);
		}
		aead_free(a);
	}
}

static void
test_hkdf_deterministic_and_separated(void **state)
{
	unsigned char a[32], b[32], c[32];
	unsigned char ikm[22];

	(void)state;
	memset(ikm, 0x0b, sizeof(ikm));
	assert_int_equal(kdf_derive(ikm, sizeof(ikm), "one", a, sizeof(a)), 0);
	assert_int_equal(kdf_derive(ikm, sizeof(ikm), "one", b, sizeof(b)), 0);
	assert_int_equal(kdf_derive(ikm, sizeof(ikm), "two", c, sizeof(c)), 0);
	assert_memory_equal(a, b, 32);                 /* deterministic */
	assert_memory_not_equal(a, c, 32);             /* separated by purpose */
}

static struct keyring *
ring(const char *dir, const char *name)
{
	char path[512];
	int err;
	struct keyring *kr;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(keyring_create_master(path), 0);
	kr = keyring_open_file(path, &err);
	assert_non_null(kr);
	return kr;
}

static void
test_dek_wrapping(void **state)
{
	char *dir = test_tmpdir();
	struct keyring *kr = ring(dir, "m1"), *other = ring(dir, "m2");
	struct key dek, kek, kek2, out;
	unsigned char w[KEYRING_WRAPPED_MAX], wb[KEYRING_WRAPPED_MAX];
	size_t wlen, wblen;

	(void)state;
	assert_int_equal(key_random(&dek), 0);
	assert_int_equal(key_random(&kek), 0);
	assert_int_equal(key_random(&kek2), 0);
	assert_int_equal(keyring_wrap_dek(kr, "t-1", 1, &dek, NULL, w, &wlen), 0);
	assert_false(keyring_wrapped_needs_kek(w, wlen));
	assert_int_equal(keyring_unwrap_dek(kr, "t-1", 1, w, wlen, NULL, &out), 0);
	assert_memory_equal(out.bytes, dek.bytes, 32);
	key_free(&out);
	/* Bound to tenant, version and master key. */
	assert_int_equal(keyring_unwrap_dek(kr, "t-2", 1, w, wlen, NULL, &out), ERR_CRYPTO);
	assert_int_equal(keyring_unwrap_dek(kr, "t-1", 2, w, wlen, NULL, &out), ERR_CRYPTO);
	assert_int_equal(keyring_unwrap_dek(other, "t-1", 1, w, wlen, NULL, &out), ERR_CRYPTO);
	assert_null(out.bytes);
	/* BYOK: both the master and the tenant's key-encryption key are needed. */
	assert_int_equal(keyring_wrap_dek(kr, "t-1", 1, &dek, &kek, wb, &wblen), 0);
	assert_true(keyring_wrapped_needs_kek(wb, wblen));
	assert_int_equal(keyring_unwrap_dek(kr, "t-1", 1, wb, wblen, NULL, &out), ERR_CRYPTO);
	assert_int_equal(keyring_unwrap_dek(kr, "t-1", 1, wb, wblen, &kek2, &out), ERR_CRYPTO);
	assert_int_equal(keyring_unwrap_dek(kr, "t-1", 1, wb, wblen, &kek, &out), 0);
	assert_memory_equal(out.bytes, dek.bytes, 32);
	key_free(&out);
	/* Stripping the BYOK flag does not help. */
	wb[1] = 0;
	assert_int_not_equal(keyring_unwrap_dek(kr, "t-1", 1, wb, wblen, NULL, &out), 0);
	key_free(&dek);
	key_free(&kek);
	key_free(&kek2);
	keyring_free(kr);
	keyring_free(other);
	test_rmtree(dir);
}

static void
test_master_from_environment(void **state)
{
	char *dir = test_tmpdir();
	int err;
	struct keyring *kr;

	(void)state;
	setenv(KEYRING_MASTER_ENV, "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
	    1);
	kr = keyring_open(dir, &err);
	assert_non_null(kr);
	keyring_free(kr);
	setenv(KEYRING_MASTER_ENV, "not-hex", 1);
	assert_null(keyring_open(dir, &err));
	assert_int_equal(err, ERR_INVALID);
	unsetenv(KEYRING_MASTER_ENV);
	assert_null(keyring_open(dir, &err));          /* no file either */
	test_rmtree(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gcm_known_answers),
		cmocka_unit_test(test_hkdf_deterministic_and_separated),
		cmocka_unit_test(test_dek_wrapping),
		cmocka_unit_test(test_master_from_environment),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
