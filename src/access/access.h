/*
 * access.h: who is calling (struct identity), the permissions a role grants, and the one
 * function that decides every call (access_decide, used by access_check). Deny by default:
 * a route without a permission is refused to everyone but the probes' public routes, and
 * every denial is audited with the permission that was missing.
 */
#ifndef COFFRE_ACCESS_H
#define COFFRE_ACCESS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "http/request.h"
#include "http/router.h"

/* Route permission meaning "any signed-in caller" (their own account, sessions, tokens). */
#define ACCESS_SIGNED_IN "signed_in"

#define ACCESS_ID_LEN 32
#define ACCESS_EMAIL_MAX 254

enum access_via { ACCESS_VIA_SESSION = 1, ACCESS_VIA_TOKEN = 2 };

struct identity {
	char tenant_id[ACCESS_ID_LEN + 1];
	char tenant_slug[64];
	char tenant_name[201];
	char user_id[ACCESS_ID_LEN + 1];
	char email[ACCESS_EMAIL_MAX + 1];
	uint64_t perms;                 /* union of the user's roles' permissions */
	uint64_t pages;                 /* union of the user's roles' UI pages */
	enum access_via via;
	int read_only;                  /* an API token with the read-only scope */
	int must_renew_password;        /* the password expired: it can only be changed */
	int must_enrol_2fa;             /* a role requires 2FA and the user has none */
	int totp_enabled;
	unsigned char session_hash[32]; /* the session's stored hash (ACCESS_VIA_SESSION) */
	char csrf[64];
	char token_id[ACCESS_ID_LEN + 1];  /* ACCESS_VIA_TOKEN */
};

/* The permission names, in bit order: "documents.read", ... Returns the count. */
size_t access_perm_count(void);
const char *access_perm_name(size_t bit);
/* The bit of a permission name; 0 for an unknown name. */
uint64_t access_perm_bit(const char *name);
/* A JSON array of names <-> a mask. from_json: ERR_INVALID (message names the entry) for
 * anything but an array of known names. */
json_t *access_perms_to_json(uint64_t mask);
int access_perms_from_json(const json_t *arr, uint64_t *mask, char *msg, size_t msgsz);
/* The same for web UI pages ("search", "documents", ...). */
json_t *access_pages_to_json(uint64_t mask);
int access_pages_from_json(const json_t *arr, uint64_t *mask, char *msg, size_t msgsz);

/*
 * Tag visibility (I8), the one rule, written once as SQL so that every list, read, version,
 * search and count applies it inside its query (never by filtering results afterwards):
 *
 *   A tag is hidden from a user when a grant denies it to the user or to one of the user's
 *   roles, or when the tag is restricted and no grant allows it to the user or one of their
 *   roles. A document is visible when none of its tags is hidden (so an untagged document,
 *   or one with only unrestricted tags, is visible to everyone with documents.read).
 *   Deny wins over allow; a user grant and a role grant count the same.
 *
 * Use: "WITH " ACCESS_HIDDEN_TAGS " SELECT ... FROM documents d WHERE " ACCESS_VISIBLE("d"),
 * binding the caller's user id to the named parameter :uid.
 */
#define ACCESS_GRANT_SUBJECT \
	"((g.subject_kind = 'user' AND g.subject_id = :uid) OR (g.subject_kind = 'role' AND " \
	"g.subject_id IN (SELECT role_id FROM user_roles WHERE user_id = :uid)))"
#define ACCESS_HIDDEN_TAGS \
	"hidden_tags(tag_id) AS (SELECT t.id FROM tags t WHERE EXISTS (SELECT 1 FROM " \
	"tag_grants g WHERE g.tag_id = t.id AND g.effect = 'deny' AND " ACCESS_GRANT_SUBJECT \
	") OR (t.restricted = 1 AND NOT EXISTS (SELECT 1 FROM tag_grants g WHERE " \
	"g.tag_id = t.id AND g.effect = 'allow' AND " ACCESS_GRANT_SUBJECT ")))"
#define ACCESS_VISIBLE(alias) \
	"NOT EXISTS (SELECT 1 FROM document_tags vt WHERE vt.document_id = " alias ".id AND " \
	"vt.tag_id IN (SELECT tag_id FROM hidden_tags))"
/*
 * The same rule for many documents at once (search): id, an SQL expression of a document id, is
 * not among the documents carrying a hidden tag, a set SQLite builds once per statement; a
 * search of 30k matches otherwise probes document_tags 30k times. Costs one pass over the
 * hidden documents instead, so prefer ACCESS_VISIBLE where few documents are checked.
 */
#define ACCESS_VISIBLE_ID(id) \
	id " NOT IN (SELECT vt.document_id FROM document_tags vt WHERE vt.tag_id IN (SELECT " \
	"tag_id FROM hidden_tags))"

enum access_decision {
	ACCESS_ALLOW = 0,
	ACCESS_DENY_UNAUTHENTICATED,    /* 401 */
	ACCESS_DENY_PERMISSION,         /* 403: *missing names the permission */
	ACCESS_DENY_READ_ONLY,          /* 403: a read-only token on a state-changing call */
	ACCESS_DENY_RESTRICTED,         /* 403: renew the password or enrol 2FA first */
};

/*
 * The one decision for a call: route (its perm and flags) with method by id (NULL when no
 * credential was valid). A NULL route perm is public; anything else needs an identity;
 * ACCESS_SIGNED_IN needs nothing more; a name needs that bit. A read-only API token gets
 * GET, HEAD and the routes flagged ROUTE_READ_ONLY_OK. *missing is set for
 * ACCESS_DENY_PERMISSION (the name) and ACCESS_DENY_RESTRICTED ("password_renewal" or
 * "two_factor_enrolment").
 */
enum access_decision access_decide(const struct identity *id, const struct route *route,
    enum http_method method, const char **missing);
/*
 * access_decide for the request, answering 401/403 in res when denied and auditing every
 * denial of an identified caller in its tenant's trail (event "access.denied", detail
 * {permission, route}). Returns 0 when allowed, 1 when res holds the denial.
 */
int access_check(struct request *req, struct response *res, const struct route *route);
/* For a handler's own finer check (ownership is done in SQL): same audit and answer. */
int access_deny(struct request *req, struct response *res, const char *missing);

#endif
