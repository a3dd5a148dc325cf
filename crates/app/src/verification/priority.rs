//! The program office's queue of candidates for white-hat verification (deck: 検証対象の優先順位):
//! IoT devices and control systems ranked by the four attributes under the office's weights, plus
//! their open critical and high findings, each score explained part by part.

use domain::audit::AuditRecord;
use domain::verification::ProductId;
use domain::verification::priority::{PriorityAttrs, PriorityWeights, ScorePart, score};

use super::Verification;
use crate::{Actor, AppError, Result, Scope};

/// One candidate in the queue.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub product_id: i64,
    pub name: String,
    pub vendor: String,
    pub category: String,
    pub public: bool,
    pub attrs: PriorityAttrs,
    pub score: u32,
    pub parts: Vec<ScorePart>,
}

fn office(actor: &Actor) -> Result<()> {
    if actor.is_program_operator() && actor.has_scope(Scope::RegistryOperate) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

impl Verification<'_> {
    async fn weights(&self) -> Result<PriorityWeights> {
        Ok(self.store.priority_weights().await?.and_then(|j| serde_json::from_str(&j).ok()).unwrap_or_default())
    }

    /// The ranked queue (highest score first, then product id) with the weights in force.
    pub async fn priority_queue(&self, actor: &Actor) -> Result<(PriorityWeights, Vec<Candidate>)> {
        office(actor)?;
        let w = self.weights().await?;
        let rows = self.store.priority_rows(&["iot_device", "control_system"]).await?;
        let mut out: Vec<Candidate> = rows
            .into_iter()
            .map(|r| {
                let attrs: PriorityAttrs = serde_json::from_str(&r.priority_json).unwrap_or_default();
                let (total, parts) = score(attrs, w, r.open_critical, r.open_high);
                Candidate {
                    product_id: r.product_id,
                    name: r.name,
                    vendor: r.vendor_name,
                    category: r.category,
                    public: r.public,
                    attrs,
                    score: total,
                    parts,
                }
            })
            .collect();
        out.sort_by(|a, b| b.score.cmp(&a.score).then(a.product_id.cmp(&b.product_id)));
        Ok((w, out))
    }

    /// The office sets the weights (each 0–10).
    pub async fn set_priority_weights(&self, actor: Option<&Actor>, w: PriorityWeights) -> Result<()> {
        if let Some(a) = actor {
            office(a)?;
        }
        let w = w.clamped();
        let now = self.now();
        let mut tx = self.store.begin().await?;
        tx.set_priority_weights(&serde_json::to_string(&w).map_err(|e| AppError::Internal(e.to_string()))?, now)
            .await?;
        tx.audit(
            &AuditRecord {
                actor: actor.map(|a| a.audit_name()).unwrap_or_else(|| "system:demo".into()),
                action: "verification.priority_weights".into(),
                subject: "priority".into(),
                summary: format!("{w:?}"),
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The office rates a product's four attributes (each 0–3).
    pub async fn set_priority_attrs(&self, actor: Option<&Actor>, product: ProductId, a: PriorityAttrs) -> Result<()> {
        if let Some(x) = actor {
            office(x)?;
        }
        self.store.product(product.0).await?;
        let a = a.clamped();
        let now = self.now();
        let mut tx = self.store.begin().await?;
        tx.set_priority(product.0, &serde_json::to_string(&a).map_err(|e| AppError::Internal(e.to_string()))?, now)
            .await?;
        tx.audit(
            &AuditRecord {
                actor: actor.map(|x| x.audit_name()).unwrap_or_else(|| "system:demo".into()),
                action: "verification.priority_attrs".into(),
                subject: format!("product#{}", product.0),
                summary: format!("{a:?}"),
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
