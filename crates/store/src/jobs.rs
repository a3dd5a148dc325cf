//! The job queue: rows in `jobs`, claimed with a lease.
//!
//! - PostgreSQL: the claim selects with `FOR UPDATE SKIP LOCKED`, so workers in any number of
//!   processes take different jobs without waiting on each other.
//! - SQLite: the same `UPDATE … WHERE id = (SELECT …) RETURNING` runs as one write transaction,
//!   which SQLite serialises; no two claims can see the same row as ready.
//!
//! A claimed job carries a random lease token. Completion and failure are accepted only with
//! that token while the job is still `running`, so a worker whose lease expired (and whose job
//! another worker took) cannot finish it twice. Expired leases are given back by [`Store::reap_jobs`].
//! Times here are milliseconds since the epoch.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Backend, Result, Store, Tx};

pub use domain::jobs::{JobId, JobState};

/// What to enqueue.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub kind: String,
    pub payload: String,
    pub priority: i64,
    /// When it may run first (ms).
    pub run_at: i64,
    pub max_attempts: i64,
    /// A second enqueue with the same key is ignored (the first job's id is returned).
    pub idempotency_key: Option<String>,
}

impl NewJob {
    pub fn new(kind: impl Into<String>, payload: impl Into<String>, run_at: i64) -> Self {
        NewJob {
            kind: kind.into(),
            payload: payload.into(),
            priority: 0,
            run_at,
            max_attempts: 8,
            idempotency_key: None,
        }
    }
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.idempotency_key = Some(key.into());
        self
    }
    pub fn priority(mut self, p: i64) -> Self {
        self.priority = p;
        self
    }
    pub fn max_attempts(mut self, n: i64) -> Self {
        self.max_attempts = n.max(1);
        self
    }
}

/// A job a worker holds.
#[derive(Debug, Clone)]
pub struct ClaimedJob {
    pub id: JobId,
    pub kind: String,
    pub payload: String,
    /// This attempt's number, from 1.
    pub attempt: i64,
    pub max_attempts: i64,
    pub lease_token: String,
    /// When it was due (ms), for pick-up latency.
    pub run_at: i64,
}

/// A job as the operator sees it.
#[derive(Debug, Clone)]
pub struct JobRow {
    pub id: JobId,
    pub kind: String,
    pub payload: String,
    pub priority: i64,
    pub state: JobState,
    pub run_at: i64,
    pub attempts: i64,
    pub max_attempts: i64,
    pub lease_until: Option<i64>,
    pub idempotency_key: Option<String>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
}

const JOB_COLUMNS: &str = "id, kind, payload, priority, state, run_at, attempts, max_attempts, lease_until, \
     idempotency_key, last_error, created_at, started_at, finished_at";

fn job_row(r: &AnyRow) -> Result<JobRow> {
    let state: String = r.try_get("state")?;
    Ok(JobRow {
        id: JobId(r.try_get("id")?),
        kind: r.try_get("kind")?,
        payload: r.try_get("payload")?,
        priority: r.try_get("priority")?,
        state: JobState::parse(&state).unwrap_or(JobState::Dead),
        run_at: r.try_get("run_at")?,
        attempts: r.try_get("attempts")?,
        max_attempts: r.try_get("max_attempts")?,
        lease_until: r.try_get("lease_until")?,
        idempotency_key: r.try_get("idempotency_key")?,
        last_error: r.try_get("last_error")?,
        created_at: r.try_get("created_at")?,
        started_at: r.try_get("started_at")?,
        finished_at: r.try_get("finished_at")?,
    })
}

/// The PostgreSQL channel an enqueue notifies, so idle workers in other processes wake at once.
pub const WAKE_CHANNEL: &str = "kakehashi_jobs";

/// Wakes a process's idle workers when another process enqueues: a `LISTEN` on PostgreSQL;
/// nothing on SQLite (workers poll).
pub struct JobListener(Option<sqlx::postgres::PgListener>);

impl JobListener {
    /// Whether it listens at all (false on SQLite).
    pub fn is_active(&self) -> bool {
        self.0.is_some()
    }

    /// Waits for the next enqueue elsewhere. The listener reconnects by itself after a lost
    /// connection; an error means it could not.
    pub async fn recv(&mut self) -> Result<()> {
        match &mut self.0 {
            Some(l) => {
                l.recv().await?;
                Ok(())
            }
            None => std::future::pending().await,
        }
    }
}

/// Longest error text kept on a job.
const MAX_ERROR: usize = 2000;

