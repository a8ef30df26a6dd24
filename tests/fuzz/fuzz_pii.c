/*
 * PII engine: the first byte picks the language, threshold, entities and operator; the rest is
 * the text. pii_analyze returns 0 or ERR_INVALID; its hits are sorted, disjoint, on code point
 * boundaries, with code point offsets that match; every operator applies them; and when the text
 * holds no '_' (so no token-like words), restoring the pseudonymized text gives it back.
 */
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "fuzz.h"
#include "pii/pii.h"

static void
fuzz_check_hits(const char *t, size_t len, const struct pii_hit *h, size_t n, double threshold)
{
	size_t b = 0, cps = 0, last = 0;

	for (size_t k = 0; k < n; k++) {
		if (h[k].start < last || h[k].end <= h[k].start || h[k].end > len ||
		    (unsigned)h[k].entity >= PII_ENTITY_COUNT || h[k].score < threshold ||
		    h[k].score > 1.0 || h[k].score <= 0.0)
			abort();
		if ((t[h[k].start] & 0xc0) == 0x80 || (h[k].end < len && (t[h[k].end] & 0xc0) == 0x80))
			abort();
		for (; b < h[k].start; b++)
			cps += (t[b] & 0xc0) != 0x80;
		if (h[k].cstart != cps)
			abort();
		for (; b < h[k].end; b++)
			cps += (t[b] & 0xc0) != 0x80;
		if (h[k].cend != cps)
			abort();
		last = h[k].end;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const langs[] = { NULL, "fr", "en", NULL };
	static const unsigned char key[PII_HASH_KEY_BYTES] = { 1, 2, 3 };
	struct pii_options o;
	struct pii_op_params p = { .mask_keep = 3, .hash_key = key };
	struct pii_mapping *m;
	struct pii_hit *h = NULL;
	size_t n = 0, outlen, backlen;
	const char *t = (const char *)data + 1;
	char *out = NULL, *back = NULL;
	int rc;

	if (size == 0)
		return 0;
	o.language = langs[data[0] & 3];
	o.threshold = (data[0] >> 2 & 3) * 0.25;
	o.entities = data[0] & 0x10 ? 0 : (data[0] & 0x20 ? 1u << PII_PERSON : 0x7ffu);
	rc = pii_analyze(t, size - 1, &o, &h, &n, NULL);
	if (rc != 0) {
		if (rc != ERR_INVALID || h != NULL || n != 0)
			abort();
		return 0;
	}
	fuzz_check_hits(t, size - 1, h, n, o.threshold);
	for (int op = PII_OP_REDACT; op <= PII_OP_HASH; op++) {
		if (pii_apply(t, size - 1, h, n, (enum pii_operator)op, &p, NULL, &out, &outlen) != 0)
			abort();
		free(out);
	}
	if ((m = pii_mapping_new()) == NULL)
		abort();
	if (pii_apply(t, size - 1, h, n, PII_OP_PSEUDONYMIZE, NULL, m, &out, &outlen) != 0 ||
	    pii_restore(out, outlen, m, &back, &backlen) != 0)
		abort();
	if (memchr(t, '_', size - 1) == NULL &&
	    (backlen != size - 1 || memcmp(back, t, backlen) != 0))
		abort();
	{
		char *json = NULL;
		struct pii_mapping *again = NULL;

		if (pii_mapping_to_json(m, &json) != 0 ||
		    pii_mapping_from_json(json, strlen(json), &again) != 0 ||
		    pii_mapping_count(again) != pii_mapping_count(m))
			abort();
		pii_json_free(json);
		pii_mapping_free(again);
	}
	free(out);
	free(back);
	free(h);
	pii_mapping_free(m);
	return 0;
}
