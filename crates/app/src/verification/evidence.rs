//! Evidence of verification cases: SBOMs and lockfiles (scanned into the case version's
//! findings), network captures (streamed to the file store, analysed for the case's devices by
//! the capture analyser in a job, its findings and HTML report kept with the case) and documents.
//! Only those involved in a case (its vendor, its body, the program office) see its evidence.

use domain::audit::AuditRecord;
use domain::verification::case::{CaseId, CaseState, EvidenceKind, parse_devices};
use domain::workflow::Party;
use serde_json::{Value, json};
use store::{AnalysisRow, CaptureFindingRow, CaptureFindingWrite, CaseEvidenceRow, NewCaseEvidence, NewJob, Notice};

use super::{FILE_SUBJECT, SBOM_FORMATS, Verification};
use crate::authz::authorize_case;
use crate::blobs::{BlobSource, StagedBlob};
use crate::engines::{ANALYZE_JOB, Engine};
use crate::{Actor, AppError, Result};

/// The subject kind of case evidence in the kit's analyses.
pub const EVIDENCE_SUBJECT: &str = "verification.case_evidence";

/// An evidence file as pages show it.
#[derive(Debug, Clone)]
pub struct EvidenceView {
    pub row: CaseEvidenceRow,
    pub kind: EvidenceKind,
    /// The analysis' summary (JSON), `{}` while it runs.
    pub summary: Value,
    /// Percent of a capture read, while its analysis runs.
    pub progress: Option<u8>,
}

impl EvidenceView {
    fn from_row(row: CaseEvidenceRow) -> EvidenceView {
        let kind = EvidenceKind::parse(&row.kind).unwrap_or(EvidenceKind::Document);
        let summary: Value =
            row.analysis_summary.as_deref().and_then(|s| serde_json::from_str(s).ok()).unwrap_or_else(|| json!({}));
        let progress = match (row.analysis_state.as_deref(), summary.get("read_bytes").and_then(Value::as_u64)) {
            (Some("running"), Some(read)) if row.size > 0 => {
                Some((read.saturating_mul(100) / row.size as u64).min(99) as u8)
            }
            (Some("running"), _) => Some(0),
            _ => None,
        };
        EvidenceView { row, kind, summary, progress }
    }

    /// Waiting for or running its analysis.
    pub fn busy(&self) -> bool {
        matches!(self.row.analysis_state.as_deref(), Some("queued" | "running"))
    }
}

/// An evidence file added to a case.
#[derive(Debug, Clone)]
pub struct EvidenceAdded {
    pub id: i64,
    pub kind: EvidenceKind,
    /// The analysis job (SBOMs and captures).
    pub job: Option<i64>,
}

/// What a case's evidence is and what the engines found in it.
#[derive(Debug, Clone, Default)]
pub struct CaseEvidence {
    pub files: Vec<EvidenceView>,
    pub capture_findings: Vec<CaptureFindingRow>,
    /// The viewer may add evidence now.
    pub can_add: bool,
    /// The viewer is the vendor, the body or the office (others see no evidence).
    pub involved: bool,
}

/// Is this the start of a capture the analyser reads (pcap, pcapng, or gzip of one)?
fn looks_like_capture(head: &[u8]) -> bool {
    head.starts_with(&[0x1f, 0x8b])
        || (head.len() >= 24 && crate::engines::detect(&head[..24]) == Some(Engine::Capture))
}

