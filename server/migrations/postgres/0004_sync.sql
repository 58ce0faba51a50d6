-- The sync engine's tables on PostgreSQL. The SQLite twin is ../sqlite/0004_sync.sql.

-- The org an account is linked to, and the integration user's tokens, sealed with the server's token key
-- (XChaCha20-Poly1305, bound to the account and the column). One connection per account.
CREATE TABLE salesforce_connections (
    account_id BIGINT PRIMARY KEY REFERENCES accounts (id),
    login_url TEXT NOT NULL,
    instance_url TEXT NOT NULL,
    org_id TEXT,
    user_id TEXT,
    username TEXT,
    access_token TEXT NOT NULL,
    refresh_token TEXT,
    connected_at TIMESTAMPTZ NOT NULL,
    connected_by_user_id BIGINT REFERENCES users (id),
    -- connected, or needs_relink when a refresh was refused: the admin must link the org again.
    status TEXT NOT NULL,
    -- REQUEST_LIMIT_EXCEEDED pauses the account's sync until then.
    paused_until TIMESTAMPTZ,
    api_used BIGINT,
    api_max BIGINT,
    last_error TEXT
);

-- An OAuth authorization in progress: the state handed to Salesforce, the PKCE verifier (sealed), who started it.
CREATE TABLE salesforce_link_states (
    state_hash TEXT PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    login_url TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);

-- An account's triggers, evaluated in `position` order. `rule` is callpop-core's `Trigger` as JSON.
CREATE TABLE triggers (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    position BIGINT NOT NULL,
    rule JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
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
ALTER TABLE outbox ADD COLUMN lease_until TIMESTAMPTZ;
-- Salesforce's own error for a parked or failed item (the sync log shows it): code and fields beside last_error.
ALTER TABLE outbox ADD COLUMN last_error_code TEXT;
ALTER TABLE outbox ADD COLUMN last_error_fields JSONB;
CREATE INDEX outbox_call ON outbox (call_row_id, id);
CREATE INDEX outbox_text ON outbox (text_row_id, id);
