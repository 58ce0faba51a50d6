-- callpop's schema on PostgreSQL. The SQLite twin is ../sqlite/0001_init.sql: same tables and columns.
-- Timestamps are timestamptz, JSON is jsonb, ids are identity columns (never reused, so stream ids resume exactly).

CREATE TABLE accounts (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    public_id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    plan TEXT NOT NULL,
    default_region TEXT NOT NULL,
    public_base_url TEXT NOT NULL,
    options JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE users (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    email TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    salesforce_user_id TEXT,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX users_account ON users (account_id);

CREATE TABLE api_keys (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    label TEXT NOT NULL,
    prefix TEXT NOT NULL,
    secret_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE stream_tickets (
    ticket_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    expires_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE calls (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id),
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
    agent_user_id BIGINT REFERENCES users (id),
    agent_ref TEXT,
    started_at TIMESTAMPTZ NOT NULL,
    answered_at TIMESTAMPTZ,
    ended_at TIMESTAMPTZ,
    duration_secs BIGINT,
    disposition TEXT,
    recording_url TEXT,
    keywords JSONB NOT NULL,
    tags JSONB NOT NULL,
    custom_fields JSONB NOT NULL,
    salesforce_record_id TEXT,
    salesforce_record_type TEXT,
    popped_at TIMESTAMPTZ,
    popped_by_user_id BIGINT REFERENCES users (id),
    updated_at TIMESTAMPTZ NOT NULL,
    UNIQUE (account_id, call_id)
);
CREATE INDEX calls_agent ON calls (agent_user_id, started_at);
CREATE INDEX calls_started ON calls (account_id, started_at);

CREATE TABLE call_events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    call_row_id BIGINT NOT NULL REFERENCES calls (id),
    kind TEXT NOT NULL,
    occurred_at TIMESTAMPTZ NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    payload JSONB NOT NULL,
    UNIQUE (call_row_id, kind)
);

-- The agents' event streams: one row per change to a call an agent should hear about. The row id is the SSE
-- event id; the stream renders the call's current state when it sends, so a replay is never stale.
CREATE TABLE agent_events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    call_row_id BIGINT NOT NULL REFERENCES calls (id),
    reason TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX agent_events_user ON agent_events (user_id, id);

CREATE TABLE activities (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    call_row_id BIGINT NOT NULL REFERENCES calls (id),
    record_id TEXT NOT NULL,
    record_type TEXT NOT NULL,
    chosen_by TEXT NOT NULL,
    user_id BIGINT REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL,
    UNIQUE (call_row_id, record_id)
);

-- Work for the Salesforce sync engine, written in the same transaction as what caused it.
CREATE TABLE outbox (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    kind TEXT NOT NULL,
    call_row_id BIGINT REFERENCES calls (id),
    payload JSONB NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    last_error TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
