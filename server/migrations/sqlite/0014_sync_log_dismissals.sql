-- An administrator's dismissal of a parked or failed sync-log item: who, when and why they chose to leave it alone.
-- Rows are never changed or deleted: they are the audit of every dismissal. `outbox.dismissal_id` points at the
-- item's current one; a retry clears it (the item is back in the default view), and the row stays.
CREATE TABLE sync_log_dismissals (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    outbox_id INTEGER NOT NULL REFERENCES outbox (id),
    user_id INTEGER NOT NULL REFERENCES users (id),
    reason TEXT NOT NULL,
    dismissed_at TEXT NOT NULL
);
CREATE INDEX sync_log_dismissals_item ON sync_log_dismissals (outbox_id, id);
ALTER TABLE outbox ADD COLUMN dismissal_id INTEGER REFERENCES sync_log_dismissals (id);
