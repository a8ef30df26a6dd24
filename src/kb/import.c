/* import.c: a folder of Markdown and text files becomes documents (see import.h). */
#include "kb/import.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/result.h"
#include "common/utf8.h"
#include "kb/kb.h"

#define IMPORT_NAME_MAX 255             /* bytes of one name (NAME_MAX) */

/* What the front matter of one file says; the strings point into buf. */
struct import_front {
	char buf[KB_IMPORT_FRONT_MAX + 1];
	const char *title;
	const char *language;
	const char *tags[KB_TAGS_MAX];
	size_t ntags;
	size_t body;                    /* offset of what follows the closing "---" line */
};

struct import_walk {
	struct vault *v;
	const struct kb_import_options *opt;
	struct kb_import_report *rep;
	int counting;                   /* first pass: only count the entries */
	size_t entries;
	char rel[KB_IMPORT_PATH_MAX + IMPORT_NAME_MAX + 2];     /* raw path below the root */
	char *buf;                      /* a file's bytes: KB_BODY_MAX + 2 */
	struct import_front fm;
};

/* Front matter and titles. */

/* The line at off of text: returns its length without "\n" or "\r\n"; *next is where the
 * following line starts. */
static size_t
import_line(const char *text, size_t len, size_t off, size_t *next)
{
	const char *nl = memchr(text + off, '\n', len - off);
	size_t end = nl != NULL ? (size_t)(nl - text) : len;

	*next = nl != NULL ? end + 1 : len;
	if (end > off && text[end - 1] == '\r')
		end--;
	return end - off;
}

static int
import_is_fence(const char *line, size_t n)
{
	if (n < 3 || memcmp(line, "---", 3) != 0)
		return 0;
	for (size_t i = 3; i < n; i++)
		if (line[i] != ' ' && line[i] != '\t')
			return 0;
	return 1;
}

static char *
import_trim(char *s)
{
	size_t n;

	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	return s;
}

/* A scalar: trimmed, without one pair of matching quotes. */
static char *
import_unquote(char *s)
{
	size_t n;

	s = import_trim(s);
	n = strlen(s);
	if (n >= 2 && (s[0] == '"' || s[0] == '\'') && s[n - 1] == s[0]) {
		s[n - 1] = '\0';
		s++;
	}
	return s;
}

static int
import_add_tag(struct import_front *fm, const char *tag, char *why, size_t whysz)
{
	if (tag[0] == '\0')
		return 0;
	/* The same tag twice (names ignore case) is harmless in a file: kept once. */
	for (size_t i = 0; i < fm->ntags; i++)
		if (strcasecmp(fm->tags[i], tag) == 0)
			return 0;
	if (fm->ntags == KB_TAGS_MAX) {
		snprintf(why, whysz, "front matter: more than %d tags", KB_TAGS_MAX);
		return ERR_INVALID;
	}
	fm->tags[fm->ntags++] = tag;
	return 0;
}

/* "a, b", "'a', \"b, c\"": comma-separated, quotes protect commas. */
static int
import_split_tags(struct import_front *fm, char *s, char *why, size_t whysz)
{
	char *p = s, *item, *end;
	int rc;

	while (*p != '\0') {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '"' || *p == '\'') {
			char q = *p++;

			item = p;
			if ((end = strchr(p, q)) == NULL) {
				snprintf(why, whysz, "front matter: a quote is not closed in tags");
				return ERR_INVALID;
			}
			*end = '\0';
			p = end + 1;
			while (*p == ' ' || *p == '\t')
				p++;
			if (*p != ',' && *p != '\0') {
				snprintf(why, whysz, "front matter: text after a quoted tag");
				return ERR_INVALID;
			}
			if (*p == ',')
				p++;
		} else {
			item = p;
			if ((end = strchr(p, ',')) != NULL) {
				*end = '\0';
				p = end + 1;
			} else {
				p += strlen(p);
			}
			item = import_trim(item);
		}
		if ((rc = import_add_tag(fm, item, why, whysz)) != 0)
			return rc;
	}
	return 0;
}

