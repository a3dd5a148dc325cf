//! Who may do what: one decision function for every registry operation, tested as a matrix.

use domain::{MembershipRole, OrgKind};

use crate::AppError;

/// One organisation the actor belongs to.
#[derive(Debug, Clone)]
pub struct Membership {
    pub org_id: i64,
    pub kind: OrgKind,
    pub role: MembershipRole,
    pub org_name: String,
}

/// What an API token may be used for. A browser session has every scope of its user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Read non-public registry data the user may see.
    RegistryRead,
    /// Provider operations: apply, edit, submit, upload, change, withdraw.
    RegistryWrite,
    /// Registration-body decisions.
    RegistryReview,
    /// Program-office operations.
    RegistryOperate,
    /// Read non-public verification data (products, findings, jobs) the user may see.
    VerificationRead,
    /// Vendor operations on products: register, edit, push SBOMs, triage.
    VerificationWrite,
}

impl Scope {
    pub const ALL: [Scope; 6] = [
        Scope::RegistryRead,
        Scope::RegistryWrite,
        Scope::RegistryReview,
        Scope::RegistryOperate,
        Scope::VerificationRead,
        Scope::VerificationWrite,
    ];
    pub fn code(self) -> &'static str {
        match self {
            Scope::RegistryRead => "registry:read",
            Scope::RegistryWrite => "registry:write",
            Scope::RegistryReview => "registry:review",
            Scope::RegistryOperate => "registry:operate",
            Scope::VerificationRead => "verification:read",
            Scope::VerificationWrite => "verification:write",
        }
    }
    pub fn parse(s: &str) -> Option<Scope> {
        Self::ALL.into_iter().find(|x| x.code() == s)
    }
}

/// A signed-in user (through a session or an API token).
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: i64,
    pub name: String,
    pub email: String,
    pub is_operator: bool,
    pub memberships: Vec<Membership>,
    /// None for a browser session; the token's scopes for an API client.
    pub token_scopes: Option<Vec<Scope>>,
}

impl Actor {
    pub fn has_scope(&self, s: Scope) -> bool {
        self.token_scopes.as_ref().is_none_or(|v| v.contains(&s))
    }

    /// Reads of private data need the read scope (pages too: a token may be sent to any URL).
    pub fn require_scope(&self, s: Scope) -> Result<(), AppError> {
        if self.has_scope(s) { Ok(()) } else { Err(AppError::Forbidden) }
    }

    /// An account's own business (its tokens, notification settings, webhooks): a browser
    /// session only, never an API token.
    pub fn require_session(&self) -> Result<(), AppError> {
        if self.token_scopes.is_some() { Err(AppError::Forbidden) } else { Ok(()) }
    }

    pub fn member_of(&self, org_id: i64) -> Option<&Membership> {
        self.memberships.iter().find(|m| m.org_id == org_id)
    }

    /// Program operator: the flag on the user, or membership of the program office.
    /// A program operator acting with the operate scope (a session, or a token that has it).
    pub fn acts_as_office(&self) -> bool {
        self.is_program_operator() && self.has_scope(Scope::RegistryOperate)
    }

    pub fn is_program_operator(&self) -> bool {
        self.is_operator || self.memberships.iter().any(|m| m.kind == OrgKind::ProgramOffice)
    }

    /// Provider organisations (vendors) the actor can apply for.
    pub fn provider_orgs(&self) -> impl Iterator<Item = &Membership> {
        self.memberships.iter().filter(|m| m.kind == OrgKind::Vendor)
    }

    /// Registration bodies the actor reviews for.
    pub fn body_orgs(&self) -> impl Iterator<Item = &Membership> {
        self.memberships.iter().filter(|m| m.kind == OrgKind::RegistrationBody)
    }

    /// Where a person lands after signing in when nothing else was asked for: the program
    /// office's console, a registration body's review queue, a provider's own services; the
    /// public list for everyone else.
    pub fn landing(&self) -> &'static str {
        if self.is_program_operator() {
            "/admin"
        } else if self.body_orgs().next().is_some() {
            "/review"
        } else if self.provider_orgs().next().is_some() {
            "/my"
        } else if self.memberships.iter().any(|m| m.kind == OrgKind::VerificationBody) {
            "/cases"
        } else {
            "/"
        }
    }

    /// Name written into audit entries: `user#ID <email>`.
    pub fn audit_name(&self) -> String {
        format!("user#{} <{}>", self.user_id, self.email)
    }
}

