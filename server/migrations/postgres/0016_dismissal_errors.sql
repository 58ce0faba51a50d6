-- The error a dismissal was given for (Salesforce's code and message), kept with it: a dismissal covers that failure
-- only. When the sync engine's own retry of the item (after the agent appended the call to a record) ends in a
-- different error, the dismissal ends and the item is listed again; when it writes the item, the dismissal ends too.
ALTER TABLE sync_log_dismissals ADD COLUMN error_code TEXT;
ALTER TABLE sync_log_dismissals ADD COLUMN error_message TEXT;
-- A current dismissal was given for the error its item still has.
UPDATE sync_log_dismissals
SET error_code = (SELECT outbox.last_error_code FROM outbox WHERE outbox.dismissal_id = sync_log_dismissals.id),
    error_message = (SELECT outbox.last_error FROM outbox WHERE outbox.dismissal_id = sync_log_dismissals.id);
