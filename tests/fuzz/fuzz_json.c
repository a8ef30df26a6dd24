/* JSON request bodies: depth limit, duplicates, UTF-8, as the server parses them. */
#include <jansson.h>

#include "common/jsonx.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[200];
	json_t *v = jsonx_parse((const char *)data, size, 32, why, sizeof(why));

	if (v != NULL) {
		size_t len;
		char *s = jsonx_dump(v, &len);
		free(s);
		json_decref(v);
	}
	return 0;
}
