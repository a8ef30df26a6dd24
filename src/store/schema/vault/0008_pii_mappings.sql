-- Pseudonym mappings of the PII API (P1): what POST /api/v1/pii/pseudonymize replaced, kept
-- so that the same user can restore it until it expires. The mapping JSON holds the real
-- values: it is stored only sealed (AES-256-GCM under a key derived from the vault's keys,
-- bound to tenant, mapping and user; src/pii/service.c), inside a vault that is encrypted
-- page by page too. Expired rows are erased by a background job and at access.
CREATE TABLE pii_mappings (
    id      TEXT PRIMARY KEY,               -- 32 hex characters, random
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,   -- the only user who may use it
    created INTEGER NOT NULL,               -- microseconds since the epoch, UTC
    updated INTEGER NOT NULL,
    expires INTEGER NOT NULL,
    entries INTEGER NOT NULL,               -- values held (a count, never a value)
    sealed  BLOB NOT NULL                   -- format byte, nonce, ciphertext, tag
) STRICT, WITHOUT ROWID;
CREATE INDEX pii_mappings_expires ON pii_mappings(expires);
CREATE INDEX pii_mappings_user ON pii_mappings(user_id, expires);
