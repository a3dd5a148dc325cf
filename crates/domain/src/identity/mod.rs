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
}

impl OrgKind {
    pub const ALL: [OrgKind; 7] = [
        OrgKind::Vendor,
        OrgKind::Sme,
        OrgKind::Insurer,
        OrgKind::Chamber,
        OrgKind::RegistrationBody,
        OrgKind::VerificationBody,
        OrgKind::ProgramOffice,
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