struct import_front_state {
	int in_tags;                    /* "tags:" had no value: "- a" lines follow */
	int seen_title, seen_language, seen_tags;
	size_t line;
};

static int
import_front_key(struct import_front *fm, struct import_front_state *st, char *s, char *why,
    size_t whysz)
{
	char *colon, *value;
	size_t klen;
	int *seen = NULL;

	klen = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-");
	colon = s + klen;
	if (klen == 0 || *colon != ':' || (colon[1] != '\0' && colon[1] != ' ' &&
	    colon[1] != '\t')) {
		snprintf(why, whysz, "front matter: line %zu is not \"key: value\"", st->line);
		return ERR_INVALID;
	}
	*colon = '\0';
	value = import_trim(colon + 1);
	st->in_tags = 0;
	if (strcasecmp(s, "title") == 0)
		seen = &st->seen_title;
	else if (strcasecmp(s, "language") == 0 || strcasecmp(s, "lang") == 0)
		seen = &st->seen_language;
	else if (strcasecmp(s, "tags") == 0)
		seen = &st->seen_tags;
	else
		return 0;               /* other keys (date, author...) are not ours */
	if (*seen) {
		snprintf(why, whysz, "front matter: %s is given twice", s);
		return ERR_INVALID;
	}
	*seen = 1;
	if (seen == &st->seen_title) {
		value = import_unquote(value);
		fm->title = value[0] != '\0' ? value : NULL;
	} else if (seen == &st->seen_language) {
		value = import_unquote(value);
		fm->language = value[0] != '\0' ? value : NULL;
	} else if (value[0] == '\0') {
		st->in_tags = 1;
	} else if (value[0] == '[') {
		size_t n = strlen(value);

		if (value[n - 1] != ']') {
			snprintf(why, whysz, "front matter: tags [ without ]");
			return ERR_INVALID;
		}
		value[n - 1] = '\0';
		return import_split_tags(fm, value + 1, why, whysz);
	} else {
		return import_split_tags(fm, value, why, whysz);
	}
	return 0;
}

static int
import_front_line(struct import_front *fm, struct import_front_state *st, char *s, char *why,
    size_t whysz)
{
	char *t = import_trim(s);

	if (t[0] == '\0' || t[0] == '#')
		return 0;
	if (t[0] == '-' && (t[1] == '\0' || t[1] == ' ' || t[1] == '\t')) {
		/* An item of a block list: ours when it follows "tags:". */
		if (!st->in_tags)
			return 0;
		return import_add_tag(fm, import_unquote(t + 1), why, whysz);
	}
	if (s[0] == ' ' || s[0] == '\t')
		return 0;               /* nested under a key we ignore */
	return import_front_key(fm, st, s, why, whysz);
}

/*
 * Reads the front matter at the start of text (len bytes, valid UTF-8). Returns 0 with fm
 * filled (fm->body is 0 when there is none), or ERR_INVALID with the reason in why.
 */
static int
import_parse_front(const char *text, size_t len, struct import_front *fm, char *why,
    size_t whysz)
{
	struct import_front_state st = { .line = 1 };
	size_t off, next, n, used = 0;
	int rc;

	fm->title = fm->language = NULL;
	fm->ntags = 0;
	fm->body = 0;
	n = import_line(text, len, 0, &next);
	if (!import_is_fence(text, n))
		return 0;
	for (off = next;; off = next) {
		if (off >= len) {
			snprintf(why, whysz, "front matter: no closing --- line");
			return ERR_INVALID;
		}
		n = import_line(text, len, off, &next);
		if (++st.line > KB_IMPORT_FRONT_LINES || next > KB_IMPORT_FRONT_MAX) {
			snprintf(why, whysz, "front matter longer than %d lines or %d bytes (or no "
			    "closing --- line)", KB_IMPORT_FRONT_LINES, KB_IMPORT_FRONT_MAX);
			return ERR_INVALID;
		}
		if (import_is_fence(text + off, n))
			break;
		/* Fits: the lines copied so far are shorter than next <= KB_IMPORT_FRONT_MAX. */
		memcpy(fm->buf + used, text + off, n);
		fm->buf[used + n] = '\0';
		if ((rc = import_front_line(fm, &st, fm->buf + used, why, whysz)) != 0)
			return rc;
		used += n + 1;
	}
	fm->body = next;
	return 0;
}

