-- Failed sign-ins, for throttling (callpop_core::sign_in). Rows older than a day are pruned as new ones arrive.
CREATE TABLE sign_in_failures (
    id BIGSERIAL PRIMARY KEY,
    email TEXT NOT NULL,
    client TEXT NOT NULL,
    failed_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sign_in_failures_by_email ON sign_in_failures (email, failed_at);
CREATE INDEX sign_in_failures_by_client ON sign_in_failures (client, failed_at);
CREATE INDEX sessions_by_user ON sessions (user_id);
