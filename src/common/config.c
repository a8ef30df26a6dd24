#include "common/config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/fsutil.h"

enum config_type { CONFIG_STR, CONFIG_INT, CONFIG_BOOL };

struct config_def {
	const char *name;
	enum config_type type;
	const char *def;
	long long min, max;     /* integers; for strings, the length bounds */
	const char *choices;    /* strings: "a|b|c" when only those are valid */
	const char *help;
};

static const struct config_def config_defs[] = {
	{ "server.listen", CONFIG_STR, "127.0.0.1:8443", 1, 255, NULL,
	  "Address and port of the HTTPS listener: 127.0.0.1:8443, [::1]:8443, 0.0.0.0:443.\n"
	  "Port 0 picks a free port and logs it." },
	{ "server.public_url", CONFIG_STR, "https://127.0.0.1:8443", 1, 512, NULL,
	  "Base URL users reach coffre at; used in links sent by e-mail." },
	{ "server.threads", CONFIG_INT, "2", 1, 64, NULL,
	  "Worker threads of the HTTP server (one per core is a good start)." },
	{ "server.max_connections", CONFIG_INT, "512", 1, 100000, NULL,
	  "Connections open at once; further ones are refused." },
	{ "server.max_connections_per_address", CONFIG_INT, "64", 0, 100000, NULL,
	  "Connections open at once from one client address (0: no per-address limit)." },
	{ "server.idle_timeout", CONFIG_INT, "15", 1, 3600, NULL,
	  "Seconds a connection may stay silent (while sending headers or idle between requests)." },
	{ "server.request_timeout", CONFIG_INT, "30", 1, 3600, NULL,
	  "Seconds a client has to send a whole request body; slower ones get 408." },
	{ "server.max_header_bytes", CONFIG_INT, "16384", 1024, 65536, NULL,
	  "Largest request line plus headers accepted, in bytes (431 beyond)." },
	{ "server.max_body_bytes", CONFIG_INT, "1048576", 1024, 67108864, NULL,
	  "Largest JSON request body accepted, in bytes (413 beyond)." },
	{ "server.max_json_depth", CONFIG_INT, "32", 1, 256, NULL,
	  "Deepest nesting of arrays and objects accepted in a JSON body." },
	{ "server.rate_limit", CONFIG_INT, "50", 0, 1000000, NULL,
	  "Requests per second allowed per client address, on average (0 disables; 429 beyond)." },
	{ "server.rate_limit_burst", CONFIG_INT, "200", 1, 1000000, NULL,
	  "Requests a client address may send in a burst above the average rate." },
	{ "server.shutdown_grace", CONFIG_INT, "15", 0, 600, NULL,
	  "Seconds SIGTERM waits for requests in flight before the server stops anyway." },
	{ "tls.cert", CONFIG_STR, "tls/cert.pem", 1, 1024, NULL,
	  "Certificate chain in PEM, relative to the data folder or absolute." },
	{ "tls.key", CONFIG_STR, "tls/key.pem", 1, 1024, NULL,
	  "Private key in PEM (mode 0600), relative to the data folder or absolute." },
	{ "tls.min_version", CONFIG_STR, "1.2", 1, 8, "1.2|1.3",
	  "Oldest TLS version accepted: 1.2 or 1.3. Older versions are never offered." },
	{ "log.level", CONFIG_STR, "info", 1, 8, "error|warn|info|debug",
	  "Lowest level of diagnostic messages written to stderr." },
	{ "audit.retention_days", CONFIG_INT, "274", 1, 36500, NULL,
	  "Days audit entries are kept (274: nine months); older ones are purged, the trail\n"
	  "stays verifiable from a signed anchor." },
	{ "audit.checkpoint_interval", CONFIG_INT, "300", 5, 86400, NULL,
	  "Seconds between signed checkpoints of audit trails that have new entries." },
	{ "audit.purge_interval", CONFIG_INT, "3600", 5, 604800, NULL,
	  "Seconds between retention purges of the audit trails." },
	{ "alerts.webhooks", CONFIG_STR, "", 0, 4096, NULL,
	  "Webhooks for audit alerts, separated by spaces, each URL|prefix,prefix (\"*\": all):\n"
	  "https://hooks.example/coffre|auth.,key.,tenant. (http only to loopback)." },
	{ "alerts.timeout", CONFIG_INT, "5", 1, 60, NULL,
	  "Seconds one webhook delivery attempt may take." },
	{ "alerts.retries", CONFIG_INT, "5", 1, 20, NULL,
	  "Attempts after the first for a failing webhook (backoff doubles from 0.5 s)." },
	{ "kb.trash_retention_days", CONFIG_INT, "30", 1, 3650, NULL,
	  "Days a deleted document stays in the trash before it is purged with every version." },
	{ "search.memory_index", CONFIG_BOOL, "true", 0, 0, NULL,
	  "Answer searches from an in-memory copy of each open vault's full-text index (built\n"
	  "at its first search, about 3.5 KiB per document); false: from the FTS5 tables." },
	{ "search.memory_max_mib", CONFIG_INT, "4096", 1, 1048576, NULL,
	  "MiB that the in-memory indexes of all vaults may take together (about 3.5 KiB per\n"
	  "document); a vault that would go over is searched from the FTS5 tables." },
	{ "search.memory_idle", CONFIG_INT, "900", 10, 604800, NULL,
	  "Seconds without a search after which a vault's in-memory index is freed (checked on\n"
	  "the audit checkpoint beat; the next search builds it again)." },
	{ "pii.mapping_ttl", CONFIG_INT, "3600", 1, 604800, NULL,
	  "Seconds a pseudonym mapping of the PII API lives when the call names no ttl_seconds\n"
	  "(capped by pii.mapping_ttl_max); it is erased when it expires." },
	{ "pii.mapping_ttl_max", CONFIG_INT, "86400", 1, 604800, NULL,
	  "Longest life of a pseudonym mapping in seconds, counted from its creation, however\n"
	  "often it is extended." },
	{ "pii.expiry_interval", CONFIG_INT, "60", 1, 86400, NULL,
	  "Seconds between erasures of expired pseudonym mappings in open vaults (every vault\n"
	  "is also swept at each audit.purge_interval)." },
	{ "password.argon2_memory_kib", CONFIG_INT, "65536", 8192, 4194304, NULL,
	  "Memory of one Argon2id password hash in KiB (65536: 64 MiB). OWASP's floor is 19456;\n"
	  "lower values exist for tests. Hashes are upgraded at the next login after a change." },
	{ "password.argon2_passes", CONFIG_INT, "3", 1, 16, NULL,
	  "Passes (time cost) of one Argon2id password hash." },
	{ "auth.session_idle", CONFIG_INT, "1800", 5, 86400, NULL,
	  "Seconds a session may stay unused before it ends (30 minutes)." },
	{ "auth.session_absolute", CONFIG_INT, "43200", 10, 604800, NULL,
	  "Seconds a session lasts at most, however active (12 hours)." },
	{ "auth.lockout_threshold", CONFIG_INT, "5", 1, 100, NULL,
	  "Consecutive failed logins that lock an account (a tenant's policy may lower it)." },
	{ "auth.lockout_minutes", CONFIG_INT, "15", 1, 10080, NULL,
	  "Minutes of the first lockout; each further lockout in a row doubles it (up to 24 h)." },
	{ "auth.address_failures", CONFIG_INT, "30", 1, 100000, NULL,
	  "Failed logins, TOTP codes and reset requests one client address may make in 15\n"
	  "minutes across every account before it gets 429." },
	{ "auth.invitation_hours", CONFIG_INT, "72", 1, 720, NULL,
	  "Hours an invitation link stays valid." },
	{ "auth.reset_minutes", CONFIG_INT, "60", 5, 1440, NULL,
	  "Minutes a password reset link stays valid." },
	{ "smtp.url", CONFIG_STR, "", 0, 512, NULL,
	  "SMTP server for invitation, reset and lockout mail: smtp://host:587 (STARTTLS when\n"
	  "offered) or smtps://host:465. Empty: no mail is sent (links are logged as unsent)." },
	{ "smtp.from", CONFIG_STR, "coffre@localhost", 3, 254, NULL,
	  "Sender address of coffre's mail." },
	{ "smtp.username", CONFIG_STR, "", 0, 254, NULL,
	  "SMTP user name; empty for no authentication." },
	{ "smtp.password", CONFIG_STR, "", 0, 254, NULL,
	  "SMTP password (keep this file 0600)." },
	{ "smtp.require_tls", CONFIG_BOOL, "false", 0, 0, NULL,
	  "Refuse to send when the server does not offer STARTTLS (smtps:// always uses TLS)." },
	{ "smtp.ca_file", CONFIG_STR, "", 0, 1024, NULL,
	  "Certificates trusted for the SMTP server in PEM; empty: the system's." },
	{ "smtp.timeout", CONFIG_INT, "20", 1, 300, NULL,
	  "Seconds one delivery attempt may take." },
	{ "smtp.retries", CONFIG_INT, "5", 0, 20, NULL,
	  "Attempts after the first for a message the server did not accept (backoff doubles\n"
	  "from 1 s)." },
};

