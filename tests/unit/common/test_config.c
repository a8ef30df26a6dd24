#include "../test.h"

#include <sys/stat.h>

#include "common/config.h"
#include "common/err.h"

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void
test_defaults(void **state)
{
	struct config *cfg = config_new();

	(void)state;
	assert_string_equal(config_str(cfg, "server.listen"), "127.0.0.1:8443");
	assert_int_equal(config_int(cfg, "server.max_body_bytes"), 1048576);
	assert_string_equal(config_str(cfg, "tls.min_version"), "1.2");
	config_free(cfg);
}

static void
test_set_checks_type_range_and_choices(void **state)
{
	struct config *cfg = config_new();
	char err[256];

	(void)state;
	assert_int_equal(config_set(cfg, "server.threads", "8", err, sizeof(err)), 0);
	assert_int_equal(config_int(cfg, "server.threads"), 8);
	assert_int_equal(config_set(cfg, "server.threads", "0", err, sizeof(err)), ERR_CONFIG);
	assert_non_null(strstr(err, "between 1 and 64"));
	assert_int_equal(config_set(cfg, "server.threads", "8x", err, sizeof(err)), ERR_CONFIG);
	assert_int_equal(config_set(cfg, "server.threads", " 8", err, sizeof(err)), ERR_CONFIG);
	assert_int_equal(config_set(cfg, "server.threads", "99999999999999999999", err,
	    sizeof(err)), ERR_CONFIG);
	assert_int_equal(config_int(cfg, "server.threads"), 8);        /* unchanged */
	assert_int_equal(config_set(cfg, "tls.min_version", "1.1", err, sizeof(err)), ERR_CONFIG);
	assert_non_null(strstr(err, "1.2|1.3"));
	assert_int_equal(config_set(cfg, "tls.min_version", "1.3", err, sizeof(err)), 0);
	assert_int_equal(config_set(cfg, "server.lisen", "x", err, sizeof(err)), ERR_CONFIG);
	assert_non_null(strstr(err, "unknown configuration key"));
	assert_int_equal(config_set(cfg, "server.public_url", "a\nb", err, sizeof(err)),
	    ERR_CONFIG);
	config_free(cfg);
}

static void
test_file_then_env(void **state)
{
	char *dir = test_tmpdir(), path[512], err[512];
	struct config *cfg = config_new();
	char *envp[] = { "COFFRE_SERVER_LISTEN=127.0.0.1:9999", "COFFRE_UNRELATED=1",
		"COFFRE_SERVER_THREADS_X=5", NULL };

	(void)state;
	snprintf(path, sizeof(path), "%s/coffre.conf", dir);
	write_file(path, "# comment\n; other comment\n[server]\n  listen = 127.0.0.1:7000  \n"
	    "threads=3\n\n[log]\nlevel = debug\n");
	assert_int_equal(config_load_file(cfg, path, err, sizeof(err)), 0);
	assert_string_equal(config_str(cfg, "server.listen"), "127.0.0.1:7000");
	assert_int_equal(config_int(cfg, "server.threads"), 3);
	assert_string_equal(config_str(cfg, "log.level"), "debug");
	assert_int_equal(config_load_env(cfg, envp, err, sizeof(err)), 0);
	assert_string_equal(config_str(cfg, "server.listen"), "127.0.0.1:9999");
	assert_int_equal(config_int(cfg, "server.threads"), 3);
	config_free(cfg);
	test_rmtree(dir);
}

static void
test_file_errors_name_the_line(void **state)
{
	char *dir = test_tmpdir(), path[512], err[512];
	struct config *cfg = config_new();
	char *bad_env[] = { "COFFRE_SERVER_THREADS=lots", NULL };

	(void)state;
	snprintf(path, sizeof(path), "%s/coffre.conf", dir);
	write_file(path, "[server]\nthreads = 2\nmax_body_bytes = 12\n");
	assert_int_equal(config_load_file(cfg, path, err, sizeof(err)), ERR_CONFIG);
	assert_non_null(strstr(err, "coffre.conf:3:"));
	write_file(path, "listen = 1.2.3.4:5\n");
	assert_int_equal(config_load_file(cfg, path, err, sizeof(err)), ERR_CONFIG);
	assert_non_null(strstr(err, ":1: key outside"));
	write_file(path, "[server\n");
	assert_int_equal(config_load_file(cfg, path, err, sizeof(err)), ERR_CONFIG);
	write_file(path, "[server]\nnot a pair\n");
	assert_int_equal(config_load_file(cfg, path, err, sizeof(err)), ERR_CONFIG);
	assert_non_null(strstr(err, ":2: expected"));
	assert_int_equal(config_load_env(cfg, bad_env, err, sizeof(err)), ERR_CONFIG);
	assert_non_null(strstr(err, "COFFRE_SERVER_THREADS"));
	snprintf(path, sizeof(path), "%s/missing.conf", dir);
	assert_int_equal(config_load_file(cfg, path, err, sizeof(err)), ERR_NOTFOUND);
	config_free(cfg);
	test_rmtree(dir);
}

static void
test_template_parses_to_defaults(void **state)
{
	char *dir = test_tmpdir(), path[512], err[512], *text = NULL;
	size_t len = 0;
	struct config *cfg = config_new();
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/coffre.conf", dir);
	f = fopen(path, "w");
	assert_int_equal(config_write_template(f), 0);
	fclose(f);
	assert_int_equal(config_load_file(cfg, path, err, sizeof(err)), 0);
	assert_string_equal(config_str(cfg, "server.listen"), "127.0.0.1:8443");
	/* Every key is documented with its environment name. */
	f = fopen(path, "r");
	text = calloc(1, 65536);
	len = fread(text, 1, 65535, f);
	fclose(f);
	assert_true(len > 0);
	assert_non_null(strstr(text, "[server]"));
	assert_non_null(strstr(text, "#listen = 127.0.0.1:8443"));
	assert_non_null(strstr(text, "COFFRE_SERVER_MAX_BODY_BYTES"));
	assert_non_null(strstr(text, "[tls]"));
	/* Uncommented, the template must still parse to the defaults. */
	f = fopen(path, "w");
	for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n")) {
		if (line[0] == '#' && line[1] >= 'a' && line[1] <= 'z' && strstr(line, " = "))
			line++;
		fprintf(f, "%s\n", line);
	}
	fclose(f);
	free(text);
	config_free(cfg);
	cfg = config_new();
	assert_int_equal(config_set(cfg, "server.threads", "9", err, sizeof(err)), 0);
	assert_int_equal(config_load_file(cfg, path, err, sizeof(err)), 0);
	assert_int_equal(config_int(cfg, "server.threads"), 2);
	config_free(cfg);
	test_rmtree(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_set_checks_type_range_and_choices),
		cmocka_unit_test(test_file_then_env),
		cmocka_unit_test(test_file_errors_name_the_line),
		cmocka_unit_test(test_template_parses_to_defaults),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
