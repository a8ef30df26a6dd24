"""Full-text search end to end (issue 7): analysis (stemming, accents, elision, stop words),
the query language, ranking, hostile queries, visibility on hits, totals and facets, the index
following every change of the knowledge base, filters, paging and snippets.

The real binary over real TLS, one server per class. The query grammar asserted here is the one
of src/search/query.h; the visibility rule is docs/access.md's. Words that must not meet any
other document are random consonant strings (no stemmer changes them). Requirement numbers are
OWASP ASVS 5.0 (data/asvs/).
"""
import json
import os
import random
import subprocess
import time
import unicodedata
import unittest
import urllib.parse

from accounts import (FAST_ARGON, Client, add_user, admin_session, create_tenant, ok, signed_in,
                      stop_cleanly, vault_query)
from harness import Server

HERE = os.path.dirname(os.path.abspath(__file__))
TOOL = os.environ.get("VAULT_TOOL", os.path.join(HERE, "../../build/vault_tool"))
SETS = dict(FAST_ARGON, **{"server.rate_limit": "0", "auth.address_failures": "100000"})
PW = "correct horse battery staple"
DOCS = "/api/v1/documents"
SEARCH = "/api/v1/search"
ERROR_CODES = {"bad_query", "query_too_long", "bad_limit", "bad_offset", "bad_time", "bad_tags",
               "bad_filter"}
_rng = random.Random()


def word():
    """A random word no other document holds and no stemmer changes (no vowel, no final s)."""
    return "zk" + "".join(_rng.choice("bcdfghjkmnpqrtvwxz") for _ in range(8))


def fold(s):
    """Case folded, accents removed: how a highlighted word compares with the query's."""
    return "".join(ch for ch in unicodedata.normalize("NFKD", s.casefold())
                   if not unicodedata.combining(ch))


def search_path(q=None, raw=None, **params):
    """The search URL: q percent-encoded (every byte), or raw as given."""
    parts = []
    if raw is not None:
        parts.append("q=" + raw)
    elif q is not None:
        parts.append("q=" + urllib.parse.quote(q, safe=""))
    for k, v in params.items():
        if v is not None:
            parts.append(k + "=" + urllib.parse.quote(str(v), safe=""))
    return SEARCH + "?" + "&".join(parts)


def iso(us):
    """Microseconds since the epoch as 2026-11-23T10:00:00Z (whole seconds, floor)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(us // 1_000_000))






def vault_sql(srv, slug, sql):
    res = subprocess.run([TOOL, srv.data, slug, "sql", sql], capture_output=True, text=True,
                         timeout=60, stdin=subprocess.DEVNULL)
    return res.returncode, res.stderr




class SearchCase(unittest.TestCase):
    sets = {}           # the SQL-path variants set search.memory_index=false

    @classmethod
    def setUpClass(cls):
        cls.srv = Server()
        try:
            cls.srv.start(sets=dict(SETS, **cls.sets))
            _, tok = create_tenant(cls.srv, "acme", "admin@acme.example")
            cls.admin = admin_session(cls.srv, "acme", "admin@acme.example", PW, tok)[0]
            cls.doc = {}        # key -> document
            cls.populate()
        except BaseException:
            cls.srv.close()
            raise

    @classmethod
    def tearDownClass(cls):
        stop_cleanly(cls.srv)

    @classmethod
    def populate(cls):
        pass

    @classmethod
    def make(cls, key, title, body, language="en", c=None, **fields):
        d = ok((c or cls.admin).call("POST", DOCS, {"title": title, "body": body,
                                                    "language": language, **fields}), 201)
        if key is not None:
            cls.doc[key] = d
        return d

    def key_of(self, doc_id):
        return next((k for k, d in self.doc.items() if d["id"] == doc_id), doc_id)

    def search(self, q=None, c=None, status=200, raw=None, code=None, **params):
        """One search; checks the answer's shape; returns the JSON document."""
        path = search_path(q, raw, **params)
        st, doc, hdrs = (c or self.admin).call("GET", path)
        self.assertEqual(st, status, f"{path}: {doc}")
        self.assertTrue(hdrs["content-type"][0].startswith("application/json"), path)
        if st != 200:
            self.assertEqual(set(doc), {"error"}, path)
            self.assertIn(doc["error"]["code"], ERROR_CODES, path)
            if code is not None:
                self.assertEqual(doc["error"]["code"], code, path)
            return doc
        self.assertEqual(set(doc), {"query", "total", "hits", "facets"}, path)
        self.assertEqual(set(doc["facets"]), {"tags", "collections", "languages"}, path)
        self.assertIsInstance(doc["total"], int, path)
        self.assertLessEqual(len(doc["hits"]), doc["total"], path)
        for h in doc["hits"]:
            self.assertEqual(set(h), {"id", "title", "title_marked", "snippet", "score",
                                      "language", "collection", "tags", "updated_us"}, path)
        scores = [h["score"] for h in doc["hits"]]
        self.assertEqual(scores, sorted(scores, reverse=True), path)   # best first
        return doc

    def hits(self, q, c=None, **params):
        """The keys of the hits, best first."""
        return [self.key_of(h["id"]) for h in self.search(q, c, **params)["hits"]]

    def found(self, q, c=None, **params):
        return set(self.hits(q, c, limit=50, **params))


# ---------------------------------------------------------------------------------------------
# 1. Analysis through the API: stemming, accents, elision, natural questions, stop words.
# ---------------------------------------------------------------------------------------------

STEM_DOCS = {   # key -> (language, body); collection "stems", titles "Fiche n" / "Sheet n"
    "chevaux": ("fr", "Les chevaux mangent du foin."),
    "cheval": ("fr", "Un cheval broute seul."),
    "donnees": ("fr", "Les données personnelles sont protégées."),
    "donnee": ("fr", "Chaque donnée compte."),
    "donnees_plain": ("fr", "Des donnees venues du tableur."),
    "connexions": ("fr", "Les connexions échouées sont journalisées."),
    "connexion": ("fr", "Une connexion chiffrée."),
    "mots_de_passe": ("fr", "Vos mots de passe restent secrets."),
    "mot_de_passe": ("fr", "Votre mot de passe expire."),
    "energie": ("fr", "L'Énergie solaire est propre."),
    "ecole": ("fr", "Une ecole publique ouverte."),
    "eau": ("fr", "Boire de l'eau fraîche."),
    "electricite": ("fr", "Le prix de l\u2019électricité grimpe."),
    "running": ("en", "She was running every morning."),
    "run": ("en", "A short run before work."),
    "passwords": ("en", "Store passwords in a vault."),
    "password": ("en", "The password must be long."),
    "reset": ("en", "Reset the router twice."),
    "resetting": ("en", "Resetting an account takes time."),
    "haeuser": ("de", "Die Häuser sind alt."),
    "canciones": ("es", "Las canciones del verano."),
}

FAQ_DOCS = {    # key -> (language, title, body); collection "faq"
    "target_fr": ("fr", "Changer son mot de passe",
                  "Ouvrez les paramètres du compte puis saisissez deux fois le nouveau mot de "
                  "passe."),
    "target_en": ("en", "Resetting a forgotten password",
                  "Open the sign-in page, choose Forgot password and follow the link we send "
                  "by mail."),
    "ampoule": ("fr", "Changer une ampoule",
                "Coupez le courant avant de changer l'ampoule du couloir."),
    "directeur": ("fr", "Le mot du directeur", "Un mot de bienvenue pour les nouveaux arrivants."),
    "sanitaire": ("fr", "Passe sanitaire", "Le passe n'est plus demandé à l'entrée."),
    "commentaires": ("fr", "Commentaires", "Comment laisser un commentaire sur une page."),
    "client": ("fr", "Mon compte client", "Consultez vos factures dans votre espace."),
    "fournisseur": ("fr", "Changer de fournisseur",
                    "Comparer les offres avant de changer de fournisseur d'énergie."),
    "croises": ("fr", "Mots croisés", "La grille du jour et ses mots difficiles."),
    "router": ("en", "Reset the router", "Unplug the router, wait ten seconds and plug it back."),
    "policy": ("en", "Password policy", "A password needs twelve characters or more."),
    "rice": ("en", "How to cook rice", "Rinse the rice, then simmer it for twelve minutes."),
    "diy": ("en", "Do it yourself", "Small repairs you can do at home."),
    "firstday": ("en", "My first day", "What to expect on your first day at the office."),
    "phone": ("en", "Factory reset of phones", "A factory reset erases everything on the phone."),
}


