/* arena.h: a per-request memory arena with a hard maximum; freed at once. */
#ifndef COFFRE_ARENA_H
#define COFFRE_ARENA_H

#include <stddef.h>

struct arena;

/* Returns a new arena that refuses to grow past max_bytes, or NULL. */
struct arena *arena_new(size_t max_bytes);
/* Frees every allocation of the arena; accepts NULL. */
void arena_free(struct arena *a);
/* Returns zeroed, 16-byte aligned memory owned by the arena, or NULL past the cap. */
void *arena_alloc(struct arena *a, size_t n);
/* Copies n bytes and a terminating NUL into the arena. */
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_strdup(struct arena *a, const char *s);
/* printf into the arena; NULL on failure. */
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Bytes handed out so far (including rounding). */
size_t arena_used(const struct arena *a);

#endif
