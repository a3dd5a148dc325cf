//! Verification cases (検証案件) and the trusted verification bodies (検証機関) that run them.
//! A vendor requests a verification of a product by a trusted body whose scope covers the kind
//! and the product's category; the case then moves through the kit's workflow (history, audit,
//! notices to the other side), each transition by the parties its lifecycle names.

use domain::audit::AuditRecord;
use domain::verification::ProductId;
use domain::verification::case::{
    CaseId, CaseKind, CaseLifecycle, CasePlan, CaseState, CaseTransition, ClaimCheck, Decision,
};
use domain::verification::checklist::Verdict;
use domain::workflow::Lifecycle;
use store::{BodyRow, CaseRow, NewCase, Notice, TransitionRow};

use super::Verification;
use crate::authz::{VerifyOp, authorize_case, authorize_product, may_know_case};
use crate::workflow::{Step, apply_transition};
use crate::{Actor, AppError, Result, Scope};

/// A case as the use cases see it.
#[derive(Debug, Clone)]
pub struct CaseView {
    pub row: CaseRow,
    pub kind: CaseKind,
    pub state: CaseState,
    pub plan: CasePlan,
    pub decision: Option<Decision>,
    pub consents: CaseConsents,
}

/// Consents recorded on a case besides the vendor's own (its publication is the vendor's).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct CaseConsents {
    /// A trial's host organisation consented to publishing the track record: who and when.
    #[serde(default)]
    pub host: Option<Consent>,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Consent {
    pub by: String,
    pub at: i64,
}

/// The subject kind of a case's notes (trial observations).
pub const CASE_NOTES: &str = "verification.case";

impl CaseView {
    /// A trial's hosting user organisation.
    pub fn host_org(&self) -> Option<i64> {
        if self.kind == CaseKind::Trial { self.plan.host_org_id } else { None }
    }

    /// The actor is a member of the trial's host organisation.
    pub fn is_host(&self, actor: Option<&Actor>) -> bool {
        match (self.host_org(), actor) {
            (Some(h), Some(a)) => a.member_of(h).is_some() && a.has_scope(Scope::VerificationRead),
            _ => false,
        }
    }
    fn from_row(row: CaseRow) -> Result<CaseView> {
        let bad = || AppError::Internal(format!("case {} has kind {:?} state {:?}", row.id, row.kind, row.state));
        let kind = CaseKind::parse(&row.kind).ok_or_else(bad)?;
        let state = CaseState::parse(&row.state).ok_or_else(bad)?;
        let plan = serde_json::from_str(&row.plan_json).unwrap_or_default();
        let decision = row.decision.as_deref().and_then(Decision::parse);
        let consents = serde_json::from_str(&row.consents_json).unwrap_or_default();
        Ok(CaseView { row, kind, state, plan, decision, consents })
    }
}

/// What a case page shows to this viewer.
#[derive(Debug, Clone)]
pub struct CaseDetail {
    pub case: CaseView,
    pub history: Vec<TransitionRow>,
    /// The transitions this viewer may make now.
    pub actions: Vec<CaseTransition>,
    /// The body may record evidence and results per claim.
    pub can_record: bool,
    /// The viewer is the vendor, the body or the office (not the public).
    pub involved: bool,
    /// The testers' findings of the case.
    pub findings: Vec<store::FindingRow>,
    /// The body may add findings (while testing).
    pub can_add_findings: bool,
    /// A trial's observations (those involved; everyone once published).
    pub notes: Vec<store::NoteRow>,
    /// The viewer may log an observation (a trial under way: vendor, body, host).
    pub can_observe: bool,
    /// The viewer is of the host organisation and may consent to publication now.
    pub can_consent: bool,
    /// The viewer is of a trial's host organisation (sees the trial, not its evidence).
    pub is_host: bool,
    /// The body's members (id, name), for assigning testers (the body, when it scopes), and the
    /// assigned testers' names (those involved).
    pub body_members: Vec<(i64, String)>,
    pub testers: Vec<String>,
}

/// A trusted verification body as the public list shows it.
#[derive(Debug, Clone)]
pub struct BodyView {
    pub row: BodyRow,
    pub kinds: Vec<CaseKind>,
    pub categories: Vec<domain::verification::ProductCategory>,
}

