#!/usr/bin/env python3
"""bench/pii scorer: span-level precision, recall and F2 of PII detectors on labelled sets.

Standard library only. run.sh drives it; the subcommands can be used by hand:

    score.py inputs SET.json OUT.jsonl LANG    one {"text", "language"} line per sentence
    score.py report --set NAME=SET.json ... --pred TOOL:NAME=PRED.jsonl ... [--json OUT]
    score.py corpus --set LANG=SET.json ... --out DIR [--mb 8]   the throughput corpus
    score.py timecmd INPUT REPEAT CMD...        best wall and CPU time of CMD < INPUT
    score.py --selftest                         the scorer checks itself (tests/e2e runs it)

A labelled set is a JSON list of {"full_text", "spans": [{entity_type, entity_value,
start_position, end_position}]} (presidio-research's shape; coffre's French set adds
metadata.negatives). A prediction file has one JSON line per sentence, in the same order:
{"hits": [{"type", "start", "end", ...}]} with offsets in code points, end exclusive (coffre's
CLI and the openredaction runner), or {"redacted": "..."} (redact-pii, whose spans are
recovered by aligning its output with the input), or {"error": "..."}.

Matching rule (see README.md): labels are mapped onto coffre's types first. A predicted span is
correct when it overlaps (shares at least one code point with) a gold span of the same type; a
gold span is found when a predicted span of its type overlaps it. Precision = correct
predictions / predictions, recall = found gold spans / gold spans, F2 = 5PR / (4P + R).
A prediction that overlaps no gold span of its type but overlaps a gold span of a type coffre
does not have (presidio's LOCATION, ORGANIZATION, TITLE, US_SSN...) is ignored, neither right
nor wrong. Exact match: same type, same start and end.
"""
import argparse
import json
import os
import random
import re
import subprocess
import sys
import time

TYPES = ("PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER", "STREET_ADDRESS", "DATE_TIME", "IBAN_CODE",
         "CREDIT_CARD", "FR_NIR", "FR_SIREN", "FR_SIRET", "IP_ADDRESS", "URL")

# Gold labels of presidio-research's generated set onto coffre's types. None: no counterpart
# in coffre (excluded from the figures; predictions overlapping them are ignored).
PRESIDIO_GOLD = {
    "PERSON": "PERSON", "ADDRESS": "STREET_ADDRESS", "PHONE_NUMBER": "PHONE_NUMBER",
    "EMAIL_ADDRESS": "EMAIL_ADDRESS", "CREDIT_CARD": "CREDIT_CARD", "DATE_TIME": "DATE_TIME",
    "IP_ADDRESS": "IP_ADDRESS", "DOMAIN_NAME": "URL", "URL": "URL", "IBAN_CODE": "IBAN_CODE",
    "LOCATION": None, "ORGANIZATION": None, "TITLE": None, "US_SSN": None,
    "US_DRIVER_LICENSE": None, "NRP": None, "US_BANK_NUMBER": None, "US_PASSPORT": None,
    "AGE": None, "ZIP": None,
}