/* Copies n bytes of a derived title into out (KB_TITLE_MAX + 1 bytes): tabs as spaces,
 * cut at a character boundary, trimmed. */
static void
import_title_copy(char *out, const char *s, size_t n)
{
	if (n > KB_TITLE_MAX) {
		n = KB_TITLE_MAX;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	for (size_t i = 0; i < n; i++)
		out[i] = s[i] == '\t' ? ' ' : s[i];
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
}

/* The level (1 to 6) of an ATX heading and its text, or 0 when line is not one. */
static int
import_heading(const char *line, size_t n, const char **text, size_t *tlen)
{
	size_t i = 0, level = 0, end, e;

	while (i < n && i < 3 && line[i] == ' ')
		i++;
	while (i < n && line[i] == '#' && level <= 6) {
		level++;
		i++;
	}
	if (level == 0 || level > 6 || (i < n && line[i] != ' ' && line[i] != '\t'))
		return 0;
	while (i < n && (line[i] == ' ' || line[i] == '\t'))
		i++;
	end = n;
	while (end > i && (line[end - 1] == ' ' || line[end - 1] == '\t'))
		end--;
	/* An optional closing sequence of '#' after a space: "# Title ##". */
	for (e = end; e > i && line[e - 1] == '#'; e--)
		;
	if (e == i) {
		end = i;
	} else if (e < end && (line[e - 1] == ' ' || line[e - 1] == '\t')) {
		for (end = e; end > i && (line[end - 1] == ' ' || line[end - 1] == '\t'); end--)
			;
	}
	*text = line + i;
	*tlen = end - i;
	return (int)level;
}

/* A fence of fenced code: three or more ` or ~ after at most three spaces. */
static char
import_code_fence(const char *line, size_t n)
{
	size_t i = 0;

	while (i < n && i < 3 && line[i] == ' ')
		i++;
	if (n - i >= 3 && (line[i] == '`' || line[i] == '~') && line[i + 1] == line[i] &&
	    line[i + 2] == line[i])
		return line[i];
	return 0;
}

/* The title a body's headings give: the first of the highest level present, outside fenced
 * code. Returns 1 with out (KB_TITLE_MAX + 1 bytes) filled, or 0 when there is none. */
static int
import_title_heading(const char *body, size_t len, char *out)
{
	size_t off, next, n, tlen;
	const char *text;
	int best = 7, level;
	char fence = 0, f;

	for (off = 0; off < len && best > 1; off = next) {
		n = import_line(body, len, off, &next);
		if ((f = import_code_fence(body + off, n)) != 0) {
			if (fence == 0)
				fence = f;
			else if (fence == f)
				fence = 0;
			continue;
		}
		if (fence != 0)
			continue;
		level = import_heading(body + off, n, &text, &tlen);
		if (level > 0 && level < best && tlen > 0) {
			import_title_copy(out, text, tlen);
			if (out[0] != '\0')
				best = level;
		}
	}
	return best < 7;
}

/* The title a file name gives: no extension, '_' and '-' as spaces, spaces collapsed. */
static void
import_title_name(const char *name, char *out)
{
	char tmp[IMPORT_NAME_MAX + 1];
	const char *dot = strrchr(name, '.');
	size_t n = dot != NULL && dot != name ? (size_t)(dot - name) : strlen(name), k = 0;

	if (n > IMPORT_NAME_MAX)
		n = IMPORT_NAME_MAX;
	for (size_t i = 0; i < n; i++) {
		char c = name[i] == '_' || name[i] == '-' || name[i] == '\t' ? ' ' : name[i];

		if (c == ' ' && (k == 0 || tmp[k - 1] == ' '))
			continue;
		tmp[k++] = c;
	}
	import_title_copy(out, tmp, k);
	if (out[0] == '\0')
		import_title_copy(out, name, strlen(name));
}

/* The collection of a folder's path below the root ("" for none): "Guides / Web" for
 * "Guides/Web". ERR_TOOBIG when it passes KB_COLLECTION_MAX (out: that plus 1 bytes). */
static int
import_collection(const char *dir, size_t len, char *out)
{
	size_t k = 0;

	for (size_t i = 0; i < len; i++) {
		const char *piece = dir[i] == '/' ? " / " : &dir[i];
		size_t plen = dir[i] == '/' ? 3 : 1;

		if (k + plen > KB_COLLECTION_MAX)
			return ERR_TOOBIG;
		memcpy(out + k, piece, plen);
		k += plen;
	}
	out[k] = '\0';
	return 0;
}

/* 1 for a name to import as a document: .md, .markdown or .txt in any case. */
static int
import_supported(const char *name)
{
	const char *dot = strrchr(name, '.');

	return dot != NULL && dot != name && (strcasecmp(dot, ".md") == 0 ||
	    strcasecmp(dot, ".markdown") == 0 || strcasecmp(dot, ".txt") == 0);
}

static int
import_utf8_valid(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len)
		if (utf8_next((const unsigned char *)s, len, &i) < 0)
			return 0;
	return 1;
}

