/* alerts.h: security events of the audit trail sent to webhooks from a background thread. */
#ifndef COFFRE_ALERTS_H
#define COFFRE_ALERTS_H

#include <stddef.h>

#include <jansson.h>

struct alerts_options {
	unsigned timeout_ms;     /* per attempt, default 5000 when 0 */
	unsigned retries;        /* attempts after the first, default 5 when 0 */
	unsigned backoff_ms;     /* first delay, doubled each retry, capped at 60 s; default 500 when 0 */
	unsigned queue_max;      /* alerts waiting at most, default 1024 when 0 */
	const char *ca_file;     /* extra CA bundle for https (tests), NULL for the system store */
};

struct alerts;

/* Parses spec and starts the delivery thread. spec: webhooks separated by spaces, each
 * "URL|prefix,prefix,..." (an event is sent when its name starts with one of the prefixes;
 * "*" matches everything, a trailing '*' is allowed and ignored). Returns NULL and writes a
 * one-line reason to err on a bad spec.
 * An empty spec gives a valid object that sends nothing. */
struct alerts *alerts_new(const char *spec, const struct alerts_options *opt, char *err, size_t errlen);
/* Queues payload (copied; the caller keeps its reference) for every webhook whose prefixes
 * match event. Never blocks: when the queue is full the alert is dropped and counted.
 * event: 1..128 chars of [A-Za-z0-9._-]; other names and payloads over 64 KiB are dropped.
 * A NULL payload sends {}. */
void alerts_notify(struct alerts *a, const char *event, const json_t *payload);
/* Waits up to timeout_ms for the queue to be delivered or given up; returns how many alerts
 * are still pending (0 = all done). For short-lived processes before exit. */
int alerts_drain(struct alerts *a, unsigned timeout_ms);
/* Stops the thread (without waiting for pending deliveries beyond the current attempt) and frees. */
void alerts_free(struct alerts *a);
/* Counters, for metrics and tests. */
struct alerts_stats { unsigned long long sent, failed_attempts, dropped, given_up; };
void alerts_stats(const struct alerts *a, struct alerts_stats *out);

#endif