/// Every registry operation that needs a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Create an application for a provider organisation.
    Apply,
    /// Edit a draft or returned application.
    EditApplication,
    Submit,
    UploadEvidence,
    RequestChange,
    /// The provider withdraws its own service (admin of the provider only).
    WithdrawOwn,
    /// See a service that is not public, with its evidence and history.
    ViewPrivate,
    /// Return, approve, reject, approve or reject a change: the assigned registration body.
    Review,
    /// Surveillance, suspension, reinstatement, revocation, expiry sweep: the program office.
    Operate,
}

impl Op {
    pub const ALL: [Op; 9] = [
        Op::Apply,
        Op::EditApplication,
        Op::Submit,
        Op::UploadEvidence,
        Op::RequestChange,
        Op::WithdrawOwn,
        Op::ViewPrivate,
        Op::Review,
        Op::Operate,
    ];

    fn scope(self) -> Scope {
        match self {
            Op::ViewPrivate => Scope::RegistryRead,
            Op::Review => Scope::RegistryReview,
            Op::Operate => Scope::RegistryOperate,
            _ => Scope::RegistryWrite,
        }
    }
}

/// The organisations a decision is about.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    pub provider_org_id: i64,
    pub body_org_id: i64,
}

/// Whether the actor is connected to the service at all (its provider, its registration body, the
/// office), whatever a token's scopes: only those may learn that an unlisted service exists.
pub fn may_know(a: &Actor, t: Target) -> bool {
    a.member_of(t.provider_org_id).is_some_and(|m| m.kind == OrgKind::Vendor)
        || a.member_of(t.body_org_id).is_some_and(|m| m.kind == OrgKind::RegistrationBody)
        || a.is_program_operator()
}

/// The single authorization decision for registry operations.
pub fn authorize(actor: Option<&Actor>, op: Op, target: Target) -> Result<(), AppError> {
    let Some(a) = actor else {
        return Err(AppError::Unauthenticated);
    };
    if !a.has_scope(op.scope()) {
        return Err(AppError::Forbidden);
    }
    let provider = a.member_of(target.provider_org_id).filter(|m| m.kind == OrgKind::Vendor);
    let body = a.member_of(target.body_org_id).filter(|m| m.kind == OrgKind::RegistrationBody);
    let allowed = match op {
        Op::Apply | Op::EditApplication | Op::Submit | Op::UploadEvidence | Op::RequestChange => provider.is_some(),
        Op::WithdrawOwn => provider.is_some_and(|m| m.role == MembershipRole::Admin),
        Op::ViewPrivate => provider.is_some() || body.is_some() || a.is_program_operator(),
        Op::Review => body.is_some(),
        Op::Operate => a.is_program_operator(),
    };
    if allowed { Ok(()) } else { Err(AppError::Forbidden) }
}

/// Every verification-platform operation that needs a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifyOp {
    /// Register a product for a vendor organisation.
    RegisterProduct,
    /// Edit a product, add versions, upload SBOMs, captures and VEX documents, triage findings.
    ManageProduct,
    /// See a product that is not public, private versions, files and jobs.
    ViewPrivate,
}

impl VerifyOp {
    pub const ALL: [VerifyOp; 3] = [VerifyOp::RegisterProduct, VerifyOp::ManageProduct, VerifyOp::ViewPrivate];
    fn scope(self) -> Scope {
        match self {
            VerifyOp::ViewPrivate => Scope::VerificationRead,
            _ => Scope::VerificationWrite,
        }
    }
}

/// Whether the actor is connected to a vendor's product at all (the vendor, the office), whatever
/// a token's scopes: only those may learn that a private product exists.
pub fn may_know_product(a: &Actor, vendor_org_id: i64) -> bool {
    a.member_of(vendor_org_id).is_some_and(|m| m.kind == OrgKind::Vendor) || a.is_program_operator()
}

/// The single authorization decision for verification operations on a vendor's products.
pub fn authorize_product(actor: Option<&Actor>, op: VerifyOp, vendor_org_id: i64) -> Result<(), AppError> {
    let Some(a) = actor else {
        return Err(AppError::Unauthenticated);
    };
    if !a.has_scope(op.scope()) {
        return Err(AppError::Forbidden);
    }
    let vendor = a.member_of(vendor_org_id).is_some_and(|m| m.kind == OrgKind::Vendor);
    let allowed = match op {
        VerifyOp::RegisterProduct | VerifyOp::ManageProduct => vendor,
        VerifyOp::ViewPrivate => vendor || a.is_program_operator(),
    };
    if allowed { Ok(()) } else { Err(AppError::Forbidden) }
}

