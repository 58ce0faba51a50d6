-- A stream ticket belongs to the session that asked for it, not only to its user: signing out (or an administrator
-- ending the session, or a password change) makes its unused tickets worthless, and its open streams end. Tickets
-- live 60 s, so the ones issued before this migration are simply dropped.
DELETE FROM stream_tickets;
ALTER TABLE stream_tickets ADD COLUMN session_hash TEXT NOT NULL DEFAULT '';
