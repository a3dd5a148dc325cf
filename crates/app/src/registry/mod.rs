//! 審査登録制度 use cases: apply, edit, submit, evidence, review decisions, change requests,
//! surveillance, suspension, withdrawal, expiry with reminders.

use domain::audit::AuditRecord;
use domain::registry::{
    ApplicationError, ApplicationInput, ChecklistItem, ServiceApplication, ServiceLifecycle, ServiceStatus, Transition,
    checklist, due_reminder, ledger_number, next_status, renewal_open, renewed_until, valid_until,
};
use domain::registry::{EvidenceId, ServiceId, SurveillanceId};
use domain::{OrgId, OrgKind, search};
use sha2::{Digest, Sha256};
use store::{EventRow, EvidenceRow, Notice, ServiceRow, ServiceWrite, SurveillanceRow, Tx};

use crate::authz::{Target, authorize, may_know};
use crate::workflow::{Step, apply_transition};
use crate::{Actor, App, AppError, Op, Result};
use domain::workflow::{Lifecycle, Party};

pub mod index;

/// The registry program's use cases, reached as `app.registry().decide(..)`. It borrows the
/// platform (`App`) for the shared kit: store, clock, jobs, notifications.
#[derive(Clone, Copy)]
pub struct Registry<'a> {
    app: &'a App,
}

impl std::ops::Deref for Registry<'_> {
    type Target = App;
    fn deref(&self) -> &App {
        self.app
    }
}

impl App {
    /// The registry program (審査登録制度).
    pub fn registry(&self) -> Registry<'_> {
        Registry { app: self }
    }
}

/// The registry's job kinds: the reminder/expiry sweep, hourly (idempotent).
pub(crate) fn register_jobs(k: &mut crate::jobs::JobKinds) {
    k.register(SWEEP_JOB, |app: App, _job| async move {
        let r = app.registry().sweep(app.now()).await.map_err(|e| e.to_string())?;
        tracing::info!(?r, "registry sweep");
        Ok(crate::jobs::Done::Ok)
    });
    k.every(SWEEP_JOB, 3600);
}

pub const SWEEP_JOB: &str = "registry.sweep";

/// The subject kind of evidence files in the kit's analyses.
pub const EVIDENCE_SUBJECT: &str = "registry.evidence";

/// Counter bumped by every change that the public list may show.
pub const LIST_VERSION: &str = "registry_list_version";

