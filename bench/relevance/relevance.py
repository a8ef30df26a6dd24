#!/usr/bin/python3
"""bench/relevance: ranking quality of coffre's search on Cranfield and CISI.

Indexes each collection of the shared evaluation data (read in place, never copied) THROUGH
coffre: `coffre init`, one tenant per collection (so that each has its own index and BM25
statistics), the first admin accepts the invitation and enrols TOTP, every document goes in by
POST /api/v1/documents, and every judged query goes through GET /api/v1/search (lang=en,
limit=50, offset paging up to the top 100). Scores MAP (top 100), nDCG@10 and P@10 against
the judgments, beside a plain BM25 computed here on the same texts (k1 1.2, b 0.75, lower-case
[a-z0-9]+ tokens, no stemming, no stop words) and the reference figures of the data README.

Standard library only (Debian's /usr/bin/python3). The account helpers of tests/e2e are
imported by path. Not a test: figures, not verdicts; it fails only when the benchmark fails.

    relevance.py --bin build/coffre [--data ../shared/data] [--only cranfield|cisi]
                 [--jobs 2] [--variants] [--json FILE]

Searches run from --jobs concurrent clients (2, the server's default thread count); documents
are posted by one. --variants adds diagnostic runs on the same server:
  no-alt   each query word sent as a one-word quoted phrase: the same English stems and stop
           words, without the French stem coffre adds to each word of an English query
  nolang   the queries without lang=: which language coffre guesses (when it guesses en, the
           parse and so the results are the same)
  nostem   a second tenant whose documents are marked "eo" (a language coffre accepts but has
           no stemmer or stop list for), queried with lang=eo: coffre's ranking without
           stemming and without stop words, the closest coffre gets to the plain BM25
"""
import argparse
import collections
import http.client
import json
import math
import os
import re
import ssl
import sys
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))

import accounts  # noqa: E402  (tests/e2e, by path)
import harness  # noqa: E402

K1, B = 1.2, 0.75
TOP = 100            # MAP is computed over the top 100
PAGE = 50            # the API's largest page
PASSWORD = "relevance bench password"
SENTINEL = "qzxvbench"   # a word in no document and no stop list

# Reference: plain BM25 figures of ../shared/data/README.md.
REFERENCE = {
    "cranfield": {"map": 0.29, "ndcg10": 0.35, "p10": 0.23},
    "cisi": {"map": 0.15, "ndcg10": 0.29, "p10": 0.25},
}
METRICS = (("map", "MAP@100"), ("ndcg10", "nDCG@10"), ("p10", "P@10"))


# ---------------------------------------------------------------- collections

def smart_records(path):
    """The records of a SMART-format file: [{'I': id, 'T': text, 'W': ..., ...}] in order."""
    records, cur, field = [], None, None
    with open(path, encoding="ascii", errors="replace", newline=None) as f:
        for line in f:
            m = re.match(r"^\.([A-Z])(?:\s+(\S+))?\s*$", line)
            if m:
                if m.group(1) == "I":
                    cur = {"I": m.group(2)}
                    records.append(cur)
                    field = None
                else:
                    field = m.group(1)
                    cur.setdefault(field, "")
                continue
            if cur is not None and field is not None:
                cur[field] += line
    return records


def one_line(text):
    return " ".join(text.split())


class Collection:
    """docs: [(number, title, body)]; queries: [(qid, text)] judged ones only;
    qrels: {qid: {doc number: gain}} (gain > 0 relevant); skipped: notes."""

    def __init__(self, name):
        self.name = name
        self.docs, self.queries, self.qrels, self.notes = [], [], {}, []


