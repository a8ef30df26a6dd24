/* Request paths and methods against the real route table. */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "common/arena.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a;
	const char *params[REQUEST_MAX_PARAMS];
	char *path;
	int idx, np;
	unsigned allow;
	static const enum http_method methods[] = { HTTP_GET, HTTP_HEAD, HTTP_POST, HTTP_PUT,
		HTTP_PATCH, HTTP_DELETE, HTTP_OTHER };

	if (size == 0 || (path = malloc(size)) == NULL)
		return 0;
	memcpy(path, data + 1, size - 1);
	path[size - 1] = '\0';
	if ((a = arena_new(1 << 16)) != NULL) {
		if (router_match(api_routes, api_nroutes, methods[data[0] % 7], path, a, &idx, params,
		    &np, &allow) == ROUTER_BAD_METHOD)
			router_allow_header(a, allow);
		arena_free(a);
	}
	free(path);
	return 0;
}