#define CONFIG_NKEYS (sizeof(config_defs) / sizeof(config_defs[0]))

struct config {
	char *values[CONFIG_NKEYS];
};

static int
config_index(const char *name)
{
	for (size_t i = 0; i < CONFIG_NKEYS; i++)
		if (strcmp(config_defs[i].name, name) == 0)
			return (int)i;
	return -1;
}

static int config_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
config_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ERR_CONFIG;
}

static int
config_parse_int(const char *s, long long *out)
{
	char *end;
	long long v;

	if (*s == '\0' || isspace((unsigned char)*s))
		return ERR_INVALID;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return ERR_INVALID;
	*out = v;
	return 0;
}

static int
config_choice_ok(const char *choices, const char *value)
{
	size_t n = strlen(value);
	const char *p = choices;

	while (*p) {
		const char *bar = strchr(p, '|');
		size_t len = bar ? (size_t)(bar - p) : strlen(p);
		if (len == n && strncmp(p, value, n) == 0)
			return 1;
		if (bar == NULL)
			break;
		p = bar + 1;
	}
	return 0;
}

int
config_set(struct config *cfg, const char *name, const char *value, char *err, size_t errlen)
{
	const struct config_def *d;
	long long v;
	size_t len;
	char *copy;
	int i = config_index(name);

	if (i < 0)
		return config_fail(err, errlen, "unknown configuration key '%.64s'", name);
	d = &config_defs[i];
	len = strlen(value);
	if (len > CONFIG_MAX_VALUE)
		return config_fail(err, errlen, "%s: value too long", name);
	for (size_t k = 0; k < len; k++)
		if ((unsigned char)value[k] < 0x20 || value[k] == 0x7f)
			return config_fail(err, errlen, "%s: control character in value", name);
	switch (d->type) {
	case CONFIG_INT:
		if (config_parse_int(value, &v) != 0)
			return config_fail(err, errlen, "%s: expected an integer", name);
		if (v < d->min || v > d->max)
			return config_fail(err, errlen, "%s: must be between %lld and %lld", name,
			    d->min, d->max);
		break;
	case CONFIG_BOOL:
		if (strcmp(value, "true") != 0 && strcmp(value, "false") != 0)
			return config_fail(err, errlen, "%s: expected true or false", name);
		break;
	case CONFIG_STR:
		if ((long long)len < d->min || (long long)len > d->max)
			return config_fail(err, errlen, "%s: length must be between %lld and %lld",
			    name, d->min, d->max);
		if (d->choices != NULL && !config_choice_ok(d->choices, value))
			return config_fail(err, errlen, "%s: must be one of %s", name, d->choices);
		break;
	}
	if ((copy = strdup(value)) == NULL)
		return ERR_NOMEM;
	free(cfg->values[i]);
	cfg->values[i] = copy;
	return 0;
}

