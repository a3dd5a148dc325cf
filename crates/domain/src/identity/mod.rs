//! Organisations, users and roles shared by every program.

use serde::Serialize;

macro_rules! id_type {
    ($name:ident) => {
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, ::serde::Serialize, ::serde::Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(pub i64);
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}
pub(crate) use id_type;

id_type!(OrgId);
id_type!(UserId);
id_type!(TokenId);
id_type!(WebhookId);
id_type!(OutboxId);

/// The kinds of organisation that take part in the programs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    /// セキュリティ事業者 — security vendor or service provider.
    Vendor,
    /// 中小企業
    Sme,
    /// 損害保険会社
    Insurer,
    /// 商工会議所・商工会
    Chamber,
    /// 審査登録機関
    RegistrationBody,
    /// 検証機関
    VerificationBody,
    /// 制度事務局 (METI / IPA program office)
    ProgramOffice,
    /// 有識者・専門家 — experts who publish product reviews (the deck's 専門家レビュー).
    ExpertPanel,
}

impl OrgKind {
    pub const ALL: [OrgKind; 8] = [
        OrgKind::Vendor,
        OrgKind::Sme,
        OrgKind::Insurer,
        OrgKind::Chamber,
        OrgKind::RegistrationBody,
        OrgKind::VerificationBody,
        OrgKind::ProgramOffice,
        OrgKind::ExpertPanel,
    ];

    pub fn code(self) -> &'static str {
        match self {
            OrgKind::Vendor => "vendor",
            OrgKind::Sme => "sme",
            OrgKind::Insurer => "insurer",
            OrgKind::Chamber => "chamber",
            OrgKind::RegistrationBody => "registration_body",
            OrgKind::VerificationBody => "verification_body",
            OrgKind::ProgramOffice => "program_office",
            OrgKind::ExpertPanel => "expert_panel",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == s)
    }

    pub fn label(self, en: bool) -> &'static str {
        match (self, en) {
            (OrgKind::Vendor, false) => "セキュリティ事業者",
            (OrgKind::Vendor, true) => "Security vendor",
            (OrgKind::Sme, false) => "中小企業",
            (OrgKind::Sme, true) => "SME",
            (OrgKind::Insurer, false) => "損害保険会社",
            (OrgKind::Insurer, true) => "Insurer",
            (OrgKind::Chamber, false) => "商工会議所",
            (OrgKind::Chamber, true) => "Chamber of commerce",
            (OrgKind::RegistrationBody, false) => "審査登録機関",
            (OrgKind::RegistrationBody, true) => "Registration body",
            (OrgKind::VerificationBody, false) => "検証機関",
            (OrgKind::VerificationBody, true) => "Verification body",
            (OrgKind::ExpertPanel, false) => "有識者・専門家",
            (OrgKind::ExpertPanel, true) => "Expert panel",
            (OrgKind::ProgramOffice, false) => "制度事務局",
            (OrgKind::ProgramOffice, true) => "Program office",
        }
    }
}

/// A user's role within one organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MembershipRole {
    Admin,
    Member,
}

impl MembershipRole {
    pub fn code(self) -> &'static str {
        match self {
            MembershipRole::Admin => "admin",
            MembershipRole::Member => "member",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "admin" => Some(Self::Admin),
            "member" => Some(Self::Member),
            _ => None,
        }
    }
}