class Analysis(SearchCase):
    @classmethod
    def populate(cls):
        n = {"fr": 0, "en": 0}
        for key, (lang, body) in STEM_DOCS.items():
            n[lang] = n.get(lang, 0) + 1
            cls.make(key, ("Fiche %d" if lang == "fr" else "Sheet %d") % n[lang], body, lang,
                     collection="stems")
        for key, (lang, title, body) in FAQ_DOCS.items():
            cls.make(key, title, body, lang, collection="faq")
        cls.make("sw_en", "Notes", "The of and to in it is was.", "en", collection="stopwords")
        cls.make("sw_fr", "Notes", "Le la les de du des et.", "fr", collection="stopwords")

    def check_cases(self, cases, langs):
        for q, expected in cases:
            for lang in langs:
                with self.subTest(q=q, lang=lang):
                    self.assertEqual(self.found(q, collection="stems", lang=lang),
                                     set(expected))

    def test_french_stemming(self):
        chevaux = {"chevaux", "cheval"}
        donnees = {"donnees", "donnee", "donnees_plain"}
        connexion = {"connexions", "connexion"}
        # One word: whatever the query's language (guessed, French, English: French and English
        # queries also try the other language's stem).
        self.check_cases([("cheval", chevaux), ("chevaux", chevaux), ("Chevaux", chevaux),
                          ("données", donnees), ("donnée", donnees), ("donnees", donnees),
                          ("donnee", donnees), ("connexions", connexion),
                          ("connexion", connexion)], (None, "fr", "en"))
        mdp = {"mots_de_passe", "mot_de_passe"}
        # Several words and phrases: in French (guessed or given).
        self.check_cases([("mot de passe", mdp), ("mots de passe", mdp), ('"mot de passe"', mdp),
                          ('"mots de passe"', mdp), ("mot", mdp)], (None, "fr"))

    def test_english_stemming(self):
        run = {"running", "run"}
        pw = {"passwords", "password"}
        reset = {"reset", "resetting"}
        self.check_cases([("run", run), ("running", run), ("runs", run), ("password", pw),
                          ("passwords", pw), ("Passwords", pw), ("reset", reset),
                          ("resetting", reset), ("resets", reset)], (None, "en", "fr"))
        self.check_cases([('"resetting an account"', {"resetting"}),
                          ('"reset an account"', {"resetting"})], (None, "en"))

    def test_other_languages_use_their_stemmer(self):
        # The document's language picks its Snowball stemmer; lang= picks the query's.
        self.check_cases([("Haus", {"haeuser"}), ("häuser", {"haeuser"}),
                          ("HÄUSERN", {"haeuser"})], ("de",))
        self.check_cases([("canción", {"canciones"}), ("cancion", {"canciones"}),
                          ("CANCIONES", {"canciones"})], ("es",))

    def test_accents_in_the_document_or_the_query(self):
        self.check_cases([
            # accents in the document ("L'Énergie", "données", "l'électricité")
            ("energie", {"energie"}), ("ENERGIE", {"energie"}), ("énergie", {"energie"}),
            ("ÉNERGIE", {"energie"}), ("Énergie", {"energie"}),
            ("electricite", {"electricite"}), ("ÉLECTRICITÉ", {"electricite"}),
            ("DONNEES", {"donnees", "donnee", "donnees_plain"}),
            # accents in the query only ("ecole" in the document)
            ("école", {"ecole"}), ("ÉCOLE", {"ecole"}), ("Ecole", {"ecole"}),
            ("écóle", {"ecole"}), ("ècole", {"ecole"}),
        ], (None, "fr", "en"))

    def test_french_elision(self):
        # "l'eau", "l'Énergie" and "l\u2019électricité" (typographic apostrophe) are indexed
        # without their article; queries drop it too.
        self.check_cases([("eau", {"eau"}), ("l'eau", {"eau"}), ("L'eau", {"eau"}),
                          ("d'eau", {"eau"}), ("l\u2019eau", {"eau"}),
                          ("qu'energie", {"energie"}), ("l'énergie", {"energie"}),
                          ("électricité", {"electricite"}), ("l'électricité", {"electricite"})],
                         (None, "fr"))
        # The article alone is nothing to look for: no hit, no error.
        for q in ("l'", "l\u2019", "qu'"):
            with self.subTest(q=q):
                self.assertEqual(self.found(q, collection="stems"), set())

    def test_natural_question_in_french(self):
        # "comment" and "mon" are stop words; "oublié" is in no document: the words are
        # optional, and the document with more (and rarer) of them comes first.
        for q in ("comment changer mon mot de passe ?", "Comment changer mon mot de passe?",
                  "comment changer mon mot de passe oublié ?"):
            for lang in (None, "fr"):
                with self.subTest(q=q, lang=lang):
                    doc = self.search(q, lang=lang)
                    got = [self.key_of(h["id"]) for h in doc["hits"]]
                    self.assertEqual(got[0], "target_fr", got)
                    self.assertEqual(doc["query"]["lang"], "fr")
                    self.assertGreaterEqual(doc["total"], 5, got)   # the distractors matched
        # Without the stop word that made it French, still the right document first.
        self.assertEqual(self.hits("changer mot passe")[0], "target_fr")

    def test_natural_question_in_english(self):
        for q in ("how do I reset my password", "How do I reset my password?",
                  "how do I reset my lost password"):
            for lang in (None, "en"):
                with self.subTest(q=q, lang=lang):
                    doc = self.search(q, lang=lang)
                    got = [self.key_of(h["id"]) for h in doc["hits"]]
                    self.assertEqual(got[0], "target_en", got)
                    self.assertEqual(doc["query"]["lang"], "en")
                    self.assertGreaterEqual(doc["total"], 5, got)
                    # stop words do not count: neither "how" (a title word of "rice") nor
                    # "do" (of "diy") nor "my" (of "firstday") finds anything
                    self.assertFalse({"rice", "diy", "firstday"} & set(got), got)

    def test_stop_words_do_not_count(self):
        # Beside other words, a stop word is dropped: the stop-word-only documents are not found.
        for q, other, lone in (("the password", "password", "sw_en"),
                               ("le mot", "mot", "sw_fr"),
                               ("les chevaux", "chevaux", "sw_fr")):
            with self.subTest(q=q):
                got = self.search(q, limit=50)
                self.assertNotIn(self.doc[lone]["id"], [h["id"] for h in got["hits"]])
                self.assertEqual([h["id"] for h in got["hits"]],
                                 [h["id"] for h in self.search(other, limit=50)["hits"]])
        # Stop words alone: a 200 answer, no error; whatever it finds holds those very words.
        for q, holder, other in (("le la les", "sw_fr", "sw_en"), ("the of", "sw_en", "sw_fr"),
                                 ("de", "sw_fr", "sw_en"), ("a", None, None)):
            with self.subTest(q=q):
                got = self.found(q, collection="stopwords")
                self.assertNotIn(other, got)
                self.assertLessEqual(got, {holder} if holder else {"sw_en", "sw_fr"})


# ---------------------------------------------------------------------------------------------
# 2-4. The query language, ranking, hostile queries.
# ---------------------------------------------------------------------------------------------

