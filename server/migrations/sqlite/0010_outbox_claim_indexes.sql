-- The sync worker's claim reads only what it can claim: items waiting for their time, and leases that ran out,
-- each from a partial index in the order it claims them. Finished items are in no index but the primary key, so
-- neither the claim nor the sync log slows as they accumulate.
DROP INDEX outbox_due;
CREATE INDEX outbox_waiting ON outbox (next_attempt_at, id) WHERE status IN ('pending', 'retrying');
CREATE INDEX outbox_leased ON outbox (lease_until, id) WHERE status = 'processing';
CREATE INDEX outbox_unfinished ON outbox (account_id, status, id) WHERE status <> 'done';
