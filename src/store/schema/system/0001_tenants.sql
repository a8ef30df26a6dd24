-- Tenants and their wrapped data keys. system.db is encrypted with a key derived from the
-- master key; each wrapped DEK is also bound to its tenant id and key version.
CREATE TABLE tenants (
    id              TEXT PRIMARY KEY CHECK (length(id) = 32),
    slug            TEXT NOT NULL UNIQUE CHECK (length(slug) BETWEEN 2 AND 63),
    name            TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    status          TEXT NOT NULL CHECK (status IN ('active', 'suspended')),
    wrapped_dek     BLOB NOT NULL,
    key_version     INTEGER NOT NULL CHECK (key_version >= 1),
    kek_file        TEXT,                -- BYOK: the tenant's key-encryption key file
    pending_dek     BLOB,                -- set only while a key rotation is under way
    pending_version INTEGER,
    created         TEXT NOT NULL,       -- UTC, ISO 8601
    rotated         TEXT
) STRICT;
