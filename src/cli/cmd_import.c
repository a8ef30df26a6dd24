/* cmd_import.c: `coffre import`, a folder of Markdown and text files into a tenant's vault
 * (the walk and the rules are kb/import.c's). */
#include <getopt.h>
#include <stdio.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "common/config.h"
#include "common/err.h"
#include "kb/import.h"
#include "kb/kb.h"
#include "store/system.h"
#include "store/tenant.h"
#include "store/vault.h"

static int
import_usage(void)
{
	fprintf(stderr, "usage: coffre import --tenant SLUG PATH [--language L] [--dry-run] "
	    "[--json] [--data DIR]\n"
	    "Imports *.md, *.markdown and *.txt files under PATH as documents: title from the\n"
	    "front matter or the first heading or the file name, collection from the sub-folder,\n"
	    "tags and language from the front matter (else --language, default en).\n"
	    "Exit status: 0 when nothing was refused, 1 otherwise, 2 for a usage error.\n");
	return EXIT_USAGE;
}

static void
import_print(const struct kb_import_report *rep)
{
	for (size_t i = 0; i < rep->n; i++) {
		const struct kb_import_entry *e = &rep->entries[i];

		if (e->outcome == KB_IMPORT_IMPORTED && rep->dry_run)
			printf("would import %s\n", e->path);
		else if (e->outcome == KB_IMPORT_IMPORTED)
			printf("imported %s -> %s\n", e->path, e->id);
		else
			printf("%s %s: %s\n", e->outcome == KB_IMPORT_REFUSED ? "refused" :
			    "skipped", e->path, e->reason);
	}
	if (rep->dry_run)
		printf("%zu would be imported, %zu refused, %zu skipped (dry run: nothing was "
		    "created)\n", rep->imported, rep->refused, rep->skipped);
	else
		printf("%zu imported, %zu refused, %zu skipped\n", rep->imported, rep->refused,
		    rep->skipped);
}

static int
import_print_json(const struct kb_import_report *rep)
{
	json_t *doc = kb_import_report_json(rep);
	int rc;

	if (doc == NULL)
		return ERR_NOMEM;
	rc = json_dumpf(doc, stdout, JSON_COMPACT) == 0 ? 0 : ERR_IO;
	putchar('\n');
	json_decref(doc);
	return rc;
}

int
cmd_import(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "tenant", required_argument, NULL, 't' },
		{ "language", required_argument, NULL, 'l' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct kb_import_options opt = { .language = "en" };
	struct kb_import_report rep = { 0 };
	const char *data = NULL, *slug = NULL, *path, *dir;
	struct config *cfg = NULL;
	struct system *sys = NULL;
	struct vault_cache *cache = NULL;
	struct vault *v = NULL;
	struct alerts *alerts = NULL;
	struct tenant t;
	struct stat st;
	int c, rc, wrc = 0, json = 0, status = EXIT_FAIL;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': data = optarg; break;
		case 't': slug = optarg; break;
		case 'l': opt.language = optarg; break;
		case 'n': opt.dry_run = 1; break;
		case 'j': json = 1; break;
		default: return import_usage();
		}
	}
	if (optind != argc - 1 || slug == NULL)
		return import_usage();
	path = argv[optind];
	if (!kb_language_valid(opt.language)) {
		cli_error("--language %s: not a supported ISO 639-1 code (fr, en, de...)",
		    opt.language);
		return EXIT_USAGE;
	}
	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
		cli_error("%s is not a folder", path);
		return EXIT_USAGE;
	}
	dir = cli_data_dir(data);
	if ((cfg = cli_config_load(dir, 1)) == NULL)
		return EXIT_FAIL;
	if ((sys = system_open(dir, 0, &rc)) == NULL) {
		cli_error("cannot open %s: %s", dir, err_str(rc));
		goto out;
	}
	alerts = cli_alerts(cfg);
	if (alerts == NULL && config_str(cfg, "alerts.webhooks")[0] != '\0')
		goto out;
	if ((rc = tenant_find(sys, slug, &t)) != 0) {
		cli_error("no tenant %s", slug);
		goto out;
	}
	rc = ERR_NOMEM;
	if ((cache = vault_cache_new(sys, 1, 1)) == NULL ||
	    (rc = vault_open(cache, t.id, &v)) != 0) {
		cli_error("cannot open the vault of %s: %s", slug, err_str(rc));
		goto out;
	}
	vault_cache_set_alerts(cache, alerts);

	rc = kb_import_dir(v, path, &opt, &rep);
	if (!json)
		import_print(&rep);
	else if ((wrc = import_print_json(&rep)) != 0)
		cli_error("cannot write the report: %s", err_str(wrc));
	if (rc == ERR_TOOBIG && rep.n == 0)
		cli_error("%s holds more than %d files and folders: nothing was imported", path,
		    KB_IMPORT_ENTRIES_MAX);
	else if (rc == ERR_NOTFOUND || rc == ERR_INVALID)
		cli_error("%s is not a folder", path);
	else if (rc != 0)
		cli_error("import stopped: %s", err_str(rc));
	status = rc == 0 && rep.refused == 0 && wrc == 0 ? EXIT_OK : EXIT_FAIL;
out:
	kb_import_report_free(&rep);
	vault_release(v);
	vault_cache_free(cache);
	system_close(sys);
	cli_alerts_finish(alerts);
	config_free(cfg);
	return status;
}
