/*
 * bench_pii.c: throughput of coffre's PII engine (pii_analyze), in process, one thread.
 * Not a test: it prints figures; it fails only when something it does fails.
 *
 *   bench_pii DOCS [PASSES]
 *
 * DOCS is the corpus bench/pii/score.py writes (docs.txt): documents of about 1-6 KB, each
 * as a line "#doc LANG BYTES" followed by BYTES bytes of UTF-8 text and a newline. Each
 * document is analysed with its language and the engine's defaults otherwise (every entity
 * type, threshold 0: what the engine would find, before any caller filters). A warm-up over
 * the first documents, then PASSES (5) passes over all of them; the best pass by CPU time of
 * the process (all its threads) gives MB per CPU-second, that is MB/s per core; the wall time
 * of the same pass is printed too. MB are 10^6 bytes of input text.
 *
 * Figures are printed as "key value" lines for run.sh.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/err.h"
#include "pii/pii.h"

#define BENCH_FILE_MAX (1024L * 1024 * 1024)   /* 1 GiB of corpus at most */
#define BENCH_DOCS_MAX 4000000
#define BENCH_PASSES_DEFAULT 5
#define BENCH_PASSES_MAX 100
#define BENCH_WARMUP_DOCS 200

struct doc {
	const char *text;
	size_t len;
	char lang[3];
};

static double
clock_seconds(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Reads the whole file into *buf (caller frees). Returns 0 or a negative err. */
static int
read_file(const char *path, char **buf, size_t *len)
{
	FILE *f = NULL;
	char *data = NULL;
	long size;
	int rc = ERR_IO;

	if ((f = fopen(path, "rb")) == NULL)
		goto out;
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
		goto out;
	if (size > BENCH_FILE_MAX) {
		rc = ERR_TOOBIG;
		goto out;
	}
	if ((data = malloc((size_t)size + 1)) == NULL) {
		rc = ERR_NOMEM;
		goto out;
	}
	if (fread(data, 1, (size_t)size, f) != (size_t)size)
		goto out;
	data[size] = '\0';
	*buf = data;
	*len = (size_t)size;
	data = NULL;
	rc = 0;
out:
	free(data);
	if (f != NULL)
		fclose(f);
	return rc;
}

/* Splits the corpus into documents (pointers into buf). Returns the count or a negative err. */
static long
parse_docs(const char *buf, size_t len, struct doc *docs, long max)
{
	size_t at = 0;
	long n = 0;

	/* buf is NUL-terminated (read_file), so strtoul stops at its end at the latest. */
	while (at < len) {
		unsigned long bytes;
		char *end;

		if (n == max)
			return ERR_TOOBIG;
		if (len - at < 11 || memcmp(buf + at, "#doc ", 5) != 0 || buf[at + 7] != ' ')
			return ERR_INVALID;
		memcpy(docs[n].lang, buf + at + 5, 2);
		docs[n].lang[2] = '\0';
		errno = 0;
		bytes = strtoul(buf + at + 8, &end, 10);
		if (errno != 0 || end == buf + at + 8 || *end != '\n')
			return ERR_INVALID;
		at = (size_t)(end - buf) + 1;
		if (bytes > len - at)
			return ERR_INVALID;
		docs[n].text = buf + at;
		docs[n].len = bytes;
		n++;
		at += bytes;
		if (at < len && buf[at] == '\n')
			at++;
	}
	return n;
}

static void
hits_free(struct pii_hit *hits, size_t nhits)
{
#ifdef BENCH_PII_HITS_FREE
	pii_hits_free(hits, nhits);
#else
	(void)nhits;
	free(hits);
#endif
}

/* One pass over docs; adds the hits found to *total. Returns 0 or the engine's error. */
static int
run_pass(const struct doc *docs, long ndocs, size_t *total)
{
	for (long i = 0; i < ndocs; i++) {
		struct pii_options opt = { .language = docs[i].lang, .entities = 0,
			.threshold = 0.0 };
		struct pii_hit *hits = NULL;
		size_t nhits = 0;
		char lang_out[3] = "";
		int rc;

		rc = pii_analyze(docs[i].text, docs[i].len, &opt, &hits, &nhits, lang_out);
		if (rc < 0) {
			fprintf(stderr, "bench_pii: pii_analyze failed on document %ld: %s\n", i,
			    err_str(rc));
			return rc;
		}
		*total += nhits;
		hits_free(hits, nhits);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	char *buf = NULL;
	size_t len = 0, bytes = 0, hits = 0;
	struct doc *docs = NULL;
	long ndocs, passes = BENCH_PASSES_DEFAULT;
	double best_cpu = 0, best_wall = 0;
	int rc, status = EXIT_FAIL;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: bench_pii DOCS [PASSES]\n");
		return EXIT_USAGE;
	}
	if (argc == 3) {
		char *end;

		errno = 0;
		passes = strtol(argv[2], &end, 10);
		if (errno != 0 || *end != '\0' || passes < 1 || passes > BENCH_PASSES_MAX) {
			fprintf(stderr, "bench_pii: PASSES must be 1..%d\n", BENCH_PASSES_MAX);
			return EXIT_USAGE;
		}
	}
	if ((rc = read_file(argv[1], &buf, &len)) < 0) {
		fprintf(stderr, "bench_pii: %s: %s\n", argv[1], err_str(rc));
		goto out;
	}
	if ((docs = calloc(BENCH_DOCS_MAX, sizeof(*docs))) == NULL) {
		fprintf(stderr, "bench_pii: out of memory\n");
		goto out;
	}
	if ((ndocs = parse_docs(buf, len, docs, BENCH_DOCS_MAX)) <= 0) {
		fprintf(stderr, "bench_pii: %s: not a corpus of score.py (%s)\n", argv[1],
		    ndocs == 0 ? "empty" : err_str((int)ndocs));
		goto out;
	}
	for (long i = 0; i < ndocs; i++)
		bytes += docs[i].len;

	if (run_pass(docs, ndocs < BENCH_WARMUP_DOCS ? ndocs : BENCH_WARMUP_DOCS, &hits) < 0)
		goto out;
	for (long p = 0; p < passes; p++) {
		double w0, c0, wall, cpu;

		hits = 0;
		w0 = clock_seconds(CLOCK_MONOTONIC);
		c0 = clock_seconds(CLOCK_PROCESS_CPUTIME_ID);
		if (run_pass(docs, ndocs, &hits) < 0)
			goto out;
		cpu = clock_seconds(CLOCK_PROCESS_CPUTIME_ID) - c0;
		wall = clock_seconds(CLOCK_MONOTONIC) - w0;
		if (p == 0 || cpu < best_cpu) {
			best_cpu = cpu;
			best_wall = wall;
		}
	}
	printf("bench_pii: %ld documents, %.2f MB, %ld passes: best %.3f s CPU (%.3f s wall), "
	    "%.1f MB/s per core, %zu hits per pass\n", ndocs, (double)bytes / 1e6, passes,
	    best_cpu, best_wall, (double)bytes / 1e6 / best_cpu, hits);
	printf("docs %ld\nbytes %zu\npasses %ld\nhits %zu\ncpu_seconds %.6f\nseconds %.6f\n"
	    "mb_s_cpu %.4f\nmb_s %.4f\n", ndocs, bytes, passes, hits, best_cpu, best_wall,
	    (double)bytes / 1e6 / best_cpu, (double)bytes / 1e6 / best_wall);
	status = EXIT_OK;
out:
	free(docs);
	free(buf);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "bench_pii: writing the figures failed\n");
		status = EXIT_FAIL;
	}
	return status;
}
