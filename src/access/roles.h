/*
 * roles.h: roles (a name, permissions, UI pages, whether two-factor is required) as tenant
 * admins define them, and the tag grants of roles and users (the rule that uses them is
 * ACCESS_HIDDEN_TAGS in access.h). Built-in roles (admin, editor, reader) come with every
 * vault; they can be edited, not deleted. No change may leave the tenant without an
 * active user holding users.manage and roles.manage (409 last_admin).
 */
#ifndef COFFRE_ROLES_H
#define COFFRE_ROLES_H

#include <jansson.h>
#include <sqlite3.h>

#include "access/access.h"
#include "common/result.h"

struct vault;

/* {items: [{id, name, permissions, pages, require_2fa, builtin, users, tags{allow,deny}}]} */
int access_roles_list(struct vault *v, struct result *r);
int access_role_get(struct vault *v, const char *role_id, struct result *r);
/* Creates (role_id NULL: 201) or replaces (200) a role from {name, permissions, pages,
 * require_2fa?}; unknown permission or page names are refused (422). */
int access_role_put(struct vault *v, const struct identity *id, const char *source,
    const char *role_id, const json_t *body, struct result *r);
/* Deletes a role that is not built in; its holders lose it (204). */
int access_role_delete(struct vault *v, const struct identity *id, const char *source,
    const char *role_id, struct result *r);
/* The tag grants of a subject (kind "role" or "user"): {allow: [names], deny: [names]};
 * put replaces them from the same shape (unknown tags 422). */
int access_grants_get(struct vault *v, const char *kind, const char *subject_id,
    struct result *r);
int access_grants_put(struct vault *v, const struct identity *id, const char *source,
    const char *kind, const char *subject_id, const json_t *body, struct result *r);
/* 1 when an active user holds both users.manage and roles.manage (inside a transaction). */
int access_admin_remains(sqlite3 *db);

#endif
