//! Expert reviews of products, and what the product map reads.

use sqlx::Row;

use crate::{Result, Store, StoreError, Tx};

#[derive(Debug, Clone)]
pub struct ReviewRow {
    pub id: i64,
    pub product_id: i64,
    pub expert_user_id: i64,
    pub expert_name: String,
    pub expert_org_id: i64,
    pub expert_org_name: String,
    pub version: String,
    pub title: String,
    pub strengths: String,
    pub weaknesses: String,
    pub protection: i64,
    pub performance: i64,
    pub usability: i64,
    pub reply: String,
    pub reply_by: String,
    pub reply_at: Option<i64>,
    pub dispute: String,
    pub dispute_at: Option<i64>,
    pub hidden_reason: String,
    pub hidden_at: Option<i64>,
    pub created_at: i64,
}

#[derive(Debug, Clone)]
pub struct NewReview<'a> {
    pub product_id: i64,
    pub expert_user_id: i64,
    pub expert_name: &'a str,
    pub expert_org_id: i64,
    pub version: &'a str,
    pub title: &'a str,
    pub strengths: &'a str,
    pub weaknesses: &'a str,
    pub protection: i64,
    pub performance: i64,
    pub usability: i64,
}

/// A product's review scores (visible reviews only): count and the mean of each axis.
#[derive(Debug, Clone, Default)]
pub struct ReviewScores {
    pub count: i64,
    pub protection: f64,
    pub performance: f64,
    pub usability: f64,
}

const COLS: &str = "r.id, r.product_id, r.expert_user_id, r.expert_name, r.expert_org_id, o.name, r.version, r.title, \
     r.strengths, r.weaknesses, r.protection, r.performance, r.usability, r.reply, r.reply_by, r.reply_at, r.dispute, \
     r.dispute_at, r.hidden_reason, r.hidden_at, r.created_at";

fn row(r: &sqlx::any::AnyRow) -> Result<ReviewRow> {
    Ok(ReviewRow {
        id: r.try_get(0)?,
        product_id: r.try_get(1)?,
        expert_user_id: r.try_get(2)?,
        expert_name: r.try_get(3)?,
        expert_org_id: r.try_get(4)?,
        expert_org_name: r.try_get(5)?,
        version: r.try_get(6)?,
        title: r.try_get(7)?,
        strengths: r.try_get(8)?,
        weaknesses: r.try_get(9)?,
        protection: r.try_get(10)?,
        performance: r.try_get(11)?,
        usability: r.try_get(12)?,
        reply: r.try_get(13)?,
        reply_by: r.try_get(14)?,
        reply_at: r.try_get(15)?,
        dispute: r.try_get(16)?,
        dispute_at: r.try_get(17)?,
        hidden_reason: r.try_get(18)?,
        hidden_at: r.try_get(19)?,
        created_at: r.try_get(20)?,
    })
}

