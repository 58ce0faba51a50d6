-- What gets logged, and where: per account, which call types write a Task (each defaults to logged, so an account
-- without a row logs every call as before) and what a call's Task is related to (`WhatId`: none, open_case or
-- open_opportunity). Changes are audited in `settings_changes`.
CREATE TABLE logging_settings (
    account_id INTEGER PRIMARY KEY REFERENCES accounts (id),
    log_answered INTEGER NOT NULL DEFAULT 1,
    log_missed INTEGER NOT NULL DEFAULT 1,
    log_voicemail INTEGER NOT NULL DEFAULT 1,
    log_abandoned INTEGER NOT NULL DEFAULT 1,
    log_outbound_not_answered INTEGER NOT NULL DEFAULT 1,
    what_id_rule TEXT NOT NULL DEFAULT 'none',
    updated_at TEXT NOT NULL
);
