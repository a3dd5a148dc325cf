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
        // what each decision and operation did, in words (older links say decided/operated)
        "approve" => {
            t.s("登録しました。台帳番号を付与し、一覧に掲載しました。", "Approved: listed with a ledger number.")
        }
        "return" => t.s(
            "差し戻しました。コメントは事業者に通知されます。",
            "Returned to the provider; your comments are sent to them.",
        ),
        "reject" => t.s("申請を却下しました。", "The application was rejected."),
        "approve_change" => {
            t.s("変更を承認しました。掲載内容を更新しました。", "Change approved; the listing is updated.")
        }
        "reject_change" => {
            t.s("変更申請を却下しました。掲載内容は変わりません。", "Change rejected; the listing is unchanged.")
        }
        "approve_renewal" => {
            t.s("更新を承認しました。有効期限を延長しました。", "Renewal approved; the validity is extended.")
        }
        "reject_renewal" => t.s("更新申請を却下しました。", "Renewal rejected."),
        "suspend" => t.s(
            "一時停止しました。現在の登録としては表示されません。",
            "Suspended: no longer shown as a current registration.",
        ),
        "reinstate" => t.s("停止を解除し、掲載を再開しました。", "Reinstated: listed again."),
        "revoked" => t.s("登録を取り消しました。", "The registration was withdrawn."),
        "operated" => t.s("処理しました。", "Done."),
        "surveillance" => t.s("サーベイランスを記録しました。", "Surveillance recorded."),
        "token" => t.s("トークンを失効させました。", "The token was revoked."),
        "product" => t.s(
            "製品を登録しました。バージョンごとに SBOM をアップロードすると、脆弱性を自動で照合します。",
            "The product was registered. Upload an SBOM per version and it is checked for known vulnerabilities.",
        ),
        "sbom" => t.s(
            "SBOM を受け付けました。スキャンの結果はこのページに表示されます。",
            "SBOM received; the scan's results appear on this page.",
        ),
        "triaged" => t.s("対応状況を記録しました。", "The triage decision was recorded."),
        "case_step" => {
            t.s("検証案件を更新しました。相手方に通知されます。", "The case was updated; the other side is told.")
        }
        "case_requested" => t.s(
            "検証を依頼しました。検証機関が計画を確定すると通知されます。",
            "Verification requested; you are told when the body accepts it with a plan.",
        ),
        "finding_added" => t.s("検出事項を記録しました。", "The finding was recorded."),
        "evidence" => t.s(
            "証拠を受け付けました。SBOM と通信キャプチャはエンジンが解析し、結果がこのページに表示されます。",
            "Evidence received. SBOMs and captures are analysed by the engines; the results appear on this page.",
        ),
        "body_applied" => t.s(
            "申請しました。制度事務局の審査結果は、このページと通知でお知らせします。",
            "Applied. The program office's decision appears on this page and in your notifications.",
        ),
        "body_decided" => {
            t.s("検証機関の審査結果を記録し、機関に通知しました。", "The decision was recorded and the body told.")
        }
        "observation" => t.s("観察記録を追加しました。", "The observation was logged."),
        "consented" => t.s(
            "実績の公開に同意しました。製造業者が公開すると、試行の実績が公開されます。",
            "Consent recorded. The track record is published when the vendor publishes it.",
        ),
        "responded" => t.s("返信を投稿しました。相手方に通知されます。", "Reply posted; the other side is told."),
        "evidence_retry" => t.s("解析をやり直します。", "The analysis runs again."),
        "swept" => t.s("期限管理を実行しました。", "Reminders and expiry were processed."),
        _ => return None,
    })
}