class QueryLanguage(SearchCase):
    @classmethod
    def populate(cls):
        m = cls.make
        # phrases
        m("p_order", "Sécurité", "Réinitialiser le mot de passe du compte.", "fr",
          collection="phrases")
        m("p_scrambled", "Lecture", "Il passe de mot en mot sans s'arrêter.", "fr",
          collection="phrases")
        # prefixes
        m("x_resetting", "Recovery", "Resetting the account.", "en", collection="prefix")
        m("x_passwords", "Vault", "Strong passwords.", "en", collection="prefix")
        m("x_password", "Policy", "One password.", "en", collection="prefix")
        m("x_securite", "Informatique", "La sécurité avant tout.", "fr", collection="prefix")
        # exclusions
        m("n_draft", "Note A", "Le mot de passe brouillon.", "fr", collection="excl")
        m("n_final", "Note B", "Le mot de passe final.", "fr", collection="excl")
        m("n_drafts", "Note C", "Des brouillons divers.", "fr", collection="excl")
        m("n_email", "Note D", "Envoyer un e-mail avec le mot de passe.", "fr",
          collection="excl")
        # OR and AND
        cls.w = [word() for _ in range(3)]
        a, b, c = cls.w
        m("o_a", "One", f"text {a} here", collection="ops")
        m("o_b", "Two", f"text {b} here", collection="ops")
        m("o_ab", "Three", f"text {a} and {b} here", collection="ops")
        m("o_c", "Four", f"text {c} here", collection="ops")
        # column filters that must not be
        m("c_title_secret", "secret plans", "nothing here", collection="cols")
        m("c_body_title_secret", "memo", "the title secret is out", collection="cols")
        m("c_title_body_xyz", "body xyz report", "quarterly figures", collection="cols")
        m("c_body_xyz", "other", "the body has xyz", collection="cols")
        m("c_cjk", "密码", "重置密码的说明", "zh", collection="cols")

    def test_quoted_phrases_keep_their_order(self):
        both = {"p_order", "p_scrambled"}
        for q, lang, expected in (
                ('"mot de passe"', None, {"p_order"}),
                ('"mot de passe"', "fr", {"p_order"}),
                ('"MOTS DE PASSE"', "fr", {"p_order"}),      # stemmed, folded
                ('"passe de mot"', "fr", {"p_scrambled"}),
                ('"passe de mot"', None, {"p_scrambled"}),
                ('"de passe mot"', "fr", set()),
                ('"mot de passe', "fr", {"p_order"}),         # an unclosed quote runs to the end
                ('"mot passe"', "fr", set()),                 # stop words are kept in phrases
                ("mot passe", "fr", both),
                ("mot de passe", "fr", both)):
            with self.subTest(q=q, lang=lang):
                self.assertEqual(self.found(q, collection="phrases", lang=lang), expected)

    def test_prefixes_match_the_indexed_stems(self):
        # query.h: "word*" is folded, not stemmed, and matches indexed (stemmed) tokens that
        # start with it; docs/search.md: "pass*" finds "password", "passwords*" does not.
        pw = {"x_passwords", "x_password"}
        for q, expected in (("reset*", {"x_resetting"}), ("RESET*", {"x_resetting"}),
                            ("rese*", {"x_resetting"}), ("passw*", pw), ("PASSW*", pw),
                            ("pa*", pw), ("sécu*", {"x_securite"}), ("SECU*", {"x_securite"}),
                            ("se*", {"x_securite"}), ("passwords*", set()),
                            ("password*", pw), ("passw**", pw)):
            with self.subTest(q=q):
                self.assertEqual(self.found(q, collection="prefix"), expected)
        # One character is no prefix: "r*" is the word "r", which no document holds.
        for q in ("r*", "p*", "*", "**"):
            with self.subTest(q=q):
                self.assertEqual(self.found(q, collection="prefix"), set())

    def test_exclusion(self):
        every = {"n_draft", "n_final", "n_drafts", "n_email"}
        for q, expected in (
                ("passe -brouillon", {"n_final", "n_email"}),
                ("passe -brouillons", {"n_final", "n_email"}),     # both stems excluded
                ("-brouillon passe", {"n_final", "n_email"}),      # anywhere in the query
                ("passe -BROUILLON", {"n_final", "n_email"}),
                ("brouillon -final", {"n_draft", "n_drafts"}),
                ('brouillon -"mot de passe"', {"n_drafts"}),      # an excluded phrase
                ("passe -brou*", {"n_final", "n_email"}),         # an excluded prefix
                ("passe -e-mail", {"n_draft", "n_final"}),
                ("passe OR brouillon -final -mail", {"n_draft", "n_drafts"}),
                # no exclusion: "e-mail" is a word, "- x" and "--x" exclude nothing
                ("e-mail", {"n_email"}),
                ("passe - brouillon", every),
                ("passe --brouillon", every)):
            with self.subTest(q=q):
                self.assertEqual(self.found(q, collection="excl"), expected)
        # Exclusions alone look for nothing: no hits, no error.
        for q in ("-brouillon", "-brouillon -final", '-"mot de passe"'):
            with self.subTest(q=q):
                doc = self.search(q)
                self.assertEqual((doc["total"], doc["hits"]), (0, []))
        # An excluded document never comes back, however many other words find it.
        got = self.found("mot passe brouillon final e-mail compte -brouillon")
        self.assertFalse({"n_draft", "n_drafts"} & got, got)
        self.assertLessEqual({"n_final", "n_email"}, got)

    def test_or_and(self):
        a, b, c = self.w
        ab = {"o_a", "o_b", "o_ab"}
        for q, expected in (
                (f"{a} {b}", ab), (f"{a} OR {b}", ab), (f"{a} AND {b}", {"o_ab"}),
                (f"{a} and {b}", ab),                      # lowercase: a (stop) word
                (f"{a} or {b}", ab),
                (f"{c} {a} AND {b}", {"o_c", "o_ab"}),    # AND binds tighter than OR
                (f"{a} AND {b} {c}", {"o_c", "o_ab"}),
                (f"{a} AND {b} AND {c}", set()),
                (f"{a} OR {b} OR {c}", ab | {"o_c"}),
                (f"{a} AND -{b}", {"o_a"}),
                (f"{a} AND the {b}", {"o_ab"}),            # a dropped stop word in between
                (f"{a} AND", {"o_a", "o_ab"}),             # AND joining nothing
                (f"OR {a}", {"o_a", "o_ab"}),
                (f"OR {a} AND", {"o_a", "o_ab"})):
            with self.subTest(q=q):
                self.assertEqual(self.found(q, collection="ops"), expected)
        # Operators alone are words of last resort: a 200 answer.
        for q in ("AND", "OR", "AND OR", "OR AND OR"):
            with self.subTest(q=q):
                self.search(q)

    # ---- ranking ----

    def test_ranking_title_above_tags_above_body(self):
        w = word()
        filler = "common filler words for the same length"
        t = self.make(None, f"{w} notes", filler, tags=["misc"], collection="rank-fields")
        g = self.make(None, "plain notes", filler, tags=[w], collection="rank-fields")
        b = self.make(None, "plain notes", f"{w} " + filler, tags=["misc"],
                      collection="rank-fields")
        doc = self.search(w)
        self.assertEqual([h["id"] for h in doc["hits"]], [t["id"], g["id"], b["id"]])
        s = [h["score"] for h in doc["hits"]]
        self.assertGreater(s[0], s[1])
        self.assertGreater(s[1], s[2])
        self.assertGreater(s[2], 0)

    def test_ranking_more_query_words_first(self):
        w1, w2, w3 = word(), word(), word()
        pad = ["alpha", "beta", "gamma"]
        made = []
        for k in (1, 2, 3):     # k of the three words, padded to the same length
            body = " ".join([w1, w2, w3][:k] + pad[k:]) + " end"
            made.append(self.make(None, "Same title", body, collection="rank-more")["id"])
        for q in (f"{w1} {w2} {w3}", f"{w3} {w2} {w1}", f"how do {w1} {w2} {w3} work"):
            with self.subTest(q=q):
                doc = self.search(q, collection="rank-more")
                self.assertEqual([h["id"] for h in doc["hits"]], made[::-1])
                self.assertEqual(doc["total"], 3)

    def test_ranking_rarer_words_weigh_more(self):
        common, rare = word(), word()
        for k in range(8):
            self.make(None, f"Filler {k}", f"{common} padding text number {k}",
                      collection="rank-rare")
        has_common = self.make(None, "Same title", f"{common} padding text here",
                               collection="rank-rare")
        has_rare = self.make(None, "Same title", f"{rare} padding text here",
                             collection="rank-rare")
        for q in (f"{common} {rare}", f"{rare} {common}"):
            with self.subTest(q=q):
                ids = [h["id"] for h in self.search(q, limit=50)["hits"]]
                self.assertEqual(ids[0], has_rare["id"])
                self.assertLess(ids.index(has_rare["id"]), ids.index(has_common["id"]))
                self.assertEqual(len(ids), 10)

    # ---- hostile queries ----

    def test_column_filters_are_words(self):
        # ASVS 1.2.4: user text never reaches FTS5 syntax (a column filter is FTS5 syntax).
        # "title:secret" is the phrase "title secret" (query.h: a word the analyzer splits is a
        # phrase), never a filter on the title column: the document whose BODY says "title
        # secret" is found, the one whose title says "secret plans" is not.
        for q, phrase, must, never in (
                ("title:secret", '"title secret"', "c_body_title_secret", "c_title_secret"),
                ("TITLE:secret", '"title secret"', "c_body_title_secret", "c_title_secret"),
                ("body:xyz", '"body xyz"', "c_title_body_xyz", "c_body_xyz"),
                ("{title}:secret", '"title secret"', "c_body_title_secret", "c_title_secret"),
                # "{title" is the word "title", "body}:xyz" the phrase "body xyz"
                ("{title body}:xyz", 'title "body xyz"', "c_title_body_xyz", "c_body_xyz")):
            with self.subTest(q=q):
                got = self.found(q, collection="cols")
                self.assertEqual(got, self.found(phrase, collection="cols"))
                self.assertIn(must, got)
                self.assertNotIn(never, got)
        # Separated by spaces, the same characters are plain words found in any column.
        self.assertEqual(self.found("title : secret", collection="cols"),
                         {"c_title_secret", "c_body_title_secret"})
        self.assertEqual(self.found("body : xyz", collection="cols"),
                         {"c_title_body_xyz", "c_body_xyz"})
        # A document whose title holds "secret" is found by the word as any other is.
        self.assertEqual(self.found("secret", collection="cols"),
                         {"c_title_secret", "c_body_title_secret"})

    def test_fts5_syntax_is_plain_text(self):
        # ASVS 1.2.4: operators of FTS5 other than the documented AND/OR are plain text.
        cols = dict(collection="cols")
        same = (("^secret", "secret"), ("secret^", "secret"), ("secret + xyz", "secret xyz"),
                ("(secret OR xyz)", "secret OR xyz"), ("(secret) AND (xyz)", "secret AND xyz"),
                ("secret)", "secret"), ("((secret", "secret"), ("secret*)", "secret"),
                ("'secret'", "secret"), ("secret;", "secret"), ("NOT secret", "not secret"),
                ("secret NOT xyz", "secret not xyz"), ("{secret}", "secret"),
                ("secret:", "secret"), (":secret", "secret"))
        for q, plain in same:
            with self.subTest(q=q):
                self.assertEqual(self.found(q, **cols), self.found(plain, **cols))
        # NEAR is a word: "NEAR(secret" is the phrase "near secret", "xyz)" the word xyz.
        for q in ("NEAR(secret xyz)", "NEAR(secret xyz, 2)", "NEAR/2(secret xyz)"):
            with self.subTest(q=q):
                self.assertEqual(self.found(q, **cols), {"c_title_body_xyz", "c_body_xyz"})

    def test_hostile_queries_answer_json_never_500(self):
        # ASVS 1.2.4 (no injection into SQL or FTS5), 2.2.1 (sizes and encodings validated),
        # 16.5.1 (errors are generic and never quote the input), 16.5.3 (no 500, no fail-open).
        log_before = len(self.srv.stderr())
        hostile = ['"', '""', '"""', '"secret', 'secret"', 'a"b"c', '*', '-', '--', '- -', 'OR',
                   'AND', 'NOT', 'NEAR', 'NEAR(a b)', 'NEAR(a b, 0)', 'title:secret',
                   '{title}:x', '{title body}: x', '^x', 'a + b', '()', '(', ')', '(a OR b',
                   'a OR (b AND', "'; DROP TABLE documents; --",
                   '"; DROP TABLE doc_index; --', "' OR '1'='1", '" OR 1=1 --',
                   "secret') UNION SELECT * FROM users --", '*/ -- /*', '\\', '\\"', '%',
                   '%25', '_', '?', '#', '&', ';', ':', '.', ',', '~', '`', '@@version',
                   'rowid:1', 'doc_index:x', 'rank:1', '"a" * "b"', '* *', '-*', '-"', '-"a',
                   '"-"', 'a* -a*', 'x' * 300, '🔑', '🔑 secret', '🏳️‍🌈', '密码', '重置 密码',
                   'パスワード', '비밀번호', 'пароль', 'كلمة', '\u200b', '\u00a0secret\u3000',
                   '\ufeffsecret', 'e\u0301cole', '\u00ad', 'x\u200dy', 'ǅ', 'İstanbul',
                   ' ' * 50, 'AND ' * 40, '-a ' * 16, 'mot ' * 40, '"' * 99,
                   "l'" * 50, "qu'", 'a-' * 100]
        for q in hostile:
            with self.subTest(q=q[:40]):
                # 200: the parser turns anything into a safe expression (query.h)
                self.search(q)
        # Raw bytes in the query string: a NUL and other controls stay %-encoded by the server
        # (never a 500, and never a cut query); invalid UTF-8 is 400 bad_query.
        for raw in ("%00", "secret%00", "%00secret", "se%00cret", "%01%02%03", "%1F", "%7F",
                    "secret%0D%0AX-Injected:%201", "%"):
            with self.subTest(raw=raw):
                st, doc, _ = self.admin.call("GET", search_path(raw=raw))
                self.assertIn(st, (200, 400), doc)
                self.assertIsInstance(doc, dict)
                if st == 400:
                    self.assertEqual(doc["error"]["code"], "bad_query")
        for raw in ("%FF", "secret%FF", "%C3%28", "%C0%AF", "%ED%A0%80", "%F4%90%80%80",
                    "%E2%82", "%80"):
            with self.subTest(raw=raw):
                self.search(raw=raw, status=400, code="bad_query")
        # Sizes: 10 kB refused, 4096 bytes of words answered, 16 exclusions at most.
        self.search("a " * 5120, status=400, code="query_too_long")
        self.search("x" * 10240, status=400, code="query_too_long")
        q4096 = ("mot passe " * 500)[:4095] + "z"
        self.assertEqual(len(q4096.encode()), 4096)
        self.search(q4096)
        self.search(q4096 + "z", status=400, code="query_too_long")
        self.search("é" * 2048)                             # 4096 bytes, 2048 characters
        self.search("é" * 2048 + "e", status=400, code="query_too_long")
        self.search("secret " + " ".join(f"-w{k}" for k in range(16)))
        self.search("secret " + " ".join(f"-w{k}" for k in range(17)), status=400,
                    code="query_too_long")
        # q is required; an empty q looks for nothing; lang must be a language code.
        self.search(None, status=400, code="bad_query")
        doc = self.search("")
        self.assertEqual((doc["total"], doc["hits"]), (0, []))
        for lang in ("fr-CA", "EN", "en_GB", "de", "xx"):
            with self.subTest(lang=lang):
                self.search("secret", lang=lang)
        for lang in ("123", "f", "french", "f-r", ""):
            with self.subTest(lang=lang):
                self.search("secret", lang=lang, status=400)
        # No error ever quotes the query, and the server logged no database error.
        st, doc, _ = self.admin.call("GET", search_path("\u00e9" * 3000 + "SENTINEL"))
        self.assertEqual(st, 400)
        self.assertNotIn("SENTINEL", json.dumps(doc))
        log = self.srv.stderr()[log_before:]
        self.assertNotRegex(log.lower(), r"fts5|syntax error|sql logic|status=5\d\d| error ")
        # The injections changed nothing: every document is still there and found.
        for key in ("c_title_secret", "p_order"):
            ok(self.admin.call("GET", f"{DOCS}/{self.doc[key]['id']}"))
        self.assertIn("c_title_secret", self.found("secret", collection="cols"))

    def test_cjk_and_emoji(self):
        # Each Han character is a word; several make a phrase.
        for q in ("密码", "重置密码", "密", "🔑密码🔑"):
            with self.subTest(q=q):
                self.assertEqual(self.found(q, collection="cols"), {"c_cjk"})
        self.assertEqual(self.found("码密", collection="cols"), set())
        self.assertEqual(self.found("🔑 secret", collection="cols"),
                         {"c_title_secret", "c_body_title_secret"})


