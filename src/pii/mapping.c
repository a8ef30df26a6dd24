/*
 * mapping.c: pseudonyms (value <-> <ENTITY_n>) in memory, the operators of pii_apply and
 * pii_restore. Values live in one sodium_malloc pool (guarded, locked, wiped when freed or
 * moved); two open-addressing tables index it by value (SipHash with a per-mapping key, so that
 * crafted values cannot pile up in one chain) and by token.
 */
#include "pii/internal.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/utf8.h"

#define MAPPING_POOL_MAX (256u * 1024 * 1024)   /* bytes of values in one mapping */
#define MAPPING_TOKEN_MAX 48                    /* "<STREET_ADDRESS_4294967295>" and NUL */
#define MAPPING_NUMBER_MAX 2147483647u
#define MAPPING_OUT_MAX (4u * PII_TEXT_MAX)     /* bytes pii_apply and pii_restore write */
#define MAPPING_HASH_HEX 8

struct mapping_entry {
	uint32_t n;
	uint8_t entity;
	size_t off, len;                        /* in pool */
};

struct pii_mapping {
	struct mapping_entry *e;
	size_t ne, cap;
	unsigned char *pool;                    /* sodium_malloc */
	size_t used, pool_cap;
	uint32_t *by_value, *by_token;          /* entry index + 1; 0 = empty */
	size_t slots;                           /* of each table, a power of two */
	uint32_t counters[PII_ENTITY_COUNT];
	unsigned char key[crypto_shorthash_KEYBYTES];
};

