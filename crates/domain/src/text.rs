//! Small text helpers shared by every program.

/// Trims and rejects control characters other than newline and tab.
pub fn clean_text(s: &str) -> String {
    s.trim().chars().filter(|c| !c.is_control() || *c == '\n' || *c == '\t').collect()
}

/// Character count (not bytes): limits are stated to users in characters.
pub fn char_len(s: &str) -> usize {
    s.chars().count()
}
