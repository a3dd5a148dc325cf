//! Login, logout, and the account page with API tokens.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::flash::see_other;
use super::platform::safe_next;
use crate::AppState;
use crate::error::WebError;
use crate::extract::{Ctx, LOGIN_CSRF_COOKIE, SESSION_COOKIE, cookie, same_secret};
use crate::forms::{CsrfOnly, decode};
use crate::views::{FieldErrors, Nav, Opt, render};
use app::auth::LoginError;
use app::{AppError, Scope, jst_datetime};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    nav: Nav,
    email: String,
    next: String,
    csrf: String,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct LoginQuery {
    #[serde(default)]
    next: String,
}

/// Sets the pre-login CSRF cookie (double-submit: the page's hidden field must match it) for the
/// forms used before there is a session: login, sign-up, sign-up confirmation.
fn set_pre_login_token(res: &mut Response, csrf: &str, path: &str, secure: bool) {
    let secure = if secure { "; Secure" } else { "" };
    if let Ok(v) =
        format!("{LOGIN_CSRF_COOKIE}={csrf}; Path={path}; HttpOnly; SameSite=Strict; Max-Age=3600{secure}").parse()
    {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// A pre-login form came from this site: the Origin check, and the form's token matches the cookie.
fn pre_login_token_ok(ctx: &Ctx, headers: &HeaderMap, form_token: &str) -> bool {
    let cookie_token = cookie(headers, LOGIN_CSRF_COOKIE).unwrap_or("");
    ctx.origin_ok && !cookie_token.is_empty() && same_secret(cookie_token, form_token)
}

/// The refusal of a pre-login form whose token or origin did not check out, saying which page to
/// open again.
fn pre_login_refused(ctx: &Ctx, again_ja: &str, again_en: &str) -> WebError {
    WebError::new(ctx, AppError::Forbidden).with_detail(
        &format!("送信元を確認できませんでした。{again_ja}"),
        &format!("The request's origin could not be verified. {again_en}"),
    )
}

/// A redirect that carries a new session's cookie.
fn signed_in(to: &str, sess: &app::auth::NewSession, secure: bool) -> Response {
    let secure = if secure { "; Secure" } else { "" };
    let mut res = Redirect::to(to).into_response();
    if let Ok(v) =
        format!("{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}", sess.token, sess.max_age)
            .parse()
    {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

fn login_page(ctx: &Ctx, email: &str, next: &str, error: Option<String>, status: StatusCode, secure: bool) -> Response {
    let csrf = app::auth::random_token();
    let page = LoginPage {
        nav: Nav::new(ctx, "ログイン", "Log in", ""),
        email: email.into(),
        next: safe_next(next),
        csrf: csrf.clone(),
        error,
    };
    let mut res = render(&page);
    *res.status_mut() = status;
    set_pre_login_token(&mut res, &csrf, "/login", secure);
    res
}

pub async fn login_form(ctx: Ctx, State(s): State<AppState>, Query(q): Query<LoginQuery>) -> Response {
    login_page(&ctx, "", &q.next, None, StatusCode::OK, s.cfg.secure_cookies)
}

#[derive(Deserialize, Default)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    csrf: String,
}

pub async fn login(ctx: Ctx, State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> Result<Response, WebError> {
    let f: LoginForm = decode(&body).map_err(|e| ctx.err(e))?;
    // Login CSRF: same origin, and the form's token matches the pre-login cookie.
    if !pre_login_token_ok(&ctx, &headers, &f.csrf) {
        return Err(pre_login_refused(&ctx, "ログイン画面を開き直してください。", "Open the login page again."));
    }
    let t = ctx.t;
    match s.app.login(&f.email, &f.password, &ctx.client_ip).await {
        Ok(sess) => {
            // a page asked for is honoured; otherwise each role lands on its own page
            let mut to = safe_next(&f.next);
            if to == "/"
                && let Ok(Some((actor, _))) = s.app.session_actor(&sess.token).await
            {
                to = actor.landing().to_string();
            }
            let mut res = signed_in(&to, &sess, s.cfg.secure_cookies);
            if let Ok(v) = format!("{LOGIN_CSRF_COOKIE}=; Path=/login; Max-Age=0").parse() {
                res.headers_mut().append(header::SET_COOKIE, v);
            }
            Ok(res)
        }
        Err(LoginError::Invalid) => Ok(login_page(
            &ctx,
            &f.email,
            &f.next,
            Some(
                t.s(
                    "メールアドレスまたはパスワードが正しくありません。",
                    "The e-mail address or password is not correct.",
                )
                .into(),
            ),
            StatusCode::UNAUTHORIZED,
            s.cfg.secure_cookies,
        )),
        Err(LoginError::RateLimited { retry_after }) => {
            let mut res = login_page(
                &ctx,
                &f.email,
                &f.next,
                Some(if retry_after >= 120 {
                    let m = (retry_after + 59) / 60;
                    t.s(
                        &format!("ログインの失敗が続いたため、{m}分ほど時間をおいてからお試しください。"),
                        &format!("Too many failed logins. Please wait about {m} minutes and try again."),
                    )
                    .to_string()
                } else {
                    t.s(
                        &format!("ログインの失敗が続いたため、{retry_after}秒後にもう一度お試しください。"),
                        &format!("Too many failed logins. Please try again in {retry_after} seconds."),
                    )
                    .to_string()
                }),
                StatusCode::TOO_MANY_REQUESTS,
                s.cfg.secure_cookies,
            );
            if let Ok(v) = retry_after.to_string().parse() {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
            Ok(res)
        }
        Err(LoginError::Other(e)) => Err(ctx.err(e)),
    }
}

pub async fn logout(
    ctx: Ctx,
    State(s): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WebError> {
    let f: CsrfOnly = decode(&body).map_err(|e| ctx.err(e))?;
    ctx.check_write(Some(&f.csrf))?;
    if let Some(sid) = cookie(&headers, SESSION_COOKIE) {
        s.app.logout(sid).await.map_err(|e| ctx.err(e))?;
    }
    let mut res = Redirect::to("/").into_response();
    if let Ok(v) = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0").parse() {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    nav: Nav,
    email: String,
    orgs: Vec<(String, String, String)>,
    tokens: Vec<(i64, String, String, String, bool)>,
    scopes: Vec<Opt>,
    new_token: Option<String>,
    done: Option<&'static str>,
    error: Option<String>,
}

async fn account_page(
    ctx: &Ctx,
    s: &AppState,
    new_token: Option<String>,
    error: Option<String>,
    done: &str,
) -> Result<Response, WebError> {
    let a = ctx.require()?;
    let t = ctx.t;
    let tokens = s
        .app
        .tokens_of(a)
        .await
        .map_err(|e| ctx.err(e))?
        .into_iter()
        .map(|k| (k.id, k.name, k.scopes, jst_datetime(k.created_at), k.revoked_at.is_some()))
        .collect();
    Ok(render(&AccountPage {
        nav: Nav::new(ctx, "アカウント", "Account", "account"),
        email: a.email.clone(),
        orgs: a
            .memberships
            .iter()
            .map(|m| {
                (
                    m.org_name.clone(),
                    m.kind.label(t.en).into(),
                    t.s(
                        if m.role == domain::MembershipRole::Admin { "管理者" } else { "担当者" },
                        if m.role == domain::MembershipRole::Admin { "Admin" } else { "Member" },
                    )
                    .into(),
                )
            })
            .collect(),
        tokens,
        scopes: Scope::ALL.iter().map(|x| Opt::new(x.code(), x.code(), false)).collect(),
        new_token,
        done: super::flash::done_message(t, done),
        error,
    }))
}

pub async fn account(
    ctx: Ctx,
    State(s): State<AppState>,
    Query(d): Query<super::flash::DoneParam>,
) -> Result<Response, WebError> {
    account_page(&ctx, &s, None, None, &d.done).await
}

#[derive(Deserialize, Default)]
pub struct TokenForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    scopes: Vec<String>,
}

pub async fn create_token(ctx: Ctx, State(s): State<AppState>, body: Bytes) -> Result<Response, WebError> {
    let f: TokenForm = decode(&body).map_err(|e| ctx.err(e))?;
    let a = ctx.check_write(Some(&f.csrf))?;
    let scopes: Vec<Scope> = f.scopes.iter().filter_map(|x| Scope::parse(x)).collect();
    match s.app.create_token(a, &f.name, &scopes).await {
        Ok((_, token)) => {
            let mut res = account_page(&ctx, &s, Some(token), None, "").await?;
            // The token is on this page once: keep it out of every cache.
            res.headers_mut()
                .insert(axum::http::header::CACHE_CONTROL, axum::http::HeaderValue::from_static("no-store"));
            Ok(res)
        }
        Err(AppError::Invalid(errs)) => {
            let msg =
                errs.iter().map(|e| if ctx.t.en { e.en.clone() } else { e.ja.clone() }).collect::<Vec<_>>().join(" ");
            let mut res = account_page(&ctx, &s, None, Some(msg), "").await?;
            *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(res)
        }
        Err(e) => Err(ctx.err(e)),
    }
}

pub async fn revoke_token(
    ctx: Ctx,
    State(s): State<AppState>,
    Path(id): Path<domain::TokenId>,
    body: Bytes,
) -> Result<Response, WebError> {
    let f: CsrfOnly = decode(&body).map_err(|e| ctx.err(e))?;
    let a = ctx.check_write(Some(&f.csrf))?;
    s.app.revoke_token(a, id).await.map_err(|e| ctx.err(e))?;
    Ok(see_other("/account", "token"))
}

#[derive(Template)]
#[template(path = "signup.html")]
struct SignupPage {
    nav: Nav,
    f: SignupForm,
    csrf: String,
    errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "signup_sent.html")]
struct SignupSentPage {
    nav: Nav,
}

#[derive(Template)]
#[template(path = "signup_confirm.html")]
struct SignupConfirmPage {
    nav: Nav,
    token: String,
    csrf: String,
    valid: bool,
}

#[derive(Deserialize, Default)]
pub struct ConfirmParams {
    #[serde(default)]
    token: String,
    #[serde(default)]
    csrf: String,
}

/// The link in the confirmation mail opens a page with one button: following a link alone
/// (a mail scanner does) changes nothing.
pub async fn signup_confirm_form(ctx: Ctx, State(s): State<AppState>, Query(q): Query<ConfirmParams>) -> Response {
    let valid = !q.token.is_empty() && s.app.signup_link_valid(&q.token).await.unwrap_or(false);
    let csrf = app::auth::random_token();
    let page = SignupConfirmPage {
        nav: Nav::new(&ctx, "申請者登録の確認", "Confirm your registration", ""),
        token: q.token,
        csrf: csrf.clone(),
        valid,
    };
    let mut res = render(&page);
    if !valid {
        *res.status_mut() = StatusCode::NOT_FOUND;
    }
    private_page(&mut res);
    set_pre_login_token(&mut res, &csrf, "/signup", s.cfg.secure_cookies);
    res
}

/// Confirms: the organisation and its admin are made and signed in.
pub async fn signup_confirm(
    ctx: Ctx,
    State(s): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WebError> {
    let f: ConfirmParams = decode(&body).map_err(|e| ctx.err(e))?;
    if !pre_login_token_ok(&ctx, &headers, &f.csrf) {
        return Err(pre_login_refused(
            &ctx,
            "メールのリンクを開き直してください。",
            "Open the link in the mail again.",
        ));
    }
    let sess = s.app.confirm_signup(&f.token).await.map_err(|e| match e {
        AppError::NotFound => WebError::new(&ctx, AppError::NotFound).with_detail(
            "このリンクは使えません（使用済みか、24時間を過ぎています）。もう一度登録してください。",
            "This link cannot be used (already used, or older than 24 hours). Please register again.",
        ),
        e => ctx.err(e),
    })?;
    Ok(signed_in("/my/services/new", &sess, s.cfg.secure_cookies))
}

#[derive(Deserialize, Default, Clone)]
pub struct SignupForm {
    #[serde(default)]
    org_name: String,
    #[serde(default)]
    org_name_en: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
}

fn signup_page(ctx: &Ctx, f: SignupForm, errors: FieldErrors, status: StatusCode, secure: bool) -> Response {
    let csrf = app::auth::random_token();
    let f = SignupForm { password: String::new(), ..f };
    let page = SignupPage {
        nav: Nav::new(ctx, "事業者の申請者登録", "Register as a provider", ""),
        f,
        csrf: csrf.clone(),
        errors,
    };
    let mut res = render(&page);
    *res.status_mut() = status;
    set_pre_login_token(&mut res, &csrf, "/signup", secure);
    res
}

pub async fn signup_form(ctx: Ctx, State(s): State<AppState>) -> Response {
    signup_page(&ctx, SignupForm::default(), FieldErrors::default(), StatusCode::OK, s.cfg.secure_cookies)
}

/// A provider asks to register as an applicant; the mail it gets finishes the registration.
pub async fn signup(
    ctx: Ctx,
    State(s): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WebError> {
    let f: SignupForm = decode(&body).map_err(|e| ctx.err(e))?;
    if !pre_login_token_ok(&ctx, &headers, &f.csrf) {
        return Err(pre_login_refused(&ctx, "登録画面を開き直してください。", "Open the registration page again."));
    }
    let input = app::identity::ProviderSignup {
        org_name: f.org_name.clone(),
        org_name_en: f.org_name_en.clone(),
        display_name: f.display_name.clone(),
        email: f.email.clone(),
        password: f.password.clone(),
    };
    match s.app.request_signup(&input, &ctx.client_ip).await {
        // the same page whether the address was new or already registered
        Ok(()) => {
            let page =
                SignupSentPage { nav: Nav::new(&ctx, "確認メールを送信しました", "Check your e-mail", "") };
            Ok(render(&page))
        }
        Err(AppError::Invalid(errs)) => Ok(signup_page(
            &ctx,
            f,
            FieldErrors::new(ctx.t, &errs),
            StatusCode::UNPROCESSABLE_ENTITY,
            s.cfg.secure_cookies,
        )),
        Err(e) => Err(ctx.err(e)),
    }
}

// ---------------------------------------------------------------------------------------------
// Password reset by e-mail, and the invitation link (the same page: choose a password)

#[derive(Template)]
#[template(path = "password_forgot.html")]
struct ForgotPage {
    nav: Nav,
    email: String,
    csrf: String,
    errors: FieldErrors,
    limited: Option<String>,
}

#[derive(Template)]
#[template(path = "password_done.html")]
struct PasswordDonePage {
    nav: Nav,
    /// `sent` (the mail is on its way), `set` (the password was set), `dead` (the link no longer works)
    what: &'static str,
}

#[derive(Template)]
#[template(path = "password_reset.html")]
struct ResetPage {
    nav: Nav,
    token: String,
    csrf: String,
    invite: bool,
    errors: FieldErrors,
}

#[derive(Deserialize, Default)]
pub struct ForgotForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    csrf: String,
}

#[derive(Deserialize, Default)]
pub struct ResetForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_again: String,
    #[serde(default)]
    csrf: String,
}

fn forgot_page(
    ctx: &Ctx,
    email: &str,
    errors: FieldErrors,
    limited: Option<String>,
    status: StatusCode,
    secure: bool,
) -> Response {
    let csrf = app::auth::random_token();
    let mut res = render(&ForgotPage {
        nav: Nav::new(ctx, "パスワードの再設定", "Reset your password", ""),
        email: email.into(),
        csrf: csrf.clone(),
        errors,
        limited,
    });
    *res.status_mut() = status;
    set_pre_login_token(&mut res, &csrf, "/password", secure);
    res
}

fn password_done(ctx: &Ctx, what: &'static str, status: StatusCode) -> Response {
    let (ja, en) = match what {
        "sent" => ("メールを確認してください", "Check your e-mail"),
        "set" => ("パスワードを設定しました", "Your password is set"),
        "limited" => ("しばらくしてからお試しください", "Please try again later"),
        _ => ("このリンクは使えません", "This link cannot be used"),
    };
    let mut res = render(&PasswordDonePage { nav: Nav::new(ctx, ja, en, ""), what });
    *res.status_mut() = status;
    private_page(&mut res);
    res
}

/// A page whose address may hold a one-time token: kept out of caches and out of every Referer.
fn private_page(res: &mut Response) {
    res.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    res.headers_mut().insert(header::REFERRER_POLICY, header::HeaderValue::from_static("no-referrer"));
}

pub async fn forgot_form(ctx: Ctx, State(s): State<AppState>) -> Response {
    forgot_page(&ctx, "", FieldErrors::default(), None, StatusCode::OK, s.cfg.secure_cookies)
}

/// Someone asks for a reset link; the answer is the same whether the address has an account.
pub async fn forgot(
    ctx: Ctx,
    State(s): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WebError> {
    let f: ForgotForm = decode(&body).map_err(|e| ctx.err(e))?;
    if !pre_login_token_ok(&ctx, &headers, &f.csrf) {
        return Err(pre_login_refused(&ctx, "再設定の画面を開き直してください。", "Open the reset page again."));
    }
    let secure = s.cfg.secure_cookies;
    match s.app.request_password_reset(&f.email, &ctx.client_ip).await {
        Ok(()) => Ok(password_done(&ctx, "sent", StatusCode::OK)),
        Err(AppError::Invalid(errs)) => Ok(forgot_page(
            &ctx,
            &f.email,
            FieldErrors::new(ctx.t, &errs),
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
            secure,
        )),
        Err(AppError::RateLimited { retry_after }) => {
            let m = (retry_after + 59) / 60;
            let msg = ctx
                .t
                .s(
                    &format!("再設定の依頼が続いたため、{m}分ほど時間をおいてからお試しください。"),
                    &format!("Too many reset requests. Please wait about {m} minutes and try again."),
                )
                .to_string();
            let mut res =
                forgot_page(&ctx, &f.email, FieldErrors::default(), Some(msg), StatusCode::TOO_MANY_REQUESTS, secure);
            if let Ok(v) = retry_after.to_string().parse() {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
            Ok(res)
        }
        Err(e) => Err(ctx.err(e)),
    }
}

fn reset_page(ctx: &Ctx, token: &str, invite: bool, errors: FieldErrors, status: StatusCode, secure: bool) -> Response {
    let csrf = app::auth::random_token();
    let (ja, en) = if invite {
        ("パスワードの設定", "Choose your password")
    } else {
        ("新しいパスワードの設定", "Choose a new password")
    };
    let mut res =
        render(&ResetPage { nav: Nav::new(ctx, ja, en, ""), token: token.into(), csrf: csrf.clone(), invite, errors });
    *res.status_mut() = status;
    // the token is in this page's address
    private_page(&mut res);
    set_pre_login_token(&mut res, &csrf, "/password", secure);
    res
}

/// The link from the mail: a form to choose the password (following the link changes nothing).
pub async fn reset_form(
    ctx: Ctx,
    State(s): State<AppState>,
    Query(q): Query<ConfirmParams>,
) -> Result<Response, WebError> {
    let purpose =
        if q.token.is_empty() { None } else { s.app.password_link(&q.token).await.map_err(|e| ctx.err(e))? };
    Ok(match purpose {
        Some(p) => {
            reset_page(&ctx, &q.token, p == "invite", FieldErrors::default(), StatusCode::OK, s.cfg.secure_cookies)
        }
        None => password_done(&ctx, "dead", StatusCode::NOT_FOUND),
    })
}

/// The new password: set, every session of the account ended, the link used up.
pub async fn reset(ctx: Ctx, State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> Result<Response, WebError> {
    let f: ResetForm = decode(&body).map_err(|e| ctx.err(e))?;
    if !pre_login_token_ok(&ctx, &headers, &f.csrf) {
        return Err(pre_login_refused(
            &ctx,
            "メールのリンクを開き直してください。",
            "Open the link in the mail again.",
        ));
    }
    match s.app.set_password_with_link(&f.token, &f.password, &f.password_again, &ctx.client_ip).await {
        Ok(()) => Ok(password_done(&ctx, "set", StatusCode::OK)),
        Err(AppError::Invalid(errs)) => {
            let invite = s.app.password_link(&f.token).await.map_err(|e| ctx.err(e))?;
            match invite {
                Some(p) => Ok(reset_page(
                    &ctx,
                    &f.token,
                    p == "invite",
                    FieldErrors::new(ctx.t, &errs),
                    StatusCode::UNPROCESSABLE_ENTITY,
                    s.cfg.secure_cookies,
                )),
                None => Ok(password_done(&ctx, "dead", StatusCode::NOT_FOUND)),
            }
        }
        Err(AppError::NotFound) => Ok(password_done(&ctx, "dead", StatusCode::NOT_FOUND)),
        Err(AppError::RateLimited { retry_after }) => {
            let mut res = password_done(&ctx, "limited", StatusCode::TOO_MANY_REQUESTS);
            if let Ok(v) = retry_after.to_string().parse() {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
            Ok(res)
        }
        Err(e) => Err(ctx.err(e)),
    }
}