struct config *
config_new(void)
{
	struct config *cfg = calloc(1, sizeof(*cfg));

	if (cfg == NULL)
		return NULL;
	for (size_t i = 0; i < CONFIG_NKEYS; i++) {
		if ((cfg->values[i] = strdup(config_defs[i].def)) == NULL) {
			config_free(cfg);
			return NULL;
		}
	}
	return cfg;
}

void
config_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	for (size_t i = 0; i < CONFIG_NKEYS; i++)
		free(cfg->values[i]);
	free(cfg);
}

static char *
config_trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

int
config_load_file(struct config *cfg, const char *path, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len;
	int rc;

	rc = fs_read_all(path, CONFIG_MAX_FILE, 0, &buf, &len);
	if (rc == ERR_NOTFOUND)
		return rc;
	if (rc != 0)
		return config_fail(err, errlen, "%s: cannot read: %s", path, err_str(rc));
	rc = config_load_buffer(cfg, path, buf, len, err, errlen);
	free(buf);
	return rc;
}

int
config_load_buffer(struct config *cfg, const char *path, const char *text, size_t len,
    char *err, size_t errlen)
{
	char section[64] = "", key[160], msg[256];
	char *buf, *line, *next;
	int lineno = 0, rc;

	if (len > CONFIG_MAX_FILE)
		return config_fail(err, errlen, "%s: larger than %d bytes", path, CONFIG_MAX_FILE);
	if (memchr(text, '\0', len) != NULL)
		return config_fail(err, errlen, "%s: contains a NUL byte", path);
	if ((buf = malloc(len + 1)) == NULL)
		return ERR_NOMEM;
	memcpy(buf, text, len);
	buf[len] = '\0';
	for (line = buf; line != NULL; line = next) {
		char *eq, *name, *value;

		lineno++;
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		line = config_trim(line);
		if (*line == '\0' || *line == '#' || *line == ';')
			continue;
		if (*line == '[') {
			char *end = strchr(line, ']');
			if (end == NULL || end[1] != '\0' || end - line - 1 <= 0 ||
			    (size_t)(end - line - 1) >= sizeof(section)) {
				rc = config_fail(err, errlen, "%s:%d: malformed section header", path,
				    lineno);
				goto out;
			}
			*end = '\0';
			snprintf(section, sizeof(section), "%s", config_trim(line + 1));
			continue;
		}
		if ((eq = strchr(line, '=')) == NULL) {
			rc = config_fail(err, errlen, "%s:%d: expected 'name = value'", path, lineno);
			goto out;
		}
		*eq = '\0';
		name = config_trim(line);
		value = config_trim(eq + 1);
		if (section[0] == '\0') {
			rc = config_fail(err, errlen, "%s:%d: key outside of a [section]", path, lineno);
			goto out;
		}
		if ((size_t)snprintf(key, sizeof(key), "%s.%s", section, name) >= sizeof(key)) {
			rc = config_fail(err, errlen, "%s:%d: key too long", path, lineno);
			goto out;
		}
		if (config_set(cfg, key, value, msg, sizeof(msg)) != 0) {
			rc = config_fail(err, errlen, "%s:%d: %s", path, lineno, msg);
			goto out;
		}
	}
	rc = 0;
out:
	free(buf);
	return rc;
}

