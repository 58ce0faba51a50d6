//! Plans and roles, and the access rules that depend on them: who sees which calls and texts, who sees their
//! Salesforce panel, who may change settings. Pure decisions; the server fetches the facts and carries them out.

/// What an account pays for. Only the last three include Salesforce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Plan {
    Basic,
    SalesEngage,
    Enterprise,
    Connect,
}

impl Plan {
    pub const ALL: [Plan; 4] = [Plan::Basic, Plan::SalesEngage, Plan::Enterprise, Plan::Connect];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Basic => "basic",
            Self::SalesEngage => "sales_engage",
            Self::Enterprise => "enterprise",
            Self::Connect => "connect",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|plan| plan.as_str() == raw)
    }

    /// The plan's name as the price list writes it.
    pub fn display_name(self) -> &'static str {
        match self {
            Self::Basic => "Basic",
            Self::SalesEngage => "Sales Engage",
            Self::Enterprise => "Enterprise",
            Self::Connect => "Connect",
        }
    }

    /// Whether the plan includes the Salesforce integration.
    pub fn includes_salesforce(self) -> bool {
        !matches!(self, Self::Basic)
    }

    /// The sentence an account without Salesforce is shown, naming the plans that include it.
    pub fn salesforce_excluded_sentence(self) -> String {
        let including: Vec<&str> =
            Self::ALL.into_iter().filter(|plan| plan.includes_salesforce()).map(Plan::display_name).collect();
        let (last, others) = including.split_last().map_or(("", &[][..]), |(last, others)| (*last, others));
        format!(
            "Salesforce is available on the {} and {last} plans; this account is on the {} plan",
            others.join(", "),
            self.display_name()
        )
    }
}

/// A user's role, lowest to highest; each role can do everything the ones below it can.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    CallAgent,
    CallManager,
    ReportManager,
    Administrator,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::CallAgent, Role::CallManager, Role::ReportManager, Role::Administrator];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::CallAgent => "call_agent",
            Self::CallManager => "call_manager",
            Self::ReportManager => "report_manager",
            Self::Administrator => "administrator",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|role| role.as_str() == raw)
    }

    /// Whether the user sees every call and text of the account, not only their own.
    pub fn sees_all_calls(self) -> bool {
        self >= Self::CallManager
    }
}

/// Who is looking: a signed-in user of an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Viewer {
    pub account_id: i64,
    pub user_id: i64,
    pub role: Role,
}

/// Whose a call or text is: its account and the agent it was assigned to, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owner {
    pub account_id: i64,
    pub agent_user_id: Option<i64>,
}

/// How much of one call or text a viewer may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    /// Nothing, not even that it exists: another account's, or another agent's for a call agent.
    Hidden,
    /// The call or text, without what was sent to Salesforce.
    WithoutSalesforcePanel,
    /// The call or text and its Salesforce panel.
    WithSalesforcePanel,
}

/// What `viewer` may see of a call or text owned by `owner`, given the account's Limit Data Access option.
///
/// Nobody sees another account's; a call agent sees only what was assigned to them; a call manager and above see
/// the whole account's. The Salesforce panel follows `may_see_salesforce_panel`.
pub fn visibility(viewer: Viewer, owner: Owner, limit_data_access: bool) -> Visibility {
    let own = owner.agent_user_id == Some(viewer.user_id);
    if owner.account_id != viewer.account_id || !(own || viewer.role.sees_all_calls()) {
        Visibility::Hidden
    } else if may_see_salesforce_panel(viewer.role, limit_data_access) {
        Visibility::WithSalesforcePanel
    } else {
        Visibility::WithoutSalesforcePanel
    }
}

/// The things only some roles may do to an account's set-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminTask {
    ReadIntegrationOptions,
    ChangeIntegrationOptions,
    ReadSettingsHistory,
    ManageApiKeys,
    DownloadCallCenterDefinition,
    /// Link, relink or unlink the Salesforce org; read its connection and run the preflight check.
    ManageSalesforceLink,
    /// Create, change, reorder, delete and test triggers.
    ManageTriggers,
    /// Read the sync log and retry its items.
    ManageSyncLog,
    /// List and end the sessions of the account's users (a lost laptop, an agent who left).
    ManageUserSessions,
    /// Change the Salesforce Voice settings, generate the Telephony Integration key pair, download its certificate.
    ManageSalesforceVoice,
}

