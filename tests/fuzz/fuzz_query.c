/*
 * Search queries: whatever the bytes, query_parse returns 0, ERR_INVALID or ERR_TOOBIG, and every
 * expression it produces is accepted by FTS5, on coffre's tokenizer and on the default one, and
 * by the in-memory index (search/memidx.h), which finds as many documents as FTS5 does.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "fuzz.h"
#include "search/analyze.h"
#include "search/memidx.h"
#include "search/query.h"

static sqlite3_stmt *fuzz_stmt[2];
static struct memidx *fuzz_ix;

/* Opened once: two FTS5 tables with a few rows, so that queries do real work. */
static int
fuzz_open(void)
{
	static const char *sql[] = { "SELECT count(*) FROM t WHERE t MATCH ?",
		"SELECT count(*) FROM c WHERE c MATCH ?" };
	static const char *rows[][2] = { { "fr", "Changer son mot de passe" },
		{ "fr", "Les données du serveur" }, { "en", "Reset the Linux password" } };
	sqlite3 *db;
	sqlite3_stmt *ins;

	if (sqlite3_open(":memory:", &db) != SQLITE_OK || analyze_register(db) != 0 ||
	    sqlite3_exec(db, "CREATE VIRTUAL TABLE t USING fts5(title, body);"
	    "CREATE VIRTUAL TABLE c USING fts5(title, body, tokenize='coffre');"
	    "INSERT INTO t VALUES ('mot de pass', 'reset password linux')", NULL, NULL,
	    NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO c VALUES (?1 || ?2, ?1 || ?2)", -1, &ins,
	    NULL) != SQLITE_OK)
		return -1;
	if ((fuzz_ix = memidx_new((const double[3]){ 10, 5, 1 })) == NULL)
		return -1;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char text[128], id[33];
		struct memidx_doc d = { .rowid = (int64_t)i + 1, .id = id, .language = rows[i][0] };

		/* the same rows in memory: title and body as in c, no tags; the last one in the
		 * tail (added after the seal) */
		snprintf(id, sizeof(id), "%032zu", i + 1);
		snprintf(text, sizeof(text), "%s%s", analyze_marker(rows[i][0]), rows[i][1]);
		d.col[0] = d.col[2] = text;
		d.col_len[0] = d.col_len[2] = strlen(text);
		if ((i + 1 == sizeof(rows) / sizeof(rows[0]) && memidx_seal(fuzz_ix) != 0) ||
		    memidx_add(fuzz_ix, &d) != 0)
			return -1;
		sqlite3_bind_text(ins, 1, analyze_marker(rows[i][0]), -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 2, rows[i][1], -1, SQLITE_STATIC);
		if (sqlite3_step(ins) != SQLITE_DONE)
			return -1;
		sqlite3_reset(ins);
	}
	sqlite3_finalize(ins);
	for (int i = 0; i < 2; i++)
		if (sqlite3_prepare_v2(db, sql[i], -1, &fuzz_stmt[i], NULL) != SQLITE_OK)
			return -1;
	return 0;
}

/* Outside double-quoted strings, only ( ) spaces, " *" after a string and OR AND NOT. */
static int
fuzz_expr_safe(const char *e)
{
	while (*e != '\0') {
		if (*e == '"') {
			const char *s = ++e;

			while (*e != '\0' && (*e != '"' || e[1] == '"'))
				e += *e == '"' ? 2 : 1;
			if (*e++ != '"' || e - 1 == s)
				return 0;
			if (strncmp(e, " *", 2) == 0)
				e += 2;
		} else if (*e == '(' || *e == ')' || *e == ' ')
			e++;
		else if (strncmp(e, "OR ", 3) == 0)
			e += 3;
		else if (strncmp(e, "AND ", 4) == 0 || strncmp(e, "NOT ", 4) == 0)
			e += 4;
		else
			return 0;
	}
	return 1;
}

static void
fuzz_check(const struct query_parsed *p)
{
	if (p->expr[0] == '\0') {
		if (p->nterms != 0)
			abort();
		return;
	}
	if (p->nterms < 1 || p->nterms > QUERY_MAX_TERMS || !fuzz_expr_safe(p->expr))
		abort();
	for (int i = 0; i < 2; i++) {
		sqlite3_stmt *s = fuzz_stmt[i];

		sqlite3_reset(s);
		sqlite3_bind_text(s, 1, p->expr, -1, SQLITE_STATIC);
		if (sqlite3_step(s) != SQLITE_ROW)
			abort();        /* an FTS5 syntax error: the parser let user syntax through */
		if (i == 1) {
			struct memidx_filter none = { 0 };
			struct memidx_result r;

			if (memidx_search(fuzz_ix, p->expr, &none, 10, 0, &r) != 0 ||
			    r.total != (uint64_t)sqlite3_column_int64(s, 0))
				abort();        /* memory and FTS5 disagree */
			memidx_result_clear(&r);
		}
		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	static const char *langs[] = { NULL, "fr", "en" };
	static struct query_parsed p;

	if (!ready) {
		if (fuzz_open() != 0)
			abort();
		ready = 1;
	}
	for (size_t i = 0; i < sizeof(langs) / sizeof(langs[0]); i++) {
		int rc = query_parse((const char *)data, size, langs[i], &p);

		if (rc == 0)
			fuzz_check(&p);
		else if ((rc != ERR_INVALID && rc != ERR_TOOBIG) || p.expr[0] != '\0')
			abort();
	}
	return 0;
}