def load_cranfield(root):
    c = Collection("cranfield")
    d = os.path.join(root, "cranfield")
    empty = []
    for r in smart_records(os.path.join(d, "cran.all.1400")):
        title, body = one_line(r.get("T", "")), one_line(r.get("W", ""))
        if not title and not body:
            empty.append(r["I"])
            continue
        # .A (authors) and .B (bibliographic source) are left out: no query names an author
        # or a journal, and they only add noise tokens and length. .W repeats the title.
        c.docs.append((int(r["I"]), title or body[:80], body))
    if empty:
        c.notes.append(f"documents {', '.join(empty)} are empty in cran.all.1400: not indexed")
    # cranqrel numbers the queries 1..225 in file order; cran.qry ids skip numbers.
    qtext = []
    for r in smart_records(os.path.join(d, "cran.qry")):
        # "-dash" is how the SMART text spells a dash: typed as is, coffre would read an
        # exclusion of the word "dash". A user would type a dash.
        qtext.append(one_line(r.get("W", "").replace("-dash", "-")))
    judged = collections.defaultdict(dict)
    with open(os.path.join(d, "cranqrel")) as f:
        for line in f:
            parts = line.split()
            if len(parts) < 3:
                continue
            q, doc, code = int(parts[0]), int(parts[1]), int(parts[2])
            # Cleverdon's codes: 1 (complete answer) .. 4 (minimal interest), -1 not relevant.
            judged[q][doc] = 5 - code if 1 <= code <= 4 else 0
    no_rel = []
    for i, text in enumerate(qtext, start=1):
        if i not in judged:
            continue
        if not any(g > 0 for g in judged[i].values()):
            no_rel.append(i)
            continue
        c.queries.append((i, text))
        c.qrels[i] = judged[i]
    if no_rel:
        c.notes.append(f"{len(no_rel)} queries have no relevant document (only -1): not scored")
    return c


def load_cisi(root):
    c = Collection("cisi")
    d = os.path.join(root, "cisi")
    for r in smart_records(os.path.join(d, "CISI.ALL")):
        title = one_line(r.get("T", ""))
        body = one_line(r.get("W", ""))
        authors = one_line(r.get("A", ""))
        if authors:
            body += "\n" + authors      # .A as the last line of the body
        c.docs.append((int(r["I"]), title or body[:80], body))
    judged = collections.defaultdict(dict)
    with open(os.path.join(d, "CISI.REL")) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2:
                judged[int(parts[0])][int(parts[1])] = 1   # every listed pair is relevant
    for r in smart_records(os.path.join(d, "CISI.QRY")):
        q = int(r["I"])
        if q not in judged:
            continue
        # The statement of the need: its title (when it has one) and text; .A and .B of
        # the bibliographic queries are not part of what a user would type.
        text = one_line(r.get("T", "") + "\n" + r.get("W", ""))
        c.queries.append((q, text))
        c.qrels[q] = judged[q]
    return c


# ---------------------------------------------------------------- metrics

def evaluate(ranked, rels):
    """AP over the ranking (top TOP), nDCG@10 (linear gains), P@10 for one query."""
    ranked = ranked[:TOP]
    relevant = {d for d, g in rels.items() if g > 0}
    hits, ap = 0, 0.0
    for k, d in enumerate(ranked, start=1):
        if d in relevant:
            hits += 1
            ap += hits / k
    ap /= len(relevant)
    dcg = sum(rels.get(d, 0) / math.log2(k + 1) for k, d in enumerate(ranked[:10], start=1))
    ideal = sorted((g for g in rels.values() if g > 0), reverse=True)[:10]
    idcg = sum(g / math.log2(k + 1) for k, g in enumerate(ideal, start=1))
    p10 = sum(1 for d in ranked[:10] if d in relevant) / 10
    return {"map": ap, "ndcg10": dcg / idcg, "p10": p10}


def per_query(coll, runs):
    """{qid: metrics} over the judged queries."""
    return {qid: evaluate(runs.get(qid, []), coll.qrels[qid]) for qid, _ in coll.queries}


def mean_metrics(coll, runs):
    """runs: {qid: [doc numbers]} -> mean of each metric over the judged queries."""
    each = per_query(coll, runs)
    return {k: sum(m[k] for m in each.values()) / len(each) for k, _ in METRICS}


# ---------------------------------------------------------------- plain BM25

def tokens(text):
    return re.findall(r"[a-z0-9]+", text.lower())


def plain_bm25(coll):
    """{qid: top TOP doc numbers} by Okapi BM25 on title + body as one field: idf
    ln(1 + (N - n + 0.5) / (n + 0.5)), every occurrence of a query word counted (a word
    typed twice weighs twice), ties broken by document number."""
    postings = collections.defaultdict(list)
    lengths = {}
    for num, title, body in coll.docs:
        toks = tokens(title + "\n" + body)
        lengths[num] = len(toks)
        for t, tf in collections.Counter(toks).items():
            postings[t].append((num, tf))
    n = len(lengths)
    avgdl = sum(lengths.values()) / n
    runs = {}
    for qid, text in coll.queries:
        scores = collections.defaultdict(float)
        for t in tokens(text):          # every occurrence counts (query term frequency)
            plist = postings.get(t)
            if not plist:
                continue
            idf = math.log(1 + (n - len(plist) + 0.5) / (len(plist) + 0.5))
            for num, tf in plist:
                norm = K1 * (1 - B + B * lengths[num] / avgdl)
                scores[num] += idf * tf * (K1 + 1) / (tf + norm)
        runs[qid] = [d for d, _ in sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))][:TOP]
    return runs