struct pii_mapping *
pii_mapping_new(void)
{
	struct pii_mapping *m;

	if (sodium_init() < 0 || (m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	randombytes_buf(m->key, sizeof(m->key));
	return m;
}

void
pii_mapping_free(struct pii_mapping *m)
{
	if (m == NULL)
		return;
	if (m->pool != NULL)
		sodium_free(m->pool);           /* wipes */
	free(m->e);
	free(m->by_value);
	free(m->by_token);
	sodium_memzero(m, sizeof(*m));
	free(m);
}

size_t
pii_mapping_count(const struct pii_mapping *m)
{
	return m != NULL ? m->ne : 0;
}

static uint64_t
mapping_hash_value(const struct pii_mapping *m, int entity, const void *v, size_t len)
{
	unsigned char h[crypto_shorthash_BYTES];
	uint64_t x;

	crypto_shorthash(h, v, len, m->key);
	memcpy(&x, h, sizeof(x));
	return x + (uint64_t)entity * 0x9e3779b97f4a7c15ULL;
}

static uint64_t
mapping_hash_token(int entity, uint32_t n)
{
	uint64_t x = ((uint64_t)entity << 32 | n) * 0x9e3779b97f4a7c15ULL;

	return x ^ (x >> 29);
}

static size_t
mapping_find_value(const struct pii_mapping *m, int entity, const char *v, size_t len,
    uint32_t **slot)
{
	size_t i = (size_t)mapping_hash_value(m, entity, v, len) & (m->slots - 1);

	for (;; i = (i + 1) & (m->slots - 1)) {
		uint32_t k = m->by_value[i];
		const struct mapping_entry *e;

		if (k == 0) {
			*slot = &m->by_value[i];
			return SIZE_MAX;
		}
		e = &m->e[k - 1];
		if (e->entity == entity && e->len == len && memcmp(m->pool + e->off, v, len) == 0) {
			*slot = &m->by_value[i];
			return k - 1;
		}
	}
}

static size_t
mapping_find_token(const struct pii_mapping *m, int entity, uint32_t n, uint32_t **slot)
{
	size_t i = (size_t)mapping_hash_token(entity, n) & (m->slots - 1);

	for (;; i = (i + 1) & (m->slots - 1)) {
		uint32_t k = m->by_token[i];

		if (k == 0) {
			*slot = &m->by_token[i];
			return SIZE_MAX;
		}
		if (m->e[k - 1].entity == entity && m->e[k - 1].n == n) {
			*slot = &m->by_token[i];
			return k - 1;
		}
	}
}

/* Keeps both tables at most half full. */
static int
mapping_grow_tables(struct pii_mapping *m)
{
	size_t slots = m->slots ? m->slots * 2 : 64;
	uint32_t *bv, *bt, *slot;

	if ((m->ne + 1) * 2 <= m->slots)
		return 0;
	bv = calloc(slots, sizeof(*bv));
	bt = calloc(slots, sizeof(*bt));
	if (bv == NULL || bt == NULL) {
		free(bv);
		free(bt);
		return ERR_NOMEM;
	}
	free(m->by_value);
	free(m->by_token);
	m->by_value = bv;
	m->by_token = bt;
	m->slots = slots;
	for (size_t k = 0; k < m->ne; k++) {
		const struct mapping_entry *e = &m->e[k];

		mapping_find_value(m, e->entity, (const char *)m->pool + e->off, e->len, &slot);
		*slot = (uint32_t)k + 1;
		mapping_find_token(m, e->entity, e->n, &slot);
		*slot = (uint32_t)k + 1;
	}
	return 0;
}

/* Adds value with number n (0: the entity's next). Returns the entry index, or a negative
 * error; an existing value gives its index (when n is 0) or ERR_INVALID. */
static long
mapping_add(struct pii_mapping *m, int entity, const char *v, size_t len, uint32_t n)
{
	uint32_t *vslot, *tslot;
	size_t k;
	int rc;

	if (len == 0 || len > PII_VALUE_MAX)
		return ERR_INVALID;
	if ((rc = mapping_grow_tables(m)) != 0)
		return rc;
	if ((k = mapping_find_value(m, entity, v, len, &vslot)) != SIZE_MAX)
		return n == 0 ? (long)k : ERR_INVALID;
	if (m->ne >= PII_MAPPING_MAX)
		return ERR_TOOBIG;
	if (n == 0) {
		if (m->counters[entity] >= MAPPING_NUMBER_MAX)
			return ERR_TOOBIG;
		n = m->counters[entity] + 1;
	}
	if (mapping_find_token(m, entity, n, &tslot) != SIZE_MAX)
		return ERR_INVALID;
	if (m->used + len > m->pool_cap) {
		size_t cap = m->pool_cap ? m->pool_cap : 4096;
		unsigned char *p;

		while (cap < m->used + len)
			cap *= 2;
		if (cap > MAPPING_POOL_MAX)
			return ERR_TOOBIG;
		if ((p = sodium_malloc(cap)) == NULL)
			return ERR_NOMEM;
		if (m->used > 0)
			memcpy(p, m->pool, m->used);
		if (m->pool != NULL)
			sodium_free(m->pool);
		m->pool = p;
		m->pool_cap = cap;
	}
	if (m->ne == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 64;
		struct mapping_entry *e = realloc(m->e, cap * sizeof(*e));

		if (e == NULL)
			return ERR_NOMEM;
		m->e = e;
		m->cap = cap;
	}
	memcpy(m->pool + m->used, v, len);
	m->e[m->ne] = (struct mapping_entry){ .n = n, .entity = (uint8_t)entity, .off = m->used,
	    .len = len };
	m->used += len;
	*vslot = *tslot = (uint32_t)m->ne + 1;
	if (n > m->counters[entity])
		m->counters[entity] = n;
	return (long)m->ne++;
}

static int
mapping_token(char *out, size_t outsz, int entity, uint32_t n)
{
	int w = snprintf(out, outsz, "<%s_%u>", pii_entity_name((enum pii_entity)entity), n);

	return w > 0 && (size_t)w < outsz ? w : ERR_INVALID;
}

int
pii_mapping_lookup(const struct pii_mapping *m, enum pii_entity e, const char *value,
    size_t len, char *out, size_t outsz)
{
	uint32_t *slot;
	size_t k;

	if (m == NULL || (unsigned)e >= PII_ENTITY_COUNT || (value == NULL && len > 0) ||
	    out == NULL)
		return ERR_INVALID;
	if (m->slots == 0 || (k = mapping_find_value(m, (int)e, value, len, &slot)) == SIZE_MAX)
		return ERR_NOTFOUND;
	return mapping_token(out, outsz, (int)e, m->e[k].n) < 0 ? ERR_INVALID : 0;
}

/* ---- output buffer (may hold real values: wiped when moved or dropped) ---- */

struct mapping_buf {
	char *p;
	size_t len, cap;
	int rc;
};

static void
mapping_buf_put(struct mapping_buf *b, const void *s, size_t n)
{
	if (b->rc != 0)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		if (b->len + n > MAPPING_OUT_MAX) {
			b->rc = ERR_TOOBIG;
			return;
		}
		if ((p = malloc(cap)) == NULL) {
			b->rc = ERR_NOMEM;
			return;
		}
		if (b->p != NULL) {
			memcpy(p, b->p, b->len);
			sodium_memzero(b->p, b->cap);
			free(b->p);
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
mapping_buf_drop(struct mapping_buf *b)
{
	if (b->p != NULL) {
		sodium_memzero(b->p, b->cap);
		free(b->p);
	}
	b->p = NULL;
}

static int
mapping_buf_finish(struct mapping_buf *b, char **out, size_t *outlen)
{
	if (b->rc == 0 && b->p == NULL)
		mapping_buf_put(b, "", 0);
	if (b->rc != 0) {
		mapping_buf_drop(b);
		return b->rc;
	}
	*out = b->p;
	if (outlen != NULL)
		*outlen = b->len;
	b->p = NULL;
	return 0;
}

/* ---- operators ---- */

int
pii_operator_parse(const char *name, enum pii_operator *out)
{
	static const char *const names[] = { "pseudonymize", "redact", "mask", "hash" };

	for (size_t i = 0; name != NULL && i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i]) == 0) {
			*out = (enum pii_operator)i;
			return 0;
		}
	return ERR_INVALID;
}

static int
mapping_hits_valid(const char *text, size_t len, const struct pii_hit *hits, size_t n)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t last = 0;

	for (size_t k = 0; k < n; k++) {
		const struct pii_hit *h = &hits[k];

		if ((unsigned)h->entity >= PII_ENTITY_COUNT || h->start < last || h->end <= h->start ||
		    h->end > len || (s[h->start] & 0xc0) == 0x80 ||
		    (h->end < len && (s[h->end] & 0xc0) == 0x80))
			return 0;
		last = h->end;
	}
	return 1;
}

static void
mapping_put_hash(struct mapping_buf *b, const struct pii_hit *h, const char *v, size_t len,
    const unsigned char *key)
{
	crypto_generichash_state st;
	unsigned char d[16];
	char hex[2 * sizeof(d) + 1];
	const char *name = pii_entity_name(h->entity);

	/* The entity is hashed with the value: one e-mail and one name never share a tag. */
	crypto_generichash_init(&st, key, PII_HASH_KEY_BYTES, sizeof(d));
	crypto_generichash_update(&st, (const unsigned char *)name, strlen(name) + 1);
	crypto_generichash_update(&st, (const unsigned char *)v, len);
	crypto_generichash_final(&st, d, sizeof(d));
	sodium_bin2hex(hex, sizeof(hex), d, sizeof(d));
	mapping_buf_put(b, "<", 1);
	mapping_buf_put(b, name, strlen(name));
	mapping_buf_put(b, "_", 1);
	mapping_buf_put(b, hex, MAPPING_HASH_HEX);
	mapping_buf_put(b, ">", 1);
	sodium_memzero(&st, sizeof(st));
}

static void
mapping_put_mask(struct mapping_buf *b, const char *v, size_t len, unsigned keep)
{
	size_t cps = 0, i = 0;

	for (size_t k = 0; k < len; k++)
		cps += ((unsigned char)v[k] & 0xc0) != 0x80;
	for (size_t c = 0; i < len; c++) {
		size_t st = i;

		i++;
		while (i < len && ((unsigned char)v[i] & 0xc0) == 0x80)
			i++;
		if (c + keep >= cps)
			mapping_buf_put(b, v + st, i - st);
		else
			mapping_buf_put(b, "*", 1);
	}
}

int
pii_apply(const char *text, size_t len, const struct pii_hit *hits, size_t n,
    enum pii_operator op, const struct pii_op_params *params, struct pii_mapping *m,
    char **out, size_t *outlen)
{
	struct mapping_buf b = { 0 };
	size_t last = 0;

	*out = NULL;
	if (outlen != NULL)
		*outlen = 0;
	if ((text == NULL && len > 0) || (hits == NULL && n > 0))
		return ERR_INVALID;
	if (len > PII_TEXT_MAX)
		return ERR_TOOBIG;
	if (pii_text_check(text, len) != 0 || !mapping_hits_valid(text, len, hits, n))
		return ERR_INVALID;
	if ((op == PII_OP_PSEUDONYMIZE && m == NULL) ||
	    (op == PII_OP_HASH && (params == NULL || params->hash_key == NULL)) ||
	    (op == PII_OP_MASK && params != NULL && params->mask_keep > PII_MASK_KEEP_MAX) ||
	    (unsigned)op > PII_OP_HASH)
		return ERR_INVALID;
	for (size_t k = 0; k < n && b.rc == 0; k++) {
		const struct pii_hit *h = &hits[k];
		const char *v = text + h->start;
		size_t vlen = h->end - h->start;
		const char *name = pii_entity_name(h->entity);
		char tok[MAPPING_TOKEN_MAX];
		long idx;

		mapping_buf_put(&b, text + last, h->start - last);
		last = h->end;
		switch (op) {
		case PII_OP_PSEUDONYMIZE:
			if ((idx = mapping_add(m, (int)h->entity, v, vlen, 0)) < 0) {
				b.rc = (int)idx;
				break;
			}
			mapping_buf_put(&b, tok, (size_t)mapping_token(tok, sizeof(tok),
			    (int)h->entity, m->e[idx].n));
			break;
		case PII_OP_REDACT:
			mapping_buf_put(&b, "<", 1);
			mapping_buf_put(&b, name, strlen(name));
			mapping_buf_put(&b, ">", 1);
			break;
		case PII_OP_MASK:
			mapping_put_mask(&b, v, vlen, params != NULL ? params->mask_keep : 0);
			break;
		case PII_OP_HASH:
			mapping_put_hash(&b, h, v, vlen, params->hash_key);
			break;
		}
	}
	mapping_buf_put(&b, text + last, len - last);
	return mapping_buf_finish(&b, out, outlen);
}

/* ---- restore ---- */

static int
mapping_word_byte(unsigned char c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c == '_';
}

/*
 * A token at i (its entity name, '_', a number; nothing word-like after): the entry, and the
 * span [*from, *to) it takes with the brackets and inner spaces around it, never before floor.
 */
static size_t
mapping_token_at(const struct pii_mapping *m, const unsigned char *s, size_t len, size_t i,
    size_t floor, size_t *from, size_t *to)
{
	for (int e = 0; e < PII_ENTITY_COUNT; e++) {
		const char *name = pii_entity_name((enum pii_entity)e);
		size_t nl = strlen(name), j, l, r;
		uint64_t n = 0;
		uint32_t *slot;
		size_t k;

		if (len - i < nl + 2 || strncasecmp((const char *)s + i, name, nl) != 0 ||
		    s[i + nl] != '_' || !(s[i + nl + 1] >= '1' && s[i + nl + 1] <= '9'))
			continue;
		for (j = i + nl + 1; j < len && s[j] >= '0' && s[j] <= '9'; j++)
			if ((n = n * 10 + (s[j] - '0')) > MAPPING_NUMBER_MAX)
				break;
		if (n > MAPPING_NUMBER_MAX || (j < len && mapping_word_byte(s[j])))
			continue;       /* PERSON_10 is not PERSON_1 followed by 0 */
		if ((k = mapping_find_token(m, e, (uint32_t)n, &slot)) == SIZE_MAX)
			continue;
		for (l = i; l > floor && i - l < 3 && s[l - 1] == ' '; l--)
			;
		if (l > floor && (s[l - 1] == '<' || s[l - 1] == '['))
			*from = l - 1;
		else
			*from = i;
		for (r = j; r < len && r - j < 3 && s[r] == ' '; r++)
			;
		*to = r < len && (s[r] == '>' || s[r] == ']') ? r + 1 : j;
		return k;
	}
	return SIZE_MAX;
}

int
pii_restore(const char *text, size_t len, const struct pii_mapping *m, char **out,
    size_t *outlen)
{
	const unsigned char *s = (const unsigned char *)text;
	struct mapping_buf b = { 0 };
	size_t last = 0;

	*out = NULL;
	if (outlen != NULL)
		*outlen = 0;
	if (m == NULL || (text == NULL && len > 0))
		return ERR_INVALID;
	if (len > PII_TEXT_MAX)
		return ERR_TOOBIG;
	if (pii_text_check(text, len) != 0)
		return ERR_INVALID;
	for (size_t i = 0; i < len && b.rc == 0 && m->ne > 0; i++) {
		size_t from, to, k;

		if (!((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z') ||
		    (i > 0 && mapping_word_byte(s[i - 1])))
			continue;
		if ((k = mapping_token_at(m, s, len, i, last, &from, &to)) == SIZE_MAX)
			continue;
		mapping_buf_put(&b, text + last, from - last);
		mapping_buf_put(&b, m->pool + m->e[k].off, m->e[k].len);
		last = to;
		i = to - 1;
	}
	mapping_buf_put(&b, text + last, len - last);
	return mapping_buf_finish(&b, out, outlen);
}

/* ---- JSON ---- */

static size_t
mapping_json_escape(char *out, const char *v, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c == '"' || c == '\\') {
			if (out != NULL) {
				out[n] = '\\';
				out[n + 1] = (char)c;
			}
			n += 2;
		} else if (c < 0x20 || c == 0x7f) {
			if (out != NULL) {
				memcpy(out + n, "\\u00", 4);
				out[n + 4] = hex[c >> 4];
				out[n + 5] = hex[c & 15];
			}
			n += 6;
		} else {
			if (out != NULL)
				out[n] = (char)c;
			n++;
		}
	}
	return n;
}

/* Writes the JSON into out, or only measures it when out is NULL. */
static size_t
mapping_json_write(const struct pii_mapping *m, char *out)
{
	char tmp[96];
	size_t n = 0;
	int first = 1;

#define PUT(s, l) do { if (out != NULL) memcpy(out + n, s, l); n += l; } while (0)
#define PUTS(s) PUT(s, strlen(s))
	PUTS("{\"version\":1,\"counters\":{");
	for (int e = 0; e < PII_ENTITY_COUNT; e++) {
		if (m->counters[e] == 0)
			continue;
		snprintf(tmp, sizeof(tmp), "%s\"%s\":%u", first ? "" : ",",
		    pii_entity_name((enum pii_entity)e), m->counters[e]);
		PUTS(tmp);
		first = 0;
	}
	PUTS("},\"entries\":[");
	for (size_t k = 0; k < m->ne; k++) {
		const struct mapping_entry *e = &m->e[k];

		snprintf(tmp, sizeof(tmp), "%s{\"type\":\"%s\",\"n\":%u,\"value\":\"", k ? "," : "",
		    pii_entity_name((enum pii_entity)e->entity), e->n);
		PUTS(tmp);
		n += mapping_json_escape(out != NULL ? out + n : NULL,
		    (const char *)m->pool + e->off, e->len);
		PUTS("\"}");
	}
	PUTS("]}");
#undef PUT
#undef PUTS
	return n;
}

int
pii_mapping_to_json(const struct pii_mapping *m, char **json)
{
	size_t n;

	*json = NULL;
	if (m == NULL)
		return ERR_INVALID;
	n = mapping_json_write(m, NULL);
	if ((*json = malloc(n + 1)) == NULL)
		return ERR_NOMEM;
	mapping_json_write(m, *json);
	(*json)[n] = '\0';
	return 0;
}

void
pii_json_free(char *json)
{
	if (json == NULL)
		return;
	sodium_memzero(json, strlen(json));
	free(json);
}

/* Overwrites the strings jansson holds (they are the real values) before they are freed. */
static void
mapping_json_wipe(json_t *root)
{
	json_t *entries = json_object_get(root, "entries"), *it;
	size_t i;

	if (!json_is_array(entries))
		return;
	json_array_foreach(entries, i, it) {
		json_t *v = json_object_get(it, "value");

		if (json_is_string(v))
			sodium_memzero((char *)json_string_value(v), json_string_length(v));
	}
}

int
pii_mapping_from_json(const char *json, size_t len, struct pii_mapping **out)
{
	struct pii_mapping *m = NULL;
	json_t *root = NULL, *counters, *entries, *it;
	json_error_t jerr;
	const char *key;
	size_t i;
	int rc = ERR_INVALID;

	*out = NULL;
	if (json == NULL)
		return ERR_INVALID;
	if (len > PII_MAPPING_JSON_MAX)
		return ERR_TOOBIG;
	if ((root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr)) == NULL)
		return ERR_INVALID;
	counters = json_object_get(root, "counters");
	entries = json_object_get(root, "entries");
	if (!json_is_object(root) || json_integer_value(json_object_get(root, "version")) != 1 ||
	    !json_is_object(counters) || !json_is_array(entries) || json_object_size(root) != 3)
		goto out;
	if (json_array_size(entries) > PII_MAPPING_MAX) {
		rc = ERR_TOOBIG;
		goto out;
	}
	if ((m = pii_mapping_new()) == NULL) {
		rc = ERR_NOMEM;
		goto out;
	}
	json_array_foreach(entries, i, it) {
		json_t *t = json_object_get(it, "type"), *n = json_object_get(it, "n"),
		    *v = json_object_get(it, "value");
		enum pii_entity e;
		json_int_t num;
		long r;

		if (!json_is_object(it) || json_object_size(it) != 3 || !json_is_string(t) ||
		    pii_entity_parse(json_string_value(t), &e) != 0 || !json_is_integer(n) ||
		    !json_is_string(v))
			goto out;
		num = json_integer_value(n);
		if (num < 1 || num > (json_int_t)MAPPING_NUMBER_MAX ||
		    strcmp(json_string_value(t), pii_entity_name(e)) != 0 ||
		    strlen(json_string_value(v)) != json_string_length(v) ||
		    pii_text_check(json_string_value(v), json_string_length(v)) != 0)
			goto out;
		if ((r = mapping_add(m, (int)e, json_string_value(v), json_string_length(v),
		    (uint32_t)num)) < 0) {
			rc = (int)r;
			goto out;
		}
	}
	json_object_foreach(counters, key, it) {
		enum pii_entity e;
		json_int_t c;

		if (pii_entity_parse(key, &e) != 0 || strcmp(key, pii_entity_name(e)) != 0 ||
		    !json_is_integer(it))
			goto out;
		c = json_integer_value(it);
		if (c < (json_int_t)m->counters[e] || c > (json_int_t)MAPPING_NUMBER_MAX)
			goto out;
		m->counters[e] = (uint32_t)c;
	}
	for (int e = 0; e < PII_ENTITY_COUNT; e++)
		if (m->counters[e] > 0 && json_object_get(counters, pii_entity_name(e)) == NULL)
			goto out;       /* a counter may not be left out while entries use it */
	*out = m;
	m = NULL;
	rc = 0;
out:
	mapping_json_wipe(root);
	json_decref(root);
	pii_mapping_free(m);
	return rc;
}
