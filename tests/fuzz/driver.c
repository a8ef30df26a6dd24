/*
 * driver.c: replays files through a fuzz target without libFuzzer, so that `make test`
 * (gcc, sanitizers) runs every target over its corpus. Arguments: files or folders.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int
driver_run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0) {
		if (f != NULL)
			fclose(f);
		fprintf(stderr, "driver: cannot read %s\n", path);
		return 1;
	}
	rewind(f);
	buf = malloc((size_t)n + 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(buf);
		return 1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, (size_t)n);
	free(buf);
	return 0;
}

int
main(int argc, char **argv)
{
	int runs = 0, failures = 0;

	for (int i = 1; i < argc; i++) {
		struct stat st;
		DIR *d;
		struct dirent *e;

		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "driver: %s not found\n", argv[i]);
			return 1;
		}
		if (!S_ISDIR(st.st_mode)) {
			failures += driver_run_file(argv[i]);
			runs++;
			continue;
		}
		if ((d = opendir(argv[i])) == NULL)
			return 1;
		while ((e = readdir(d)) != NULL) {
			char path[4096];
			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", argv[i], e->d_name);
			failures += driver_run_file(path);
			runs++;
		}
		closedir(d);
	}
	printf("%d inputs replayed\n", runs);
	return failures != 0 || runs == 0;
}
