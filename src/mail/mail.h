/*
 * mail.h: outbound mail (invitations, password resets, lockout notices) over SMTP with
 * libcurl, sent by one background thread from a bounded queue.
 */
#ifndef COFFRE_MAIL_H
#define COFFRE_MAIL_H

#define MAIL_QUEUE_MAX 256               /* messages waiting or in flight */
#define MAIL_QUEUE_BYTES_MAX (16u << 20) /* their rendered size, all together */
#define MAIL_SUBJECT_MAX 200             /* bytes of UTF-8 */
#define MAIL_BODY_MAX (64 * 1024)        /* bytes of UTF-8 */
#define MAIL_ADDRESS_MAX 254
#define MAIL_LOCAL_MAX 64
#define MAIL_DOMAIN_MAX 253

struct config;
struct mailer;

/*
 * A mailer from the smtp.* keys (and server.public_url, whose host names coffre in EHLO).
 * With smtp.url empty the mailer is disabled: it starts no thread, and mailer_send and
 * mailer_send_now check their arguments as usual, then log "mail not configured: <subject>
 * to <r***@domain> not sent" (never the body) and return ERR_NOTFOUND.
 * Returns NULL and sets *err (ERR_CONFIG and a logged reason for bad settings: a scheme
 * other than smtp:// or smtps://, credentials in the URL, an invalid smtp.from, an
 * unreadable smtp.ca_file). err may be NULL.
 */
struct mailer *mailer_new(const struct config *cfg, int *err);
/* 1 when mail is configured, 0 when m is NULL or disabled (callers may show links instead). */
int mailer_enabled(const struct mailer *m);
/*
 * Queues one plain-text UTF-8 message to one recipient; never waits for the network.
 * ERR_INVALID: NULL argument, invalid recipient, control characters in the subject (CR
 * and LF included: header injection) or in the body (other than tab and line breaks),
 * invalid UTF-8. ERR_TOOBIG: subject over 200 bytes, body over 64 KiB, address over 254.
 * ERR_BUSY: queue full or shutting down. ERR_NOTFOUND: disabled. Nothing is kept of the
 * caller's strings; the rendered message lives in sodium_malloc memory, wiped once it is
 * sent or given up. A NULL m behaves as a disabled mailer.
 */
int mailer_send(struct mailer *m, const char *to, const char *subject, const char *body);
/*
 * Sends in the calling thread (CLI, tests) with the same checks and delivery code: one
 * attempt plus smtp.retries, backoff doubling from 1 s. Returns 0 once the server accepted
 * the message, ERR_TLS when TLS failed (certificate not verified, STARTTLS required but not
 * offered), ERR_IO for other failures; permanent refusals (5xx, login denied) and TLS
 * failures are not retried.
 */
int mailer_send_now(struct mailer *m, const char *to, const char *subject, const char *body);
/* Waits up to grace_s seconds for the queue to empty, then aborts what is left, stops the
 * thread and frees. Accepts NULL. */
void mailer_free(struct mailer *m, unsigned grace_s);
/* Counters (either pointer may be NULL): messages the server accepted, messages given up
 * (both counting mailer_send_now too) and messages queued or in flight now. */
void mailer_stats(const struct mailer *m, long *sent, long *failed, long *queued);
/*
 * 1 when addr is an acceptable address, else 0. Pragmatic: ASCII local@domain; the local
 * part a dot-atom of RFC 5322 (no quoted strings, spaces or controls); the domain
 * LDH labels with a dot (or "localhost"), no address literals, IDNs in xn-- form;
 * lengths 64/253/254.
 */
int mail_address_valid(const char *addr);

#endif