/* s (len bytes) for a report: valid UTF-8 without control characters, as one line.
 * Returns malloc'd memory or NULL. */
static char *
import_escape(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	char *out = malloc(len * 6 + 1);
	size_t i = 0, k = 0;

	if (out == NULL)
		return NULL;
	while (i < len) {
		size_t at = i;
		long cp = utf8_next(p, len, &i);

		if (cp < 0) {
			k += (size_t)sprintf(out + k, "\\x%02x", p[i]);
			i++;
		} else if (cp == '\\') {
			k += (size_t)sprintf(out + k, "\\\\");
		} else if (cp == '\n' || cp == '\t' || cp == '\r') {
			k += (size_t)sprintf(out + k, "\\%c", cp == '\n' ? 'n' : cp == '\t' ? 't' :
			    'r');
		} else if (utf8_is_control(cp)) {
			k += (size_t)(cp < 0x80 ? sprintf(out + k, "\\x%02lx", cp) :
			    sprintf(out + k, "\\u%04lx", cp));
		} else {
			memcpy(out + k, s + at, i - at);
			k += i - at;
		}
	}
	out[k] = '\0';
	return out;
}

/* The report. */

static int
import_note(struct import_walk *w, enum kb_import_outcome outcome, const char *reason,
    const char *title, const char *id)
{
	struct kb_import_report *rep = w->rep;
	struct kb_import_entry *e;

	if (w->counting)
		return 0;
	if (rep->n == rep->cap) {
		size_t cap = rep->cap ? rep->cap * 2 : 64;
		struct kb_import_entry *ne = realloc(rep->entries, cap * sizeof(*ne));

		if (ne == NULL)
			return ERR_NOMEM;
		rep->entries = ne;
		rep->cap = cap;
	}
	e = &rep->entries[rep->n];
	memset(e, 0, sizeof(*e));
	e->outcome = outcome;
	e->path = import_escape(w->rel, strlen(w->rel));
	e->reason = reason != NULL ? import_escape(reason, strlen(reason)) : NULL;
	e->title = title != NULL ? strdup(title) : NULL;
	snprintf(e->id, sizeof(e->id), "%s", id != NULL ? id : "");
	if (e->path == NULL || (reason != NULL && e->reason == NULL) ||
	    (title != NULL && e->title == NULL)) {
		free(e->path);
		free(e->reason);
		free(e->title);
		return ERR_NOMEM;
	}
	rep->n++;
	if (outcome == KB_IMPORT_IMPORTED)
		rep->imported++;
	else if (outcome == KB_IMPORT_REFUSED)
		rep->refused++;
	else
		rep->skipped++;
	return 0;
}

