#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/audit.h"
#include "cli/cli.h"
#include "common/config.h"
#include "common/err.h"
#include "common/timeutil.h"
#include "store/db.h"
#include "store/system.h"
#include "store/tenant.h"
#include "store/vault.h"

static int
audit_usage(void)
{
	fprintf(stderr, "usage: coffre audit verify [--tenant SLUG] [--data DIR]\n"
	    "       coffre audit export [--tenant SLUG] [--from TIME] [--to TIME] [--actor ID]\n"
	    "                           [--event PREFIX] [--outcome success|failure|denied]\n"
	    "       coffre audit purge [--tenant SLUG] [--before TIME] [--data DIR]\n"
	    "       coffre audit checkpoint [--tenant SLUG] [--data DIR]\n"
	    "TIME is UTC, 2026-11-23T10:00:00Z (or with .ffffff microseconds).\n");
	return EXIT_USAGE;
}

static int
audit_export_cb(sqlite3 *db, void *arg)
{
	return audit_export(db, arg, stdout);
}

static void
audit_print_report(const char *what, const struct audit_report *r)
{
	if (r->ok)
		printf("audit trail of %s intact: entries %lld to %lld (%ld), %ld signed "
		    "checkpoint(s) verified\n", what, (long long)r->first_seq,
		    (long long)r->last_seq, r->entries, r->checkpoints);
	else
		printf("audit trail of %s BROKEN at entry %lld: %s\n", what, (long long)r->bad_seq,
		    r->problem);
}

int
cmd_audit(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "tenant", required_argument, NULL, 't' },
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 'o' },
		{ "before", required_argument, NULL, 'b' },
		{ "actor", required_argument, NULL, 'a' },
		{ "event", required_argument, NULL, 'e' },
		{ "outcome", required_argument, NULL, 'u' },
		{ NULL, 0, NULL, 0 },
	};
	const char *data = NULL, *slug = NULL, *verb, *dir;
	struct config *cfg = NULL;
	struct system *sys = NULL;
	struct vault_cache *cache = NULL;
	struct vault *v = NULL;
	struct alerts *alerts = NULL;
	struct audit_report report;
	struct tenant t;
	struct audit_filter filter = { 0 };
	int64_t before = -1;
	int c, rc, status = EXIT_FAIL;

	if (argc < 2)
		return audit_usage();
	verb = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': data = optarg; break;
		case 't': slug = optarg; break;
		case 'f':
			if (time_parse_utc(optarg, &filter.from_us) != 0)
				return audit_usage();
			break;
		case 'o':
			if (time_parse_utc(optarg, &filter.to_us) != 0)
				return audit_usage();
			break;
		case 'a': filter.actor = optarg; break;
		case 'e': filter.event_prefix = optarg; break;
		case 'u': filter.outcome = optarg; break;
		case 'b': if (time_parse_utc(optarg, &before) != 0) return audit_usage(); break;
		default: return audit_usage();
		}
	}
	if (optind != argc || (strcmp(verb, "verify") != 0 && strcmp(verb, "export") != 0 &&
	    strcmp(verb, "purge") != 0 && strcmp(verb, "checkpoint") != 0))
		return audit_usage();
	dir = cli_data_dir(data);
	if ((cfg = cli_config_load(dir, 1)) == NULL)
		return EXIT_FAIL;
	if (before < 0)
		before = time_real_us() - (int64_t)config_int(cfg, "audit.retention_days") *
		    86400 * 1000000;
	if ((sys = system_open(dir, 0, &rc)) == NULL) {
		cli_error("cannot open %s: %s", dir, err_str(rc));
		goto out;
	}
	alerts = cli_alerts(cfg);
	if (alerts == NULL && config_str(cfg, "alerts.webhooks")[0] != '\0')
		goto out;
	audit_chain_set_alerts(system_audit(sys), alerts);
	if (slug != NULL) {
		if ((rc = tenant_find(sys, slug, &t)) != 0) {
			cli_error("no tenant %s", slug);
			goto out;
		}
		if ((cache = vault_cache_new(sys, 1, 1)) == NULL ||
		    (rc = vault_open(cache, t.id, &v)) != 0) {
			cli_error("cannot open the vault of %s: %s", slug, err_str(rc));
			goto out;
		}
		vault_cache_set_alerts(cache, alerts);
	}

	if (strcmp(verb, "verify") == 0) {
		if (v != NULL) {
			rc = vault_verify(v, &report);
		} else {
			struct audit_head head;
			int have = system_platform_head(sys, &head) == 0;
			system_lock(sys);
			rc = audit_verify(system_audit(sys), system_db(sys), have ? &head : NULL,
			    &report);
			system_unlock(sys);
		}
		if (rc != 0) {
			cli_error("cannot read the audit trail: %s", err_str(rc));
			goto out;
		}
		audit_print_report(slug ? slug : "the platform", &report);
		status = report.ok ? EXIT_OK : EXIT_FAIL;
	} else if (strcmp(verb, "export") == 0) {
		rc = v != NULL ? vault_read(v, audit_export_cb, &filter) :
		    audit_export(system_db(sys), &filter, stdout);
		if (rc == ERR_INVALID) {
			cli_error("invalid filter (outcome is success, failure or denied)");
			status = EXIT_USAGE;
			goto out;
		}
		if (rc != 0)
			cli_error("cannot export: %s", err_str(rc));
		status = rc == 0 ? EXIT_OK : EXIT_FAIL;
	} else if (strcmp(verb, "purge") == 0) {
		long purged = 0;
		rc = v != NULL ? vault_purge(v, before, &purged) :
		    system_audit_purge(sys, before, &purged);
		if (rc != 0)
			cli_error("cannot purge: %s", err_str(rc));
		else
			printf("purged %ld audit entr%s of %s\n", purged, purged == 1 ? "y" : "ies",
			    slug ? slug : "the platform");
		status = rc == 0 ? EXIT_OK : EXIT_FAIL;
	} else {
		rc = v != NULL ? vault_checkpoint(v, "manual") :
		    system_audit_checkpoint(sys, "manual");
		if (rc != 0 && rc != ERR_NOTFOUND)
			cli_error("cannot checkpoint: %s", err_str(rc));
		status = rc == 0 || rc == ERR_NOTFOUND ? EXIT_OK : EXIT_FAIL;
	}
out:
	vault_release(v);
	vault_cache_free(cache);
	system_close(sys);
	cli_alerts_finish(alerts);
	config_free(cfg);
	return status;
}
