/* coffre: a self-hosted, multi-tenant knowledge vault. The command table lives here. */
#include <gnutls/gnutls.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "common/err.h"

#define COFFRE_VERSION "0.1.0"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage;
	const char *summary;
};

static int cmd_help(int argc, char **argv);
static int cmd_version(int argc, char **argv);

static const struct command commands[] = {
	{ "init", cmd_init, "init [--data DIR]",
	  "create the data folder: master key, TLS certificate, configuration" },
	{ "serve", cmd_serve, "serve [--data DIR] [--listen ADDR:PORT] [--set KEY=VALUE]...",
	  "run the HTTPS server until SIGTERM or SIGINT" },
	{ "tenant", cmd_tenant, "tenant create SLUG --admin-email EMAIL [--name N] [--kek-file F]",
	  "new tenant with its own encrypted vault" },
	{ "tenant", cmd_tenant, "tenant list [--json]", "list tenants" },
	{ "tenant", cmd_tenant, "tenant delete SLUG",
	  "crypto-shred a tenant: destroy its key, then its files" },
	{ "tenant", cmd_tenant, "tenant rotate-key SLUG",
	  "new data key; vault and blobs re-encrypted" },
	{ "user", cmd_user, "user add --tenant SLUG --email EMAIL [--role ROLE]",
	  "invite a user: prints a single-use link to choose a password" },
	{ "import", cmd_import, "import --tenant SLUG PATH [--language L] [--dry-run] [--json]",
	  "import a folder of Markdown and text files as documents" },
	{ "key", cmd_key, "key rotate-master", "new master key; every tenant key re-wrapped" },
	{ "audit", cmd_audit, "audit verify [--tenant SLUG]",
	  "check a tamper-evident audit trail; exit 1 at the first broken entry" },
	{ "audit", cmd_audit, "audit export [--tenant SLUG] [--from T] [--to T]",
	  "audit entries as JSON lines" },
	{ "audit", cmd_audit, "audit purge [--tenant SLUG] [--before T]",
	  "drop entries past retention (signed anchor keeps it verifiable)" },
	{ "audit", cmd_audit, "audit checkpoint [--tenant SLUG]", "sign a checkpoint now" },
	{ "pii", cmd_pii, "pii analyze [--lang L] [--entities A,B] [--threshold X] [--jsonl]",
	  "find personal data in standard input (JSON, offsets in code points)" },
	{ "pii", cmd_pii, "pii redact [--lang L] [--operator OP] [--mapping-out F] ...",
	  "standard input with its personal data replaced (pseudonyms...)" },
	{ "pii", cmd_pii, "pii restore --mapping F", "put pseudonymized values back" },
	{ "help", cmd_help, "help", "list the commands" },
	{ "version", cmd_version, "version", "print the version" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void
usage(FILE *f)
{
	fprintf(f, "usage: coffre COMMAND [OPTIONS]\n\ncommands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-66s %s\n", commands[i].usage, commands[i].summary);
	fprintf(f, "\nThe data folder is --data DIR, else $COFFRE_DATA, else ./data.\n"
	    "Exit status: 0 success, 1 failure, 2 usage error.\n");
}

static int
cmd_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	usage(stdout);
	return EXIT_OK;
}

static int
cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("coffre %s (GnuTLS %s, libsodium %s)\n", COFFRE_VERSION, gnutls_check_version(NULL),
	    sodium_version_string());
	return EXIT_OK;
}

int
main(int argc, char **argv)
{
	int status = EXIT_USAGE;

	umask(077);
	if (sodium_init() < 0) {
		fprintf(stderr, "coffre: cannot initialise libsodium\n");
		return EXIT_FAIL;
	}
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		argv[1] = (char *)"help";
	for (size_t i = 0; i < NCOMMANDS; i++) {
		if (strcmp(argv[1], commands[i].name) == 0) {
			status = commands[i].fn(argc - 1, argv + 1);
			goto out;
		}
	}
	fprintf(stderr, "coffre: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
out:
	/* A full disk or closed pipe on stdout is a failure, as git and jq treat it. */
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "coffre: error writing to standard output\n");
		return EXIT_FAIL;
	}
	return status;
}