static int
import_refuse(struct import_walk *w, const char *reason)
{
	return import_note(w, KB_IMPORT_REFUSED, reason, NULL, NULL);
}

static int
import_refuse_errno(struct import_walk *w, const char *what, int e)
{
	char why[160];

	if (e == ELOOP)
		return import_refuse(w, "symbolic link");
	snprintf(why, sizeof(why), "%s: %s", what, strerror(e));
	return import_refuse(w, why);
}

/* The walk. */

/* Reads the file dfd/name (a regular file when the walk looked) and imports it. */
static int
import_file(struct import_walk *w, int dfd, const char *name, size_t dirlen)
{
	struct kb_doc_input in = { 0 };
	struct result r = { 0 };
	struct stat st;
	char why[240], title[KB_TITLE_MAX + 1], collection[KB_COLLECTION_MAX + 1];
	const char *id = NULL;
	char *text;
	size_t len = 0, skip;
	ssize_t got;
	int fd, rc = 0;

	/* O_NONBLOCK: a FIFO swapped in after the walk's look does not hang the import. */
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return import_refuse_errno(w, "cannot open", errno);
	if (fstat(fd, &st) != 0) {
		rc = import_refuse_errno(w, "cannot read", errno);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = import_refuse(w, "special file");
		goto out;
	}
	if (st.st_size > KB_BODY_MAX)
		goto too_large;
	/* Up to one byte more than allowed, in case the file grew since fstat. */
	while (len <= KB_BODY_MAX) {
		got = read(fd, w->buf + len, KB_BODY_MAX + 1 - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			rc = import_refuse_errno(w, "cannot read", errno);
			goto out;
		}
		if (got == 0)
			break;
		len += (size_t)got;
	}
	if (len > KB_BODY_MAX)
		goto too_large;
	close(fd);
	fd = -1;

	text = w->buf;
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
		text += 3;
		len -= 3;
	}
	if (memchr(text, '\0', len) != NULL) {
		rc = import_refuse(w, "contains a NUL byte");
		goto out;
	}
	if (!import_utf8_valid(text, len)) {
		rc = import_refuse(w, "not valid UTF-8");
		goto out;
	}
	text[len] = '\0';
	if (import_parse_front(text, len, &w->fm, why, sizeof(why)) != 0) {
		rc = import_refuse(w, why);
		goto out;
	}
	/* The blank lines between the front matter and the text are not the text's. */
	for (skip = w->fm.body; skip < len;) {
		size_t next, n = import_line(text, len, skip, &next);

		if (n != strspn(text + skip, " \t") || next == len)
			break;
		skip = next;
	}
	in.body = text + skip;
	if (w->fm.title != NULL)
		in.title = w->fm.title;
	else if (import_title_heading(in.body, len - skip, title))
		in.title = title;
	else {
		import_title_name(name, title);
		in.title = title;
	}
	if (import_collection(w->rel, dirlen > 0 ? dirlen - 1 : 0, collection) != 0) {
		snprintf(why, sizeof(why), "the folder path makes a collection name longer than "
		    "%d bytes", KB_COLLECTION_MAX);
		rc = import_refuse(w, why);
		goto out;
	}
	in.collection = collection[0] != '\0' ? collection : NULL;
	in.language = w->fm.language != NULL ? w->fm.language : w->opt->language != NULL ?
	    w->opt->language : "en";
	memcpy(in.tags, w->fm.tags, w->fm.ntags * sizeof(in.tags[0]));
	in.ntags = w->fm.ntags;

	if (kb_doc_input_check(&in, &r) != 0) {
		rc = import_refuse(w, r.message);
		goto out;
	}
	if (w->opt->dry_run || w->v == NULL) {
		rc = import_note(w, KB_IMPORT_IMPORTED, NULL, in.title, NULL);
		goto out;
	}
	rc = kb_document_create(w->v, NULL, NULL, &in, &r);
	if (rc != 0 && rc != ERR_REFUSED && rc != ERR_INVALID) {
		/* The vault could not work at all (disk, memory): the next file would fail too. */
		snprintf(why, sizeof(why), "cannot store: %s", err_str(rc));
		if (import_refuse(w, why) != 0)
			rc = ERR_NOMEM;
		goto out;
	}
	if (rc != 0 || r.status >= 400) {
		rc = import_refuse(w, r.message[0] != '\0' ? r.message : err_str(rc));
		goto out;
	}
	if (r.body != NULL)
		id = json_string_value(json_object_get(r.body, "id"));
	rc = import_note(w, KB_IMPORT_IMPORTED, NULL, in.title, id);
	goto out;
