//! Checklists on cases: the shipped and loaded checklists, the one a case uses, each item's
//! verdict, and the automatic verdicts the evidence rules derive from the engines' results. The
//! automatic verdicts are computed from the evidence as it stands whenever they are read, so they
//! follow every new capture, SBOM or triage; a tester's verdict that differs from the automatic
//! one needs a reason and is kept in the case's history.

use std::collections::{BTreeMap, BTreeSet};

use domain::audit::AuditRecord;
use domain::verification::case::CaseId;
use domain::verification::checklist::{self, AutoVerdict, Checklist, Fact, Verdict};
use store::VerdictRow;

use super::Verification;
use crate::authz::authorize_case;
use crate::{Actor, AppError, Result};

/// The history subject of verdicts (per case).
pub const VERDICT_SUBJECT: &str = "verification.checklist";

/// One item of a case's checklist with its verdicts.
#[derive(Debug, Clone)]
pub struct ItemView {
    pub item: checklist::Item,
    /// What counts: the tester's verdict, else the automatic one, else not evaluated.
    pub verdict: Verdict,
    pub auto: Option<AutoVerdict>,
    /// The tester's verdict as recorded, if any.
    pub recorded: Option<VerdictRow>,
}

/// A case's checklist as its page shows it.
#[derive(Debug, Clone)]
pub struct CaseChecklist {
    pub checklist: Option<Checklist>,
    pub items: Vec<ItemView>,
    /// The body may pick the checklist and record verdicts (while testing).
    pub can_edit: bool,
    /// Every checklist a case may use (`scheme@version`, title).
    pub available: Vec<(String, String, String)>,
    pub history: Vec<store::TransitionRow>,
    /// The vendor, before the findings review: the verdicts are not shown yet.
    pub withheld: bool,
}

impl CaseChecklist {
    pub fn count(&self, v: Verdict) -> usize {
        self.items.iter().filter(|i| i.verdict == v).count()
    }
}

