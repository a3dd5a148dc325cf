//! Verification labels (検証ラベル): a pass issues a label signed by the body's key; the office
//! publishes the trust root (every body's public keys and their life) and a signed status list,
//! regenerated in the same transaction as every status change. A watch job expires labels after
//! their validity and suspends those whose covered version keeps a critical finding open past the
//! deadline; every status change is in the history and the audit trail and tells vendor and body.

use domain::audit::AuditRecord;
use domain::verification::checklist::Checklist;
use domain::verification::label::{LabelLifecycle, LabelStatus, LabelTransition, VALIDITY_SECS, suspends};
use domain::workflow::Lifecycle;
use label::{KeyPair, LabelClaim, ROLE_LABEL, ROLE_STATUS, Sealer, StatusEntry, StatusList, TrustKey, TrustRoot};
use store::{KeyRow, LabelRow, NewLabel, Notice, Tx};

use super::Verification;
use super::cases::CaseView;
use crate::authz::{authorize_case, may_know_case};
use crate::jobs::JobKinds;
use crate::workflow::{Step, apply_transition};
use crate::{Actor, App, AppError, Result, Scope};

/// The job that expires labels and suspends those with critical findings left open.
pub const WATCH_JOB: &str = "verification.label_watch";
/// A status list is good for this long (a list replayed later is refused as stale); it is
/// re-issued on every change and when a day old.
pub const STATUS_LIST_SECS: i64 = 2 * 86_400;
/// Re-issue the status list when it is older than this (so it never goes stale while served).
const STATUS_LIST_REFRESH: i64 = 86_400;

/// What label signing needs from the configuration.
#[derive(Clone, Default)]
pub struct LabelConfig {
    /// Seals the private signing keys at rest; None: labels cannot be issued.
    pub secret: Option<String>,
    /// Days a critical finding may stay open before the label is suspended.
    pub suspend_days: i64,
}

impl std::fmt::Debug for LabelConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LabelConfig").field("secret", &self.secret.as_ref().map(|_| "***")).finish()
    }
}

pub(crate) fn register(k: &mut JobKinds) {
    k.register(WATCH_JOB, |app: App, _job| async move {
        app.verification().watch_labels().await.map(|_| crate::jobs::Done::Ok).map_err(|e| e.to_string())
    });
    k.every(WATCH_JOB, 3600);
}

/// A label as the use cases see it.
#[derive(Debug, Clone)]
pub struct LabelView {
    pub row: LabelRow,
    pub status: LabelStatus,
    pub levels: Vec<String>,
    /// The viewer may suspend, reinstate or revoke it (the body or the office).
    pub actions: Vec<LabelTransition>,
    pub history: Vec<store::TransitionRow>,
}

/// A signing key as shown (never its private half).
#[derive(Debug, Clone, serde::Serialize)]
pub struct KeyView {
    pub keyid: String,
    pub org_id: i64,
    pub org_name: String,
    pub role: String,
    pub state: String,
    pub created_at: i64,
    pub retired_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub revocation_reason: String,
}

impl From<&KeyRow> for KeyView {
    fn from(k: &KeyRow) -> Self {
        KeyView {
            keyid: k.keyid.clone(),
            org_id: k.org_id,
            org_name: k.org_name.clone(),
            role: k.role.clone(),
            state: k.state.clone(),
            created_at: k.created_at,
            retired_at: k.retired_at,
            revoked_at: k.revoked_at,
            revocation_reason: k.revocation_reason.clone(),
        }
    }
}

/// The program office acting on verification (a token needs `verification:write`).
pub fn office(actor: &Actor) -> bool {
    actor.is_program_operator() && actor.has_scope(Scope::VerificationWrite)
}

/// `urn:kakehashi:org:{id}`: a key's owner and a label's verifier.
pub fn org_urn(org_id: i64) -> String {
    format!("urn:kakehashi:org:{org_id}")
}