# Labels of each detector onto coffre's types; a label missing here is "other": not scored
# by type, counted apart, and included in the type-agnostic ("any type") figures.
TOOL_LABELS = {
    "redact-pii": {   # the replacement words of redact-pii 3.4.0's built-in redactors
        "PERSON_NAME": "PERSON", "EMAIL_ADDRESS": "EMAIL_ADDRESS",
        "PHONE_NUMBER": "PHONE_NUMBER", "STREET_ADDRESS": "STREET_ADDRESS",
        "ZIPCODE": "STREET_ADDRESS", "CREDIT_CARD_NUMBER": "CREDIT_CARD",
        "IP_ADDRESS": "IP_ADDRESS", "URL": "URL",
        "US_SOCIAL_SECURITY_NUMBER": None, "USERNAME": None, "PASSWORD": None,
        "CREDENTIALS": None, "DIGITS": None,
    },
    "openredaction": {
        "NAME": "PERSON", "EMAIL": "EMAIL_ADDRESS",
        "PHONE_UK_MOBILE": "PHONE_NUMBER", "PHONE_UK": "PHONE_NUMBER", "PHONE_US": "PHONE_NUMBER",
        "PHONE_INTERNATIONAL": "PHONE_NUMBER", "PHONE_LINE_NUMBER": "PHONE_NUMBER",
        "ADDRESS_STREET": "STREET_ADDRESS", "ADDRESS_PO_BOX": "STREET_ADDRESS",
        "POSTCODE_UK": "STREET_ADDRESS", "ZIP_CODE_US": "STREET_ADDRESS",
        "DATE_OF_BIRTH": "DATE_TIME", "DATE": "DATE_TIME",
        "IBAN": "IBAN_CODE", "UK_BANK_ACCOUNT_IBAN": "IBAN_CODE", "CREDIT_CARD": "CREDIT_CARD",
        "FRENCH_SOCIAL_SECURITY": "FR_NIR", "IPV4": "IP_ADDRESS", "IPV6": "IP_ADDRESS",
        "URL_WITH_AUTH": "URL",
    },
}
REDACT_PII_TOKENS = tuple(TOOL_LABELS["redact-pii"])


def tool_label(tool, label):
    """coffre's type for a detector's label, or None (other)."""
    table = TOOL_LABELS.get(tool)
    if table is None:             # coffre, or a stand-in speaking coffre's labels
        return label if label in TYPES else None
    return table.get(label)


# ---------------------------------------------------------------- data

def load_set(path):
    """[(text, gold, negatives)]: gold [(start, end, type or None)], negatives [(s, e, kind)].

    A span whose offsets do not cover its entity_value (one in presidio's set: 'yers,' for
    'Ayers') is moved to the nearest occurrence of the value; load_set.repaired counts them."""
    with open(path, encoding="utf-8") as f:
        items = json.load(f)
    out, repaired = [], 0
    for it in items:
        text = it["full_text"]
        gold = []
        for s in it["spans"]:
            start, end, value = s["start_position"], s["end_position"], s["entity_value"]
            if text[start:end] != value:
                hits = [m.start() for m in re.finditer(re.escape(value), text)]
                if not hits:
                    raise ValueError("%s: span %r not in %r" % (path, value, text))
                start = min(hits, key=lambda h: abs(h - start))
                end = start + len(value)
                repaired += 1
            label = s["entity_type"]
            if label in TYPES:
                typ = label
            elif label in PRESIDIO_GOLD:
                typ = PRESIDIO_GOLD[label]
            else:
                typ = None
            gold.append((start, end, typ, label))
        negs = [(n["start"], n["end"], n["kind"])
                for n in ((it.get("metadata") or {}).get("negatives") or [])]
        out.append((text, gold, negs))
    load_set.repaired[path] = repaired
    return out


load_set.repaired = {}


def align_redacted(text, redacted, tokens=REDACT_PII_TOKENS):
    """Spans [(start, end, token)] of text that a redactor replaced by one of tokens.

    The redacted text is literal text and tokens; the literals must appear in the input in
    order, and each token stands for the (shortest, non-empty) text between them. Returns None
    when no alignment exists. A 'span' whose text is the token itself was not replaced (the word
    was in the input) and is dropped."""
    alt = "|".join(re.escape(t) for t in sorted(tokens, key=len, reverse=True))
    parts = re.split("(%s)" % alt, redacted)
    if len(parts) == 1:
        return [] if redacted == text else None
    pattern = "".join(re.escape(p) if i % 2 == 0 else "(.+?)" for i, p in enumerate(parts))
    m = re.fullmatch(pattern, text, re.S)
    if m is None:
        return None
    spans = []
    for g in range(1, m.lastindex + 1 if m.lastindex else 1):
        token = parts[2 * g - 1]
        if m.group(g) != token:
            spans.append((m.start(g), m.end(g), token))
    return spans


