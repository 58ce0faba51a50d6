-- The platform's tables on SQLite: texts, the settings audit, the Salesforce audit trail and the sync status.
-- The PostgreSQL twin is ../postgres/0002_platform.sql: same tables and columns, native types there.

-- Where the call's Salesforce sync stands: pending (events not yet synced), synced, retrying, parked or failed.
-- Set to pending by every new event, and by the sync engine through `record_salesforce_step` afterwards.
ALTER TABLE calls ADD COLUMN sync_status TEXT NOT NULL DEFAULT 'pending';

-- A text message (SMS) in or out. Each message is one event: a retry of the same message id stores nothing new.
CREATE TABLE texts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    message_id TEXT NOT NULL,
    direction TEXT NOT NULL,
    from_e164 TEXT NOT NULL,
    to_e164 TEXT NOT NULL,
    body TEXT NOT NULL,
    agent_user_id INTEGER REFERENCES users (id),
    agent_ref TEXT,
    tracking_source TEXT,
    campaign TEXT,
    occurred_at TEXT NOT NULL,
    received_at TEXT NOT NULL,
    payload TEXT NOT NULL,
    sync_status TEXT NOT NULL DEFAULT 'pending',
    UNIQUE (account_id, message_id)
);
CREATE INDEX texts_agent ON texts (agent_user_id, occurred_at);
CREATE INDEX texts_occurred ON texts (account_id, occurred_at);

-- Outbox items caused by a text point at it; those caused by a call keep pointing at the call.
ALTER TABLE outbox ADD COLUMN text_row_id INTEGER REFERENCES texts (id);

-- Every change to an account's integration options: who, when, which option, old and new value (JSON).
CREATE TABLE settings_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    user_id INTEGER NOT NULL REFERENCES users (id),
    setting TEXT NOT NULL,
    old_value TEXT NOT NULL,
    new_value TEXT NOT NULL,
    changed_at TEXT NOT NULL
);
CREATE INDEX settings_changes_account ON settings_changes (account_id, id);

-- The Salesforce panel's data: one row per step the sync engine took for a call or a text, in order.
-- Written only through `SalesforceAuditStore::record_salesforce_step`.
CREATE TABLE salesforce_audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    call_row_id INTEGER REFERENCES calls (id),
    text_row_id INTEGER REFERENCES texts (id),
    outbox_id INTEGER REFERENCES outbox (id),
    occurred_at TEXT NOT NULL,
    step TEXT NOT NULL,
    object TEXT,
    record_id TEXT,
    fields TEXT NOT NULL,
    outcome TEXT NOT NULL,
    error_code TEXT,
    error_message TEXT,
    error_fields TEXT NOT NULL,
    api_requests INTEGER NOT NULL,
    detail TEXT,
    CHECK ((call_row_id IS NULL) <> (text_row_id IS NULL))
);
CREATE INDEX salesforce_audit_call ON salesforce_audit (call_row_id, id);
CREATE INDEX salesforce_audit_text ON salesforce_audit (text_row_id, id);
