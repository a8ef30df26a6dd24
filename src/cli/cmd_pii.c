/*
 * cmd_pii.c: `coffre pii analyze|redact|restore`, the PII engine on standard input without a
 * server, a data folder or a tenant (the rules are pii/'s; docs/pii.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/err.h"
#include "pii/pii.h"

#define PII_CLI_LINE_MAX (64u * 1024 * 1024)   /* bytes of one --jsonl line */
#define PII_CLI_KEY_FILE_MAX 256

static int
pii_usage(void)
{
	fprintf(stderr,
	    "usage: coffre pii analyze [--lang fr|en] [--entities A,B] [--threshold X] [--jsonl]\n"
	    "       coffre pii redact [--lang fr|en] [--entities A,B] [--threshold X]\n"
	    "              [--operator pseudonymize|redact|mask|hash] [--mask-keep N]\n"
	    "              [--hash-key-file F] [--mapping-out F]\n"
	    "       coffre pii restore --mapping F\n"
	    "Reads standard input (UTF-8, at most 10 MiB). analyze prints the hits as JSON with\n"
	    "offsets in code points; --jsonl reads one {\"text\":..., \"language\":...} object a\n"
	    "line and prints one result a line. redact prints the text with the hits replaced\n"
	    "(pseudonyms by default; --mapping-out writes the mapping, mode 0600: it holds the\n"
	    "real values). restore puts a mapping's values back in place of their tokens.\n"
	    "Entities: EMAIL_ADDRESS PHONE_NUMBER IBAN_CODE CREDIT_CARD FR_NIR FR_SIREN FR_SIRET\n"
	    "IP_ADDRESS URL DATE_TIME STREET_ADDRESS PERSON. Default threshold %.2f.\n",
	    PII_THRESHOLD_DEFAULT);
	return EXIT_USAGE;
}

/* Reads all of f, at most max bytes (ERR_TOOBIG beyond). */
static int
pii_read_all(FILE *f, size_t max, char **out, size_t *outlen)
{
	size_t cap = 65536, len = 0;
	char *buf = malloc(cap), *p;

	if (buf == NULL)
		return ERR_NOMEM;
	for (;;) {
		size_t n;

		if (len == cap) {
			if (cap > max) {
				sodium_memzero(buf, len);
				free(buf);
				return ERR_TOOBIG;
			}
			if ((p = malloc(cap * 2)) == NULL) {
				sodium_memzero(buf, len);
				free(buf);
				return ERR_NOMEM;
			}
			memcpy(p, buf, len);
			sodium_memzero(buf, len);
			free(buf);
			buf = p;
			cap *= 2;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		sodium_memzero(buf, len);
		free(buf);
		return ERR_IO;
	}
	if (len > max) {
		sodium_memzero(buf, len);
		free(buf);
		return ERR_TOOBIG;
	}
	*out = buf;
	*outlen = len;
	return 0;
}

static int
pii_parse_entities(const char *list, unsigned *out)
{
	char *copy = strdup(list), *save = NULL, *tok;
	int rc = 0;

	if (copy == NULL)
		return ERR_NOMEM;
	*out = 0;
	for (tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		enum pii_entity e;

		if (pii_entity_parse(tok, &e) != 0) {
			cli_error("--entities: unknown entity '%s'", tok);
			rc = ERR_INVALID;
			break;
		}
		*out |= 1u << e;
	}
	if (rc == 0 && *out == 0) {
		cli_error("--entities: empty list");
		rc = ERR_INVALID;
	}
	free(copy);
	return rc;
}

static const char *
pii_input_error(int rc)
{
	switch (rc) {
	case ERR_INVALID:
		return "the text is not valid UTF-8 or holds a NUL byte";
	case ERR_TOOBIG:
		return "the text is larger than 10 MiB (PII_TEXT_MAX)";
	default:
		return err_str(rc);
	}
}

/* A JSON string of valid UTF-8: quotes, backslashes and control characters escaped. */
static void
pii_put_json_string(FILE *f, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t run = 0;

	putc_unlocked('"', f);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f)
			continue;
		fwrite(s + run, 1, i - run, f);
		run = i + 1;
		putc_unlocked('\\', f);
		if (c == '"' || c == '\\')
			putc_unlocked(c, f);
		else if (c == '\n')
			putc_unlocked('n', f);
		else if (c == '\t')
			putc_unlocked('t', f);
		else {
			fputs("u00", f);
			putc_unlocked(hex[c >> 4], f);
			putc_unlocked(hex[c & 15], f);
		}
	}
	fwrite(s + run, 1, len - run, f);
	putc_unlocked('"', f);
}