impl AdminTask {
    pub const ALL: [AdminTask; 10] = [
        AdminTask::ReadIntegrationOptions,
        AdminTask::ChangeIntegrationOptions,
        AdminTask::ReadSettingsHistory,
        AdminTask::ManageApiKeys,
        AdminTask::DownloadCallCenterDefinition,
        AdminTask::ManageSalesforceLink,
        AdminTask::ManageTriggers,
        AdminTask::ManageSyncLog,
        AdminTask::ManageUserSessions,
        AdminTask::ManageSalesforceVoice,
    ];
}

/// The lowest role that may do `task`. Today every set-up task is the administrators' (behaviour.md: "only
/// administrators change settings, triggers and the Salesforce link").
pub fn role_needed_for(task: AdminTask) -> Role {
    match task {
        AdminTask::ReadIntegrationOptions
        | AdminTask::ChangeIntegrationOptions
        | AdminTask::ReadSettingsHistory
        | AdminTask::ManageApiKeys
        | AdminTask::DownloadCallCenterDefinition
        | AdminTask::ManageSalesforceLink
        | AdminTask::ManageTriggers
        | AdminTask::ManageSyncLog
        | AdminTask::ManageUserSessions
        | AdminTask::ManageSalesforceVoice => Role::Administrator,
    }
}

/// Whether `role` may do `task`.
pub fn may(role: Role, task: AdminTask) -> bool {
    role >= role_needed_for(task)
}

/// Whether a user may see the Salesforce panel of a call they can see.
///
/// With Limit Data Access on, call agents and call managers may not; report managers and administrators may.
pub fn may_see_salesforce_panel(role: Role, limit_data_access: bool) -> bool {
    !limit_data_access || role >= Role::ReportManager
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for plan in Plan::ALL {
            assert_eq!(Plan::parse(plan.as_str()), Some(plan));
        }
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("owner"), None);
    }

    #[test]
    fn limit_data_access_hides_the_panel_from_agents_and_managers_only() {
        let allowed: Vec<_> = Role::ALL.into_iter().filter(|role| may_see_salesforce_panel(*role, true)).collect();
        assert_eq!(allowed, [Role::ReportManager, Role::Administrator]);
        assert!(Role::ALL.into_iter().all(|role| may_see_salesforce_panel(role, false)));
    }

    #[test]
    fn the_basic_plan_sentence_names_the_plans_that_include_salesforce() {
        assert_eq!(
            Plan::Basic.salesforce_excluded_sentence(),
            "Salesforce is available on the Sales Engage, Enterprise and Connect plans; this account is on the Basic plan"
        );
        assert_eq!(Plan::ALL.into_iter().filter(|plan| !plan.includes_salesforce()).collect::<Vec<_>>(), [Plan::Basic]);
    }

    /// Every role, own or another agent's call, same or other account, Limit Data Access on or off.
    #[test]
    fn visibility_follows_role_ownership_account_and_limit_data_access() {
        use Visibility::{Hidden, WithSalesforcePanel as Panel, WithoutSalesforcePanel as NoPanel};
        let owner_of = |account_id, agent_user_id| Owner { account_id, agent_user_id: Some(agent_user_id) };
        for role in Role::ALL {
            let viewer = Viewer { account_id: 1, user_id: 7, role };
            for limit_data_access in [false, true] {
                let with_access = if may_see_salesforce_panel(role, limit_data_access) { Panel } else { NoPanel };
                let others_call = if role == Role::CallAgent { Hidden } else { with_access };
                assert_eq!(visibility(viewer, owner_of(1, 7), limit_data_access), with_access, "{role:?} own");
                assert_eq!(visibility(viewer, owner_of(1, 8), limit_data_access), others_call, "{role:?} other's");
                let unassigned = Owner { account_id: 1, agent_user_id: None };
                assert_eq!(visibility(viewer, unassigned, limit_data_access), others_call, "{role:?} unassigned");
                assert_eq!(visibility(viewer, owner_of(2, 7), limit_data_access), Hidden, "{role:?} other account");
            }
        }
        let manager = Viewer { account_id: 1, user_id: 7, role: Role::CallManager };
        assert_eq!(visibility(manager, owner_of(1, 8), true), NoPanel);
    }

    #[test]
    fn only_administrators_do_set_up_tasks() {
        for task in AdminTask::ALL {
            let allowed: Vec<Role> = Role::ALL.into_iter().filter(|role| may(*role, task)).collect();
            assert_eq!(allowed, [Role::Administrator], "{task:?}");
        }
    }
}
