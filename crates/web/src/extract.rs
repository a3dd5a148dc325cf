//! Who is asking, in which language, and whether a write may proceed (Origin + CSRF).

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use std::net::IpAddr;

use crate::AppState;
use crate::error::WebError;
use crate::middleware::RequestId;
use app::{Actor, AppError};
use serde::de::DeserializeOwned;

pub const SESSION_COOKIE: &str = "kh_session";
pub const LANG_COOKIE: &str = "kh_lang";
pub const LOGIN_CSRF_COOKIE: &str = "kh_login_csrf";

/// The page language: Japanese unless English was chosen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct T {
    pub en: bool,
}

impl T {
    /// Picks the Japanese or English text.
    pub fn s<'a>(&self, ja: &'a str, en: &'a str) -> &'a str {
        if self.en { en } else { ja }
    }
    pub fn code(&self) -> &'static str {
        if self.en { "en" } else { "ja" }
    }
}

/// The signed-in user, and how they authenticated.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub actor: Actor,
    /// The session's CSRF token; None for an API token (no ambient credentials to forge).
    pub csrf: Option<String>,
}

/// Per-request context every handler takes.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub t: T,
    pub viewer: Option<Viewer>,
    /// Path and query of this request (for language links and login redirects).
    pub here: String,
    pub request_id: String,
    /// The request's Origin (or Referer) names this site, or names nothing.
    pub origin_ok: bool,
    pub api: bool,
    pub client_ip: String,
}

pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn query_param<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query.split('&').filter_map(|kv| kv.split_once('=')).find(|(k, _)| *k == name).map(|(_, v)| v)
}

fn origin_ok(parts: &Parts, state: &AppState) -> bool {
    let h = &parts.headers;
    let given = h.get(header::ORIGIN).and_then(|v| v.to_str().ok()).map(str::to_string).or_else(|| {
        h.get(header::REFERER).and_then(|v| v.to_str().ok()).map(|r| {
            // scheme://host[:port] of the referer
            let rest = r.split_once("://").map(|(s, rest)| (s, rest.split('/').next().unwrap_or("")));
            rest.map(|(s, host)| format!("{s}://{host}")).unwrap_or_default()
        })
    });
    let Some(given) = given else { return true };
    if given == "null" {
        return false;
    }
    match &state.cfg.public_url {
        // scheme, host and port all come from the public URL (https behind a TLS proxy)
        Some(u) => origin_of(&given).is_some_and(|g| Some(g) == origin_of(u)),
        None => {
            let host = h.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
            given.split_once("://").is_some_and(|(_, g)| g == host)
        }
    }
}

/// `scheme://host[:port]` of a URL, lower-cased, without the scheme's default port.
pub fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let authority = rest.split(['/', '?', '#']).next()?.to_ascii_lowercase();
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    let authority = match (scheme.as_str(), authority.rsplit_once(':')) {
        ("https", Some((h, "443"))) | ("http", Some((h, "80"))) => h.to_string(),
        _ => authority,
    };
    Some(format!("{scheme}://{authority}"))
}

/// The client's address: the peer, unless the peer is a trusted proxy; then the nearest address
/// in `X-Forwarded-For` that is not itself a trusted proxy, read from the right (the left end is
/// whatever the client chose to send). Only `X-Forwarded-For` is read: it is what nginx, HAProxy
/// and the cloud balancers append to, while most of them pass a client's own `Forwarded` header
/// through untouched, so honouring that one would let any client pick its address. IPv4-mapped
/// IPv6 addresses count as the IPv4 address they carry.
pub fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &[ipnet::IpNet]) -> IpAddr {
    let peer = peer.to_canonical();
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let mut chain: Vec<IpAddr> = Vec::new();
    for v in headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()) {
        for part in v.split(',') {
            match part.trim().parse::<IpAddr>() {
                Ok(ip) => chain.push(ip.to_canonical()),
                // garbage: nothing to the left of it can be trusted
                Err(_) => chain.clear(),
            }
        }
    }
    chain.into_iter().rev().find(|ip| !is_trusted(ip)).unwrap_or(peer)
}

/// Compares secrets in constant time.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl<S> FromRequestParts<S> for Ctx
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let query = parts.uri.query().unwrap_or("");
        let en = matches!(query_param(query, "lang").or_else(|| cookie(&parts.headers, LANG_COOKIE)), Some("en"));
        let t = T { en };
        let api = parts.uri.path().starts_with("/api/");
        let request_id = parts.extensions.get::<RequestId>().map(|r| r.0.clone()).unwrap_or_default();
        let here = parts.uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| "/".into());
        let client_ip = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| client_address(c.0.ip(), &parts.headers, &state.cfg.trusted_proxies).to_string())
            .unwrap_or_else(|| "unknown".into());
        let mut ctx = Ctx { t, viewer: None, here, request_id, origin_ok: origin_ok(parts, &state), api, client_ip };
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        if let Some(token) = bearer {
            match state.app.token_actor(token).await {
                Ok(Some(actor)) => ctx.viewer = Some(Viewer { actor, csrf: None }),
                Ok(None) => return Err(ctx.err(AppError::Unauthenticated)),
                Err(e) => return Err(ctx.err(e)),
            }
        } else if let Some(sid) = cookie(&parts.headers, SESSION_COOKIE) {
            match state.app.session_actor(sid).await {
                Ok(Some((actor, csrf))) => ctx.viewer = Some(Viewer { actor, csrf: Some(csrf) }),
                Ok(None) => {}
                Err(e) => return Err(ctx.err(e)),
            }
        }
        Ok(ctx)
    }
}