/*
 * {"language":..,"hits":[{"type","start","end","score","text"}]}, offsets in code points,
 * written directly: building a jansson tree per hit cost more than the analysis.
 */
static int
pii_print_result(const char *text, const char *lang, const struct pii_hit *hits, size_t n)
{
	fprintf(stdout, "{\"language\":\"%s\",\"hits\":[", lang);
	for (size_t k = 0; k < n; k++) {
		char score[32];

		snprintf(score, sizeof(score), "%.4g", hits[k].score);
		if (strchr(score, '.') == NULL && strchr(score, 'e') == NULL)
			strcat(score, ".0");
		fprintf(stdout, "%s{\"type\":\"%s\",\"start\":%zu,\"end\":%zu,\"score\":%s,\"text\":",
		    k ? "," : "", pii_entity_name(hits[k].entity), hits[k].cstart, hits[k].cend, score);
		pii_put_json_string(stdout, text + hits[k].start, hits[k].end - hits[k].start);
		putc_unlocked('}', stdout);
	}
	fputs("]}\n", stdout);
	return ferror(stdout) ? ERR_IO : 0;
}

static int
pii_print_json(json_t *doc)
{
	int rc = json_dumpf(doc, stdout, JSON_COMPACT) == 0 ? 0 : ERR_IO;

	putchar('\n');
	json_decref(doc);
	return rc;
}

static int
pii_analyze_one(const char *text, size_t len, const struct pii_options *opt)
{
	struct pii_hit *hits = NULL;
	size_t n = 0;
	char lang[3];
	int rc = pii_analyze(text, len, opt, &hits, &n, lang);

	if (rc != 0) {
		cli_error("%s", pii_input_error(rc));
		return EXIT_FAIL;
	}
	rc = pii_print_result(text, lang, hits, n);
	free(hits);
	return rc == 0 ? EXIT_OK : EXIT_FAIL;
}

/* One JSON object a line in, one a line out, in order; a bad line gets an error object. */
static int
pii_analyze_jsonl(const struct pii_options *base)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t got;
	int status = EXIT_OK;

	while ((got = getline(&line, &cap, stdin)) != -1) {
		struct pii_options opt = *base;
		struct pii_hit *hits = NULL;
		size_t n = 0, len = (size_t)got;
		json_t *in, *t, *l, *doc = NULL;
		json_error_t jerr;
		const char *why = NULL;
		char lang[3];
		int rc;

		if (len > 0 && line[len - 1] == '\n')
			len--;
		if (len > 0 && line[len - 1] == '\r')
			len--;
		if (len == 0)
			continue;
		if ((size_t)got > PII_CLI_LINE_MAX) {
			why = "line too long";
			in = NULL;
		} else
			in = json_loadb(line, len, 0, &jerr);
		t = json_object_get(in, "text");
		l = json_object_get(in, "language");
		if (why == NULL && (in == NULL || !json_is_string(t)))
			why = "expected {\"text\": \"...\", \"language\": \"fr\"}";
		else if (why == NULL && l != NULL && !json_is_null(l) && !json_is_string(l))
			why = "language must be a string";
		if (why == NULL) {
			if (json_is_string(l))
				opt.language = json_string_value(l);
			rc = pii_analyze(json_string_value(t), json_string_length(t), &opt, &hits, &n,
			    lang);
			if (rc == ERR_INVALID && opt.language != NULL &&
			    pii_analyze(json_string_value(t), json_string_length(t), base, &hits, &n,
			    lang) == 0)
				why = NULL;     /* an unknown language: detected instead */
			else if (rc != 0)
				why = pii_input_error(rc);
			if (why == NULL && pii_print_result(json_string_value(t), lang, hits, n) != 0)
				why = "cannot write standard output";
			free(hits);
		}
		json_decref(in);
		if (why != NULL) {
			doc = json_pack("{s:{s:s,s:s}}", "error", "code", "invalid", "message", why);
			status = EXIT_FAIL;
			if (doc == NULL || pii_print_json(doc) != 0)
				break;
		}
	}
	free(line);
	if (ferror(stdin)) {
		cli_error("cannot read standard input: %s", strerror(errno));
		status = EXIT_FAIL;
	}
	return status;
}

