/* Import of a folder: front matter, titles, collections, names, and a dry-run walk of a real
 * folder (links, hidden and special files, depth and count limits). */
#include "../test.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>

/* The module itself, to reach its static parsing functions. */
#include "kb/import.c"

static struct import_front fm;
static char why[240];

static int
parse(const char *text)
{
	why[0] = '\0';
	return import_parse_front(text, strlen(text), &fm, why, sizeof(why));
}

static void
test_front_none(void **state)
{
	(void)state;
	assert_int_equal(parse("# Title\n\ntext\n"), 0);
	assert_int_equal(fm.body, 0);
	assert_null(fm.title);
	assert_null(fm.language);
	assert_int_equal(fm.ntags, 0);
	/* "---" must be the whole first line. */
	assert_int_equal(parse("--- not front matter\ntitle: x\n---\n"), 0);
	assert_int_equal(fm.body, 0);
	assert_int_equal(parse(""), 0);
	assert_int_equal(fm.body, 0);
}

static void
test_front_title_lang(void **state)
{
	const char *text = "---\ntitle: \"Guide: les bases\"\nlang: fr\nauthor: someone\n"
	    "date: 2024-01-01\n---\nBody\n";

	(void)state;
	assert_int_equal(parse(text), 0);
	assert_string_equal(fm.title, "Guide: les bases");
	assert_string_equal(fm.language, "fr");
	assert_int_equal(fm.ntags, 0);
	assert_string_equal(text + fm.body, "Body\n");
	assert_int_equal(parse("---\nlanguage: 'de'\ntitle:   Plain title  \n---\n"), 0);
	assert_string_equal(fm.language, "de");
	assert_string_equal(fm.title, "Plain title");
	/* An empty title is no title: the heading or the name give one. */
	assert_int_equal(parse("---\ntitle:\n---\n"), 0);
	assert_null(fm.title);
}

static void
test_front_tags_flow(void **state)
{
	(void)state;
	assert_int_equal(parse("---\ntags: [alpha, \"beta, gamma\", 'delta' ,epsilon]\n---\n"), 0);
	assert_int_equal(fm.ntags, 4);
	assert_string_equal(fm.tags[0], "alpha");
	assert_string_equal(fm.tags[1], "beta, gamma");
	assert_string_equal(fm.tags[2], "delta");
	assert_string_equal(fm.tags[3], "epsilon");
	assert_int_equal(parse("---\ntags: []\n---\n"), 0);
	assert_int_equal(fm.ntags, 0);
	assert_int_equal(parse("---\ntags: [a, b\n---\n"), ERR_INVALID);
	assert_non_null(strstr(why, "without ]"));
	assert_int_equal(parse("---\ntags: [\"a, b]\n---\n"), ERR_INVALID);
	assert_non_null(strstr(why, "quote"));
}

static void
test_front_tags_comma(void **state)
{
	(void)state;
	assert_int_equal(parse("---\ntags: one,two , three,\n---\n"), 0);
	assert_int_equal(fm.ntags, 3);
	assert_string_equal(fm.tags[0], "one");
	assert_string_equal(fm.tags[1], "two");
	assert_string_equal(fm.tags[2], "three");
	assert_int_equal(parse("---\ntags: single tag\n---\n"), 0);
	assert_int_equal(fm.ntags, 1);
	assert_string_equal(fm.tags[0], "single tag");
	/* The same tag twice, in any case, is kept once. */
	assert_int_equal(parse("---\ntags: Ops, ops, OPS, dev\n---\n"), 0);
	assert_int_equal(fm.ntags, 2);
	assert_string_equal(fm.tags[0], "Ops");
	assert_string_equal(fm.tags[1], "dev");
}

static void
test_front_tags_block(void **state)
{
	const char *text = "---\r\ntitle: T\r\ntags:\r\n  - first\r\n  - \"second one\"\r\n"
	    "- third\r\n# a comment\r\n\r\nother:\r\n  - not a tag\r\n  nested: ignored\r\n---\r\n"
	    "Body\r\n";

	(void)state;
	assert_int_equal(parse(text), 0);
	assert_string_equal(fm.title, "T");
	assert_int_equal(fm.ntags, 3);
	assert_string_equal(fm.tags[0], "first");
	assert_string_equal(fm.tags[1], "second one");
	assert_string_equal(fm.tags[2], "third");
	assert_string_equal(text + fm.body, "Body\r\n");
}

