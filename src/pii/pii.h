/*
 * pii.h: the PII engine (DESIGN.md P1). pii_analyze finds personal data in a UTF-8 text
 * (e-mails, phones, IBAN, cards, NIR, SIREN/SIRET, IP addresses, URLs, dates, postal addresses,
 * person names) with a score per hit; pii_apply replaces the hits (stable pseudonyms such as
 * <PERSON_1> kept in a pii_mapping, redaction, masking, keyed hash); pii_restore puts the real
 * values back into a text holding pseudonyms. Everything here is in memory and thread-safe
 * (patterns and name lists are built once); see docs/pii.md for the rules and their limits.
 */
#ifndef COFFRE_PII_H
#define COFFRE_PII_H

#include <stddef.h>

#define PII_TEXT_MAX (10u * 1024 * 1024)   /* bytes of one text given to pii_analyze/pii_apply */
#define PII_VALUE_MAX 4096                  /* bytes of one value held by a mapping */
#define PII_MAPPING_MAX 1000000             /* values one mapping holds */
#define PII_MAPPING_JSON_MAX (64u * 1024 * 1024) /* bytes pii_mapping_from_json accepts */
#define PII_THRESHOLD_DEFAULT 0.5           /* what the CLI uses when --threshold is not given */
#define PII_HASH_KEY_BYTES 32
#define PII_MASK_KEEP_MAX 64

enum pii_entity {
	PII_EMAIL_ADDRESS,
	PII_PHONE_NUMBER,
	PII_IBAN_CODE,
	PII_CREDIT_CARD,
	PII_FR_NIR,
	PII_FR_SIREN,
	PII_FR_SIRET,
	PII_IP_ADDRESS,
	PII_URL,
	PII_DATE_TIME,
	PII_STREET_ADDRESS,
	PII_PERSON,
	PII_ENTITY_COUNT
};

/* "EMAIL_ADDRESS", "PERSON"...: a static string, NULL outside the enum. */
const char *pii_entity_name(enum pii_entity e);
/* The entity named name (exactly as pii_entity_name spells it, ASCII case ignored): 0 or
 * ERR_INVALID. */
int pii_entity_parse(const char *name, enum pii_entity *out);

struct pii_hit {
	enum pii_entity entity;
	size_t start, end;      /* bytes, end exclusive */
	size_t cstart, cend;    /* the same span in code points */
	double score;           /* 0..1 */
};

struct pii_options {
	const char *language;   /* "fr", "en" (a region suffix such as "fr-CA" is ignored), or
	                           NULL: detected from the text */
	unsigned entities;      /* bit (1u << entity) per entity wanted; 0 = all */
	double threshold;       /* 0..1: hits scoring below are dropped before overlaps are resolved */
};

/*
 * Finds the PII in text (len bytes of UTF-8, no NUL, at most PII_TEXT_MAX). On success *hits
 * (free() it; NULL when *nhits is 0) holds the hits sorted by start, without overlap, and
 * lang_out (when not NULL) the language used, "fr" or "en". opt may be NULL (all entities,
 * threshold 0, language detected). Returns 0, ERR_INVALID (invalid UTF-8, a NUL byte, an unknown
 * language, a threshold outside 0..1), ERR_TOOBIG (len > PII_TEXT_MAX), ERR_NOMEM, or
 * ERR_INTERNAL when the patterns could not be compiled.
 */
int pii_analyze(const char *text, size_t len, const struct pii_options *opt,
    struct pii_hit **hits, size_t *nhits, char lang_out[3]);

/*
 * A mapping: value -> pseudonym per entity (<PERSON_1>, <PERSON_2>...), with a counter per
 * entity. Values are wiped when the mapping is freed. Not thread-safe: one user at a time.
 */
struct pii_mapping;