def load_predictions(path, tool, texts):
    """[[(start, end, type or None, label)]] per sentence, and the number of sentences lost."""
    with open(path, encoding="utf-8") as f:
        lines = [l for l in f.read().split("\n") if l.strip()]
    if len(lines) != len(texts):
        raise ValueError("%s: %d lines for %d sentences" % (path, len(lines), len(texts)))
    out, lost = [], 0
    for line, text in zip(lines, texts):
        obj = json.loads(line)
        if "redacted" in obj:
            spans = align_redacted(text, obj["redacted"])
            if spans is None:
                lost += 1
                spans = []
            out.append([(s, e, tool_label(tool, t), t) for s, e, t in spans])
        elif "hits" in obj:
            preds = []
            for h in obj["hits"]:
                s, e = int(h["start"]), int(h["end"])
                if not 0 <= s < e <= len(text):
                    raise ValueError("%s: hit %r outside %r" % (path, h, text))
                preds.append((s, e, tool_label(tool, h["type"]), h["type"]))
            out.append(preds)
        else:
            lost += 1
            out.append([])
    return out, lost


# ---------------------------------------------------------------- scoring

def overlaps(a, b):
    return a[0] < b[1] and b[0] < a[1]


class Counts:
    def __init__(self):
        self.gold = self.found = self.pred = self.correct = 0
        self.gold_exact = self.pred_exact = 0

    def add(self, other):
        for k in vars(self):
            setattr(self, k, getattr(self, k) + getattr(other, k))

    def precision(self, exact=False):
        n = self.pred_exact if exact else self.correct
        return n / self.pred if self.pred else None

    def recall(self, exact=False):
        n = self.gold_exact if exact else self.found
        return n / self.gold if self.gold else None

    def f2(self, exact=False):
        p, r = self.precision(exact), self.recall(exact)
        if p is None or r is None:
            return None
        return 5 * p * r / (4 * p + r) if p + r else 0.0


def score(sentences, predictions):
    """Counts per type, 'all' (micro over the types), 'any' (type-agnostic), 'other' (predictions
    with no coffre type, {label: count}) and 'negatives' {kind: [count, flagged]}."""
    per = {t: Counts() for t in TYPES}
    any_type = Counts()
    other = {}
    negatives = {}
    for (text, gold, negs), preds in zip(sentences, predictions):
        scored = [g for g in gold if g[2] is not None]
        excluded = [g for g in gold if g[2] is None]
        for g in scored:
            c = per[g[2]]
            c.gold += 1
            c.found += any(p[2] == g[2] and overlaps(p, g) for p in preds)
            c.gold_exact += any(p[2] == g[2] and p[:2] == g[:2] for p in preds)
            any_type.gold += 1
            any_type.found += any(overlaps(p, g) for p in preds)
            any_type.gold_exact += any(p[:2] == g[:2] for p in preds)
        for p in preds:
            same = [g for g in scored if g[2] == p[2] and overlaps(p, g)]
            if p[2] is None:
                other[p[3]] = other.get(p[3], 0) + 1
            elif same or not any(overlaps(p, g) for g in excluded):
                c = per[p[2]]
                c.pred += 1
                c.correct += bool(same)
                c.pred_exact += any(g[:2] == p[:2] for g in same)
            hit = [g for g in scored if overlaps(p, g)]
            if hit or not any(overlaps(p, g) for g in excluded):
                any_type.pred += 1
                any_type.correct += bool(hit)
                any_type.pred_exact += any(g[:2] == p[:2] for g in hit)
        for n in negs:
            row = negatives.setdefault(n[2], [0, 0])
            row[0] += 1
            row[1] += any(overlaps(p, n) and not any(overlaps(p, g) for g in gold)
                          for p in preds)
    total = Counts()
    for c in per.values():
        total.add(c)
    return {"types": per, "all": total, "any": any_type, "other": other,
            "negatives": negatives}


# ---------------------------------------------------------------- report