static void
test_front_refusals(void **state)
{
	char text[KB_IMPORT_FRONT_MAX + 200];
	size_t k;

	(void)state;
	assert_int_equal(parse("---\ntitle: never closed\n\n# Heading\n"), ERR_INVALID);
	assert_non_null(strstr(why, "no closing ---"));
	assert_int_equal(parse("---"), ERR_INVALID);
	assert_int_equal(parse("---\ntitle: a\ntitle: b\n---\n"), ERR_INVALID);
	assert_non_null(strstr(why, "twice"));
	assert_int_equal(parse("---\nlang: fr\nlanguage: en\n---\n"), ERR_INVALID);
	assert_int_equal(parse("---\ntitle: a\njust some words\n---\n"), ERR_INVALID);
	assert_non_null(strstr(why, "line 3"));

	/* 64 lines with both "---" lines is the most; 65 is refused. */
	k = (size_t)sprintf(text, "---\n");
	for (int i = 0; i < KB_IMPORT_FRONT_LINES - 2; i++)
		k += (size_t)sprintf(text + k, "k%d: v\n", i);
	sprintf(text + k, "---\nbody\n");
	assert_int_equal(parse(text), 0);
	assert_string_equal(text + fm.body, "body\n");
	k = (size_t)sprintf(text, "---\n");
	for (int i = 0; i < KB_IMPORT_FRONT_LINES - 1; i++)
		k += (size_t)sprintf(text + k, "k%d: v\n", i);
	sprintf(text + k, "---\nbody\n");
	assert_int_equal(parse(text), ERR_INVALID);
	assert_non_null(strstr(why, "longer than 64 lines"));

	/* 8 KiB is the most, however few the lines. */
	k = (size_t)sprintf(text, "---\nnote: ");
	memset(text + k, 'x', KB_IMPORT_FRONT_MAX - k - 5);
	k = KB_IMPORT_FRONT_MAX - 5;
	sprintf(text + k, "\n---\nbody");
	assert_int_equal(parse(text), 0);
	assert_string_equal(text + fm.body, "body");
	k = (size_t)sprintf(text, "---\nnote: ");
	memset(text + k, 'x', KB_IMPORT_FRONT_MAX - k - 4);
	k = KB_IMPORT_FRONT_MAX - 4;
	sprintf(text + k, "\n---\nbody");
	assert_int_equal(parse(text), ERR_INVALID);
	assert_non_null(strstr(why, "8192 bytes"));

	/* 33 distinct tags. */
	k = (size_t)sprintf(text, "---\ntags: [");
	for (int i = 0; i <= KB_TAGS_MAX; i++)
		k += (size_t)sprintf(text + k, "t%d,", i);
	sprintf(text + k, "]\n---\n");
	assert_int_equal(parse(text), ERR_INVALID);
	assert_non_null(strstr(why, "more than 32 tags"));
}

static const char *
heading(const char *body)
{
	static char out[KB_TITLE_MAX + 1];

	return import_title_heading(body, strlen(body), out) ? out : NULL;
}

static void
test_title_heading(void **state)
{
	char body[1000];

	(void)state;
	assert_string_equal(heading("intro\n# The Title\ntext\n# Second\n"), "The Title");
	assert_string_equal(heading("## Sub first\n\n# Main later\n"), "Main later");
	assert_string_equal(heading("text\n## Only level two\n### three\n"), "Only level two");
	assert_string_equal(heading("### Deep\n"), "Deep");
	assert_string_equal(heading("   #   Spaced out   #####   \n"), "Spaced out");
	assert_string_equal(heading("# C#\n"), "C#");
	assert_string_equal(heading("# Tab\there\n"), "Tab here");
	assert_string_equal(heading("# Windows\r\n"), "Windows");
	assert_null(heading("#hashtag is not a heading\n    # indented code\n####### seven\n"));
	assert_null(heading("#\n# ###\nplain text\n"));
	/* Headings inside fenced code are code. */
	assert_string_equal(heading("```sh\n# a shell comment\n```\n## After\n"), "After");
	assert_string_equal(heading("~~~\n```\n# still code\n~~~\n# Out\n"), "Out");
	assert_null(heading(""));
	/* A long heading is cut at a character boundary. */
	strcpy(body, "# ");
	for (int i = 0; i < 200; i++)
		strcat(body, "é");
	assert_int_equal(strlen(heading(body)), KB_TITLE_MAX);
	strcpy(body, "# x");
	for (int i = 0; i < 200; i++)
		strcat(body, "é");
	assert_int_equal(strlen(heading(body)), KB_TITLE_MAX - 1);
}

static void
test_title_name(void **state)
{
	char out[KB_TITLE_MAX + 1];

	(void)state;
	import_title_name("getting_started-guide.md", out);
	assert_string_equal(out, "getting started guide");
	import_title_name("__weird--name__.markdown", out);
	assert_string_equal(out, "weird name");
	import_title_name("release.notes.v2.txt", out);
	assert_string_equal(out, "release.notes.v2");
	import_title_name("README", out);
	assert_string_equal(out, "README");
	import_title_name("_-_.md", out);
	assert_string_equal(out, "_-_.md");
}