fn clip(s: &str) -> String {
    if s.len() <= MAX_ERROR {
        return s.to_string();
    }
    let mut end = MAX_ERROR;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

impl Tx {
    /// Enqueues a job in this transaction (it becomes visible when the change commits).
    /// With an idempotency key already used, nothing is added and the existing job's id returned.
    pub async fn enqueue(&mut self, job: &NewJob, now_ms: i64) -> Result<JobId> {
        self.wake_jobs = true;
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO jobs (kind, payload, priority, state, run_at, max_attempts, idempotency_key, created_at) \
             VALUES ($1, $2, $3, 'queued', $4, $5, $6, $7) ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
        )
        .bind(job.kind.clone())
        .bind(job.payload.clone())
        .bind(job.priority)
        .bind(job.run_at)
        .bind(job.max_attempts)
        .bind(job.idempotency_key.clone())
        .bind(now_ms)
        .fetch_optional(&mut *self.tx)
        .await?;
        match id {
            Some(id) => Ok(JobId(id)),
            None => {
                let id: i64 = sqlx::query_scalar("SELECT id FROM jobs WHERE idempotency_key = $1")
                    .bind(job.idempotency_key.clone())
                    .fetch_one(&mut *self.tx)
                    .await?;
                Ok(JobId(id))
            }
        }
    }

    /// Marks a held job done, in the same transaction as its effect. Returns false (and the
    /// caller must roll back) when the lease was lost to another worker.
    pub async fn complete_job(&mut self, job: &ClaimedJob, now_ms: i64) -> Result<bool> {
        let n = sqlx::query(
            "UPDATE jobs SET state = 'done', finished_at = $1, lease_until = NULL, lease_token = NULL, last_error = NULL \
             WHERE id = $2 AND lease_token = $3 AND state = 'running'",
        )
        .bind(now_ms)
        .bind(job.id.0)
        .bind(job.lease_token.clone())
        .execute(&mut *self.tx)
        .await?
        .rows_affected();
        Ok(n == 1)
    }
}

impl Store {
    /// Listens for enqueues by other processes (PostgreSQL); inactive on SQLite.
    pub async fn job_listener(&self) -> Result<JobListener> {
        if self.backend != Backend::Postgres {
            return Ok(JobListener(None));
        }
        let mut l = sqlx::postgres::PgListener::connect(&self.url)
            .await
            .map_err(|e| crate::StoreError::connect(&self.url, e))?;
        l.listen(WAKE_CHANNEL).await?;
        Ok(JobListener(Some(l)))
    }

