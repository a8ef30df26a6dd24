/* cmd_user.c: `coffre user add`, and the invitation link `tenant create` prints. */
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "auth/auth.h"
#include "cli/cli.h"
#include "common/config.h"
#include "common/err.h"
#include "store/system.h"
#include "store/tenant.h"
#include "store/vault.h"

int
cli_invite(struct system *sys, const char *dir, const char *tenant_id, const char *email,
    const char *role)
{
	struct config *cfg = NULL;
	struct vault_cache *cache = NULL;
	struct vault *v = NULL;
	struct auth *auth = NULL;
	struct result r = { 0 };
	char link[700];
	int rc;

	if ((cfg = cli_config_load(dir, 1)) == NULL)
		return ERR_CONFIG;
	rc = ERR_NOMEM;
	if ((cache = vault_cache_new(sys, 1, 1)) == NULL ||
	    (auth = auth_new(cfg, sys, cache, NULL, &rc)) == NULL ||
	    (rc = vault_open(cache, tenant_id, &v)) != 0) {
		cli_error("cannot open the vault: %s", err_str(rc));
		goto out;
	}
	rc = auth_invite(auth, v, NULL, NULL, email, role, link, sizeof(link), &r);
	if (rc != 0) {
		cli_error("cannot invite %s: %s", email, err_str(rc));
	} else if (r.status >= 400) {
		if (r.code != NULL && strcmp(r.code, "unknown_role") == 0)
			cli_error("cannot invite %s: there is no role %s (built in: admin, editor, "
			    "reader)", email, role);
		else
			cli_error("cannot invite %s: %s", email, r.message);
		rc = ERR_INVALID;
	} else {
		printf("invitation for %s (role %s), single use, valid %lld hours:\n%s\n", email, role,
		    config_int(cfg, "auth.invitation_hours"), link);
	}
	sodium_memzero(link, sizeof(link));
out:
	result_clear(&r);
	vault_release(v);
	auth_free(auth);
	vault_cache_free(cache);
	config_free(cfg);
	return rc;
}

static int
user_usage(void)
{
	fprintf(stderr, "usage: coffre user add --tenant SLUG --email EMAIL [--role ROLE] "
	    "[--data DIR]\n"
	    "Prints a single-use invitation link; the user chooses a password with it.\n");
	return EXIT_USAGE;
}

int
cmd_user(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "tenant", required_argument, NULL, 't' },
		{ "email", required_argument, NULL, 'e' },
		{ "role", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	const char *data = NULL, *slug = NULL, *email = NULL, *role = "reader", *dir;
	struct system *sys;
	struct tenant t;
	int c, rc;

	if (argc < 2 || strcmp(argv[1], "add") != 0)
		return user_usage();
	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': data = optarg; break;
		case 't': slug = optarg; break;
		case 'e': email = optarg; break;
		case 'r': role = optarg; break;
		default: return user_usage();
		}
	}
	if (optind != argc || slug == NULL || email == NULL)
		return user_usage();
	dir = cli_data_dir(data);
	if ((sys = system_open(dir, 0, &rc)) == NULL) {
		cli_error("cannot open %s: %s", dir, err_str(rc));
		return EXIT_FAIL;
	}
	if ((rc = tenant_find(sys, slug, &t)) != 0) {
		cli_error("no tenant %s", slug);
		system_close(sys);
		return EXIT_FAIL;
	}
	rc = cli_invite(sys, dir, t.id, email, role);
	system_close(sys);
	return rc == 0 ? EXIT_OK : EXIT_FAIL;
}
