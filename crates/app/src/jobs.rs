//! Jobs: work that runs after the request (delivery, sweeps, scans). Each program registers the
//! kinds it handles in [`JobKinds`]; workers claim jobs from the store's queue, run the handler
//! with a lease they keep alive, and record success, a retry with exponential backoff, or a dead
//! job with its last error. A handler that panics counts as a failed attempt; the worker goes on.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

pub use domain::jobs::{JobId, JobState};
pub use store::{ClaimedJob, JobRow, NewJob};

use crate::{Actor, App, AppError, Result};

/// What a handler reports when it succeeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Done {
    /// The worker marks the job done.
    Ok,
    /// The handler already marked it done in the transaction of its effect
    /// ([`store::Tx::complete_job`]), so the effect and the completion commit together.
    Completed,
}

pub type JobResult = std::result::Result<Done, String>;
pub type JobFuture = Pin<Box<dyn Future<Output = JobResult> + Send>>;
type Handler = Arc<dyn Fn(App, ClaimedJob) -> JobFuture + Send + Sync>;

/// A job kind enqueued on a fixed period (at most once per period across every process, by its
/// idempotency key).
#[derive(Debug, Clone)]
pub struct Schedule {
    pub kind: &'static str,
    pub every_secs: i64,
}

/// The job kinds this platform runs, and the periodic ones.
#[derive(Default, Clone)]
pub struct JobKinds {
    handlers: HashMap<&'static str, Handler>,
    schedules: Vec<Schedule>,
}

impl JobKinds {
    /// Registers the handler of a kind.
    pub fn register<F, Fut>(&mut self, kind: &'static str, f: F)
    where
        F: Fn(App, ClaimedJob) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = JobResult> + Send + 'static,
    {
        self.handlers.insert(kind, Arc::new(move |app, job| Box::pin(f(app, job))));
    }

    /// Enqueues `kind` every `every_secs`.
    pub fn every(&mut self, kind: &'static str, every_secs: i64) {
        self.schedules.push(Schedule { kind, every_secs });
    }

    pub fn kinds(&self) -> Vec<&'static str> {
        let mut k: Vec<_> = self.handlers.keys().copied().collect();
        k.sort_unstable();
        k
    }

    fn get(&self, kind: &str) -> Option<Handler> {
        self.handlers.get(kind).cloned()
    }
}

/// The platform's own kinds: a no-op (benchmarks, fault tests), delivery of notifications, and
/// the purge of finished jobs.
pub(crate) fn register_platform(k: &mut JobKinds) {
    k.register(NOOP, noop);
    k.register(store::DELIVER_JOB, crate::notify::deliver);
    k.register(crate::notify::MAIL_JOB, crate::notify::send_mail);
    k.register(PURGE, |app: App, _job| async move {
        let kept = app.config.jobs.keep_finished_secs * 1000;
        app.store.purge_jobs(app.now_ms() - kept).await.map_err(|e| e.to_string())?;
        // failed-login counts quiet for two days (the longest window any policy looks at is one)
        app.store.purge_login_throttle(app.now() - 2 * 86_400).await.map_err(|e| e.to_string())?;
        app.store.purge_signup_requests(app.now()).await.map_err(|e| e.to_string())?;
        app.store.purge_password_links(app.now()).await.map_err(|e| e.to_string())?;
        Ok(Done::Ok)
    });
    k.every(PURGE, 86_400);
}

/// A job that does nothing but, when asked, sleep, panic, fail, or count its run in the
/// transaction that completes it (payload: `{"sleep_ms": N, "count": "NAME", "panic": true,
/// "fail": "message"}`).
pub const NOOP: &str = "platform.noop";
const PURGE: &str = "platform.purge";

async fn noop(app: App, job: ClaimedJob) -> JobResult {
    let p: serde_json::Value = serde_json::from_str(&job.payload).unwrap_or_default();
    if let Some(ms) = p.get("sleep_ms").and_then(|v| v.as_u64()) {
        tokio::time::sleep(Duration::from_millis(ms.min(600_000))).await;
    }
    if p.get("panic").and_then(|v| v.as_bool()) == Some(true) {
        panic!("noop job {} asked to panic", job.id);
    }
    if let Some(m) = p.get("fail").and_then(|v| v.as_str()) {
        return Err(m.to_string());
    }
    match p.get("count").and_then(|v| v.as_str()) {
        Some(name) => {
            let mut tx = app.store.begin().await.map_err(|e| e.to_string())?;
            store::Store::next_counter(&mut tx, name).await.map_err(|e| e.to_string())?;
            if !tx.complete_job(&job, app.now_ms()).await.map_err(|e| e.to_string())? {
                return Err("lease lost before completion".into());
            }
            tx.commit().await.map_err(|e| e.to_string())?;
            Ok(Done::Completed)
        }
        None => Ok(Done::Ok),
    }
}

