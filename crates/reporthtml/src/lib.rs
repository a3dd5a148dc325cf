//! What the engines' self-contained HTML reports (the capture analyser's, the firmware engine's)
//! share: escaping, the page frame (no scripts, inline styles, the Digital Agency's blue for
//! headings), and tables cut at [`MAX_ROWS`] rows with a note pointing to the JSON output.

use std::fmt::Write;

/// Rows a report table shows; the JSON output has them all.
pub const MAX_ROWS: usize = 2_000;

/// Escapes text for HTML content and attribute values.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

/// Starts a report page: `title` (already bilingual, e.g. `通信解析レポート / Capture report`) as
/// the document title, the shared styles and `css` added to them, and `<main>` opened.
pub fn page_start(out: &mut String, title: &str, css: &str) {
    let _ = write!(
        out,
        "<!DOCTYPE html><html lang=\"ja\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} — Kakehashi</title><style>\
         body{{font-family:\"Noto Sans JP\",sans-serif;margin:2rem;color:#1a1a1a;line-height:1.6}}\
         table{{border-collapse:collapse;margin-bottom:1rem}}\
         th,td{{border:1px solid #949494;padding:.3rem .6rem;text-align:left;font-size:.9rem;vertical-align:top}}\
         th{{background:#f2f2f2}}h1{{font-size:1.6rem}}h2{{border-left:6px solid #0017c1;padding-left:.5rem;margin-top:2rem}}\
         .scroll{{overflow-x:auto}}dl{{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}}dt{{font-weight:bold}}\
         {css}</style></head><body><main>",
        esc(title)
    );
}

/// Ends the page.
pub fn page_end(out: &mut String) {
    out.push_str("</main></body></html>");
}

/// A titled section with a table of `rows` under `head` (cells escaped here), or "None".
pub fn table(out: &mut String, id: &str, title: &str, head: &[&str], rows: impl ExactSizeIterator<Item = Vec<String>>) {
    let total = rows.len();
    let _ = write!(out, "<section aria-labelledby=\"{id}\"><h2 id=\"{id}\">{} ({total})</h2>", esc(title));
    if total == 0 {
        out.push_str("<p>なし / None.</p></section>");
        return;
    }
    let _ =
        write!(out, "<div class=\"scroll\" tabindex=\"0\" role=\"region\" aria-labelledby=\"{id}\"><table><thead><tr>");
    for h in head {
        let _ = write!(out, "<th scope=\"col\">{}</th>", esc(h));
    }
    out.push_str("</tr></thead><tbody>");
    for r in rows.take(MAX_ROWS) {
        out.push_str("<tr>");
        for c in r {
            let _ = write!(out, "<td>{}</td>", esc(&c));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table></div>");
    if total > MAX_ROWS {
        let _ = write!(
            out,
            "<p>最初の {MAX_ROWS} 行のみ表示（全 {total} 行は JSON 出力にあります） / First {MAX_ROWS} rows shown; the JSON output has all {total}.</p>"
        );
    }
    out.push_str("</section>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_bounds() {
        assert_eq!(esc("<a href='x'>&\"</a>"), "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;");
        let mut out = String::new();
        table(&mut out, "t", "表 / Table", &["a"], (0..MAX_ROWS + 5).map(|i| vec![format!("<{i}>")]));
        assert_eq!(out.matches("<tr>").count(), MAX_ROWS + 1, "the head and MAX_ROWS rows");
        assert!(out.contains("&lt;0&gt;") && out.contains("First 2000 rows shown"));
        let mut empty = String::new();
        table(&mut empty, "e", "空", &["a"], std::iter::empty::<Vec<String>>());
        assert!(empty.contains("None."));
        let mut page = String::new();
        page_start(&mut page, "<x>", ".y{}");
        page_end(&mut page);
        assert!(
            page.contains("<title>&lt;x&gt; — Kakehashi</title>") && page.contains(".y{}") && page.ends_with("</html>")
        );
    }
}