impl Verification<'_> {
    fn sealer(&self) -> Result<Sealer> {
        match &self.config.labels.secret {
            Some(s) => Ok(Sealer::from_secret(s)),
            None => Err(AppError::conflict(
                "ラベル署名鍵の保護鍵（label_secret）が設定されていないため、ラベルを発行できません",
                "No label signing secret is configured (label_secret / KAKEHASHI_LABEL_SECRET); labels cannot be issued",
            )),
        }
    }

    /// The organisation's current key for `role`, made on first use.
    async fn signing_key(&self, tx: &mut Tx, org_id: i64, role: &str, now: i64) -> Result<KeyPair> {
        let sealer = self.sealer()?;
        if let Some(k) = self.store.active_key(org_id, role).await? {
            return sealer
                .open_pair(&k.sealed_private, &k.keyid)
                .map_err(|e| AppError::Internal(format!("signing key {}: {e}", k.keyid)));
        }
        self.new_key(tx, &sealer, org_id, role, now).await
    }

    async fn new_key(&self, tx: &mut Tx, sealer: &Sealer, org_id: i64, role: &str, now: i64) -> Result<KeyPair> {
        let pair = KeyPair::generate().map_err(|e| AppError::Internal(e.to_string()))?;
        let sealed = sealer.seal(pair.pkcs8(), &pair.keyid()).map_err(|e| AppError::Internal(e.to_string()))?;
        tx.insert_signing_key(org_id, role, &pair.keyid(), &pair.public_key_b64(), &sealed, now).await?;
        tx.audit(
            &AuditRecord {
                actor: "system".into(),
                action: "verification.key_created".into(),
                subject: format!("org#{org_id}"),
                summary: format!("{role} key {}", pair.keyid()),
            },
            now,
        )
        .await?;
        Ok(pair)
    }

    /// The trust root: every signing key with its life (public).
    pub async fn trust_root(&self) -> Result<TrustRoot> {
        let keys = self.store.signing_keys(None).await?;
        let issued = keys.iter().map(|k| k.revoked_at.or(k.retired_at).unwrap_or(k.created_at)).max().unwrap_or(0);
        let office = self.store.office_org_id().await?.unwrap_or(0);
        Ok(TrustRoot {
            kind: label::TRUST_ROOT_TYPE.into(),
            issuer: org_urn(office),
            issued_at: label::rfc3339(issued),
            keys: keys
                .iter()
                .map(|k| TrustKey {
                    keyid: k.keyid.clone(),
                    owner: org_urn(k.org_id),
                    owner_name: k.org_name.clone(),
                    role: k.role.clone(),
                    algorithm: "ed25519".into(),
                    public_key: k.public_key.clone(),
                    valid_from: label::rfc3339(k.created_at),
                    retired_at: k.retired_at.map(label::rfc3339),
                    revoked_at: k.revoked_at.map(label::rfc3339),
                    revocation_reason: Some(k.revocation_reason.clone()).filter(|r| !r.is_empty()),
                })
                .collect(),
        })
    }

    /// What the keys page shows the actor: the keys it may see and the organisations whose key
    /// it may rotate, (id, name). The office sees every key and may rotate the key of any body
    /// that has one; a body's admins see and rotate their own; anyone else is refused.
    pub async fn key_overview(&self, actor: &Actor) -> Result<(Vec<KeyView>, Vec<(i64, String)>)> {
        let mut orgs: Vec<(i64, String)> = actor
            .memberships
            .iter()
            .filter(|m| m.kind == domain::OrgKind::VerificationBody && m.role == domain::MembershipRole::Admin)
            .map(|m| (m.org_id, m.org_name.clone()))
            .collect();
        if office(actor) {
            let keys = self.signing_keys(actor, None).await?;
            for k in &keys {
                if !orgs.iter().any(|o| o.0 == k.org_id) {
                    orgs.push((k.org_id, k.org_name.clone()));
                }
            }
            return Ok((keys, orgs));
        }
        if orgs.is_empty() {
            return Err(AppError::Forbidden);
        }
        let mut keys = Vec::new();
        for (org, _) in &orgs {
            keys.extend(self.signing_keys(actor, Some(*org)).await?);
        }
        Ok((keys, orgs))
    }

    /// Keys of an organisation the actor administers (a body's own, or all for the office).
    pub async fn signing_keys(&self, actor: &Actor, org: Option<i64>) -> Result<Vec<KeyView>> {
        let org = self.key_admin(actor, org)?;
        Ok(self.store.signing_keys(org).await?.iter().map(KeyView::from).collect())
    }

    /// Who may manage keys: an admin of the body for its own keys; the office for any.
    /// (The keys are public in the trust root, so those who may not manage one get 403.)
    fn key_admin(&self, actor: &Actor, org: Option<i64>) -> Result<Option<i64>> {
        if !actor.has_scope(Scope::VerificationWrite) {
            return Err(AppError::Forbidden);
        }
        if office(actor) {
            return Ok(org);
        }
        match org {
            Some(o) if actor.member_of(o).is_some_and(|m| m.role == domain::MembershipRole::Admin) => Ok(Some(o)),
            _ => Err(AppError::Forbidden),
        }
    }

    /// Makes a new key for the organisation and retires its current one (labels signed with the
    /// old key stay valid).
    pub async fn rotate_key(&self, actor: &Actor, org_id: i64) -> Result<String> {
        self.key_admin(actor, Some(org_id))?;
        let office = self.store.office_org_id().await?;
        let role = if Some(org_id) == office { ROLE_STATUS } else { ROLE_LABEL };
        let sealer = self.sealer()?;
        let now = self.now();
        let old = self.store.active_key(org_id, role).await?;
        let mut tx = self.store.begin().await?;
        if let Some(k) = &old
            && !tx.set_key_state(&k.keyid, &["active"], "retired", "", now).await?
        {
            return Err(AppError::conflict(
                "他の利用者が先に鍵を更新しました。再読み込みしてからやり直してください",
                "The key was rotated by someone else; reload and try again",
            ));
        }
        let pair = self.new_key(&mut tx, &sealer, org_id, role, now).await?;
        tx.audit(
            &AuditRecord {
                actor: actor.audit_name(),
                action: "verification.key_rotated".into(),
                subject: format!("org#{org_id}"),
                summary: format!("{} -> {}", old.map(|k| k.keyid).unwrap_or_default(), pair.keyid()),
            },
            now,
        )
        .await?;
        if role == ROLE_STATUS {
            self.reissue_status_list(&mut tx, Some(&pair), now).await?;
        }
        tx.commit().await?;
        Ok(pair.keyid())
    }

    /// Retires (stops signing; what it signed stays valid) or revokes (compromised: nothing it
    /// signed is trusted) a key. A reason is required to revoke.
    pub async fn end_key(&self, actor: &Actor, keyid: &str, revoke: bool, reason: &str) -> Result<()> {
        let key =
            self.store.signing_keys(None).await?.into_iter().find(|k| k.keyid == keyid).ok_or(AppError::NotFound)?;
        self.key_admin(actor, Some(key.org_id))?;
        let reason = domain::text::clean_text(reason);
        if revoke && reason.is_empty() {
            return Err(AppError::field(
                "reason",
                "取り消す理由を入力してください",
                "Give the reason for revoking the key",
            ));
        }
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let (from, to): (&[&str], &str) =
            if revoke { (&["active", "retired"], "revoked") } else { (&["active"], "retired") };
        if !tx.set_key_state(keyid, from, to, &reason, now).await? {
            return Err(AppError::conflict(
                format!("この鍵はすでに「{}」です", key.state),
                format!("The key is already {}", key.state),
            ));
        }
        tx.audit(
            &AuditRecord {
                actor: actor.audit_name(),
                action: format!("verification.key_{}", if revoke { "revoked" } else { "retired" }),
                subject: format!("org#{}", key.org_id),
                summary: format!("{keyid}; {reason}"),
            },
            now,
        )
        .await?;
        // nothing a revoked key signed is trusted: its labels are revoked with it, in the history
        if revoke {
            for (id, status) in tx.labels_signed_by(keyid).await? {
                let from = LabelStatus::parse(&status).unwrap_or(LabelStatus::Active);
                let why = format!("署名鍵 {keyid} の取消し / signing key {keyid} revoked: {reason}");
                apply_transition::<LabelLifecycle>(
                    &mut tx,
                    Step {
                        subject_id: id,
                        from,
                        transition: LabelTransition::Revoke,
                        actor: Some(actor),
                        comment: &why,
                        notice: None,
                    },
                    now,
                )
                .await?;
                tx.set_label_status(id, from.code(), LabelStatus::Revoked.code(), &why, now).await?;
                let row = self.store.label(id).await?;
                tell_label_parties(&mut tx, &row, LabelTransition::Revoke, now).await?;
            }
        }
        if !self.store.signing_keys(None).await?.is_empty() {
            self.reissue_status_list(&mut tx, None, now).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Issues the label of a case decided `pass`, in the decision's transaction. A label names
    /// the SBOM it covers: without one (or without a signing secret configured) the pass stands
    /// and the audit trail says why no label was issued.
    pub(super) async fn issue_label(&self, tx: &mut Tx, c: &CaseView, now: i64) -> Result<Option<i64>> {
        let sbom = self.store.case_sbom(c.row.id, c.row.version_id).await?;
        let checklist = self.case_checklist_def(c.row.id).await?;
        let why_not = match (&sbom, &self.config.labels.secret, &checklist) {
            (None, _, _) => Some("no SBOM in the case's evidence or on its version"),
            (_, None, _) => Some("no label signing secret configured"),
            (_, _, None) => Some("no checklist: a label certifies a checklist's level"),
            _ => None,
        };
        if let Some(why) = why_not {
            tx.audit(
                &AuditRecord {
                    actor: "system".into(),
                    action: "verification.label_not_issued".into(),
                    subject: format!("case#{}", c.row.id),
                    summary: why.into(),
                },
                now,
            )
            .await?;
            return Ok(None);
        }
        let (Some((sbom, _)), Some(checklist)) = (sbom, checklist) else { return Ok(None) };
        let levels = vec![checklist.level.clone()];
        let product = self.store.product(c.row.product_id).await?;
        let version = c.row.version.clone().unwrap_or_default();
        let valid_until = now + VALIDITY_SECS;
        let id = tx
            .insert_label(&NewLabel {
                case_id: c.row.id,
                product_id: c.row.product_id,
                version_id: c.row.version_id,
                vendor_org_id: c.row.vendor_org_id,
                body_org_id: c.row.body_org_id,
                levels: &levels.join(","),
                sbom_sha256: &sbom,
                issued_at: now,
                valid_until,
            })
            .await?;
        let base = self.config.delivery.public_url.trim_end_matches('/');
        let claim = LabelClaim {
            label_id: id,
            subject: format!("urn:kakehashi:product:{}:version:{}", c.row.product_id, version),
            product: product.name.clone(),
            vendor: product.vendor_name.clone(),
            version,
            sbom_sha256: sbom,
            levels,
            verifier: org_urn(c.row.body_org_id),
            verifier_name: c.row.body_name.clone(),
            resource_uri: format!("{base}/products/{}", c.row.product_id),
            policy_uri: format!("{base}/checklists/{}", checklist.key()),
            issued_at: now,
            valid_until,
        };
        let key = self.signing_key(tx, c.row.body_org_id, ROLE_LABEL, now).await?;
        let env = claim.sign(&key);
        tx.set_label_envelope(id, &env.to_json(), &key.keyid()).await?;
        tx.record_transition(
            &store::NewTransition {
                subject_kind: LabelLifecycle::SUBJECT,
                subject_id: id,
                actor_user_id: None,
                actor_name: "システム / System",
                action: "issue",
                from_state: None,
                to_state: "active",
                comment: "",
            },
            now,
        )
        .await?;
        tx.audit(
            &AuditRecord {
                actor: "system".into(),
                action: "verification.label_issued".into(),
                subject: format!("label#{id}"),
                summary: format!("case#{} key {}", c.row.id, key.keyid()),
            },
            now,
        )
        .await?;
        self.reissue_status_list(tx, None, now).await?;
        Ok(Some(id))
    }

    /// Signs a new status list from the labels as they stand in `tx`.
    pub(crate) async fn reissue_status_list(&self, tx: &mut Tx, key: Option<&KeyPair>, now: i64) -> Result<()> {
        let office = self
            .store
            .office_org_id()
            .await?
            .ok_or_else(|| AppError::Internal("no program office organisation to sign the status list".into()))?;
        let owned;
        let key = match key {
            Some(k) => k,
            None => {
                owned = self.signing_key(tx, office, ROLE_STATUS, now).await?;
                &owned
            }
        };
        // the row lock first: a concurrent change then waits, and signs a list with ours in it
        let sequence = tx.next_status_sequence().await?;
        let rows = tx.label_statuses().await?;
        let list = build_status_list(office, sequence, now, &rows);
        tx.put_status_list(sequence, &list.sign(key).to_json(), now).await?;
        Ok(())
    }

    /// The signed status list (re-issued first when it is a day old, so it is never stale).
    pub async fn status_list(&self) -> Result<(i64, String)> {
        let now = self.now();
        match self.store.status_list().await? {
            Some((seq, doc, at)) if at > now - STATUS_LIST_REFRESH => Ok((seq, doc)),
            _ => {
                let mut tx = self.store.begin().await?;
                self.reissue_status_list(&mut tx, None, now).await?;
                tx.commit().await?;
                let (seq, doc, _) = self.store.status_list().await?.ok_or(AppError::NotFound)?;
                Ok((seq, doc))
            }
        }
    }

    /// A label, for anyone when its product is public; else for those involved (404 otherwise).
    pub async fn label(&self, actor: Option<&Actor>, id: i64) -> Result<LabelView> {
        let row = self.store.label(id).await?;
        let involved = actor.is_some_and(|a| may_know_case(a, row.vendor_org_id, row.body_org_id));
        if !row.product_public && !involved {
            return Err(AppError::NotFound);
        }
        let status = LabelStatus::parse(&row.status)
            .ok_or_else(|| AppError::Internal(format!("label {id} has status {:?}", row.status)))?;
        let actions = LabelTransition::ALL
            .into_iter()
            .filter(|t| LabelLifecycle::next(status, *t).is_ok())
            .filter(|t| authorize_case(actor, LabelLifecycle::parties(*t), row.vendor_org_id, row.body_org_id).is_ok())
            .collect();
        let history = self.store.transitions_of(LabelLifecycle::SUBJECT, id).await?;
        Ok(LabelView { levels: row.levels.split(',').map(str::to_string).collect(), row, status, actions, history })
    }

    /// Labels of public products, newest first; (total, page).
    pub async fn labels(&self, status: Option<LabelStatus>, limit: i64, offset: i64) -> Result<(i64, Vec<LabelRow>)> {
        Ok(self.store.labels(status.map(|s| s.code()), limit.clamp(1, 500), offset.max(0)).await?)
    }

    /// Labels of a product (newest first).
    pub async fn product_labels(&self, product_id: i64) -> Result<Vec<LabelRow>> {
        Ok(self.store.labels_of_product(product_id).await?)
    }

    /// Suspends, reinstates or revokes a label (the body or the office, with a reason); the
    /// platform itself (actor None) suspends and expires.
    pub async fn label_step(
        &self,
        actor: Option<&Actor>,
        id: i64,
        t: LabelTransition,
        reason: &str,
    ) -> Result<LabelStatus> {
        self.label_step_with(actor, id, t, reason, true).await
    }

    /// [`Self::label_step`]; `reissue: false` leaves the status list to the caller (the watch
    /// re-issues it once after all its changes).
    async fn label_step_with(
        &self,
        actor: Option<&Actor>,
        id: i64,
        t: LabelTransition,
        reason: &str,
        reissue: bool,
    ) -> Result<LabelStatus> {
        let row = self.store.label(id).await?;
        if let Some(a) = actor {
            if !may_know_case(a, row.vendor_org_id, row.body_org_id) && !row.product_public {
                return Err(AppError::NotFound);
            }
            authorize_case(Some(a), LabelLifecycle::parties(t), row.vendor_org_id, row.body_org_id)?;
        } else if !LabelLifecycle::parties(t).contains(&domain::workflow::Party::System) {
            return Err(AppError::Forbidden);
        }
        let from = LabelStatus::parse(&row.status)
            .ok_or_else(|| AppError::Internal(format!("label {id} has status {:?}", row.status)))?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let to = apply_transition::<LabelLifecycle>(
            &mut tx,
            Step { subject_id: id, from, transition: t, actor, comment: reason, notice: None },
            now,
        )
        .await?;
        tell_label_parties(&mut tx, &row, t, now).await?;
        if !tx.set_label_status(id, from.code(), to.code(), &domain::text::clean_text(reason), now).await? {
            return Err(AppError::conflict(
                "他の利用者が先に更新しました。再読み込みしてからやり直してください",
                "The label was changed by someone else; reload and try again",
            ));
        }
        if reissue {
            self.reissue_status_list(&mut tx, None, now).await?;
        }
        tx.commit().await?;
        Ok(to)
    }

    /// The watch: expires labels past their validity, suspends active labels whose covered
    /// version has a critical (CVSS ≥ 9.0) or known-exploited finding untriaged or exploitable
    /// past the deadline, and keeps the status list fresh. Returns how many labels changed.
    pub async fn watch_labels(&self) -> Result<usize> {
        let now = self.now();
        let mut changed = 0;
        for (id, _) in self.store.labels_past_validity(now).await? {
            match self.label_step_with(None, id, LabelTransition::Expire, "", false).await {
                Ok(_) => changed += 1,
                Err(AppError::Conflict { .. }) => {}
                Err(e) => tracing::warn!(label = id, error = %e, "label watch: cannot expire"),
            }
        }
        let days = if self.config.labels.suspend_days > 0 {
            self.config.labels.suspend_days
        } else {
            domain::verification::label::DEFAULT_SUSPEND_DAYS
        };
        let kev: std::collections::HashSet<String> =
            self.store.known_exploited().await?.into_iter().map(|(a, _, _)| a).collect();
        let mut done = std::collections::HashSet::new();
        for f in self.store.covered_open_findings(now - days * 86_400).await? {
            if done.contains(&f.label_id) {
                continue;
            }
            let known = kev.contains(&f.advisory_id) || f.aliases.split(',').any(|a| kev.contains(a.trim()));
            let Some(why) = suspends(f.score, known, f.first_seen, now, days) else { continue };
            let score = f.score.map(|s| format!(" CVSS {s:.1}")).unwrap_or_default();
            let reason = match why {
                "known_exploited" => format!(
                    "{}（悪用が確認された脆弱性）が{days}日を超えて未対応 / {} (known exploited) open for more than {days} days",
                    f.advisory_id, f.advisory_id
                ),
                _ => format!(
                    "{}{score}（緊急）が{days}日を超えて未対応 / {}{score} (critical) open for more than {days} days",
                    f.advisory_id, f.advisory_id
                ),
            };
            match self.label_step_with(None, f.label_id, LabelTransition::Suspend, &reason, false).await {
                Ok(_) => {
                    changed += 1;
                    done.insert(f.label_id);
                }
                Err(AppError::Conflict { .. }) => {}
                Err(e) => tracing::warn!(label = f.label_id, error = %e, "label watch: cannot suspend"),
            }
        }
        if changed > 0 {
            let mut tx = self.store.begin().await?;
            self.reissue_status_list(&mut tx, None, self.now()).await?;
            tx.commit().await?;
        } else if self.config.labels.secret.is_some() && !self.store.signing_keys(None).await?.is_empty() {
            // keeps the list fresh (re-issued when a day old)
            self.status_list().await?;
        }
        Ok(changed)
    }

    /// Marks (or unmarks) an advisory as known exploited (the office).
    pub async fn set_known_exploited(&self, actor: &Actor, advisory: &str, on: bool) -> Result<()> {
        if !office(actor) {
            return Err(AppError::Forbidden);
        }
        let advisory = domain::text::clean_line(advisory);
        if advisory.is_empty() || advisory.len() > 100 {
            return Err(AppError::field("advisory", "脆弱性 ID を入力してください", "Give an advisory id"));
        }
        let now = self.now();
        let mut tx = self.store.begin().await?;
        tx.set_known_exploited(&advisory, on, &actor.audit_name(), now).await?;
        tx.audit(
            &AuditRecord {
                actor: actor.audit_name(),
                action: format!("verification.known_exploited_{}", if on { "marked" } else { "unmarked" }),
                subject: advisory.clone(),
                summary: String::new(),
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The checklist a case uses, if it picked one.
    pub async fn case_checklist_def(&self, case_id: i64) -> Result<Option<Checklist>> {
        let key = self.store.case_checklist(case_id).await?;
        if key.is_empty() {
            return Ok(None);
        }
        Ok(self.checklists().await?.into_iter().find(|c| c.key() == key))
    }
}

/// Tells the vendor and the body of a label what happened to it, in the change's transaction.
async fn tell_label_parties(tx: &mut Tx, row: &LabelRow, t: LabelTransition, now: i64) -> Result<()> {
    let product =
        if row.version.is_empty() { row.product_name.clone() } else { format!("{} {}", row.product_name, row.version) };
    let (id, link) = (row.id, format!("/labels/{}", row.id));
    let (ja, en) = (
        format!("検証ラベル #{id}（{product}）: {}", t.label(false)),
        format!("Verification label #{id} ({product}): {}", t.label(true)),
    );
    for org_id in [row.vendor_org_id, row.body_org_id] {
        let n = Notice { org_id, kind: "verification.label", subject_ja: &ja, subject_en: &en, link: &link };
        tx.notify(&n, now).await?;
    }
    Ok(())
}

/// The status list of these labels.
pub fn build_status_list(office: i64, sequence: i64, now: i64, rows: &[store::LabelStatusRow]) -> StatusList {
    StatusList {
        kind: label::STATUS_LIST_TYPE.into(),
        issuer: org_urn(office),
        sequence,
        issued_at: label::rfc3339(now),
        next_update: label::rfc3339(now + STATUS_LIST_SECS),
        labels: rows
            .iter()
            .map(|r| StatusEntry {
                id: r.id,
                status: r.status.clone(),
                since: label::rfc3339(r.status_at),
                reason: r.reason.clone(),
            })
            .collect(),
    }
}