/// A service as the use cases see it.
#[derive(Debug, Clone)]
pub struct ServiceView {
    pub id: i64,
    pub provider_org_id: i64,
    pub provider_name: String,
    pub provider_name_en: String,
    pub body_org_id: i64,
    pub body_name: String,
    pub body_name_en: String,
    pub status: ServiceStatus,
    pub app: ServiceApplication,
    pub pending_change: Option<ServiceApplication>,
    pub ledger_number: Option<String>,
    pub listed_at: Option<i64>,
    pub valid_until: Option<i64>,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl ServiceView {
    fn from_row(r: ServiceRow) -> Result<Self> {
        let app: ServiceApplication = serde_json::from_str(&r.application_json)
            .map_err(|e| AppError::Internal(format!("service {}: {e}", r.id)))?;
        let pending_change = match r.pending_change.as_deref() {
            Some(j) => Some(serde_json::from_str(j).map_err(|e| AppError::Internal(format!("service {}: {e}", r.id)))?),
            None => None,
        };
        let status =
            ServiceStatus::parse(&r.status).ok_or_else(|| AppError::Internal(format!("bad status {}", r.status)))?;
        Ok(ServiceView {
            id: r.id,
            provider_org_id: r.provider_org_id,
            provider_name: r.provider_name,
            provider_name_en: r.provider_name_en,
            body_org_id: r.body_org_id,
            body_name: r.body_name,
            body_name_en: r.body_name_en,
            status,
            app,
            pending_change,
            ledger_number: r.ledger_number,
            listed_at: r.listed_at,
            valid_until: r.valid_until,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }

    pub fn target(&self) -> Target {
        Target { provider_org_id: self.provider_org_id, body_org_id: self.body_org_id }
    }
}

/// [`authorize`] for an operation on a stored service. Those who may not know an unlisted
/// service exists are told it does not (404, not 403), so answers never reveal private services.
fn authorize_on(actor: Option<&Actor>, op: Op, svc: &ServiceView) -> Result<()> {
    let public = svc.status.is_public() && svc.ledger_number.is_some();
    let known = public || actor.is_some_and(|a| may_know(a, svc.target()));
    authorize(actor, op, svc.target()).map_err(|e| match e {
        // anonymous too: "log in" would say the service exists
        AppError::Forbidden | AppError::Unauthenticated if !known => AppError::NotFound,
        e => e,
    })
}

/// What the actor may do with one service (drives which buttons a page shows).
#[derive(Debug, Clone, Default)]
pub struct Permissions {
    pub view_private: bool,
    pub edit: bool,
    pub submit: bool,
    pub upload: bool,
    pub request_change: bool,
    pub withdraw_own: bool,
    pub review: bool,
    pub review_change: bool,
    /// The renewal window is open and the provider may apply.
    pub renew: bool,
    pub review_renewal: bool,
    pub operate: bool,
    /// The viewer acts for the provider (the next-step banner is for them).
    pub provider: bool,
}

/// What the provider should do next, shown at the top of its service page with the action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NextStep {
    /// A draft: complete the checklist (this many requirements are unmet) and submit.
    Draft { unmet: usize },
    /// Returned with the reviewer's comment: edit and submit again.
    Correct { comment: String },
    /// Rejected with a reason: a new application is the way back.
    Rejected { reason: String },
    /// Suspended by the office with a reason: correct it and answer the office.
    Suspended { reason: String },
    /// A surveillance notice is open: answer it within its period.
    Surveillance { period: String, notice: String },
    /// The renewal window is open: apply to renew before this date.
    Renew { valid_until: i64 },
    /// The registration expired on this date: apply again.
    Expired { valid_until: i64 },
}

impl ServiceDetail {
    /// Whether the viewer, acting as `party`, may take `t` on the service as it is now: the role
    /// first (`Err(Forbidden)` when the viewer does not hold it), then the state (`Ok(false)`).
    pub fn may_take(&self, t: Transition, party: Party) -> Result<bool> {
        use Transition::*;
        let c = &self.can;
        let by_role = match (party, t) {
            (Party::Reviewer, Approve | Return | Reject) => c.review,
            (Party::Reviewer, ApproveChange | RejectChange) => c.review_change,
            (Party::Reviewer, ApproveRenewal | RejectRenewal) => c.review_renewal,
            (Party::Operator, Suspend | Reinstate | Withdraw) => c.operate,
            (Party::OwnerAdmin, Withdraw) => c.withdraw_own,
            (Party::Owner, Submit) => c.submit,
            _ => return Err(AppError::NotFound),
        };
        if !by_role {
            // a body may hold the role while the state is wrong: that is a conflict, not a refusal
            let role_held = match party {
                Party::Reviewer => c.view_private && !c.provider && !c.operate,
                Party::Operator => c.operate,
                Party::Owner | Party::OwnerAdmin => c.provider,
                Party::System => false,
            };
            return if role_held { Ok(false) } else { Err(AppError::Forbidden) };
        }
        Ok(next_status(self.service.status, t).is_ok())
    }

    /// The office's operations valid for the service as it is now (none for others).
    pub fn office_operations(&self) -> Vec<Transition> {
        if !self.can.operate {
            return Vec::new();
        }
        [Transition::Suspend, Transition::Reinstate, Transition::Withdraw]
            .into_iter()
            .filter(|t| next_status(self.service.status, *t).is_ok())
            .collect()
    }

    /// The provider's next step for the service as it is now (None when nothing is asked of it).
    pub fn next_step(&self) -> Option<NextStep> {
        if !self.can.provider {
            return None;
        }
        let s = &self.service;
        // the reason given with the change that led to the current status
        let reason = || {
            self.events
                .iter()
                .rev()
                .find(|e| e.to_state == s.status.code() && e.from_state.as_deref() != Some(s.status.code()))
                .map(|e| e.comment.clone())
                .unwrap_or_default()
        };
        let open = self.surveillances.iter().find(|x| x.completed_at.is_none());
        Some(match s.status {
            ServiceStatus::Draft => NextStep::Draft { unmet: self.checklist.iter().filter(|c| !c.ok).count() },
            ServiceStatus::Returned => NextStep::Correct { comment: reason() },
            ServiceStatus::Rejected => NextStep::Rejected { reason: reason() },
            ServiceStatus::Suspended => NextStep::Suspended { reason: reason() },
            ServiceStatus::Expired => NextStep::Expired { valid_until: s.valid_until.unwrap_or(0) },
            _ if open.is_some() => {
                let x = open?;
                NextStep::Surveillance { period: x.period.clone(), notice: x.notice.clone() }
            }
            _ if self.can.renew => NextStep::Renew { valid_until: s.valid_until.unwrap_or(0) },
            _ => return None,
        })
    }
}

/// What a registration body decided, returned so callers need not read the service again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub status: ServiceStatus,
    pub ledger_number: Option<String>,
    pub valid_until: Option<i64>,
}

/// A service page: the service, its visible history and what the viewer may do.
#[derive(Debug, Clone)]
pub struct ServiceDetail {
    pub service: ServiceView,
    pub events: Vec<EventRow>,
    pub evidence: Vec<EvidenceRow>,
    /// Engine analyses of the evidence files (private, like the files).
    pub analyses: Vec<store::AnalysisRow>,
    pub surveillances: Vec<SurveillanceRow>,
    pub checklist: Vec<ChecklistItem>,
    pub can: Permissions,
}

/// Outcome of a surveillance (サーベイランス).
pub const SURVEILLANCE_OUTCOMES: [(&str, &str, &str); 2] = [
    ("conforming", "適合", "Conforming"),
    ("nonconforming", "不適合（是正要求）", "Nonconforming (corrective action required)"),
];

/// The number of services the expiry sweep touched.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SweepReport {
    pub reminders_90: usize,
    pub reminders_30: usize,
    pub expired: usize,
}

fn parse_application(input: &ApplicationInput) -> Result<ServiceApplication> {
    ServiceApplication::parse(input).map_err(|e| match e {
        ApplicationError::UnknownCategory(c) => AppError::UnknownCategory(c),
        ApplicationError::Fields(f) => AppError::Invalid(f),
    })
}

