//! Pages that ask before an action on a service: rejecting, suspending, revoking and withdrawing
//! (and every other decision that takes a comment) open a page of their own that shows the
//! service, what the action does and the status it leads to; submitting an application shows the
//! whole application first. A mistake (an empty reason) shows the same page again with what was
//! typed. Only actions valid for the service as it is now are offered; others answer 409.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use domain::FieldError;
use domain::registry::{ServiceId, Transition, next_status};

use super::provider::DetailView;
use crate::AppState;
use crate::error::WebError;
use crate::extract::{Ctx, T};
use crate::views::{FieldErrors, Nav, render};
use app::AppError;
use domain::workflow::Party;

/// An action that is confirmed on its own page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ask {
    /// A registration body's decision.
    Review(Transition),
    /// The program office's suspend, reinstate or revoke.
    Operate(Transition),
    /// The provider withdraws its own application or registration.
    Withdraw,
}

impl Ask {
    fn transition(self) -> Transition {
        match self {
            Ask::Review(t) | Ask::Operate(t) => t,
            Ask::Withdraw => Transition::Withdraw,
        }
    }

    fn post(self, id: i64) -> String {
        match self {
            Ask::Review(t) => format!("/review/{id}/{}", t.code().replace('_', "-")),
            Ask::Operate(t) => format!("/admin/services/{id}/{}", t.code()),
            Ask::Withdraw => format!("/my/services/{id}/withdraw"),
        }
    }

    fn party(self) -> Party {
        match self {
            Ask::Review(_) => Party::Reviewer,
            Ask::Operate(_) => Party::Operator,
            Ask::Withdraw => Party::OwnerAdmin,
        }
    }

    /// Title, what it does, the comment's label, the button, and whether it cannot be undone.
    fn texts(self, t: T) -> (&'static str, &'static str, &'static str, &'static str, bool) {
        use Transition::*;
        match self {
            Ask::Review(Approve) => (
                t.s("登録（承認）の確認", "Approve and list"),
                t.s("台帳番号が付与され、公開一覧に2年間掲載されます。事業者に通知されます。", "The service gets a ledger number and is listed publicly for two years; the provider is told."),
                t.s("登録（承認）コメント（任意）", "Approval comment (optional)"),
                t.s("登録する（台帳番号を付与）", "Approve and list"),
                false,
            ),
            Ask::Review(Return) => (
                t.s("差戻しの確認", "Return with comments"),
                t.s("申請は事業者に戻ります。事業者はコメントを見て修正し、もう一度申請できます。", "The application goes back to the provider, who can correct it using your comments and submit it again."),
                t.s("差戻しのコメント（必須：直してほしい点を具体的に）", "Comments (required: say what to correct)"),
                t.s("差し戻す", "Return with comments"),
                false,
            ),
            Ask::Review(Reject) => (
                t.s("却下の確認", "Reject the application"),
                t.s("申請を却下します。この申請は終了し、事業者が再び申請するには新しく申請し直す必要があります。理由は事業者に通知されます。元に戻せません。", "The application is rejected and closed; to try again the provider must start a new application. The reason is sent to the provider. This cannot be undone."),
                t.s("却下の理由（必須）", "Reasons for rejection (required)"),
                t.s("却下する", "Reject"),
                true,
            ),
            Ask::Review(ApproveChange) => (
                t.s("変更の承認の確認", "Approve the change"),
                t.s("変更後の内容が公開一覧の掲載内容になります。", "The proposed fields replace the public listing."),
                t.s("変更承認コメント（任意）", "Comment (optional)"),
                t.s("変更を承認する", "Approve the change"),
                false,
            ),
            Ask::Review(RejectChange) => (
                t.s("変更申請の却下の確認", "Reject the change"),
                t.s("変更申請を却下します。掲載内容は現在のまま変わりません。理由は事業者に通知されます。", "The change is rejected and the listing stays as it is. The reason is sent to the provider."),
                t.s("変更却下の理由（必須）", "Reason (required)"),
                t.s("変更を却下する", "Reject the change"),
                true,
            ),
            Ask::Review(ApproveRenewal) => (
                t.s("更新の承認の確認", "Approve the renewal"),
                t.s("有効期限が2年延長されます（空白期間はありません）。", "The validity is extended by two years, with no gap."),
                t.s("更新承認コメント（任意）", "Comment (optional)"),
                t.s("更新を承認する", "Approve the renewal"),
                false,
            ),
            Ask::Review(RejectRenewal) => (
                t.s("更新申請の却下の確認", "Reject the renewal"),
                t.s("更新申請を却下します。登録は現在の有効期限まで続き、その後は期限切れになります。理由は事業者に通知されます。", "The renewal is rejected: the registration lasts until its current end and then expires. The reason is sent to the provider."),
                t.s("更新却下の理由（必須）", "Reason (required)"),
                t.s("更新を却下する", "Reject the renewal"),
                true,
            ),
            Ask::Operate(Suspend) => (
                t.s("一時停止の確認", "Suspend the registration"),
                t.s("サービスは「一時停止」になり、公開一覧では現在の登録として表示されなくなります。事業者に通知され、停止解除まで続きます。", "The service is suspended: the public list no longer shows it as a current registration. The provider is told; it lasts until you reinstate it."),
                t.s("一時停止の理由（必須）", "Reason for suspension (required)"),
                t.s("一時停止する", "Suspend"),
                true,
            ),
            Ask::Operate(Reinstate) => (
                t.s("停止解除の確認", "Reinstate the registration"),
                t.s("停止を解除し、公開一覧に再び掲載します。事業者に通知されます。", "The suspension ends and the service is listed again; the provider is told."),
                t.s("停止解除の理由（任意）", "Reason (optional)"),
                t.s("停止を解除する", "Reinstate"),
                false,
            ),
            Ask::Operate(Withdraw) => (
                t.s("登録取消の確認", "Revoke the registration"),
                t.s("登録を取り消します。サービスは一覧から外れ、台帳には取消として残ります。事業者に通知されます。元に戻せません。", "The registration is revoked: the service leaves the list and the ledger records the revocation. The provider is told. This cannot be undone."),
                t.s("登録取消の理由（必須）", "Reason for revocation (required)"),
                t.s("登録を取り消す", "Revoke"),
                true,
            ),
            Ask::Withdraw => (
                t.s("取下げの確認", "Withdraw"),
                t.s("申請または登録を取り下げます。審査中なら審査は止まり、掲載中なら一覧から外れます。元に戻せません。", "The application or registration is withdrawn: a review in progress stops, and a listed service leaves the list. This cannot be undone."),
                t.s("取下げの理由（必須）", "Reason for withdrawal (required)"),
                t.s("取り下げる", "Withdraw"),
                true,
            ),
            Ask::Operate(_) | Ask::Review(_) => ("", "", "", "", false),
        }
    }
}