def fmt(v):
    return "    -" if v is None else "%5.2f" % v


def report(sets, preds, out=sys.stdout):
    """Prints the tables; returns the figures as a dict (for --json)."""
    figures = {}
    for name, (path, sentences) in sets.items():
        tools = [t for (t, s) in preds if s == name]
        results = {}
        for tool in tools:
            p, lost = preds[(tool, name)]
            results[tool] = (score(sentences, p), lost)
        gold_labels = {}
        for _, gold, _ in sentences:
            for g in gold:
                gold_labels[g[3]] = gold_labels.get(g[3], 0) + 1
        excluded = {l: n for l, n in gold_labels.items()
                    if (PRESIDIO_GOLD.get(l) if l not in TYPES else l) is None}
        print("\n== %s: %d sentences (%s)" % (name, len(sentences), os.path.basename(path)),
              file=out)
        print("overlap match, same type after mapping; P precision, R recall, F2 (recall "
              "weighs 4x)", file=out)
        head = "%-16s %5s" % ("type", "gold")
        for tool in tools:
            head += " | %-17s" % tool[:17]
        print(head, file=out)
        print("%-16s %5s" % ("", "") + "".join(" | %5s %5s %5s" % ("P", "R", "F2")
                                                  for _ in tools), file=out)
        any_pred = {t for tool in tools for t in TYPES
                    if results[tool][0]["types"][t].pred}
        for t in TYPES:
            first = results[tools[0]][0]["types"][t] if tools else None
            gold = first.gold if first else 0
            if not gold and t not in any_pred:
                continue
            line = "%-16s %5d" % (t, gold)
            for tool in tools:
                c = results[tool][0]["types"][t]
                line += " | %s %s %s" % (fmt(c.precision()), fmt(c.recall()), fmt(c.f2()))
            print(line, file=out)
        for label, key, exact in (("all types", "all", False), ("all, exact", "all", True),
                                  ("any type", "any", False)):
            c0 = results[tools[0]][0][key] if tools else Counts()
            line = "%-16s %5d" % (label, c0.gold)
            for tool in tools:
                c = results[tool][0][key]
                line += " | %s %s %s" % (fmt(c.precision(exact)), fmt(c.recall(exact)),
                                         fmt(c.f2(exact)))
            print(line, file=out)
        line = "%-16s %5s" % ("other labels", "")
        for tool in tools:
            line += " | %-17s" % ("%d not scored" % sum(results[tool][0]["other"].values()))
        print(line, file=out)
        for tool in tools:
            other = sorted(results[tool][0]["other"].items(), key=lambda kv: (-kv[1], kv[0]))
            if other:
                print("  %s's other labels: %s%s" % (
                    tool, ", ".join("%s %d" % kv for kv in other[:6]),
                    ", ..." if len(other) > 6 else ""), file=out)
        if any(results[t][1] for t in tools):
            line = "%-16s %5s" % ("sentences lost", "")
            for tool in tools:
                line += " | %-17s" % results[tool][1]
            print(line, file=out)
        if excluded:
            print("excluded gold labels (no coffre type; overlapping predictions ignored): "
                  + ", ".join("%s %d" % kv for kv in sorted(excluded.items())), file=out)
        if load_set.repaired.get(path):
            print("%d gold span(s) moved onto their entity_value (offsets off in the source)"
                  % load_set.repaired[path], file=out)
        negs = results[tools[0]][0]["negatives"] if tools else {}
        if negs:
            print("hard negatives taken for personal data (flagged / present):", file=out)
            for tool in tools:
                n = results[tool][0]["negatives"]
                flagged = sum(v[1] for v in n.values())
                total = sum(v[0] for v in n.values())
                worst = sorted(((v[1], k) for k, v in n.items() if v[1]), reverse=True)[:6]
                print("  %-15s %3d/%d%s" % (tool, flagged, total,
                                              ("  (" + ", ".join("%s %d/%d" % (k, f, n[k][0])
                                                                 for f, k in worst) + ")")
                                              if worst else ""), file=out)
        figures[name] = {
            tool: {
                "lost": lost,
                "other": r["other"],
                "negatives": r["negatives"],
                **{key: {"gold": c.gold, "pred": c.pred, "precision": c.precision(),
                         "recall": c.recall(), "f2": c.f2(), "precision_exact":
                         c.precision(True), "recall_exact": c.recall(True),
                         "f2_exact": c.f2(True)}
                   for key, c in list(r["types"].items()) + [("all", r["all"]),
                                                             ("any", r["any"])]},
            } for tool, (r, lost) in results.items()}
    return figures


