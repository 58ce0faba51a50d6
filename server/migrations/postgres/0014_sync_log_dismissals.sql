-- An administrator's dismissal of a parked or failed sync-log item: who, when and why they chose to leave it alone.
-- Rows are never changed or deleted: they are the audit of every dismissal. `outbox.dismissal_id` points at the
-- item's current one; a retry clears it (the item is back in the default view), and the row stays.
CREATE TABLE sync_log_dismissals (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    outbox_id BIGINT NOT NULL REFERENCES outbox (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    reason TEXT NOT NULL,
    dismissed_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sync_log_dismissals_item ON sync_log_dismissals (outbox_id, id);
ALTER TABLE outbox ADD COLUMN dismissal_id BIGINT REFERENCES sync_log_dismissals (id);
