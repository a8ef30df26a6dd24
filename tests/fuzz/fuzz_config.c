/* The configuration file parser. */
#include "common/config.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *cfg = config_new();
	char err[512];

	if (cfg == NULL)
		return 0;
	config_load_buffer(cfg, "fuzz.conf", (const char *)data, size, err, sizeof(err));
	config_free(cfg);
	return 0;
}
