-- Access (issue 12): keys gain a label, a scope, an expiry, a revocation and when they were last
-- used; named users with a password hash, a role and a scope; page sessions kept in the
-- database (they survive a restart); audit events name the user and the client address.
-- A scope is JSON `{"governorates": [...], "localities": [...]}`; NULL means everywhere.
ALTER TABLE api_keys ADD COLUMN label TEXT;
ALTER TABLE api_keys ADD COLUMN scope TEXT;
ALTER TABLE api_keys ADD COLUMN expires_at TEXT;
ALTER TABLE api_keys ADD COLUMN revoked_at TEXT;
ALTER TABLE api_keys ADD COLUMN last_used_at TEXT;

CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    agency_id TEXT NOT NULL REFERENCES agencies (id),
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    scope TEXT,
    password_hash TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    password_changed_at TEXT
);

-- A session's id is kept only as its SHA-256 (the browser holds the id itself).
CREATE TABLE user_sessions (
    id_hash TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    csrf TEXT NOT NULL,
    created_at TEXT NOT NULL,
    used_at TEXT NOT NULL
);
CREATE INDEX user_sessions_user ON user_sessions (user_id);

ALTER TABLE audit_events ADD COLUMN user_id TEXT;
ALTER TABLE audit_events ADD COLUMN address TEXT;
CREATE INDEX audit_events_action ON audit_events (action, at);
CREATE INDEX audit_events_target ON audit_events (target);