# ---------------------------------------------------------------- throughput corpus

FILLER = {
    "fr": [
        ("Pour réinitialiser votre mot de passe", "Si la facture n'apparaît pas dans votre espace",
         "Lorsque la box redémarre en boucle", "Avant de contacter le support",
         "Quand un prélèvement est rejeté", "Si votre colis n'est pas arrivé",
         "Pour modifier vos informations de contact", "En cas de panne de courant",
         "Pour activer la double authentification", "Si le paiement est refusé"),
        ("cliquez sur le lien reçu par courriel et choisissez un nouveau mot de passe",
         "vérifiez d'abord que la période sélectionnée est la bonne",
         "débranchez l'alimentation pendant trente secondes puis rebranchez-la",
         "rassemblez le numéro de contrat, la date de l'incident et une description précise",
         "la banque prévient le titulaire et le créancier présente à nouveau la demande",
         "consultez le suivi puis ouvrez une réclamation après sept jours ouvrés",
         "rendez-vous dans la rubrique Mon profil et enregistrez les changements",
         "vérifiez le disjoncteur avant de signaler l'incident au distributeur",
         "installez une application d'authentification et scannez le code affiché",
         "assurez-vous que le plafond de la carte n'est pas atteint"),
        ("Cette procédure prend quelques minutes.", "Les agents répondent sous quarante-huit heures.",
         "Aucune donnée n'est perdue pendant l'opération.", "Le conseiller peut vous guider pas à pas.",
         "La modification est visible dès le lendemain.", "Un accusé de réception vous est envoyé.",
         "Le délai légal de rétractation est de quatorze jours.", ""),
    ],
    "en": [
        ("To reset your password", "If the invoice does not show in your account",
         "When the router keeps restarting", "Before contacting support",
         "When a direct debit is rejected", "If your parcel has not arrived",
         "To change your contact details", "During a power cut",
         "To turn on two-factor authentication", "If the payment is declined"),
        ("click the link in the email and pick a new password",
         "first check that the selected period is the right one",
         "unplug the power for thirty seconds and plug it back in",
         "gather the contract number, the date of the incident and a clear description",
         "the bank informs the account holder and the creditor submits the request again",
         "check the tracking page and open a claim after seven working days",
         "go to the My profile section and save the changes",
         "check the circuit breaker before reporting the fault to the network operator",
         "install an authenticator app and scan the code shown on screen",
         "make sure the card limit has not been reached"),
        ("This takes a few minutes.", "Agents answer within two working days.",
         "No data is lost during the operation.", "An adviser can walk you through it.",
         "The change is visible the next day.", "A receipt is sent to you by email.",
         "The legal withdrawal period is fourteen days.", ""),
    ],
}


def corpus_docs(sets, megabytes, seed=7):
    """Documents [(lang, text)] of about 1-6 KB: filler paragraphs of help-centre prose with
    labelled sentences (PII and hard negatives) sprinkled in, until megabytes of UTF-8."""
    rng = random.Random(seed)
    pools = {"fr": [], "en": []}
    for lang, sentences in sets:
        pools[lang].extend(s[0] for s in sentences)
    target = int(megabytes * 1e6)
    docs, size = [], 0
    while size < target:
        lang = "fr" if rng.random() < 0.6 or not pools["en"] else "en"
        if not pools[lang]:
            lang = "en"
        a, b, c = FILLER[lang]
        paras = []
        for _ in range(rng.randint(2, 8)):
            sent = []
            for _ in range(rng.randint(2, 6)):
                if rng.random() < 0.25:
                    sent.append(rng.choice(pools[lang]))
                else:
                    sent.append("%s, %s. %s" % (rng.choice(a), rng.choice(b), rng.choice(c)))
            paras.append(" ".join(s.strip() for s in sent))
        text = "\n\n".join(paras)
        docs.append((lang, text))
        size += len(text.encode("utf-8"))
    return docs


