/* fsutil.h: small file helpers with hard size limits and explicit modes. */
#ifndef COFFRE_FSUTIL_H
#define COFFRE_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

/* Creates path with mode (exactly, umask ignored); ERR_EXISTS if it is there. */
int fs_mkdir(const char *path, mode_t mode);
/* Creates a new file (O_EXCL) with mode, writes len bytes and fsyncs it. */
int fs_write_new(const char *path, const void *data, size_t len, mode_t mode);
/*
 * Reads a whole regular file of at most max bytes. On success *out holds the bytes plus a
 * NUL; it is sodium_malloc memory when secure is set (free with fs_free_secure), else malloc.
 */
int fs_read_all(const char *path, size_t max, int secure, char **out, size_t *len);
void fs_free_secure(char *p, size_t len);
/* Returns 1 if path is a directory with no entries, 0 if it has entries, <0 on error. */
int fs_dir_is_empty(const char *path);
/* ERR_PERM when path is accessible by group or others. */
int fs_check_private(const char *path);
/* Removes path and everything under it (no symlinks followed); ERR_NOTFOUND if absent. */
int fs_remove_tree(const char *path);
/* fsyncs a directory so that renames and creations in it are durable. */
int fs_sync_dir(const char *path);
/* Takes an advisory lock on path (created 0600): shared or exclusive, never waiting.
 * Returns the descriptor holding it or ERR_BUSY when another holder conflicts. */
int fs_lock(const char *path, int exclusive);
void fs_unlock(int fd);
/* Exits at once (status 70) when COFFRE_FAULT names this point: crash tests only. */
void fs_fault_point(const char *name);
/* Joins dir and name into out (size outsz); ERR_TOOBIG when it does not fit. */
int fs_join(char *out, size_t outsz, const char *dir, const char *name);

#endif
