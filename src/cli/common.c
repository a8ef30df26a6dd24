#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"

const char *
cli_data_dir(const char *flag)
{
	const char *env;

	if (flag != NULL && flag[0] != '\0')
		return flag;
	env = getenv("COFFRE_DATA");
	if (env != NULL && env[0] != '\0')
		return env;
	return "./data";
}

void
cli_error(const char *fmt, ...)
{
	va_list ap;

	fputs("coffre: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
