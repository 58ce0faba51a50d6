-- Click-to-dial: an agent asks for an outbound call; the telephony side takes the request and places the call,
-- posting its events with the request's id. The SQLite twin is ../sqlite/0003_dial_requests.sql.
CREATE TABLE dial_requests (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    number_e164 TEXT NOT NULL,
    record_id TEXT,
    record_type TEXT,
    status TEXT NOT NULL,
    call_row_id BIGINT REFERENCES calls (id),
    requested_at TIMESTAMPTZ NOT NULL,
    placed_at TIMESTAMPTZ
);
CREATE INDEX dial_requests_pending ON dial_requests (account_id, status, id);

-- The record an agent last picked for a number is looked up by the caller's number.
CREATE INDEX calls_caller ON calls (account_id, caller_e164);
