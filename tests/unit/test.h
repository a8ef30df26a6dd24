/* test.h: shared includes and helpers for cmocka unit tests (header-only). */
#ifndef COFFRE_TEST_H
#define COFFRE_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <ftw.h>
#include <unistd.h>

/* Creates a fresh temporary folder; free the result and remove it with test_rmtree. */
static inline char *
test_tmpdir(void)
{
	char tmpl[] = "/tmp/coffre-unit-XXXXXX";
	char *d = mkdtemp(tmpl);

	return d ? strdup(d) : NULL;
}

static inline int
test_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static inline void
test_rmtree(char *path)
{
	if (path != NULL)
		nftw(path, test_rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(path);
}

#endif
