-- Click-to-dial: an agent asks for an outbound call; the telephony side takes the request and places the call,
-- posting its events with the request's id. The PostgreSQL twin is ../postgres/0003_dial_requests.sql.
CREATE TABLE dial_requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    user_id INTEGER NOT NULL REFERENCES users (id),
    number_e164 TEXT NOT NULL,
    record_id TEXT,
    record_type TEXT,
    status TEXT NOT NULL,
    call_row_id INTEGER REFERENCES calls (id),
    requested_at TEXT NOT NULL,
    placed_at TEXT
);
CREATE INDEX dial_requests_pending ON dial_requests (account_id, status, id);

-- The record an agent last picked for a number is looked up by the caller's number.
CREATE INDEX calls_caller ON calls (account_id, caller_e164);
