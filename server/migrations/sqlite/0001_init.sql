-- callpop's schema on SQLite. The PostgreSQL twin is ../postgres/0001_init.sql: same tables, native types there.
-- Timestamps are RFC 3339 text (sqlx's chrono encoding), JSON is text.

CREATE TABLE accounts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    public_id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    plan TEXT NOT NULL,
    default_region TEXT NOT NULL,
    public_base_url TEXT NOT NULL,
    options TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    email TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    salesforce_user_id TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX users_account ON users (account_id);

CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    label TEXT NOT NULL,
    prefix TEXT NOT NULL,
    secret_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

CREATE TABLE stream_tickets (
    ticket_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id),
    expires_at TEXT NOT NULL
);

CREATE TABLE calls (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    call_id TEXT NOT NULL,
    direction TEXT NOT NULL,
    state TEXT NOT NULL,
    caller_e164 TEXT NOT NULL,
    caller_name TEXT,
    caller_city TEXT,
    caller_region TEXT,
    caller_country TEXT,
    tracking_number TEXT NOT NULL,
    tracking_source TEXT,
    campaign TEXT,
    agent_user_id INTEGER REFERENCES users (id),
    agent_ref TEXT,
    started_at TEXT NOT NULL,
    answered_at TEXT,
    ended_at TEXT,
    duration_secs INTEGER,
    disposition TEXT,
    recording_url TEXT,
    keywords TEXT NOT NULL,
    tags TEXT NOT NULL,
    custom_fields TEXT NOT NULL,
    salesforce_record_id TEXT,
    salesforce_record_type TEXT,
    popped_at TEXT,
    popped_by_user_id INTEGER REFERENCES users (id),
    updated_at TEXT NOT NULL,
    UNIQUE (account_id, call_id)
);
CREATE INDEX calls_agent ON calls (agent_user_id, started_at);
CREATE INDEX calls_started ON calls (account_id, started_at);

CREATE TABLE call_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    call_row_id INTEGER NOT NULL REFERENCES calls (id),
    kind TEXT NOT NULL,
    occurred_at TEXT NOT NULL,
    received_at TEXT NOT NULL,
    payload TEXT NOT NULL,
    UNIQUE (call_row_id, kind)
);

-- The agents' event streams: one row per change to a call an agent should hear about. The row id is the SSE
-- event id; the stream renders the call's current state when it sends, so a replay is never stale: AUTOINCREMENT never reuses one, so resuming is exact.
CREATE TABLE agent_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users (id),
    call_row_id INTEGER NOT NULL REFERENCES calls (id),
    reason TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX agent_events_user ON agent_events (user_id, id);

CREATE TABLE activities (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    call_row_id INTEGER NOT NULL REFERENCES calls (id),
    record_id TEXT NOT NULL,
    record_type TEXT NOT NULL,
    chosen_by TEXT NOT NULL,
    user_id INTEGER REFERENCES users (id),
    created_at TEXT NOT NULL,
    UNIQUE (call_row_id, record_id)
);

-- Work for the Salesforce sync engine, written in the same transaction as what caused it.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    kind TEXT NOT NULL,
    call_row_id INTEGER REFERENCES calls (id),
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
