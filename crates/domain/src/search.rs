//! Search normalisation that works for Japanese and English partial words.
//!
//! Japanese text has no spaces between words, so the search never tokenises on white space:
//! text is normalised (NFKC folds full-width Latin and half-width kana, then lower case) and
//! matched as substrings, with character bigrams as the index key.

use unicode_normalization::UnicodeNormalization;

/// NFKC + lower case + white space folded to single spaces.
pub fn normalize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.nfkc().flat_map(char::to_lowercase) {
        // invisible characters neither match nor separate words
        if crate::text::is_hidden(c) && c != '\n' && c != '\t' {
            continue;
        }
        if c.is_whitespace() {
            space = true;
            continue;
        }
        if space && !out.is_empty() {
            out.push(' ');
        }
        space = false;
        out.push(c);
    }
    out
}

/// Index keys of a normalised text: every pair of adjacent characters, packed into a u64
/// (two 21-bit code points). One-character queries (「鍵」) are answered by a scan instead.
pub fn keys(normalized: &str) -> impl Iterator<Item = u64> + '_ {
    let mut prev: Option<char> = None;
    normalized.chars().filter_map(move |c| {
        let pair = prev.map(|p| pack(p, c));
        prev = Some(c);
        pair
    })
}

/// The keys a query term must all match: its bigrams (empty for a one-character term).
pub fn query_keys(normalized_query: &str) -> Vec<u64> {
    let chars: Vec<char> = normalized_query.chars().filter(|c| *c != ' ').collect();
    let mut v: Vec<u64> = chars.windows(2).map(|w| pack(w[0], w[1])).collect();
    v.sort_unstable();
    v.dedup();
    v
}

fn pack(a: char, b: char) -> u64 {
    ((a as u64) << 21) | b as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_width_and_case() {
        assert_eq!(normalize("ＡＢＣ　ｾｷｭﾘﾃｨ  Web"), "abc セキュリティ web");
    }

    #[test]
    fn query_keys_are_bigrams_or_single_char() {
        assert_eq!(query_keys("鍵").len(), 0);
        assert_eq!(query_keys("診断").len(), 1);
        assert_eq!(query_keys("脆弱性診断").len(), 4);
        let text_keys: Vec<u64> = keys(&normalize("Webアプリケーション脆弱性診断")).collect();
        for k in query_keys(&normalize("脆弱性")) {
            assert!(text_keys.contains(&k));
        }
    }
}
