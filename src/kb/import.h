/*
 * import.h: a folder of Markdown and text files becomes documents (K5, `coffre import`).
 *
 * The folder is walked in byte order of names, never following a symbolic link: every
 * folder is opened relative to its parent's descriptor with O_DIRECTORY|O_NOFOLLOW and
 * every file with O_NOFOLLOW, then checked with fstat, so nothing can be swapped in
 * between the check and the read, and nothing outside PATH is reached. PATH itself is
 * opened as the operator named it.
 *
 *   *.md, *.markdown, *.txt (any case)  imported, one transaction each (kb_document_create):
 *                                        a refused file changes nothing, the others go on
 *   other files                          skipped: "unsupported type"
 *   names starting with '.'              skipped: "hidden" (a hidden folder is not entered)
 *   symbolic links, special files        refused
 *   names with control characters or not UTF-8: refused (reported escaped, see below)
 *   files over KB_BODY_MAX, NUL bytes, invalid UTF-8, what kb_doc_input_check refuses
 *
 * Each file: optional YAML front matter (a first line "---" up to the next "---" line, at
 * most KB_IMPORT_FRONT_MAX bytes and KB_IMPORT_FRONT_LINES lines, removed from the body)
 * with the keys title, tags ([a, b] / a, b / a block of "- a" lines), language or lang;
 * other keys are ignored, a known key given twice is refused. A UTF-8 byte order mark is
 * dropped. The title is the front matter's, else the first heading of the highest level
 * present (ATX "# T", "## T"..., outside fenced code), else the file name without its
 * extension, '_' and '-' read as spaces; derived titles are cut to KB_TITLE_MAX bytes.
 * The collection is the folder's path relative to PATH joined with " / " ("Guides / Web");
 * files directly in PATH have none. The language is the front matter's, else the option's.
 *
 * Report paths are relative to PATH; backslashes, control characters and bytes that are not
 * UTF-8 are escaped (\\, \n, \t, \r, \xNN, \uNNNN), so a report line is always one line.
 */
#ifndef COFFRE_KB_IMPORT_H
#define COFFRE_KB_IMPORT_H

#include <jansson.h>
#include <stddef.h>

struct vault;

#define KB_IMPORT_DEPTH_MAX 16          /* folder levels below PATH */
#define KB_IMPORT_ENTRIES_MAX 10000     /* files and folders under PATH */
#define KB_IMPORT_FRONT_MAX 8192        /* bytes of front matter, "---" lines included */
#define KB_IMPORT_FRONT_LINES 64        /* lines of front matter, "---" lines included */
#define KB_IMPORT_PATH_MAX 4096         /* bytes of a path relative to PATH */

enum kb_import_outcome {
	KB_IMPORT_IMPORTED = 1,         /* or, in a dry run, would be */
	KB_IMPORT_REFUSED,
	KB_IMPORT_SKIPPED,
};

struct kb_import_options {
	const char *language;           /* when the front matter has none; NULL: "en" */
	int dry_run;                    /* check everything, create nothing */
};

struct kb_import_entry {
	enum kb_import_outcome outcome;
	char *path;                     /* relative to PATH, escaped (owned) */
	char *reason;                   /* refused or skipped: why (owned, escaped) */
	char *title;                    /* imported: the title (owned) */
	char id[33];                    /* imported: the document id ("" in a dry run) */
};

struct kb_import_report {
	struct kb_import_entry *entries;        /* in walk order */
	size_t n, cap;
	size_t imported, refused, skipped;
	int dry_run;
};

/*
 * Imports the folder path into v (v may be NULL in a dry run). rep (zeroed by the caller)
 * receives one entry per file or skipped folder. Returns 0 when the walk completed, even
 * with refusals (rep says which); ERR_NOTFOUND / ERR_INVALID when path is not a folder;
 * ERR_TOOBIG, with nothing imported, when the folder holds more than KB_IMPORT_ENTRIES_MAX
 * entries; ERR_NOMEM; or the error that stopped a document from being stored (the report
 * then holds the files done so far, the last one refused with that error).
 */
int kb_import_dir(struct vault *v, const char *path, const struct kb_import_options *opt,
    struct kb_import_report *rep);
/* {"imported":[{path,id,title}],"refused":[{path,reason}],"skipped":[{path,reason}],
 * "dry_run":bool} (id null in a dry run); NULL when out of memory. */
json_t *kb_import_report_json(const struct kb_import_report *rep);
/* Frees the entries; rep can be reused after. Accepts NULL. */
void kb_import_report_free(struct kb_import_report *rep);

#endif
