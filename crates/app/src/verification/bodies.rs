//! Verification bodies apply to be trusted; the program office reviews each application against
//! the deck's criteria, approves it with a validity period, returns or rejects it with a reason,
//! and can suspend a trusted body (and reinstate it). Every step goes through the kit's workflow
//! (history, audit, a notice to the other side); the public list shows trusted bodies within
//! their validity only.

use std::collections::BTreeMap;

use domain::OrgKind;
use domain::verification::body::{
    BodyApplication, BodyLifecycle, BodyState, BodyTransition, CRITERIA, CriterionReview, unmet,
};
use domain::workflow::Lifecycle;
use store::{Notice, TransitionRow};

use super::Verification;
use super::cases::BodyView;
use crate::workflow::{Step, apply_transition};
use crate::{Actor, AppError, Result, Scope};

/// The program office acting (with the operate scope, for tokens).
fn office(actor: &Actor) -> Result<()> {
    if actor.is_program_operator() && actor.has_scope(Scope::RegistryOperate) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// A body's standing, application, the office's review and the history, for the body itself and
/// the office.
#[derive(Debug, Clone)]
pub struct BodyDetail {
    pub org_id: i64,
    pub name: String,
    pub name_en: String,
    /// None: it has not applied yet.
    pub state: Option<BodyState>,
    pub view: Option<BodyView>,
    pub application: BodyApplication,
    pub review: BTreeMap<String, CriterionReview>,
    pub history: Vec<TransitionRow>,
    /// The transitions this viewer may make now.
    pub actions: Vec<BodyTransition>,
    /// Its validity has ended.
    pub expired: bool,
}

/// The office's decision as entered.
#[derive(Debug, Clone, Default)]
pub struct BodyDecision {
    pub review: BTreeMap<String, CriterionReview>,
    /// YYYY-MM-DD, for approval.
    pub valid_until: String,
    pub comment: String,
}

impl Verification<'_> {
    /// The verification body the actor is a member of.
    fn own_body(actor: &Actor) -> Result<i64> {
        actor.verification_bodies().map(|m| m.org_id).next().ok_or(AppError::Forbidden)
    }

    async fn body_detail_of(&self, actor: &Actor, org_id: i64) -> Result<BodyDetail> {
        let org = self.store.org(domain::OrgId(org_id)).await?;
        if org.kind != OrgKind::VerificationBody.code() {
            return Err(AppError::NotFound);
        }
        let row = match self.store.body(org_id).await {
            Ok(r) => Some(r),
            Err(store::StoreError::NotFound) => None,
            Err(e) => return Err(e.into()),
        };
        let state = row.as_ref().and_then(|r| BodyState::parse(&r.state));
        let application = row.as_ref().and_then(|r| serde_json::from_str(&r.application_json).ok()).unwrap_or_default();
        let review = row.as_ref().and_then(|r| serde_json::from_str(&r.review_json).ok()).unwrap_or_default();
        let history = self.store.transitions_of(BodyLifecycle::SUBJECT, org_id).await?;
        let office = office(actor).is_ok();
        let member = actor.verification_bodies().any(|m| m.org_id == org_id);
        let expired = row.as_ref().and_then(|r| r.valid_until).is_some_and(|v| v < self.now());
        let from = state.unwrap_or(BodyState::Returned);
        let live = matches!(state, Some(BodyState::Trusted | BodyState::Suspended)) && !expired;
        let actions = BodyTransition::ALL
            .into_iter()
            .filter(|t| BodyLifecycle::next(from, *t).is_ok())
            // a body within its validity does not apply again; an expired one is not reinstated
            .filter(|t| !((live && *t == BodyTransition::Apply) || (expired && *t == BodyTransition::Reinstate)))
            .filter(|t| match BodyLifecycle::parties(*t) {
                [domain::workflow::Party::Owner] => member,
                _ => office && state.is_some(),
            })
            .collect();
        Ok(BodyDetail {
            org_id,
            name: org.name,
            name_en: org.name_en,
            state,
            view: row.map(BodyView::from_row),
            application,
            review,
            history,
            actions,
            expired,
        })
    }

    /// The actor's own body: its application and standing (a member of a verification body).
    pub async fn my_body(&self, actor: &Actor) -> Result<BodyDetail> {
        actor.require_scope(Scope::VerificationRead)?;
        let org = Self::own_body(actor)?;
        self.body_detail_of(actor, org).await
    }

    /// A body as the office reviews it (the office, or the body's own members; 404 to others).
    pub async fn body_detail(&self, actor: &Actor, org_id: i64) -> Result<BodyDetail> {
        actor.require_scope(Scope::VerificationRead)?;
        if !(actor.is_program_operator() || actor.verification_bodies().any(|m| m.org_id == org_id)) {
            return Err(AppError::NotFound);
        }
        self.body_detail_of(actor, org_id).await
    }

    /// Every body with its standing, for the office's list (applications first).
    pub async fn bodies_for_office(&self, actor: &Actor) -> Result<Vec<BodyView>> {
        office(actor)?;
        let mut all: Vec<BodyView> = self.store.bodies().await?.into_iter().map(BodyView::from_row).collect();
        all.sort_by_key(|b| (b.row.state != BodyState::Applied.code(), b.row.state.clone(), b.row.name.clone()));
        Ok(all)
    }

    /// A body applies (or applies again after a return or a rejection) with its answers to the
    /// criteria; the office is told.
    pub async fn apply_body(&self, actor: &Actor, input: &BodyApplication) -> Result<BodyState> {
        actor.require_scope(Scope::VerificationWrite)?;
        let org = Self::own_body(actor)?;
        let d = self.body_detail_of(actor, org).await?;
        // a trusted (or suspended) body applies again once its validity has ended
        if matches!(d.state, Some(BodyState::Trusted | BodyState::Suspended)) && !d.expired {
            return Err(AppError::conflict(
                "有効期限内は申請し直せません",
                "The body is within its validity; it applies again once that ends",
            ));
        }
        let (app, kinds, categories) = input.check().map_err(AppError::Invalid)?;
        let from = d.state.unwrap_or(BodyState::Returned);
        let now = self.now();
        let app_json = serde_json::to_string(&app).map_err(|e| AppError::Internal(e.to_string()))?;
        let k: Vec<&str> = kinds.iter().map(|k| k.code()).collect();
        let c: Vec<&str> = categories.iter().map(|c| c.code()).collect();
        let office = self.store.orgs(Some(OrgKind::ProgramOffice.code())).await?.first().map(|o| o.id);
        let (ja, en) = (format!("検証機関の申請: {}", d.name), format!("Verification body application: {}", d.name));
        let link = format!("/admin/bodies/{org}");
        let mut tx = self.store.begin().await?;
        let to = apply_transition::<BodyLifecycle>(
            &mut tx,
            Step {
                subject_id: org,
                from,
                transition: BodyTransition::Apply,
                actor: Some(actor),
                comment: "",
                notice: office.map(|o| Notice {
                    org_id: o,
                    kind: "verification.body",
                    subject_ja: &ja,
                    subject_en: &en,
                    link: &link,
                }),
            },
            now,
        )
        .await?;
        let saved = tx
            .save_body_application(
                org,
                d.state.map(|s| s.code()),
                to.code(),
                &app_json,
                &k.join(","),
                &c.join(","),
                &app.summary,
                now,
            )
            .await?;
        if !saved {
            return Err(AppError::conflict(
                "他の利用者が先に更新しました。再読み込みしてからやり直してください",
                "The application was changed by someone else; reload and try again",
            ));
        }
        tx.commit().await?;
        Ok(to)
    }

    /// The office decides on a body: approve (every criterion met, with a validity date), return
    /// or reject (with a reason), suspend (with a reason) or reinstate; the body is told.
    pub async fn decide_body(
        &self,
        actor: &Actor,
        org_id: i64,
        t: BodyTransition,
        input: &BodyDecision,
    ) -> Result<BodyState> {
        office(actor)?;
        let d = self.body_detail_of(actor, org_id).await?;
        let from = d.state.ok_or(AppError::NotFound)?;
        // a body whose validity has ended is not reinstated: it applies again
        if t == BodyTransition::Reinstate && d.expired {
            return Err(AppError::conflict(
                "有効期限が切れているため再開できません。改めて申請を受けてください",
                "The validity has ended; the body applies again instead",
            ));
        }
        if !BodyLifecycle::parties(t).contains(&domain::workflow::Party::Operator) {
            return Err(AppError::Forbidden);
        }
        // the review is kept as entered (notes cleaned), whatever the decision
        let review: BTreeMap<String, CriterionReview> = CRITERIA
            .iter()
            .map(|c| {
                let r = input.review.get(c.0).cloned().unwrap_or_default();
                let note: String = domain::text::clean_text(&r.note).chars().take(1000).collect();
                (c.0.to_string(), CriterionReview { met: r.met, note })
            })
            .collect();
        let review =
            if matches!(t, BodyTransition::Suspend | BodyTransition::Reinstate) { d.review.clone() } else { review };
        let mut valid_until = None;
        if t == BodyTransition::Approve {
            let open = unmet(&review);
            if !open.is_empty() {
                let names: Vec<&str> = CRITERIA.iter().filter(|c| open.contains(&c.0)).map(|c| c.2).collect();
                let names_en: Vec<&str> = CRITERIA.iter().filter(|c| open.contains(&c.0)).map(|c| c.3).collect();
                return Err(AppError::conflict(
                    format!("満たされていない基準があるため承認できません: {}", names.join("、")),
                    format!("Criteria not met, so it cannot be approved: {}", names_en.join("; ")),
                ));
            }
            let typed = domain::text::normalize_width(input.valid_until.trim());
            let day = domain::registry::parse_date(&typed)
                .map(|d| {
                    let jst = time::UtcOffset::from_hms(9, 0, 0).unwrap_or(time::UtcOffset::UTC);
                    d.midnight().assume_offset(jst).unix_timestamp()
                })
                .ok_or_else(|| {
                    AppError::field(
                        "valid_until",
                        "有効期限を YYYY-MM-DD で入力してください",
                        "Give the validity end as YYYY-MM-DD",
                    )
                })?;
            let now = self.now();
            if day <= now || day > now + 5 * 366 * 86_400 {
                return Err(AppError::field(
                    "valid_until",
                    "有効期限は明日以降、5年以内の日付にしてください",
                    "The validity must end after today and within 5 years",
                ));
            }
            // valid through the end of that day (JST)
            valid_until = Some(day + 86_400 - 1);
        }
        let now = self.now();
        let review_json = serde_json::to_string(&review).map_err(|e| AppError::Internal(e.to_string()))?;
        let (ja, en) = (
            format!("検証機関の審査: {}（{}）", d.name, t.label(false)),
            format!("Verification body review: {} ({})", d.name, t.label(true)),
        );
        let link = "/my/body".to_string();
        let mut tx = self.store.begin().await?;
        let to = apply_transition::<BodyLifecycle>(
            &mut tx,
            Step {
                subject_id: org_id,
                from,
                transition: t,
                actor: Some(actor),
                comment: &input.comment,
                notice: Some(Notice {
                    org_id,
                    kind: "verification.body",
                    subject_ja: &ja,
                    subject_en: &en,
                    link: &link,
                }),
            },
            now,
        )
        .await?;
        if !tx.review_body(org_id, from.code(), to.code(), &review_json, valid_until, now).await? {
            return Err(AppError::conflict(
                "他の利用者が先に更新しました。再読み込みしてからやり直してください",
                "The body was changed by someone else; reload and try again",
            ));
        }
        tx.commit().await?;
        Ok(to)
    }
}