pub(crate) fn write_of(provider: i64, provider_name: &str, app: &ServiceApplication) -> Result<ServiceWrite> {
    Ok(ServiceWrite {
        provider_org_id: provider,
        body_org_id: app.registration_body.0,
        name: app.name.clone(),
        name_key: search::normalize(&app.name),
        category: app.category.code().into(),
        subcategory: app.subcategory.map(|s| s.code().to_string()),
        application_json: serde_json::to_string(app).map_err(|e| AppError::Internal(e.to_string()))?,
        search_text: app.search_text(provider_name),
        regions: app.regions.join(","),
        industries: app.industries.join(","),
    })
}

/// Sniffs the content type of an evidence file from its first bytes; None when refused.
pub fn sniff_evidence(data: &[u8]) -> Option<&'static str> {
    const SIGS: &[(&[u8], &str)] = &[
        (b"%PDF-", "application/pdf"),
        (b"\x89PNG\r\n\x1a\n", "image/png"),
        (b"\xff\xd8\xff", "image/jpeg"),
        (b"PK\x03\x04", "application/zip"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/x-ole-storage"),
    ];
    if let Some((_, t)) = SIGS.iter().find(|(sig, _)| data.starts_with(sig)) {
        return Some(t);
    }
    // Network captures (device verification evidence); the capture analyser reads them.
    if crate::engines::detect(data) == Some(crate::engines::Engine::Capture) {
        return Some("application/vnd.tcpdump.pcap");
    }
    if !data.is_empty() && std::str::from_utf8(data).is_ok() && !data.contains(&0) {
        return Some("text/plain; charset=utf-8");
    }
    None
}