static int
pii_write_private(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	size_t off = 0;

	if (fd < 0)
		return ERR_IO;
	if (fchmod(fd, 0600) != 0) {
		close(fd);
		return ERR_IO;
	}
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			close(fd);
			return ERR_IO;
		}
		off += (size_t)w;
	}
	return close(fd) == 0 ? 0 : ERR_IO;
}

static int
pii_load_key(const char *path, unsigned char key[PII_HASH_KEY_BYTES])
{
	FILE *f = fopen(path, "rb");
	char buf[PII_CLI_KEY_FILE_MAX];
	size_t n, bin = 0;
	int rc = ERR_INVALID;

	if (f == NULL)
		return ERR_IO;
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	if (n == PII_HASH_KEY_BYTES) {
		memcpy(key, buf, PII_HASH_KEY_BYTES);
		rc = 0;
	} else if (n == 2 * PII_HASH_KEY_BYTES &&
	    sodium_hex2bin(key, PII_HASH_KEY_BYTES, buf, n, NULL, &bin, NULL) == 0 &&
	    bin == PII_HASH_KEY_BYTES)
		rc = 0;
	sodium_memzero(buf, sizeof(buf));
	return rc;
}

static int
pii_redact(const char *text, size_t len, const struct pii_options *opt, enum pii_operator op,
    const struct pii_op_params *params, const char *mapping_out)
{
	struct pii_mapping *m = NULL;
	struct pii_hit *hits = NULL;
	size_t n = 0, outlen = 0;
	char *out = NULL, *json = NULL;
	int rc, status = EXIT_FAIL;

	if ((rc = pii_analyze(text, len, opt, &hits, &n, NULL)) != 0) {
		cli_error("%s", pii_input_error(rc));
		goto out;
	}
	if (op == PII_OP_PSEUDONYMIZE && (m = pii_mapping_new()) == NULL) {
		cli_error("out of memory");
		goto out;
	}
	if ((rc = pii_apply(text, len, hits, n, op, params, m, &out, &outlen)) != 0) {
		cli_error("cannot replace the hits: %s", err_str(rc));
		goto out;
	}
	if (mapping_out != NULL && m != NULL) {
		if ((rc = pii_mapping_to_json(m, &json)) != 0 ||
		    (rc = pii_write_private(mapping_out, json, strlen(json))) != 0) {
			cli_error("cannot write %s: %s", mapping_out, err_str(rc));
			goto out;
		}
	}
	if (fwrite(out, 1, outlen, stdout) != outlen)
		goto out;
	status = EXIT_OK;
out:
	if (out != NULL) {
		sodium_memzero(out, outlen);
		free(out);
	}
	pii_json_free(json);
	pii_mapping_free(m);
	free(hits);
	return status;
}

static int
pii_restore_cmd(const char *text, size_t len, const char *mapping_path)
{
	FILE *f = fopen(mapping_path, "rb");
	struct pii_mapping *m = NULL;
	char *json = NULL, *out = NULL;
	size_t jlen = 0, outlen = 0;
	int rc, status = EXIT_FAIL;

	if (f == NULL) {
		cli_error("cannot open %s: %s", mapping_path, strerror(errno));
		return EXIT_FAIL;
	}
	rc = pii_read_all(f, PII_MAPPING_JSON_MAX, &json, &jlen);
	fclose(f);
	if (rc != 0 || (rc = pii_mapping_from_json(json, jlen, &m)) != 0) {
		cli_error("%s: not a PII mapping (%s)", mapping_path, err_str(rc));
		goto out;
	}
	if ((rc = pii_restore(text, len, m, &out, &outlen)) != 0) {
		cli_error("%s", pii_input_error(rc));
		goto out;
	}
	if (fwrite(out, 1, outlen, stdout) == outlen)
		status = EXIT_OK;
out:
	if (json != NULL) {
		sodium_memzero(json, jlen);
		free(json);
	}
	if (out != NULL) {
		sodium_memzero(out, outlen);
		free(out);
	}
	pii_mapping_free(m);
	return status;
}

