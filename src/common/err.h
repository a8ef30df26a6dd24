/* err.h: one error enum for the whole program. */
#ifndef COFFRE_ERR_H
#define COFFRE_ERR_H

/* Functions return 0 on success or one of these negative codes. */
enum err {
	ERR_OK = 0,
	ERR_NOMEM = -1,     /* allocation failed or a hard memory cap was hit */
	ERR_IO = -2,        /* a system call failed; errno is kept */
	ERR_INVALID = -3,   /* bad argument or malformed input */
	ERR_NOTFOUND = -4,
	ERR_EXISTS = -5,
	ERR_TOOBIG = -6,    /* input larger than its hard maximum */
	ERR_CRYPTO = -7,    /* a cryptographic operation failed */
	ERR_TLS = -8,
	ERR_CONFIG = -9,
	ERR_PERM = -10,     /* unsafe file permissions or access refused */
	ERR_INTERNAL = -11,
	ERR_BUSY = -12,     /* held by another process (a running server, a rotation) */
	ERR_REFUSED = -13,  /* a rule refused the change: the transaction rolls back and the
	                       caller's result already says why */
};

/* Returns a static, human readable description of an error code. */
const char *err_str(int err);

/* Process exit codes, as in DESIGN.md. */
enum exit_code {
	EXIT_OK = 0,
	EXIT_FAIL = 1,
	EXIT_USAGE = 2,
};

#endif