def write_corpus(docs, outdir):
    """docs.jsonl ({"text", "language"} lines, for the CLI and the npm runner) and docs.txt
    ("#doc LANG BYTES" then BYTES bytes of text and a newline, for bench_pii)."""
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "docs.jsonl"), "w", encoding="utf-8") as j, \
            open(os.path.join(outdir, "docs.txt"), "wb") as t:
        for lang, text in docs:
            j.write(json.dumps({"text": text, "language": lang}, ensure_ascii=False) + "\n")
            raw = text.encode("utf-8")
            t.write(b"#doc %s %d\n" % (lang.encode(), len(raw)) + raw + b"\n")
    return sum(len(text.encode("utf-8")) for _, text in docs)


def timecmd(input_path, repeat, cmd):
    """The run of cmd (stdin from input_path, stdout discarded) with the least CPU time
    (user + system of the child, from wait4) out of repeat runs: (wall, cpu) seconds."""
    best = None
    for _ in range(repeat):
        with open(input_path, "rb") as f, open(os.devnull, "wb") as null:
            t0 = time.perf_counter()
            p = subprocess.Popen(cmd, stdin=f, stdout=null)
            _, status, usage = os.wait4(p.pid, 0)
            wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        if p.returncode != 0:
            raise RuntimeError("%s exited with %d" % (" ".join(cmd), p.returncode))
        cpu = usage.ru_utime + usage.ru_stime
        if best is None or cpu < best[1]:
            best = (wall, cpu)
    return best


# ---------------------------------------------------------------- self-test

