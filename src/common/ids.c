#include "common/ids.h"

#include <sodium.h>
#include <string.h>

void
id_new(char out[ID_HEX + 1])
{
	unsigned char raw[ID_HEX / 2];

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(out, ID_HEX + 1, raw, sizeof(raw));
}

int
id_valid(const char *s)
{
	return s != NULL && strlen(s) == ID_HEX && strspn(s, "0123456789abcdef") == ID_HEX;
}
