/* Encrypted blob files: any content must read back as an error, never as data or a crash. */
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/blob.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct key key;
	static char dir[64];
	static const char id[] = "0123456789abcdef0123456789abcdef";
	char path[160];
	unsigned char *out = NULL;
	size_t len;
	int fd;

	if (key.bytes == NULL) {
		if (sodium_init() < 0 || key_random(&key) != 0)
			abort();
		snprintf(dir, sizeof(dir), "/tmp/coffre-fuzz-blob-%d", (int)getpid());
		mkdir(dir, 0700);
	}
	snprintf(path, sizeof(path), "%s/%s", dir, id);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0)
		abort();
	if (write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	/* Without the key nobody can make a valid blob: any success here is a forgery. */
	if (blob_get(dir, &key, id, 1 << 24, &out, &len) == 0 && size > 16 + 28)
		abort();
	free(out);
	unlink(path);
	return 0;
}
