/* ids.h: the random ids of rows coffre creates (users, documents, tags, roles...). */
#ifndef COFFRE_IDS_H
#define COFFRE_IDS_H

#define ID_HEX 32                       /* 128 random bits as lower-case hex */

/* A fresh id (NUL-terminated) into out. */
void id_new(char out[ID_HEX + 1]);
/* 1 when s has the shape of an id (so that it may be used in a query or a path). */
int id_valid(const char *s);

#endif