/// Worker settings.
#[derive(Debug, Clone)]
pub struct JobsConfig {
    /// How long a claim holds before another worker may take the job (renewed while it runs).
    pub lease_ms: i64,
    /// How often an idle worker looks for work.
    pub poll_ms: u64,
    /// First retry delay; doubles with each attempt up to `backoff_max_ms`.
    pub backoff_base_ms: i64,
    pub backoff_max_ms: i64,
    /// Done and cancelled jobs are deleted after this long (dead ones are kept).
    pub keep_finished_secs: i64,
    /// An attempt still running after this long is stopped and counts as failed.
    pub max_run_ms: i64,
}

impl Default for JobsConfig {
    fn default() -> Self {
        JobsConfig {
            lease_ms: 60_000,
            poll_ms: 100,
            backoff_base_ms: 2_000,
            backoff_max_ms: 3_600_000,
            keep_finished_secs: 7 * 86_400,
            max_run_ms: 15 * 60_000,
        }
    }
}

/// Exponential backoff with ±20 % jitter: base, 2×base, 4×base, … capped.
pub fn backoff_ms(cfg: &JobsConfig, attempt: i64) -> i64 {
    let exp = (attempt - 1).clamp(0, 30) as u32;
    let d = cfg.backoff_base_ms.saturating_mul(1_i64 << exp).min(cfg.backoff_max_ms);
    let jitter = d / 5;
    if jitter == 0 {
        return d;
    }
    d - jitter + (rand::random::<u64>() % (2 * jitter as u64 + 1)) as i64
}

/// Counters of this process, for /metrics.
#[derive(Debug, Default)]
pub struct JobStats {
    pub completed: AtomicU64,
    pub failed: AtomicU64,
    pub dead: AtomicU64,
    /// Sum and count of pick-up latencies (ms from due to claimed).
    pub pickup_ms_sum: AtomicU64,
    pub pickups: AtomicU64,
}

impl App {
    /// Milliseconds since the epoch (the job queue's clock).
    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// Enqueues a job now and wakes this process's idle workers.
    pub async fn enqueue(&self, job: NewJob) -> Result<JobId> {
        let id = self.store.enqueue(&job, self.now_ms()).await?;
        self.job_wake.notify_waiters();
        Ok(id)
    }

    /// Enqueues `count` jobs of one kind, a thousand per transaction.
    pub async fn enqueue_many(&self, kind: &str, payload: &str, count: usize, max_attempts: i64) -> Result<Vec<JobId>> {
        let mut ids = Vec::with_capacity(count);
        let mut left = count;
        while left > 0 {
            let n = left.min(1000);
            let now = self.now_ms();
            let mut tx = self.store.begin().await?;
            for _ in 0..n {
                ids.push(tx.enqueue(&NewJob::new(kind, payload, now).max_attempts(max_attempts), now).await?);
            }
            tx.commit().await?;
            left -= n;
        }
        self.job_wake.notify_waiters();
        Ok(ids)
    }

    /// Runs `n` worker loops until `stop` resolves; jobs in hand are finished first.
    pub async fn run_workers(&self, n: usize, stop: impl Future<Output = ()> + Send) {
        let (tx, rx) = tokio::sync::watch::channel(false);
        let mut loops = Vec::new();
        // Enqueues by other processes wake this one's idle workers at once (PostgreSQL).
        let listener = {
            let app = self.clone();
            tokio::spawn(async move { app.listen_for_jobs().await })
        };
        // Expired leases and periodic kinds are looked after beside the workers, so a long job
        // never holds them up.
        let housekeeper = {
            let app = self.clone();
            tokio::spawn(async move {
                loop {
                    if let Err(e) = app.housekeeping(app.now_ms()).await {
                        tracing::warn!(error = %e, "job housekeeping failed");
                    }
                    tokio::time::sleep(Duration::from_secs(5)).await;
                }
            })
        };
        for i in 0..n.max(1) {
            let app = self.clone();
            let rx = rx.clone();
            loops.push(tokio::spawn(async move { app.worker_loop(i, rx).await }));
        }
        stop.await;
        let _ = tx.send(true);
        listener.abort();
        housekeeper.abort();
        for l in loops {
            let _ = l.await;
        }
    }