too_large:
	snprintf(why, sizeof(why), "too large (more than %d bytes)", KB_BODY_MAX);
	rc = import_refuse(w, why);
out:
	result_clear(&r);
	if (fd >= 0)
		close(fd);
	return rc;
}

static int
import_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names of a folder but "." and "..", at most max of them (ERR_TOOBIG). */
static int
import_names(DIR *d, size_t max, char ***out, size_t *count)
{
	char **names = NULL, **nn;
	size_t n = 0, cap = 0;
	struct dirent *de;
	int rc = 0;

	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL) {
			if (errno != 0)
				rc = ERR_IO;
			break;
		}
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (n == max) {
			rc = ERR_TOOBIG;
			break;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			if ((nn = realloc(names, cap * sizeof(*nn))) == NULL) {
				rc = ERR_NOMEM;
				break;
			}
			names = nn;
		}
		if ((names[n] = strdup(de->d_name)) == NULL) {
			rc = ERR_NOMEM;
			break;
		}
		n++;
	}
	if (rc != 0) {
		while (n > 0)
			free(names[--n]);
		free(names);
		return rc;
	}
	if (n > 0)
		qsort(names, n, sizeof(*names), import_cmp);
	*out = names;
	*count = n;
	return 0;
}

static int import_dir(struct import_walk *w, int fd, int depth);

/* One entry of the folder dfd; w->rel holds the folder's path and is extended. */
static int
import_entry(struct import_walk *w, int dfd, const char *name, int depth)
{
	size_t dirlen = strlen(w->rel), nlen = strlen(name);
	struct stat st;
	int fd;

	if (++w->entries > KB_IMPORT_ENTRIES_MAX)
		return ERR_TOOBIG;
	memcpy(w->rel + dirlen, name, nlen + 1);
	if (utf8_check(name, nlen, 0, NULL) != 0)
		return import_refuse(w, "name is not UTF-8 or has control characters");
	if (name[0] == '.')
		return import_note(w, KB_IMPORT_SKIPPED, "hidden", NULL, NULL);
	if (dirlen + nlen > KB_IMPORT_PATH_MAX)
		return import_refuse(w, "path too long");
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return import_refuse_errno(w, "cannot read", errno);
	if (S_ISLNK(st.st_mode))
		return import_refuse(w, "symbolic link");
	if (S_ISDIR(st.st_mode)) {
		if (depth >= KB_IMPORT_DEPTH_MAX)
			return import_refuse(w, "folder nested too deep (at most 16 levels)");
		fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return import_refuse_errno(w, "cannot open", errno);
		w->rel[dirlen + nlen] = '/';
		w->rel[dirlen + nlen + 1] = '\0';
		return import_dir(w, fd, depth + 1);
	}
	if (!S_ISREG(st.st_mode))
		return import_refuse(w, "special file");
	if (!import_supported(name))
		return import_note(w, KB_IMPORT_SKIPPED, "unsupported type", NULL, NULL);
	if (w->counting)
		return 0;
	return import_file(w, dfd, name, dirlen);
}