impl Ctx {
    pub fn actor(&self) -> Option<&Actor> {
        self.viewer.as_ref().map(|v| &v.actor)
    }

    /// The signed-in actor, or the login redirect / 401.
    pub fn require(&self) -> Result<&Actor, WebError> {
        self.actor().ok_or_else(|| self.err(AppError::Unauthenticated))
    }

    /// The CSRF token for forms on this page.
    pub fn csrf(&self) -> &str {
        self.viewer.as_ref().and_then(|v| v.csrf.as_deref()).unwrap_or("")
    }

    /// A write may proceed: same origin, and for a browser session the form's CSRF token.
    pub fn check_write(&self, form_csrf: Option<&str>) -> Result<&Actor, WebError> {
        if !self.origin_ok {
            return Err(self.forbidden_csrf());
        }
        let v = self.viewer.as_ref().ok_or_else(|| self.err(AppError::Unauthenticated))?;
        if let Some(expected) = &v.csrf
            && !form_csrf.is_some_and(|f| same_secret(f, expected))
        {
            return Err(self.forbidden_csrf());
        }
        Ok(&v.actor)
    }

    fn forbidden_csrf(&self) -> WebError {
        WebError::new(self, AppError::Forbidden).with_detail(
            "送信元を確認できませんでした（CSRF/Origin）。ページを再読み込みしてからもう一度送信してください。",
            "The request's origin could not be verified (CSRF/Origin check). Reload the page and submit again.",
        )
    }

    pub fn err(&self, e: impl Into<AppError>) -> WebError {
        WebError::new(self, e.into())
    }
}

/// The actor of an API write: a bearer token, or a browser session with `X-CSRF-Token`.
pub fn write_actor<'a>(ctx: &'a Ctx, headers: &HeaderMap) -> Result<&'a Actor, WebError> {
    let csrf = headers.get("x-csrf-token").and_then(|v| v.to_str().ok());
    ctx.check_write(csrf)
}

/// Decodes a JSON request body; anything but `application/json` (or a `+json` type) is 415.
pub fn json_body<T: DeserializeOwned>(ctx: &Ctx, headers: &HeaderMap, body: &[u8]) -> Result<T, WebError> {
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let essence = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if !(essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))) {
        return Err(ctx.err(AppError::UnsupportedMedia).with_detail(
            "本文は JSON で送り、Content-Type: application/json を付けてください",
            "Send the body as JSON with Content-Type: application/json",
        ));
    }
    serde_json::from_slice(body).map_err(|e| {
        ctx.err(AppError::field(
            "body",
            &format!("JSON を読み取れません: {e}"),
            &format!("The JSON body could not be read: {e}"),
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::client_address;
    use axum::http::HeaderMap;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn origins_compare_scheme_host_and_port() {
        use super::origin_of;
        assert_eq!(
            origin_of("https://Registry.example.jp:443/kakehashi/").as_deref(),
            Some("https://registry.example.jp")
        );
        assert_eq!(origin_of("https://registry.example.jp").as_deref(), Some("https://registry.example.jp"));
        assert_ne!(origin_of("http://registry.example.jp"), origin_of("https://registry.example.jp"));
        assert_eq!(origin_of("http://127.0.0.1:8080").as_deref(), Some("http://127.0.0.1:8080"));
        assert_eq!(origin_of("https://user@evil.example"), None);
        assert_eq!(origin_of("null"), None);
    }

    #[test]
    fn forwarded_headers_count_only_from_trusted_proxies() {
        let lb: Vec<ipnet::IpNet> = vec!["10.0.0.0/24".parse().unwrap()];
        let peer = "10.0.0.5".parse().unwrap();
        let outsider = "198.51.100.7".parse().unwrap();
        let h = headers(&[("x-forwarded-for", "6.6.6.6, 203.0.113.9")]);
        // from the balancer: the right-most address it added
        assert_eq!(client_address(peer, &h, &lb).to_string(), "203.0.113.9");
        // from anyone else the header is the client's own words and is ignored
        assert_eq!(client_address(outsider, &h, &lb), outsider);
        // with no trusted proxies configured, nobody's header counts
        assert_eq!(client_address(peer, &h, &[]), peer);
        // a chain through two trusted hops
        let h = headers(&[("x-forwarded-for", "203.0.113.9, 10.0.0.7")]);
        assert_eq!(client_address(peer, &h, &lb).to_string(), "203.0.113.9");
        // a client's own `Forwarded` header, passed through by the proxy, is not read
        let h = headers(&[("forwarded", "for=6.6.6.6"), ("x-forwarded-for", "192.0.2.1")]);
        assert_eq!(client_address(peer, &h, &lb).to_string(), "192.0.2.1");
        // IPv4-mapped peers and hops are their IPv4 addresses
        let mapped: std::net::IpAddr = "::ffff:10.0.0.5".parse().unwrap();
        let h = headers(&[("x-forwarded-for", "::ffff:203.0.113.9")]);
        assert_eq!(client_address(mapped, &h, &lb).to_string(), "203.0.113.9");
        // garbage: the peer
        let h = headers(&[("x-forwarded-for", "not-an-address")]);
        assert_eq!(client_address(peer, &h, &lb), peer);
    }
}