    async fn listen_for_jobs(&self) {
        loop {
            match self.store.job_listener().await {
                Ok(l) if !l.is_active() => return,
                Ok(mut l) => loop {
                    match l.recv().await {
                        Ok(()) => self.job_wake.notify_waiters(),
                        Err(e) => {
                            tracing::warn!(error = %e, "job listener lost; workers poll until it is back");
                            break;
                        }
                    }
                },
                Err(e) => tracing::warn!(error = %e, "cannot listen for jobs; workers poll"),
            }
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
    }

    async fn worker_loop(&self, _index: usize, mut stop: tokio::sync::watch::Receiver<bool>) {
        let cfg = self.config.jobs.clone();
        // Only the kinds this process has handlers for: during a rolling upgrade an older
        // process leaves a newer kind to the processes that know it.
        let kinds = self.jobs.kinds();
        loop {
            if *stop.borrow() {
                return;
            }
            let now = self.now_ms();
            // Registered before the claim, so a wake-up between the claim and the wait is not lost.
            let wake = self.job_wake.notified();
            tokio::pin!(wake);
            wake.as_mut().enable();
            match self.store.claim_job(&kinds, now, cfg.lease_ms).await {
                Ok(Some(job)) => self.run_one(job).await,
                Ok(None) => {
                    tokio::select! {
                        _ = wake => {}
                        _ = tokio::time::sleep(Duration::from_millis(cfg.poll_ms)) => {}
                        _ = stop.changed() => {}
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot claim a job; retrying");
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_millis(cfg.poll_ms * 4)) => {}
                        _ = stop.changed() => {}
                    }
                }
            }
        }
    }

    /// Gives back expired leases and enqueues the periodic kinds that are due.
    async fn housekeeping(&self, now_ms: i64) -> Result<()> {
        let n = self.store.reap_jobs(now_ms).await?;
        if n > 0 {
            tracing::warn!(jobs = n, "jobs whose worker stopped were given back");
        }
        let now = now_ms / 1000;
        for s in &self.jobs.schedules {
            let slot = now - now.rem_euclid(s.every_secs);
            let job = NewJob::new(s.kind, "{}", slot * 1000).key(format!("{}@{slot}", s.kind)).max_attempts(3);
            self.store.enqueue(&job, now_ms).await?;
        }
        Ok(())
    }