/* NULL on allocation failure. */
struct pii_mapping *pii_mapping_new(void);
/* Wipes and frees; NULL is accepted. */
void pii_mapping_free(struct pii_mapping *m);
/* Number of values held. */
size_t pii_mapping_count(const struct pii_mapping *m);
/*
 * The token of value (len bytes) for entity e, as pii_apply would write it ("<PERSON_3>"),
 * NUL-terminated into out (outsz >= 32 is always enough). 0 when found, ERR_NOTFOUND,
 * ERR_INVALID.
 */
int pii_mapping_lookup(const struct pii_mapping *m, enum pii_entity e, const char *value,
    size_t len, char *out, size_t outsz);
/*
 * The mapping as JSON: {"version":1,"counters":{"PERSON":2,...},"entries":[{"type":"PERSON",
 * "n":1,"value":"Jean Dupont"},...]}. *json is malloc'd and holds the real values: release it
 * with pii_json_free (wipes, then frees). 0 or ERR_NOMEM.
 */
int pii_mapping_to_json(const struct pii_mapping *m, char **json);
/*
 * A mapping from pii_mapping_to_json's output (len bytes, at most PII_MAPPING_JSON_MAX). 0,
 * ERR_INVALID (malformed, unknown type, duplicate value or number, counter below a number, value
 * not UTF-8 or longer than PII_VALUE_MAX), ERR_TOOBIG, ERR_NOMEM. The caller still owns json and
 * must wipe it; jansson's own parse buffers are freed without wiping (see docs/pii.md).
 */
int pii_mapping_from_json(const char *json, size_t len, struct pii_mapping **out);
/* Wipes the NUL-terminated json and frees it; NULL is accepted. */
void pii_json_free(char *json);

enum pii_operator {
	PII_OP_PSEUDONYMIZE,    /* <PERSON_1>: the same value keeps its token in the mapping */
	PII_OP_REDACT,          /* <PERSON> */
	PII_OP_MASK,            /* every code point but the last mask_keep becomes '*' */
	PII_OP_HASH,            /* <PERSON_3f9a1c2b>: keyed BLAKE2b of entity and value, 8 hex */
};

struct pii_op_params {
	unsigned mask_keep;                             /* MASK: at most PII_MASK_KEEP_MAX */
	const unsigned char *hash_key;                  /* HASH: PII_HASH_KEY_BYTES bytes */
};

/* Parses "pseudonymize", "redact", "mask", "hash": 0 or ERR_INVALID. */
int pii_operator_parse(const char *name, enum pii_operator *out);

/*
 * Writes text with each hit replaced as op says into *out (malloc'd, NUL-terminated, *outlen
 * bytes without the NUL). hits must be sorted by start, without overlap, on code point
 * boundaries of text (as pii_analyze gives them); m is needed (and extended) by PSEUDONYMIZE
 * only. Returns 0, ERR_INVALID (bad hits, missing mapping or key, mask_keep too large, a value
 * longer than PII_VALUE_MAX), ERR_TOOBIG (text or mapping full), ERR_NOMEM. On error the mapping
 * may hold the values added before it.
 */
int pii_apply(const char *text, size_t len, const struct pii_hit *hits, size_t n,
    enum pii_operator op, const struct pii_op_params *params, struct pii_mapping *m,
    char **out, size_t *outlen);

/*
 * Puts the values of m back into text in place of their tokens, tolerating what a language model
 * does to them: brackets dropped or changed (PERSON_1, <PERSON_1, [PERSON_1], < PERSON_1 >) and
 * case changes (<person_1>). A token is only taken whole: PERSON_10 is never PERSON_1 and a 0,
 * and tokens unknown to m stay as they are. *out as in pii_apply. 0, ERR_INVALID (text not
 * UTF-8), ERR_TOOBIG (text above PII_TEXT_MAX, or the result above 4 x PII_TEXT_MAX), ERR_NOMEM.
 */
int pii_restore(const char *text, size_t len, const struct pii_mapping *m, char **out,
    size_t *outlen);

#endif