# ---------------------------------------------------------------------------------------------
# 5. Visibility on hits, totals and facets; another tenant.
# ---------------------------------------------------------------------------------------------

VIS_DOCS = {    # key -> (tags, collection, language)
    "pub": (["public"], "handbook", "en"),
    "hr": (["hr"], "personnel", "de"),
    "draft": (["draft"], "drafts", "it"),
    "hr_draft": (["hr", "draft"], "handbook", "en"),
    "hr_pub": (["hr", "public"], "handbook", "fr"),
    "untagged": ([], None, "en"),
    "draft_pub": (["draft", "public"], "handbook", "es"),
}
HIDDEN = {"admin": set(), "editor": {"hr"}, "reader": {"hr", "draft"}}


class Visibility(SearchCase):
    @classmethod
    def populate(cls):
        a = cls.admin
        cls.users = {"admin": a}
        for role in ("editor", "reader"):
            email = f"{role}@acme.example"
            cls.users[role] = signed_in(cls.srv, "acme", email, PW,
                                        add_user(cls.srv, "acme", email, role))
        cls.uid = {u: ok(c.call("GET", "/api/v1/me"))["user"]["id"] for u, c in cls.users.items()}
        ok(a.call("POST", "/api/v1/tags", {"name": "hr", "restricted": True}), 201)
        ok(a.call("POST", "/api/v1/tags", {"name": "draft"}), 201)
        ok(a.call("POST", "/api/v1/tags", {"name": "public"}), 201)
        ok(a.call("PUT", "/api/v1/roles/admin/tags", {"allow": ["hr"], "deny": []}))
        ok(a.call("PUT", "/api/v1/roles/reader/tags", {"allow": [], "deny": ["draft"]}))
        cls.w = word()          # in every document
        cls.secret = word()     # only in the documents tagged hr
        for key, (tags, coll, lang) in VIS_DOCS.items():
            extra = f" {cls.secret}" if "hr" in tags else ""     # unstemmed in every language
            fields = {"tags": tags}
            if coll:
                fields["collection"] = coll
            cls.make(key, f"Note {key}", f"{cls.w}{extra} shared text", lang, **fields)
        # Another tenant, with the same words.
        _, tok = create_tenant(cls.srv, "beta", "admin@beta.example")
        cls.beta = admin_session(cls.srv, "beta", "admin@beta.example", PW, tok)[0]
        cls.beta_reader = signed_in(cls.srv, "beta", "reader@beta.example", PW,
                                    add_user(cls.srv, "beta", "reader@beta.example", "reader"))
        cls.beta_doc = cls.make(None, "beta note", f"{cls.w} {cls.secret} hr", "en", c=cls.beta,
                                tags=["hr", "public"], collection="personnel")

    def visible(self, user, hidden=None):
        hidden = HIDDEN[user] if hidden is None else hidden
        return {k for k, (tags, _, _) in VIS_DOCS.items() if not set(tags) & hidden}

    def expected_facets(self, keys):
        tags, colls, langs = {}, {}, {}
        for k in keys:
            t, coll, lang = VIS_DOCS[k]
            for name in t:
                tags[name] = tags.get(name, 0) + 1
            if coll:
                colls[coll] = colls.get(coll, 0) + 1
            langs[lang] = langs.get(lang, 0) + 1
        return {"tags": tags, "collections": colls, "languages": langs}

    @staticmethod
    def facets(doc):
        return {k: {x["name"]: x["count"] for x in v} for k, v in doc["facets"].items()}

    def test_hits_totals_and_facets_show_only_visible_documents(self):
        # ASVS 8.2.2: data-specific access inside the search's SQL, for every role.
        for user, c in self.users.items():
            vis = self.visible(user)
            with self.subTest(user=user):
                doc = self.search(self.w, c, limit=50)
                self.assertEqual({self.key_of(h["id"]) for h in doc["hits"]}, vis)
                self.assertEqual(doc["total"], len(vis))
                self.assertEqual(self.facets(doc), self.expected_facets(vis))
                for h in doc["hits"]:
                    self.assertFalse(set(h["tags"]) & HIDDEN[user], h)
                # A page of one still counts only what the user may see.
                doc = self.search(self.w, c, limit=1)
                self.assertEqual(doc["total"], len(vis))
                self.assertEqual(self.facets(doc), self.expected_facets(vis))
                # Every offset: the pages together are the visible documents, once each.
                ids = [self.search(self.w, c, limit=1, offset=k)["hits"][0]["id"]
                       for k in range(len(vis))]
                self.assertEqual({self.key_of(i) for i in ids}, vis)
                self.assertEqual(self.search(self.w, c, limit=1, offset=len(vis))["hits"], [])
        # The restricted tag's name is nowhere in the facets of those who cannot see it.
        for user in ("editor", "reader"):
            doc = self.search(self.w, self.users[user], limit=50)
            self.assertNotIn('"hr"', json.dumps(doc["facets"]))
            self.assertNotIn("personnel", json.dumps(doc))

    def test_words_tags_and_filters_of_hidden_documents_find_nothing(self):
        hr_docs = {"hr", "hr_draft", "hr_pub"}
        for user, c in self.users.items():
            with self.subTest(user=user):
                vis = self.visible(user)
                for q, params in ((self.secret, {}), ("hr", {}), (f"{self.secret} hr", {}),
                                  (f'"{self.w} {self.secret}"', {}),
                                  (self.w, {"tags": "hr"}), (self.w, {"collection": "personnel"}),
                                  (self.w, {"language": "de"}), (f"{self.secret}*", {}),
                                  (self.secret[:5] + "*", {})):
                    doc = self.search(q, c, limit=50, **params)
                    want = hr_docs & vis
                    if "collection" in params:
                        want = {"hr"} & vis
                    if "language" in params:
                        want = {"hr"} & vis
                    self.assertEqual({self.key_of(h["id"]) for h in doc["hits"]}, want, q)
                    self.assertEqual(doc["total"], len(want), q)
                    self.assertEqual(self.facets(doc), self.expected_facets(want), q)
        # A denied unrestricted tag: the reader finds nothing by it, the editor finds all.
        self.assertEqual(self.found("draft", self.users["reader"]), set())
        self.assertEqual(self.found("draft", self.users["editor"]), {"draft", "draft_pub"})
        self.assertEqual(self.found(self.w, self.users["reader"], tags="draft"), set())

    def test_grants_apply_to_search_at_once(self):
        a, r = self.admin, self.users["reader"]
        path = f"/api/v1/users/{self.uid['reader']}/tags"
        try:
            ok(a.call("PUT", path, {"allow": [], "deny": ["public"]}))
            vis = self.visible("reader", {"hr", "draft", "public"})
            doc = self.search(self.w, r, limit=50)
            self.assertEqual({self.key_of(h["id"]) for h in doc["hits"]}, vis)
            self.assertEqual(self.facets(doc), self.expected_facets(vis))
            ok(a.call("PUT", path, {"allow": ["hr"], "deny": []}))
            vis = self.visible("reader", {"draft"})
            doc = self.search(self.w, r, limit=50)
            self.assertEqual({self.key_of(h["id"]) for h in doc["hits"]}, vis)
            self.assertEqual(self.facets(doc), self.expected_facets(vis))
        finally:
            ok(a.call("PUT", path, {"allow": [], "deny": []}))
        self.assertEqual(self.found(self.w, r), self.visible("reader"))

    def test_other_tenant_never_finds_these_documents(self):
        # ASVS 8.4.1: a vault per tenant; the same words find only the tenant's own documents.
        acme_ids = {d["id"] for d in self.doc.values()}
        for c in (self.beta, self.beta_reader):
            for q in (self.w, self.secret, "hr", "note", "shared text"):
                with self.subTest(q=q):
                    doc = self.search(q, c, limit=50)
                    ids = {h["id"] for h in doc["hits"]}
                    self.assertFalse(ids & acme_ids, q)
                    self.assertLessEqual(ids, {self.beta_doc["id"]}, q)
                    self.assertEqual(doc["total"], len(ids))
                    for f in doc["facets"]["tags"] + doc["facets"]["collections"]:
                        self.assertLessEqual(f["count"], 1, q)
        doc = self.search(self.w, self.beta, limit=50)
        self.assertEqual([h["id"] for h in doc["hits"]], [self.beta_doc["id"]])
        for user, c in self.users.items():
            with self.subTest(user=user):
                ids = {h["id"] for h in self.search(self.w, c, limit=50)["hits"]}
                self.assertNotIn(self.beta_doc["id"], ids)
                self.assertEqual(self.search("beta", c)["total"], 0)

    def test_search_needs_a_signed_in_reader(self):
        # ASVS 8.2.1: function-level access: no session, no search.
        st, doc, _ = Client(self.srv).call("GET", search_path(self.w))
        self.assertEqual(st, 401, doc)
        self.assertNotIn(self.w, json.dumps(doc))


