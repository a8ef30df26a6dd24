#include "common/fsutil.h"

#include <dirent.h>
#include <ftw.h>
#include <sys/file.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"

int
fs_mkdir(const char *path, mode_t mode)
{
	if (mkdir(path, mode) != 0)
		return errno == EEXIST ? ERR_EXISTS : ERR_IO;
	/* mkdir honours the umask; the mode we were asked for is the contract. */
	if (chmod(path, mode) != 0)
		return ERR_IO;
	return 0;
}

int
fs_write_new(const char *path, const void *data, size_t len, mode_t mode)
{
	const unsigned char *p = data;
	int fd, rc = ERR_IO;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return errno == EEXIST ? ERR_EXISTS : ERR_IO;
	if (fchmod(fd, mode) != 0)
		goto out;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			goto out;
		}
		p += n;
		len -= (size_t)n;
	}
	if (fsync(fd) != 0)
		goto out;
	rc = 0;
out:
	if (close(fd) != 0 && rc == 0)
		rc = ERR_IO;
	return rc;
}

int
fs_read_all(const char *path, size_t max, int secure, char **out, size_t *len)
{
	struct stat st;
	char *buf = NULL;
	size_t size = 0, got = 0;
	int fd, rc = ERR_IO;

	*out = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? ERR_NOTFOUND : ERR_IO;
	if (fstat(fd, &st) != 0)
		goto out;
	if (!S_ISREG(st.st_mode)) {
		rc = ERR_INVALID;
		goto out;
	}
	if ((size_t)st.st_size > max) {
		rc = ERR_TOOBIG;
		goto out;
	}
	size = (size_t)st.st_size;
	buf = secure ? sodium_malloc(size + 1) : malloc(size + 1);
	if (buf == NULL) {
		rc = ERR_NOMEM;
		goto out;
	}
	while (got < size) {
		ssize_t n = read(fd, buf + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto out;
		got += (size_t)n;
	}
	buf[got] = '\0';
	*out = buf;
	*len = got;
	buf = NULL;
	rc = 0;
out:
	if (buf != NULL) {
		if (secure)
			fs_free_secure(buf, size + 1);
		else
			free(buf);
	}
	close(fd);
	return rc;
}

void
fs_free_secure(char *p, size_t len)
{
	if (p == NULL)
		return;
	sodium_memzero(p, len);
	sodium_free(p);
}

int
fs_dir_is_empty(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int empty = 1;

	if (d == NULL)
		return errno == ENOENT ? ERR_NOTFOUND : ERR_IO;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
			empty = 0;
			break;
		}
	}
	closedir(d);
	return empty;
}

int
fs_check_private(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return errno == ENOENT ? ERR_NOTFOUND : ERR_IO;
	if (st.st_mode & (S_IRWXG | S_IRWXO))
		return ERR_PERM;
	return 0;
}

int
fs_join(char *out, size_t outsz, const char *dir, const char *name)
{
	int n;

	if (name[0] == '/')
		n = snprintf(out, outsz, "%s", name);
	else
		n = snprintf(out, outsz, "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= outsz)
		return ERR_TOOBIG;
	return 0;
}

static int
fs_remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

int
fs_remove_tree(const char *path)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? ERR_NOTFOUND : ERR_IO;
	if (!S_ISDIR(st.st_mode))
		return unlink(path) == 0 ? 0 : ERR_IO;
	return nftw(path, fs_remove_one, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : ERR_IO;
}

int
fs_sync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return ERR_IO;
	rc = fsync(fd) == 0 ? 0 : ERR_IO;
	close(fd);
	return rc;
}

int
fs_lock(const char *path, int exclusive)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0)
		return ERR_IO;
	if (flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) != 0) {
		int busy = errno == EWOULDBLOCK;
		close(fd);
		return busy ? ERR_BUSY : ERR_IO;
	}
	return fd;
}

void
fs_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

void
fs_fault_point(const char *name)
{
	const char *f = getenv("COFFRE_FAULT");

	if (f != NULL && strcmp(f, name) == 0)
		_exit(70);
}
