//! Small text helpers shared by every program.
//!
//! Every text a user types passes [`clean_text`] (multi-line fields) or [`clean_line`] (names,
//! titles, single-line fields) before it is checked or stored, so that a name cannot be spoofed
//! with characters that change how text around them is shown: bidirectional overrides and
//! isolates (U+202A–U+202E, U+2066–U+2069, LRM/RLM/ALM), zero-width characters (U+200B–U+200D,
//! U+2060, the BOM U+FEFF), Unicode tag characters (U+E0000–U+E007F) and control characters.

/// Whether `c` is dropped from user text: controls (other than newline and tab, which the
/// callers handle), bidirectional formatting, zero-width and tag characters.
pub fn is_hidden(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c,
            '\u{200B}'..='\u{200F}'   // zero-width space/joiners, LRM, RLM
            | '\u{202A}'..='\u{202E}' // embeddings and overrides
            | '\u{2060}'..='\u{2064}' // word joiner, invisible operators
            | '\u{2066}'..='\u{2069}' // isolates
            | '\u{061C}'              // Arabic letter mark
            | '\u{FEFF}'              // BOM / zero-width no-break space
            | '\u{E0000}'..='\u{E007F}' // tag characters
        )
}

/// A multi-line text: trimmed, hidden characters dropped, CR LF and CR made LF.
pub fn clean_text(s: &str) -> String {
    let s = s.replace("\r\n", "\n").replace('\r', "\n");
    s.chars().filter(|c| !is_hidden(*c)).collect::<String>().trim().to_string()
}

/// A single-line text: as [`clean_text`], and newlines and tabs become spaces.
pub fn clean_line(s: &str) -> String {
    clean_text(s).chars().map(|c| if c == '\n' || c == '\t' { ' ' } else { c }).collect()
}

/// Character count (not bytes): limits are stated to users in characters.
/// Full-width letters, digits and punctuation (as Japanese input methods type them) folded to
/// their ASCII forms (NFKC): "２０２７－０３－３１" reads as "2027-03-31".
pub fn normalize_width(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    s.nfkc().collect()
}

pub fn char_len(s: &str) -> usize {
    s.chars().count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn spoofing_characters_are_dropped() {
        // "Trusted" + RIGHT-TO-LEFT OVERRIDE + "lanigiro" would be shown as "Trustedoriginal"
        assert_eq!(clean_line("Trusted\u{202E}lanigiro"), "Trustedlanigiro");
        assert_eq!(clean_line("ab\u{200B}c\u{FEFF}d\u{2066}e\u{2069}"), "abcde");
        assert_eq!(clean_line("tag\u{E0041}\u{E007F}s"), "tags");
        assert_eq!(clean_line("  line\none\ttab\u{0007} "), "line one tab");
        assert_eq!(clean_text("a\r\nb\rc\n"), "a\nb\nc");
        assert_eq!(clean_line("株式会社　架け橋"), "株式会社　架け橋", "full-width space is text");
    }

    proptest! {
        #[test]
        fn cleaned_text_has_no_hidden_characters(s in "\\PC*|[\u{0}-\u{3000}\u{200B}-\u{206F}\u{FEFF}\u{E0000}-\u{E007F}]*") {
            let line = clean_line(&s);
            prop_assert!(!line.chars().any(|c| is_hidden(c) || c == '\n' || c == '\t'));
            let text = clean_text(&s);
            prop_assert!(!text.chars().any(|c| is_hidden(c) || c == '\r'));
            // idempotent, and never longer
            prop_assert_eq!(clean_line(&line), line.clone());
            prop_assert_eq!(clean_text(&text), text.clone());
            prop_assert!(line.chars().count() <= s.chars().count());
        }
    }
}
