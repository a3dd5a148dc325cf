//! Expert reviews (専門家レビュー) and the product map (国産製品マップ). Experts (members of an
//! expert panel) review public products candidly on three axes; the vendor may reply once and may
//! dispute a review, which goes to the program office; the office may hide a review, and the
//! public then sees that it was hidden and why. The map groups the public products by category and
//! sub-category with their verification status, active labels and review scores.

use domain::OrgKind;
use domain::audit::AuditRecord;
use domain::verification::case::VerificationStatus;
use domain::verification::review::{Review, ReviewInput, parse_text};
use domain::verification::{ProductCategory, ProductId, SUBCATEGORIES};
use store::{NewReview, Notice, ReviewRow, ReviewScores};

use super::{ProductQuery, Verification};
use crate::authz::may_know_product;
use crate::{Actor, AppError, Result, Scope};

/// A review as one viewer sees it.
#[derive(Debug, Clone)]
pub struct ReviewView {
    pub row: ReviewRow,
    pub hidden: bool,
    /// The viewer (the vendor) may reply / dispute; the office may hide.
    pub can_reply: bool,
    pub can_dispute: bool,
    pub can_hide: bool,
}

impl Verification<'_> {
    /// The product exists and the actor may see it (public, or its vendor's, or the office).
    async fn visible_product(&self, actor: Option<&Actor>, product: i64) -> Result<store::ProductRow> {
        let p = self.store.product(product).await?;
        if p.public || actor.is_some_and(|a| may_know_product(a, p.vendor_org_id)) {
            Ok(p)
        } else {
            Err(AppError::NotFound)
        }
    }

    /// Whether the actor writes reviews: a member of an expert panel, with write scope.
    pub fn is_expert(actor: Option<&Actor>) -> bool {
        actor.is_some_and(|a| {
            a.has_scope(Scope::VerificationWrite) && a.memberships.iter().any(|m| m.kind == OrgKind::ExpertPanel)
        })
    }

    /// A product's reviews, newest first. Hidden reviews show only that they were hidden and why
    /// (the office still sees them whole).
    pub async fn product_reviews(&self, actor: Option<&Actor>, product: ProductId) -> Result<Vec<ReviewView>> {
        let p = self.visible_product(actor, product.0).await?;
        let vendor = actor.is_some_and(|a| {
            a.has_scope(Scope::VerificationWrite)
                && a.member_of(p.vendor_org_id).is_some_and(|m| m.kind == OrgKind::Vendor)
        });
        let office = actor.is_some_and(|a| a.is_program_operator());
        Ok(self
            .store
            .reviews_of_product(product.0)
            .await?
            .into_iter()
            .map(|mut row| {
                let hidden = row.hidden_at.is_some();
                if hidden && !office {
                    row.title.clear();
                    row.strengths.clear();
                    row.weaknesses.clear();
                    row.reply.clear();
                    row.dispute.clear();
                }
                ReviewView {
                    can_reply: vendor && !hidden && row.reply_at.is_none(),
                    can_dispute: vendor && !hidden && row.dispute_at.is_none(),
                    can_hide: office && !hidden,
                    hidden,
                    row,
                }
            })
            .collect())
    }

    /// An expert publishes a review of a public product (403 for anyone else); the vendor is told.
    pub async fn publish_review(&self, actor: &Actor, product: ProductId, input: &ReviewInput) -> Result<i64> {
        let p = self.visible_product(Some(actor), product.0).await?;
        let Some(panel) = actor.memberships.iter().find(|m| m.kind == OrgKind::ExpertPanel) else {
            return Err(AppError::Forbidden);
        };
        if !Self::is_expert(Some(actor)) {
            return Err(AppError::Forbidden);
        }
        if !p.public {
            return Err(AppError::NotFound);
        }
        let r = Review::parse(input).map_err(AppError::Invalid)?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let id = tx
            .insert_review(
                &NewReview {
                    product_id: p.id,
                    expert_user_id: actor.user_id,
                    expert_name: &actor.name,
                    expert_org_id: panel.org_id,
                    version: &r.version,
                    title: &r.title,
                    strengths: &r.strengths,
                    weaknesses: &r.weaknesses,
                    protection: r.protection,
                    performance: r.performance,
                    usability: r.usability,
                },
                now,
            )
            .await?;
        let link = format!("/products/{}#review-{id}", p.id);
        tx.notify(
            &Notice {
                org_id: p.vendor_org_id,
                kind: "verification.review",
                subject_ja: &format!("「{}」に専門家レビューが公開されました", p.name),
                subject_en: &format!("An expert review of \"{}\" was published", p.name),
                link: &link,
            },
            now,
        )
        .await?;
        tx.audit(
            &AuditRecord {
                actor: actor.audit_name(),
                action: "verification.review_published".into(),
                subject: format!("review#{id}"),
                summary: format!("product#{} {}/{}/{}", p.id, r.protection, r.performance, r.usability),
            },
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The review and its product, for the vendor's acts (404 to those who may not see it).
    async fn vendor_review(&self, actor: &Actor, id: i64) -> Result<(ReviewRow, store::ProductRow)> {
        let row = self.store.review(id).await?;
        let p = self.visible_product(Some(actor), row.product_id).await?;
        let vendor = actor.member_of(p.vendor_org_id).is_some_and(|m| m.kind == OrgKind::Vendor);
        if !vendor || !actor.has_scope(Scope::VerificationWrite) {
            return Err(AppError::Forbidden);
        }
        if row.hidden_at.is_some() {
            return Err(AppError::conflict("非表示のレビューです", "The review is hidden"));
        }
        Ok((row, p))
    }

    /// The vendor replies once.
    pub async fn reply_review(&self, actor: &Actor, id: i64, text: &str) -> Result<()> {
        let (row, p) = self.vendor_review(actor, id).await?;
        let text = parse_text("reply", text).map_err(|e| AppError::Invalid(vec![e]))?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        if !tx.set_review_reply(id, &text, &actor.name, now).await? {
            return Err(AppError::conflict("返信は1回だけです", "The vendor replies once; it has replied already"));
        }
        let told = ReviewEvent {
            to: Some(row.expert_org_id),
            ja: format!("「{}」のレビューにベンダーが返信しました", p.name),
            en: format!("The vendor replied to your review of \"{}\"", p.name),
            product: p.id,
            action: "review_reply",
            summary: String::new(),
        };
        told.record(&mut tx, actor, id, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The vendor disputes a review; the program office is told.
    pub async fn dispute_review(&self, actor: &Actor, id: i64, reason: &str) -> Result<()> {
        let (_, p) = self.vendor_review(actor, id).await?;
        let reason = parse_text("reason", reason).map_err(|e| AppError::Invalid(vec![e]))?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        if !tx.set_review_dispute(id, &reason, now).await? {
            return Err(AppError::conflict("すでに異議を申し立てています", "A dispute is already open"));
        }
        let told = ReviewEvent {
            to: self.store.office_org_id().await?,
            ja: format!("「{}」のレビューに異議が申し立てられました", p.name),
            en: format!("A review of \"{}\" is disputed", p.name),
            product: p.id,
            action: "review_disputed",
            summary: reason,
        };
        told.record(&mut tx, actor, id, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The office hides a review with a reason the public sees.
    pub async fn hide_review(&self, actor: &Actor, id: i64, reason: &str) -> Result<()> {
        if !super::labels::office(actor) {
            return Err(AppError::Forbidden);
        }
        let row = self.store.review(id).await?;
        let reason = parse_text("reason", reason).map_err(|e| AppError::Invalid(vec![e]))?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        if !tx.set_review_hidden(id, &reason, now).await? {
            return Err(AppError::conflict("すでに非表示です", "The review is hidden already"));
        }
        let told = ReviewEvent {
            to: Some(row.expert_org_id),
            ja: "制度事務局がレビューを非表示にしました".into(),
            en: "The program office hid a review".into(),
            product: row.product_id,
            action: "review_hidden",
            summary: reason,
        };
        told.record(&mut tx, actor, id, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The product a review is of.
    pub async fn review_product(&self, id: i64) -> Result<i64> {
        Ok(self.store.review(id).await?.product_id)
    }

    /// Open disputes, for the office.
    pub async fn disputed_reviews(&self, actor: &Actor) -> Result<Vec<ReviewRow>> {
        if !super::labels::office(actor) {
            return Err(AppError::Forbidden);
        }
        Ok(self.store.disputed_reviews().await?)
    }
}

/// What happened to a review: whom to tell (an organisation, if any) and what the audit trail
/// says, written in the change's transaction.
struct ReviewEvent {
    to: Option<i64>,
    ja: String,
    en: String,
    product: i64,
    /// `verification.{action}` in the audit trail.
    action: &'static str,
    summary: String,
}

impl ReviewEvent {
    async fn record(self, tx: &mut store::Tx, actor: &Actor, id: i64, now: i64) -> Result<()> {
        let link = format!("/products/{}#review-{id}", self.product);
        if let Some(org_id) = self.to {
            let n =
                Notice { org_id, kind: "verification.review", subject_ja: &self.ja, subject_en: &self.en, link: &link };
            tx.notify(&n, now).await?;
        }
        tx.audit(
            &AuditRecord {
                actor: actor.audit_name(),
                action: format!("verification.{}", self.action),
                subject: format!("review#{id}"),
                summary: self.summary,
            },
            now,
        )
        .await?;
        Ok(())
    }
}

/// The product map's filters.
#[derive(Debug, Clone, Default)]
pub struct MapQuery {
    pub category: Option<ProductCategory>,
    pub status: Option<VerificationStatus>,
    /// Only products with an active label.
    pub labelled: bool,
}

/// One product on the map.
#[derive(Debug, Clone)]
pub struct MapProduct {
    pub id: i64,
    pub name: String,
    pub name_en: String,
    pub vendor: String,
    pub status: VerificationStatus,
    /// Active labels' levels.
    pub labels: Vec<String>,
    pub scores: Option<ReviewScores>,
}

/// A sub-category's products (code "" for products without one).
#[derive(Debug, Clone)]
pub struct MapGroup {
    pub category: ProductCategory,
    pub subcategory: &'static str,
    pub products: Vec<MapProduct>,
}

#[derive(Debug, Clone)]
pub struct ProductMap {
    pub groups: Vec<MapGroup>,
    pub total: usize,
    /// More products matched than the map shows (narrow the filters).
    pub truncated: bool,
}

/// The most products one map shows.
pub const MAP_MAX: usize = 2000;

impl Verification<'_> {
    pub async fn product_map(&self, q: &MapQuery) -> Result<ProductMap> {
        let mut listed = Vec::new();
        let mut page = 1;
        let mut truncated = false;
        loop {
            let r = self
                .public_products(&ProductQuery {
                    q: String::new(),
                    category: q.category,
                    status: q.status,
                    page,
                    per_page: 100,
                })
                .await?;
            let n = r.items.len();
            listed.extend(r.items);
            if listed.len() >= MAP_MAX {
                truncated = (r.total as usize) > MAP_MAX;
                listed.truncate(MAP_MAX);
                break;
            }
            if n < 100 {
                break;
            }
            page += 1;
        }
        let mut labels: std::collections::HashMap<i64, Vec<String>> = std::collections::HashMap::new();
        for (product, levels) in self.store.active_label_levels().await? {
            let e = labels.entry(product).or_default();
            for l in levels.split(',') {
                if !e.iter().any(|x| x == l) {
                    e.push(l.to_string());
                }
            }
        }
        let scores: std::collections::HashMap<i64, ReviewScores> =
            self.store.review_scores().await?.into_iter().collect();
        let mut groups: Vec<MapGroup> = Vec::new();
        for c in ProductCategory::ALL {
            for sub in SUBCATEGORIES.iter().filter(|s| s.0 == c).map(|s| s.1).chain([""]) {
                groups.push(MapGroup { category: c, subcategory: sub, products: Vec::new() });
            }
        }
        let mut total = 0;
        for l in listed {
            let p = &l.product;
            let product_labels = labels.remove(&p.id).unwrap_or_default();
            if q.labelled && product_labels.is_empty() {
                continue;
            }
            let sub = SUBCATEGORIES
                .iter()
                .find(|s| s.0 == p.category && s.1 == p.product.subcategory)
                .map(|s| s.1)
                .unwrap_or("");
            if let Some(g) = groups.iter_mut().find(|g| g.category == p.category && g.subcategory == sub) {
                total += 1;
                g.products.push(MapProduct {
                    id: p.id,
                    name: p.product.name.clone(),
                    name_en: p.product.name_en.clone(),
                    vendor: p.vendor_name.clone(),
                    status: l.status,
                    labels: product_labels,
                    scores: scores.get(&p.id).cloned(),
                });
            }
        }
        groups.retain(|g| !g.products.is_empty());
        Ok(ProductMap { groups, total, truncated })
    }
}
