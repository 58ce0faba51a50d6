//! Sign-in throttling: whether a sign-in attempt may be checked at all, given the recent failures for its email
//! and its client address.
//!
//! Three limits over one sliding window, so that neither one attacker nor many can guess passwords quickly, and an
//! attacker who knows an agent's email cannot lock the agent out from the agent's own desk for long:
//! - the same email from the same client address: a few tries, then a pause (a person mistyping);
//! - the same email from any address: more, then a pause (guessing one account from many machines);
//! - one client address for any email: more again (one machine trying many accounts), generous enough for a call
//!   centre whose agents share one public address.
//!
//! A throttled attempt is refused before its password is checked, so it neither costs argon2's CPU nor tells the
//! attacker whether the password was right. API keys never pass through here: the telephony side keeps working
//! during a login attack.

/// The limits: how many failures each key may have within `window_secs` before attempts are refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignInLimits {
    pub window_secs: i64,
    pub per_email_and_client: usize,
    pub per_email: usize,
    pub per_client: usize,
}

impl Default for SignInLimits {
    /// 5 failures per email from one address, 20 per email, 50 per address, in 15 minutes (OWASP's guidance is a
    /// handful of attempts before a delay; the window bounds how long a lock-out lasts).
    fn default() -> Self {
        Self { window_secs: 15 * 60, per_email_and_client: 5, per_email: 20, per_client: 50 }
    }
}

impl std::str::FromStr for SignInLimits {
    type Err = String;

    /// `<per email from one address>,<per email>,<per address>`, e.g. `5,20,50` (the default): how an operator
    /// sets them. The window stays 15 minutes.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let numbers: Vec<usize> = text
            .split(',')
            .map(|part| part.trim().parse::<usize>().ok().filter(|number| *number > 0))
            .collect::<Option<_>>()
            .ok_or_else(|| format!("{text:?}: write three positive numbers, e.g. 5,20,50"))?;
        match numbers[..] {
            [per_email_and_client, per_email, per_client] => {
                Ok(Self { per_email_and_client, per_email, per_client, ..Self::default() })
            }
            _ => Err(format!("{text:?}: write three numbers (per email from one address, per email, per address)")),
        }
    }
}

/// One earlier failed sign-in: when (seconds since the epoch), and whether it matched this attempt's email and
/// client address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failure {
    pub at_secs: i64,
    pub same_email: bool,
    pub same_client: bool,
}

/// Which limit refused an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThrottledBy {
    EmailAndClient,
    Email,
    Client,
}

/// What to do with a sign-in attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInVerdict {
    /// Check the password.
    Check,
    /// Refuse without checking; the client may try again after `retry_after_secs`.
    Throttled { by: ThrottledBy, retry_after_secs: i64 },
}

impl ThrottledBy {
    const ALL: [ThrottledBy; 3] = [ThrottledBy::EmailAndClient, ThrottledBy::Email, ThrottledBy::Client];

    /// How many failures this key may have in the window.
    fn limit(self, limits: SignInLimits) -> usize {
        match self {
            Self::EmailAndClient => limits.per_email_and_client,
            Self::Email => limits.per_email,
            Self::Client => limits.per_client,
        }
    }

    /// Whether `failure` counts against this key.
    fn counts(self, failure: &Failure) -> bool {
        match self {
            Self::EmailAndClient => failure.same_email && failure.same_client,
            Self::Email => failure.same_email,
            Self::Client => failure.same_client,
        }
    }

    /// The refusal in a sentence for the person signing in.
    pub fn sentence(self) -> &'static str {
        match self {
            Self::EmailAndClient => "too many failed sign-ins for this email from this address",
            Self::Email => "too many failed sign-ins for this email",
            Self::Client => "too many failed sign-ins from this address",
        }
    }
}