def selftest():
    """Known answers for the matching rule, the label maps and the alignment."""
    failures = []

    def check(name, got, want):
        if got != want:
            failures.append("%s: got %r, want %r" % (name, got, want))

    text = "Call Jean Dupont at 06 12 34 56 78 or jean@free.fr, Paris, Acme Corp."
    gold = [(5, 16, "PERSON", "PERSON"), (20, 34, "PHONE_NUMBER", "PHONE_NUMBER"),
            (38, 50, "EMAIL_ADDRESS", "EMAIL_ADDRESS"), (52, 57, None, "LOCATION"),
            (59, 68, None, "ORGANIZATION")]
    negs = [(0, 4, "common_word")]
    preds = [
        (5, 9, "PERSON", "PERSON"),              # partial overlap: correct, not exact
        (20, 34, "PHONE_NUMBER", "PHONE_NUMBER"),  # exact
        (38, 50, "URL", "URL"),                  # wrong type: URL false positive
        (52, 57, "STREET_ADDRESS", "X"),         # only over an excluded span: ignored
        (59, 63, None, "ORG"),                   # other label: not scored by type
        (0, 4, "PERSON", "PERSON"),              # over a hard negative: false positive
    ]
    r = score([(text, gold, negs)], [preds])
    t = r["types"]
    check("person", (t["PERSON"].gold, t["PERSON"].found, t["PERSON"].pred,
                     t["PERSON"].correct, t["PERSON"].gold_exact), (1, 1, 2, 1, 0))
    check("phone exact", (t["PHONE_NUMBER"].gold_exact, t["PHONE_NUMBER"].pred_exact), (1, 1))
    check("email missed", (t["EMAIL_ADDRESS"].gold, t["EMAIL_ADDRESS"].found), (1, 0))
    check("url fp", (t["URL"].pred, t["URL"].correct), (1, 0))
    check("address ignored", t["STREET_ADDRESS"].pred, 0)
    check("other", r["other"], {"ORG": 1})
    a = r["all"]
    check("all", (a.gold, a.found, a.pred, a.correct), (3, 2, 4, 2))
    check("all P/R", (a.precision(), round(a.recall(), 4)), (0.5, 0.6667))
    check("all F2", round(a.f2(), 4), round(5 * 0.5 * (2 / 3) / (4 * 0.5 + 2 / 3), 4))
    check("exact", (a.precision(True), round(a.recall(True), 4)), (0.25, 0.3333))
    # any type: the URL over the e-mail counts; the excluded-only ones are ignored; the ORG
    # prediction overlaps only an excluded span: ignored.
    n = r["any"]
    check("any", (n.gold, n.found, n.pred, n.correct), (3, 3, 4, 3))
    check("negatives", r["negatives"], {"common_word": [1, 1]})
    # Touching is not overlapping: a prediction ending where the gold span starts misses it.
    r2 = score([("ab cd", [(3, 5, "PERSON", "PERSON")], [])], [[(0, 3, "PERSON", "PERSON")]])
    check("touching", (r2["all"].found, r2["all"].correct), (0, 0))
    check("f2 none", Counts().f2(), None)
    c = Counts()
    c.gold, c.found, c.pred, c.correct = 10, 0, 5, 0
    check("f2 zero", c.f2(), 0.0)

    # Code points, not UTF-16 units or bytes: an emoji before the span.
    t2 = "😀 é M. Léa Nguyễn"
    check("codepoints", t2[7:17], "Léa Nguyễn")

    # redact-pii alignment.
    src = "Hi David Johnson, call 555-555-5555 or mail d@x.com. URL stays."
    red = "Hi PERSON_NAME, call PHONE_NUMBER or mail EMAIL_ADDRESS. URL stays."
    check("align", align_redacted(src, red),
          [(3, 16, "PERSON_NAME"), (23, 35, "PHONE_NUMBER"), (44, 51, "EMAIL_ADDRESS")])
    check("align none", align_redacted("abc", "abc"), [])
    check("align broken", align_redacted("abc", "xyz PHONE_NUMBER"), None)
    check("align two", align_redacted("a 12345 6789", "a ZIPCODE DIGITS"),
          [(2, 7, "ZIPCODE"), (8, 12, "DIGITS")])
    check("align end", align_redacted("see 10.0.0.1", "see IP_ADDRESS"),
          [(4, 12, "IP_ADDRESS")])
    check("labels", (tool_label("redact-pii", "ZIPCODE"), tool_label("redact-pii", "DIGITS"),
                     tool_label("openredaction", "IPV6"), tool_label("coffre", "FR_NIR"),
                     tool_label("coffre", "NOPE")),
          ("STREET_ADDRESS", None, "IP_ADDRESS", "FR_NIR", None))

    # Prediction files: hits, redacted text, errors; offsets checked.
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "p.jsonl")
        with open(p, "w", encoding="utf-8") as f:
            f.write(json.dumps({"hits": [{"type": "PERSON", "start": 3, "end": 16}]}) + "\n")
            f.write(json.dumps({"redacted": red}) + "\n")
            f.write(json.dumps({"error": "boom"}) + "\n")
        got, lost = load_predictions(p, "coffre", [src, src, src])
        check("load hits", got[0], [(3, 16, "PERSON", "PERSON")])
        check("load redacted", [x[3] for x in got[1]],
              ["PERSON_NAME", "PHONE_NUMBER", "EMAIL_ADDRESS"])
        got2, _ = load_predictions(p, "redact-pii", [src, src, src])
        check("load redacted types", [x[2] for x in got2[1]],
              ["PERSON", "PHONE_NUMBER", "EMAIL_ADDRESS"])
        check("load lost", (got[2], lost), ([], 1))
        with open(p, "w", encoding="utf-8") as f:
            f.write(json.dumps({"hits": [{"type": "URL", "start": 60, "end": 99}]}) + "\n")
        try:
            load_predictions(p, "coffre", [src])
            failures.append("a hit outside the text was accepted")
        except ValueError:
            pass
        # load_set repairs a span whose offsets miss its value, and maps presidio's labels.
        s = os.path.join(d, "s.json")
        with open(s, "w", encoding="utf-8") as f:
            json.dump([{"full_text": "For Mrs. Ayers, see", "spans": [
                {"entity_type": "PERSON", "entity_value": "Ayers", "start_position": 10,
                 "end_position": 15},
                {"entity_type": "TITLE", "entity_value": "Mrs.", "start_position": 4,
                 "end_position": 8}]}], f)
        sent = load_set(s)
        check("repair", sent[0][1], [(9, 14, "PERSON", "PERSON"), (4, 8, None, "TITLE")])
        check("repaired", load_set.repaired[s], 1)

    docs = corpus_docs([("fr", [("Bonjour Mme Dubois.", [], [])]),
                        ("en", [("Hello Mr Smith.", [], [])])], 0.02)
    check("corpus size", sum(len(t.encode()) for _, t in docs) >= 20000, True)
    check("corpus langs", sorted({l for l, _ in docs}), ["en", "fr"])
    wall, cpu = timecmd(os.devnull, 2, [sys.executable, "-c", "pass"])
    check("timecmd", wall > 0 and cpu >= 0, True)
    check("corpus deterministic", docs == corpus_docs(
        [("fr", [("Bonjour Mme Dubois.", [], [])]), ("en", [("Hello Mr Smith.", [], [])])],
        0.02), True)

    for f in failures:
        print("selftest: " + f, file=sys.stderr)
    print("selftest: %s" % ("FAIL" if failures else "ok"))
    return 1 if failures else 0