    /// Enqueues a job on its own.
    pub async fn enqueue(&self, job: &NewJob, now_ms: i64) -> Result<JobId> {
        let mut tx = self.begin().await?;
        let id = tx.enqueue(job, now_ms).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Claims the most urgent ready job (highest priority, then earliest due) for `lease_ms`.
    pub async fn claim_job(&self, kinds: &[&str], now_ms: i64, lease_ms: i64) -> Result<Option<ClaimedJob>> {
        let token = crate::random_hex(16);
        let kind_filter = if kinds.is_empty() {
            String::new()
        } else {
            let list: Vec<String> = kinds.iter().map(|k| format!("'{}'", k.replace('\'', "''"))).collect();
            format!(" AND kind IN ({})", list.join(", "))
        };
        let lock = match self.backend {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let sql = format!(
            "UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_until = $1, lease_token = $2, \
             started_at = $3 \
             WHERE id = (SELECT id FROM jobs WHERE state IN ('queued', 'failed') AND run_at <= $3{kind_filter} \
                         ORDER BY priority DESC, run_at, id LIMIT 1{lock}) \
             RETURNING id, kind, payload, attempts, max_attempts, run_at"
        );
        let mut tx = self.begin_bookkeeping().await?;
        let row = sqlx::query(&sql)
            .bind(now_ms + lease_ms)
            .bind(token.clone())
            .bind(now_ms)
            .fetch_optional(&mut *tx.tx)
            .await?;
        tx.commit().await?;
        let Some(r) = row else { return Ok(None) };
        Ok(Some(ClaimedJob {
            id: JobId(r.try_get("id")?),
            kind: r.try_get("kind")?,
            payload: r.try_get("payload")?,
            attempt: r.try_get("attempts")?,
            max_attempts: r.try_get("max_attempts")?,
            lease_token: token,
            run_at: r.try_get("run_at")?,
        }))
    }

    /// Extends a held lease (a heartbeat for long jobs). False when the lease was lost.
    pub async fn extend_lease(&self, job: &ClaimedJob, until_ms: i64) -> Result<bool> {
        let mut tx = self.begin_bookkeeping().await?;
        let n =
            sqlx::query("UPDATE jobs SET lease_until = $1 WHERE id = $2 AND lease_token = $3 AND state = 'running'")
                .bind(until_ms)
                .bind(job.id.0)
                .bind(job.lease_token.clone())
                .execute(&mut *tx.tx)
                .await?
                .rows_affected();
        tx.commit().await?;
        Ok(n == 1)
    }

    /// Records a failed attempt: retried at `retry_at` (ms) while attempts remain, else dead.
    /// Returns the state the job is left in (None when the lease was lost).
    pub async fn fail_job(
        &self,
        job: &ClaimedJob,
        error: &str,
        now_ms: i64,
        retry_at: i64,
    ) -> Result<Option<JobState>> {
        let state = if job.attempt >= job.max_attempts { JobState::Dead } else { JobState::Failed };
        let mut tx = self.begin_bookkeeping().await?;
        let n = sqlx::query(
            "UPDATE jobs SET state = $1, last_error = $2, run_at = $3, lease_until = NULL, lease_token = NULL, \
             finished_at = $4 WHERE id = $5 AND lease_token = $6 AND state = 'running'",
        )
        .bind(state.code())
        .bind(clip(error))
        .bind(retry_at)
        .bind(if state == JobState::Dead { Some(now_ms) } else { None })
        .bind(job.id.0)
        .bind(job.lease_token.clone())
        .execute(&mut *tx.tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok((n == 1).then_some(state))
    }

    /// Gives back jobs whose lease expired (their worker died): retried at once while attempts
    /// remain, else dead. Returns how many were given back.
    pub async fn reap_jobs(&self, now_ms: i64) -> Result<u64> {
        let mut tx = self.begin_bookkeeping().await?;
        let dead = sqlx::query(
            "UPDATE jobs SET state = 'dead', lease_until = NULL, lease_token = NULL, finished_at = $1, \
             last_error = 'lease expired: the worker stopped during the last attempt' \
             WHERE state = 'running' AND lease_until < $1 AND attempts >= max_attempts",
        )
        .bind(now_ms)
        .execute(&mut *tx.tx)
        .await?
        .rows_affected();
        let back = sqlx::query(
            "UPDATE jobs SET state = 'failed', lease_until = NULL, lease_token = NULL, run_at = $1, \
             last_error = 'lease expired: the worker stopped during the attempt' \
             WHERE state = 'running' AND lease_until < $1",
        )
        .bind(now_ms)
        .execute(&mut *tx.tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(dead + back)
    }

    /// Operator: run a failed, dead or cancelled job again now (attempts start over).
    pub async fn retry_job(&self, id: JobId, now_ms: i64) -> Result<bool> {
        let mut tx = self.begin().await?;
        let n = sqlx::query(
            "UPDATE jobs SET state = 'queued', attempts = 0, run_at = $1, finished_at = NULL \
             WHERE id = $2 AND state IN ('failed', 'dead', 'cancelled')",
        )
        .bind(now_ms)
        .bind(id.0)
        .execute(&mut *tx.tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(n == 1)
    }

    /// Operator: cancel a job that has not started (queued or waiting to retry).
    pub async fn cancel_job(&self, id: JobId, now_ms: i64) -> Result<bool> {
        let mut tx = self.begin().await?;
        let n = sqlx::query(
            "UPDATE jobs SET state = 'cancelled', finished_at = $1 WHERE id = $2 AND state IN ('queued', 'failed')",
        )
        .bind(now_ms)
        .bind(id.0)
        .execute(&mut *tx.tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(n == 1)
    }

    pub async fn job(&self, id: JobId) -> Result<JobRow> {
        let r = sqlx::query(&format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1"))
            .bind(id.0)
            .fetch_one(&self.pool)
            .await?;
        job_row(&r)
    }

    /// Jobs in a state (or all), newest first.
    pub async fn jobs(&self, state: Option<JobState>, limit: i64) -> Result<Vec<JobRow>> {
        let rows = match state {
            Some(s) => {
                sqlx::query(&format!("SELECT {JOB_COLUMNS} FROM jobs WHERE state = $1 ORDER BY id DESC LIMIT $2"))
                    .bind(s.code())
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?
            }
            None => {
                sqlx::query(&format!("SELECT {JOB_COLUMNS} FROM jobs ORDER BY id DESC LIMIT $1"))
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        rows.iter().map(job_row).collect()
    }

    /// Jobs that are due (queued or waiting to retry, with `run_at` passed) or running: what an
    /// `--until-idle` worker waits for.
    pub async fn busy_jobs(&self, now_ms: i64) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM jobs WHERE (state IN ('queued', 'failed') AND run_at <= $1) OR state = 'running'",
        )
        .bind(now_ms)
        .fetch_one(&self.pool)
        .await?)
    }

    /// How many jobs are in each state.
    pub async fn job_counts(&self) -> Result<Vec<(JobState, i64)>> {
        let rows = sqlx::query("SELECT state, COUNT(*) AS n FROM jobs GROUP BY state").fetch_all(&self.pool).await?;
        let mut out: Vec<(JobState, i64)> = JobState::ALL.iter().map(|s| (*s, 0)).collect();
        for r in rows {
            let s: String = r.try_get("state")?;
            let n: i64 = r.try_get("n")?;
            if let Some(st) = JobState::parse(&s)
                && let Some(slot) = out.iter_mut().find(|(k, _)| *k == st)
            {
                slot.1 = n;
            }
        }
        Ok(out)
    }

    /// Deletes finished jobs older than `before_ms` (done and cancelled; dead ones are kept).
    pub async fn purge_jobs(&self, before_ms: i64) -> Result<u64> {
        let mut tx = self.begin().await?;
        let n = sqlx::query("DELETE FROM jobs WHERE state IN ('done', 'cancelled') AND finished_at < $1")
            .bind(before_ms)
            .execute(&mut *tx.tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(n)
    }
}
