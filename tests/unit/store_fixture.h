/*
 * store_fixture.h: a fresh data folder with its master key and its system database, the
 * starting point of unit tests that open tenants and vaults (header-only, like test.h).
 */
#ifndef COFFRE_TEST_STORE_FIXTURE_H
#define COFFRE_TEST_STORE_FIXTURE_H

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/fsutil.h"
#include "crypto/keyring.h"
#include "store/system.h"
#include "test.h"

/* A new temporary folder in *dir (free it with test_rmtree and free) holding keys/master.key,
 * and its system database opened; NULL on failure. The environment's master key is ignored. */
static inline struct system *
test_store_open(char **dir)
{
	char path[600];
	int rc;

	*dir = NULL;
	if (sodium_init() < 0)
		return NULL;
	unsetenv(KEYRING_MASTER_ENV);
	if ((*dir = test_tmpdir()) == NULL)
		return NULL;
	snprintf(path, sizeof(path), "%s/keys", *dir);
	fs_mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/%s", *dir, KEYRING_MASTER_FILE);
	if (keyring_create_master(path) != 0)
		return NULL;
	return system_open(*dir, 0, &rc);
}

#endif