int
cmd_pii(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "lang", required_argument, NULL, 'l' },
		{ "entities", required_argument, NULL, 'e' },
		{ "threshold", required_argument, NULL, 't' },
		{ "jsonl", no_argument, NULL, 'j' },
		{ "operator", required_argument, NULL, 'o' },
		{ "mask-keep", required_argument, NULL, 'k' },
		{ "hash-key-file", required_argument, NULL, 'h' },
		{ "mapping-out", required_argument, NULL, 'm' },
		{ "mapping", required_argument, NULL, 'M' },
		{ NULL, 0, NULL, 0 },
	};
	struct pii_options opt = { .threshold = PII_THRESHOLD_DEFAULT };
	struct pii_op_params params = { 0 };
	enum pii_operator op = PII_OP_PSEUDONYMIZE;
	unsigned char key[PII_HASH_KEY_BYTES];
	const char *sub, *key_file = NULL, *mapping_out = NULL, *mapping = NULL;
	char *text = NULL, *end;
	size_t len = 0;
	int c, rc, jsonl = 0, status = EXIT_USAGE;

	if (argc < 2)
		return pii_usage();
	sub = argv[1];
	if (strcmp(sub, "analyze") != 0 && strcmp(sub, "redact") != 0 &&
	    strcmp(sub, "restore") != 0)
		return pii_usage();
	optind = 1;
	while ((c = getopt_long(argc - 1, argv + 1, "", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			if (strcmp(optarg, "fr") != 0 && strcmp(optarg, "en") != 0) {
				cli_error("--lang %s: fr or en", optarg);
				return EXIT_USAGE;
			}
			opt.language = optarg;
			break;
		case 'e':
			if (pii_parse_entities(optarg, &opt.entities) != 0)
				return EXIT_USAGE;
			break;
		case 't':
			errno = 0;
			opt.threshold = strtod(optarg, &end);
			if (errno != 0 || end == optarg || *end != '\0' || !(opt.threshold >= 0.0 &&
			    opt.threshold <= 1.0)) {
				cli_error("--threshold %s: a number from 0 to 1", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'j': jsonl = 1; break;
		case 'o':
			if (pii_operator_parse(optarg, &op) != 0) {
				cli_error("--operator %s: pseudonymize, redact, mask or hash", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'k': {
			unsigned long v;

			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' || v > PII_MASK_KEEP_MAX ||
			    optarg[0] == '-') {
				cli_error("--mask-keep %s: 0 to %d", optarg, PII_MASK_KEEP_MAX);
				return EXIT_USAGE;
			}
			params.mask_keep = (unsigned)v;
			break;
		}
		case 'h': key_file = optarg; break;
		case 'm': mapping_out = optarg; break;
		case 'M': mapping = optarg; break;
		default: return pii_usage();
		}
	}
	if (optind != argc - 1 || (jsonl && strcmp(sub, "analyze") != 0) ||
	    ((mapping_out != NULL || key_file != NULL) && strcmp(sub, "redact") != 0) ||
	    (strcmp(sub, "restore") == 0) != (mapping != NULL) ||
	    (op == PII_OP_HASH) != (key_file != NULL) ||
	    (mapping_out != NULL && op != PII_OP_PSEUDONYMIZE))
		return pii_usage();
	if (key_file != NULL) {
		if ((rc = pii_load_key(key_file, key)) != 0) {
			cli_error("%s: expected 32 bytes or 64 hex digits (%s)", key_file, err_str(rc));
			return EXIT_FAIL;
		}
		params.hash_key = key;
	}
	if (jsonl) {
		status = pii_analyze_jsonl(&opt);
		goto out;
	}
	if ((rc = pii_read_all(stdin, PII_TEXT_MAX, &text, &len)) != 0) {
		cli_error("cannot read standard input: %s", rc == ERR_TOOBIG ?
		    "larger than 10 MiB (PII_TEXT_MAX)" : err_str(rc));
		status = EXIT_FAIL;
		goto out;
	}
	if (strcmp(sub, "analyze") == 0)
		status = pii_analyze_one(text, len, &opt);
	else if (strcmp(sub, "redact") == 0)
		status = pii_redact(text, len, &opt, op, &params, mapping_out);
	else
		status = pii_restore_cmd(text, len, mapping);
out:
	sodium_memzero(key, sizeof(key));
	if (text != NULL) {
		sodium_memzero(text, len);
		free(text);
	}
	return status;
}