# ---------------------------------------------------------------- coffre

class KeepAlive:
    """A harness.Server seen through keep-alive TLS connections, one per thread (what a
    Client calls), so that several threads can share one signed-in Client."""

    def __init__(self, srv):
        self.srv, self.local, self.all = srv, threading.local(), []

    def request(self, method, path, body=None, headers=None):
        for attempt in (0, 1):
            conn = getattr(self.local, "conn", None)
            if conn is None:
                conn = self.local.conn = self.srv.connect(timeout=300)
                self.all.append(conn)
            try:
                st, hdrs, data = self.srv.request(method, path, body, headers, conn=conn)
                if any(v.lower() == "close" for v in hdrs.get("connection", [])):
                    self.drop()
                return st, hdrs, data
            except (http.client.HTTPException, ConnectionError, ssl.SSLError, OSError):
                self.drop()
                if attempt or method != "GET":    # never send a write twice
                    raise
        raise AssertionError("unreachable")

    def drop(self):
        conn = getattr(self.local, "conn", None)
        if conn is not None:
            conn.close()
            self.local.conn = None

    def close(self):
        for conn in self.all:
            conn.close()


def tenant_client(srv, slug):
    """A signed-in admin (TOTP enrolled) of a new tenant, on a keep-alive connection."""
    email = f"admin@{slug}.example"
    _, token = accounts.create_tenant(srv, slug, email)
    client, _, _ = accounts.admin_session(srv, slug, email, PASSWORD, token)
    client.srv = KeepAlive(srv)
    return client


def post_documents(client, coll, language):
    """POSTs every document; returns ({coffre id: doc number}, seconds, bytes)."""
    ids, nbytes = {}, 0
    t0 = time.monotonic()
    for num, title, body in coll.docs:
        st, doc, _ = client.call("POST", "/api/v1/documents",
                                 {"title": title, "body": body, "language": language})
        if st != 201:
            raise AssertionError(f"{coll.name} document {num}: {st} {doc}")
        ids[doc["id"]] = num
        nbytes += len(title.encode()) + len(body.encode())
    return ids, time.monotonic() - t0, nbytes


def search(client, q, lang, limit=PAGE, offset=0, **filters):
    params = {"q": q, "limit": str(limit), "offset": str(offset), **filters}
    if lang is not None:
        params["lang"] = lang
    st, doc, _ = client.call("GET", "/api/v1/search?" + urllib.parse.urlencode(params))
    if st != 200:
        raise AssertionError(f"search {q[:60]!r}: {st} {doc}")
    return doc


def ranked_for(client, text, lang):
    """(top TOP doc ids, terms coffre kept, lang coffre used, requests) of one query."""
    ranked, first, requests = [], None, 0
    while len(ranked) < TOP:
        doc = search(client, text, lang, PAGE, len(ranked))
        requests += 1
        first = first or doc
        ranked += [h["id"] for h in doc["hits"]]
        if len(doc["hits"]) < PAGE or len(ranked) >= doc["total"]:
            break
    return ranked[:TOP], first["query"]["terms"], first["query"]["lang"], requests


def coffre_run(client, ids, queries, lang, jobs):
    """{qid: top TOP doc numbers}, {qid: terms coffre kept}, requests, seconds."""
    t0 = time.monotonic()
    with ThreadPoolExecutor(jobs) as pool:
        out = list(pool.map(lambda q: ranked_for(client, q[1], lang), queries))
    secs = time.monotonic() - t0
    runs = {qid: [ids[i] for i in o[0]] for (qid, _), o in zip(queries, out)}
    terms = {qid: o[1] for (qid, _), o in zip(queries, out)}
    return runs, terms, sum(o[3] for o in out), secs


def chunks(text):
    """What coffre's parser calls items: runs between spaces and double quotes."""
    return [c for c in re.split(r'[\s"]+', text) if c]


def kept_terms(client, text):
    """The stems coffre keeps of text, beside a sentinel word so that stop words alone are
    not taken for the query (coffre searches them when nothing else is left). Only the
    parse is wanted: a filter no document passes (updated after 2100) spares the search."""
    doc = search(client, text + " " + SENTINEL, "en", 1, **{"from": "2100-01-01T00:00:00Z"})
    return [t for t in doc["query"]["terms"] if t != SENTINEL]


