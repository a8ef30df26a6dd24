#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "common/config.h"
#include "common/err.h"
#include "store/system.h"
#include "store/tenant.h"

static int
tenant_usage(void)
{
	fprintf(stderr, "usage: coffre tenant create SLUG --admin-email EMAIL [--name NAME] "
	    "[--kek-file FILE] [--data DIR]\n"
	    "       coffre tenant list [--json] [--data DIR]\n"
	    "       coffre tenant delete SLUG [--data DIR]\n"
	    "       coffre tenant rotate-key SLUG [--data DIR]\n");
	return EXIT_USAGE;
}

static const char *
tenant_reason(int rc)
{
	switch (rc) {
	case ERR_BUSY: return "the vault is in use (stop the server first)";
	case ERR_CRYPTO: return "a key does not open it (wrong master key or key-encryption key?)";
	case ERR_PERM: return "a key file is readable by group or others (chmod 600)";
	default: return err_str(rc);
	}
}

static struct alerts *tenant_alerts;

/* Opens the platform with the configuration's alerts attached to its audit trail. */
static struct system *
tenant_system(const char *data_flag)
{
	const char *dir = cli_data_dir(data_flag);
	struct config *cfg = cli_config_load(dir, 1);
	struct system *sys;
	int rc;

	if (cfg == NULL)
		return NULL;
	tenant_alerts = cli_alerts(cfg);
	if (tenant_alerts == NULL && config_str(cfg, "alerts.webhooks")[0] != '\0') {
		config_free(cfg);
		return NULL;    /* cli_alerts said why */
	}
	config_free(cfg);
	if ((sys = system_open(dir, 0, &rc)) == NULL) {
		cli_error("cannot open %s: %s", dir, tenant_reason(rc));
		return NULL;
	}
	audit_chain_set_alerts(system_audit(sys), tenant_alerts);
	return sys;
}

static void
tenant_system_close(struct system *sys)
{
	system_close(sys);
	cli_alerts_finish(tenant_alerts);
	tenant_alerts = NULL;
}

static int
tenant_print(const struct tenant *t, void *arg)
{
	json_t *list = arg;

	if (list != NULL)
		return json_array_append_new(list, json_pack("{s:s,s:s,s:s,s:s,s:I,s:b,s:s}",
		    "id", t->id, "slug", t->slug, "name", t->name, "status", t->status,
		    "key_version", (json_int_t)t->key_version, "byok", t->kek_file[0] != '\0',
		    "created", t->created)) == 0 ? 0 : ERR_NOMEM;
	printf("%-20s %-32s %-9s %4u %-4s %-20s %s\n", t->slug, t->id, t->status, t->key_version,
	    t->kek_file[0] ? "yes" : "no", t->created, t->name);
	return 0;
}

