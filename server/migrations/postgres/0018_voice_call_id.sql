-- Salesforce Voice: the id of the call's VoiceCall, as the Telephony Integration API answered its create. The sync
-- engine's `voice_call` items (their own lane in the outbox) create it once and then update it by this id.
ALTER TABLE calls ADD COLUMN voice_call_id TEXT;
