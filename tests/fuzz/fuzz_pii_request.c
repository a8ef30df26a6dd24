/* Bodies of POST /api/v1/pii/analyze as the server parses them, through pii_svc_analyze: every
 * answer is 200, 400 or 413, and the hits of a 200 lie inside the text, in order, apart. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "common/jsonx.h"
#include "common/result.h"
#include "fuzz.h"
#include "pii/service.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[200];
	json_t *v = jsonx_parse((const char *)data, size, 32, why, sizeof(why)), *hits, *h;
	struct result r = { 0 };
	size_t i, chars = 0;
	json_int_t last = 0;

	if (v == NULL)
		return 0;
	if (pii_svc_analyze(v, &r) != 0)
		abort();
	if (r.status != 200 && r.status != 400 && r.status != 413)
		abort();
	if (r.status == 200) {
		json_t *text = json_object_get(v, "text");
		const char *lang = json_string_value(json_object_get(r.body, "language"));

		/* The text is valid UTF-8 (jansson checked it): code points are non-continuation
		 * bytes. */
		for (i = 0; i < json_string_length(text); i++)
			chars += ((unsigned char)json_string_value(text)[i] & 0xC0) != 0x80;
		if (lang == NULL || (strcmp(lang, "fr") != 0 && strcmp(lang, "en") != 0))
			abort();
		hits = json_object_get(r.body, "hits");
		json_array_foreach(hits, i, h) {
			json_int_t s = json_integer_value(json_object_get(h, "start"));
			json_int_t e = json_integer_value(json_object_get(h, "end"));
			double score = json_real_value(json_object_get(h, "score"));

			if (s < last || e <= s || (size_t)e > chars || !(score > 0 && score <= 1) ||
			    json_object_size(h) != 4)
				abort();
			last = e;
		}
	} else if (r.code == NULL || r.message[0] == '\0') {
		abort();
	}
	result_clear(&r);
	json_decref(v);
	return 0;
}
