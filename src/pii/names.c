/*
 * names.c: one hash set of folded words (case and accents removed, as search/analyze.c folds
 * them) with what each is for person detection: first name, surname (data/person-names.txt,
 * from @faker-js/faker, MIT: see data/README.md), title, particle, month, or a capitalised word
 * that is never a name. Built once; read-only afterwards, so lookups need no lock.
 */
#include "pii/internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "search/analyze.h"

#define NAMES_WORD_MAX 48
#define NAMES_TABLE_BITS 16             /* 65536 slots for about 25,300 words */
#define NAMES_TABLE_SIZE (1u << NAMES_TABLE_BITS)

/* Words of the lists below that are also common capitalised words; folded forms. */
static const char *const names_common[] = {
	"angel", "april", "art", "august", "avril", "baby", "bell", "berry", "bill", "brook",
	"chance", "chase", "faith", "france", "grace", "green", "guy", "hope", "hunter", "justice",
	"king", "lane", "london", "love", "mai", "major", "marine", "mark", "may", "mercedes",
	"milano", "olive", "page", "paris", "precious", "price", "ray", "rich", "roma", "royal",
	"sage", "santa", "sky", "stone", "summer", "victoire", "white", "will", "young",
};

static const char *const names_titles[] = {
	"docteur", "dr", "m", "madame", "madam", "mademoiselle", "maitre", "miss", "mister", "mlle", "mm",
	"mme", "mmes", "monsieur", "mr", "mrs", "ms", "pr", "prof", "professeur", "sir",
};

static const char *const names_particles[] = {
	"al", "ben", "bin", "da", "de", "del", "della", "den", "der", "des", "di", "dos", "du", "el",
	"ibn", "la", "le", "van", "von",
};

static const char *const names_months[] = {
	"apr", "april", "aout", "aug", "august", "avr", "avril", "dec", "decembre", "december",
	"feb", "february", "fev", "fevr", "fevrier", "jan", "janv", "january", "janvier", "juil",
	"juillet", "juin", "jul", "july", "jun", "june", "mai", "mar", "march", "mars", "may",
	"nov", "novembre", "november", "oct", "octobre", "october", "sep", "sept", "septembre",
	"september",
};

/* Capitalised words that start sentences, headings and addresses but never a name. */
static const char *const names_stop[] = {
	"adresse", "address", "allee", "alors", "article", "avenue", "bd", "bonjour", "bonsoir",
	"boulevard", "cedex", "chemin", "cher", "chere", "client", "cliente", "contact",
	"cordialement", "court", "dear", "dimanche", "drive", "email", "friday", "hello", "impasse",
	"jeudi", "lundi", "mail", "mardi", "merci", "mercredi", "monday", "name", "nom", "objet",
	"place", "prenom", "quai", "regards", "road", "route", "rue", "salut", "samedi", "saturday",
	"square", "street", "sunday", "tel", "telephone", "thanks", "thursday", "tuesday",
	"vendredi", "wednesday",
};

struct names_slot {
	uint32_t off;                   /* into names_pool; 0 = empty (the pool starts with a NUL) */
	uint16_t len;
	uint16_t flags;
};

static struct names_slot *names_table;
static char *names_pool;
static int names_rc = ERR_NOMEM;
static pthread_once_t names_once = PTHREAD_ONCE_INIT;

static uint32_t
names_hash(const char *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
	return (uint32_t)(h ^ (h >> 32));
}

int
pii_fold_word(const char *word, size_t len, char *out, size_t outsz)
{
	int n;

	if (len == 0 || len >= outsz)
		return -1;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)word[i];

		if (c >= 0x80)
			goto slow;
		out[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	out[len] = '\0';
	/* ASCII: only letters make a word (analyze_fold would split at the rest). */
	for (size_t i = 0; i < len; i++)
		if (!(out[i] >= 'a' && out[i] <= 'z'))
			return -1;
	return (int)len;
slow:
	n = analyze_fold(word, len, out, outsz);
	if (n <= 0 || memchr(out, ' ', (size_t)n) != NULL)
		return -1;
	return n;
}

