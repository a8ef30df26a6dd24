#include "../test.h"

#include <sodium.h>
#include <sys/stat.h>

#include "common/err.h"
#include "common/fsutil.h"
#include "crypto/keyring.h"

static void
test_master_key_file(void **state)
{
	char *dir = test_tmpdir(), a[512], b[512], *ka, *kb;
	unsigned char bin[KEYRING_KEY_BYTES];
	size_t la, lb, binlen;
	struct stat st;

	(void)state;
	assert_true(sodium_init() >= 0);
	snprintf(a, sizeof(a), "%s/a.key", dir);
	snprintf(b, sizeof(b), "%s/b.key", dir);
	assert_int_equal(keyring_create_master(a), 0);
	assert_int_equal(keyring_create_master(b), 0);
	assert_int_equal(stat(a, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(fs_read_all(a, 1024, 1, &ka, &la), 0);
	assert_int_equal(fs_read_all(b, 1024, 1, &kb, &lb), 0);
	assert_int_equal(la, 65);
	assert_int_equal(sodium_hex2bin(bin, sizeof(bin), ka, 64, NULL, &binlen, NULL), 0);
	assert_int_equal(binlen, 32);
	assert_int_not_equal(memcmp(ka, kb, 64), 0);
	fs_free_secure(ka, la + 1);
	fs_free_secure(kb, lb + 1);
	/* An existing key is never overwritten. */
	assert_int_equal(keyring_create_master(a), ERR_EXISTS);
	test_rmtree(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_master_key_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