def term_cap(client, queries, terms, jobs):
    """Queries where the 32-term cap dropped a word whose stem was not already kept: the
    stems of the whole query are collected by sending it in pieces of 10 items (under the
    cap even when an item is a phrase of several tokens)."""
    def lost(q):
        qid, text = q
        kept, items = set(terms[qid]), chunks(text)
        if len(items) <= 16:    # under 32 tokens even if every item were a 2-token phrase
            return None
        full = set()
        for i in range(0, len(items), 10):
            full |= set(kept_terms(client, " ".join(items[i:i + 10])))
        return (qid, len(full), len(full - kept)) if full - kept else None
    with ThreadPoolExecutor(jobs) as pool:
        return [x for x in pool.map(lost, queries) if x]


def noalt_queries(client, queries, jobs):
    """Each item that yields one kept (not stop) English token becomes a one-word quoted
    phrase: coffre stems it in English and adds no French stem; items coffre drops (stop
    words, punctuation) are left out; items the analyzer splits ("boundary-layer") are
    phrases already and stay as they are."""
    def key(item):
        return item.lower().strip(".,;:?!()'[]/")
    distinct = sorted({key(i) for _, t in queries for i in chunks(t)} - {""})
    with ThreadPoolExecutor(jobs) as pool:
        verdict = dict(zip(distinct, pool.map(lambda k: len(kept_terms(client, k)), distinct)))
    out = []
    for qid, text in queries:
        words = []
        for item in chunks(text):
            n = verdict.get(key(item), 0)
            if n == 1:
                words.append('"' + key(item) + '"')
            elif n > 1:
                words.append(item)
        out.append((qid, " ".join(words)))
    return out


# ---------------------------------------------------------------- report

def fmt_table(results, order):
    lines = []
    cols = ["coffre", "BM25 run", "reference", "coffre/BM25", "coffre/ref"]
    head = f"{'collection':<10} {'metric':<8} " + " ".join(f"{c:>11}" for c in cols)
    lines.append(head)
    for name in order:
        r = results[name]
        for key, label in METRICS:
            c, p, ref = r["coffre"][key], r["plain"][key], REFERENCE[name][key]
            lines.append(f"{name:<10} {label:<8} {c:11.3f} {p:11.3f} {ref:11.2f} "
                         f"{c / p if p else 0:11.2f} {c / ref:11.2f}")
    return "\n".join(lines)


def run_collection(srv, coll, args):
    r = {"notes": list(coll.notes)}
    t0 = time.monotonic()
    plain = plain_bm25(coll)
    r["plain"], r["plain_per_query"] = mean_metrics(coll, plain), per_query(coll, plain)
    r["plain_seconds"] = time.monotonic() - t0

    client = tenant_client(srv, coll.name)
    progress(f"{coll.name}: indexing {len(coll.docs)} documents through coffre")
    ids, secs, nbytes = post_documents(client, coll, "en")
    r["docs"], r["index_seconds"], r["index_bytes"] = len(ids), secs, nbytes
    progress(f"{coll.name}: {len(coll.queries)} queries")
    runs, terms, nreq, qsecs = coffre_run(client, ids, coll.queries, "en", args.jobs)
    r["coffre"], r["coffre_per_query"] = mean_metrics(coll, runs), per_query(coll, runs)
    r["queries"], r["search_requests"], r["query_seconds"] = len(coll.queries), nreq, qsecs
    r["empty_results"] = sum(1 for q, _ in coll.queries if not runs.get(q))
    r["term_cap"] = term_cap(client, coll.queries, terms, args.jobs)
    r["query_bytes_max"] = max(len(t.encode()) for _, t in coll.queries)
    if not args.variants:
        return r

    v = r["variants"] = {}
    progress(f"{coll.name}: variant no-alt")
    noalt = noalt_queries(client, coll.queries, args.jobs)
    v["no-alt: without the French stem of each word"] = mean_metrics(
        coll, coffre_run(client, ids, noalt, "en", args.jobs)[0])
    # Without lang= coffre guesses the language; the results differ only where it guesses fr.
    with ThreadPoolExecutor(args.jobs) as pool:
        guessed = list(pool.map(lambda q: search(client, q[1], None, 1, **{
            "from": "2100-01-01T00:00:00Z"})["query"]["lang"], coll.queries))
    fr = [q for q, g in zip(coll.queries, guessed) if g != "en"]
    r["nolang_guessed_fr"] = len(fr)
    if fr:
        other = dict(runs)
        other.update(coffre_run(client, ids, fr, None, args.jobs)[0])
        v["nolang: lang guessed"] = mean_metrics(coll, other)
    progress(f"{coll.name}: variant nostem (documents and queries in eo)")
    c2 = tenant_client(srv, coll.name + "-eo")
    ids2, _, _ = post_documents(c2, coll, "eo")
    v["nostem: eo, no stemmer, no stop words"] = mean_metrics(
        coll, coffre_run(c2, ids2, coll.queries, "eo", args.jobs)[0])
    return r


