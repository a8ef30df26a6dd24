#include "http/ratelimit.h"

#include <math.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define RATELIMIT_PROBE 8

struct bucket {
	unsigned char addr[RATELIMIT_ADDR_BYTES];
	double tokens;
	uint64_t last_ns;       /* 0: free slot */
};

struct ratelimit {
	pthread_mutex_t lock;
	double rate, burst;
	size_t nslots;
	unsigned char hashkey[crypto_shorthash_KEYBYTES];
	struct bucket *slots;
};

struct ratelimit *
ratelimit_new(double rate, double burst, size_t slots)
{
	struct ratelimit *rl;

	if (rate <= 0 || burst < 1 || slots < RATELIMIT_PROBE)
		return NULL;
	if ((rl = calloc(1, sizeof(*rl))) == NULL)
		return NULL;
	if ((rl->slots = calloc(slots, sizeof(*rl->slots))) == NULL) {
		free(rl);
		return NULL;
	}
	pthread_mutex_init(&rl->lock, NULL);
	rl->rate = rate;
	rl->burst = burst;
	rl->nslots = slots;
	/* A keyed hash: a client cannot aim many addresses at one probe chain. */
	randombytes_buf(rl->hashkey, sizeof(rl->hashkey));
	return rl;
}

void
ratelimit_free(struct ratelimit *rl)
{
	if (rl == NULL)
		return;
	pthread_mutex_destroy(&rl->lock);
	free(rl->slots);
	free(rl);
}

static struct bucket *
ratelimit_find(struct ratelimit *rl, const unsigned char *addr)
{
	unsigned char h[crypto_shorthash_BYTES];
	uint64_t v;
	struct bucket *victim = NULL;

	crypto_shorthash(h, addr, RATELIMIT_ADDR_BYTES, rl->hashkey);
	memcpy(&v, h, sizeof(v));
	for (size_t i = 0; i < RATELIMIT_PROBE; i++) {
		struct bucket *b = &rl->slots[(v + i) % rl->nslots];
		if (b->last_ns != 0 && memcmp(b->addr, addr, RATELIMIT_ADDR_BYTES) == 0)
			return b;
		if (victim == NULL || b->last_ns < victim->last_ns)
			victim = b;
	}
	/* Reuse the free or least recently seen slot: a fresh full bucket. */
	memcpy(victim->addr, addr, RATELIMIT_ADDR_BYTES);
	victim->tokens = rl->burst;
	victim->last_ns = 0;
	return victim;
}

/* Refills addr's bucket to now_ns, then takes cost tokens (0: only looks) when it has one. */
static int
ratelimit_spend(struct ratelimit *rl, const unsigned char *addr, uint64_t now_ns, double cost,
    unsigned *retry_after_s)
{
	struct bucket *b;
	int ok;

	if (now_ns == 0)
		now_ns = 1;
	pthread_mutex_lock(&rl->lock);
	b = ratelimit_find(rl, addr);
	if (b->last_ns != 0 && now_ns > b->last_ns) {
		b->tokens += (double)(now_ns - b->last_ns) / 1e9 * rl->rate;
		if (b->tokens > rl->burst)
			b->tokens = rl->burst;
	}
	if (now_ns > b->last_ns)
		b->last_ns = now_ns;
	ok = b->tokens >= 1.0;
	if (ok)
		b->tokens -= cost;
	else
		*retry_after_s = (unsigned)ceil((1.0 - b->tokens) / rl->rate);
	pthread_mutex_unlock(&rl->lock);
	return ok;
}

int
ratelimit_take(struct ratelimit *rl, const unsigned char addr[RATELIMIT_ADDR_BYTES],
    uint64_t now_ns, unsigned *retry_after_s)
{
	return ratelimit_spend(rl, addr, now_ns, 1.0, retry_after_s);
}

int
ratelimit_peek(struct ratelimit *rl, const unsigned char addr[RATELIMIT_ADDR_BYTES],
    uint64_t now_ns, unsigned *retry_after_s)
{
	return ratelimit_spend(rl, addr, now_ns, 0.0, retry_after_s);
}
