//! Migrations: numbered SQL files embedded in the binary, applied in order, each in its own
//! transaction, recorded in `schema_migrations`.

use crate::{Result, Store, StoreError};

const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "foundation", include_str!("../migrations/0001_foundation.sql")),
    (2, "kit", include_str!("../migrations/0002_kit.sql")),
    (3, "transitions", include_str!("../migrations/0003_transitions.sql")),
    (4, "analyses", include_str!("../migrations/0004_analyses.sql")),
    (5, "login_throttle", include_str!("../migrations/0005_login_throttle.sql")),
    (6, "verification", include_str!("../migrations/0006_verification.sql")),
    (7, "cases", include_str!("../migrations/0007_cases.sql")),
    (8, "case_evidence", include_str!("../migrations/0008_case_evidence.sql")),
    (9, "accounts", include_str!("../migrations/0009_accounts.sql")),
    (10, "labels", include_str!("../migrations/0010_labels.sql")),
    (11, "reviews", include_str!("../migrations/0011_reviews.sql")),
];

impl Store {
    /// Applies the migrations not yet applied; returns how many ran.
    pub async fn migrate(&self, now: i64) -> Result<usize> {
        self.migrate_to(now, i64::MAX).await
    }

    /// Applies the pending migrations up to `version` (upgrade tests start from an old schema).
    pub async fn migrate_to(&self, now: i64, version: i64) -> Result<usize> {
        let up_to = version;
        let mut tx = self.begin().await?;
        self.migration_lock(&mut tx).await?;
        sqlx::query(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
        )
        .execute(&mut *tx.tx)
        .await?;
        tx.commit().await?;
        let mut ran = 0;
        for (version, name, sql) in MIGRATIONS.iter().filter(|(v, _, _)| *v <= up_to) {
            let mut tx = self.begin().await?;
            self.migration_lock(&mut tx).await?;
            let done: Option<i64> = sqlx::query_scalar("SELECT version FROM schema_migrations WHERE version = $1")
                .bind(*version)
                .fetch_optional(&mut *tx.tx)
                .await?;
            if done.is_some() {
                continue;
            }
            for stmt in statements(&self.backend.ddl(sql)) {
                sqlx::query(&stmt).execute(&mut *tx.tx).await.map_err(|e| match StoreError::from(e) {
                    StoreError::Other(m) => StoreError::Other(format!("migration {version} ({name}): {m}")),
                    other => other,
                })?;
            }
            sqlx::query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)")
                .bind(*version)
                .bind(name.to_string())
                .bind(now)
                .execute(&mut *tx.tx)
                .await?;
            tx.commit().await?;
            ran += 1;
        }
        Ok(ran)
    }

    /// Several processes starting at once (serve, workers) migrate one at a time: on PostgreSQL a
    /// transaction-scoped advisory lock; SQLite already serialises writers.
    async fn migration_lock(&self, tx: &mut crate::Tx) -> Result<()> {
        if self.backend == crate::Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock(7244011)").execute(&mut *tx.tx).await?;
        }
        Ok(())
    }

    /// Latest applied migration version, or 0.
    pub async fn schema_version(&self) -> Result<i64> {
        let v: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM schema_migrations")
            .fetch_one(&self.pool)
            .await
            .unwrap_or(None);
        Ok(v.unwrap_or(0))
    }
}

/// Splits a migration into statements (no semicolons inside literals in our migrations),
/// dropping comment lines.
fn statements(sql: &str) -> Vec<String> {
    let body: String = sql.lines().filter(|l| !l.trim_start().starts_with("--")).collect::<Vec<_>>().join("\n");
    body.split(';').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect()
}
