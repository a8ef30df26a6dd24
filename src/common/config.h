/*
 * config.h: typed configuration keys `section.name`, read from the data folder's file,
 * then the environment (COFFRE_SECTION_NAME), then command-line flags.
 */
#ifndef COFFRE_CONFIG_H
#define COFFRE_CONFIG_H

#include <stddef.h>
#include <stdio.h>

#define CONFIG_FILE_NAME "coffre.conf"
#define CONFIG_MAX_FILE (64 * 1024)
#define CONFIG_MAX_VALUE 1024

struct config;

/* Returns a configuration holding every default, or NULL. */
struct config *config_new(void);
void config_free(struct config *cfg);
/*
 * Sets name to value after checking its type and range. On failure writes one line
 * to err (without the value, which may be a secret one day) and returns ERR_CONFIG.
 */
int config_set(struct config *cfg, const char *name, const char *value, char *err, size_t errlen);
/* Applies a file; ERR_NOTFOUND when it does not exist, ERR_CONFIG with "file:line: why". */
int config_load_file(struct config *cfg, const char *path, char *err, size_t errlen);
/* Same from a buffer of len bytes (copied); path only labels the errors. */
int config_load_buffer(struct config *cfg, const char *path, const char *buf, size_t len,
    char *err, size_t errlen);
/* Applies every COFFRE_SECTION_NAME variable of envp that names a key. */
int config_load_env(struct config *cfg, char *const *envp, char *err, size_t errlen);
/* Accessors; name must be a key of the table (a programming error aborts). */
const char *config_str(const struct config *cfg, const char *name);
long long config_int(const struct config *cfg, const char *name);
int config_bool(const struct config *cfg, const char *name);
/* Writes the commented configuration file that `coffre init` creates. */
int config_write_template(FILE *f);
/* Builds the environment variable name of a key into out. */
int config_env_name(const char *name, char *out, size_t outsz);

#endif