static struct names_slot *
names_find(const char *folded, size_t len)
{
	uint32_t i = names_hash(folded, len) & (NAMES_TABLE_SIZE - 1);

	for (;;) {
		struct names_slot *s = &names_table[i];

		if (s->off == 0 || (s->len == len && memcmp(names_pool + s->off, folded, len) == 0))
			return s;
		i = (i + 1) & (NAMES_TABLE_SIZE - 1);
	}
}

static int
names_add(const char *word, unsigned flags, size_t *used, size_t cap)
{
	char f[NAMES_WORD_MAX];
	int n = pii_fold_word(word, strlen(word), f, sizeof(f));
	struct names_slot *s;

	if (n < 0)
		return 0;                       /* not a single word once folded: never looked up */
	s = names_find(f, (size_t)n);
	if (s->off == 0) {
		if (*used + (size_t)n + 1 > cap)
			return ERR_NOMEM;
		memcpy(names_pool + *used, f, (size_t)n + 1);
		s->off = (uint32_t)*used;
		s->len = (uint16_t)n;
		*used += (size_t)n + 1;
	}
	s->flags |= (uint16_t)flags;
	return 0;
}

#define NAMES_ADD_LIST(list, flags) \
	for (size_t i = 0; rc == 0 && i < sizeof(list) / sizeof(list[0]); i++) \
		rc = names_add(list[i], flags, &used, cap)

static void
names_build(void)
{
	size_t cap = 1, used = 1, count = 0;
	int rc = 0;

	for (size_t i = 0; i < pii_names_count; i++)
		cap += strlen(pii_names[i].name) + 1;
	cap += 4096;                            /* the lists below */
	count = pii_names_count + 256;
	if (count * 2 > NAMES_TABLE_SIZE)
		return;                         /* the table must stay at most half full */
	names_table = calloc(NAMES_TABLE_SIZE, sizeof(*names_table));
	names_pool = calloc(1, cap);
	if (names_table == NULL || names_pool == NULL)
		return;
	for (size_t i = 0; rc == 0 && i < pii_names_count; i++)
		rc = names_add(pii_names[i].name, pii_names[i].flags & (PII_NAME_FIRST | PII_NAME_LAST),
		    &used, cap);
	NAMES_ADD_LIST(names_common, PII_NAME_COMMON);
	NAMES_ADD_LIST(names_titles, PII_NAME_TITLE);
	NAMES_ADD_LIST(names_particles, PII_NAME_PARTICLE);
	NAMES_ADD_LIST(names_months, PII_NAME_MONTH | PII_NAME_STOP);
	NAMES_ADD_LIST(names_stop, PII_NAME_STOP);
	/* Stop words among the names (Will, Mme...) are marked once here rather than looked up
	 * at each capitalised word of a text. */
	for (size_t i = 0; rc == 0 && i < NAMES_TABLE_SIZE; i++) {
		struct names_slot *sl = &names_table[i];

		if (sl->off != 0 && (analyze_is_stop("fr", names_pool + sl->off) ||
		    analyze_is_stop("en", names_pool + sl->off)))
			sl->flags |= PII_NAME_STOP;
	}
	names_rc = rc;
}

int
pii_names_init(void)
{
	pthread_once(&names_once, names_build);
	return names_rc;
}

unsigned
pii_names_lookup(const char *word, size_t len)
{
	char f[NAMES_WORD_MAX];
	int n;
	unsigned flags;

	if (names_rc != 0 || (n = pii_fold_word(word, len, f, sizeof(f))) < 0)
		return 0;
	/* Known words carry PII_NAME_STOP when they are stop words (names_build); the callers ask
	 * pii_names_is_stop for the rest, only when it matters. */
	flags = names_find(f, (size_t)n)->flags;
	return flags;
}

int
pii_names_is_stop(const char *word, size_t len)
{
	char f[NAMES_WORD_MAX];

	if (pii_fold_word(word, len, f, sizeof(f)) < 0)
		return 0;
	return analyze_is_stop("fr", f) || analyze_is_stop("en", f);
}