/// Decides an attempt at `now_secs` from the failures recorded for its email or its client address (older ones
/// are ignored). The wait is until enough failures have left the window to be under every limit again.
pub fn decide(limits: SignInLimits, failures: &[Failure], now_secs: i64) -> SignInVerdict {
    let since = now_secs - limits.window_secs;
    let mut verdict = SignInVerdict::Check;
    for by in ThrottledBy::ALL {
        let limit = by.limit(limits);
        let mut times: Vec<i64> = failures
            .iter()
            .filter(|failure| failure.at_secs > since && by.counts(failure))
            .map(|failure| failure.at_secs)
            .collect();
        if limit == 0 || times.len() < limit {
            continue;
        }
        times.sort_unstable();
        // Under the limit again once all but `limit - 1` of the failures have aged out of the window.
        let must_expire = times[times.len() - limit];
        let retry_after_secs = (must_expire + limits.window_secs - now_secs).max(1);
        let longer = match verdict {
            SignInVerdict::Throttled { retry_after_secs: current, .. } => retry_after_secs > current,
            SignInVerdict::Check => true,
        };
        if longer {
            verdict = SignInVerdict::Throttled { by, retry_after_secs };
        }
    }
    verdict
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;

    fn failures(count: usize, same_email: bool, same_client: bool, first_at: i64) -> Vec<Failure> {
        (0..count).map(|index| Failure { at_secs: first_at + index as i64, same_email, same_client }).collect()
    }

    #[test]
    fn a_few_mistakes_are_checked_and_the_fifth_from_one_desk_pauses() {
        let limits = SignInLimits::default();
        assert_eq!(decide(limits, &failures(4, true, true, NOW - 60), NOW), SignInVerdict::Check);
        let verdict = decide(limits, &failures(5, true, true, NOW - 60), NOW);
        // The oldest of the five leaves the window 15 minutes after it happened.
        assert_eq!(
            verdict,
            SignInVerdict::Throttled { by: ThrottledBy::EmailAndClient, retry_after_secs: 15 * 60 - 60 }
        );
    }

    #[test]
    fn operators_write_the_three_limits_in_order() {
        let limits: SignInLimits = "3, 10,400".parse().unwrap();
        assert_eq!((limits.per_email_and_client, limits.per_email, limits.per_client), (3, 10, 400));
        assert_eq!(limits.window_secs, SignInLimits::default().window_secs);
        assert_eq!("5,20,50".parse::<SignInLimits>(), Ok(SignInLimits::default()));
        for bad in ["", "5,20", "5,20,50,1", "5,0,50", "five,20,50"] {
            assert!(bad.parse::<SignInLimits>().is_err(), "{bad}");
        }
    }

    #[test]
    fn failures_older_than_the_window_do_not_count() {
        let limits = SignInLimits::default();
        assert_eq!(decide(limits, &failures(100, true, true, NOW - 16 * 60 - 100), NOW), SignInVerdict::Check);
    }

    #[test]
    fn many_addresses_guessing_one_email_are_throttled_for_that_email_only() {
        let limits = SignInLimits::default();
        let spread = failures(20, true, false, NOW - 300);
        let verdict = decide(limits, &spread, NOW);
        assert!(matches!(verdict, SignInVerdict::Throttled { by: ThrottledBy::Email, .. }), "{verdict:?}");
        let other_email = failures(20, false, false, NOW - 300);
        assert_eq!(decide(limits, &other_email, NOW), SignInVerdict::Check);
    }

    #[test]
    fn one_address_trying_many_emails_is_throttled_by_address() {
        let limits = SignInLimits::default();
        let verdict = decide(limits, &failures(50, false, true, NOW - 10), NOW);
        assert_eq!(verdict, SignInVerdict::Throttled { by: ThrottledBy::Client, retry_after_secs: 15 * 60 - 10 });
    }

    #[test]
    fn the_longest_wait_wins_and_is_never_zero() {
        let limits = SignInLimits::default();
        let mut mixed = failures(50, false, true, NOW - 899);
        mixed.extend(failures(5, true, true, NOW - 100));
        let verdict = decide(limits, &mixed, NOW);
        assert_eq!(
            verdict,
            SignInVerdict::Throttled { by: ThrottledBy::EmailAndClient, retry_after_secs: 15 * 60 - 100 }
        );
        let at_the_edge = failures(5, true, true, NOW - 15 * 60 + 1);
        assert!(
            matches!(decide(limits, &at_the_edge, NOW), SignInVerdict::Throttled { retry_after_secs: 1, .. }),
            "a wait rounds up to one second"
        );
    }
}
