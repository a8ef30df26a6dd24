-- Each vault's audit trail: the columns mean what they mean in system/0002_audit.sql.
CREATE TABLE audit_log (
    seq     INTEGER PRIMARY KEY,        -- 1, 2, 3... without gaps
    ts      INTEGER NOT NULL,           -- microseconds since the epoch, UTC
    event   TEXT NOT NULL,
    actor   TEXT NOT NULL,
    tenant  TEXT NOT NULL,
    source  TEXT NOT NULL,
    target  TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('success', 'failure', 'denied')),
    detail  TEXT NOT NULL,              -- a small JSON object, never secrets or content
    prev    BLOB NOT NULL,              -- hash of the entry before
    hash    BLOB NOT NULL,              -- SHA-256 of the canonical encoding
    mac     BLOB NOT NULL               -- HMAC-SHA-256 of the canonical encoding
) STRICT;
CREATE INDEX audit_log_ts ON audit_log(ts);
CREATE TABLE audit_checkpoints (
    seq       INTEGER PRIMARY KEY,
    hash      BLOB NOT NULL,
    ts        INTEGER NOT NULL,
    reason    TEXT NOT NULL,
    key_id    TEXT NOT NULL,
    signature BLOB NOT NULL             -- Ed25519 over scope, seq, hash, ts, reason
) STRICT;
CREATE TABLE audit_anchor (             -- where the retained trail starts after a purge
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    seq       INTEGER NOT NULL,
    prev      BLOB NOT NULL,
    ts        INTEGER NOT NULL,
    key_id    TEXT NOT NULL,
    signature BLOB NOT NULL
) STRICT;
