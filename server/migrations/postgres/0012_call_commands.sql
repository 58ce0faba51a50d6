-- Call controls: an agent's command for one of their live calls (hang up, hold, resume, mute, unmute, transfer,
-- DTMF digits) waits here until the telephony side reads and acknowledges it (`done` or `failed` with a reason).
-- The SQLite twin is ../sqlite/0012_call_commands.sql.
CREATE TABLE call_commands (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    call_row_id BIGINT NOT NULL REFERENCES calls (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    command TEXT NOT NULL,
    -- A transfer's target: a number (E.164) or an agent of the account; the digits of `send_digits`.
    to_number TEXT,
    to_user_id BIGINT REFERENCES users (id),
    digits TEXT,
    status TEXT NOT NULL,
    reason TEXT,
    requested_at TIMESTAMPTZ NOT NULL,
    acked_at TIMESTAMPTZ
);
CREATE INDEX call_commands_pending ON call_commands (account_id, status, id);
CREATE INDEX call_commands_of_call ON call_commands (call_row_id, id);

-- A call's control state as the telephony side confirmed it. No row: neither held nor muted.
CREATE TABLE call_controls (
    call_row_id BIGINT PRIMARY KEY REFERENCES calls (id),
    held BOOLEAN NOT NULL DEFAULT FALSE,
    muted BOOLEAN NOT NULL DEFAULT FALSE,
    hung_up BOOLEAN NOT NULL DEFAULT FALSE,
    -- A transfer to a number, E.164: the agent's leg is over.
    transferred_to TEXT,
    updated_at TIMESTAMPTZ NOT NULL
);