/* Walks the folder open on fd (taken) at depth; w->rel holds its path with a final '/'. */
static int
import_dir(struct import_walk *w, int fd, int depth)
{
	size_t dirlen = strlen(w->rel), n = 0, i;
	char **names = NULL;
	DIR *d;
	int rc;

	if ((d = fdopendir(fd)) == NULL) {
		rc = import_refuse_errno(w, "cannot read", errno);
		close(fd);
		return rc;
	}
	rc = import_names(d, KB_IMPORT_ENTRIES_MAX - w->entries + 1, &names, &n);
	if (rc == ERR_IO)
		rc = import_refuse(w, "cannot read the folder");
	for (i = 0; rc == 0 && i < n; i++) {
		rc = import_entry(w, dirfd(d), names[i], depth);
		w->rel[dirlen] = '\0';
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return rc;
}

int
kb_import_dir(struct vault *v, const char *path, const struct kb_import_options *opt,
    struct kb_import_report *rep)
{
	static const struct kb_import_options defaults = { 0 };
	struct import_walk *w = NULL;
	int root, fd, rc;

	opt = opt != NULL ? opt : &defaults;
	rep->dry_run = opt->dry_run || v == NULL;
	if ((root = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return errno == ENOENT ? ERR_NOTFOUND : errno == ENOTDIR ? ERR_INVALID : ERR_IO;
	rc = ERR_NOMEM;
	if ((w = calloc(1, sizeof(*w))) == NULL || (w->buf = malloc(KB_BODY_MAX + 2)) == NULL)
		goto out;
	w->v = v;
	w->opt = opt;
	w->rep = rep;
	/* Counted first, so that a folder over the limit imports nothing. */
	for (w->counting = 1; w->counting >= 0; w->counting--) {
		w->entries = 0;
		w->rel[0] = '\0';
		if ((fd = openat(root, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
			rc = ERR_IO;
			goto out;
		}
		if ((rc = import_dir(w, fd, 0)) != 0)
			goto out;
	}
out:
	if (w != NULL)
		free(w->buf);
	free(w);
	close(root);
	return rc;
}

json_t *
kb_import_report_json(const struct kb_import_report *rep)
{
	json_t *doc = json_object(), *imported = json_array(), *refused = json_array(),
	    *skipped = json_array();
	int bad = doc == NULL || imported == NULL || refused == NULL || skipped == NULL;

	for (size_t i = 0; !bad && i < rep->n; i++) {
		const struct kb_import_entry *e = &rep->entries[i];
		json_t *o;

		if (e->outcome == KB_IMPORT_IMPORTED)
			o = json_pack("{s:s, s:s?, s:s}", "path", e->path, "id",
			    e->id[0] != '\0' ? e->id : NULL, "title", e->title);
		else
			o = json_pack("{s:s, s:s}", "path", e->path, "reason", e->reason);
		bad = o == NULL || json_array_append_new(e->outcome == KB_IMPORT_IMPORTED ?
		    imported : e->outcome == KB_IMPORT_REFUSED ? refused : skipped, o) != 0;
	}
	if (!bad)
		bad = json_object_set(doc, "imported", imported) != 0 ||
		    json_object_set(doc, "refused", refused) != 0 ||
		    json_object_set(doc, "skipped", skipped) != 0 ||
		    json_object_set_new(doc, "dry_run", json_boolean(rep->dry_run)) != 0;
	json_decref(imported);
	json_decref(refused);
	json_decref(skipped);
	if (bad) {
		json_decref(doc);
		return NULL;
	}
	return doc;
}

void
kb_import_report_free(struct kb_import_report *rep)
{
	if (rep == NULL)
		return;
	for (size_t i = 0; i < rep->n; i++) {
		free(rep->entries[i].path);
		free(rep->entries[i].reason);
		free(rep->entries[i].title);
	}
	free(rep->entries);
	memset(rep, 0, sizeof(*rep));
}