int
cmd_tenant(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "admin-email", required_argument, NULL, 'e' },
		{ "name", required_argument, NULL, 'n' },
		{ "kek-file", required_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	const char *data = NULL, *email = NULL, *name = NULL, *kek = NULL, *verb, *slug = NULL;
	struct system *sys;
	struct tenant t;
	int c, json = 0, rc, status = EXIT_FAIL;

	if (argc < 2)
		return tenant_usage();
	verb = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': data = optarg; break;
		case 'e': email = optarg; break;
		case 'n': name = optarg; break;
		case 'k': kek = optarg; break;
		case 'j': json = 1; break;
		default: return tenant_usage();
		}
	}
	if (optind < argc)
		slug = argv[optind++];
	if (optind != argc)
		return tenant_usage();

	if (strcmp(verb, "list") == 0) {
		json_t *list = json ? json_array() : NULL;
		if (slug != NULL || (sys = tenant_system(data)) == NULL) {
			json_decref(list);
			return slug ? tenant_usage() : EXIT_FAIL;
		}
		if (!json)
			printf("%-20s %-32s %-9s %4s %-4s %-20s %s\n", "SLUG", "ID", "STATUS", "KEY",
			    "BYOK", "CREATED", "NAME");
		rc = tenant_list(sys, tenant_print, list);
		if (rc == 0 && json) {
			char *s = json_dumps(list, JSON_INDENT(2));
			if (s != NULL)
				puts(s);
			free(s);
		}
		json_decref(list);
		if (rc != 0)
			cli_error("cannot list tenants: %s", tenant_reason(rc));
		tenant_system_close(sys);
		return rc == 0 ? EXIT_OK : EXIT_FAIL;
	}
	if (slug == NULL)
		return tenant_usage();
	if (strcmp(verb, "create") == 0) {
		if (email == NULL)
			return tenant_usage();
		if (!tenant_slug_valid(slug)) {
			cli_error("invalid slug '%s': 2 to 63 of a-z, 0-9 and -, not starting with -",
			    slug);
			return EXIT_USAGE;
		}
		if (!tenant_email_valid(email)) {
			cli_error("invalid e-mail address");
			return EXIT_USAGE;
		}
		if ((sys = tenant_system(data)) == NULL)
			return EXIT_FAIL;
		rc = tenant_create(sys, slug, name ? name : slug, email, kek, &t);
		if (rc == 0) {
			printf("created tenant %s\nid: %s\n", t.slug, t.id);
			if (kek != NULL)
				printf("key-encryption key: %s (without it the vault cannot be opened)\n",
				    t.kek_file);
			status = cli_invite(sys, cli_data_dir(data), t.id, email, "admin") == 0 ?
			    EXIT_OK : EXIT_FAIL;
		} else if (rc == ERR_EXISTS) {
			cli_error("a tenant named %s already exists", slug);
		} else if (rc == ERR_INVALID) {
			cli_error("invalid tenant name (1 to 200 printable characters)");
		} else {
			cli_error("cannot create tenant %s: %s", slug, kek && rc == ERR_NOTFOUND ?
			    "key-encryption key file not found" : tenant_reason(rc));
		}
	} else if (strcmp(verb, "delete") == 0) {
		if ((sys = tenant_system(data)) == NULL)
			return EXIT_FAIL;
		rc = tenant_delete(sys, slug);
		if (rc == 0) {
			printf("deleted tenant %s: its data key is destroyed, so no copy of its vault "
			    "can be opened any more\n", slug);
			status = EXIT_OK;
		} else {
			cli_error("cannot delete tenant %s: %s", slug, tenant_reason(rc));
		}
	} else if (strcmp(verb, "rotate-key") == 0) {
		if ((sys = tenant_system(data)) == NULL)
			return EXIT_FAIL;
		rc = tenant_rotate_key(sys, slug, &t);
		if (rc == 0) {
			printf("tenant %s: data key rotated to version %u; vault and blobs "
			    "re-encrypted, old key destroyed\n", t.slug, t.key_version);
			status = EXIT_OK;
		} else {
			cli_error("cannot rotate the key of tenant %s: %s", slug, tenant_reason(rc));
		}
	} else {
		return tenant_usage();
	}
	tenant_system_close(sys);
	return status;
}

int
cmd_key(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	const char *data = NULL;
	int c, rc;

	if (argc < 2 || strcmp(argv[1], "rotate-master") != 0) {
		fprintf(stderr, "usage: coffre key rotate-master [--data DIR]\n");
		return EXIT_USAGE;
	}
	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'd') {
			fprintf(stderr, "usage: coffre key rotate-master [--data DIR]\n");
			return EXIT_USAGE;
		}
		data = optarg;
	}
	if (optind != argc) {
		fprintf(stderr, "usage: coffre key rotate-master [--data DIR]\n");
		return EXIT_USAGE;
	}
	rc = system_rotate_master(cli_data_dir(data));
	if (rc != 0) {
		cli_error("cannot rotate the master key: %s", rc == ERR_BUSY ?
		    "the data folder is in use (stop the server first)" : tenant_reason(rc));
		return EXIT_FAIL;
	}
	printf("master key rotated: system.db re-encrypted and every tenant key re-wrapped; "
	    "keep a copy of the new %s offline\n", "keys/master.key");
	return EXIT_OK;
}