    /// Runs one claimed job to its end: done, retry, or dead.
    async fn run_one(&self, job: ClaimedJob) {
        let started = self.now_ms();
        self.job_stats.pickup_ms_sum.fetch_add((started - job.run_at).max(0) as u64, Ordering::Relaxed);
        self.job_stats.pickups.fetch_add(1, Ordering::Relaxed);
        let result = match self.jobs.get(&job.kind) {
            None => Err(format!("no handler for job kind {:?}", job.kind)),
            Some(h) => {
                let task = tokio::spawn(h(self.clone(), job.clone()));
                self.keep_lease(&job, task).await
            }
        };
        let now = self.now_ms();
        match result {
            Ok(Done::Completed) => {
                self.job_stats.completed.fetch_add(1, Ordering::Relaxed);
            }
            Ok(Done::Ok) => {
                let done = async {
                    let mut tx = self.store.begin_bookkeeping().await?;
                    let ok = tx.complete_job(&job, now).await?;
                    tx.commit().await?;
                    Ok::<bool, store::StoreError>(ok)
                };
                match done.await {
                    Ok(true) => {
                        self.job_stats.completed.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(false) => tracing::warn!(job = %job.id, "job finished after its lease was lost"),
                    Err(e) => tracing::warn!(job = %job.id, error = %e, "cannot record a finished job"),
                }
            }
            Err(msg) => {
                let retry_at = now + backoff_ms(&self.config.jobs, job.attempt);
                match self.store.fail_job(&job, &msg, now, retry_at).await {
                    Ok(Some(JobState::Dead)) => {
                        self.job_stats.dead.fetch_add(1, Ordering::Relaxed);
                        tracing::error!(job = %job.id, kind = %job.kind, error = %msg, "job is dead");
                    }
                    Ok(_) => {
                        self.job_stats.failed.fetch_add(1, Ordering::Relaxed);
                        tracing::warn!(job = %job.id, kind = %job.kind, attempt = job.attempt, error = %msg, "job failed; will retry");
                    }
                    Err(e) => tracing::warn!(job = %job.id, error = %e, "cannot record a failed job"),
                }
            }
        }
    }

    /// Waits for the handler, renewing the lease every third of its length. The handler is
    /// stopped when the lease is lost (another worker may hold the job now) or cannot be renewed
    /// for a whole lease, and when it runs past `max_run_ms`.
    async fn keep_lease(&self, job: &ClaimedJob, mut task: tokio::task::JoinHandle<JobResult>) -> JobResult {
        let lease = self.config.jobs.lease_ms;
        let every = Duration::from_millis((lease / 3).max(10) as u64);
        let deadline = tokio::time::Instant::now() + Duration::from_millis(self.config.jobs.max_run_ms.max(1) as u64);
        let mut renewed = self.now_ms();
        loop {
            tokio::select! {
                r = &mut task => {
                    return match r {
                        Ok(r) => r,
                        Err(e) if e.is_panic() => Err(format!("panicked: {}", panic_message(e.into_panic()))),
                        Err(e) => Err(format!("aborted: {e}")),
                    };
                }
                _ = tokio::time::sleep_until(deadline) => {
                    task.abort();
                    return Err(format!("stopped after running {} s", self.config.jobs.max_run_ms / 1000));
                }
                _ = tokio::time::sleep(every) => {
                    match self.store.extend_lease(job, self.now_ms() + lease).await {
                        Ok(true) => renewed = self.now_ms(),
                        Ok(false) => {
                            task.abort();
                            tracing::warn!(job = %job.id, "lease lost while running; stopped");
                            return Err("lease lost while running".into());
                        }
                        Err(e) if self.now_ms() - renewed >= lease => {
                            task.abort();
                            tracing::warn!(job = %job.id, error = %e, "lease could not be renewed; stopped");
                            return Err(format!("lease could not be renewed: {e}"));
                        }
                        Err(e) => tracing::warn!(job = %job.id, error = %e, "cannot renew a lease"),
                    }
                }
            }
        }
    }

    /// Operator: jobs and counts.
    pub async fn jobs_overview(&self, actor: &Actor, state: Option<JobState>, limit: i64) -> Result<JobsOverview> {
        require_operator(actor)?;
        Ok(JobsOverview { counts: self.store.job_counts().await?, jobs: self.store.jobs(state, limit).await? })
    }

    /// Whether the actor may see the job queue at all (asked before anything else is checked,
    /// so others learn nothing, not even which filters exist).
    pub fn may_see_jobs(&self, actor: &Actor) -> Result<()> {
        require_operator(actor)
    }

    /// Operator: one job.
    pub async fn job(&self, actor: &Actor, id: JobId) -> Result<JobRow> {
        require_operator(actor)?;
        Ok(self.store.job(id).await?)
    }

    /// Operator: retry a failed, dead or cancelled job now.
    pub async fn retry_job(&self, actor: &Actor, id: JobId) -> Result<()> {
        require_operator(actor)?;
        self.store.job(id).await?;
        if !self.store.retry_job(id, self.now_ms()).await? {
            return Err(AppError::conflict(
                "失敗・停止・取消の状態のジョブだけ再実行できます",
                "Only failed, dead or cancelled jobs can be retried",
            ));
        }
        self.audit_alone(actor, "jobs.retry", &format!("job#{id}"), "").await?;
        self.job_wake.notify_waiters();
        Ok(())
    }

    /// Operator: cancel a job that has not started.
    pub async fn cancel_job(&self, actor: &Actor, id: JobId) -> Result<()> {
        require_operator(actor)?;
        self.store.job(id).await?;
        if !self.store.cancel_job(id, self.now_ms()).await? {
            return Err(AppError::conflict(
                "待機中か再試行待ちのジョブだけ取り消せます",
                "Only queued jobs or jobs waiting to retry can be cancelled",
            ));
        }
        self.audit_alone(actor, "jobs.cancel", &format!("job#{id}"), "").await
    }

    /// Jobs due or running now (an idle queue has none).
    pub async fn busy_jobs(&self) -> Result<i64> {
        Ok(self.store.busy_jobs(self.now_ms()).await?)
    }

    /// Job counts by state (for /metrics; no actor: the numbers are not sensitive).
    pub async fn job_counts(&self) -> Result<Vec<(JobState, i64)>> {
        Ok(self.store.job_counts().await?)
    }
}

fn require_operator(actor: &Actor) -> Result<()> {
    if actor.acts_as_office() { Ok(()) } else { Err(AppError::NotFound) }
}

fn panic_message(p: Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "(no message)".into()
    }
}

/// What the operator's job page shows.
#[derive(Debug, Clone)]
pub struct JobsOverview {
    pub counts: Vec<(JobState, i64)>,
    pub jobs: Vec<JobRow>,
}
