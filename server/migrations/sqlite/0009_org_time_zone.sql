-- The org's default time zone (Salesforce's Organization.TimeZoneSidKey, an IANA name such as America/Los_Angeles),
-- read when the org is linked and again when the admin runs the preflight check. A Task's ActivityDate is the call's
-- day in this zone. NULL when it is unknown (a link made before this column, or an org that refused the query):
-- dates are then UTC, and the preflight check says so.
ALTER TABLE salesforce_connections ADD COLUMN time_zone TEXT;
