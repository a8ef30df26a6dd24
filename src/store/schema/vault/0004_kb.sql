-- Knowledge base (K1-K3, K5) and tag-based access (I8).
-- Times are microseconds since the epoch, UTC; ids are 32 random hex characters.

CREATE TABLE collections (
    id      TEXT PRIMARY KEY,
    name    TEXT NOT NULL UNIQUE COLLATE NOCASE,
    created INTEGER NOT NULL,
    updated INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- A restricted tag hides its documents from everyone not allowed it (docs/access.md).
CREATE TABLE tags (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE COLLATE NOCASE,
    restricted INTEGER NOT NULL DEFAULT 0 CHECK (restricted IN (0, 1)),
    created    INTEGER NOT NULL,
    updated    INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- Grants of tags to roles and users; deny wins over allow.
CREATE TABLE tag_grants (
    subject_kind TEXT NOT NULL CHECK (subject_kind IN ('role', 'user')),
    subject_id   TEXT NOT NULL,
    tag_id       TEXT NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    effect       TEXT NOT NULL CHECK (effect IN ('allow', 'deny')),
    PRIMARY KEY (subject_kind, subject_id, tag_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX tag_grants_tag ON tag_grants(tag_id);

-- The current state of each document; every state it had is in document_versions.
CREATE TABLE documents (
    id            TEXT PRIMARY KEY,
    title         TEXT NOT NULL,
    body          TEXT NOT NULL,
    language      TEXT NOT NULL,
    collection_id TEXT REFERENCES collections(id) ON DELETE SET NULL,
    author        TEXT NOT NULL,            -- user id of the creator (or 'import')
    created       INTEGER NOT NULL,
    updated       INTEGER NOT NULL,
    updated_by    TEXT NOT NULL,
    version       INTEGER NOT NULL,         -- the latest version's number
    deleted       INTEGER NOT NULL DEFAULT 0,   -- when it went to the trash; 0: live
    deleted_by    TEXT
) STRICT, WITHOUT ROWID;
CREATE INDEX documents_updated ON documents(deleted, updated, id);
CREATE INDEX documents_created ON documents(deleted, created, id);
CREATE INDEX documents_title ON documents(deleted, title, id);
CREATE INDEX documents_collection ON documents(collection_id);

CREATE TABLE document_tags (
    document_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    tag_id      TEXT NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    PRIMARY KEY (document_id, tag_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX document_tags_tag ON document_tags(tag_id, document_id);

CREATE TABLE document_versions (
    document_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    version     INTEGER NOT NULL,
    title       TEXT NOT NULL,
    body        TEXT NOT NULL,
    language    TEXT NOT NULL,
    collection  TEXT,                       -- the collection's name then
    tags        TEXT NOT NULL,              -- JSON array of tag names then
    author      TEXT NOT NULL,              -- who made this version
    created     INTEGER NOT NULL,
    note        TEXT NOT NULL DEFAULT '',   -- "restored from version 3"
    PRIMARY KEY (document_id, version)
) STRICT, WITHOUT ROWID;
