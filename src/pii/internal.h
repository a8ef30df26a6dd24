/* internal.h: what the files of src/pii share (validators, name lists); not for other modules. */
#ifndef COFFRE_PII_INTERNAL_H
#define COFFRE_PII_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "pii/pii.h"

/* validate.c: each takes the characters of a candidate (separators allowed where noted) and
 * returns 1 when it is valid. */

/* Luhn over the decimal digits of s (other bytes skipped); 0 when there are none. */
int pii_luhn_valid(const char *s, size_t len);
/* IBAN: letters, digits and spaces; country code known, registry length, mod-97 = 1. */
int pii_iban_valid(const char *s, size_t len);
/* The registry length of an IBAN for a country (two uppercase letters), 0 when unknown. */
int pii_iban_length(const char *cc);
/* Card number: 13..19 digits (spaces and '-' skipped), Luhn, a known issuer range for its
 * length. *issuer (may be NULL) gets "visa", "mastercard", "amex"... */
int pii_card_valid(const char *s, size_t len, const char **issuer);
/* NIR: 15 characters once spaces and dots are dropped, 2A/2B for Corsica, sex, month, key. */
int pii_nir_valid(const char *s, size_t len);
/* SIREN (9 digits) and SIRET (14 digits): Luhn, or La Poste's SIRETs (SIREN 356000000) whose
 * digit sum is a multiple of 5. Spaces and dots are skipped. */
int pii_siren_valid(const char *s, size_t len);
int pii_siret_valid(const char *s, size_t len);
/* Dotted quad, each part 0..255 without leading zeros. */
int pii_ipv4_valid(const char *s, size_t len);
/* inet_pton(AF_INET6) on at most 45 bytes. */
int pii_ipv6_valid(const char *s, size_t len);
/* 1 when day/month/year name a real date (year 1..9999; 2-digit years taken as they are). */
int pii_date_valid(int day, int month, int year);
/* E.164 digits (without '+'): 1 when the country code is one coffre knows (EU, EEA, UK, CH,
 * North America, French overseas) and the national part has a length that country uses. */
int pii_phone_e164_valid(const char *digits, size_t n);
/* The same over every assigned country code (ITU-T E.164 list; national lengths as each
 * country's plan gives them), for numbers written with '+'. */
int pii_phone_e164_world_valid(const char *digits, size_t n);

/* analyze.c: 0 when text is valid UTF-8 without NUL bytes, else ERR_INVALID. */
int pii_text_check(const char *text, size_t len);

/* names.c: the first names and surnames (data/person-names.txt) and the words around them. */
struct pii_name_entry {
	const char *name;
	unsigned char flags;
};
extern const struct pii_name_entry pii_names[];
extern const size_t pii_names_count;

enum pii_name_flags {
	PII_NAME_FIRST = 1 << 0,
	PII_NAME_LAST = 1 << 1,
	PII_NAME_COMMON = 1 << 2,       /* also a common capitalised word: not a name on its own */
	PII_NAME_TITLE = 1 << 3,        /* M, Mme, Monsieur, Mr, Dr... */
	PII_NAME_STOP = 1 << 4,         /* never part of a name: months, days, street words... */
	PII_NAME_PARTICLE = 1 << 5,     /* de, du, van, von...: inside a name before a capital */
	PII_NAME_MONTH = 1 << 6,        /* an English or French month name or abbreviation */
};

/* Builds the tables once (pthread_once); 0 or ERR_NOMEM. */
int pii_names_init(void);
/* The flags of word (len bytes of UTF-8): case and accents ignored; 0 when unknown (a stop
 * word unknown to the lists also gives 0: see pii_names_is_stop). */
unsigned pii_names_lookup(const char *word, size_t len);
/* 1 when word is a French or English stop word (le, the, pour...). */
int pii_names_is_stop(const char *word, size_t len);
/* Folds word (case, accents) into out (NUL-terminated); the length, or -1 when it does not
 * fit or is not a single word. */
int pii_fold_word(const char *word, size_t len, char *out, size_t outsz);

#endif
