-- Salesforce Voice with Partner Telephony, per account: which host the agents take calls in (open_cti,
-- salesforce_voice, or both during a migration), the contact center's API name, the Telephony Integration REST
-- API's base URL, and the key pair that signs its JWTs: the private key sealed with the server's token key (never
-- stored in the clear) and the self-signed certificate the admin uploads to the contact center. An account without
-- a row uses Open CTI. Changes are audited in `settings_changes`. The SQLite twin is ../sqlite/0017_voice_settings.sql.
CREATE TABLE voice_settings (
    account_id BIGINT PRIMARY KEY REFERENCES accounts (id),
    host TEXT NOT NULL DEFAULT 'open_cti',
    contact_center_api_name TEXT,
    telephony_base_url TEXT,
    sealed_private_key TEXT,
    certificate_pem TEXT,
    key_generated_at TIMESTAMPTZ,
    updated_at TIMESTAMPTZ NOT NULL
);
