-- The sync engine's tables on SQLite. The PostgreSQL twin is ../postgres/0004_sync.sql.

-- The org an account is linked to, and the integration user's tokens, sealed with the server's token key
-- (XChaCha20-Poly1305, bound to the account and the column). One connection per account.
CREATE TABLE salesforce_connections (
    account_id INTEGER PRIMARY KEY REFERENCES accounts (id),
    login_url TEXT NOT NULL,
    instance_url TEXT NOT NULL,
    org_id TEXT,
    user_id TEXT,
    username TEXT,
    access_token TEXT NOT NULL,
    refresh_token TEXT,
    connected_at TEXT NOT NULL,
    connected_by_user_id INTEGER REFERENCES users (id),
    -- connected, or needs_relink when a refresh was refused: the admin must link the org again.
    status TEXT NOT NULL,
    -- REQUEST_LIMIT_EXCEEDED pauses the account's sync until then.
    paused_until TEXT,
    api_used INTEGER,
    api_max INTEGER,
    last_error TEXT
);

-- An OAuth authorization in progress: the state handed to Salesforce, the PKCE verifier (sealed), who started it.
CREATE TABLE salesforce_link_states (
    state_hash TEXT PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    user_id INTEGER NOT NULL REFERENCES users (id),
    login_url TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

-- An account's triggers, evaluated in `position` order. `rule` is callpop-core's `Trigger` as JSON.
CREATE TABLE triggers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    position INTEGER NOT NULL,
    rule TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX triggers_account ON triggers (account_id, position);

-- The Task callpop logged for a call and the record it is on, so later events update that Task.
ALTER TABLE calls ADD COLUMN salesforce_task_id TEXT;
ALTER TABLE calls ADD COLUMN salesforce_task_record_id TEXT;
-- With triggers: the record a trigger's find_or_create settled on, which later actions of the call act on.
ALTER TABLE calls ADD COLUMN trigger_record_id TEXT;
ALTER TABLE texts ADD COLUMN salesforce_record_id TEXT;
ALTER TABLE texts ADD COLUMN salesforce_task_id TEXT;

-- A claimed item is leased: if the server dies mid-item, the lease runs out and another worker takes it again.
ALTER TABLE outbox ADD COLUMN lease_until TEXT;
-- Salesforce's own error for a parked or failed item (the sync log shows it): code and fields beside last_error.
ALTER TABLE outbox ADD COLUMN last_error_code TEXT;
ALTER TABLE outbox ADD COLUMN last_error_fields TEXT;
CREATE INDEX outbox_call ON outbox (call_row_id, id);
CREATE INDEX outbox_text ON outbox (text_row_id, id);