# ---------------------------------------------------------------------------------------------
# 6. The index follows every change.
# ---------------------------------------------------------------------------------------------

class IndexFollows(SearchCase):
    def assertFound(self, q, doc_id, found=True, **params):
        ids = [h["id"] for h in self.search(q, limit=50, **params)["hits"]]
        if found:
            self.assertIn(doc_id, ids, q)
        else:
            self.assertNotIn(doc_id, ids, q)

    def assertIndexConsistent(self):
        """The index holds one row per live document, and FTS5 finds it intact."""
        rows = vault_query(self.srv, "acme", "SELECT (SELECT count(*) FROM documents WHERE "
                           "deleted = 0), (SELECT count(*) FROM doc_index_map), "
                           "(SELECT count(*) FROM doc_index), (SELECT count(*) FROM "
                           "doc_index_map m JOIN documents d ON d.id = m.document_id AND "
                           "d.deleted = 0)")[0]
        self.assertEqual(len(set(rows)), 1, rows)
        rc, err = vault_sql(self.srv, "acme", "INSERT INTO doc_index(doc_index, rank) "
                            "VALUES ('integrity-check', 1)")
        self.assertEqual(rc, 0, err)

    def test_create_update_restore_trash_purge(self):
        w1, w2, w3, w4 = (word() for _ in range(4))
        d = self.make(None, f"Title {w1}", f"Body {w2}.", "en")
        path = f"{DOCS}/{d['id']}"
        for w in (w1, w2):
            self.assertFound(w, d["id"])
        # An update replaces the words: the old ones no longer find it.
        ok(self.admin.call("PUT", path, {"version": 1, "title": f"Title {w3}",
                                         "body": f"Body {w4}."}))
        for w, found in ((w1, False), (w2, False), (w3, True), (w4, True)):
            self.assertFound(w, d["id"], found)
        # A stale update is refused and indexes nothing.
        w5 = word()
        self.assertEqual(self.admin.call("PUT", path, {"version": 1, "body": w5})[0], 409)
        self.assertFound(w5, d["id"], False)
        self.assertFound(w4, d["id"])
        # Only the title changes: the body's words still find it.
        ok(self.admin.call("PUT", path, {"version": 2, "title": "Plain"}))
        for w, found in ((w3, False), (w4, True)):
            self.assertFound(w, d["id"], found)
        # Restoring version 1 brings its words back.
        ok(self.admin.call("POST", f"{path}/versions/1/restore"))
        for w, found in ((w1, True), (w2, True), (w3, False), (w4, False)):
            self.assertFound(w, d["id"], found)
        self.assertIndexConsistent()
        # The trash: not found; restored: found; purged: gone.
        self.assertEqual(self.admin.call("DELETE", path)[0], 204)
        doc = self.search(w1)
        self.assertEqual((doc["total"], doc["hits"]), (0, []))
        self.assertIndexConsistent()
        ok(self.admin.call("POST", f"{path}/restore"))
        self.assertFound(w1, d["id"])
        self.assertFound(w2, d["id"])
        self.assertEqual(self.admin.call("DELETE", path)[0], 204)
        self.assertEqual(self.admin.call("DELETE", f"/api/v1/trash/{d['id']}")[0], 204)
        for w in (w1, w2, w3, w4):
            doc = self.search(w)
            self.assertEqual((doc["total"], doc["hits"]), (0, []), w)
        self.assertIndexConsistent()

    def test_refused_create_indexes_nothing(self):
        w = word()
        for body in ({"title": w, "body": w, "language": "xx"},
                     {"title": w, "body": w + "\u0001", "language": "en"},
                     {"title": w, "body": w, "language": "en", "tags": "notalist"}):
            st, _, _ = self.admin.call("POST", DOCS, body)
            self.assertIn(st, (400, 422))
        self.assertEqual(self.search(w)["total"], 0)

    def test_tag_rename_and_deletion(self):
        old, new, body_word = word(), word(), word()
        d = self.make(None, "Tagged", f"text {body_word}", "en", tags=[old, "keep"])
        self.assertFound(old, d["id"])
        tag = next(t for t in ok(self.admin.call("GET", "/api/v1/tags"))["items"]
                   if t["name"] == old)
        ok(self.admin.call("PATCH", f"/api/v1/tags/{tag['id']}", {"name": new}))
        self.assertFound(new, d["id"])
        self.assertFound(old, d["id"], False)
        self.assertEqual(self.search(new)["facets"]["tags"],
                         [{"name": "keep", "count": 1}, {"name": new, "count": 1}])
        self.assertIndexConsistent()
        self.assertEqual(self.admin.call("DELETE", f"/api/v1/tags/{tag['id']}")[0], 409)
        self.assertFound(new, d["id"])
        self.assertEqual(
            self.admin.call("DELETE", f"/api/v1/tags/{tag['id']}?force=true")[0], 204)
        self.assertFound(new, d["id"], False)
        self.assertFound(old, d["id"], False)
        self.assertFound(body_word, d["id"])                # still indexed, without the tag
        self.assertFound("keep", d["id"])
        self.assertEqual(self.search(body_word)["hits"][0]["tags"], ["keep"])
        self.assertIndexConsistent()

    def test_tags_of_an_update_are_indexed(self):
        t1, t2 = word(), word()
        d = self.make(None, "Retag", "text", "en", tags=[t1])
        ok(self.admin.call("PUT", f"{DOCS}/{d['id']}", {"version": 1, "tags": [t2]}))
        self.assertFound(t2, d["id"])
        self.assertFound(t1, d["id"], False)
        ok(self.admin.call("POST", f"{DOCS}/{d['id']}/versions/1/restore"))
        self.assertFound(t1, d["id"])
        self.assertFound(t2, d["id"], False)

    def test_language_change_changes_the_stemming(self):
        mark = word()
        d = self.make(None, f"Haras {mark}", "Les chevaux galopent.", "fr")
        # French: "chevaux" is indexed as "cheval"; a French phrase query meets it.
        self.assertFound("cheval", d["id"])
        self.assertFound('"cheval"', d["id"], lang="fr")
        self.assertFound('"chevaux"', d["id"], lang="fr")
        self.assertFound('"chevaux"', d["id"], False, lang="en")   # English: no stemming
        ok(self.admin.call("PUT", f"{DOCS}/{d['id']}", {"version": 1, "language": "en"}))
        # English: "chevaux" is indexed as itself; "cheval" no longer finds it.
        self.assertFound("cheval", d["id"], False)
        self.assertFound('"cheval"', d["id"], False, lang="fr")
        self.assertFound('"chevaux"', d["id"], lang="en")
        self.assertFound("chevaux", d["id"])
        self.assertEqual(self.search(mark)["hits"][0]["language"], "en")
        # And back, through a version restore.
        ok(self.admin.call("POST", f"{DOCS}/{d['id']}/versions/1/restore"))
        self.assertFound("cheval", d["id"])
        self.assertIndexConsistent()