#[derive(Template)]
#[template(path = "confirm_action.html")]
struct ConfirmPage {
    nav: Nav,
    v: DetailView,
    effect: &'static str,
    after: &'static str,
    label: &'static str,
    button: &'static str,
    danger: bool,
    required: bool,
    post: String,
    comment: String,
    errors: FieldErrors,
}

/// The confirmation page, with what was typed and its mistakes when a post came back.
pub async fn confirm_page(
    ctx: &Ctx,
    s: &AppState,
    id: ServiceId,
    ask: Ask,
    comment: &str,
    errs: &[FieldError],
) -> Result<Response, WebError> {
    // signed in first: the login page, not a refusal, for someone who is not
    ctx.require()?;
    let detail = s.app.registry().service_detail(ctx.actor(), id).await.map_err(|e| ctx.err(e))?;
    let t = ctx.t;
    let status = detail.service.status;
    if !detail.may_take(ask.transition(), ask.party()).map_err(|e| ctx.err(e))? {
        return Err(ctx.err(AppError::conflict(
            "この操作は、このサービスの現在の状態では行えません。",
            "This action does not apply to the service as it is now.",
        )));
    }
    let v = DetailView::new(&detail, t);
    let (title, effect, label, button, danger) = ask.texts(t);
    let tr = ask.transition();
    let after = next_status(status, tr).map(|s| s.label(t.en)).unwrap_or("");
    let mut res = render(&ConfirmPage {
        nav: Nav::new(ctx, title, title, v.crumb.2),
        effect,
        after,
        label,
        button,
        danger,
        required: tr.needs_reason(),
        post: ask.post(id.0),
        comment: comment.to_string(),
        errors: FieldErrors::new(t, errs),
        v,
    });
    if !errs.is_empty() {
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(res)
}

pub async fn review_page(
    ctx: Ctx,
    State(s): State<AppState>,
    Path((id, d)): Path<(ServiceId, String)>,
) -> Result<Response, WebError> {
    let t = super::review::decision(&d).ok_or_else(|| ctx.err(AppError::NotFound))?;
    confirm_page(&ctx, &s, id, Ask::Review(t), "", &[]).await
}

pub async fn operate_page(
    ctx: Ctx,
    State(s): State<AppState>,
    Path((id, action)): Path<(ServiceId, String)>,
) -> Result<Response, WebError> {
    let t = super::admin::operation(&action).ok_or_else(|| ctx.err(AppError::NotFound))?;
    confirm_page(&ctx, &s, id, Ask::Operate(t), "", &[]).await
}

pub async fn withdraw_page(
    ctx: Ctx,
    State(s): State<AppState>,
    Path(id): Path<ServiceId>,
) -> Result<Response, WebError> {
    confirm_page(&ctx, &s, id, Ask::Withdraw, "", &[]).await
}

#[derive(Template)]
#[template(path = "submit_review.html")]
struct SubmitPage {
    nav: Nav,
    v: DetailView,
    unmet: usize,
}

/// The review step before an application is submitted: the whole application, its checklist and
/// evidence, and one button.
pub async fn submit_page(ctx: Ctx, State(s): State<AppState>, Path(id): Path<ServiceId>) -> Result<Response, WebError> {
    ctx.require()?;
    let detail = s.app.registry().service_detail(ctx.actor(), id).await.map_err(|e| ctx.err(e))?;
    let v = DetailView::new(&detail, ctx.t);
    if !detail.may_take(Transition::Submit, Party::Owner).map_err(|e| ctx.err(e))? {
        return Err(ctx.err(AppError::conflict(
            "このサービスは、現在の状態では申請できません。",
            "This application cannot be submitted as it is now.",
        )));
    }
    let unmet = v.checklist.iter().filter(|c| !c.2).count();
    Ok(render(&SubmitPage { nav: Nav::new(&ctx, "申請内容の確認", "Check and submit", v.crumb.2), v, unmet }))
}
