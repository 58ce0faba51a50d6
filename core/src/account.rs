//! Plans and roles, and the access rules that depend on them.

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

    /// Whether the plan includes the Salesforce integration.
    pub fn includes_salesforce(self) -> bool {
        !matches!(self, Self::Basic)
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
}
