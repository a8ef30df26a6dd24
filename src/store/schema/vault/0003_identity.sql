-- Identity (I1-I6): roles, users, credentials, sessions, API tokens, one-time links.
-- Every secret a client presents (session id, API token, link token, recovery code) is
-- stored only as its SHA-256: 256-bit random values need no slow hash.

CREATE TABLE roles (
    id          TEXT PRIMARY KEY,           -- 'admin', 'editor', 'reader' or a random id
    name        TEXT NOT NULL UNIQUE COLLATE NOCASE,
    permissions TEXT NOT NULL,              -- JSON array of permission names
    pages       TEXT NOT NULL DEFAULT '[]', -- JSON array of web UI pages
    require_2fa INTEGER NOT NULL DEFAULT 0 CHECK (require_2fa IN (0, 1)),
    builtin     INTEGER NOT NULL DEFAULT 0 CHECK (builtin IN (0, 1)),
    created     INTEGER NOT NULL,           -- microseconds since the epoch, UTC
    updated     INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

INSERT INTO roles VALUES
  ('admin', 'admin',
   '["documents.read","documents.write","documents.delete","trash.purge","tags.manage",'
   || '"collections.manage","users.manage","roles.manage","audit.read","settings.manage",'
   || '"gdpr.manage","backups.manage","ai.use"]',
   '["search","documents","trash","tags","collections","users","roles","audit","settings",'
   || '"gdpr","backups","ask"]',
   1, 1, unixepoch() * 1000000, unixepoch() * 1000000),
  ('editor', 'editor',
   '["documents.read","documents.write","documents.delete","tags.manage",'
   || '"collections.manage","ai.use"]',
   '["search","documents","trash","tags","collections","ask"]',
   0, 1, unixepoch() * 1000000, unixepoch() * 1000000),
  ('reader', 'reader', '["documents.read","ai.use"]', '["search","documents","ask"]',
   0, 1, unixepoch() * 1000000, unixepoch() * 1000000);

CREATE TABLE users (
    id               TEXT PRIMARY KEY,      -- 32 hex characters, random
    email            TEXT NOT NULL,         -- as typed
    email_key        TEXT NOT NULL UNIQUE,  -- lower-cased: e-mails compare case-insensitively
    name             TEXT NOT NULL DEFAULT '',
    status           TEXT NOT NULL CHECK (status IN ('invited', 'active', 'disabled')),
    password_hash    TEXT,                  -- Argon2id string; NULL until the user chose one
    password_changed INTEGER NOT NULL DEFAULT 0,
    failed_logins    INTEGER NOT NULL DEFAULT 0,    -- consecutive
    lockouts         INTEGER NOT NULL DEFAULT 0,    -- lockouts in a row (the next one is longer)
    locked_until     INTEGER NOT NULL DEFAULT 0,
    totp_secret      BLOB,                  -- active second factor
    totp_pending     BLOB,                  -- enrolled, not yet confirmed
    totp_last_step   INTEGER NOT NULL DEFAULT 0,    -- no code of this step or earlier again
    created          INTEGER NOT NULL,
    updated          INTEGER NOT NULL,
    last_login       INTEGER NOT NULL DEFAULT 0
) STRICT, WITHOUT ROWID;

CREATE TABLE user_roles (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role_id TEXT NOT NULL REFERENCES roles(id) ON DELETE RESTRICT,
    PRIMARY KEY (user_id, role_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX user_roles_role ON user_roles(role_id);

CREATE TABLE password_history (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    hash    TEXT NOT NULL,
    created INTEGER NOT NULL
) STRICT;
CREATE INDEX password_history_user ON password_history(user_id, created);

CREATE TABLE recovery_codes (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    hash    BLOB NOT NULL,
    used    INTEGER NOT NULL DEFAULT 0,     -- when it was used; 0: still valid
    PRIMARY KEY (user_id, hash)
) STRICT, WITHOUT ROWID;

CREATE TABLE sessions (
    hash      BLOB PRIMARY KEY,             -- SHA-256 of the cookie's secret
    user_id   TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf      TEXT NOT NULL,                -- the X-CSRF-Token the session's writes must carry
    created   INTEGER NOT NULL,
    last_seen INTEGER NOT NULL,
    expires   INTEGER NOT NULL,             -- absolute end
    source    TEXT NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
    id        TEXT PRIMARY KEY,
    user_id   TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name      TEXT NOT NULL,
    hash      BLOB NOT NULL UNIQUE,
    read_only INTEGER NOT NULL CHECK (read_only IN (0, 1)),
    created   INTEGER NOT NULL,
    expires   INTEGER NOT NULL,
    last_used INTEGER NOT NULL DEFAULT 0,
    UNIQUE (user_id, name)
) STRICT, WITHOUT ROWID;

-- Invitation and reset links: single use, short lived.
CREATE TABLE auth_links (
    hash       BLOB PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('invitation', 'reset')),
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_by TEXT NOT NULL,
    created    INTEGER NOT NULL,
    expires    INTEGER NOT NULL,
    used       INTEGER NOT NULL DEFAULT 0
) STRICT, WITHOUT ROWID;
CREATE INDEX auth_links_user ON auth_links(user_id, kind);

-- Per-tenant settings as JSON values ('auth_policy').
CREATE TABLE settings (
    key     TEXT PRIMARY KEY,
    value   TEXT NOT NULL,
    updated INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