static void
test_collection(void **state)
{
	char out[KB_COLLECTION_MAX + 1], dir[200];

	(void)state;
	assert_int_equal(import_collection("", 0, out), 0);
	assert_string_equal(out, "");
	assert_int_equal(import_collection("Guides", 6, out), 0);
	assert_string_equal(out, "Guides");
	assert_int_equal(import_collection("Guides/Web/HTTP/", 15, out), 0);
	assert_string_equal(out, "Guides / Web / HTTP");
	memset(dir, 'a', 100);
	assert_int_equal(import_collection(dir, 100, out), 0);
	assert_int_equal(strlen(out), 100);
	memset(dir, 'a', 99);
	dir[49] = '/';
	assert_int_equal(import_collection(dir, 99, out), ERR_TOOBIG);
}

static void
test_names(void **state)
{
	char *s;

	(void)state;
	assert_true(import_supported("a.md"));
	assert_true(import_supported("A.MD"));
	assert_true(import_supported("notes.Markdown"));
	assert_true(import_supported("x.TxT"));
	assert_false(import_supported("doc.pdf"));
	assert_false(import_supported("md"));
	assert_false(import_supported("x.md.bak"));
	assert_false(import_supported("x.mdx"));
	s = import_escape("a\nb\tc\\d\x7f\xff\xc3\xa9\xe2\x80\xa8", 14);
	assert_string_equal(s, "a\\nb\\tc\\\\d\\x7f\\xff\xc3\xa9\\u2028");
	free(s);
}

/* A real folder, walked in a dry run (no vault). */

static void
put(const char *dir, const char *rel, const char *content, size_t len)
{
	char path[2200];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, len), (ssize_t)len);
	close(fd);
}

static void
mkd(const char *dir, const char *rel)
{
	char path[2200];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	assert_int_equal(mkdir(path, 0700), 0);
}

static const struct kb_import_entry *
find(const struct kb_import_report *rep, const char *path)
{
	for (size_t i = 0; i < rep->n; i++)
		if (strcmp(rep->entries[i].path, path) == 0)
			return &rep->entries[i];
	fail_msg("no entry %s", path);
	return NULL;
}