/// A validated e-mail address (lower-cased), used as the login name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(s: &str) -> Result<Self, crate::FieldError> {
        let s = s.trim().to_lowercase();
        let ok = s.len() <= 254
            && s.split_once('@')
                .is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !d.starts_with('.') && !d.ends_with('.'))
            && !s.chars().any(|c| c.is_whitespace() || c.is_control());
        if ok {
            Ok(Email(s))
        } else {
            Err(crate::FieldError::new("email", "メールアドレスの形式が正しくありません", "Not a valid e-mail address"))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Password policy: at least 12 characters.
pub fn check_password_policy(p: &str) -> Result<(), crate::FieldError> {
    if p.chars().count() < 12 {
        return Err(crate::FieldError::new(
            "password",
            "パスワードは12文字以上にしてください",
            "The password must be at least 12 characters",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn email_parsing() {
        assert_eq!(Email::parse(" A@Example.JP ").unwrap().as_str(), "a@example.jp");
        assert!(Email::parse("no-at").is_err());
        assert!(Email::parse("a@b").is_err());
        assert!(Email::parse("a b@c.jp").is_err());
    }
}

/// The failed-login count kept for one key (an account or a client address).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Throttle {
    pub failures: i64,
    /// When the current run of failures began.
    pub first_at: i64,
    /// No attempt is checked before this time.
    pub blocked_until: i64,
}

/// How failed logins are limited. Each attempt is counted *before* its password is checked (and
/// the count is undone when it succeeds), so attempts sent in parallel are limited as tightly as
/// attempts sent one by one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThrottlePolicy {
    /// Per account: `free` failures, then each attempt waits 2, 4, 8 … seconds, at most `cap`
    /// seconds, so the owner with the right password is never refused for longer than `cap`.
    /// A run of failures is forgotten after `forget` quiet seconds.
    Backoff { free: i64, cap: i64, forget: i64 },
    /// Per client address: at most `max` failures in `window` seconds.
    Window { max: i64, window: i64 },
}

impl ThrottlePolicy {
    /// Counts an attempt at `now`: the new state, or the seconds to wait before trying again.
    pub fn attempt(self, s: Throttle, now: i64) -> Result<Throttle, i64> {
        if s.blocked_until > now {
            return Err(s.blocked_until - now);
        }
        let mut s = s;
        let forget = match self {
            ThrottlePolicy::Backoff { forget, .. } => forget,
            ThrottlePolicy::Window { window, .. } => window,
        };
        if s.failures == 0 || now - s.first_at > forget {
            s = Throttle { failures: 0, first_at: now, blocked_until: 0 };
        }
        match self {
            ThrottlePolicy::Backoff { free, cap, .. } => {
                s.failures += 1;
                if s.failures >= free {
                    // at least 2 s: times are whole seconds, so a 1 s wait could end at once
                    let exp = (s.failures - free + 1).min(30) as u32;
                    s.blocked_until = now + 2i64.pow(exp).min(cap);
                }
            }
            ThrottlePolicy::Window { max, window } => {
                if s.failures >= max {
                    return Err((s.first_at + window - now).max(1));
                }
                s.failures += 1;
            }
        }
        Ok(s)
    }

    /// The attempt counted by [`attempt`](Self::attempt) succeeded.
    pub fn succeeded(self, s: Throttle) -> Throttle {
        match self {
            ThrottlePolicy::Backoff { .. } => Throttle::default(),
            ThrottlePolicy::Window { .. } => Throttle { failures: (s.failures - 1).max(0), ..s },
        }
    }
}

#[cfg(test)]
mod throttle_tests {
    use super::{Throttle, ThrottlePolicy};

    const ACCOUNT: ThrottlePolicy = ThrottlePolicy::Backoff { free: 5, cap: 60, forget: 86_400 };
    const ADDRESS: ThrottlePolicy = ThrottlePolicy::Window { max: 5, window: 900 };

    #[test]
    fn account_backs_off_exponentially_up_to_the_cap() {
        let mut s = Throttle::default();
        let mut now = 1_000;
        for _ in 0..4 {
            s = ACCOUNT.attempt(s, now).unwrap();
            assert_eq!(s.blocked_until, 0);
        }
        s = ACCOUNT.attempt(s, now).unwrap();
        assert_eq!(s.blocked_until, now + 2, "the fifth failure makes the next attempt wait 2 s");
        assert_eq!(ACCOUNT.attempt(s, now + 1), Err(1));
        let mut waits = Vec::new();
        for _ in 0..10 {
            now = s.blocked_until;
            s = ACCOUNT.attempt(s, now).unwrap();
            waits.push(s.blocked_until - now);
        }
        assert_eq!(waits, [4, 8, 16, 32, 60, 60, 60, 60, 60, 60]);
        // the owner's right password waits at most the cap, then resets everything
        now = s.blocked_until;
        s = ACCOUNT.attempt(s, now).unwrap();
        assert_eq!(ACCOUNT.succeeded(s), Throttle::default());
    }

    #[test]
    fn parallel_attempts_are_counted_before_they_are_checked() {
        // twenty attempts arriving together: each is counted in turn before any password is checked
        let (mut s, mut allowed) = (Throttle::default(), 0);
        for _ in 0..20 {
            if let Ok(n) = ACCOUNT.attempt(s, 5_000) {
                s = n;
                allowed += 1;
            }
        }
        assert_eq!(allowed, 5);
        let (mut s, mut allowed) = (Throttle::default(), 0);
        for _ in 0..20 {
            if let Ok(n) = ADDRESS.attempt(s, 5_000) {
                s = n;
                allowed += 1;
            }
        }
        assert_eq!(allowed, 5);
    }

    #[test]
    fn address_window_passes_and_successes_do_not_count() {
        let mut s = Throttle::default();
        for _ in 0..4 {
            s = ADDRESS.attempt(s, 100).unwrap();
        }
        let ok = ADDRESS.attempt(s, 100).unwrap();
        s = ADDRESS.succeeded(ok);
        assert_eq!(s.failures, 4, "a successful login is not a failure");
        s = ADDRESS.attempt(s, 100).unwrap();
        assert_eq!(ADDRESS.attempt(s, 200), Err(800));
        assert!(ADDRESS.attempt(s, 1_001).is_ok(), "the window passed");
    }
}
