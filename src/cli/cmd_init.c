#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/config.h"
#include "common/err.h"
#include "common/fsutil.h"
#include "audit/audit.h"
#include "crypto/keyring.h"
#include "crypto/x509.h"

#define INIT_MAX_CREATED 10

struct init_state {
	char paths[INIT_MAX_CREATED][4096];
	int is_dir[INIT_MAX_CREATED];
	int n;
};

static int
init_track(struct init_state *st, const char *dir, const char *name, int is_dir, char **out)
{
	if (st->n == INIT_MAX_CREATED ||
	    fs_join(st->paths[st->n], sizeof(st->paths[0]), dir, name) != 0)
		return ERR_TOOBIG;
	st->is_dir[st->n] = is_dir;
	*out = st->paths[st->n++];
	return 0;
}

/* Undo a half-made folder so that a retry starts clean. */
static void
init_rollback(struct init_state *st)
{
	for (int i = st->n - 1; i >= 0; i--) {
		if (st->is_dir[i])
			rmdir(st->paths[i]);
		else
			unlink(st->paths[i]);
	}
}

static int
init_write_config(const char *path)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int rc;

	if (f == NULL)
		return ERR_NOMEM;
	rc = config_write_template(f);
	if (fclose(f) != 0 && rc == 0)
		rc = ERR_IO;
	if (rc == 0)
		rc = fs_write_new(path, buf, len, 0600);
	free(buf);
	return rc;
}

int
cmd_init(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	struct init_state st = { .n = 0 };
	const char *data_flag = NULL, *dir;
	char *keys, *tls, *master, *key, *cert, *conf, *sign, *sign_pub;
	struct audit_signer *signer;
	int c, rc, existed = 0;
	const char *step = "";

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'd') {
			fprintf(stderr, "usage: coffre init [--data DIR]\n");
			return EXIT_USAGE;
		}
		data_flag = optarg;
	}
	if (optind != argc) {
		fprintf(stderr, "usage: coffre init [--data DIR]\n");
		return EXIT_USAGE;
	}
	dir = cli_data_dir(data_flag);

	rc = fs_dir_is_empty(dir);
	if (rc == 0 || (rc < 0 && rc != ERR_NOTFOUND)) {
		cli_error("%s already exists and is not an empty folder; refusing to overwrite it",
		    dir);
		return EXIT_FAIL;
	}
	existed = rc == 1;
	if (existed) {
		if (chmod(dir, 0700) != 0) {
			cli_error("cannot set the mode of %s: %s", dir, strerror(errno));
			return EXIT_FAIL;
		}
	} else if ((rc = fs_mkdir(dir, 0700)) != 0) {
		cli_error("cannot create %s: %s", dir, rc == ERR_IO ? strerror(errno) : err_str(rc));
		return EXIT_FAIL;
	}

	if ((rc = init_track(&st, dir, "keys", 1, &keys)) != 0 ||
	    (rc = init_track(&st, dir, "tls", 1, &tls)) != 0 ||
	    (rc = init_track(&st, dir, KEYRING_MASTER_FILE, 0, &master)) != 0 ||
	    (rc = init_track(&st, dir, "tls/key.pem", 0, &key)) != 0 ||
	    (rc = init_track(&st, dir, "tls/cert.pem", 0, &cert)) != 0 ||
	    (rc = init_track(&st, dir, CONFIG_FILE_NAME, 0, &conf)) != 0 ||
	    (rc = init_track(&st, dir, AUDIT_SIGNING_FILE, 0, &sign)) != 0 ||
	    (rc = init_track(&st, dir, AUDIT_SIGNING_PUBLIC, 0, &sign_pub)) != 0) {
		step = "paths";
		goto fail;
	}
	/* Tracked paths are removed on failure only if this run made them: create in order. */
	st.n = 0;
	step = keys;
	if ((rc = fs_mkdir(keys, 0700)) != 0)
		goto fail;
	st.n++;
	step = tls;
	if ((rc = fs_mkdir(tls, 0700)) != 0)
		goto fail;
	st.n++;
	step = master;
	if ((rc = keyring_create_master(master)) != 0)
		goto fail;
	st.n++;
	step = "TLS key and certificate";
	if ((rc = x509_create_selfsigned(key, cert)) != 0) {
		unlink(key);
		goto fail;
	}
	st.n += 2;
	step = conf;
	if ((rc = init_write_config(conf)) != 0)
		goto fail;
	st.n++;
	step = sign;
	if ((signer = audit_signer_open(dir, 1, &rc)) == NULL) {
		unlink(sign);
		goto fail;
	}
	audit_signer_free(signer);
	st.n += 2;

	printf("created %s\n"
	    "  %s  master key (keep a copy offline: without it no vault can be opened)\n"
	    "  %s  self-signed certificate for localhost, 127.0.0.1, ::1\n"
	    "  %s  configuration (commented defaults)\n"
	    "  %s  key that signs audit checkpoints (public half: %s)\n", dir, master, cert, conf,
	    sign, sign_pub);
	return EXIT_OK;
fail:
	cli_error("init failed at %s: %s", step, rc == ERR_IO ? strerror(errno) : err_str(rc));
	init_rollback(&st);
	if (!existed)
		rmdir(dir);
	return EXIT_FAIL;
}
