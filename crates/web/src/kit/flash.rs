//! Flash messages after a form post: redirect with `done=CODE`, then the message for the code.

use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

/// The `done=` query parameter.
#[derive(Deserialize, Default)]
pub struct DoneParam {
    #[serde(default)]
    pub done: String,
}

/// After a successful form post: back to a page, with a flash message in the query.
pub fn see_other(path: &str, done: &str) -> Response {
    let sep = if path.contains('?') { '&' } else { '?' };
    Redirect::to(&format!("{path}{sep}done={done}")).into_response()
}

/// The confirmation message for a `done=` code.
pub fn done_message(t: crate::extract::T, code: &str) -> Option<&'static str> {
    Some(match code {
        "created" => t.s(
            "申請を下書きとして保存しました。根拠資料を添付して申請してください。",
            "The application was saved as a draft. Attach evidence and submit it.",
        ),
        "saved" => t.s("保存しました。", "Saved."),
        "submitted" => t.s("申請しました。審査登録機関の審査をお待ちください。", "Submitted for review."),
        "uploaded" => t.s("資料を添付しました。", "The file was attached."),
        "change" => t.s(
            "変更申請を受け付けました。承認されるまで現在の掲載内容が表示されます。",
            "Change request received; the current listing stays until it is approved.",
        ),
        "withdrawn" => t.s("取り下げました。", "Withdrawn."),
        "renewal" => t.s(
            "更新を申請しました。審査の間も掲載は続きます。",
            "Renewal requested; the listing stays while it is reviewed.",
        ),
        "decided" => t.s("審査結果を登録しました。", "The decision was recorded."),
        "operated" => t.s("処理しました。", "Done."),
        "surveillance" => t.s("サーベイランスを記録しました。", "Surveillance recorded."),
        "token" => t.s("トークンを失効させました。", "The token was revoked."),
        "swept" => t.s("期限管理を実行しました。", "Reminders and expiry were processed."),
        _ => return None,
    })
}
