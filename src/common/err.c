#include "common/err.h"

const char *
err_str(int err)
{
	switch (err) {
	case ERR_OK: return "success";
	case ERR_NOMEM: return "out of memory";
	case ERR_IO: return "input/output error";
	case ERR_INVALID: return "invalid input";
	case ERR_NOTFOUND: return "not found";
	case ERR_EXISTS: return "already exists";
	case ERR_TOOBIG: return "too large";
	case ERR_CRYPTO: return "cryptographic failure";
	case ERR_TLS: return "TLS failure";
	case ERR_CONFIG: return "configuration error";
	case ERR_PERM: return "permission problem";
	case ERR_INTERNAL: return "internal error";
	case ERR_BUSY: return "in use by another process";
	case ERR_REFUSED: return "refused by a rule";
	}
	return "unknown error";
}