# ---------------------------------------------------------------- command line

def main(argv):
    if argv[:1] == ["--selftest"]:
        return selftest()
    ap = argparse.ArgumentParser(prog="score.py")
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("inputs")
    a.add_argument("set")
    a.add_argument("out")
    a.add_argument("lang")
    a = sub.add_parser("report")
    a.add_argument("--set", action="append", default=[], metavar="NAME=FILE")
    a.add_argument("--pred", action="append", default=[], metavar="TOOL:NAME=FILE")
    a.add_argument("--json")
    a = sub.add_parser("corpus")
    a.add_argument("--set", action="append", default=[], metavar="LANG=FILE")
    a.add_argument("--out", required=True)
    a.add_argument("--mb", type=float, default=8.0)
    a = sub.add_parser("timecmd")
    a.add_argument("input")
    a.add_argument("repeat", type=int)
    a.add_argument("command", nargs=argparse.REMAINDER)
    args = ap.parse_args(argv)

    if args.cmd == "timecmd":
        wall, cpu = timecmd(args.input, args.repeat, args.command)
        print("seconds %.6f\ncpu_seconds %.6f" % (wall, cpu))
        return 0
    if args.cmd == "inputs":
        with open(args.out, "w", encoding="utf-8") as f:
            for text, _, _ in load_set(args.set):
                f.write(json.dumps({"text": text, "language": args.lang}, ensure_ascii=False)
                        + "\n")
        return 0
    if args.cmd == "corpus":
        sets = []
        for spec in args.set:
            lang, _, path = spec.partition("=")
            sets.append((lang, load_set(path)))
        n = write_corpus(corpus_docs(sets, args.mb), args.out)
        print("%d" % n)
        return 0
    sets = {}
    for spec in args.set:
        name, _, path = spec.partition("=")
        sets[name] = (path, load_set(path))
    preds = {}
    for spec in args.pred:
        tool_set, _, path = spec.partition("=")
        tool, _, name = tool_set.rpartition(":")
        texts = [s[0] for s in sets[name][1]]
        preds[(tool, name)] = load_predictions(path, tool, texts)
    figures = report(sets, preds)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(figures, f, indent=1, sort_keys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