static void
test_walk_dry_run(void **state)
{
	struct kb_import_options opt = { .language = "de", .dry_run = 1 };
	struct kb_import_report rep = { 0 };
	char *dir = test_tmpdir(), path[1024], *big;
	const struct kb_import_entry *e;
	json_t *doc;

	(void)state;
	put(dir, "b.md", "# B\n", 4);
	put(dir, "a.txt", "plain\n", 6);
	mkd(dir, "Guides");
	put(dir, "Guides/intro.md", "---\ntitle: Intro\ntags: [x]\n---\ntext\n", 36);
	put(dir, "Guides/bad.md", "ok \xc3\x28\n", 6);
	put(dir, "Guides/nul.md", "a\0b", 3);
	put(dir, "Guides/open.md", "---\ntitle: x\n", 13);
	mkd(dir, ".git");
	put(dir, ".git/config.md", "# hidden\n", 9);
	put(dir, ".hidden.md", "# hidden\n", 9);
	put(dir, "doc.pdf", "%PDF", 4);
	put(dir, "new\nline.md", "# NL\n", 5);
	snprintf(path, sizeof(path), "%s/link.md", dir);
	assert_int_equal(symlink("/etc/passwd", path), 0);
	snprintf(path, sizeof(path), "%s/outside", dir);
	assert_int_equal(symlink("/etc", path), 0);
	snprintf(path, sizeof(path), "%s/fifo.md", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	big = malloc(KB_BODY_MAX + 1);
	memset(big, 'a', KB_BODY_MAX + 1);
	put(dir, "big.md", big, KB_BODY_MAX + 1);
	put(dir, "max.md", big, KB_BODY_MAX);
	free(big);

	assert_int_equal(kb_import_dir(NULL, dir, &opt, &rep), 0);
	assert_true(rep.dry_run);
	/* Byte order, folders walked where they sort. */
	assert_string_equal(rep.entries[0].path, ".git");
	assert_string_equal(rep.entries[1].path, ".hidden.md");
	assert_string_equal(rep.entries[2].path, "Guides/bad.md");
	assert_string_equal(rep.entries[rep.n - 2].path, "new\\nline.md");
	assert_string_equal(rep.entries[rep.n - 1].path, "outside");
	assert_int_equal(rep.n, 15);
	assert_int_equal(find(&rep, ".git")->outcome, KB_IMPORT_SKIPPED);
	assert_string_equal(find(&rep, ".hidden.md")->reason, "hidden");
	assert_string_equal(find(&rep, "doc.pdf")->reason, "unsupported type");
	assert_string_equal(find(&rep, "Guides/bad.md")->reason, "not valid UTF-8");
	assert_string_equal(find(&rep, "Guides/nul.md")->reason, "contains a NUL byte");
	assert_non_null(strstr(find(&rep, "Guides/open.md")->reason, "no closing ---"));
	assert_string_equal(find(&rep, "link.md")->reason, "symbolic link");
	assert_string_equal(find(&rep, "outside")->reason, "symbolic link");
	assert_string_equal(find(&rep, "fifo.md")->reason, "special file");
	assert_non_null(strstr(find(&rep, "big.md")->reason, "too large"));
	assert_int_equal(find(&rep, "max.md")->outcome, KB_IMPORT_IMPORTED);
	assert_string_equal(find(&rep, "new\\nline.md")->reason,
	    "name is not UTF-8 or has control characters");
	e = find(&rep, "Guides/intro.md");
	assert_int_equal(e->outcome, KB_IMPORT_IMPORTED);
	assert_string_equal(e->title, "Intro");
	assert_string_equal(e->id, "");
	assert_string_equal(find(&rep, "b.md")->title, "B");
	assert_string_equal(find(&rep, "a.txt")->title, "a");
	assert_int_equal(rep.imported, 4);
	assert_int_equal(rep.skipped, 3);
	assert_int_equal(rep.refused, 8);

	doc = kb_import_report_json(&rep);
	assert_non_null(doc);
	assert_int_equal(json_array_size(json_object_get(doc, "imported")), 4);
	assert_int_equal(json_array_size(json_object_get(doc, "refused")), 8);
	assert_int_equal(json_array_size(json_object_get(doc, "skipped")), 3);
	assert_true(json_is_true(json_object_get(doc, "dry_run")));
	assert_true(json_is_null(json_object_get(json_array_get(json_object_get(doc,
	    "imported"), 0), "id")));
	json_decref(doc);
	kb_import_report_free(&rep);

	/* Not a folder. */
	snprintf(path, sizeof(path), "%s/b.md", dir);
	assert_int_equal(kb_import_dir(NULL, path, &opt, &rep), ERR_INVALID);
	snprintf(path, sizeof(path), "%s/missing", dir);
	assert_int_equal(kb_import_dir(NULL, path, &opt, &rep), ERR_NOTFOUND);
	assert_int_equal(rep.n, 0);
	test_rmtree(dir);
}

static void
test_walk_limits(void **state)
{
	struct kb_import_options opt = { .dry_run = 1 };
	struct kb_import_report rep = { 0 };
	char *dir = test_tmpdir(), rel[1024] = "";

	(void)state;
	/* 17 levels: the 17th folder is refused and not entered. */
	for (int i = 1; i <= KB_IMPORT_DEPTH_MAX + 1; i++) {
		strcat(rel, i > 1 ? "/d" : "d");
		mkd(dir, rel);
		if (i == KB_IMPORT_DEPTH_MAX) {
			char f[1100];
			snprintf(f, sizeof(f), "%s/deep.md", rel);
			put(dir, f, "# Deep\n", 7);
		}
	}
	put(dir, "d/x.md", "x\n", 2);
	assert_int_equal(kb_import_dir(NULL, dir, &opt, &rep), 0);
	assert_int_equal(rep.imported, 2);
	assert_int_equal(rep.refused, 1);
	for (size_t i = 0; i < rep.n; i++)
		if (rep.entries[i].outcome == KB_IMPORT_REFUSED)
			assert_non_null(strstr(rep.entries[i].reason, "too deep"));
	kb_import_report_free(&rep);
	test_rmtree(dir);

	/* One entry too many: nothing at all. */
	dir = test_tmpdir();
	mkd(dir, "sub");
	for (int i = 0; i < KB_IMPORT_ENTRIES_MAX; i++) {
		snprintf(rel, sizeof(rel), "sub/f%05d.md", i);
		put(dir, rel, "x", 1);
	}
	assert_int_equal(kb_import_dir(NULL, dir, &opt, &rep), ERR_TOOBIG);
	assert_int_equal(rep.n, 0);
	snprintf(rel, sizeof(rel), "%s/sub/f00000.md", dir);
	assert_int_equal(unlink(rel), 0);
	assert_int_equal(kb_import_dir(NULL, dir, &opt, &rep), 0);
	assert_int_equal(rep.imported, KB_IMPORT_ENTRIES_MAX - 1);
	kb_import_report_free(&rep);
	test_rmtree(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_front_none),
		cmocka_unit_test(test_front_title_lang),
		cmocka_unit_test(test_front_tags_flow),
		cmocka_unit_test(test_front_tags_comma),
		cmocka_unit_test(test_front_tags_block),
		cmocka_unit_test(test_front_refusals),
		cmocka_unit_test(test_title_heading),
		cmocka_unit_test(test_title_name),
		cmocka_unit_test(test_collection),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_walk_dry_run),
		cmocka_unit_test(test_walk_limits),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
