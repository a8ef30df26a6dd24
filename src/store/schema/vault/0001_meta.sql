-- Facts about the vault itself: its tenant id, when it was made, the first admin's e-mail
-- (recorded until the identity module turns it into an invitation).
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT, WITHOUT ROWID;
