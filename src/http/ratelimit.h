/* ratelimit.h: per-address token buckets in a fixed-size table. */
#ifndef COFFRE_RATELIMIT_H
#define COFFRE_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#define RATELIMIT_ADDR_BYTES 16

struct ratelimit;

/*
 * Returns a limiter allowing rate requests per second on average and burst at once, per
 * address, tracking at most slots addresses (the least recently seen are forgotten).
 */
struct ratelimit *ratelimit_new(double rate, double burst, size_t slots);
void ratelimit_free(struct ratelimit *rl);
/*
 * Takes one token for addr (16 bytes; IPv4 as v4-mapped IPv6) at now_ns. Returns 1 when
 * allowed; 0 when refused, with *retry_after_s set to the seconds until a token is back.
 */
int ratelimit_take(struct ratelimit *rl, const unsigned char addr[RATELIMIT_ADDR_BYTES],
    uint64_t now_ns, unsigned *retry_after_s);

/* Same test without taking a token: 1 when addr has one left (for limits that count only
 * failures, taken with ratelimit_take once a failure happened). */
int ratelimit_peek(struct ratelimit *rl, const unsigned char addr[RATELIMIT_ADDR_BYTES],
    uint64_t now_ns, unsigned *retry_after_s);

#endif
