//! The job queue on both databases: the store's conformance (claim order, leases, backoff,
//! idempotency, dead jobs, retry and cancel), workers (panics, failures), two workers racing
//! for 1,000 jobs, a worker process killed with SIGKILL mid-job, and the operator's page and API.

mod common;

use std::time::Duration;

use app::jobs::{JobState, NewJob};
use common::*;
use reqwest::{Method, StatusCode};

async fn bare(db: Db) -> TestApp {
    TestApp::spawn_with(db, Options { seed: false, ..Default::default() }).await
}

async fn queue_conformance(db: Db) {
    let t = bare(db).await;
    let s = &t.store;
    let now = 1_000_000_i64;
    // Nothing to claim in an empty queue.
    assert!(s.claim_job(&[], now, 1000).await.unwrap().is_none());
    // Priority first, then the earliest due; a job due later is not claimed.
    let low = s.enqueue(&NewJob::new("k.low", "{}", now - 50), now).await.unwrap();
    let high = s.enqueue(&NewJob::new("k.high", "{}", now - 10).priority(5), now).await.unwrap();
    let later = s.enqueue(&NewJob::new("k.later", "{}", now + 60_000), now).await.unwrap();
    let a = s.claim_job(&[], now, 1000).await.unwrap().unwrap();
    assert_eq!((a.id, a.attempt), (high, 1));
    let b = s.claim_job(&[], now, 1000).await.unwrap().unwrap();
    assert_eq!(b.id, low);
    assert!(s.claim_job(&[], now, 1000).await.unwrap().is_none(), "a job due later must wait");
    // Kinds filter.
    assert!(s.claim_job(&["k.other"], now + 60_000, 1000).await.unwrap().is_none());
    let c = s.claim_job(&["k.later"], now + 60_000, 1000).await.unwrap().unwrap();
    assert_eq!(c.id, later);

    // Completion needs the lease token.
    let mut stolen = a.clone();
    stolen.lease_token = "not-the-token".into();
    let mut tx = s.begin().await.unwrap();
    assert!(!tx.complete_job(&stolen, now).await.unwrap());
    assert!(tx.complete_job(&a, now).await.unwrap());
    assert!(tx.complete_job(&b, now).await.unwrap());
    assert!(tx.complete_job(&c, now).await.unwrap());
    tx.commit().await.unwrap();
    assert_eq!(s.job(high).await.unwrap().state, JobState::Done);

    // An idempotency key makes the second enqueue a no-op that returns the first id.
    let k1 = s.enqueue(&NewJob::new("k.once", "{\"n\":1}", now).key("once-1"), now).await.unwrap();
    let k2 = s.enqueue(&NewJob::new("k.once", "{\"n\":2}", now).key("once-1"), now).await.unwrap();
    assert_eq!(k1, k2);
    assert_eq!(s.job(k1).await.unwrap().payload, "{\"n\":1}");

    // Failure: retried at the given time while attempts remain, then dead with the last error.
    let f = s.enqueue(&NewJob::new("k.fail", "{}", now).max_attempts(2), now).await.unwrap();
    let j = s.claim_job(&["k.fail"], now, 1000).await.unwrap().unwrap();
    assert_eq!(s.fail_job(&j, "first", now, now + 500).await.unwrap(), Some(JobState::Failed));
    assert!(s.claim_job(&["k.fail"], now + 499, 1000).await.unwrap().is_none(), "backoff is respected");
    let j = s.claim_job(&["k.fail"], now + 500, 1000).await.unwrap().unwrap();
    assert_eq!(j.attempt, 2);
    assert_eq!(s.fail_job(&j, "second", now + 500, now + 9999).await.unwrap(), Some(JobState::Dead));
    let row = s.job(f).await.unwrap();
    assert_eq!((row.state, row.last_error.as_deref(), row.attempts), (JobState::Dead, Some("second"), 2));

    // An expired lease is given back; the old holder can no longer finish it.
    let e = s.enqueue(&NewJob::new("k.lease", "{}", now), now).await.unwrap();
    let held = s.claim_job(&["k.lease"], now, 1000).await.unwrap().unwrap();
    assert_eq!(s.reap_jobs(now + 999).await.unwrap(), 0, "lease still valid");
    assert!(s.claim_job(&["k.lease"], now + 999, 1000).await.unwrap().is_none());
    assert_eq!(s.reap_jobs(now + 1001).await.unwrap(), 1);
    let again = s.claim_job(&["k.lease"], now + 1001, 1000).await.unwrap().unwrap();
    assert_eq!((again.id, again.attempt), (e, 2));
    let mut tx = s.begin().await.unwrap();
    assert!(!tx.complete_job(&held, now + 1002).await.unwrap(), "the first holder lost its lease");
    assert!(tx.complete_job(&again, now + 1002).await.unwrap());
    tx.commit().await.unwrap();
    assert!(!s.extend_lease(&held, now + 5000).await.unwrap());

    // Retry and cancel.
    assert!(s.retry_job(f, now).await.unwrap());
    assert_eq!(s.job(f).await.unwrap().state, JobState::Queued);
    assert!(s.cancel_job(f, now).await.unwrap());
    assert!(!s.cancel_job(f, now).await.unwrap(), "already cancelled");
    assert!(!s.retry_job(high, now).await.unwrap(), "a done job is not retried");
    let counts: std::collections::HashMap<_, _> = s.job_counts().await.unwrap().into_iter().collect();
    assert_eq!(counts[&JobState::Cancelled], 1);
    assert_eq!(counts[&JobState::Done], 4);
    // Purge keeps dead jobs and removes old finished ones.
    assert_eq!(s.purge_jobs(now + 100_000).await.unwrap(), 5);
    assert!(s.job(high).await.is_err());
}

