-- A call event whose Task update the sync engine holds back (an answer, whose changes the call's end usually
-- brings a few minutes later in the same update). The outbox item waits, pending, until `until`; a later item of
-- the same call ends the hold at once (`SyncStore::release_holds`), so the call's end is never kept waiting.
CREATE TABLE outbox_holds (
    outbox_id BIGINT PRIMARY KEY REFERENCES outbox (id),
    call_row_id BIGINT NOT NULL REFERENCES calls (id),
    until TIMESTAMPTZ NOT NULL
);
