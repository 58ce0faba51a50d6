-- After a call: the account's disposition list and after-call work, each agent's chosen status, and the agent's
-- notes and disposition per call (who wrote them, when). The effective status is computed (`callpop_core::wrap_up`)
-- from the chosen one, the agent's answered calls and the account's seconds: nothing here expires by itself.
CREATE TABLE wrap_up_settings (
    account_id INTEGER PRIMARY KEY REFERENCES accounts (id),
    dispositions TEXT NOT NULL,
    wrap_up_secs INTEGER NOT NULL,
    updated_by_user_id INTEGER NOT NULL REFERENCES users (id),
    updated_at TEXT NOT NULL
);

CREATE TABLE agent_statuses (
    user_id INTEGER PRIMARY KEY REFERENCES users (id),
    status TEXT NOT NULL,
    chosen_at TEXT NOT NULL,
    -- When the agent last clicked Done on after-call work.
    done_at TEXT
);

CREATE TABLE call_wrap_ups (
    call_row_id INTEGER PRIMARY KEY REFERENCES calls (id),
    notes TEXT NOT NULL,
    disposition TEXT,
    user_id INTEGER NOT NULL REFERENCES users (id),
    written_at TEXT NOT NULL
);

-- The agent's answered calls, newest end first: what after-call work is computed from.
CREATE INDEX calls_agent_answered ON calls (agent_user_id, ended_at) WHERE answered_at IS NOT NULL;
