/*
 * bench_search.c: the library side of bench/search (run.sh drives it and the HTTPS side).
 * Not a test: it prints figures; it fails only when something it does fails.
 *
 *   bench_search populate DATA SLUG DOCS      DOCS generated documents into the tenant SLUG
 *                                             with kb_document_create (one transaction each,
 *                                             index maintained by coffre), progress on stderr
 *   bench_search queries DOCS FILE [N]        N (200) queries, one per line, into FILE
 *   bench_search each DATA SLUG FILE          each query once: floor and search_run times,
 *                                             hits and total matches, one line per query
 *   bench_search profile DATA SLUG FILE [PASSES] where search_run's time goes, statement
 *                                             by statement (SQLite's profile trace)
 *   bench_search sql DATA SLUG FILE STATEMENT [PASSES] times a statement of one's own
 *                                             over every query (see bench_sql), or shows
 *                                             its plan for the first query (EXPLAIN QUERY PLAN)
 *   bench_search results DATA SLUG FILE [USER_ID] search_run's answers under a few
 *                                             filters, to diff two builds of search.c
 *   bench_search sample K                     prints generated document K
 *   bench_search floor DATA SLUG FILE [PASSES] each query's FTS5 expression (query_parse) run
 *                                             on the vault's index through vault_read, 1 then 2
 *                                             threads; then search_run (coffre's search without
 *                                             HTTP) the same way
 *
 * The text is generated from fixed seeds, document by document (document k always reads the
 * same), so a run that reuses a populated folder searches the same corpus and the phrase
 * queries can quote real documents. Two vocabularies of BENCH_VOCAB words (English, French),
 * each drawn with a Zipf law (s = 1): the most frequent ranks are real function words (stop
 * words for the query parser), then real customer-service words, then pseudo-words built from
 * syllables and suffixes of the language (so that stemming merges some of them, and French ones
 * carry accents). Titles have 5-10 content words, bodies 100-300 words in sentences and
 * paragraphs, French elision (l', d', qu') included; 1-4 tags out of BENCH_TAGS (three of them
 * restricted: their documents are invisible to a caller without a grant), a collection out of
 * BENCH_COLLECTIONS for 90% of documents; 60% English, 40% French, with some English words in
 * French documents.
 *
 * Figures are printed as "key value" lines for run.sh, after a human-readable summary.
 */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "access/access.h"
#include "common/err.h"
#include "common/result.h"
#include "kb/kb.h"
#include "search/query.h"
#include "search/search.h"
#include "store/system.h"
#include "store/tenant.h"
#include "store/vault.h"

#define BENCH_VOCAB 10000               /* words per language: ~20k in all */
#define BENCH_WORD_MAX 48               /* bytes of a generated word, NUL included */
#define BENCH_CONTENT_RANK 60           /* ranks below are function words */
#define BENCH_TAGS 120
#define BENCH_COLLECTIONS 24
#define BENCH_QUERIES_DEFAULT 200
#define BENCH_QUERY_MAX 512
#define BENCH_PASSES_DEFAULT 5
#define BENCH_MEASURE_SECS 20.0         /* passes after the first stop starting then */
#define BENCH_THREADS_MAX 2
#define BENCH_DOCS_MAX 10000000L
#define BENCH_TITLE_BYTES 400
#define BENCH_BODY_BYTES 8192

#define BENCH_SEED_VOCAB UINT64_C(0x766f636162)
#define BENCH_SEED_DOC UINT64_C(0x646f63756d656e74)
#define BENCH_SEED_QUERY UINT64_C(0x7175657279)

/* ---- deterministic randomness ---- */

