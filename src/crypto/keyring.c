#include "crypto/keyring.h"

#include <sodium.h>

#include "common/err.h"
#include "common/fsutil.h"

int
keyring_create_master(const char *path)
{
	unsigned char *key = NULL;
	char *hex = NULL;
	const size_t hexlen = 2 * KEYRING_KEY_BYTES + 1;
	int rc = ERR_NOMEM;

	key = sodium_malloc(KEYRING_KEY_BYTES);
	hex = sodium_malloc(hexlen + 1);
	if (key == NULL || hex == NULL)
		goto out;
	randombytes_buf(key, KEYRING_KEY_BYTES);
	sodium_bin2hex(hex, hexlen, key, KEYRING_KEY_BYTES);
	hex[hexlen - 1] = '\n';
	rc = fs_write_new(path, hex, hexlen, 0600);
out:
	if (key != NULL) {
		sodium_memzero(key, KEYRING_KEY_BYTES);
		sodium_free(key);
	}
	if (hex != NULL) {
		sodium_memzero(hex, hexlen + 1);
		sodium_free(hex);
	}
	return rc;
}
