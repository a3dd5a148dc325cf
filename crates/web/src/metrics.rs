//! Prometheus metrics: request counts and latency per route, plus process facts.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::AppState;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: String,
}

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    pub public_list_size: Gauge,
    jobs: Family<StateLabels, Gauge>,
    jobs_processed: Family<OutcomeLabels, Gauge>,
    jobs_pickup_ms: Gauge<f64, std::sync::atomic::AtomicU64>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("kakehashi");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new([0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5])
        });
        let public_list_size = Gauge::default();
        registry.register("http_requests", "HTTP requests by route and status", requests.clone());
        registry.register("http_request_duration_seconds", "HTTP request latency by route", latency.clone());
        registry.register("registry_public_services", "Services in the public list index", public_list_size.clone());
        let jobs = Family::<StateLabels, Gauge>::default();
        let jobs_processed = Family::<OutcomeLabels, Gauge>::default();
        let jobs_pickup_ms = Gauge::<f64, std::sync::atomic::AtomicU64>::default();
        registry.register("jobs", "Jobs in the queue by state (whole database)", jobs.clone());
        registry.register(
            "jobs_processed",
            "Job attempts this process finished, by outcome (completed, failed, dead)",
            jobs_processed.clone(),
        );
        registry.register(
            "jobs_pickup_latency_ms_mean",
            "Mean ms from due to claimed, this process",
            jobs_pickup_ms.clone(),
        );
        Metrics { registry, requests, latency, public_list_size, jobs, jobs_processed, jobs_pickup_ms }
    }
}

impl Metrics {
    pub fn observe(&self, method: &str, route: &str, status: u16, secs: f64) {
        self.requests.get_or_create(&RequestLabels { method: method.into(), route: route.into(), status }).inc();
        self.latency.get_or_create(&RouteLabels { route: route.into() }).observe(secs);
    }
}

/// Prometheus metrics (OpenMetrics text): requests, latency, list size, jobs by state.
#[utoipa::path(get, path = "/metrics", tag = "platform",
    responses((status = 200, description = "OpenMetrics text", content_type = "application/openmetrics-text"),
        (status = 403, description = "Not from this machine, a configured address or with the metrics token")))]
pub async fn metrics(State(s): State<AppState>, req: axum::extract::Request) -> axum::response::Response {
    // the operators' business: a token, a configured address, or (with neither) this machine
    let headers = req.headers();
    let client = req
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|p| crate::extract::client_address(p.0.ip(), headers, &s.cfg.trusted_proxies));
    let token_ok = s.cfg.metrics_token.as_deref().is_some_and(|want| {
        headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|got| crate::extract::same_secret(got.trim(), want))
    });
    let listed = client.is_some_and(|c| s.cfg.metrics_allow.iter().any(|n| n.contains(&c)));
    let local =
        s.cfg.metrics_token.is_none() && s.cfg.metrics_allow.is_empty() && client.is_some_and(|c| c.is_loopback());
    if !(token_ok || listed || local) {
        return (
            axum::http::StatusCode::FORBIDDEN,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "metrics: forbidden\n",
        )
            .into_response();
    }
    if let Ok(idx) = s.app.registry().public_index().await {
        s.metrics.public_list_size.set(idx.len() as i64);
    }
    if let Ok(counts) = s.app.job_counts().await {
        for (state, n) in counts {
            s.metrics.jobs.get_or_create(&StateLabels { state: state.code().into() }).set(n);
        }
    }
    let st = &s.app.job_stats;
    let load = |a: &std::sync::atomic::AtomicU64| a.load(std::sync::atomic::Ordering::Relaxed) as i64;
    for (outcome, v) in [("completed", load(&st.completed)), ("failed", load(&st.failed)), ("dead", load(&st.dead))] {
        s.metrics.jobs_processed.get_or_create(&OutcomeLabels { outcome: outcome.into() }).set(v);
    }
    let picks = load(&st.pickups);
    if picks > 0 {
        s.metrics.jobs_pickup_ms.set(load(&st.pickup_ms_sum) as f64 / picks as f64);
    }
    let mut out = String::new();
    let _ = prometheus_client::encoding::text::encode(&mut out, &s.metrics.registry);
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], out).into_response()
}
