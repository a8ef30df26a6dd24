#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "audit/alerts.h"
#include "cli/cli.h"
#include "common/config.h"
#include "common/err.h"
#include "common/fsutil.h"

extern char **environ;

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

struct config *
cli_config_load(const char *dir, int optional)
{
	struct config *cfg = config_new();
	char path[4096], msg[512];
	int rc;

	if (cfg == NULL) {
		cli_error("out of memory");
		return NULL;
	}
	if (fs_join(path, sizeof(path), dir, CONFIG_FILE_NAME) != 0) {
		cli_error("data folder path too long");
		goto fail;
	}
	rc = config_load_file(cfg, path, msg, sizeof(msg));
	if (rc == ERR_NOTFOUND && !optional) {
		cli_error("%s not found: create the data folder with `coffre init --data %s`", path,
		    dir);
		goto fail;
	}
	if ((rc != 0 && rc != ERR_NOTFOUND) || config_load_env(cfg, environ, msg,
	    sizeof(msg)) != 0) {
		cli_error("%s", msg);
		goto fail;
	}
	return cfg;
fail:
	config_free(cfg);
	return NULL;
}

struct alerts *
cli_alerts(const struct config *cfg)
{
	struct alerts_options opt = {
		.timeout_ms = (unsigned)config_int(cfg, "alerts.timeout") * 1000,
		.retries = (unsigned)config_int(cfg, "alerts.retries"),
	};
	const char *spec = config_str(cfg, "alerts.webhooks");
	char err[256];
	struct alerts *a;

	if (spec[0] == '\0')
		return NULL;
	if ((a = alerts_new(spec, &opt, err, sizeof(err))) == NULL)
		cli_error("alerts.webhooks: %s", err);
	return a;
}

void
cli_alerts_finish(struct alerts *a)
{
	if (a == NULL)
		return;
	alerts_drain(a, 3000);
	alerts_free(a);
}