impl BodyView {
    pub(super) fn from_row(row: BodyRow) -> BodyView {
        let kinds = row.kinds.split(',').filter_map(CaseKind::parse).collect();
        let categories = row.categories.split(',').filter_map(domain::verification::ProductCategory::parse).collect();
        BodyView { row, kinds, categories }
    }
}

/// What a transition carries besides its reason.
#[derive(Debug, Clone, Default)]
pub struct CaseStepInput {
    /// For `scope`: the plan (effectiveness cases get the product's claims when none are given).
    pub plan: Option<CasePlan>,
    /// For `decide`: pass | conditional | fail.
    pub decision: String,
    /// The reason or comment (required for decide, withdraw and cancel).
    pub comment: String,
}

impl Verification<'_> {
    /// The trusted verification bodies with their scopes (public).
    pub async fn trusted_bodies(&self) -> Result<Vec<BodyView>> {
        let now = self.now();
        Ok(self
            .store
            .bodies()
            .await?
            .into_iter()
            .filter(|b| b.state == "trusted" && b.valid_until.is_none_or(|v| v >= now))
            .map(BodyView::from_row)
            .collect())
    }

    /// The program office records a verification body as trusted, with its scope and validity.
    #[allow(clippy::too_many_arguments)]
    pub async fn trust_body(
        &self,
        actor: Option<&Actor>,
        org_id: i64,
        kinds: &[CaseKind],
        categories: &[domain::verification::ProductCategory],
        summary: &str,
        answers: &[(&str, &str)],
        valid_until: i64,
    ) -> Result<()> {
        if let Some(a) = actor
            && !a.is_program_operator()
        {
            return Err(AppError::Forbidden);
        }
        let org = self.store.org(domain::OrgId(org_id)).await?;
        if org.kind != domain::OrgKind::VerificationBody.code() {
            return Err(AppError::field("org_id", "検証機関の組織ではありません", "Not a verification body"));
        }
        let now = self.now();
        let k: Vec<&str> = kinds.iter().map(|k| k.code()).collect();
        let c: Vec<&str> = categories.iter().map(|c| c.code()).collect();
        let mut tx = self.store.begin().await?;
        // what the office trusted it on: the body's answers, every criterion met
        let application = domain::verification::body::BodyApplication {
            kinds: k.iter().map(|x| x.to_string()).collect(),
            categories: c.iter().map(|x| x.to_string()).collect(),
            summary: summary.to_string(),
            answers: answers.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect(),
        };
        let review: std::collections::BTreeMap<&str, domain::verification::body::CriterionReview> = answers
            .iter()
            .map(|(a, _)| (*a, domain::verification::body::CriterionReview { met: true, note: String::new() }))
            .collect();
        let (app_json, review_json) = (
            serde_json::to_string(&application).map_err(|e| AppError::Internal(e.to_string()))?,
            serde_json::to_string(&review).map_err(|e| AppError::Internal(e.to_string()))?,
        );
        tx.put_body(
            org_id,
            "trusted",
            &k.join(","),
            &c.join(","),
            summary,
            Some(valid_until),
            &app_json,
            &review_json,
            now,
        )
        .await?;
        tx.audit(
            &AuditRecord {
                actor: actor.map(|a| a.audit_name()).unwrap_or_else(|| "system:demo".into()),
                action: "verification.body_trusted".into(),
                subject: format!("org#{org_id}"),
                summary: format!("kinds={} categories={} valid_until={valid_until}", k.join(","), c.join(",")),
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A vendor asks a trusted body to verify a product (a version, when given): the body must be
    /// trusted now and its scope must cover the kind and the product's category.
    pub async fn request_case(
        &self,
        actor: &Actor,
        product: ProductId,
        version: Option<&str>,
        body_org_id: i64,
        kind: CaseKind,
        note: &str,
    ) -> Result<CaseId> {
        let d = self.product_detail(Some(actor), product, version).await?;
        authorize_product(Some(actor), VerifyOp::ManageProduct, d.product.vendor_org_id)?;
        let body = match self.store.body(body_org_id).await {
            Ok(b) => BodyView::from_row(b),
            Err(store::StoreError::NotFound) => {
                return Err(AppError::field("body_org_id", "検証機関を選択してください", "Choose a verification body"));
            }
            Err(e) => return Err(e.into()),
        };
        let now = self.now();
        if body.row.state != "trusted" || body.row.valid_until.is_some_and(|v| v < now) {
            return Err(AppError::conflict(
                "この検証機関は現在、検証を受託できません",
                "This verification body cannot take verifications now",
            ));
        }
        if !body.kinds.contains(&kind) || !body.categories.contains(&d.product.category) {
            return Err(AppError::field(
                "kind",
                "この検証機関の対象範囲（検証の種類・製品区分）に含まれません",
                "Outside this body's scope (kind of verification or product category)",
            ));
        }
        let note = domain::text::clean_text(note);
        if note.chars().count() > domain::verification::TEXT_MAX {
            return Err(AppError::field("note", "4000文字以内で入力してください", "At most 4000 characters"));
        }
        let version_id = if version.is_some() { d.selected.as_ref().map(|v| v.id) } else { None };
        let title = format!(
            "{} {}{}",
            d.product.product.name,
            d.selected.as_ref().filter(|_| version.is_some()).map(|v| v.version.as_str()).unwrap_or(""),
            kind.label(false)
        );
        let mut tx = self.store.begin().await?;
        let id = tx
            .insert_case(
                &NewCase {
                    product_id: product.0,
                    version_id,
                    body_org_id,
                    kind: kind.code(),
                    title: &title,
                    request_note: &note,
                    plan_json: "{}",
                },
                now,
            )
            .await?;
        tx.record_transition(
            &store::NewTransition {
                subject_kind: CaseLifecycle::SUBJECT,
                subject_id: id,
                actor_user_id: Some(actor.user_id),
                actor_name: &actor.name,
                action: "request",
                from_state: None,
                to_state: CaseState::Requested.code(),
                comment: &note,
            },
            now,
        )
        .await?;
        tx.audit(
            &AuditRecord {
                actor: actor.audit_name(),
                action: "verification.case_request".into(),
                subject: format!("case#{id}"),
                summary: format!("product#{} kind={} body=org#{body_org_id}", product.0, kind.code()),
            },
            now,
        )
        .await?;
        let ja = format!("検証の依頼: {title}");
        let en = format!("Verification requested: {} ({})", d.product.product.name, kind.label(true));
        let link = format!("/cases/{id}");
        tx.notify(
            &Notice { org_id: body_org_id, kind: "verification.case", subject_ja: &ja, subject_en: &en, link: &link },
            now,
        )
        .await?;
        store::Store::next_counter(&mut tx, super::index::LIST_VERSION).await?;
        tx.commit().await?;
        self.products_index.invalidate();
        Ok(CaseId(id))
    }

    pub(super) async fn case_view(&self, actor: Option<&Actor>, id: CaseId) -> Result<(CaseView, bool)> {
        let c = CaseView::from_row(self.store.case(id.0).await?)?;
        // involved: the vendor, the body, the office, reading with the scope for it (a token
        // without it sees what the public sees)
        let involved = actor.is_some_and(|a| {
            may_know_case(a, c.row.vendor_org_id, c.row.body_org_id) && a.has_scope(Scope::VerificationRead)
        });
        // the public sees published cases of public products; a trial's host sees its trial (its
        // plan, observations and consent; not the evidence or the findings before publication);
        // nobody else learns a case exists
        let public = c.state == CaseState::Published && c.row.product_public;
        if !(involved || public || c.is_host(actor)) {
            return Err(AppError::NotFound);
        }
        Ok((c, involved))
    }

    /// A case with its history and the actions this viewer may take (404 to those not involved,
    /// unless the case is published).
    pub async fn case_detail(&self, actor: Option<&Actor>, id: CaseId) -> Result<CaseDetail> {
        let (case, involved) = self.case_view(actor, id).await?;
        let history = self.store.transitions_of(CaseLifecycle::SUBJECT, id.0).await?;
        let actions: Vec<CaseTransition> = CaseTransition::ALL
            .into_iter()
            .filter(|t| CaseLifecycle::next(case.state, *t).is_ok())
            .filter(|t| {
                authorize_case(actor, CaseLifecycle::parties(*t), case.row.vendor_org_id, case.row.body_org_id).is_ok()
            })
            .collect();
        let can_record = case.state == CaseState::InProgress
            && authorize_case(
                actor,
                &[domain::workflow::Party::Reviewer],
                case.row.vendor_org_id,
                case.row.body_org_id,
            )
            .is_ok();
        // the vendor sees the testers' findings from the findings review on; the public once published
        let reviewer =
            authorize_case(actor, &[domain::workflow::Party::Reviewer], case.row.vendor_org_id, case.row.body_org_id)
                .is_ok();
        let shows_findings = match case.state {
            CaseState::Requested | CaseState::Scoped | CaseState::InProgress => {
                reviewer || actor.is_some_and(|a| a.is_program_operator())
            }
            _ => true,
        };
        let findings = if shows_findings && (involved || case.state == CaseState::Published) {
            self.store.findings_of_case(id.0).await?
        } else {
            Vec::new()
        };
        let is_host = case.is_host(actor);
        let notes = if case.kind == CaseKind::Trial { self.store.notes(CASE_NOTES, id.0).await? } else { Vec::new() };
        let can_observe = self.observer_org(actor, &case).is_some()
            && matches!(case.state, CaseState::InProgress | CaseState::FindingsReview);
        let can_consent = case.is_host(actor)
            && case.consents.host.is_none()
            && !matches!(case.state, CaseState::Published | CaseState::Withdrawn | CaseState::Cancelled);
        let members: Vec<(i64, String, String)> = if involved {
            let now = self.now();
            let m = self.store.members_of(case.row.body_org_id, now).await?;
            m.into_iter().map(|m| (m.user_id, m.display_name, m.role)).collect()
        } else {
            Vec::new()
        };
        let testers = members.iter().filter(|m| case.plan.testers.contains(&m.0)).map(|m| m.1.clone()).collect();
        let body_members = if actions.contains(&CaseTransition::Scope) {
            members.iter().map(|m| (m.0, m.1.clone())).collect()
        } else {
            Vec::new()
        };
        Ok(CaseDetail {
            is_host,
            body_members,
            testers,
            can_add_findings: can_record,
            findings,
            case,
            history,
            actions,
            can_record,
            involved,
            notes,
            can_observe,
            can_consent,
        })
    }

    /// The cases the actor is involved in (as vendor, as body, or all for the office).
    pub async fn my_cases(&self, actor: &Actor) -> Result<Vec<CaseView>> {
        actor.require_scope(Scope::VerificationRead)?;
        let vendors: Vec<i64> =
            actor.memberships.iter().filter(|m| m.kind == domain::OrgKind::Vendor).map(|m| m.org_id).collect();
        let bodies: Vec<i64> = actor.verification_bodies().map(|m| m.org_id).collect();
        let rows = self.store.cases_for(&vendors, &bodies, actor.is_program_operator()).await?;
        let mut out: Vec<CaseView> = rows.into_iter().map(CaseView::from_row).collect::<Result<_>>()?;
        // the trials an organisation of the actor hosts
        let others = actor
            .memberships
            .iter()
            .any(|m| !matches!(m.kind, domain::OrgKind::Vendor | domain::OrgKind::VerificationBody));
        if others && !actor.is_program_operator() {
            for r in self.store.cases_for(&[], &[], true).await? {
                let c = CaseView::from_row(r)?;
                if c.is_host(Some(actor)) && !out.iter().any(|o| o.row.id == c.row.id) {
                    out.push(c);
                }
            }
        }
        Ok(out)
    }

    /// A product's published cases (its page shows them to everyone) or all of them for those
    /// involved.
    pub async fn product_cases(&self, actor: Option<&Actor>, product: ProductId) -> Result<Vec<CaseView>> {
        let rows = self.store.cases_of_product(product.0).await?;
        let mut out = Vec::new();
        for r in rows {
            let c = CaseView::from_row(r)?;
            let involved = actor.is_some_and(|a| {
                may_know_case(a, c.row.vendor_org_id, c.row.body_org_id) && a.has_scope(Scope::VerificationRead)
            });
            if involved || (c.state == CaseState::Published && c.row.product_public) {
                out.push(c);
            }
        }
        Ok(out)
    }

    /// Moves a case: the lifecycle says whether the step is possible and who may take it; the
    /// plan is checked on `scope`, the decision needs every claim traced (effectiveness) and a
    /// reason; history, audit and a notice to the other side in one transaction.
    pub async fn case_step(
        &self,
        actor: &Actor,
        id: CaseId,
        t: CaseTransition,
        input: &CaseStepInput,
    ) -> Result<CaseState> {
        let (c, _) = self.case_view(Some(actor), id).await?;
        authorize_case(Some(actor), CaseLifecycle::parties(t), c.row.vendor_org_id, c.row.body_org_id)?;
        let mut plan = c.plan.clone();
        let mut decision = c.decision;
        let mut verdicts_seen: Option<i64> = None;
        match t {
            CaseTransition::Scope => {
                let mut p = input.plan.clone().unwrap_or_default();
                if c.kind == domain::verification::case::CaseKind::Effectiveness && p.claims.is_empty() {
                    // straight from the product (the body may not see a private product's page)
                    let product = self.store.product(c.row.product_id).await?;
                    let claims: Vec<String> = serde_json::from_str(&product.claims_json).unwrap_or_default();
                    p.claims = claims.into_iter().map(|claim| ClaimCheck { claim, ..Default::default() }).collect();
                }
                plan = p.check(c.kind).map_err(AppError::Invalid)?;
                // a trial's host: a user organisation (not a vendor, body or the office)
                if let Some(host) = plan.host_org_id.filter(|_| c.kind == CaseKind::Trial) {
                    let user_org = match self.store.org(domain::OrgId(host)).await {
                        Ok(o) => !matches!(
                            domain::OrgKind::parse(&o.kind),
                            Some(
                                domain::OrgKind::Vendor
                                    | domain::OrgKind::VerificationBody
                                    | domain::OrgKind::ProgramOffice
                            ) | None
                        ),
                        Err(store::StoreError::NotFound) => false,
                        Err(e) => return Err(e.into()),
                    };
                    if !user_org {
                        return Err(AppError::field(
                            "host_org_id",
                            "試行先は利用組織（中小企業など）を指定してください",
                            "The host must be a user organisation (an SME or similar)",
                        ));
                    }
                }
                // testers assigned: members of the body
                let members: Vec<i64> =
                    self.store.members_of(c.row.body_org_id, 0).await?.iter().map(|m| m.user_id).collect();
                plan.testers.sort_unstable();
                plan.testers.dedup();
                if let Some(x) = plan.testers.iter().find(|t| !members.contains(t)) {
                    return Err(AppError::Invalid(vec![domain::FieldError::new(
                        "testers",
                        format!("検証機関の所属でない利用者は割り当てられません: {x}"),
                        format!("Not a member of the body: user {x}"),
                    )]));
                }
            }
            CaseTransition::Publish if c.kind == CaseKind::Trial && c.consents.host.is_none() => {
                return Err(AppError::conflict(
                    "試行先の組織が公開に同意していないため、実績を公開できません",
                    "The host organisation has not consented; the track record cannot be published",
                ));
            }
            CaseTransition::Decide => {
                decision = Some(Decision::parse(input.decision.trim()).ok_or_else(|| {
                    AppError::field(
                        "decision",
                        "判定（合格・条件付き合格・不合格）を選択してください",
                        "Choose pass, conditional or fail",
                    )
                })?);
                if decision == Some(Decision::Pass) {
                    // read before the verdicts; taken again in the decision's transaction
                    verdicts_seen = Some(self.store.counter(&Self::verdicts_counter(id)).await?);
                    let cl = self.case_checklist(Some(actor), id).await?;
                    let open: Vec<String> = cl
                        .items
                        .iter()
                        .filter(|i| matches!(i.verdict, Verdict::Fail | Verdict::NotEvaluated))
                        .map(|i| format!("{} ({})", i.item.id, i.verdict.code()))
                        .collect();
                    if !open.is_empty() {
                        return Err(AppError::conflict(
                            format!(
                                "不適合または未評価のチェックリスト項目があるため合格にできません: {}",
                                open.join("、")
                            ),
                            format!(
                                "Checklist items fail or are not evaluated, so the case cannot pass: {}",
                                open.join("; ")
                            ),
                        ));
                    }
                }
                let open = plan.untraced_claims();
                if c.kind == domain::verification::case::CaseKind::Effectiveness && !open.is_empty() {
                    return Err(AppError::conflict(
                        format!("根拠と結果が記録されていない主張があります: {}", open.join("、")),
                        format!("Claims without evidence and a result: {}", open.join("; ")),
                    ));
                }
            }
            _ => {}
        }
        let now = self.now();
        let mut tx = self.store.begin().await?;
        if let Some(seen) = verdicts_seen {
            // a verdict or a checklist written since the check above: decide again on what is now.
            // Taken first, as the checklist changes take it first (one lock order, no deadlock).
            if store::Store::next_counter(&mut tx, &Self::verdicts_counter(id)).await? != seen + 1 {
                return Err(AppError::conflict(
                    "判定中にチェックリストが更新されました。再読み込みしてからやり直してください",
                    "The checklist changed while the case was being decided; reload and try again",
                ));
            }
        }
        let (ja, en) = (
            format!("検証案件「{}」: {}", c.row.title, t.label(false)),
            format!("Verification case \"{}\": {}", c.row.title, t.label(true)),
        );
        let link = format!("/cases/{}", id.0);
        // tell the other side: the body's moves to the vendor, the vendor's to the body
        let to_org = match CaseLifecycle::parties(t) {
            [domain::workflow::Party::Owner] => c.row.body_org_id,
            _ => c.row.vendor_org_id,
        };
        let to = apply_transition::<CaseLifecycle>(
            &mut tx,
            Step {
                subject_id: id.0,
                from: c.state,
                transition: t,
                actor: Some(actor),
                comment: &input.comment,
                notice: Some(Notice {
                    org_id: to_org,
                    kind: "verification.case",
                    subject_ja: &ja,
                    subject_en: &en,
                    link: &link,
                }),
            },
            now,
        )
        .await?;
        let plan_json = serde_json::to_string(&plan).map_err(|e| AppError::Internal(e.to_string()))?;
        let reason = if t == CaseTransition::Decide {
            domain::text::clean_text(&input.comment)
        } else {
            c.row.decision_reason.clone()
        };
        if !tx
            .update_case(id.0, c.state.code(), to.code(), &plan_json, decision.map(|d| d.code()), &reason, now)
            .await?
        {
            return Err(AppError::conflict(
                "他の利用者が先に更新しました。再読み込みしてからやり直してください",
                "The case was changed by someone else; reload and try again",
            ));
        }
        if t == CaseTransition::Decide && decision == Some(Decision::Pass) {
            self.issue_label(&mut tx, &c, now).await?;
        }
        // the product list shows each product's verification status (and, once published, the
        // case's findings in its counts)
        store::Store::next_counter(&mut tx, super::index::LIST_VERSION).await?;
        tx.commit().await?;
        self.products_index.invalidate();
        Ok(to)
    }

    /// A tester records a finding in a case being tested: title, description, reproduction steps
    /// and a CVSS v3.x/v4.0 vector whose score (and severity) is computed. It belongs to the case's
    /// version (or the product's newest) and stays out of public view until the case is published.
    pub async fn add_manual_finding(
        &self,
        actor: &Actor,
        id: CaseId,
        input: &domain::verification::case::ManualFindingInput,
        evidence: &[i64],
    ) -> Result<(i64, String)> {
        let (c, _) = self.case_view(Some(actor), id).await?;
        authorize_case(Some(actor), &[domain::workflow::Party::Reviewer], c.row.vendor_org_id, c.row.body_org_id)?;
        if c.state != CaseState::InProgress {
            return Err(AppError::conflict(
                "検証中の案件にだけ検出事項を追加できます",
                "Findings are added while testing",
            ));
        }
        // with testers assigned, they (and the body's admins) record findings
        let admin = actor.member_of(c.row.body_org_id).is_some_and(|m| m.role == domain::MembershipRole::Admin);
        if !c.plan.testers.is_empty() && !c.plan.testers.contains(&actor.user_id) && !admin {
            return Err(AppError::conflict(
                "この案件に割り当てられた検証員だけが検出事項を記録できます",
                "Only the testers assigned to this case record findings",
            ));
        }
        let f = domain::verification::case::ManualFinding::parse(input).map_err(AppError::Invalid)?;
        // evidence files it points to: the case's own
        let files: Vec<i64> = self.store.case_evidence(id.0).await?.iter().map(|e| e.id).collect();
        if let Some(bad) = evidence.iter().find(|e| !files.contains(e)) {
            return Err(AppError::Invalid(vec![domain::FieldError::new(
                "evidence",
                format!("この案件の証拠ではありません: {bad}"),
                format!("Not evidence of this case: {bad}"),
            )]));
        }
        let score = vulndb::cvss::base_score(&f.vector).ok_or_else(|| {
            AppError::field("vector", "CVSS ベクトルを読み取れません", "The CVSS vector could not be read")
        })?;
        let severity = vulndb::cvss::Level::from_score(score).name();
        let version = match c.row.version_id {
            Some(v) => self.store.product_version(v).await?,
            None => self.store.product_versions(c.row.product_id).await?.into_iter().next().ok_or_else(|| {
                AppError::conflict(
                    "製品にバージョンがありません。先に SBOM をアップロードしてください",
                    "The product has no version yet; upload an SBOM first",
                )
            })?,
        };
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let (fid, label) = tx
            .insert_manual_finding(
                version.id,
                id.0,
                &c.row.product_name,
                &version.version,
                &f.title,
                severity,
                Some(score),
                &f.vector,
                &f.description,
                &f.reproduction,
                now,
            )
            .await?;
        if !evidence.is_empty() {
            let mut ev = evidence.to_vec();
            ev.sort_unstable();
            ev.dedup();
            tx.set_finding_evidence(fid, &ev).await?;
        }
        tx.record_transition(
            &store::NewTransition {
                subject_kind: domain::verification::FindingLifecycle::SUBJECT,
                subject_id: fid,
                actor_user_id: Some(actor.user_id),
                actor_name: &actor.name,
                action: "found",
                from_state: None,
                to_state: "in_triage",
                comment: &format!("{label}: {}", f.title),
            },
            now,
        )
        .await?;
        tx.audit(
            &AuditRecord {
                actor: actor.audit_name(),
                action: "verification.manual_finding".into(),
                subject: format!("case#{}", id.0),
                summary: format!("{label} score={score:.1} vector={}", f.vector),
            },
            now,
        )
        .await?;
        store::Store::next_counter(&mut tx, super::index::LIST_VERSION).await?;
        tx.commit().await?;
        self.products_index.invalidate();
        Ok((fid, label))
    }

    /// The body records the evidence and result of each claim of an effectiveness case while
    /// testing (`claims` in the plan's order).
    pub async fn record_claims(&self, actor: &Actor, id: CaseId, claims: &[(String, String)]) -> Result<()> {
        let (c, _) = self.case_view(Some(actor), id).await?;
        authorize_case(Some(actor), &[domain::workflow::Party::Reviewer], c.row.vendor_org_id, c.row.body_org_id)?;
        if c.state != CaseState::InProgress {
            return Err(AppError::conflict("検証中の案件だけ記録できます", "Only a case in progress can be recorded"));
        }
        let mut plan = c.plan.clone();
        for (check, (evidence, result)) in plan.claims.iter_mut().zip(claims) {
            let result = result.trim();
            if !result.is_empty() && !matches!(result, "met" | "partly" | "not_met") {
                return Err(AppError::field(
                    "result",
                    "結果は met・partly・not_met のいずれかです",
                    "Result: met, partly or not_met",
                ));
            }
            check.evidence = domain::text::clean_line(evidence).chars().take(domain::verification::LINE_MAX).collect();
            check.result = result.to_string();
        }
        let now = self.now();
        let plan_json = serde_json::to_string(&plan).map_err(|e| AppError::Internal(e.to_string()))?;
        let mut tx = self.store.begin().await?;
        if !tx.update_case(id.0, c.state.code(), c.state.code(), &plan_json, None, &c.row.decision_reason, now).await? {
            return Err(AppError::conflict("他の利用者が先に更新しました", "The case was changed by someone else"));
        }
        tx.audit(
            &AuditRecord {
                actor: actor.audit_name(),
                action: "verification.case_claims".into(),
                subject: format!("case#{}", id.0),
                summary: format!("untraced={}", plan.untraced_claims().len()),
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Which organisation the actor writes a trial's observation for: the vendor, the body or
    /// the host (None: not a party of this trial).
    fn observer_org(&self, actor: Option<&Actor>, c: &CaseView) -> Option<(i64, String)> {
        let a = actor?;
        if c.kind != CaseKind::Trial || !a.has_scope(Scope::VerificationWrite) {
            return None;
        }
        [Some(c.row.vendor_org_id), Some(c.row.body_org_id), c.host_org()]
            .into_iter()
            .flatten()
            .find_map(|org| a.member_of(org).map(|m| (org, m.org_name.clone())))
    }

    /// A party of a trial under way logs an observation; the other parties are told.
    pub async fn add_observation(&self, actor: &Actor, id: CaseId, text: &str) -> Result<i64> {
        let (c, _) = self.case_view(Some(actor), id).await?;
        let Some((org, org_name)) = self.observer_org(Some(actor), &c) else {
            return Err(AppError::Forbidden);
        };
        if !matches!(c.state, CaseState::InProgress | CaseState::FindingsReview) {
            return Err(AppError::conflict(
                "観察記録は試行の実施中に記録します",
                "Observations are logged while the trial runs",
            ));
        }
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let note = crate::notes::add_note(
            &mut tx,
            CASE_NOTES,
            id.0,
            "observation",
            actor,
            Some((org, org_name.as_str())),
            text,
            now,
        )
        .await?;
        let (ja, en) = (
            format!("実環境試行「{}」に観察記録が追加されました", c.row.title),
            format!("New observation in the trial \"{}\"", c.row.title),
        );
        let link = format!("/cases/{}#observations", id.0);
        for other in [Some(c.row.vendor_org_id), Some(c.row.body_org_id), c.host_org()].into_iter().flatten() {
            if other != org {
                tx.notify(
                    &Notice { org_id: other, kind: "verification.case", subject_ja: &ja, subject_en: &en, link: &link },
                    now,
                )
                .await?;
            }
        }
        tx.commit().await?;
        Ok(note)
    }

    /// The trial's host organisation consents to publishing the track record (the vendor's
    /// consent is its publication); the vendor is told.
    pub async fn consent_trial(&self, actor: &Actor, id: CaseId) -> Result<()> {
        let (c, _) = self.case_view(Some(actor), id).await?;
        if !c.is_host(Some(actor)) || !actor.has_scope(Scope::VerificationWrite) {
            return Err(AppError::Forbidden);
        }
        if c.consents.host.is_some() {
            return Err(AppError::conflict("すでに同意しています", "Consent was already given"));
        }
        if matches!(c.state, CaseState::Published | CaseState::Withdrawn | CaseState::Cancelled) {
            return Err(AppError::conflict("この案件には同意できません", "This case can no longer be consented to"));
        }
        let now = self.now();
        let mut consents = c.consents.clone();
        consents.host = Some(Consent { by: actor.name.clone(), at: now });
        let json = serde_json::to_string(&consents).map_err(|e| AppError::Internal(e.to_string()))?;
        let mut tx = self.store.begin().await?;
        tx.set_case_consents(id.0, &json, now).await?;
        tx.audit(
            &AuditRecord {
                actor: actor.audit_name(),
                action: "verification.trial_consent".into(),
                subject: format!("case#{}", id.0),
                summary: format!("host=org#{}", c.host_org().unwrap_or_default()),
            },
            now,
        )
        .await?;
        let (ja, en) = (
            format!("実環境試行「{}」: 試行先が実績の公開に同意しました", c.row.title),
            format!("Trial \"{}\": the host consented to publishing the track record", c.row.title),
        );
        let link = format!("/cases/{}", id.0);
        tx.notify(
            &Notice {
                org_id: c.row.vendor_org_id,
                kind: "verification.case",
                subject_ja: &ja,
                subject_en: &en,
                link: &link,
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// What a case's exports hold (CycloneDX VEX, CSAF, SARIF, CSV, the printable report): the
    /// findings of the case's version (the product's newest when the case names none) — the
    /// scans' and this case's testers' — as the viewer may see them; the scans' of a private
    /// version only for those involved.
    pub async fn case_report(&self, actor: Option<&Actor>, id: CaseId) -> Result<super::ProductDetail> {
        let d = self.case_detail(actor, id).await?;
        let product = self.product_view(ProductId(d.case.row.product_id)).await?;
        let version = match d.case.row.version_id {
            Some(v) => Some(self.store.product_version(v).await?),
            None => self.store.product_versions(d.case.row.product_id).await?.into_iter().next(),
        };
        let mut findings: Vec<store::FindingRow> = match &version {
            Some(v) if d.involved || v.public => {
                self.store.findings(v.id).await?.into_iter().filter(|f| f.case_id.is_none()).collect()
            }
            _ => Vec::new(),
        };
        findings.extend(d.findings.iter().cloned());
        let mut open = domain::verification::SeverityCounts::default();
        for f in findings.iter().filter(|f| matches!(f.state.as_str(), "in_triage" | "exploitable")) {
            open.add(&f.severity, 1);
        }
        let selected = version.map(|v| super::VersionView {
            id: v.id,
            version: v.version,
            public: v.public,
            created_at: v.created_at,
            open,
        });
        Ok(super::ProductDetail {
            product,
            versions: selected.iter().cloned().collect(),
            selected,
            findings,
            components: 0,
            files: Vec::new(),
            can_manage: false,
            sees_private: d.involved,
        })
    }
}
