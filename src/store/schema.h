/* schema.h: the numbered migrations of src/store/schema/, compiled in (generated). */
#ifndef COFFRE_SCHEMA_H
#define COFFRE_SCHEMA_H

#include "store/db.h"

extern const struct migration schema_system[];
extern const int schema_system_count;
extern const struct migration schema_vault[];
extern const int schema_vault_count;

#endif
