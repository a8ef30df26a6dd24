#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "cli/cli.h"
#include "search/search.h"
#include "common/config.h"
#include "common/err.h"
#include "common/fsutil.h"
#include "common/log.h"
#include "crypto/keyring.h"
#include "audit/alerts.h"
#include "auth/auth.h"
#include "mail/mail.h"
#include "http/server.h"
#include "jobs/jobs.h"
#include "store/system.h"
#include "store/vault.h"

#define SERVE_MAX_SETS 64

static int
serve_usage(void)
{
	fprintf(stderr, "usage: coffre serve [--data DIR] [--listen ADDR:PORT] "
	    "[--set SECTION.NAME=VALUE]...\n");
	return EXIT_USAGE;
}

/* Builds the printed URL from the listen address and the port actually bound. */
static void
serve_url(const char *listen, unsigned port, char *out, size_t outsz)
{
	const char *colon = strrchr(listen, ':');
	int hlen = colon ? (int)(colon - listen) : 0;

	snprintf(out, outsz, "https://%.*s:%u/", hlen, listen, port);
}

int
cmd_serve(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "listen", required_argument, NULL, 'l' },
		{ "set", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	const char *data_flag = NULL, *listen_flag = NULL, *sets[SERVE_MAX_SETS], *dir;
	struct config *cfg = NULL;
	struct server *srv = NULL;
	struct system *sys = NULL;
	struct vault_cache *vaults = NULL;
	struct alerts *alerts = NULL;
	struct jobs *jobs = NULL;
	struct mailer *mailer = NULL;
	struct auth *auth = NULL;
	struct app app;
	struct server_hooks hooks;
	char path[4096], msg[512], url[600];
	int c, nsets = 0, rc = 0, sig = 0, status = EXIT_FAIL;
	sigset_t mask;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': data_flag = optarg; break;
		case 'l': listen_flag = optarg; break;
		case 's':
			if (nsets == SERVE_MAX_SETS)
				return serve_usage();
			sets[nsets++] = optarg;
			break;
		default:
			return serve_usage();
		}
	}
	if (optind != argc)
		return serve_usage();
	dir = cli_data_dir(data_flag);

	if ((cfg = cli_config_load(dir, 0)) == NULL)
		return EXIT_FAIL;
	for (int i = 0; i < nsets; i++) {
		char key[128];
		const char *eq = strchr(sets[i], '=');
		if (eq == NULL || (size_t)(eq - sets[i]) >= sizeof(key)) {
			cli_error("--set expects SECTION.NAME=VALUE");
			status = EXIT_USAGE;
			goto out;
		}
		memcpy(key, sets[i], (size_t)(eq - sets[i]));
		key[eq - sets[i]] = '\0';
		if (config_set(cfg, key, eq + 1, msg, sizeof(msg)) != 0) {
			cli_error("--set %s", msg);
			status = EXIT_USAGE;
			goto out;
		}
	}
	if (listen_flag != NULL && config_set(cfg, "server.listen", listen_flag, msg,
	    sizeof(msg)) != 0) {
		cli_error("--listen: %s", msg);
		status = EXIT_USAGE;
		goto out;
	}
	log_set_level_name(config_str(cfg, "log.level"));

	/* Keys readable by others are a misconfiguration worth refusing, as ssh does. */
	if (fs_join(path, sizeof(path), dir, KEYRING_MASTER_FILE) != 0 ||
	    (rc = fs_check_private(path)) != 0) {
		cli_error("%s: %s", path, rc == ERR_PERM ?
		    "readable by group or others; run chmod 600 on it" : "missing or unreadable");
		goto out;
	}
	if (fs_check_private(dir) == ERR_PERM)
		log_warnx("%s is accessible by group or others; chmod 700 is advised", dir);
	/* The platform database and the vault cache, held for the server's lifetime. */
	if ((sys = system_open(dir, 0, &rc)) == NULL) {
		cli_error("cannot open the system database: %s", rc == ERR_CRYPTO ?
		    "the master key does not decrypt it" : err_str(rc));
		goto out;
	}
	search_memory(config_bool(cfg, "search.memory_index"));
	search_memory_cap((size_t)config_int(cfg, "search.memory_max_mib") << 20);
	if ((vaults = vault_cache_new(sys, 64, (unsigned)config_int(cfg, "server.threads"))) ==
	    NULL) {
		cli_error("out of memory");
		goto out;
	}
	if (config_str(cfg, "alerts.webhooks")[0] != '\0' && (alerts = cli_alerts(cfg)) == NULL)
		goto out;
	audit_chain_set_alerts(system_audit(sys), alerts);
	vault_cache_set_alerts(vaults, alerts);
	if ((mailer = mailer_new(cfg, &rc)) == NULL) {
		cli_error("cannot set up mail (smtp.*): %s", err_str(rc));
		goto out;
	}
	if ((auth = auth_new(cfg, sys, vaults, mailer, &rc)) == NULL) {
		cli_error("cannot set up authentication: %s", err_str(rc));
		goto out;
	}
	app = (struct app){ .cfg = cfg, .sys = sys, .vaults = vaults, .auth = auth };
	hooks = (struct server_hooks){ .app = &app, .before = api_guard_before,
	    .after = api_guard_after };

	/* Block the stop signals in every thread; this one waits for them below. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);

	if ((srv = server_start(cfg, dir, api_routes, api_nroutes, &hooks, &rc)) == NULL) {
		cli_error("cannot start the server: %s", err_str(rc));
		goto out;
	}
	serve_url(config_str(cfg, "server.listen"), server_port(srv), url, sizeof(url));
	{
		json_t *d = json_pack("{s:s}", "url", url);
		system_record(sys, &(struct audit_event){ .event = "server.start", .actor = "system",
		    .outcome = AUDIT_SUCCESS, .detail = d });
		json_decref(d);
	}
	if ((jobs = jobs_start(cfg, sys, vaults)) == NULL)
		log_warnx("cannot start the background jobs");
	log_info("listening on %s (data folder %s)", url, dir);
	printf("coffre is serving %s\n", url);
	fflush(stdout);

	while (sigwait(&mask, &sig) != 0)
		;
	log_info("received %s: no new connections, finishing requests in flight",
	    sig == SIGTERM ? "SIGTERM" : "SIGINT");
	rc = server_stop(srv, (unsigned)config_int(cfg, "server.shutdown_grace"));
	srv = NULL;
	jobs_stop(jobs);
	jobs = NULL;
	{
		json_t *d = json_pack("{s:b}", "drained", rc == 0);
		system_record(sys, &(struct audit_event){ .event = "server.stop", .actor = "system",
		    .outcome = rc == 0 ? AUDIT_SUCCESS : AUDIT_FAILURE, .detail = d });
		json_decref(d);
	}
	log_info("stopped%s", rc == 0 ? "" : " (some requests were cut off)");
	status = rc == 0 ? EXIT_OK : EXIT_FAIL;
out:
	server_stop(srv, 0);
	jobs_stop(jobs);
	auth_free(auth);
	mailer_free(mailer, 5);
	vault_cache_free(vaults);
	system_close(sys);
	cli_alerts_finish(alerts);
	config_free(cfg);
	return status;
}