# ---------------------------------------------------------------------------------------------
# 7. Filters, paging, snippets.
# ---------------------------------------------------------------------------------------------

FILTER_DOCS = {     # key -> (tags, collection, language)
    "d1": (["ta"], "c1", "en"),
    "d2": (["tb"], "c1", "fr"),
    "d3": (["ta", "tb"], "c2", "en"),
    "d4": ([], None, "de"),
    "d5": (["ta", "tb", "tc"], "c2", "fr"),
}


class FiltersAndSnippets(SearchCase):
    @classmethod
    def populate(cls):
        cls.w = word()
        cls.names = {t: word() for t in ("ta", "tb", "tc", "c1", "c2")}
        for key, (tags, coll, lang) in FILTER_DOCS.items():
            fields = {"tags": [cls.names[t] for t in tags]}
            if coll:
                fields["collection"] = cls.names[coll]
            cls.make(key, f"Item {key}", f"{cls.w} item", lang, **fields)

    def set_of(self, **params):
        return self.found(self.w, **params)

    def test_filters(self):
        n = self.names
        for params, expected in (
                ({}, {"d1", "d2", "d3", "d4", "d5"}),
                ({"tags": n["ta"]}, {"d1", "d3", "d5"}),
                ({"tags": f"{n['ta']},{n['tb']}"}, {"d3", "d5"}),         # every one required
                ({"tags": f" {n['tb']} , {n['ta']} "}, {"d3", "d5"}),
                ({"tags": f"{n['ta']},{n['tb']},{n['tc']}"}, {"d5"}),
                ({"tags": n["ta"].upper()}, {"d1", "d3", "d5"}),          # names are caseless
                ({"tags": f"{n['ta']},nosuchtag"}, set()),
                ({"tags": f"{n['ta']},{n['ta']}"}, {"d1", "d3", "d5"}),     # a name twice
                ({"tags": f"{n['ta']},{n['ta'].upper()},{n['tb']}"}, {"d3", "d5"}),
                ({"collection": n["c1"]}, {"d1", "d2"}),
                ({"collection": n["c2"].upper()}, {"d3", "d5"}),
                ({"collection": "nosuchcollection"}, set()),
                ({"language": "fr"}, {"d2", "d5"}),
                ({"language": "de"}, {"d4"}),
                ({"language": "it"}, set()),
                ({"language": "fr", "tags": n["ta"]}, {"d5"}),
                ({"language": "en", "collection": n["c2"], "tags": n["tb"]}, {"d3"})):
            with self.subTest(params=params):
                doc = self.search(self.w, limit=50, **params)
                self.assertEqual({self.key_of(h["id"]) for h in doc["hits"]}, expected)
                self.assertEqual(doc["total"], len(expected))
                # facets count what the filters kept
                langs = {}
                for k in expected:
                    langs[FILTER_DOCS[k][2]] = langs.get(FILTER_DOCS[k][2], 0) + 1
                self.assertEqual({f["name"]: f["count"] for f in doc["facets"]["languages"]},
                                 langs)
        doc = self.search(self.w)
        self.assertEqual(doc["facets"]["tags"], sorted(
            [{"name": n["ta"], "count": 3}, {"name": n["tb"], "count": 3},
             {"name": n["tc"], "count": 1}], key=lambda f: (-f["count"], f["name"])))
        self.assertEqual(doc["facets"]["collections"], sorted(
            [{"name": n["c1"], "count": 2}, {"name": n["c2"], "count": 2}],
            key=lambda f: f["name"]))
        self.assertEqual(doc["facets"]["languages"], [
            {"name": "en", "count": 2}, {"name": "fr", "count": 2}, {"name": "de", "count": 1}])

    def test_time_range_on_the_updated_time(self):
        w = word()
        first = self.make(None, "Early", f"{w} one", "en")
        # wait into the next second: the boundary T separates the two documents
        t = first["updated_us"] // 1_000_000 + 1
        time.sleep(max(0.0, t - time.time()) + 0.05)
        second = self.make(None, "Late", f"{w} two", "en")
        boundary = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
        got = lambda **p: {h["id"] for h in self.search(w, limit=50, **p)["hits"]}
        both = {first["id"], second["id"]}
        self.assertEqual(got(), both)
        self.assertEqual(got(**{"from": boundary}), {second["id"]})
        self.assertEqual(got(to=boundary), {first["id"]})                 # [from, to)
        self.assertEqual(got(**{"from": boundary, "to": boundary}), set())
        self.assertEqual(got(**{"from": "2000-01-01T00:00:00Z", "to": "2100-01-01T00:00:00Z"}),
                         both)
        self.assertEqual(got(**{"from": "2100-01-01T00:00:00Z"}), set())
        self.assertEqual(got(to="2000-01-01T00:00:00Z"), set())
        self.assertEqual(got(**{"from": iso(first["updated_us"]), "to": boundary}),
                         {first["id"]})
        # The updated time, not the creation time: an edit moves the first past the boundary.
        ok(self.admin.call("PUT", f"{DOCS}/{first['id']}", {"version": 1, "body": f"{w} one!"}))
        self.assertEqual(got(**{"from": boundary}), both)
        self.assertEqual(got(to=boundary), set())

    def test_paging_is_stable_with_a_total(self):
        w = word()
        made = set()
        for k in range(12):
            # lengths differ (scores differ), and pairs tie (the order falls back on the id)
            made.add(self.make(None, "Page", f"{w} " + "pad " * (k // 2), "en",
                               collection="paging")["id"])
        full = self.search(w, limit=50)
        ids = [h["id"] for h in full["hits"]]
        self.assertEqual((set(ids), len(ids), full["total"]), (made, 12, 12))
        scores = [h["score"] for h in full["hits"]]
        for k in range(11):     # ties are ordered by id
            if scores[k] == scores[k + 1]:
                self.assertLess(ids[k], ids[k + 1])
        self.assertEqual(len(set(scores)), 6)
        for size in (1, 5, 7):
            pages = []
            for off in range(0, 12, size):
                doc = self.search(w, limit=size, offset=off)
                self.assertEqual(doc["total"], 12)
                self.assertEqual(len(doc["hits"]), min(size, 12 - off))
                pages += [h["id"] for h in doc["hits"]]
            self.assertEqual(pages, ids, size)
        for off in (12, 13, 1000):
            doc = self.search(w, limit=5, offset=off)
            self.assertEqual((doc["hits"], doc["total"]), ([], 12))
        self.assertEqual(len(self.search(w)["hits"]), 10)                 # the default limit
        self.assertEqual([h["id"] for h in self.search(w, limit=50)["hits"]], ids)   # stable

    def test_bad_parameters_are_400(self):
        # ASVS 2.2.1: every parameter validated against what it may be.
        for params, code in (
                ({"limit": 0}, "bad_limit"), ({"limit": 51}, "bad_limit"),
                ({"limit": -1}, "bad_limit"), ({"limit": "abc"}, "bad_limit"),
                ({"limit": ""}, "bad_limit"), ({"limit": "1.5"}, "bad_limit"),
                ({"limit": " 5"}, "bad_limit"), ({"limit": "4294967297"}, "bad_limit"),
                ({"limit": "+5"}, "bad_limit"), ({"limit": "0x10"}, "bad_limit"),
                ({"offset": -1}, "bad_offset"), ({"offset": 1001}, "bad_offset"),
                ({"offset": "x"}, "bad_offset"), ({"offset": ""}, "bad_offset"),
                ({"offset": "99999999999"}, "bad_offset"),
                ({"from": "yesterday"}, "bad_time"), ({"from": "2026-11-23"}, "bad_time"),
                ({"from": "2026-11-23T10:00:00"}, "bad_time"),
                ({"to": "2026-11-23T10:00:00+01:00"}, "bad_time"),
                ({"to": "2026-13-01T00:00:00Z"}, "bad_time"),
                ({"to": "2026-02-30T00:00:00Z"}, "bad_time"), ({"to": ""}, "bad_time"),
                ({"from": "2026-11-23T10:00:00ZZ"}, "bad_time"),
                ({"tags": ","}, "bad_tags"), ({"tags": "a,,b"}, "bad_tags"),
                ({"tags": ",".join(f"t{k}" for k in range(11))}, "bad_tags"),
                ({"tags": "x" * 65}, "bad_tags"),
                ({"collection": "c" * 101}, "bad_filter"),
                ({"language": "english-us"}, "bad_filter")):
            with self.subTest(params=params):
                self.search(self.w, status=400, code=code, **params)
        for params in ({"limit": 1}, {"limit": 50}, {"offset": 0}, {"offset": 1000},
                       {"tags": ",".join(f"t{k}" for k in range(10))},
                       {"from": "2026-11-23T10:00:00Z"}, {"to": "2026-11-23T10:00:00.500000Z"}):
            with self.subTest(params=params):
                self.search(self.w, **params)

    def check_marked(self, segments, original, forms, ellipsis=False):
        """Segments concatenate to original (a part of it for a snippet); the matches are
        one of the forms once folded."""
        self.assertIsInstance(segments, list)
        for s in segments:
            self.assertEqual(set(s), {"text", "match"})
            self.assertIsInstance(s["text"], str)
            self.assertIsInstance(s["match"], bool)
            self.assertNotRegex(s["text"], "[\x00-\x08\x0b-\x1f]")    # no marker leaks
        text = "".join(s["text"] for s in segments)
        if ellipsis:
            text = text.removeprefix("\u2026").removesuffix("\u2026")
            self.assertIn(text, original)
        else:
            self.assertEqual(text, original)
        matches = [s["text"] for s in segments if s["match"]]
        for m in matches:
            self.assertIn(fold(m), forms, m)
        return matches

    def test_snippets_are_segments_of_the_stored_text(self):
        filler = " ".join(f"mot{k}" for k in range(60))
        body = (f"{filler} Les Chevaux du haras et un cheval ROUGE. {filler} fin des "
                "Données.")
        title = "Élevage de CHEVAUX"
        d = self.make(None, title, body, "fr")
        doc = self.search("cheval données", lang="fr")
        hit = next(h for h in doc["hits"] if h["id"] == d["id"])
        forms = {"chevaux", "cheval", "donnees"}
        self.assertEqual(self.check_marked(hit["title_marked"], title, forms), ["CHEVAUX"])
        matches = self.check_marked(hit["snippet"], body, forms, ellipsis=True)
        self.assertTrue(matches)
        self.assertTrue(hit["snippet"][0]["text"].startswith("\u2026"))   # cut from a long body
        # Without a match in the title, the title comes back whole and unmarked.
        doc = self.search("haras", lang="fr")
        hit = next(h for h in doc["hits"] if h["id"] == d["id"])
        self.assertEqual(hit["title_marked"], [{"text": title, "match": False}])
        self.assertEqual(self.check_marked(hit["snippet"], body, {"hara", "haras"},
                                           ellipsis=True), ["haras"])

    def test_markup_in_documents_is_plain_segment_text(self):
        # ASVS 1.2.3, 3.2.2: highlights are data ({text, match}), never markup from a document.
        w = word()
        body = (f"<b>{w}</b> <mark>x</mark> &lt;i&gt; \\u0002 \u2402 \\x03 "
                f"<script>alert(1)</script> [[{w}]]")
        title = f"<i>Guide</i> {w} <b>bold</b>"
        d = self.make(None, title, body, "en")
        hit = self.search(w)["hits"][0]
        self.assertEqual(hit["id"], d["id"])
        self.assertEqual(self.check_marked(hit["title_marked"], title, {w}), [w])
        self.assertEqual(self.check_marked(hit["snippet"], body, {w}), [w, w])
        texts = [s["text"] for s in hit["snippet"]]
        self.assertEqual(texts[0], "<b>")
        self.assertTrue(texts[2].startswith("</b> <mark>x</mark> &lt;i&gt; \\u0002 \u2402"))
        # A document cannot hold the marker bytes themselves: control characters are refused.
        for bad in ("\u0002", "\u0003", "\u001f"):
            st, _, _ = self.admin.call("POST", DOCS, {"title": "t", "body": f"{w}{bad}x",
                                                      "language": "en"})
            self.assertEqual(st, 422, repr(bad))
        self.assertEqual(self.search(w)["total"], 1)
        # The highlight of a word that looks like the marker is just the word.
        for q in ("\\u0002", "x03", "mark", "script", "lt"):
            with self.subTest(q=q):
                for h in self.search(q, limit=50)["hits"]:
                    for seg in h["snippet"] + h["title_marked"]:
                        self.assertNotIn("\x02", seg["text"])
                        self.assertNotIn("\x03", seg["text"])


# ---------------------------------------------------------------------------------------------
# The in-memory index (docs/search.md): built at the first search, kept in step with every
# change (taxonomy renames and deletions included), freed when unused, built again.
# ---------------------------------------------------------------------------------------------

class MemoryIndex(SearchCase):
    sets = {"search.memory_idle": "10", "audit.checkpoint_interval": "5"}

    def log_count(self, needle):
        return self.srv.stderr().count(needle)

    def facet(self, doc, kind):
        return {f["name"]: f["count"] for f in doc["facets"][kind]}

    def test_names_follow_renames_and_deletions(self):
        w = word()
        coll = ok(self.admin.call("POST", "/api/v1/collections", {"name": f"Coll {w}"}), 201)
        tag = ok(self.admin.call("POST", "/api/v1/tags", {"name": f"tag-{w}"}), 201)
        d = self.make(None, f"About {w}", "Body.", "en", collection=f"Coll {w}",
                      tags=[f"tag-{w}"])
        doc = self.search(w)
        self.assertEqual(self.facet(doc, "collections"), {f"Coll {w}": 1})
        self.assertEqual(self.facet(doc, "tags"), {f"tag-{w}": 1})
        self.assertGreaterEqual(self.log_count("in-memory index built"), 1)
        # Renames reach the facets and the hit at once (a collection's, alone, changes no
        # document: it has its own entry in the index's log).
        ok(self.admin.call("PATCH", f"/api/v1/collections/{coll['id']}", {"name": f"New {w}"}))
        doc = self.search(w)
        self.assertEqual(self.facet(doc, "collections"), {f"New {w}": 1})
        ok(self.admin.call("PATCH", f"/api/v1/tags/{tag['id']}", {"name": f"renamed-{w}"}))
        doc = self.search(w)
        self.assertEqual(self.facet(doc, "collections"), {f"New {w}": 1})
        self.assertEqual(self.facet(doc, "tags"), {f"renamed-{w}": 1})
        self.assertEqual((doc["hits"][0]["collection"], doc["hits"][0]["tags"]),
                         (f"New {w}", [f"renamed-{w}"]))
        self.assertEqual(self.search(w, collection=f"New {w}")["total"], 1)
        self.assertEqual(self.search(w, collection=f"Coll {w}")["total"], 0)
        # Deleting the collection takes the document out of it; deleting the tag too.
        self.assertEqual(self.admin.call("DELETE", f"/api/v1/collections/{coll['id']}")[0],
                         204)
        self.assertEqual(self.admin.call("DELETE", f"/api/v1/tags/{tag['id']}?force=true")[0],
                         204)
        doc = self.search(w)
        self.assertEqual((doc["total"], doc["hits"][0]["id"]), (1, d["id"]))
        self.assertEqual((self.facet(doc, "collections"), self.facet(doc, "tags")), ({}, {}))
        self.assertEqual((doc["hits"][0]["collection"], doc["hits"][0]["tags"]), (None, []))
        self.assertEqual(self.search(w, collection=f"New {w}")["total"], 0)

    def test_freed_when_unused_and_built_again(self):
        w = word()
        d = self.make(None, f"Idle {w}", "Body.", "en")
        self.assertFound(w, d["id"])
        built = self.log_count("in-memory index built")
        deadline = time.time() + 40
        while self.log_count("in-memory index of tenant") == 0 and time.time() < deadline:
            time.sleep(0.5)
        self.assertGreaterEqual(self.log_count("in-memory index of tenant"), 1,
                                "the index of an unused vault was not freed")
        # A change while it is gone, then a search: built again, with the change.
        w2 = word()
        d2 = self.make(None, f"Later {w2}", "Body.", "en")
        self.assertFound(w2, d2["id"])
        self.assertFound(w, d["id"])
        self.assertGreater(self.log_count("in-memory index built"), built)

    def assertFound(self, w, doc_id, found=True):
        ids = [h["id"] for h in self.search(w, limit=50)["hits"]]
        self.assertEqual(doc_id in ids, found, (w, ids))


class MemoryCap(SearchCase):
    """search.memory_max_mib: a vault whose index would not fit is searched from the FTS5
    tables, with the same answers, and the operator is told (once a minute at most)."""
    sets = {"search.memory_max_mib": "1"}

    @classmethod
    def populate(cls):
        # about 3.5 KiB of index per document: 300 documents do not fit in 1 MiB
        cls.w = word()
        for k in range(300):
            cls.make(f"d{k}", f"Note {k}", f"Body {cls.w if k % 3 == 0 else 'plain'} {k}.")

    def test_over_the_cap_searches_use_sql(self):
        doc = self.search(self.w, limit=50)
        self.assertEqual(doc["total"], 100)
        self.assertEqual({self.key_of(h["id"]) for h in self.search(self.w, limit=50,
                                                                     offset=50)["hits"]},
                         {f"d{k}" for k in range(0, 300, 3)} - {self.key_of(h["id"]) for h
                                                                in doc["hits"]})
        for _ in range(3):
            self.search(self.w)
        log = self.srv.stderr()
        self.assertEqual(log.count("no in-memory index"), 1, "warned once, not per search")
        self.assertIn("search.memory_max_mib 1)", log)
        self.assertEqual(log.count("in-memory index built"), 0)


# The same suites with search.memory_index=false: every answer from the FTS5 tables, which
# stay the fallback of the in-memory index (and its reference: tests/unit/search/test_memidx.c).
SQL = {"search.memory_index": "false"}


class AnalysisSql(Analysis):
    sets = SQL


class QueryLanguageSql(QueryLanguage):
    sets = SQL


class VisibilitySql(Visibility):
    sets = SQL


class IndexFollowsSql(IndexFollows):
    sets = SQL


class FiltersAndSnippetsSql(FiltersAndSnippets):
    sets = SQL


if __name__ == "__main__":
    unittest.main()
