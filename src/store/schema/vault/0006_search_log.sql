-- Every change of the full-text index in commit order: the in-memory copy of the index
-- (src/search/memidx.h) catches up from here within the reader's own snapshot. rid is the
-- doc_index row that was written or removed. Old entries are pruned as new ones come.
CREATE TABLE doc_index_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    rid INTEGER NOT NULL
);
