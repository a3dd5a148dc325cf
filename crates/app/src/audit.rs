//! The audit trail's checks: the hash chain, and keyed checkpoints of its head exported outside
//! the database (a file, the log) so that a rewritten and re-chained history is detected.
//!
//! Threat model (also in the README): the chain alone detects an edited or deleted entry by
//! someone who cannot recompute hashes (a mistaken UPDATE, a restored old backup). Someone who
//! can write to the database can rewrite an entry and re-chain everything after it; the
//! checkpoints, signed with a key that never enters the database and exported where that person
//! cannot write, catch that. They do not stop someone who holds both the database and the key.

use std::path::PathBuf;

use domain::audit::{ChainBreak, ChainVerifier, Checkpoint, CheckpointBreak, verify_checkpoints};

use crate::jobs::{Done, JobKinds};
use crate::{App, AppConfig, AppError, Result};

/// Keyed checkpoints: the key (at least 32 bytes, from configuration, never stored in the
/// database), where to append them, and how often.
#[derive(Clone)]
pub struct CheckpointConfig {
    pub key: Vec<u8>,
    /// Appended as JSON lines (and fsynced); every checkpoint is also logged.
    pub file: Option<PathBuf>,
    pub every_secs: i64,
}

impl std::fmt::Debug for CheckpointConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckpointConfig").field("key", &"***").field("file", &self.file).finish()
    }
}

pub const CHECKPOINT_JOB: &str = "platform.audit_checkpoint";

pub(crate) fn register(k: &mut JobKinds, config: &AppConfig) {
    if let Some(c) = &config.audit_checkpoints {
        k.register(CHECKPOINT_JOB, |app: App, _job| async move {
            app.audit_checkpoint().await.map_err(|e| e.to_string())?;
            Ok(Done::Ok)
        });
        k.every(CHECKPOINT_JOB, c.every_secs.max(1));
    }
}

impl App {
    /// Verifies the whole audit chain; returns how many entries were checked. The head and the
    /// entries come from one snapshot, so a write during the check is not taken for a deletion.
    pub async fn audit_verify(&self) -> Result<std::result::Result<u64, ChainBreak>> {
        let (head, entries) = self.store.audit_snapshot().await?;
        let mut v = ChainVerifier::default();
        for e in &entries {
            if let Err(b) = v.check(e) {
                return Ok(Err(b));
            }
        }
        Ok(v.finish(head.seq, &head.hash).map(|_| v.checked))
    }

    /// Signs the current head and exports it (the configured file, and the log). Fails when no
    /// key is configured.
    pub async fn audit_checkpoint(&self) -> Result<Checkpoint> {
        let c = self.checkpoint_config()?;
        let head = self.store.audit_head().await?;
        let cp = Checkpoint::sign(&c.key, head.seq, &head.hash, self.now());
        let line = cp.to_line();
        if let Some(path) = c.file.clone() {
            let l = line.clone();
            tokio::task::spawn_blocking(move || append_line(&path, &l))
                .await
                .map_err(|e| AppError::Internal(e.to_string()))?
                .map_err(|e| AppError::Internal(format!("cannot append the audit checkpoint: {e}")))?;
        }
        tracing::info!(target: "audit_checkpoint", checkpoint = %line, "audit checkpoint");
        Ok(cp)
    }

    /// Verifies the chain, then the exported checkpoints (JSON lines) against it.
    pub async fn audit_verify_checkpoints(&self, lines: &str) -> Result<std::result::Result<usize, String>> {
        let c = self.checkpoint_config()?;
        let (head, entries) = self.store.audit_snapshot().await?;
        let mut v = ChainVerifier::default();
        for e in &entries {
            if let Err(b) = v.check(e) {
                return Ok(Err(b.to_string()));
            }
        }
        if let Err(b) = v.finish(head.seq, &head.hash) {
            return Ok(Err(b.to_string()));
        }
        Ok(verify_checkpoints(&c.key, lines, &entries, head.seq).map_err(|b: CheckpointBreak| b.to_string()))
    }

    fn checkpoint_config(&self) -> Result<&CheckpointConfig> {
        self.config.audit_checkpoints.as_ref().ok_or_else(|| {
            AppError::field(
                "audit_key",
                "監査チェックポイントの鍵（audit_key）が設定されていません",
                "No audit checkpoint key is configured (audit_key / KAKEHASHI_AUDIT_KEY)",
            )
        })
    }
}

fn append_line(path: &std::path::Path, line: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
    f.write_all(format!("{line}\n").as_bytes())?;
    f.sync_all()
}
