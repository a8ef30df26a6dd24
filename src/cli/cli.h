/* cli.h: the commands of the `coffre` program; each returns an enum exit_code. */
#ifndef COFFRE_CLI_H
#define COFFRE_CLI_H

#include <stddef.h>

int cmd_init(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_tenant(int argc, char **argv);
int cmd_key(int argc, char **argv);

/* Resolves the data folder: --data, else $COFFRE_DATA, else ./data. */
const char *cli_data_dir(const char *flag);
/* Prints "coffre: message" on stderr as one line. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
