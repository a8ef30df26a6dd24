-- Full-text index (S1). One row per live document: title, tag names and body, each starting
-- with the language marker that tells the "coffre" tokenizer which stemmer to use. The index
-- lives in the vault, so it is encrypted like everything else; trashed documents leave it.
CREATE TABLE doc_index_map (
    rowid       INTEGER PRIMARY KEY,         -- the row of doc_index
    document_id TEXT NOT NULL UNIQUE REFERENCES documents(id) ON DELETE CASCADE
) STRICT;

CREATE VIRTUAL TABLE doc_index USING fts5(title, tags, body, tokenize = 'coffre');