def progress(msg):
    print(f"bench/relevance: {msg}", file=sys.stderr, flush=True)


def report(results, order, binary, jobs, elapsed):
    print(f"bench/relevance: {', '.join(order)} through coffre ({binary}), search lang=en, "
          f"top {TOP} by pages of {PAGE}, {jobs} concurrent clients; "
          f"BM25 run: k1 {K1}, b {B}, [a-z0-9]+ tokens, no stemming")
    print(fmt_table(results, order))
    for name in order:
        r = results[name]
        print(f"{name}: {r['docs']} documents indexed in {r['index_seconds']:.1f} s "
              f"({r['docs'] / r['index_seconds']:.0f} documents/s, "
              f"{r['index_bytes'] / r['index_seconds'] / 1024:.0f} KiB/s, one client); "
              f"{r['queries']} queries, {r['search_requests']} searches in "
              f"{r['query_seconds']:.1f} s ({r['search_requests'] / r['query_seconds']:.1f} "
              f"searches/s, {r['queries'] / r['query_seconds']:.1f} queries/s)")
        cap = r["term_cap"]
        print(f"{name}: {len(cap)} of {r['queries']} queries lost words to the 32-term cap"
              + (f" (up to {max(n for _, n, _ in cap)} distinct stems, "
                 f"{sum(k for _, _, k in cap)} dropped in all)" if cap else "")
              + f"; longest query {r['query_bytes_max']} bytes (limit 4096); "
              f"{r['empty_results']} queries without results")
        for note in r["notes"]:
            print(f"{name}: {note}")
        if "nolang_guessed_fr" in r:
            print(f"{name}: without lang=, coffre guessed fr for {r['nolang_guessed_fr']} "
                  f"queries (en for the rest: same parse, same results)")
        for label, m in r.get("variants", {}).items():
            print(f"{name}: variant {label}: " + ", ".join(
                f"{lab} {m[k]:.3f}" for k, lab in METRICS))
    print(f"run time {elapsed:.0f} s")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "coffre"))
    ap.add_argument("--data", default=os.environ.get(
        "COFFRE_EVAL_DATA", os.path.normpath(os.path.join(ROOT, "..", "shared", "data"))))
    ap.add_argument("--only", choices=("cranfield", "cisi"))
    ap.add_argument("--jobs", type=int, default=2, help="concurrent search clients (2)")
    ap.add_argument("--variants", action="store_true", help="diagnostic runs (see above)")
    ap.add_argument("--json", help="write every figure to this file")
    args = ap.parse_args()

    harness.BIN = os.path.abspath(args.bin)
    if not os.access(harness.BIN, os.X_OK):
        sys.exit(f"bench/relevance: {harness.BIN} not found or not executable")
    started = time.monotonic()
    loaders = {"cranfield": load_cranfield, "cisi": load_cisi}
    order = [args.only] if args.only else ["cranfield", "cisi"]
    colls = {name: loaders[name](args.data) for name in order}

    results = {}
    srv = harness.Server()
    try:
        srv.start(sets=dict(accounts.FAST_ARGON, **{"server.rate_limit": "0"}))
        for name in order:
            results[name] = run_collection(srv, colls[name], args)
    finally:
        rc = srv.stop() if srv.proc is not None else 0
        log = srv.stderr()
        srv.close()
    if rc not in (0, None):
        print(f"bench/relevance: coffre serve exited with {rc}\n{log[-2000:]}", file=sys.stderr)

    elapsed = time.monotonic() - started
    report(results, order, os.path.relpath(harness.BIN), args.jobs, elapsed)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"results": results, "seconds": elapsed}, f, indent=1)


if __name__ == "__main__":
    main()