impl Verification<'_> {
    /// The shipped checklists and those the office loaded, oldest version first per scheme.
    pub async fn checklists(&self) -> Result<Vec<Checklist>> {
        let mut out = checklist::builtin();
        for row in self.store.checklists().await? {
            if let Ok(c) = Checklist::parse(&row.source) {
                out.push(c);
            }
        }
        Ok(out)
    }

    /// The office loads a checklist file (a new scheme, or a new version of one). Unknown or
    /// duplicate ids, references to items no loaded checklist has, or a version already loaded:
    /// refused with every problem named, nothing stored.
    pub async fn load_checklist(&self, actor: &Actor, source: &str) -> Result<Checklist> {
        if !super::labels::office(actor) {
            return Err(AppError::Forbidden);
        }
        let c = Checklist::parse(source).map_err(checklist_errors)?;
        let all = self.checklists().await?;
        if all.iter().any(|k| k.key() == c.key()) {
            return Err(AppError::conflict(
                format!("チェックリスト {} はすでに読み込まれています。版を上げてください", c.key()),
                format!("Checklist {} is already loaded: give it a new version", c.key()),
            ));
        }
        let newest: Vec<&Checklist> = {
            let mut by_scheme: BTreeMap<&str, &Checklist> = BTreeMap::new();
            for k in &all {
                by_scheme.insert(k.scheme.as_str(), k);
            }
            by_scheme.insert(c.scheme.as_str(), &c);
            by_scheme.into_values().collect()
        };
        let unknown = checklist::unknown_refs(&c, &newest);
        if !unknown.is_empty() {
            return Err(checklist_errors(unknown));
        }
        let now = self.now();
        let mut tx = self.store.begin().await?;
        tx.insert_checklist(&c.scheme, &c.version, source, &actor.audit_name(), now).await?;
        tx.audit(
            &AuditRecord {
                actor: actor.audit_name(),
                action: "verification.checklist_loaded".into(),
                subject: c.key(),
                summary: format!("{} items", c.items.len()),
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(c)
    }

    /// The facts the rules read, from the case's evidence as it stands.
    pub async fn case_facts(&self, case_id: i64) -> Result<BTreeMap<String, Fact>> {
        let c = self.store.case(case_id).await?;
        let mut facts: BTreeMap<String, Fact> = BTreeMap::new();
        fn add(facts: &mut BTreeMap<String, Fact>, fact: &str, evidence: Option<i64>, detail: String) {
            let f = facts.entry(fact.to_string()).or_default();
            f.evidence.extend(evidence);
            if !detail.is_empty() && !f.detail.contains(&detail) && f.detail.chars().count() < 200 {
                f.detail = if f.detail.is_empty() { detail } else { format!("{}, {detail}", f.detail) };
            }
        }
        for f in self.store.capture_findings(case_id).await? {
            let what = format!("{} {} → {}", f.protocol, f.src, f.dst);
            if f.protocol == "firmware" {
                match f.kind.as_str() {
                    "weak_password" => {
                        add(&mut facts, "firmware_weak_password", Some(f.evidence_id), format!("{} ({})", f.dst, f.src))
                    }
                    "boot_service"
                        if matches!(
                            f.dst.as_str(),
                            "telnetd"
                                | "rlogind"
                                | "rshd"
                                | "bind_shell"
                                | "netcat_listener"
                                | "tftpd"
                                | "adbd"
                                | "gdbserver"
                        ) =>
                    {
                        add(&mut facts, "insecure_listener", Some(f.evidence_id), format!("{} ({})", f.dst, f.src))
                    }
                    _ => {}
                }
                continue;
            }
            match f.kind.as_str() {
                "credentials_in_clear" => {
                    add(&mut facts, "capture_credentials", Some(f.evidence_id), what.clone());
                    add(&mut facts, "capture_cleartext_sensitive", Some(f.evidence_id), what);
                }
                "personal_data_in_clear" => add(&mut facts, "capture_cleartext_sensitive", Some(f.evidence_id), what),
                "listening_service" | "cleartext_protocol"
                    if matches!(f.protocol.as_str(), "telnet" | "ftp" | "rlogin" | "rsh" | "rexec") =>
                {
                    add(&mut facts, "insecure_listener", Some(f.evidence_id), format!("{} {}", f.protocol, f.dst))
                }
                _ => {}
            }
        }
        for e in self.store.case_evidence(case_id).await? {
            if e.kind == "sbom" {
                add(&mut facts, "sbom_attached", Some(e.id), e.filename.clone());
            }
        }
        if let Some(v) = c.version_id {
            for f in self.store.findings(v).await? {
                if f.state == "in_triage" && !f.fixed.is_empty() && f.source != "manual" {
                    add(&mut facts, "sbom_fixable_untriaged", None, f.advisory_id.clone());
                }
            }
            if !facts.contains_key("sbom_attached") && self.store.case_sbom(case_id, Some(v)).await?.is_some() {
                add(&mut facts, "sbom_attached", None, String::new());
            }
        }
        let product = self.store.product(c.product_id).await?;
        if !product.vuln_contact.trim().is_empty() {
            add(&mut facts, "disclosure_contact", None, product.vuln_contact.clone());
        }
        Ok(facts)
    }

    /// A case's checklist with every item's verdict, for those involved.
    pub async fn case_checklist(&self, actor: Option<&Actor>, id: CaseId) -> Result<CaseChecklist> {
        let (c, involved) = self.case_view(actor, id).await?;
        if !involved && c.state != domain::verification::case::CaseState::Published {
            return Err(AppError::NotFound);
        }
        let can_edit = c.state.is_active()
            && authorize_case(actor, &[domain::workflow::Party::Reviewer], c.row.vendor_org_id, c.row.body_org_id)
                .is_ok();
        // the vendor sees the verdicts (and the automatic ones' evidence) from the findings review
        // on, as it sees the testers' findings; the body and the office always
        let body_or_office = actor.is_some_and(|a| {
            a.is_program_operator()
                || a.member_of(c.row.body_org_id).is_some_and(|m| m.kind == domain::OrgKind::VerificationBody)
        });
        let withheld = !body_or_office
            && matches!(
                c.state,
                domain::verification::case::CaseState::Requested
                    | domain::verification::case::CaseState::Scoped
                    | domain::verification::case::CaseState::InProgress
            );
        let all = self.checklists().await?;
        let available = all.iter().map(|k| (k.key(), k.title.clone(), k.title_en.clone())).collect();
        let checklist = self.case_checklist_def(id.0).await?;
        let mut items = Vec::new();
        if let Some(cl) = checklist.as_ref().filter(|_| !withheld) {
            let facts = self.case_facts(id.0).await?;
            let mut auto = checklist::evaluate(cl, &checklist::builtin_rules(), &facts);
            let mut recorded: BTreeMap<String, VerdictRow> =
                self.store.case_verdicts(id.0).await?.into_iter().map(|v| (v.item.clone(), v)).collect();
            for item in &cl.items {
                let auto = auto.remove(&item.id);
                let recorded = recorded.remove(&item.id);
                let verdict = recorded
                    .as_ref()
                    .and_then(|r| Verdict::parse(&r.verdict))
                    .or(auto.as_ref().map(|a| a.verdict))
                    .unwrap_or(Verdict::NotEvaluated);
                items.push(ItemView { item: item.clone(), verdict, auto, recorded });
            }
        }
        let history =
            if involved && !withheld { self.store.transitions_of(VERDICT_SUBJECT, id.0).await? } else { Vec::new() };
        Ok(CaseChecklist { checklist, items, can_edit, available, history, withheld })
    }

    /// The counter a case's checklist changes take in their transactions (see [`guard_active`]).
    pub(crate) fn verdicts_counter(id: CaseId) -> String {
        format!("case-verdicts:{}", id.0)
    }

    /// The body picks the checklist a case is verified against (while the case is active).
    pub async fn pick_checklist(&self, actor: &Actor, id: CaseId, key: &str) -> Result<()> {
        let (c, _) = self.case_view(Some(actor), id).await?;
        authorize_case(Some(actor), &[domain::workflow::Party::Reviewer], c.row.vendor_org_id, c.row.body_org_id)?;
        if !c.state.is_active() {
            return Err(AppError::conflict(
                "判定後はチェックリストを変更できません",
                "The case is decided: the checklist is fixed",
            ));
        }
        let cl =
            self.checklists().await?.into_iter().find(|k| k.key() == key.trim()).ok_or_else(|| {
                AppError::field("checklist", "チェックリストを選択してください", "Choose a checklist")
            })?;
        let now = self.now();
        let previous = self.store.case_checklist(id.0).await?;
        let mut tx = self.store.begin().await?;
        guard_active(&mut tx, id).await?;
        if previous != cl.key() {
            // verdicts belong to the items of the checklist they were given under
            tx.clear_verdicts(id.0).await?;
        }
        tx.set_case_checklist(id.0, &cl.key()).await?;
        tx.record_transition(
            &store::NewTransition {
                subject_kind: VERDICT_SUBJECT,
                subject_id: id.0,
                actor_user_id: Some(actor.user_id),
                actor_name: &actor.name,
                action: "checklist",
                from_state: None,
                to_state: &cl.key(),
                comment: "",
            },
            now,
        )
        .await?;
        tx.audit(
            &AuditRecord {
                actor: actor.audit_name(),
                action: "verification.checklist_picked".into(),
                subject: format!("case#{}", id.0),
                summary: cl.key(),
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A tester records an item's verdict with evidence (ids of the case's evidence) and a note.
    /// Differing from the automatic verdict needs a reason (the note), kept in the history.
    pub async fn set_verdict(
        &self,
        actor: &Actor,
        id: CaseId,
        item: &str,
        verdict: &str,
        evidence: &[i64],
        note: &str,
    ) -> Result<()> {
        let view = self.case_checklist(Some(actor), id).await?;
        if !view.can_edit {
            return Err(AppError::Forbidden);
        }
        let Some(iv) = view.items.iter().find(|i| i.item.id == item) else {
            return Err(AppError::field(
                "item",
                "チェックリストにない項目です",
                "No such item in the case's checklist",
            ));
        };
        let verdict = Verdict::parse(verdict.trim())
            .ok_or_else(|| AppError::field("verdict", "判定を選択してください", "Choose a verdict"))?;
        let note = domain::text::clean_text(note);
        if note.chars().count() > 4000 {
            return Err(AppError::field("note", "4000文字以内で入力してください", "At most 4000 characters"));
        }
        let overrides = iv.auto.as_ref().is_some_and(|a| a.verdict != verdict);
        if overrides && note.is_empty() {
            return Err(AppError::field(
                "note",
                "自動判定と異なる判定には理由が必要です",
                "A verdict other than the automatic one needs a reason",
            ));
        }
        let known: BTreeSet<i64> = self.store.case_evidence(id.0).await?.iter().map(|e| e.id).collect();
        if let Some(x) = evidence.iter().find(|e| !known.contains(e)) {
            return Err(AppError::Invalid(vec![domain::FieldError::new(
                "evidence",
                format!("この案件の証跡ではありません: {x}"),
                format!("Not evidence of this case: {x}"),
            )]));
        }
        let now = self.now();
        let row = VerdictRow {
            item: item.to_string(),
            verdict: verdict.code().into(),
            auto_verdict: iv.auto.as_ref().map(|a| a.verdict.code().to_string()).unwrap_or_default(),
            auto_reason: iv.auto.as_ref().map(|a| a.reason_en.clone()).unwrap_or_default(),
            evidence: evidence.iter().map(i64::to_string).collect::<Vec<_>>().join(","),
            note: note.clone(),
            overridden: overrides,
            updated_by: actor.name.clone(),
            updated_at: now,
        };
        let mut tx = self.store.begin().await?;
        guard_active(&mut tx, id).await?;
        tx.put_verdict(id.0, &row).await?;
        let comment = if overrides {
            format!(
                "{item}: {} → {} ({note})",
                iv.auto.as_ref().map(|a| a.verdict.code()).unwrap_or(""),
                verdict.code()
            )
        } else {
            format!("{item}: {}", if note.is_empty() { verdict.code().to_string() } else { note.clone() })
        };
        tx.record_transition(
            &store::NewTransition {
                subject_kind: VERDICT_SUBJECT,
                subject_id: id.0,
                actor_user_id: Some(actor.user_id),
                actor_name: &actor.name,
                action: if overrides { "override" } else { "verdict" },
                from_state: Some(iv.verdict.code()),
                to_state: verdict.code(),
                comment: &comment,
            },
            now,
        )
        .await?;
        tx.audit(
            &AuditRecord {
                actor: actor.audit_name(),
                action: format!("verification.{}", if overrides { "verdict_override" } else { "verdict" }),
                subject: format!("case#{}", id.0),
                summary: comment,
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

fn checklist_errors(errs: Vec<String>) -> AppError {
    AppError::Invalid(
        errs.into_iter()
            .map(|e| domain::FieldError::new("source", format!("チェックリストを読み込めません: {e}"), e))
            .collect(),
    )
}

/// In a checklist change's transaction: takes the case's verdicts counter (a row lock on
/// PostgreSQL, the write lock on SQLite), then requires the case still active as the transaction
/// now sees it. The decision reads the counter before it checks the verdicts and takes it in its
/// own transaction: a verdict written in between makes the decision a conflict, and a verdict
/// written after the decision finds the case decided.
async fn guard_active(tx: &mut store::Tx, id: CaseId) -> Result<()> {
    store::Store::next_counter(tx, &Verification::verdicts_counter(id)).await?;
    let state = tx.case_state(id.0).await?;
    if !domain::verification::case::CaseState::parse(&state).is_some_and(|s| s.is_active()) {
        return Err(AppError::conflict(
            "判定後はチェックリストを変更できません",
            "The case is decided: the checklist is fixed",
        ));
    }
    Ok(())
}