impl Tx {
    pub async fn insert_review(&mut self, n: &NewReview<'_>, now: i64) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO reviews (product_id, expert_user_id, expert_name, expert_org_id, version, title, strengths, \
             weaknesses, protection, performance, usability, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
        )
        .bind(n.product_id)
        .bind(n.expert_user_id)
        .bind(n.expert_name.to_string())
        .bind(n.expert_org_id)
        .bind(n.version.to_string())
        .bind(n.title.to_string())
        .bind(n.strengths.to_string())
        .bind(n.weaknesses.to_string())
        .bind(n.protection)
        .bind(n.performance)
        .bind(n.usability)
        .bind(now)
        .fetch_one(&mut *self.tx)
        .await?)
    }

    /// The vendor's one reply; false when it has replied already.
    pub async fn set_review_reply(&mut self, id: i64, text: &str, by: &str, now: i64) -> Result<bool> {
        Ok(sqlx::query(
            "UPDATE reviews SET reply = $1, reply_by = $2, reply_at = $3 WHERE id = $4 AND reply_at IS NULL",
        )
        .bind(text.to_string())
        .bind(by.to_string())
        .bind(now)
        .bind(id)
        .execute(&mut *self.tx)
        .await?
        .rows_affected()
            == 1)
    }

    /// The vendor's dispute; false when one is already open or the review is hidden.
    pub async fn set_review_dispute(&mut self, id: i64, text: &str, now: i64) -> Result<bool> {
        Ok(sqlx::query(
            "UPDATE reviews SET dispute = $1, dispute_at = $2 WHERE id = $3 AND dispute_at IS NULL AND hidden_at IS NULL",
        )
        .bind(text.to_string())
        .bind(now)
        .bind(id)
        .execute(&mut *self.tx)
        .await?
        .rows_affected()
            == 1)
    }

    /// The office hides a review with a public reason; false when it is hidden already.
    pub async fn set_review_hidden(&mut self, id: i64, reason: &str, now: i64) -> Result<bool> {
        Ok(sqlx::query("UPDATE reviews SET hidden_reason = $1, hidden_at = $2 WHERE id = $3 AND hidden_at IS NULL")
            .bind(reason.to_string())
            .bind(now)
            .bind(id)
            .execute(&mut *self.tx)
            .await?
            .rows_affected()
            == 1)
    }

    pub async fn set_product_subcategory(&mut self, product_id: i64, sub: &str) -> Result<()> {
        sqlx::query("UPDATE products SET subcategory = $1 WHERE id = $2")
            .bind(sub.to_string())
            .bind(product_id)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }
}

impl Store {
    pub async fn review(&self, id: i64) -> Result<ReviewRow> {
        let r = sqlx::query(&format!(
            "SELECT {COLS} FROM reviews r JOIN organizations o ON o.id = r.expert_org_id WHERE r.id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        row(&r)
    }

    /// A product's reviews, newest first (hidden ones included; the use cases decide).
    pub async fn reviews_of_product(&self, product_id: i64) -> Result<Vec<ReviewRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLS} FROM reviews r JOIN organizations o ON o.id = r.expert_org_id WHERE r.product_id = $1 ORDER BY r.id DESC"
        ))
        .bind(product_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(row).collect()
    }

    /// Open disputes (for the office), oldest first.
    pub async fn disputed_reviews(&self) -> Result<Vec<ReviewRow>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLS} FROM reviews r JOIN organizations o ON o.id = r.expert_org_id \
             WHERE r.dispute_at IS NOT NULL AND r.hidden_at IS NULL ORDER BY r.dispute_at"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(row).collect()
    }

    /// Review scores of every product with a visible review.
    pub async fn review_scores(&self) -> Result<Vec<(i64, ReviewScores)>> {
        let rows = sqlx::query(
            "SELECT product_id, COUNT(*), CAST(SUM(protection) AS BIGINT), CAST(SUM(performance) AS BIGINT), \
             CAST(SUM(usability) AS BIGINT) FROM reviews \
             WHERE hidden_at IS NULL GROUP BY product_id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let n: i64 = r.try_get(1)?;
                let (p, f, u): (i64, i64, i64) = (r.try_get(2)?, r.try_get(3)?, r.try_get(4)?);
                let d = n.max(1) as f64;
                Ok((
                    r.try_get(0)?,
                    ReviewScores {
                        count: n,
                        protection: p as f64 / d,
                        performance: f as f64 / d,
                        usability: u as f64 / d,
                    },
                ))
            })
            .collect()
    }

    /// The levels of every active label, by product.
    pub async fn active_label_levels(&self) -> Result<Vec<(i64, String)>> {
        let rows = sqlx::query("SELECT product_id, levels FROM labels WHERE status = 'active' ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
    }

    /// Sub-categories of every product.
    pub async fn product_subcategories(&self) -> Result<Vec<(i64, String)>> {
        let rows = sqlx::query("SELECT id, subcategory FROM products").fetch_all(&self.pool).await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
    }
}