int
config_env_name(const char *name, char *out, size_t outsz)
{
	size_t n = strlen(name), k = 0;

	if (n + sizeof("COFFRE_") > outsz)
		return ERR_TOOBIG;
	memcpy(out, "COFFRE_", 7);
	k = 7;
	for (size_t i = 0; i < n; i++)
		out[k++] = name[i] == '.' ? '_' : (char)toupper((unsigned char)name[i]);
	out[k] = '\0';
	return 0;
}

int
config_load_env(struct config *cfg, char *const *envp, char *err, size_t errlen)
{
	char envname[200], msg[256];

	for (size_t i = 0; i < CONFIG_NKEYS; i++) {
		if (config_env_name(config_defs[i].name, envname, sizeof(envname)) != 0)
			return ERR_INTERNAL;
		size_t n = strlen(envname);
		for (char *const *e = envp; *e != NULL; e++) {
			if (strncmp(*e, envname, n) != 0 || (*e)[n] != '=')
				continue;
			if (config_set(cfg, config_defs[i].name, *e + n + 1, msg, sizeof(msg)) != 0)
				return config_fail(err, errlen, "%s: %s", envname, msg);
		}
	}
	return 0;
}

static int
config_lookup(const struct config *cfg, const char *name, enum config_type type)
{
	int i = config_index(name);

	if (i < 0 || config_defs[i].type != type)
		abort();        /* a misspelt key in the code, caught by any test */
	(void)cfg;
	return i;
}

const char *
config_str(const struct config *cfg, const char *name)
{
	return cfg->values[config_lookup(cfg, name, CONFIG_STR)];
}

long long
config_int(const struct config *cfg, const char *name)
{
	long long v = 0;

	config_parse_int(cfg->values[config_lookup(cfg, name, CONFIG_INT)], &v);
	return v;
}

int
config_bool(const struct config *cfg, const char *name)
{
	return strcmp(cfg->values[config_lookup(cfg, name, CONFIG_BOOL)], "true") == 0;
}

int
config_write_template(FILE *f)
{
	const char *section = "";
	size_t seclen = 0;
	char envname[200];

	fprintf(f, "# coffre configuration.\n"
	    "#\n"
	    "# Every key can also be set in the environment (server.listen as COFFRE_SERVER_LISTEN)\n"
	    "# or with `coffre serve --set section.name=value`; flags win over the environment,\n"
	    "# which wins over this file. Lines starting with # are comments; the values shown\n"
	    "# are the defaults.\n");
	for (size_t i = 0; i < CONFIG_NKEYS; i++) {
		const struct config_def *d = &config_defs[i];
		const char *dot = strchr(d->name, '.');
		size_t slen = (size_t)(dot - d->name);

		if (seclen != slen || strncmp(section, d->name, slen) != 0) {
			fprintf(f, "\n[%.*s]\n", (int)slen, d->name);
			section = d->name;
			seclen = slen;
		}
		fputc('\n', f);
		for (const char *h = d->help; *h;) {
			const char *nl = strchr(h, '\n');
			size_t l = nl ? (size_t)(nl - h) : strlen(h);
			fprintf(f, "# %.*s\n", (int)l, h);
			h += l + (nl ? 1 : 0);
		}
		config_env_name(d->name, envname, sizeof(envname));
		fprintf(f, "# Environment: %s\n", envname);
		fprintf(f, "#%s = %s\n", dot + 1, d->def);
	}
	return ferror(f) ? ERR_IO : 0;
}
