#include "../test.h"

#include <sodium.h>
#include <sys/stat.h>

#include "common/err.h"
#include "common/fsutil.h"

static void
test_write_new_sets_mode_and_refuses_overwrite(void **state)
{
	char *dir = test_tmpdir(), path[512];
	struct stat st;

	(void)state;
	snprintf(path, sizeof(path), "%s/f", dir);
	umask(0);
	assert_int_equal(fs_write_new(path, "abc", 3, 0600), 0);
	umask(077);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(fs_write_new(path, "x", 1, 0600), ERR_EXISTS);
	assert_int_equal(fs_check_private(path), 0);
	chmod(path, 0640);
	assert_int_equal(fs_check_private(path), ERR_PERM);
	test_rmtree(dir);
}

static void
test_read_all_limits(void **state)
{
	char *dir = test_tmpdir(), path[512], *buf;
	size_t len;

	(void)state;
	snprintf(path, sizeof(path), "%s/f", dir);
	assert_int_equal(fs_write_new(path, "0123456789", 10, 0600), 0);
	assert_int_equal(fs_read_all(path, 10, 0, &buf, &len), 0);
	assert_int_equal(len, 10);
	assert_string_equal(buf, "0123456789");
	free(buf);
	assert_int_equal(fs_read_all(path, 9, 0, &buf, &len), ERR_TOOBIG);
	assert_null(buf);
	assert_int_equal(fs_read_all(path, 10, 1, &buf, &len), 0);
	fs_free_secure(buf, len + 1);
	assert_int_equal(fs_read_all(dir, 10, 0, &buf, &len), ERR_INVALID);
	snprintf(path, sizeof(path), "%s/none", dir);
	assert_int_equal(fs_read_all(path, 10, 0, &buf, &len), ERR_NOTFOUND);
	test_rmtree(dir);
}

static void
test_dirs(void **state)
{
	char *dir = test_tmpdir(), path[512], small[8];
	struct stat st;

	(void)state;
	assert_int_equal(fs_dir_is_empty(dir), 1);
	snprintf(path, sizeof(path), "%s/sub", dir);
	assert_int_equal(fs_mkdir(path, 0700), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(fs_mkdir(path, 0700), ERR_EXISTS);
	assert_int_equal(fs_dir_is_empty(dir), 0);
	assert_int_equal(fs_dir_is_empty("/nonexistent/coffre"), ERR_NOTFOUND);
	assert_int_equal(fs_join(small, sizeof(small), "abc", "defgh"), ERR_TOOBIG);
	assert_int_equal(fs_join(small, sizeof(small), "abc", "/x"), 0);
	assert_string_equal(small, "/x");
	test_rmtree(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_new_sets_mode_and_refuses_overwrite),
		cmocka_unit_test(test_read_all_limits),
		cmocka_unit_test(test_dirs),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