/// Verification bodies the actor works for (testers, experts of the body).
impl Actor {
    pub fn verification_bodies(&self) -> impl Iterator<Item = &Membership> {
        self.memberships.iter().filter(|m| m.kind == OrgKind::VerificationBody)
    }
}

/// Whether the actor is connected to a case (the product's vendor, the assigned verification
/// body, the office), whatever a token's scopes: only those may learn an unpublished case exists.
pub fn may_know_case(a: &Actor, vendor_org_id: i64, body_org_id: i64) -> bool {
    may_know_product(a, vendor_org_id) || a.member_of(body_org_id).is_some_and(|m| m.kind == OrgKind::VerificationBody)
}

/// The single decision for moving a case: each transition's parties (from its lifecycle)
/// against the actor's organisations.
pub fn authorize_case(
    actor: Option<&Actor>,
    parties: &[domain::workflow::Party],
    vendor_org_id: i64,
    body_org_id: i64,
) -> Result<(), AppError> {
    use domain::workflow::Party;
    let Some(a) = actor else {
        return Err(AppError::Unauthenticated);
    };
    if !a.has_scope(Scope::VerificationWrite) {
        return Err(AppError::Forbidden);
    }
    let vendor = a.member_of(vendor_org_id).filter(|m| m.kind == OrgKind::Vendor);
    let body = a.member_of(body_org_id).is_some_and(|m| m.kind == OrgKind::VerificationBody);
    let allowed = parties.iter().any(|p| match p {
        Party::Owner => vendor.is_some(),
        Party::OwnerAdmin => vendor.is_some_and(|m| m.role == MembershipRole::Admin),
        Party::Reviewer => body,
        Party::Operator => a.is_program_operator(),
        Party::System => false,
    });
    if allowed { Ok(()) } else { Err(AppError::Forbidden) }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROVIDER: i64 = 10;
    const OTHER_PROVIDER: i64 = 11;
    const BODY: i64 = 20;
    const OTHER_BODY: i64 = 21;
    const OFFICE: i64 = 30;
    const SME: i64 = 40;

    fn actor(org: i64, kind: OrgKind, role: MembershipRole) -> Actor {
        Actor {
            user_id: 1,
            name: "t".into(),
            email: "t@example.jp".into(),
            is_operator: false,
            memberships: vec![Membership { org_id: org, kind, role, org_name: "o".into() }],
            token_scopes: None,
        }
    }

    /// Every role against every registry operation: the designed answer, written out in full.
    #[test]
    fn authorization_matrix() {
        use MembershipRole::*;
        use Op::*;
        let target = Target { provider_org_id: PROVIDER, body_org_id: BODY };
        let roles: Vec<(&str, Option<Actor>)> = vec![
            ("anonymous", None),
            ("provider admin", Some(actor(PROVIDER, OrgKind::Vendor, Admin))),
            ("provider member", Some(actor(PROVIDER, OrgKind::Vendor, Member))),
            ("other provider", Some(actor(OTHER_PROVIDER, OrgKind::Vendor, Admin))),
            ("assigned body", Some(actor(BODY, OrgKind::RegistrationBody, Member))),
            ("other body", Some(actor(OTHER_BODY, OrgKind::RegistrationBody, Admin))),
            ("program office", Some(actor(OFFICE, OrgKind::ProgramOffice, Member))),
            ("sme", Some(actor(SME, OrgKind::Sme, Admin))),
        ];
        // Columns follow Op::ALL: Apply, Edit, Submit, Upload, Change, WithdrawOwn, ViewPrivate, Review, Operate.
        let expected: [(&str, [bool; 9]); 8] = [
            ("anonymous", [false, false, false, false, false, false, false, false, false]),
            ("provider admin", [true, true, true, true, true, true, true, false, false]),
            ("provider member", [true, true, true, true, true, false, true, false, false]),
            ("other provider", [false, false, false, false, false, false, false, false, false]),
            ("assigned body", [false, false, false, false, false, false, true, true, false]),
            ("other body", [false, false, false, false, false, false, false, false, false]),
            ("program office", [false, false, false, false, false, false, true, false, true]),
            ("sme", [false, false, false, false, false, false, false, false, false]),
        ];
        assert_eq!(
            Op::ALL,
            [Apply, EditApplication, Submit, UploadEvidence, RequestChange, WithdrawOwn, ViewPrivate, Review, Operate]
        );
        for ((name, a), (ename, row)) in roles.iter().zip(expected.iter()) {
            assert_eq!(name, ename);
            for (op, want) in Op::ALL.iter().zip(row) {
                let got = authorize(a.as_ref(), *op, target).is_ok();
                assert_eq!(got, *want, "{name} / {op:?}");
            }
        }
    }

    /// Every role against every verification operation on one vendor's product.
    #[test]
    fn verification_matrix() {
        use MembershipRole::*;
        let roles: Vec<(&str, Option<Actor>, [bool; 3])> = vec![
            ("anonymous", None, [false, false, false]),
            ("vendor admin", Some(actor(PROVIDER, OrgKind::Vendor, Admin)), [true, true, true]),
            ("vendor member", Some(actor(PROVIDER, OrgKind::Vendor, Member)), [true, true, true]),
            ("other vendor", Some(actor(OTHER_PROVIDER, OrgKind::Vendor, Admin)), [false, false, false]),
            ("verification body", Some(actor(BODY, OrgKind::VerificationBody, Admin)), [false, false, false]),
            ("program office", Some(actor(OFFICE, OrgKind::ProgramOffice, Member)), [false, false, true]),
            ("sme", Some(actor(SME, OrgKind::Sme, Admin)), [false, false, false]),
        ];
        for (name, a, row) in &roles {
            for (op, want) in VerifyOp::ALL.iter().zip(row) {
                assert_eq!(authorize_product(a.as_ref(), *op, PROVIDER).is_ok(), *want, "{name} / {op:?}");
            }
        }
        // a registry-only token cannot push SBOMs or read private products
        let mut a = actor(PROVIDER, OrgKind::Vendor, Admin);
        a.token_scopes = Some(vec![Scope::RegistryRead, Scope::RegistryWrite]);
        assert!(authorize_product(Some(&a), VerifyOp::ManageProduct, PROVIDER).is_err());
        a.token_scopes = Some(vec![Scope::VerificationWrite]);
        assert!(authorize_product(Some(&a), VerifyOp::ManageProduct, PROVIDER).is_ok());
        assert!(authorize_product(Some(&a), VerifyOp::ViewPrivate, PROVIDER).is_err());
    }

    /// Every role against every case transition: the lifecycle's parties decide.
    #[test]
    fn case_matrix() {
        use MembershipRole::*;
        use domain::verification::case::{CaseLifecycle, CaseTransition};
        use domain::workflow::Lifecycle;
        let roles: Vec<(&str, Option<Actor>)> = vec![
            ("anonymous", None),
            ("vendor", Some(actor(PROVIDER, OrgKind::Vendor, Member))),
            ("other vendor", Some(actor(OTHER_PROVIDER, OrgKind::Vendor, Admin))),
            ("assigned body", Some(actor(BODY, OrgKind::VerificationBody, Member))),
            ("other body", Some(actor(OTHER_BODY, OrgKind::VerificationBody, Admin))),
            ("office", Some(actor(OFFICE, OrgKind::ProgramOffice, Member))),
        ];
        // Scope, Start, SubmitFindings, Resume, Decide, Publish, Withdraw, Cancel
        let expected: [[bool; 8]; 6] = [
            [false; 8],
            [false, false, false, false, false, true, true, false],
            [false; 8],
            [true, true, true, true, true, false, false, true],
            [false; 8],
            [false, false, false, false, false, false, false, true],
        ];
        for ((name, a), row) in roles.iter().zip(expected) {
            for (t, want) in CaseTransition::ALL.iter().zip(row) {
                let got = authorize_case(a.as_ref(), CaseLifecycle::parties(*t), PROVIDER, BODY).is_ok();
                assert_eq!(got, want, "{name} / {t:?}");
            }
        }
    }

    #[test]
    fn token_scopes_narrow_a_user() {
        let mut a = actor(PROVIDER, OrgKind::Vendor, MembershipRole::Admin);
        a.token_scopes = Some(vec![Scope::RegistryRead]);
        let t = Target { provider_org_id: PROVIDER, body_org_id: BODY };
        assert!(authorize(Some(&a), Op::ViewPrivate, t).is_ok());
        assert!(matches!(authorize(Some(&a), Op::Submit, t), Err(AppError::Forbidden)));
    }
}