static uint64_t
bench_rng_next(uint64_t *s)
{
	uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static uint32_t
bench_rng_below(uint64_t *s, uint32_t n)
{
	return (uint32_t)(((bench_rng_next(s) >> 32) * n) >> 32);
}

static double
bench_rng_unit(uint64_t *s)
{
	return (double)(bench_rng_next(s) >> 11) / 9007199254740992.0;
}

/* A rank in [lo, hi) uniform in log space: as many rare as frequent picks. */
static uint32_t
bench_rng_logrank(uint64_t *s, uint32_t lo, uint32_t hi)
{
	double x = exp(log((double)lo) + bench_rng_unit(s) * (log((double)hi) - log((double)lo)));
	uint32_t r = (uint32_t)x;

	return r < lo ? lo : r >= hi ? hi - 1 : r;
}

/* A Zipf law (s = 1) over n ranks: the cumulative weights, searched by bisection. */
struct bench_zipf {
	double *cdf;
	uint32_t n;
};

static int
bench_zipf_init(struct bench_zipf *z, uint32_t n)
{
	double sum = 0;

	if ((z->cdf = malloc(n * sizeof(*z->cdf))) == NULL)
		return ERR_NOMEM;
	z->n = n;
	for (uint32_t i = 0; i < n; i++)
		z->cdf[i] = (sum += 1.0 / (double)(i + 1));
	for (uint32_t i = 0; i < n; i++)
		z->cdf[i] /= sum;
	return 0;
}

static uint32_t
bench_zipf_draw(const struct bench_zipf *z, uint64_t *s)
{
	double u = bench_rng_unit(s);
	uint32_t lo = 0, hi = z->n - 1;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (z->cdf[mid] < u)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* ---- vocabularies ---- */

enum bench_lang { BENCH_EN, BENCH_FR, BENCH_LANGS };

static const char *const bench_lang_codes[BENCH_LANGS] = { "en", "fr" };

/* The first BENCH_CONTENT_RANK ranks: function words, most frequent first. */
static const char *const bench_function_words[BENCH_LANGS][BENCH_CONTENT_RANK] = {
	{ "the", "of", "and", "to", "a", "in", "is", "you", "that", "it", "for", "on", "with",
	  "as", "are", "be", "this", "by", "your", "or", "can", "from", "not", "an", "at", "if",
	  "will", "we", "have", "all", "when", "which", "do", "more", "use", "how", "one",
	  "there", "their", "has", "but", "was", "they", "what", "new", "into", "other", "then",
	  "each", "any", "only", "also", "may", "so", "these", "after", "before", "must",
	  "should", "where" },
	{ "de", "la", "le", "et", "les", "des", "à", "en", "un", "une", "du", "que", "est",
	  "pour", "qui", "dans", "sur", "par", "au", "pas", "plus", "ne", "se", "vous", "ce",
	  "il", "avec", "sont", "ou", "son", "sa", "aux", "nous", "mais", "leur", "été", "être",
	  "avoir", "cette", "tout", "fait", "elle", "comme", "peut", "ses", "si", "on", "même",
	  "votre", "vos", "entre", "aussi", "après", "avant", "doit", "lorsque", "chaque",
	  "très", "sans", "sous" },
};

/* Then these, in this order, then pseudo-words. */
static const char *const bench_domain_en[] = {
	"account", "password", "user", "invoice", "payment", "login", "email", "access",
	"support", "customer", "order", "refund", "delivery", "settings", "security", "team",
	"report", "data", "file", "update", "error", "subscription", "plan", "billing",
	"contract", "admin", "role", "permission", "export", "import", "backup", "integration",
	"notification", "message", "ticket", "request", "server", "network", "device",
	"browser", "application", "document", "policy", "privacy", "consent", "reset", "change",
	"configure", "enable", "disable", "install", "connect", "create", "delete", "manage",
	"running", "checked", "processing", "customers", "passwords", "invoices", "payments",
	"users", "accounts", "reports", "updates", "errors", "orders", "devices", "running",
	NULL,
};
static const char *const bench_domain_fr[] = {
	"compte", "mot", "passe", "utilisateur", "facture", "paiement", "connexion", "courriel",
	"accès", "assistance", "client", "commande", "remboursement", "livraison", "paramètres",
	"sécurité", "équipe", "rapport", "données", "fichier", "mise", "jour", "erreur",
	"abonnement", "offre", "facturation", "contrat", "administrateur", "rôle",
	"autorisation", "exportation", "importation", "sauvegarde", "intégration",
	"notification", "message", "demande", "serveur", "réseau", "appareil", "navigateur",
	"application", "document", "politique", "confidentialité", "consentement",
	"réinitialiser", "changer", "configurer", "activer", "désactiver", "installer",
	"connecter", "créer", "supprimer", "gérer", "cheval", "chevaux", "clients", "factures",
	"comptes", "utilisateurs", "donnée", "erreurs", "commandes", "appareils", "rapports",
	NULL,
};

/* Pseudo-words: three syllables spelling the rank (so all differ), a suffix of the language. */
static const char *const bench_syllables[BENCH_LANGS][2][16] = {
	{ { "b", "c", "d", "f", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w" },
	  { "a", "e", "i", "o", "u", "ea", "ou", "y", NULL } },
	{ { "b", "c", "d", "f", "g", "j", "l", "m", "n", "p", "r", "s", "t", "v", "ch", "qu" },
	  { "a", "e", "i", "o", "u", "é", "è", "ou", NULL } },
};
static const char *const bench_suffixes[BENCH_LANGS][12] = {
	{ "", "", "", "s", "ing", "ed", "er", "tion", "ness", "ment", "able", "ly" },
	{ "", "", "", "s", "e", "es", "er", "ement", "tion", "ité", "eur", "ée" },
};

struct bench_vocab {
	char words[BENCH_LANGS][BENCH_VOCAB][BENCH_WORD_MAX];
	struct bench_zipf zipf;         /* over BENCH_VOCAB ranks */
	struct bench_zipf tag_zipf, coll_zipf;
	char tags[BENCH_TAGS][40];
	char colls[BENCH_COLLECTIONS][40];
};

static const char *const bench_tag_names[] = {
	"billing", "facturation", "sso", "onboarding", "api", "mobile", "how-to", "faq",
	"securite", "security", "gdpr", "rgpd", "release", "troubleshooting", "depannage",
	"integrations", "admin", "reporting", "export", "import", "legacy", "beta", NULL,
};
static const char *const bench_restricted_tags[] = { "internal", "legal-hold",
	"rh-confidentiel" };
#define BENCH_RESTRICTED (sizeof(bench_restricted_tags) / sizeof(bench_restricted_tags[0]))
static const char *const bench_coll_names[] = {
	"Guides", "FAQ", "Release notes", "Procédures", "Support / Billing", "Support / Accounts",
	"Produit", "Sécurité", "Onboarding", "API reference", NULL,
};

static void
bench_vocab_pseudo(char *out, enum bench_lang lang, uint32_t rank, uint64_t *rng)
{
	const char *const *cons = bench_syllables[lang][0], *const *vow = bench_syllables[lang][1];
	uint32_t nv = 0, x;
	size_t len = 0;

	while (nv < 16 && vow[nv] != NULL)
		nv++;
	/* An odd multiplier modulo 2^21 (= 128^3, for nv = 8) scatters the ranks bijectively. */
	x = (uint32_t)(((uint64_t)rank * UINT64_C(2654435761)) & ((UINT64_C(1) << 21) - 1));
	/* 16 x nv syllables: three of them give more than BENCH_VOCAB distinct stems. */
	for (int k = 0; k < 3; k++) {
		uint32_t syl = x % (16 * nv);
		x /= 16 * nv;
		len += (size_t)snprintf(out + len, BENCH_WORD_MAX - len, "%s%s", cons[syl / nv],
		    vow[syl % nv]);
	}
	snprintf(out + len, BENCH_WORD_MAX - len, "%s",
	    bench_suffixes[lang][bench_rng_below(rng, 12)]);
}

static int
bench_vocab_build(struct bench_vocab *v)
{
	uint64_t rng = BENCH_SEED_VOCAB;
	int rc;

	for (int l = 0; l < BENCH_LANGS; l++) {
		const char *const *domain = l == BENCH_EN ? bench_domain_en : bench_domain_fr;
		uint32_t r = 0;

		for (; r < BENCH_CONTENT_RANK; r++)
			snprintf(v->words[l][r], BENCH_WORD_MAX, "%s", bench_function_words[l][r]);
		for (const char *const *d = domain; *d != NULL; d++, r++)
			snprintf(v->words[l][r], BENCH_WORD_MAX, "%s", *d);
		for (; r < BENCH_VOCAB; r++)
			bench_vocab_pseudo(v->words[l][r], (enum bench_lang)l, r, &rng);
	}
	for (int t = 0; t < BENCH_TAGS; t++) {
		if (t < (int)(sizeof(bench_tag_names) / sizeof(*bench_tag_names)) - 1)
			snprintf(v->tags[t], sizeof(v->tags[t]), "%s", bench_tag_names[t]);
		else
			snprintf(v->tags[t], sizeof(v->tags[t]), "topic-%03d", t);
	}
	for (int c = 0; c < BENCH_COLLECTIONS; c++) {
		if (c < (int)(sizeof(bench_coll_names) / sizeof(*bench_coll_names)) - 1)
			snprintf(v->colls[c], sizeof(v->colls[c]), "%s", bench_coll_names[c]);
		else
			snprintf(v->colls[c], sizeof(v->colls[c]), "Team %02d", c);
	}
	if ((rc = bench_zipf_init(&v->zipf, BENCH_VOCAB)) != 0 ||
	    (rc = bench_zipf_init(&v->tag_zipf, BENCH_TAGS)) != 0 ||
	    (rc = bench_zipf_init(&v->coll_zipf, BENCH_COLLECTIONS)) != 0)
		return rc;
	return 0;
}

static void
bench_vocab_free(struct bench_vocab *v)
{
	if (v == NULL)
		return;
	free(v->zipf.cdf);
	free(v->tag_zipf.cdf);
	free(v->coll_zipf.cdf);
	free(v);
}

/* ---- documents ---- */

struct bench_doc {
	enum bench_lang lang;
	char title[BENCH_TITLE_BYTES];
	char body[BENCH_BODY_BYTES];
	const char *tags[5];
	size_t ntags;
	const char *collection;
};

/* A content word (rank >= BENCH_CONTENT_RANK) of lang, Zipf-distributed. */
static const char *
bench_content_word(const struct bench_vocab *v, enum bench_lang lang, uint64_t *rng)
{
	uint32_t r;

	do
		r = bench_zipf_draw(&v->zipf, rng);
	while (r < BENCH_CONTENT_RANK);
	return v->words[lang][r];
}

static int
bench_starts_vowel(const char *w)
{
	return strchr("aeiouh", w[0]) != NULL || strncmp(w, "é", strlen("é")) == 0;
}

/* Appends s to buf (bounded; the generator never comes near the bound). */
static void
bench_cat(char *buf, size_t *len, size_t cap, const char *s)
{
	size_t n = strlen(s);

	if (*len + n + 1 > cap)
		return;
	memcpy(buf + *len, s, n + 1);
	*len += n;
}

static void
bench_doc_make(const struct bench_vocab *v, long k, struct bench_doc *d)
{
	uint64_t rng = BENCH_SEED_DOC ^ ((uint64_t)k * UINT64_C(0x9e3779b97f4a7c15));
	enum bench_lang other;
	size_t len = 0, nwords;
	int nt, sentence_left = 0, para_left = 3 + (int)bench_rng_below(&rng, 3), capital = 1;
	int prev_capital = 0;
	size_t prev_start = 0;
	const char *prev = NULL;

	bench_rng_next(&rng);
	d->lang = bench_rng_below(&rng, 10) < 6 ? BENCH_EN : BENCH_FR;
	other = d->lang == BENCH_EN ? BENCH_FR : BENCH_EN;

	/* Title: 5-10 content words, the first capitalised. */
	nt = 5 + (int)bench_rng_below(&rng, 6);
	d->title[0] = '\0';
	for (int i = 0; i < nt; i++) {
		if (i > 0)
			bench_cat(d->title, &len, sizeof(d->title), " ");
		bench_cat(d->title, &len, sizeof(d->title), bench_content_word(v, d->lang, &rng));
	}
	if (d->title[0] >= 'a' && d->title[0] <= 'z')
		d->title[0] = (char)(d->title[0] - 'a' + 'A');

	/* Body: sentences of 6-18 words, paragraphs of 3-5 sentences, some headings. */
	nwords = 100 + bench_rng_below(&rng, 201);
	len = 0;
	d->body[0] = '\0';
	for (size_t i = 0; i < nwords; i++) {
		uint32_t r = bench_zipf_draw(&v->zipf, &rng);
		enum bench_lang l = d->lang;
		const char *w;
		char cap[BENCH_WORD_MAX];

		if (d->lang == BENCH_FR && r >= BENCH_CONTENT_RANK && bench_rng_below(&rng, 20) == 0)
			l = other;      /* an English term in a French text */
		w = v->words[l][r];
		if (sentence_left == 0) {
			if (i > 0) {
				bench_cat(d->body, &len, sizeof(d->body),
				    bench_rng_below(&rng, 8) == 0 ? "?" : ".");
				if (--para_left == 0) {
					bench_cat(d->body, &len, sizeof(d->body), "\n\n");
					para_left = 3 + (int)bench_rng_below(&rng, 3);
					if (bench_rng_below(&rng, 3) == 0) {
						bench_cat(d->body, &len, sizeof(d->body), "## ");
						for (int h = 0; h < 3; h++) {
							bench_cat(d->body, &len, sizeof(d->body),
							    bench_content_word(v, d->lang, &rng));
							bench_cat(d->body, &len, sizeof(d->body),
							    h < 2 ? " " : "\n\n");
						}
					}
				} else
					bench_cat(d->body, &len, sizeof(d->body), " ");
			}
			sentence_left = 6 + (int)bench_rng_below(&rng, 13);
			capital = 1;
			prev = NULL;
		} else if (prev != NULL && d->lang == BENCH_FR && bench_starts_vowel(w) &&
		    (strcmp(prev, "le") == 0 || strcmp(prev, "la") == 0 || strcmp(prev, "de") == 0 ||
		    strcmp(prev, "que") == 0 || strcmp(prev, "ne") == 0 || strcmp(prev, "se") == 0)) {
			/* Elision: "le" + "accès" -> "l'accès". */
			char el[4] = { prev[0], '\'', '\0', '\0' };
			if (prev[0] == 'q')
				memcpy(el, "qu'", 4);
			if (prev_capital)
				el[0] = (char)(el[0] - 'a' + 'A');
			len = prev_start;
			d->body[len] = '\0';
			bench_cat(d->body, &len, sizeof(d->body), el);
		} else {
			bench_cat(d->body, &len, sizeof(d->body), bench_rng_below(&rng, 12) == 0 ?
			    ", " : " ");
		}
		prev_start = len;
		prev_capital = capital;
		snprintf(cap, sizeof(cap), "%s", w);
		if (capital && cap[0] >= 'a' && cap[0] <= 'z')
			cap[0] = (char)(cap[0] - 'a' + 'A');
		capital = 0;
		bench_cat(d->body, &len, sizeof(d->body), cap);
		prev = w;
		sentence_left--;
	}
	bench_cat(d->body, &len, sizeof(d->body), ".\n");

	/* 1-4 distinct tags; 3% of documents carry a restricted one too. */
	d->ntags = 0;
	nt = 1 + (int)bench_rng_below(&rng, 4);
	for (int i = 0; i < nt; i++) {
		const char *t = v->tags[bench_zipf_draw(&v->tag_zipf, &rng)];
		int dup = 0;
		for (size_t j = 0; j < d->ntags; j++)
			dup |= strcmp(d->tags[j], t) == 0;
		if (!dup)
			d->tags[d->ntags++] = t;
	}
	if (bench_rng_below(&rng, 100) < 3)
		d->tags[d->ntags++] = bench_restricted_tags[bench_rng_below(&rng, BENCH_RESTRICTED)];
	d->collection = bench_rng_below(&rng, 10) == 0 ? NULL :
	    v->colls[bench_zipf_draw(&v->coll_zipf, &rng)];
}

/* ---- timing and statistics ---- */

static double
bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The p-th percentile (nearest rank) of n sorted values. */
static double
bench_pct(const double *sorted, size_t n, double p)
{
	size_t i = (size_t)ceil(p / 100.0 * (double)n);

	return n == 0 ? 0 : sorted[i == 0 ? 0 : i - 1];
}

/* ---- the vault ---- */

struct bench_vault {
	struct system *sys;
	struct vault_cache *cache;
	struct vault *v;
};

static int
bench_cache_size(sqlite3 *db, void *arg)
{
	char sql[64];

	snprintf(sql, sizeof(sql), "PRAGMA cache_size = -%ld", strtol(arg, NULL, 10));
	return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : ERR_INTERNAL;
}

static int
bench_vault_open(struct bench_vault *b, const char *data, const char *slug, unsigned readers)
{
	struct tenant t;
	int rc;

	memset(b, 0, sizeof(*b));
	if ((b->sys = system_open(data, 0, &rc)) == NULL) {
		fprintf(stderr, "bench_search: cannot open %s: %s\n", data, err_str(rc));
		return rc;
	}
	if ((rc = tenant_find(b->sys, slug, &t)) != 0) {
		fprintf(stderr, "bench_search: no tenant %s: %s\n", slug, err_str(rc));
		return rc;
	}
	if ((b->cache = vault_cache_new(b->sys, 1, readers)) == NULL)
		return ERR_NOMEM;
	if ((rc = vault_open(b->cache, t.id, &b->v)) != 0) {
		fprintf(stderr, "bench_search: cannot open the vault of %s: %s\n", slug,
		    err_str(rc));
		return rc;
	}
	/* What a bigger page cache would change (single-reader modes only). */
	if (readers == 1 && getenv("BENCH_SEARCH_CACHE_KIB") != NULL &&
	    (rc = vault_read(b->v, bench_cache_size, (void *)getenv("BENCH_SEARCH_CACHE_KIB"))) != 0)
		return rc;
	/* search_run answers from the in-memory index unless BENCH_SEARCH_MEMORY=0: build it
	 * now, as a server would have by the time it is measured. */
	if (getenv("BENCH_SEARCH_MEMORY") != NULL && strcmp(getenv("BENCH_SEARCH_MEMORY"), "0") == 0)
		search_memory(0);
	else if ((rc = search_warm(b->v)) != 0)
		fprintf(stderr, "bench_search: in-memory index: %s\n", err_str(rc));
	return rc;
}

static void
bench_vault_close(struct bench_vault *b)
{
	vault_release(b->v);
	vault_cache_free(b->cache);
	system_close(b->sys);
	memset(b, 0, sizeof(*b));
}

/* ---- populate ---- */

static int
bench_populate(const char *data, const char *slug, long ndocs)
{
	struct bench_vault b;
	struct bench_vocab *v = calloc(1, sizeof(*v));
	struct bench_doc *d = calloc(1, sizeof(*d));
	double t0, t1, last;
	long k;
	int rc;

	if (v == NULL || d == NULL || (rc = bench_vocab_build(v)) != 0) {
		rc = ERR_NOMEM;
		goto out_free;
	}
	if ((rc = bench_vault_open(&b, data, slug, 1)) != 0)
		goto out;
	for (size_t i = 0; i < BENCH_RESTRICTED; i++) {
		struct result r = { 0 };
		json_t *body = json_pack("{s:s, s:b}", "name", bench_restricted_tags[i],
		    "restricted", 1);
		rc = body ? kb_taxonomy_create(b.v, NULL, NULL, 1, body, &r) : ERR_NOMEM;
		json_decref(body);
		if (rc == 0 && r.status != 201 && r.status != 409) {
			fprintf(stderr, "bench_search: tag %s: %d %s\n", bench_restricted_tags[i],
			    r.status, r.message);
			rc = ERR_INTERNAL;
		}
		result_clear(&r);
		if (rc != 0)
			goto out;
	}
	t0 = last = bench_now();
	for (k = 0; k < ndocs; k++) {
		struct kb_doc_input in;
		struct result r = { 0 };

		bench_doc_make(v, k, d);
		memset(&in, 0, sizeof(in));
		in.title = d->title;
		in.body = d->body;
		in.language = bench_lang_codes[d->lang];
		in.collection = d->collection;
		for (size_t i = 0; i < d->ntags; i++)
			in.tags[i] = d->tags[i];
		in.ntags = d->ntags;
		rc = kb_document_create(b.v, NULL, NULL, &in, &r);
		if (rc == 0 && r.status != 201) {
			fprintf(stderr, "bench_search: document %ld: %d %s\n", k, r.status, r.message);
			rc = ERR_INTERNAL;
		}
		result_clear(&r);
		if (rc != 0)
			goto out;
		if (bench_now() - last >= 5.0 || k + 1 == ndocs) {
			double now = bench_now();
			fprintf(stderr, "bench_search: %ld/%ld documents, %.0f s, %.0f documents/s\n",
			    k + 1, ndocs, now - t0, (double)(k + 1) / (now - t0));
			last = now;
		}
	}
	t1 = bench_now();
	bench_vault_close(&b);  /* the final checkpoint counts too */
	{
		double secs = bench_now() - t0;
		printf("populate: %ld documents in %.1f s (%.0f documents/s; close %.1f s)\n",
		    ndocs, secs, (double)ndocs / secs, bench_now() - t1);
		printf("populate_docs %ld\npopulate_seconds %.1f\npopulate_rate %.0f\n", ndocs,
		    secs, (double)ndocs / secs);
	}
	goto out_free;
out:
	bench_vault_close(&b);
out_free:
	bench_vocab_free(v);
	free(d);
	return rc;
}

/* ---- queries ---- */

/* Two or three consecutive plain words of document k's body, as a quoted phrase. */
static int
bench_phrase(const struct bench_vocab *v, long k, uint64_t *rng, char *out, size_t outsz)
{
	struct bench_doc *d = calloc(1, sizeof(*d));
	const char *words[400];
	size_t n = 0, want = 2 + bench_rng_below(rng, 2);
	char *save = NULL, *tok;
	int rc = -1;

	if (d == NULL)
		return -1;
	bench_doc_make(v, k, d);
	for (tok = strtok_r(d->body, " \n", &save); tok != NULL && n < 400;
	    tok = strtok_r(NULL, " \n", &save)) {
		/* Only lowercase words with nothing attached (no punctuation, no elision). */
		int plain = tok[0] >= 'a' && tok[0] <= 'z' && strpbrk(tok, ".,?'#") == NULL;
		words[n++] = plain ? tok : NULL;
	}
	for (size_t tries = 0; tries < 50 && rc != 0 && n > want; tries++) {
		size_t s = bench_rng_below(rng, (uint32_t)(n - want)), i;
		for (i = 0; i < want && words[s + i] != NULL; i++)
			;
		if (i < want)
			continue;
		if (want == 2)
			snprintf(out, outsz, "\"%s %s\"", words[s], words[s + 1]);
		else
			snprintf(out, outsz, "\"%s %s %s\"", words[s], words[s + 1], words[s + 2]);
		rc = 0;
	}
	free(d);
	return rc;
}

static const char *
bench_qword(const struct bench_vocab *v, enum bench_lang l, uint64_t *rng, uint32_t lo,
    uint32_t hi)
{
	return v->words[l][bench_rng_logrank(rng, lo, hi)];
}

static int
bench_queries(long ndocs, const char *path, int n)
{
	/* Questions: text, a word, text, a word, text. */
	static const char *const asks[BENCH_LANGS][4][3] = {
		{ { "how do I ", " my ", "" }, { "why is the ", " not ", "" },
		  { "where can I find ", " ", "" }, { "what is the ", " of ", "" } },
		{ { "comment ", " mon ", "" }, { "pourquoi le ", " ne ", " pas" },
		  { "où trouver les ", " de ", "" }, { "quelle est la ", " du ", "" } },
	};
	struct bench_vocab *v = calloc(1, sizeof(*v));
	uint64_t rng = BENCH_SEED_QUERY;
	FILE *f = NULL;
	int rc = ERR_NOMEM;

	if (v == NULL || bench_vocab_build(v) != 0)
		goto out;
	rc = ERR_IO;
	if ((f = fopen(path, "w")) == NULL) {
		fprintf(stderr, "bench_search: %s: %s\n", path, strerror(errno));
		goto out;
	}
	for (int i = 0; i < n; i++) {
		enum bench_lang l = bench_rng_below(&rng, 10) < 6 ? BENCH_EN : BENCH_FR;
		const uint32_t lo = BENCH_CONTENT_RANK, hi = BENCH_VOCAB;
		char q[BENCH_QUERY_MAX];
		char a[BENCH_WORD_MAX], b2[BENCH_WORD_MAX];

		switch (i % 20) {
		case 0: case 1: case 2: case 3: case 4: case 5: case 6:
			/* one word, rare as often as frequent */
			snprintf(q, sizeof(q), "%s", bench_qword(v, l, &rng, lo, hi));
			break;
		case 7: case 8: case 9:
			/* a frequent word and a rarer one */
			snprintf(q, sizeof(q), "%s %s", bench_qword(v, l, &rng, lo, 500),
			    bench_qword(v, l, &rng, lo, hi));
			break;
		case 10: case 11:
			snprintf(q, sizeof(q), "%s %s %s", bench_qword(v, l, &rng, lo, hi),
			    bench_qword(v, l, &rng, lo, 1000), bench_qword(v, l, &rng, lo, hi));
			break;
		case 12: case 13:
			/* a question in natural language: stop words and two content words */
			snprintf(a, sizeof(a), "%s", bench_qword(v, l, &rng, lo, 2000));
			snprintf(b2, sizeof(b2), "%s", bench_qword(v, l, &rng, lo, hi));
			{
				const char *const *t = asks[l][bench_rng_below(&rng, 4)];
				snprintf(q, sizeof(q), "%s%s%s%s%s", t[0], a, t[1], b2, t[2]);
			}
			break;
		case 14: case 15:
			if (bench_phrase(v, (long)bench_rng_below(&rng, (uint32_t)ndocs), &rng, q,
			    sizeof(q)) != 0)
				snprintf(q, sizeof(q), "%s", bench_qword(v, l, &rng, lo, hi));
			break;
		case 16: {
			/* a prefix: the first 3 or 4 bytes of a word (ASCII letters only) */
			const char *w = bench_qword(v, l, &rng, lo, 3000);
			size_t m = 3 + bench_rng_below(&rng, 2), j;
			for (j = 0; j < m && w[j] >= 'a' && w[j] <= 'z'; j++)
				;
			if (j < 2)
				j = strlen(w);  /* an accent early on: the whole word */
			snprintf(q, sizeof(q), "%.*s*", (int)j, w);
			break;
		}
		case 17:
			snprintf(a, sizeof(a), "%s", bench_qword(v, l, &rng, lo, 1000));
			snprintf(q, sizeof(q), "%s %s -%s", a, bench_qword(v, l, &rng, lo, 1000),
			    bench_qword(v, l, &rng, lo, hi));
			break;
		case 18:
			snprintf(a, sizeof(a), "%s", bench_qword(v, l, &rng, lo, hi));
			snprintf(q, sizeof(q), "%s OR %s", a, bench_qword(v, l, &rng, lo, hi));
			break;
		default:
			/* the most frequent content words: the largest result sets */
			snprintf(q, sizeof(q), "%s", bench_qword(v, l, &rng, lo, 150));
			break;
		}
		fprintf(f, "%s\n", q);
	}
	rc = fclose(f) == 0 ? 0 : ERR_IO;
	f = NULL;
	if (rc == 0)
		printf("queries: %d into %s\n", n, path);
out:
	if (f != NULL)
		fclose(f);
	bench_vocab_free(v);
	return rc;
}

/* ---- floor and direct search ---- */

struct bench_query {
	char text[BENCH_QUERY_MAX];
	char *expr;                     /* query_parse's FTS5 expression (owned) */
};

struct bench_run {
	struct vault *v;
	const struct bench_query *q;
	size_t nq;
	int passes, direct;
	const struct identity *id;
	size_t start;                   /* this thread's first query */
	double deadline;                /* no pass starts after it (the first always runs) */
	size_t done;                    /* latencies recorded */
	double *lat;                    /* passes * nq latencies, seconds */
	long rows;                      /* hits returned (checksum of work done) */
	long long total;                /* direct: sum of the totals */
	int rc;
};

struct bench_floor_call {
	const char *expr;
	long rows;
};

static int
bench_floor_tx(sqlite3 *db, void *arg)
{
	struct bench_floor_call *c = arg;
	sqlite3_stmt *st = NULL;
	int rc;

	/*
	 * The same weighted BM25 as coffre's. ORDER BY the bm25() column rather than FTS5's rank:
	 * FTS5 sorts every match for ORDER BY rank, SQLite's sorter keeps only the best LIMIT
	 * rows (a p99 about half as long here), so this is the lower floor.
	 */
	if (sqlite3_prepare_v2(db, "SELECT rowid, bm25(doc_index, " SEARCH_BM25_WEIGHTS ") AS "
	    "score FROM doc_index WHERE doc_index MATCH ?1 ORDER BY score LIMIT 10", -1, &st,
	    NULL) != SQLITE_OK)
		return ERR_INTERNAL;
	sqlite3_bind_text(st, 1, c->expr, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		c->rows += sqlite3_column_int64(st, 0) != 0;
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : ERR_INTERNAL;
}

static void *
bench_run_thread(void *arg)
{
	struct bench_run *b = arg;
	size_t n = 0;

	for (int p = 0; p < b->passes && (p == 0 || bench_now() < b->deadline); p++) {
		for (size_t i = 0; i < b->nq; i++) {
			const struct bench_query *q = &b->q[(b->start + i) % b->nq];
			double t0 = bench_now(), t1 = 0;
			int rc;

			if (b->direct) {
				struct search_params sp = { .q = q->text, .limit = 10 };
				struct result r = { 0 };
				rc = search_run(b->v, b->id, &sp, &r);
				t1 = bench_now();       /* reading the answer is the client's part */
				if (rc == 0)
					rc = result_parse(&r);
				if (rc == 0 && r.status != 200)
					rc = ERR_INTERNAL;
				if (rc == 0) {
					b->rows += (long)json_array_size(json_object_get(r.body, "hits"));
					b->total += json_integer_value(json_object_get(r.body, "total"));
				}
				result_clear(&r);
			} else {
				struct bench_floor_call c = { .expr = q->expr };
				rc = vault_read(b->v, bench_floor_tx, &c);
				b->rows += c.rows;
			}
			b->lat[n++] = (t1 != 0 ? t1 : bench_now()) - t0;
			b->done = n;
			if (rc != 0) {
				fprintf(stderr, "bench_search: query \"%s\": %s\n", q->text, err_str(rc));
				b->rc = rc;
				return NULL;
			}
		}
	}
	return NULL;
}

struct bench_figures {
	double p50_ms, p90_ms, p99_ms, max_ms, qps;
	size_t n;                       /* queries run */
	long rows;
	long long total;
};

/* Runs every query passes times in each of nthreads threads; latencies of all threads. */
static int
bench_measure(struct vault *v, const struct bench_query *q, size_t nq, int passes, int direct,
    int nthreads, const struct identity *id, struct bench_figures *f)
{
	struct bench_run runs[BENCH_THREADS_MAX];
	pthread_t th[BENCH_THREADS_MAX];
	size_t per = (size_t)passes * nq, all = per * (size_t)nthreads;
	double *lat = calloc(all, sizeof(*lat)), t0, secs;
	int rc = 0;

	if (lat == NULL)
		return ERR_NOMEM;
	memset(runs, 0, sizeof(runs));
	t0 = bench_now();
	for (int t = 0; t < nthreads; t++) {
		runs[t] = (struct bench_run){ .v = v, .q = q, .nq = nq, .passes = passes,
		    .direct = direct, .id = id, .start = (size_t)t * nq / (size_t)nthreads,
		    .deadline = t0 + BENCH_MEASURE_SECS, .lat = lat + (size_t)t * per };
		if (pthread_create(&th[t], NULL, bench_run_thread, &runs[t]) != 0) {
			nthreads = t;
			rc = ERR_INTERNAL;
			break;
		}
	}
	memset(f, 0, sizeof(*f));
	all = 0;
	for (int t = 0; t < nthreads; t++) {
		pthread_join(th[t], NULL);
		if (runs[t].rc != 0)
			rc = runs[t].rc;
		f->rows += runs[t].rows;
		f->total += runs[t].total;
		/* gather the latencies of every thread at the start of lat */
		memmove(lat + all, runs[t].lat, runs[t].done * sizeof(*lat));
		all += runs[t].done;
	}
	secs = bench_now() - t0;
	f->n = all;
	if (rc == 0 && all > 0) {
		qsort(lat, all, sizeof(*lat), bench_cmp_double);
		f->p50_ms = bench_pct(lat, all, 50) * 1e3;
		f->p90_ms = bench_pct(lat, all, 90) * 1e3;
		f->p99_ms = bench_pct(lat, all, 99) * 1e3;
		f->max_ms = lat[all - 1] * 1e3;
		f->qps = (double)all / secs;
	}
	free(lat);
	return rc;
}

static int
bench_load_queries(const char *path, struct bench_query **out, size_t *nout)
{
	struct bench_query *q = NULL;
	struct query_parsed *qp = calloc(1, sizeof(*qp));
	char line[BENCH_QUERY_MAX];
	size_t n = 0, cap = 0;
	FILE *f = fopen(path, "r");
	int rc = 0;

	if (f == NULL || qp == NULL) {
		fprintf(stderr, "bench_search: %s: %s\n", path, f ? "out of memory" :
		    strerror(errno));
		rc = f ? ERR_NOMEM : ERR_IO;
		goto out;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '\0')
			continue;
		if (query_parse(line, strlen(line), NULL, qp) != 0 || qp->expr[0] == '\0') {
			fprintf(stderr, "bench_search: query \"%s\" searches nothing: left out\n", line);
			continue;
		}
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 256;
			void *p = realloc(q, ncap * sizeof(*q));
			if (p == NULL) {
				rc = ERR_NOMEM;
				goto out;
			}
			q = p;
			cap = ncap;
		}
		snprintf(q[n].text, sizeof(q[n].text), "%s", line);
		if ((q[n].expr = strdup(qp->expr)) == NULL) {
			rc = ERR_NOMEM;
			goto out;
		}
		n++;
	}
out:
	if (f != NULL)
		fclose(f);
	free(qp);
	if (rc != 0) {
		for (size_t i = 0; i < n; i++)
			free(q[i].expr);
		free(q);
		return rc;
	}
	*out = q;
	*nout = n;
	return 0;
}

static void
bench_print(const char *key, const struct bench_figures *f)
{
	printf("%-22s p50 %7.3f ms  p90 %7.3f ms  p99 %7.3f ms  max %8.3f ms  %9.1f queries/s "
	    "(%zu)\n", key, f->p50_ms, f->p90_ms, f->p99_ms, f->max_ms, f->qps, f->n);
}

static void
bench_print_keys(const char *key, const struct bench_figures *f)
{
	printf("%s_p50_ms %.3f\n%s_p90_ms %.3f\n%s_p99_ms %.3f\n%s_qps %.1f\n", key, f->p50_ms,
	    key, f->p90_ms, key, f->p99_ms, key, f->qps);
}

/* A reader with no grant at all: what any caller without restricted tags sees. */
static void
bench_identity(struct identity *id)
{
	memset(id, 0, sizeof(*id));
	snprintf(id->user_id, sizeof(id->user_id), "%s", "0123456789abcdef0123456789abcdef");
	id->perms = access_perm_bit("documents.read");
	id->via = ACCESS_VIA_TOKEN;
}

static int
bench_floor(const char *data, const char *slug, const char *path, int passes)
{
	struct bench_vault b;
	struct bench_query *q = NULL;
	struct identity id;
	struct bench_figures floor1, floor2, direct1, direct2, warm;
	size_t nq = 0;
	int rc;

	if ((rc = bench_load_queries(path, &q, &nq)) != 0)
		return rc;
	if (nq == 0) {
		fprintf(stderr, "bench_search: no query in %s\n", path);
		free(q);
		return ERR_INVALID;
	}
	bench_identity(&id);
	if ((rc = bench_vault_open(&b, data, slug, BENCH_THREADS_MAX)) != 0)
		goto out;
	/* One pass of each to warm the OS cache and the connections' page caches. */
	if ((rc = bench_measure(b.v, q, nq, 1, 0, BENCH_THREADS_MAX, &id, &warm)) != 0 ||
	    (rc = bench_measure(b.v, q, nq, 1, 1, BENCH_THREADS_MAX, &id, &warm)) != 0)
		goto out;
	if ((rc = bench_measure(b.v, q, nq, passes, 0, 1, &id, &floor1)) != 0 ||
	    (rc = bench_measure(b.v, q, nq, passes, 0, 2, &id, &floor2)) != 0 ||
	    (rc = bench_measure(b.v, q, nq, passes, 1, 1, &id, &direct1)) != 0 ||
	    (rc = bench_measure(b.v, q, nq, passes, 1, 2, &id, &direct2)) != 0)
		goto out;
	printf("%zu queries, up to %d passes (%.0f s per measure at most, one pass at least); "
	    "hits per query: floor %.2f, search_run %.2f; matches (total) per query: %.0f on "
	    "average\n", nq, passes, BENCH_MEASURE_SECS, (double)floor1.rows / (double)floor1.n,
	    (double)direct1.rows / (double)direct1.n, (double)direct1.total / (double)direct1.n);
	bench_print("floor, 1 thread", &floor1);
	bench_print("floor, 2 threads", &floor2);
	bench_print("search_run, 1 thread", &direct1);
	bench_print("search_run, 2 threads", &direct2);
	bench_print_keys("floor1", &floor1);
	bench_print_keys("floor2", &floor2);
	bench_print_keys("direct1", &direct1);
	bench_print_keys("direct2", &direct2);
out:
	bench_vault_close(&b);
	for (size_t i = 0; i < nq; i++)
		free(q[i].expr);
	free(q);
	return rc;
}

/* Each query once, floor then search_run: milliseconds, hits and total, one line each. */
static int
bench_each(const char *data, const char *slug, const char *path)
{
	struct bench_vault b;
	struct bench_query *q = NULL;
	struct identity id;
	size_t nq = 0;
	int rc;

	if ((rc = bench_load_queries(path, &q, &nq)) != 0)
		return rc;
	bench_identity(&id);
	if ((rc = bench_vault_open(&b, data, slug, 1)) != 0)
		goto out;
	printf("%10s %10s %6s %8s  query  =>  FTS5 expression\n", "floor ms", "search ms", "hits",
	    "total");
	for (size_t i = 0; i < nq && rc == 0; i++) {
		struct bench_floor_call c = { .expr = q[i].expr };
		struct search_params sp = { .q = q[i].text, .limit = 10 };
		struct result r = { 0 };
		double t0 = bench_now(), t1, t2;

		rc = vault_read(b.v, bench_floor_tx, &c);
		t1 = bench_now();
		if (rc == 0)
			rc = search_run(b.v, &id, &sp, &r);
		t2 = bench_now();
		if (rc == 0)
			rc = result_parse(&r);
		if (rc == 0)
			printf("%10.3f %10.3f %6zu %8" JSON_INTEGER_FORMAT "  %s  =>  %s\n",
			    (t1 - t0) * 1e3, (t2 - t1) * 1e3,
			    json_array_size(json_object_get(r.body, "hits")),
			    json_integer_value(json_object_get(r.body, "total")), q[i].text, q[i].expr);
		fflush(stdout);
		result_clear(&r);
	}
out:
	bench_vault_close(&b);
	for (size_t i = 0; i < nq; i++)
		free(q[i].expr);
	free(q);
	return rc;
}

/*
 * Where search_run's time goes: SQLite's profile trace on the (single) reader connection
 * times every statement search_run runs; statements are classed by their text, so this
 * follows search.c as it changes. A statement's time runs from its first step to its reset,
 * so the hits query includes the per-hit statements run between its steps: they are taken
 * out of it below.
 */
enum bench_part { BENCH_P_HITS, BENCH_P_HIT_TAGS, BENCH_P_MARKS, BENCH_P_FACETS,
	BENCH_P_COUNT, BENCH_P_FTAGS, BENCH_P_FCOLL, BENCH_P_FLANG, BENCH_P_TX, BENCH_P_OTHER,
	BENCH_PARTS };
static const char *const bench_part_names[BENCH_PARTS] = {
	"hits (exclusive)", "tags of each hit", "title+snippet marks", "total+facets, 1 stmt",
	"count", "facet tags", "facet collections", "facet languages", "BEGIN/COMMIT",
	"other statements",
};

struct bench_prof {
	double ns[BENCH_PARTS];
	long n[BENCH_PARTS];
	char other[256];
};

static enum bench_part
bench_part_of(const char *sql)
{
	if (strncmp(sql, "BEGIN", 5) == 0 || strncmp(sql, "COMMIT", 6) == 0)
		return BENCH_P_TX;
	if (strstr(sql, "highlight(") != NULL || strstr(sql, "snippet(") != NULL)
		return BENCH_P_MARKS;
	if (strstr(sql, "MATCH") == NULL && strstr(sql, "document_tags") != NULL &&
	    strstr(sql, "t.name") != NULL)
		return BENCH_P_HIT_TAGS;
	if (strstr(sql, "UNION ALL") != NULL && strstr(sql, "count(*)") != NULL)
		return BENCH_P_FACETS;
	if (strstr(sql, "SELECT t.name, count(*)") != NULL)
		return BENCH_P_FTAGS;
	if (strstr(sql, "SELECT c.name, count(*)") != NULL)
		return BENCH_P_FCOLL;
	if (strstr(sql, "SELECT d.language, count(*)") != NULL)
		return BENCH_P_FLANG;
	if (strstr(sql, "count(*)") != NULL && strstr(sql, "LIMIT") == NULL)
		return BENCH_P_COUNT;
	if (strstr(sql, "MATCH") != NULL && strstr(sql, "LIMIT") != NULL)
		return BENCH_P_HITS;
	return BENCH_P_OTHER;
}

static int
bench_prof_cb(unsigned type, void *ctx, void *p, void *x)
{
	struct bench_prof *prof = ctx;
	const char *sql = sqlite3_sql(p);
	enum bench_part part;

	if (type != SQLITE_TRACE_PROFILE || sql == NULL)
		return 0;
	part = bench_part_of(sql);
	prof->ns[part] += (double)*(const sqlite3_int64 *)x;
	prof->n[part]++;
	if (part == BENCH_P_OTHER && prof->other[0] == '\0')
		snprintf(prof->other, sizeof(prof->other), "%s", sql);
	return 0;
}

static int
bench_prof_on(sqlite3 *db, void *arg)
{
	return sqlite3_trace_v2(db, arg ? SQLITE_TRACE_PROFILE : 0, arg ? bench_prof_cb : NULL,
	    arg) == SQLITE_OK ? 0 : ERR_INTERNAL;
}

/* Page cache misses of the (single) reader connection so far: pages read and decrypted. */
static int
bench_misses(sqlite3 *db, void *arg)
{
	int cur = 0, hi = 0;

	sqlite3_db_status(db, SQLITE_DBSTATUS_CACHE_MISS, &cur, &hi, 0);
	*(long *)arg = cur;
	return 0;
}

static int
bench_profile(const char *data, const char *slug, const char *path, int passes)
{
	long miss0 = 0, miss1 = 0;
	struct bench_vault b;
	struct bench_query *q = NULL;
	struct bench_prof *prof = NULL, sum;
	struct identity id;
	double *wall = NULL, wall_sum = 0;
	size_t nq = 0, *order = NULL;
	int rc;

	if ((rc = bench_load_queries(path, &q, &nq)) != 0)
		return rc;
	bench_identity(&id);
	memset(&sum, 0, sizeof(sum));
	rc = ERR_NOMEM;
	if ((prof = calloc(nq, sizeof(*prof))) == NULL || (wall = calloc(nq, sizeof(*wall))) ==
	    NULL || (order = calloc(nq, sizeof(*order))) == NULL)
		goto out_free;
	if ((rc = bench_vault_open(&b, data, slug, 1)) != 0)
		goto out;
	for (int p = 0; p <= passes && rc == 0; p++) {       /* pass 0 warms the caches */
		if (p == 1)
			vault_read(b.v, bench_misses, &miss0);
		for (size_t i = 0; i < nq && rc == 0; i++) {
			struct search_params sp = { .q = q[i].text, .limit = 10 };
			struct result r = { 0 };
			struct bench_prof one;
			double t0;

			memset(&one, 0, sizeof(one));
			if ((rc = vault_read(b.v, bench_prof_on, &one)) != 0)
				break;
			t0 = bench_now();
			rc = search_run(b.v, &id, &sp, &r);
			t0 = bench_now() - t0;
			vault_read(b.v, bench_prof_on, NULL);
			result_clear(&r);
			if (p == 0)
				continue;
			wall[i] += t0;
			for (int k = 0; k < BENCH_PARTS; k++) {
				prof[i].ns[k] += one.ns[k];
				prof[i].n[k] += one.n[k];
			}
			if (one.other[0] != '\0')
				snprintf(sum.other, sizeof(sum.other), "%s", one.other);
		}
	}
	if (rc != 0)
		goto out;
	vault_read(b.v, bench_misses, &miss1);
	for (size_t i = 0; i < nq; i++) {
		/* The per-hit statements ran inside the hits statement's time. */
		prof[i].ns[BENCH_P_HITS] -= prof[i].ns[BENCH_P_HIT_TAGS] + prof[i].ns[BENCH_P_MARKS];
		for (int k = 0; k < BENCH_PARTS; k++) {
			sum.ns[k] += prof[i].ns[k];
			sum.n[k] += prof[i].n[k];
		}
		wall_sum += wall[i];
		order[i] = i;
	}
	{
		double calls = (double)nq * passes, in_sql = 0;

		printf("search_run over %zu queries x %d passes: %.3f ms per query on average\n",
		    nq, passes, wall_sum / calls * 1e3);
		printf("%-22s %10s %8s %12s\n", "part", "ms/query", "share", "statements/q");
		for (int k = 0; k < BENCH_PARTS; k++) {
			in_sql += sum.ns[k];
			printf("%-22s %10.3f %7.1f%% %12.2f\n", bench_part_names[k],
			    sum.ns[k] / calls / 1e6, 100.0 * sum.ns[k] / 1e9 / wall_sum,
			    (double)sum.n[k] / calls);
		}
		printf("%-22s %10.3f %7.1f%%\n", "outside SQL (parse, JSON)",
		    (wall_sum - in_sql / 1e9) / calls * 1e3, 100.0 * (wall_sum - in_sql / 1e9) /
		    wall_sum);
		if (sum.other[0] != '\0')
			printf("an \"other\" statement: %.200s\n", sum.other);
		printf("pages read and decrypted (page cache misses) per query: %.1f\n",
		    (double)(miss1 - miss0) / calls);
	}
	/* The ten slowest queries, with their parts. */
	for (size_t i = 0; i < nq; i++)
		for (size_t j = i + 1; j < nq; j++)
			if (wall[order[j]] > wall[order[i]]) {
				size_t t = order[i];
				order[i] = order[j];
				order[j] = t;
			}
	printf("slowest queries (ms per run: total = hits + total+facets + count + facets "
	    "tags/coll/lang + marks + hit tags):\n");
	for (size_t i = 0; i < nq && i < 10; i++) {
		const struct bench_prof *f = &prof[order[i]];
		printf("  %7.2f = %.2f + %.2f + %.2f + %.2f/%.2f/%.2f + %.2f + %.2f  %s\n",
		    wall[order[i]] / passes * 1e3, f->ns[BENCH_P_HITS] / passes / 1e6,
		    f->ns[BENCH_P_FACETS] / passes / 1e6, f->ns[BENCH_P_COUNT] / passes / 1e6, f->ns[BENCH_P_FTAGS] / passes / 1e6,
		    f->ns[BENCH_P_FCOLL] / passes / 1e6, f->ns[BENCH_P_FLANG] / passes / 1e6,
		    f->ns[BENCH_P_MARKS] / passes / 1e6, f->ns[BENCH_P_HIT_TAGS] / passes / 1e6,
		    q[order[i]].text);
	}
out:
	bench_vault_close(&b);
out_free:
	for (size_t i = 0; i < nq; i++)
		free(q[i].expr);
	free(q);
	free(prof);
	free(wall);
	free(order);
	return rc;
}

/*
 * A statement of one's own over every query, to try a variant of search.c's SQL: :expr is
 * the query's FTS5 expression, :uid a user without grants, no filter (:coll, :lang NULL;
 * :from, :to, :ntags 0; :tags '[]'), :limit 10, :offset 0. Each query once to warm up, then
 * passes times; prints p50, p99 and the mean in ms, and rows per query.
 */
struct bench_sql_call {
	const char *sql, *expr;
	long rows, stmts;
	int explain;
};

static int
bench_sql_count(unsigned type, void *ctx, void *p, void *x)
{
	(void)type;
	(void)p;
	(void)x;
	(*(long *)ctx)++;
	return 0;
}

static int
bench_sql_tx(sqlite3 *db, void *arg)
{
	struct bench_sql_call *c = arg;
	sqlite3_stmt *st = NULL;
	int i, rc;

	sqlite3_trace_v2(db, SQLITE_TRACE_STMT, bench_sql_count, &c->stmts);
	if (sqlite3_prepare_v2(db, c->sql, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "bench_search: %s\n", sqlite3_errmsg(db));
		return ERR_INVALID;
	}
#define BENCH_BIND(name, call) \
	if ((i = sqlite3_bind_parameter_index(st, name)) > 0) \
		call
	BENCH_BIND(":uid", sqlite3_bind_text(st, i, "0123456789abcdef0123456789abcdef", -1,
	    SQLITE_STATIC));
	BENCH_BIND(":expr", sqlite3_bind_text(st, i, c->expr, -1, SQLITE_STATIC));
	BENCH_BIND(":from", sqlite3_bind_int64(st, i, 0));
	BENCH_BIND(":to", sqlite3_bind_int64(st, i, 0));
	BENCH_BIND(":tags", sqlite3_bind_text(st, i, "[]", -1, SQLITE_STATIC));
	BENCH_BIND(":ntags", sqlite3_bind_int(st, i, 0));
	BENCH_BIND(":limit", sqlite3_bind_int(st, i, 10));
	BENCH_BIND(":offset", sqlite3_bind_int(st, i, 0));
#undef BENCH_BIND
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		c->rows++;
		if (c->explain)
			printf("  %d %s\n", sqlite3_column_int(st, 1), sqlite3_column_text(st, 3));
	}
	sqlite3_finalize(st);
	sqlite3_trace_v2(db, 0, NULL, NULL);
	return rc == SQLITE_DONE ? 0 : ERR_INTERNAL;
}

static int
bench_sql(const char *data, const char *slug, const char *path, const char *sql, int passes)
{
	struct bench_vault b;
	struct bench_query *q = NULL;
	size_t nq = 0, n = 0;
	double *lat = NULL, sum = 0;
	long rows = 0, stmts = 0;
	int rc;

	if ((rc = bench_load_queries(path, &q, &nq)) != 0)
		return rc;
	if ((lat = calloc(nq * (size_t)passes + 1, sizeof(*lat))) == NULL) {
		rc = ERR_NOMEM;
		goto out_free;
	}
	if ((rc = bench_vault_open(&b, data, slug, 1)) != 0)
		goto out;
	if (strncmp(sql, "EXPLAIN QUERY PLAN", 18) == 0 && nq > 0) {
		struct bench_sql_call c = { .sql = sql, .expr = q[0].expr, .explain = 1 };
		rc = vault_read(b.v, bench_sql_tx, &c);
		goto out;
	}
	for (int p = 0; p <= passes && rc == 0; p++) {
		for (size_t i = 0; i < nq && rc == 0; i++) {
			struct bench_sql_call c = { .sql = sql, .expr = q[i].expr };
			double t0 = bench_now();
			rc = vault_read(b.v, bench_sql_tx, &c);
			if (p == 0)
				continue;
			lat[n] = bench_now() - t0;
			sum += lat[n++];
			rows += c.rows;
			stmts += c.stmts;
		}
	}
	if (rc == 0 && n > 0) {
		qsort(lat, n, sizeof(*lat), bench_cmp_double);
		printf("p50 %.3f ms  p99 %.3f ms  mean %.3f ms  rows/query %.2f  statements "
		    "run/query %.1f\n", bench_pct(lat, n, 50) * 1e3, bench_pct(lat, n, 99) * 1e3,
		    sum / (double)n * 1e3, (double)rows / (double)n, (double)stmts / (double)n);
	}
out:
	bench_vault_close(&b);
out_free:
	for (size_t i = 0; i < nq; i++)
		free(q[i].expr);
	free(q);
	free(lat);
	return rc;
}

/*
 * search_run's whole answer (JSON, keys sorted) for every query under a few filters and
 * pages, as user_id: to compare two builds of search.c on the same vault (diff the outputs).
 */
static int
bench_results(const char *data, const char *slug, const char *path, const char *user_id)
{
	static const struct search_params variants[] = {
		{ .limit = 10 },
		{ .limit = 7, .offset = 5 },
		{ .limit = 10, .collection = "Guides" },
		{ .limit = 10, .language = "fr" },
		{ .limit = 10, .tags = "billing" },
		{ .limit = 10, .tags = "faq,topic-030" },
		{ .limit = 10, .from_us = 1, .to_us = INT64_MAX },
		{ .limit = 10, .to_us = 1 },
		{ .limit = 5, .language = "en", .collection = "FAQ", .tags = "api" },
	};
	struct bench_vault b;
	struct bench_query *q = NULL;
	struct identity id;
	size_t nq = 0;
	int rc;

	if ((rc = bench_load_queries(path, &q, &nq)) != 0)
		return rc;
	bench_identity(&id);
	if (user_id != NULL)
		snprintf(id.user_id, sizeof(id.user_id), "%s", user_id);
	if ((rc = bench_vault_open(&b, data, slug, 1)) != 0)
		goto out;
	for (size_t i = 0; i < nq && rc == 0; i++) {
		for (size_t k = 0; k < sizeof(variants) / sizeof(*variants) && rc == 0; k++) {
			struct search_params sp = variants[k];
			struct result r = { 0 };
			char *text;

			sp.q = q[i].text;
			if ((rc = search_run(b.v, &id, &sp, &r)) != 0 || (rc = result_parse(&r)) != 0)
				break;
			text = r.body ? json_dumps(r.body, JSON_SORT_KEYS | JSON_COMPACT) : NULL;
			printf("%zu.%zu %d %s\n", i, k, r.status, text ? text : r.message);
			free(text);
			result_clear(&r);
		}
	}
out:
	bench_vault_close(&b);
	for (size_t i = 0; i < nq; i++)
		free(q[i].expr);
	free(q);
	return rc;
}

/* Prints generated document k, to see what the corpus reads like. */
static int
bench_sample(long k)
{
	struct bench_vocab *v = calloc(1, sizeof(*v));
	struct bench_doc *d = calloc(1, sizeof(*d));
	int rc = ERR_NOMEM;

	if (v != NULL && d != NULL && bench_vocab_build(v) == 0) {
		bench_doc_make(v, k, d);
		printf("language: %s\ncollection: %s\ntags:", bench_lang_codes[d->lang],
		    d->collection ? d->collection : "(none)");
		for (size_t i = 0; i < d->ntags; i++)
			printf(" %s", d->tags[i]);
		printf("\ntitle: %s\n\n%s", d->title, d->body);
		rc = 0;
	}
	bench_vocab_free(v);
	free(d);
	return rc;
}

static int
bench_usage(void)
{
	fprintf(stderr, "usage: bench_search populate DATA SLUG DOCS\n"
	    "       bench_search queries DOCS FILE [N]\n"
	    "       bench_search floor DATA SLUG FILE [PASSES]\n"
	    "       bench_search each DATA SLUG FILE\n"
	    "       bench_search profile DATA SLUG FILE [PASSES]\n"
	    "       bench_search sql DATA SLUG FILE STATEMENT [PASSES]\n"
	    "       bench_search results DATA SLUG FILE [USER_ID]\n"
	    "       bench_search sample K\n");
	return 2;
}

static long
bench_number(const char *s, long max)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(s, &end, 10);
	return errno != 0 || *end != '\0' || n < 1 || n > max ? -1 : n;
}