impl Verification<'_> {
    /// Who may add evidence: the vendor and the body, from the request until testing ends.
    fn may_add_evidence(&self, actor: Option<&Actor>, c: &super::cases::CaseView) -> bool {
        matches!(c.state, CaseState::Requested | CaseState::Scoped | CaseState::InProgress)
            && authorize_case(actor, &[Party::Owner, Party::Reviewer], c.row.vendor_org_id, c.row.body_org_id).is_ok()
    }

    /// The case's evidence files and capture findings (404 to those not involved).
    pub async fn case_evidence(&self, actor: Option<&Actor>, id: CaseId) -> Result<CaseEvidence> {
        let (c, involved) = self.case_view(actor, id).await?;
        if !involved {
            return Ok(CaseEvidence::default());
        }
        let files = self.store.case_evidence(id.0).await?.into_iter().map(EvidenceView::from_row).collect();
        let capture_findings = self.store.capture_findings(id.0).await?;
        Ok(CaseEvidence { files, capture_findings, can_add: self.may_add_evidence(actor, &c), involved })
    }

    /// Adds a file streamed to the file store as evidence of a case. `kind` None: told by its
    /// content (a capture, else an SBOM or lockfile a reader accepts, else a document). SBOMs are
    /// scanned into the case's version (or the one given, or the product's newest), captures
    /// analysed for `devices` (or the plan's), both in jobs.
    #[allow(clippy::too_many_arguments)]
    pub async fn add_evidence(
        &self,
        actor: &Actor,
        id: CaseId,
        kind: Option<EvidenceKind>,
        filename: &str,
        content_type: &str,
        staged: &StagedBlob,
        devices: &str,
        version: &str,
    ) -> Result<EvidenceAdded> {
        let result = async {
            let (c, involved) = self.case_view(Some(actor), id).await?;
            self.upload_refusal(actor, &c, involved)?;
            self.add_staged(actor, &c, kind, filename, content_type, staged, devices, version).await
        }
        .await;
        if !matches!(result, Ok(EvidenceAdded { kind: EvidenceKind::Capture | EvidenceKind::Firmware, .. })) {
            // only captures stay in the file store; what was refused or went to the database goes
            self.discard_upload(staged).await;
        }
        result
    }

    /// Removes a staged upload from the file store unless a stored row keeps it there (on a
    /// database error the file stays: an unreferenced file costs disk, a lost capture a case).
    pub async fn discard_upload(&self, staged: &StagedBlob) {
        let sha256 = &staged.sha256;
        let unreferenced = match self.store.blob_info(sha256).await {
            Ok((external, _)) => !external,
            Err(store::StoreError::NotFound) => true,
            Err(_) => false,
        };
        if unreferenced && let Some(p) = crate::blobs::blob_path(&self.config.blob_dir, sha256) {
            let _ = tokio::fs::remove_file(p).await;
        }
    }

    /// Whether the actor may add evidence to the case now, checked before an upload is stored:
    /// 404 to those not involved, 403 or 409 otherwise.
    pub async fn check_evidence_upload(&self, actor: &Actor, id: CaseId) -> Result<()> {
        let (c, involved) = self.case_view(Some(actor), id).await?;
        self.upload_refusal(actor, &c, involved)
    }

    /// Why the actor may not add evidence to this case now, if so.
    fn upload_refusal(&self, actor: &Actor, c: &super::cases::CaseView, involved: bool) -> Result<()> {
        if !involved {
            return Err(AppError::NotFound);
        }
        if self.may_add_evidence(Some(actor), c) {
            return Ok(());
        }
        authorize_case(Some(actor), &[Party::Owner, Party::Reviewer], c.row.vendor_org_id, c.row.body_org_id)?;
        Err(AppError::conflict(
            "証拠は依頼から検証中までの案件にだけ追加できます",
            "Evidence is added from the request until testing ends",
        ))
    }

    #[allow(clippy::too_many_arguments)]
    async fn add_staged(
        &self,
        actor: &Actor,
        c: &super::cases::CaseView,
        kind: Option<EvidenceKind>,
        filename: &str,
        content_type: &str,
        staged: &StagedBlob,
        devices: &str,
        version: &str,
    ) -> Result<EvidenceAdded> {
        if staged.size == 0 {
            return Err(AppError::field("file", "ファイルを選択してください", "Choose a file"));
        }
        let capture = looks_like_capture(&staged.head);
        let kind = match kind {
            Some(k) => k,
            None if capture => EvidenceKind::Capture,
            None if staged.size as usize <= self.config.max_upload_bytes
                && self.read_staged(&staged.sha256).await.is_ok_and(|d| crate::engines::check_sbom(&d).is_ok()) =>
            {
                EvidenceKind::Sbom
            }
            None => EvidenceKind::Document,
        };
        let streamed = matches!(kind, EvidenceKind::Capture | EvidenceKind::Firmware);
        if !streamed && staged.size as usize > self.config.max_upload_bytes {
            return Err(AppError::TooLarge { limit: self.config.max_upload_bytes });
        }
        if kind == EvidenceKind::Firmware && staged.size > crate::engines::FIRMWARE_MAX_BYTES {
            return Err(AppError::TooLarge { limit: crate::engines::FIRMWARE_MAX_BYTES as usize });
        }
        if kind == EvidenceKind::Capture && !capture {
            return Err(AppError::UnsupportedMedia);
        }
        let devices = if kind == EvidenceKind::Capture {
            let typed = parse_devices(devices).map_err(|e| AppError::Invalid(vec![e]))?;
            if typed.is_empty() { c.plan.devices.clone() } else { typed }
        } else {
            Vec::new()
        };
        let filename = crate::engines::clean_filename(filename, kind.code());
        let content_type = domain::text::clean_line(content_type).chars().take(100).collect::<String>();
        let data = match kind {
            EvidenceKind::Capture | EvidenceKind::Firmware => None,
            _ => Some(self.read_staged(&staged.sha256).await?),
        };
        if kind == EvidenceKind::Sbom
            && let Some(Err(e)) = data.as_deref().map(crate::engines::check_sbom)
        {
            return Err(AppError::Invalid(vec![domain::FieldError::new(
                "file",
                format!("SBOM として読めません（{e}）。読める形式: {SBOM_FORMATS}"),
                format!("Not a readable SBOM ({e}). Accepted formats: {SBOM_FORMATS}"),
            )]));
        }
        // an SBOM belongs to a version: the case's, the one typed, or the product's newest
        let version = if kind == EvidenceKind::Sbom {
            let typed = version.trim();
            Some(match (c.row.version.as_deref(), typed) {
                (_, t) if !t.is_empty() => {
                    domain::verification::version_label(t).map_err(|e| AppError::Invalid(vec![e]))?
                }
                (Some(v), _) => v.to_string(),
                (None, _) => self
                    .store
                    .product_versions(c.row.product_id)
                    .await?
                    .into_iter()
                    .next()
                    .map(|v| v.version)
                    .ok_or_else(|| {
                        AppError::field(
                            "version",
                            "バージョンを入力してください",
                            "Give the version this SBOM describes",
                        )
                    })?,
            })
        } else {
            None
        };
        // a version the case did not name is made private; the body may scan only into the case's
        // version or a new one (never replace the components of another version of the vendor's)
        let by_vendor = actor.member_of(c.row.vendor_org_id).is_some();
        if let Some(v) = &version
            && !by_vendor
            && c.row.version.as_deref() != Some(v.as_str())
            && self.store.product_versions(c.row.product_id).await?.iter().any(|x| &x.version == v)
        {
            return Err(AppError::field(
                "version",
                "検証機関は、案件のバージョンか新しいバージョン名にだけ SBOM を登録できます",
                "A body adds an SBOM to the case's version or to a new version label only",
            ));
        }
        let now = self.now();
        let sha = staged.sha256.as_str();
        let size = staged.size as i64;
        let mut tx = self.store.begin().await?;
        match &data {
            Some(d) => tx.put_blob(sha, d).await?,
            None => tx.put_external_blob(sha, size).await?,
        }
        let eid = tx
            .insert_case_evidence(
                &NewCaseEvidence {
                    case_id: c.row.id,
                    kind: kind.code(),
                    filename: &filename,
                    content_type: &content_type,
                    sha256: sha,
                    size,
                    devices: &devices.join(","),
                    uploaded_by: Some(actor.user_id),
                },
                now,
            )
            .await?;
        let job = match kind {
            EvidenceKind::Sbom => {
                let version = version.unwrap_or_default();
                let (version_id, _) = tx.version_or_insert_with(c.row.product_id, &version, false, now).await?;
                let file_id =
                    tx.insert_product_file(version_id, "sbom", &filename, sha, size, now, Some(actor.user_id)).await?;
                let (analysis, job) =
                    crate::engines::request_analysis(&mut tx, FILE_SUBJECT, file_id, sha, Engine::Sbom, now).await?;
                tx.set_evidence_analysis(eid, analysis).await?;
                Some(job.0)
            }
            EvidenceKind::Capture => {
                let (analysis, job) =
                    crate::engines::request_analysis(&mut tx, EVIDENCE_SUBJECT, eid, sha, Engine::Capture, now).await?;
                tx.set_evidence_analysis(eid, analysis).await?;
                Some(job.0)
            }
            EvidenceKind::Firmware => {
                let (analysis, job) =
                    crate::engines::request_analysis(&mut tx, EVIDENCE_SUBJECT, eid, sha, Engine::Firmware, now)
                        .await?;
                tx.set_evidence_analysis(eid, analysis).await?;
                Some(job.0)
            }
            EvidenceKind::Document => None,
        };
        tx.audit(
            &AuditRecord {
                actor: actor.audit_name(),
                action: "verification.case_evidence".into(),
                subject: format!("case#{}", c.row.id),
                summary: format!("evidence#{eid} kind={} file={filename} size={size} sha256={sha}", kind.code()),
            },
            now,
        )
        .await?;
        // the other side hears of it
        let to_org = if actor.memberships.iter().any(|m| m.org_id == c.row.vendor_org_id) {
            c.row.body_org_id
        } else {
            c.row.vendor_org_id
        };
        let (ja, en) = (
            format!("検証案件「{}」に証拠が追加されました: {filename}", c.row.title),
            format!("Evidence added to verification case \"{}\": {filename}", c.row.title),
        );
        let link = format!("/cases/{}#evidence", c.row.id);
        tx.notify(
            &Notice { org_id: to_org, kind: "verification.case", subject_ja: &ja, subject_en: &en, link: &link },
            now,
        )
        .await?;
        tx.commit().await?;
        if job.is_some() {
            self.job_wake.notify_waiters();
        }
        Ok(EvidenceAdded { id: eid, kind, job })
    }

    async fn read_staged(&self, sha256: &str) -> Result<Vec<u8>> {
        let path = crate::blobs::blob_path(&self.config.blob_dir, sha256).ok_or(AppError::NotFound)?;
        tokio::fs::read(&path).await.map_err(|e| {
            tracing::error!(path = %path.display(), error = %e, "file store: cannot read a staged upload");
            AppError::Unavailable
        })
    }

    /// An evidence file of a case the viewer is involved in (404 otherwise).
    pub async fn evidence(
        &self,
        actor: Option<&Actor>,
        id: CaseId,
        evidence_id: i64,
    ) -> Result<(EvidenceView, BlobSource)> {
        let (_, involved) = self.case_view(actor, id).await?;
        let row = match self.store.evidence_file(evidence_id).await {
            Ok(r) if r.case_id == id.0 && involved => r,
            Ok(_) | Err(store::StoreError::NotFound) => return Err(AppError::NotFound),
            Err(e) => return Err(e.into()),
        };
        let source = self.blob_source(&row.sha256).await?;
        Ok((EvidenceView::from_row(row), source))
    }

    /// The capture analyser's HTML report of an evidence file (404 until there is one).
    pub async fn evidence_report(&self, actor: Option<&Actor>, id: CaseId, evidence_id: i64) -> Result<String> {
        let (e, _) = self.evidence(actor, id, evidence_id).await?;
        let sha = e.row.report_sha256.ok_or(AppError::NotFound)?;
        let bytes = self.store.blob(&sha).await?;
        String::from_utf8(bytes).map_err(|_| AppError::Internal("report is not UTF-8".into()))
    }

    /// Runs a failed analysis again (the case page's retry button).
    pub async fn retry_evidence(&self, actor: &Actor, id: CaseId, evidence_id: i64) -> Result<i64> {
        let (c, _) = self.case_view(Some(actor), id).await?;
        let (e, _) = self.evidence(Some(actor), id, evidence_id).await?;
        authorize_case(Some(actor), &[Party::Owner, Party::Reviewer], c.row.vendor_org_id, c.row.body_org_id)?;
        let analysis = e
            .row
            .analysis_id
            .ok_or_else(|| AppError::conflict("この証拠は解析の対象ではありません", "This evidence is not analysed"))?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        if !tx.requeue_analysis(analysis).await? {
            return Err(AppError::conflict(
                "失敗した解析だけをやり直せます",
                "Only a failed analysis can be run again",
            ));
        }
        let job = NewJob::new(ANALYZE_JOB, json!({"analysis_id": analysis}).to_string(), now * 1000)
            .key(format!("analysis:{analysis}:retry:{}", self.now_ms()))
            .max_attempts(3);
        let job = tx.enqueue(&job, now * 1000).await?;
        tx.audit(
            &AuditRecord {
                actor: actor.audit_name(),
                action: "verification.evidence_retry".into(),
                subject: format!("case#{}", id.0),
                summary: format!("evidence#{evidence_id} analysis#{analysis} job={job}"),
            },
            now,
        )
        .await?;
        tx.commit().await?;
        self.job_wake.notify_waiters();
        Ok(job.0)
    }

    /// Keeps what the capture analyser found in a case's capture: its findings, its HTML report
    /// and, for a truncated capture, where reading stopped; with the analysis' result, in one
    /// transaction.
    pub(crate) async fn record_capture(&self, analysis: &AnalysisRow, report: &netcap::Report) -> Result<()> {
        let e = self.store.evidence_file(analysis.subject_id).await?;
        let html = netcap::html(report);
        let report_sha = {
            use sha2::Digest;
            hex::encode(sha2::Sha256::digest(html.as_bytes()))
        };
        let findings: Vec<CaptureFindingWrite> = report
            .findings
            .iter()
            .map(|f| CaptureFindingWrite {
                kind: f.kind.to_string(),
                protocol: f.protocol.to_string(),
                severity: f.severity.to_string(),
                src: f.src.to_string(),
                dst: f.dst.to_string(),
                packets: f.packets.iter().map(u64::to_string).collect::<Vec<_>>().join(","),
                first_seen_ms: (f.first_seen * 1000.0) as i64,
                detail: f.detail.clone(),
            })
            .collect();
        let note = report.stopped.clone().unwrap_or_default();
        let summary = crate::engines::capture_summary(report);
        let now = self.now();
        let mut tx = self.store.begin().await?;
        tx.put_blob(&report_sha, html.as_bytes()).await?;
        tx.record_capture(e.case_id, e.id, Some(&report_sha), &note, &findings).await?;
        tx.finish_analysis(analysis.id, "done", &summary.to_string(), None, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Keeps what the firmware engine found in a case's image: its findings beside the captures'
    /// (protocol `firmware`, the file as source), and its inventory as a CycloneDX SBOM added to
    /// the case's evidence and scanned into the case's version (or the product's newest), in one
    /// transaction with the analysis' result.
    pub(crate) async fn record_firmware(&self, analysis: &AnalysisRow, report: &firmware::Report) -> Result<()> {
        let e = self.store.evidence_file(analysis.subject_id).await?;
        let c = self.store.case(e.case_id).await?;
        let findings: Vec<CaptureFindingWrite> = report
            .findings
            .iter()
            .map(|f| CaptureFindingWrite {
                kind: f.kind.clone(),
                protocol: "firmware".into(),
                severity: match f.severity.as_str() {
                    "critical" | "high" => "high".into(),
                    "medium" => "medium".into(),
                    _ => "low".into(),
                },
                src: f.path.chars().take(300).collect(),
                dst: f
                    .service
                    .clone()
                    .or_else(|| f.account.clone())
                    .or_else(|| f.fingerprint.clone())
                    .unwrap_or_default(),
                packets: String::new(),
                first_seen_ms: 0,
                detail: f.detail.chars().take(1000).collect(),
            })
            .collect();
        let mut summary = crate::engines::firmware_summary(report);
        let now = self.now();
        let sbom = (!report.components.is_empty()).then(|| firmware::output::cyclonedx(report));
        let html = firmware::output::html(report);
        let report_sha = {
            use sha2::Digest;
            hex::encode(sha2::Sha256::digest(html.as_bytes()))
        };
        let mut tx = self.store.begin().await?;
        tx.put_blob(&report_sha, html.as_bytes()).await?;
        tx.record_capture(e.case_id, e.id, Some(&report_sha), "", &findings).await?;
        if let Some(doc) = sbom {
            // the case's version; without one, a private version named after the image (never
            // another version of the product, which may be public before the case is)
            let version_id = match c.version_id {
                Some(v) => v,
                None => {
                    let label = format!("firmware-{}", &report.sha256[..12.min(report.sha256.len())]);
                    tx.version_or_insert_with(c.product_id, &label, false, now).await?.0
                }
            };
            let bytes = doc.into_bytes();
            let sha = {
                use sha2::Digest;
                hex::encode(sha2::Sha256::digest(&bytes))
            };
            let name = format!("{}.cdx.json", e.filename.chars().take(180).collect::<String>());
            tx.put_blob(&sha, &bytes).await?;
            let sbom_eid = tx
                .insert_case_evidence(
                    &NewCaseEvidence {
                        case_id: e.case_id,
                        kind: EvidenceKind::Sbom.code(),
                        filename: &name,
                        content_type: "application/vnd.cyclonedx+json",
                        sha256: &sha,
                        size: bytes.len() as i64,
                        devices: "",
                        uploaded_by: None,
                    },
                    now,
                )
                .await?;
            let file_id =
                tx.insert_product_file(version_id, "sbom", &name, &sha, bytes.len() as i64, now, None).await?;
            let (sbom_analysis, _) =
                crate::engines::request_analysis(&mut tx, FILE_SUBJECT, file_id, &sha, Engine::Sbom, now).await?;
            tx.set_evidence_analysis(sbom_eid, sbom_analysis).await?;
            summary["sbom_evidence"] = json!(sbom_eid);
        }
        tx.finish_analysis(analysis.id, "done", &summary.to_string(), None, now).await?;
        tx.commit().await?;
        self.job_wake.notify_waiters();
        Ok(())
    }
}