async fn wait_state(t: &TestApp, id: app::jobs::JobId, want: JobState, secs: u64) -> app::jobs::JobRow {
    let end = std::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let j = t.store.job(id).await.unwrap();
        if j.state == want {
            return j;
        }
        assert!(std::time::Instant::now() < end, "job {id} is {:?}, not {want:?}: {j:?}", j.state);
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
}

fn fast_jobs() -> app::AppConfig {
    app::AppConfig {
        jobs: app::jobs::JobsConfig { backoff_base_ms: 20, backoff_max_ms: 200, poll_ms: 20, ..Default::default() },
        ..Default::default()
    }
}

async fn panics_and_failures_are_recorded_and_retried(db: Db) {
    let t =
        TestApp::spawn_with(db, Options { seed: false, config: fast_jobs(), workers: 2, ..Default::default() }).await;
    let panics = t
        .app
        .enqueue(NewJob::new(app::jobs::NOOP, r#"{"panic": true}"#, t.app.now_ms()).max_attempts(3))
        .await
        .unwrap();
    let fails = t
        .app
        .enqueue(NewJob::new(app::jobs::NOOP, r#"{"fail": "disk full"}"#, t.app.now_ms()).max_attempts(2))
        .await
        .unwrap();
    let dead = wait_state(&t, panics, JobState::Dead, 20).await;
    assert_eq!(dead.attempts, 3);
    assert!(dead.last_error.as_deref().unwrap_or("").contains("asked to panic"), "{dead:?}");
    let dead = wait_state(&t, fails, JobState::Dead, 20).await;
    assert_eq!((dead.attempts, dead.last_error.as_deref()), (2, Some("disk full")));
    // The workers kept going.
    let ok = t.app.enqueue(NewJob::new(app::jobs::NOOP, r#"{"count": "after"}"#, t.app.now_ms())).await.unwrap();
    wait_state(&t, ok, JobState::Done, 20).await;
    assert_eq!(t.store.counter("after").await.unwrap(), 1);
    // A kind this process has no handler for is left for a process that has one (a rolling
    // upgrade), neither claimed nor lost.
    let unknown = t.app.enqueue(NewJob::new("nobody.handles", "{}", t.app.now_ms()).max_attempts(1)).await.unwrap();
    let later = t.app.enqueue(NewJob::new(app::jobs::NOOP, r#"{"count": "after"}"#, t.app.now_ms())).await.unwrap();
    wait_state(&t, later, JobState::Done, 20).await;
    let j = t.store.job(unknown).await.unwrap();
    assert_eq!((j.state, j.attempts), (JobState::Queued, 0));
}

async fn two_workers_race_for_1000_jobs(db: Db) {
    let t = bare(db).await;
    t.app.enqueue_many(app::jobs::NOOP, r#"{"count": "raced"}"#, 1000, 3).await.unwrap();
    // A second App with its own connection pool stands for a second process.
    let store2 = store::Store::connect(&store::StoreConfig::new(t.db.url.clone())).await.unwrap();
    let other = app::App::new(store2, fast_jobs()).unwrap();
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut handles = Vec::new();
    for a in [t.app.clone(), other.clone()] {
        let mut rx = stop_rx.clone();
        handles.push(tokio::spawn(async move {
            a.run_workers(2, async move {
                let _ = rx.wait_for(|v| *v).await;
            })
            .await
        }));
    }
    t.jobs_settle(120).await;
    let _ = stop_tx.send(true);
    for h in handles {
        h.await.unwrap();
    }
    assert_eq!(t.store.counter("raced").await.unwrap(), 1000, "each job ran exactly once");
    let jobs: Vec<_> = t
        .store
        .jobs(Some(JobState::Done), 2000)
        .await
        .unwrap()
        .into_iter()
        .filter(|j| j.kind == app::jobs::NOOP)
        .collect();
    assert_eq!(jobs.len(), 1000);
    assert!(jobs.iter().all(|j| j.attempts == 1), "no job was claimed twice");
    // Each process took a share (the periodic jobs they enqueue come on top).
    let a = t.app.job_stats.completed.load(std::sync::atomic::Ordering::Relaxed);
    let b = other.job_stats.completed.load(std::sync::atomic::Ordering::Relaxed);
    assert!(a + b >= 1000);
    assert!(a > 0 && b > 0, "both workers took jobs ({a} and {b})");
}

fn kakehashi_bin() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_kakehashi"))
}

async fn killed_worker_job_runs_again_once(db: Db) {
    let t = bare(db).await;
    let id = t
        .app
        .enqueue(NewJob::new(app::jobs::NOOP, r#"{"sleep_ms": 4000, "count": "killed"}"#, t.app.now_ms()))
        .await
        .unwrap();
    let spawn = || {
        kakehashi_bin()
            .args(["worker", "--workers", "1", "--database-url", &t.db.url])
            .env("KAKEHASHI_JOB_LEASE_SECS", "2")
            .env("KAKEHASHI_JOB_BACKOFF_MS", "50")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    let mut first = spawn();
    wait_state(&t, id, JobState::Running, 30).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    first.kill().unwrap(); // SIGKILL: no cleanup, the lease is left behind
    first.wait().unwrap();
    assert_eq!(t.store.counter("killed").await.unwrap(), 0, "the killed attempt committed nothing");
    let mut second = spawn();
    let done = wait_state(&t, id, JobState::Done, 40).await;
    second.kill().unwrap();
    second.wait().unwrap();
    assert_eq!(done.attempts, 2, "{done:?}");
    assert_eq!(t.store.counter("killed").await.unwrap(), 1, "the effect happened once");
}

async fn operator_sees_retries_and_cancels_jobs(db: Db) {
    let t = TestApp::spawn(db).await;
    let dead = t.app.enqueue(NewJob::new("nobody.handles", "{}", t.app.now_ms()).max_attempts(1)).await.unwrap();
    let queued = t.app.enqueue(NewJob::new(app::jobs::NOOP, "{}", t.app.now_ms() + 3_600_000)).await.unwrap();
    // Run what is due once, by hand (no workers in this server).
    let job = t.store.claim_job(&["nobody.handles"], t.app.now_ms(), 1000).await.unwrap().unwrap();
    t.store.fail_job(&job, "no handler for job kind \"nobody.handles\"", t.app.now_ms(), 0).await.unwrap();

    let op = t.as_operator().await;
    let page = op.get("/admin/jobs").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("nobody.handles") && page.body.contains("no handler"), "{}", page.body);
    let page = op.get("/admin/jobs?state=dead").await;
    assert!(page.body.contains(&format!("/admin/jobs/{dead}/retry")));
    assert_eq!(op.get("/admin/jobs?state=bogus").await.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = op.post_form(&format!("/admin/jobs/{dead}/retry"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(t.store.job(dead).await.unwrap().state, JobState::Queued);
    let r = op.post_form(&format!("/admin/jobs/{queued}/cancel"), &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(t.store.job(queued).await.unwrap().state, JobState::Cancelled);
    // Cancelling twice is a conflict, not a crash.
    assert_eq!(op.post_form(&format!("/admin/jobs/{queued}/cancel"), &[]).await.status, StatusCode::CONFLICT);
    // A CSRF-less post is refused.
    let r = op.post_raw(&format!("/admin/jobs/{queued}/retry"), String::new(), Some(&op.base)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // Others do not learn the page exists.
    for who in ["provider-admin@demo.kakehashi.jp", "reviewer@demo.kakehashi.jp", "sme@demo.kakehashi.jp"] {
        let c = t.login(who).await;
        assert_eq!(c.get("/admin/jobs").await.status, StatusCode::NOT_FOUND, "{who}");
        assert_eq!(
            c.get("/admin/jobs?state=bogus").await.status,
            StatusCode::NOT_FOUND,
            "{who}: filters checked after the role"
        );
        assert_eq!(c.post_form(&format!("/admin/jobs/{queued}/retry"), &[]).await.status, StatusCode::NOT_FOUND);
    }
    assert_eq!(t.client().get("/admin/jobs").await.status, StatusCode::SEE_OTHER, "anonymous: to login");

    // The API, with an operator token.
    let token = op.create_token("ops", &["registry:operate"]).await;
    let r = op.api(Method::GET, "/api/v1/admin/jobs?state=cancelled", &token, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let j = r.json();
    assert_eq!(j["counts"]["cancelled"], 1);
    assert_eq!(j["jobs"][0]["id"], queued.0);
    let r = op.api(Method::POST, &format!("/api/v1/admin/jobs/{queued}/retry"), &token, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["state"], "queued");
    assert_eq!(
        op.api(Method::POST, "/api/v1/admin/jobs/999999/retry", &token, None).await.status,
        StatusCode::NOT_FOUND
    );

    // Gauges on /metrics.
    let m = t.client().get("/metrics").await.body;
    assert!(m.contains("kakehashi_jobs{state=\"queued\"}"), "{m}");
}

both_backends!(
    queue_conformance,
    panics_and_failures_are_recorded_and_retried,
    two_workers_race_for_1000_jobs,
    killed_worker_job_runs_again_once,
    operator_sees_retries_and_cancels_jobs,
);

/// On PostgreSQL an enqueue in one process wakes the idle workers of another at once (LISTEN /
/// NOTIFY), so pick-up does not wait for the poll interval (set to a minute here).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enqueue_wakes_workers_of_another_process_on_postgres() {
    if !pg_available().await {
        return;
    }
    let t = bare(Db::Postgres).await;
    let store2 = store::Store::connect(&store::StoreConfig::new(t.db.url.clone())).await.unwrap();
    let slow_poll =
        app::AppConfig { jobs: app::jobs::JobsConfig { poll_ms: 60_000, ..Default::default() }, ..Default::default() };
    let worker = app::App::new(store2, slow_poll).unwrap();
    let w = worker.clone();
    let task = tokio::spawn(async move { w.run_workers(1, std::future::pending()).await });
    tokio::time::sleep(Duration::from_millis(1500)).await; // idle, listening, past its first poll
    let started = std::time::Instant::now();
    let id = t.store.enqueue(&NewJob::new(app::jobs::NOOP, "{}", t.app.now_ms()), t.app.now_ms()).await.unwrap();
    wait_state(&t, id, JobState::Done, 10).await;
    let took = started.elapsed();
    task.abort();
    assert!(took < Duration::from_secs(5), "picked up in {took:?}, not after the 60 s poll");
}
