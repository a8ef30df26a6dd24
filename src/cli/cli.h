/* cli.h: the commands of the `coffre` program; each returns an enum exit_code. */
#ifndef COFFRE_CLI_H
#define COFFRE_CLI_H

#include <stddef.h>

int cmd_init(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_tenant(int argc, char **argv);
int cmd_key(int argc, char **argv);
int cmd_user(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_pii(int argc, char **argv);

struct config;
struct alerts;

/* Loads DIR/coffre.conf then the environment; one-line reason on stderr and NULL on error.
 * A missing file is an error unless optional is set (then defaults apply). */
struct config *cli_config_load(const char *dir, int optional);
/* The webhook alerts of the configuration (NULL when none are configured or on error). */
struct alerts *cli_alerts(const struct config *cfg);
/* Gives pending alerts a few seconds, then frees them (for commands about to exit). */
void cli_alerts_finish(struct alerts *a);
int cmd_audit(int argc, char **argv);

struct system;
/* Invites email with role into the tenant's vault and prints the single-use link. */
int cli_invite(struct system *sys, const char *dir, const char *tenant_id, const char *email,
    const char *role);

/* Resolves the data folder: --data, else $COFFRE_DATA, else ./data. */
const char *cli_data_dir(const char *flag);
/* Prints "coffre: message" on stderr as one line. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