int
main(int argc, char **argv)
{
	long n, m = 0;
	int rc;

	if (argc < 2)
		return bench_usage();
	umask(077);
	if (sodium_init() < 0 || sqlite3_initialize() != SQLITE_OK)
		return 1;
	if (strcmp(argv[1], "populate") == 0 && argc == 5) {
		if ((n = bench_number(argv[4], BENCH_DOCS_MAX)) < 0)
			return bench_usage();
		rc = bench_populate(argv[2], argv[3], n);
	} else if (strcmp(argv[1], "queries") == 0 && (argc == 4 || argc == 5)) {
		if ((n = bench_number(argv[2], BENCH_DOCS_MAX)) < 0 ||
		    (argc == 5 && (m = bench_number(argv[4], 100000)) < 0))
			return bench_usage();
		rc = bench_queries(n, argv[3], argc == 5 ? (int)m : BENCH_QUERIES_DEFAULT);
	} else if (strcmp(argv[1], "floor") == 0 && (argc == 5 || argc == 6)) {
		if (argc == 6 && (m = bench_number(argv[5], 1000)) < 0)
			return bench_usage();
		rc = bench_floor(argv[2], argv[3], argv[4], argc == 6 ? (int)m :
		    BENCH_PASSES_DEFAULT);
	} else if (strcmp(argv[1], "profile") == 0 && (argc == 5 || argc == 6)) {
		if (argc == 6 && (m = bench_number(argv[5], 1000)) < 0)
			return bench_usage();
		rc = bench_profile(argv[2], argv[3], argv[4], argc == 6 ? (int)m : 1);
	} else if (strcmp(argv[1], "sql") == 0 && (argc == 6 || argc == 7)) {
		if (argc == 7 && (m = bench_number(argv[6], 1000)) < 0)
			return bench_usage();
		rc = bench_sql(argv[2], argv[3], argv[4], argv[5], argc == 7 ? (int)m : 1);
	} else if (strcmp(argv[1], "results") == 0 && (argc == 5 || argc == 6)) {
		rc = bench_results(argv[2], argv[3], argv[4], argc == 6 ? argv[5] : NULL);
	} else if (strcmp(argv[1], "each") == 0 && argc == 5) {
		rc = bench_each(argv[2], argv[3], argv[4]);
	} else if (strcmp(argv[1], "sample") == 0 && argc == 3) {
		if ((n = bench_number(argv[2], BENCH_DOCS_MAX)) < 0)
			return bench_usage();
		rc = bench_sample(n);
	} else {
		return bench_usage();
	}
	if (fflush(stdout) != 0 || ferror(stdout))
		rc = rc ? rc : ERR_IO;
	if (rc != 0)
		fprintf(stderr, "bench_search: failed: %s\n", err_str(rc));
	return rc == 0 ? 0 : 1;
}
