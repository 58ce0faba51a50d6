-- What gets logged, and where: per account, which call types write a Task (each defaults to logged, so an account
-- without a row logs every call as before) and what a call's Task is related to (`WhatId`: none, open_case or
-- open_opportunity). Changes are audited in `settings_changes`. The SQLite twin is ../sqlite/0015_logging_settings.sql.
CREATE TABLE logging_settings (
    account_id BIGINT PRIMARY KEY REFERENCES accounts (id),
    log_answered BOOLEAN NOT NULL DEFAULT TRUE,
    log_missed BOOLEAN NOT NULL DEFAULT TRUE,
    log_voicemail BOOLEAN NOT NULL DEFAULT TRUE,
    log_abandoned BOOLEAN NOT NULL DEFAULT TRUE,
    log_outbound_not_answered BOOLEAN NOT NULL DEFAULT TRUE,
    what_id_rule TEXT NOT NULL DEFAULT 'none',
    updated_at TIMESTAMPTZ NOT NULL
);