impl Registry<'_> {
    async fn check_body(&self, app: &ServiceApplication) -> Result<()> {
        match self.store.org(app.registration_body).await {
            Ok(o) if o.kind == OrgKind::RegistrationBody.code() => Ok(()),
            Ok(_) | Err(store::StoreError::NotFound) => Err(AppError::field(
                "registration_body_id",
                "審査登録機関を選択してください",
                "Choose a registration body",
            )),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn service_view(&self, id: ServiceId) -> Result<ServiceView> {
        self.view(id.0).await
    }

    async fn view(&self, id: i64) -> Result<ServiceView> {
        ServiceView::from_row(self.store.service(ServiceId(id)).await?)
    }

    /// A provider applies for one service (a draft, to be submitted).
    pub async fn apply(&self, actor: &Actor, provider_org_id: OrgId, input: &ApplicationInput) -> Result<ServiceId> {
        let provider_org_id = provider_org_id.0;
        let app = parse_application(input)?;
        authorize(Some(actor), Op::Apply, Target { provider_org_id, body_org_id: app.registration_body.0 })?;
        self.check_body(&app).await?;
        let provider = self.store.org(OrgId(provider_org_id)).await?;
        let w = write_of(provider_org_id, &provider.name, &app)?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let id = tx.insert_service(&w, ServiceStatus::Draft, now).await?.0;
        tx.insert_event(
            ServiceId(id),
            now,
            Some(actor.user_id),
            &actor.name,
            "create",
            None,
            ServiceStatus::Draft.code(),
            "",
        )
        .await?;
        tx.audit(
            &AuditRecord {
                actor: actor.audit_name(),
                action: "registry.apply".into(),
                subject: format!("service#{id}"),
                summary: format!("name={} category={} body={}", app.name, app.category.code(), app.registration_body),
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(ServiceId(id))
    }

    /// Edits a draft or returned application.
    pub async fn update_application(
        &self,
        actor: &Actor,
        id: ServiceId,
        input: &ApplicationInput,
    ) -> Result<ServiceStatus> {
        let id = id.0;
        let svc = self.view(id).await?;
        authorize_on(Some(actor), Op::EditApplication, &svc)?;
        if !matches!(svc.status, ServiceStatus::Draft | ServiceStatus::Returned) {
            return Err(AppError::conflict(
                "下書きまたは差戻しの申請だけが編集できます。登録後の変更は変更申請で行ってください",
                "Only a draft or returned application can be edited; a listed service changes through a change request",
            ));
        }
        let app = parse_application(input)?;
        self.check_body(&app).await?;
        let w = write_of(svc.provider_org_id, &svc.provider_name, &app)?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        tx.update_service_application(ServiceId(id), svc.version, &w, now).await?;
        tx.audit(
            &AuditRecord {
                actor: actor.audit_name(),
                action: "registry.edit".into(),
                subject: format!("service#{id}"),
                summary: diff_summary(&svc.app, &app),
            },
            now,
        )
        .await?;
        tx.commit().await?;
        // An edit keeps the application where it was (a draft, or returned for changes).
        Ok(svc.status)
    }

    /// Moves a service along one transition through the kit's workflow (history, audit,
    /// notification and outbox in this transaction) and writes its new status.
    async fn transition_in(
        &self,
        tx: &mut Tx,
        actor: Option<&Actor>,
        svc: &ServiceView,
        t: Transition,
        comment: &str,
        now: i64,
    ) -> Result<ServiceStatus> {
        let link = format!("/services/{}", svc.id);
        let ja = format!("「{}」: {}", svc.app.name, t.label(false));
        let en = format!("\"{}\": {}", svc.app.name, t.label(true));
        // Requests go to the registration body; decisions and the office's acts to the provider.
        let notify_org = if matches!(t, Transition::Submit | Transition::RequestChange | Transition::RequestRenewal) {
            svc.body_org_id
        } else {
            svc.provider_org_id
        };
        let step = Step::<ServiceLifecycle> {
            subject_id: svc.id,
            from: svc.status,
            transition: t,
            actor,
            comment,
            notice: Some(Notice { org_id: notify_org, kind: t.code(), subject_ja: &ja, subject_en: &en, link: &link }),
        };
        let to = apply_transition(tx, step, now).await?;
        tx.set_status(ServiceId(svc.id), svc.version, to, now).await?;
        store::Store::next_counter(tx, LIST_VERSION).await?;
        Ok(to)
    }

    async fn simple_transition(
        &self,
        actor: &Actor,
        id: i64,
        op: Op,
        t: Transition,
        comment: &str,
    ) -> Result<ServiceStatus> {
        let svc = self.view(id).await?;
        authorize_on(Some(actor), op, &svc)?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let to = self.transition_in(&mut tx, Some(actor), &svc, t, comment, now).await?;
        tx.commit().await?;
        self.search.invalidate();
        Ok(to)
    }

    /// The provider submits a draft or returned application for review.
    pub async fn submit(&self, actor: &Actor, id: ServiceId) -> Result<ServiceStatus> {
        let id = id.0;
        self.simple_transition(actor, id, Op::Submit, Transition::Submit, "").await
    }

    /// The provider (admin) withdraws its own application or registration.
    pub async fn withdraw_own(&self, actor: &Actor, id: ServiceId, reason: &str) -> Result<ServiceStatus> {
        let id = id.0;
        self.simple_transition(actor, id, Op::WithdrawOwn, Transition::Withdraw, reason).await
    }

    /// Program office: suspend, reinstate, or revoke (withdraw) a registration.
    pub async fn operate(&self, actor: &Actor, id: ServiceId, t: Transition, reason: &str) -> Result<ServiceStatus> {
        let id = id.0;
        if !ServiceLifecycle::parties(t).contains(&Party::Operator) {
            return Err(AppError::Forbidden);
        }
        self.simple_transition(actor, id, Op::Operate, t, reason).await
    }

    /// Registration body decision: return with comments, approve, reject, or decide a change or
    /// a renewal. Returns what was decided (status, ledger number, validity).
    pub async fn decide(&self, actor: &Actor, id: ServiceId, t: Transition, comment: &str) -> Result<Decision> {
        let id = id.0;
        // The lifecycle says which transitions are the registration body's to make.
        if !ServiceLifecycle::parties(t).contains(&Party::Reviewer) {
            return Err(AppError::Forbidden);
        }
        let svc = self.view(id).await?;
        authorize_on(Some(actor), Op::Review, &svc)?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let to = self.transition_in(&mut tx, Some(actor), &svc, t, comment, now).await?;
        let mut decision =
            Decision { status: to, ledger_number: svc.ledger_number.clone(), valid_until: svc.valid_until };
        match t {
            Transition::Approve => {
                let ledger = assign_ledger(&mut tx, id, svc.app.category, now, valid_until(now)).await?;
                decision.ledger_number = Some(ledger.clone());
                decision.valid_until = Some(valid_until(now));
                tx.audit(
                    &AuditRecord {
                        actor: actor.audit_name(),
                        action: "registry.ledger".into(),
                        subject: format!("service#{id}"),
                        summary: format!("ledger={ledger} valid_until={}", crate::jst_date(valid_until(now))),
                    },
                    now,
                )
                .await?;
            }
            Transition::ApproveChange => {
                let pending =
                    svc.pending_change.as_ref().ok_or_else(|| AppError::Internal("change without content".into()))?;
                let w = write_of(svc.provider_org_id, &svc.provider_name, pending)?;
                tx.update_service_application(ServiceId(id), svc.version + 1, &w, now).await?;
                tx.set_pending_change(ServiceId(id), None).await?;
            }
            Transition::RejectChange => tx.set_pending_change(ServiceId(id), None).await?,
            Transition::ApproveRenewal => {
                let old = svc.valid_until.ok_or_else(|| AppError::Internal("renewal without validity".into()))?;
                let new = renewed_until(old);
                tx.extend_validity(ServiceId(id), new).await?;
                decision.valid_until = Some(new);
                tx.audit(
                    &AuditRecord {
                        actor: actor.audit_name(),
                        action: "registry.renewed".into(),
                        subject: format!("service#{id}"),
                        summary: format!("valid_until {} -> {}", crate::jst_date(old), crate::jst_date(new)),
                    },
                    now,
                )
                .await?;
            }
            _ => {}
        }
        tx.commit().await?;
        self.search.invalidate();
        Ok(decision)
    }

    /// The provider applies to renew (更新) a listed registration, from 90 days before it
    /// expires. The service stays listed while the registration body reviews the renewal.
    pub async fn request_renewal(&self, actor: &Actor, id: ServiceId, note: &str) -> Result<ServiceStatus> {
        let id = id.0;
        let svc = self.view(id).await?;
        authorize_on(Some(actor), Op::RequestChange, &svc)?;
        let now = self.now();
        let vu = svc.valid_until.ok_or_else(|| {
            AppError::conflict("登録されていないサービスは更新できません", "Only a registered service can be renewed")
        })?;
        if vu <= now {
            return Err(AppError::conflict(
                format!(
                    "登録の有効期限（{}）を過ぎているため更新できません。新たに申請してください",
                    crate::jst_date(vu)
                ),
                format!("The registration expired on {}; it cannot be renewed, apply again", crate::jst_date(vu)),
            ));
        }
        if !renewal_open(vu, now) {
            return Err(AppError::conflict(
                format!("更新の申請は有効期限（{}）の90日前から受け付けます", crate::jst_date(vu)),
                format!("Renewal opens 90 days before the registration expires ({})", crate::jst_date(vu)),
            ));
        }
        let mut tx = self.store.begin().await?;
        let to = self.transition_in(&mut tx, Some(actor), &svc, Transition::RequestRenewal, note, now).await?;
        tx.commit().await?;
        self.search.invalidate();
        Ok(to)
    }

    /// The provider asks to change a listed service; the change is re-reviewed and the
    /// listing stays as it was until it is approved.
    pub async fn request_change(
        &self,
        actor: &Actor,
        id: ServiceId,
        input: &ApplicationInput,
    ) -> Result<ServiceStatus> {
        let id = id.0;
        let svc = self.view(id).await?;
        authorize_on(Some(actor), Op::RequestChange, &svc)?;
        let app = parse_application(input)?;
        if app.registration_body != svc.app.registration_body {
            return Err(AppError::field(
                "registration_body_id",
                "変更申請では審査登録機関を変更できません",
                "A change request cannot move the service to another registration body",
            ));
        }
        if search::normalize(&app.name) != search::normalize(&svc.app.name)
            && self
                .store
                .services_of_provider(OrgId(svc.provider_org_id))
                .await?
                .iter()
                .any(|s| s.id != id && search::normalize(&s.name) == search::normalize(&app.name))
        {
            return Err(AppError::conflict(
                "同じ名前のサービスがすでに申請されています",
                "This provider already has a service with that name",
            ));
        }
        let json = serde_json::to_string(&app).map_err(|e| AppError::Internal(e.to_string()))?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let to = self
            .transition_in(&mut tx, Some(actor), &svc, Transition::RequestChange, &diff_summary(&svc.app, &app), now)
            .await?;
        tx.set_pending_change(ServiceId(id), Some(&json)).await?;
        tx.commit().await?;
        self.search.invalidate();
        Ok(to)
    }

    /// Attaches an evidence file (content-addressed; size-limited; type sniffed).
    pub async fn upload_evidence(
        &self,
        actor: &Actor,
        id: ServiceId,
        filename: &str,
        data: &[u8],
    ) -> Result<EvidenceId> {
        let id = id.0;
        let svc = self.view(id).await?;
        authorize_on(Some(actor), Op::UploadEvidence, &svc)?;
        if data.len() > self.config.max_upload_bytes {
            return Err(AppError::TooLarge { limit: self.config.max_upload_bytes });
        }
        if matches!(svc.status, ServiceStatus::Rejected | ServiceStatus::Withdrawn | ServiceStatus::Expired) {
            return Err(AppError::conflict(
                "この状態のサービスには資料を追加できません",
                "Evidence cannot be added to a service in this state",
            ));
        }
        let content_type = sniff_evidence(data).ok_or(AppError::UnsupportedMedia)?;
        let filename = crate::engines::clean_filename(filename, "evidence");
        let sha = hex::encode(Sha256::digest(data));
        let now = self.now();
        let mut tx = self.store.begin().await?;
        tx.put_blob(&sha, data).await?;
        let eid = tx
            .insert_evidence(ServiceId(id), &filename, content_type, data.len() as i64, &sha, now, actor.user_id)
            .await?;
        // An SBOM or lockfile among the evidence is scanned for known vulnerabilities by a job.
        if let Some(engine) = crate::engines::detect(data) {
            crate::engines::request_analysis(&mut tx, EVIDENCE_SUBJECT, eid, &sha, engine, now).await?;
        }
        tx.audit(
            &AuditRecord {
                actor: actor.audit_name(),
                action: "registry.evidence".into(),
                subject: format!("service#{id}"),
                summary: format!("file={filename} size={} sha256={sha}", data.len()),
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(EvidenceId(eid))
    }

    /// An evidence file, for those who may see the service's private data.
    pub async fn evidence_file(
        &self,
        actor: Option<&Actor>,
        id: ServiceId,
        evidence_id: EvidenceId,
    ) -> Result<(EvidenceRow, Vec<u8>)> {
        let (id, evidence_id) = (id.0, evidence_id.0);
        let svc = self.view(id).await?;
        authorize_on(actor, Op::ViewPrivate, &svc)?;
        let (row, data) = self.store.evidence(EvidenceId(evidence_id)).await?;
        if row.service_id != id {
            return Err(AppError::NotFound);
        }
        Ok((row, data))
    }

    /// Program office: gives notice of surveillance for a listed service.
    pub async fn start_surveillance(
        &self,
        actor: &Actor,
        id: ServiceId,
        period: &str,
        notice: &str,
    ) -> Result<SurveillanceId> {
        let id = id.0;
        let svc = self.view(id).await?;
        authorize_on(Some(actor), Op::Operate, &svc)?;
        if !svc.status.is_registered() && svc.status != ServiceStatus::Suspended {
            return Err(AppError::conflict(
                "登録中のサービスだけがサーベイランスの対象です",
                "Only registered services can be placed under surveillance",
            ));
        }
        let period = domain::text::clean_line(period);
        let notice = domain::text::clean_text(notice);
        let mut errs = Vec::new();
        if period.is_empty() || period.chars().count() > 100 {
            errs.push(domain::FieldError::new(
                "period",
                "実施期間を100文字以内で入力してください",
                "Give the period (at most 100 characters)",
            ));
        }
        if notice.is_empty() || notice.chars().count() > 4000 {
            errs.push(domain::FieldError::new("notice", "通知内容を入力してください", "Give the notice text"));
        }
        if !errs.is_empty() {
            return Err(AppError::Invalid(errs));
        }
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let sid = tx.insert_surveillance(ServiceId(id), &period, &notice, now).await?;
        tx.insert_event(
            ServiceId(id),
            now,
            Some(actor.user_id),
            &actor.name,
            "surveillance_notice",
            Some(svc.status.code()),
            svc.status.code(),
            &format!("{period}: {notice}"),
        )
        .await?;
        tx.audit(
            &AuditRecord {
                actor: actor.audit_name(),
                action: "registry.surveillance_notice".into(),
                subject: format!("service#{id}"),
                summary: format!("surveillance#{sid} period={period}"),
            },
            now,
        )
        .await?;
        let ja = format!("「{}」サーベイランス実施のお知らせ（{period}）", svc.app.name);
        let en = format!("Surveillance notice for \"{}\" ({period})", svc.app.name);
        let link = format!("/services/{id}");
        let notice =
            Notice { org_id: svc.provider_org_id, kind: "surveillance", subject_ja: &ja, subject_en: &en, link: &link };
        tx.notify(&notice, now).await?;
        tx.commit().await?;
        Ok(SurveillanceId(sid))
    }

    /// Program office: samples `count` registered services not already under surveillance
    /// and gives each notice for the period. Returns the services sampled.
    pub async fn sample_surveillance(
        &self,
        actor: &Actor,
        count: usize,
        period: &str,
        notice: &str,
    ) -> Result<Vec<i64>> {
        if !actor.is_program_operator() || !actor.has_scope(crate::Scope::RegistryOperate) {
            return Err(AppError::Forbidden);
        }
        if !(1..=100).contains(&count) {
            return Err(AppError::field("count", "1〜100件で指定してください", "Sample 1 to 100 services"));
        }
        let open: std::collections::HashSet<i64> =
            self.store.open_surveillances().await?.iter().map(|s| s.service_id).collect();
        let mut pool: Vec<i64> = self
            .store
            .services_in(
                &[ServiceStatus::Listed, ServiceStatus::ChangeRequested, ServiceStatus::RenewalRequested],
                None,
                1_000_000,
            )
            .await?
            .into_iter()
            .map(|r| r.id)
            .filter(|id| !open.contains(id))
            .collect();
        use rand::seq::SliceRandom;
        pool.shuffle(&mut rand::rng());
        pool.truncate(count);
        for id in &pool {
            self.start_surveillance(actor, ServiceId(*id), period, notice).await?;
        }
        Ok(pool)
    }

    /// Program office: records the surveillance outcome.
    pub async fn record_surveillance(
        &self,
        actor: &Actor,
        surveillance_id: SurveillanceId,
        outcome: &str,
        note: &str,
    ) -> Result<()> {
        let surveillance_id = surveillance_id.0;
        if !SURVEILLANCE_OUTCOMES.iter().any(|(c, _, _)| *c == outcome) {
            return Err(AppError::field("outcome", "結果を選択してください", "Choose an outcome"));
        }
        let note = domain::text::clean_text(note);
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let s = tx.surveillance(SurveillanceId(surveillance_id)).await?;
        let svc = ServiceView::from_row(tx.service(ServiceId(s.service_id)).await?)?;
        authorize_on(Some(actor), Op::Operate, &svc)?;
        tx.complete_surveillance(SurveillanceId(surveillance_id), outcome, &note, now).await.map_err(|e| match e {
            store::StoreError::Conflict(_) => {
                AppError::conflict("このサーベイランスは記録済みです", "This surveillance already has an outcome")
            }
            e => e.into(),
        })?;
        tx.insert_event(
            ServiceId(svc.id),
            now,
            Some(actor.user_id),
            &actor.name,
            &format!("surveillance_{outcome}"),
            Some(svc.status.code()),
            svc.status.code(),
            &note,
        )
        .await?;
        tx.audit(
            &AuditRecord {
                actor: actor.audit_name(),
                action: "registry.surveillance_outcome".into(),
                subject: format!("service#{}", svc.id),
                summary: format!("surveillance#{surveillance_id} outcome={outcome}; {note}"),
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The program office runs the reminder/expiry sweep now.
    pub async fn sweep_as(&self, actor: &Actor) -> Result<SweepReport> {
        if !actor.acts_as_office() {
            return Err(AppError::Forbidden);
        }
        self.sweep(self.now()).await
    }

    /// Latest changes of publicly listed services, with the service name (for the Atom feed):
    /// public events only (the same rule as a service page's public history).
    pub async fn recent_public_changes(
        &self,
        filter: Option<&crate::registry::index::ListQuery>,
        limit: i64,
    ) -> Result<Vec<(EventRow, String)>> {
        let public: Vec<Transition> = Transition::ALL.into_iter().filter(|t| t.is_public()).collect();
        // a feed of a filtered list: the events of the services that list shows
        let ids: Option<Vec<i64>> = match filter {
            Some(q) => Some(self.public_index().await?.query(q, true).items.iter().map(|i| i.id).collect()),
            None => None,
        };
        Ok(self.store.recent_public_events(&public, ids.as_deref(), limit).await?)
    }

    /// Sends due 90/30-day reminders and expires registrations past validity. Idempotent; safe to
    /// run from several processes at once.
    pub async fn sweep(&self, now: i64) -> Result<SweepReport> {
        let mut report = SweepReport::default();
        let horizon = now + domain::registry::REMINDER_DAYS[0] * 86_400;
        for (id, vu, sent_s) in self.store.expiring_brief(horizon).await? {
            let sent: Vec<i64> = sent_s.split(',').filter_map(|s| s.parse().ok()).collect();
            if vu > now && due_reminder(vu, now, &sent).is_none() {
                continue;
            }
            let svc = self.view(id).await?;
            let mut tx = self.store.begin().await?;
            if vu <= now {
                match self.transition_in(&mut tx, None, &svc, Transition::Expire, "", now).await {
                    Ok(_) => report.expired += 1,
                    Err(AppError::Conflict { .. }) => continue,
                    Err(e) => return Err(e),
                }
            } else {
                let Some(days) = due_reminder(vu, now, &sent) else {
                    continue;
                };
                let after = if sent_s.is_empty() { days.to_string() } else { format!("{sent_s},{days}") };
                if !tx.mark_reminder(ServiceId(svc.id), &sent_s, &after).await? {
                    continue;
                }
                let ja = format!(
                    "「{}」の登録有効期限（{}）まで{days}日です。更新の手続きをしてください",
                    svc.app.name,
                    crate::jst_date(vu)
                );
                let en = format!(
                    "The registration of \"{}\" expires on {} ({days} days); please renew it",
                    svc.app.name,
                    crate::jst_date(vu)
                );
                let (kind, link) = (format!("reminder_{days}"), format!("/services/{}", svc.id));
                let notice =
                    Notice { org_id: svc.provider_org_id, kind: &kind, subject_ja: &ja, subject_en: &en, link: &link };
                tx.notify(&notice, now).await?;
                tx.audit(
                    &AuditRecord {
                        actor: "system".into(),
                        action: "registry.reminder".into(),
                        subject: format!("service#{}", svc.id),
                        summary: format!("days={days} valid_until={}", crate::jst_date(vu)),
                    },
                    now,
                )
                .await?;
                if days == 90 { report.reminders_90 += 1 } else { report.reminders_30 += 1 }
            }
            tx.commit().await?;
        }
        if report.expired > 0 {
            self.search.invalidate();
        }
        Ok(report)
    }

    /// A service page. Public services are visible to all; others only to those who may see
    /// private data (others get NotFound, so existence does not leak).
    pub async fn service_detail(&self, actor: Option<&Actor>, id: ServiceId) -> Result<ServiceDetail> {
        let id = id.0;
        let svc = self.view(id).await?;
        let t = svc.target();
        let ok = |op| authorize(actor, op, t).is_ok();
        let view_private = ok(Op::ViewPrivate);
        if !(view_private || (svc.status.is_public() && svc.ledger_number.is_some())) {
            return Err(AppError::NotFound);
        }
        let s = svc.status;
        let can = Permissions {
            view_private,
            edit: ok(Op::EditApplication) && matches!(s, ServiceStatus::Draft | ServiceStatus::Returned),
            submit: ok(Op::Submit) && next_status(s, Transition::Submit).is_ok(),
            upload: ok(Op::UploadEvidence)
                && !matches!(s, ServiceStatus::Rejected | ServiceStatus::Withdrawn | ServiceStatus::Expired),
            request_change: ok(Op::RequestChange) && next_status(s, Transition::RequestChange).is_ok(),
            withdraw_own: ok(Op::WithdrawOwn) && next_status(s, Transition::Withdraw).is_ok(),
            review: ok(Op::Review) && s == ServiceStatus::Submitted,
            review_change: ok(Op::Review) && s == ServiceStatus::ChangeRequested,
            renew: ok(Op::RequestChange)
                && next_status(s, Transition::RequestRenewal).is_ok()
                && svc.valid_until.is_some_and(|vu| renewal_open(vu, self.now())),
            review_renewal: ok(Op::Review) && s == ServiceStatus::RenewalRequested,
            operate: ok(Op::Operate),
            provider: ok(Op::EditApplication),
        };
        let mut events = self.store.events(ServiceId(id)).await?;
        if !view_private {
            events = public_history(events, &svc.body_name);
        }
        let (evidence, surveillances) = if view_private {
            (self.store.evidence_of(ServiceId(id)).await?, self.store.surveillances_of(ServiceId(id)).await?)
        } else {
            (Vec::new(), Vec::new())
        };
        let checklist = checklist(&svc.app, crate::today(self.now()), evidence.len());
        let ids: Vec<i64> = evidence.iter().map(|e| e.id).collect();
        let analyses = if view_private { self.store.analyses_of(EVIDENCE_SUBJECT, &ids).await? } else { Vec::new() };
        Ok(ServiceDetail { service: svc, events, evidence, analyses, surveillances, checklist, can })
    }

    /// The services of the actor's provider organisations.
    pub async fn my_services(&self, actor: &Actor) -> Result<Vec<ServiceView>> {
        actor.require_scope(crate::Scope::RegistryRead)?;
        let mut out = Vec::new();
        for m in actor.provider_orgs() {
            for r in self.store.services_of_provider(OrgId(m.org_id)).await? {
                out.push(ServiceView::from_row(r)?);
            }
        }
        Ok(out)
    }

    /// Applications and change requests waiting for the actor's registration bodies.
    pub async fn review_queue(&self, actor: &Actor) -> Result<Vec<ServiceView>> {
        actor.require_scope(crate::Scope::RegistryRead)?;
        let mut out = Vec::new();
        for m in actor.body_orgs() {
            for r in self
                .store
                .services_in(
                    &[ServiceStatus::Submitted, ServiceStatus::ChangeRequested, ServiceStatus::RenewalRequested],
                    Some(OrgId(m.org_id)),
                    500,
                )
                .await?
            {
                out.push(ServiceView::from_row(r)?);
            }
        }
        if out.is_empty() && actor.body_orgs().next().is_none() {
            return Err(AppError::Forbidden);
        }
        Ok(out)
    }

    /// Program office overview: counts per status, open surveillance, registrations to watch.
    pub async fn operator_overview(&self, actor: &Actor) -> Result<OperatorOverview> {
        if !actor.is_program_operator() || !actor.has_scope(crate::Scope::RegistryOperate) {
            return Err(AppError::Forbidden);
        }
        let counts = self.store.status_counts().await?;
        let mut open = Vec::new();
        for s in self.store.open_surveillances().await? {
            let svc = self.view(s.service_id).await?;
            open.push((s, svc));
        }
        let expiring = self
            .store
            .services_expiring_before(self.now() + 90 * 86_400, 100)
            .await?
            .into_iter()
            .map(ServiceView::from_row)
            .collect::<Result<Vec<_>>>()?;
        let registered = self
            .store
            .services_in(&ServiceStatus::VALID, None, 50)
            .await?
            .into_iter()
            .map(ServiceView::from_row)
            .collect::<Result<Vec<_>>>()?;
        let notifications_pending = self.store.outbox_pending().await?;
        Ok(OperatorOverview { counts, open, expiring, registered, outbox_pending: notifications_pending })
    }

    /// Registration bodies (for the application form).
    pub async fn registration_bodies(&self) -> Result<Vec<store::OrgRow>> {
        Ok(self.store.orgs(Some(OrgKind::RegistrationBody.code())).await?)
    }
}

#[derive(Debug, Clone)]
pub struct OperatorOverview {
    pub counts: Vec<(String, i64)>,
    pub open: Vec<(SurveillanceRow, ServiceView)>,
    pub expiring: Vec<ServiceView>,
    pub registered: Vec<ServiceView>,
    pub outbox_pending: i64,
}

/// Enters a service in the ledger: the next number of its category and its validity.
pub(crate) async fn assign_ledger(
    tx: &mut Tx,
    id: i64,
    category: domain::Category,
    listed_at: i64,
    valid_until: i64,
) -> Result<String> {
    let year = time::OffsetDateTime::from_unix_timestamp(listed_at).map(|d| d.year()).unwrap_or(2026);
    let seq = store::Store::next_counter(tx, &format!("ledger:{}", category.code())).await?;
    let ledger = ledger_number(category, seq, year);
    tx.set_registration(ServiceId(id), &ledger, listed_at, valid_until).await?;
    Ok(ledger)
}

/// What the public sees of a service's history: public events only, each attributed to the
/// registration body rather than to a person, without the internal comment (return comments,
/// reviewers' notes, suspension reasons stay with the provider, its body and the office).
fn public_history(events: Vec<EventRow>, body_name: &str) -> Vec<EventRow> {
    events
        .into_iter()
        .filter(|e| Transition::parse(&e.action).is_some_and(Transition::is_public))
        .map(|mut e| {
            e.actor_name = body_name.to_string();
            e.comment = String::new();
            e
        })
        .collect()
}

/// Names the fields that differ between two versions of an application, in words (for the
/// history and the audit trail: "変更: サービス名、価格帯 / changed: name, price range").
fn diff_summary(a: &ServiceApplication, b: &ServiceApplication) -> String {
    let mut fields: Vec<(&str, &str)> = Vec::new();
    macro_rules! cmp {
        ($($f:ident => $ja:literal, $en:literal);* $(;)?) => { $( if a.$f != b.$f { fields.push(($ja, $en)); } )* };
    }
    cmp!(
        name => "サービス名", "name";
        category => "区分", "category";
        subcategory => "細区分", "sub-category";
        pentest_option => "ペネトレーションテスト", "penetration testing";
        description => "サービス概要", "description";
        specification => "サービス仕様", "specification";
        experts => "資格を持つ専門家", "qualified experts";
        quality_manager => "品質管理責任者", "quality manager";
        quality_manual_ref => "品質マニュアル", "quality manual";
        improvement_procedure => "改善手順", "improvement procedure";
        industries => "得意業種", "industries";
        regions => "対応地域", "regions";
        options => "オプション", "options";
        registration_body => "審査登録機関", "registration body";
    );
    if a.price_min != b.price_min || a.price_max != b.price_max {
        fields.push(("価格帯", "price range"));
    }
    if fields.is_empty() {
        return "変更なし / no changes".into();
    }
    let ja: Vec<&str> = fields.iter().map(|f| f.0).collect();
    let en: Vec<&str> = fields.iter().map(|f| f.1).collect();
    format!("変更: {} / changed: {}", ja.join("、"), en.join(", "))
}
