//! Severity levels, and scores computed from CVSS vectors (v2, v3.x, v4.0) with the polycvss crate.

/// Severity levels, ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Unknown,
    None,
    Low,
    Medium,
    High,
    Critical,
}

impl Level {
    pub fn from_score(s: f64) -> Level {
        match s {
            x if x <= 0.0 => Level::None,
            x if x < 4.0 => Level::Low,
            x if x < 7.0 => Level::Medium,
            x if x < 9.0 => Level::High,
            _ => Level::Critical,
        }
    }
    pub fn parse(s: &str) -> Option<Level> {
        Some(match s.to_ascii_lowercase().as_str() {
            "unknown" => Level::Unknown,
            "none" => Level::None,
            "low" => Level::Low,
            "medium" | "moderate" => Level::Medium,
            "high" | "important" => Level::High,
            "critical" => Level::Critical,
            _ => return None,
        })
    }
    pub fn name(self) -> &'static str {
        match self {
            Level::Unknown => "unknown",
            Level::None => "none",
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
            Level::Critical => "critical",
        }
    }
}

/// The score of a CVSS v2, v3.0, v3.1 or v4.0 vector (polycvss implements FIRST's formulas and
/// v4's macro-vector tables); None if it is not a valid vector.
pub fn base_score(vector: &str) -> Option<f64> {
    let v: polycvss::Vector = vector.trim().parse().ok()?;
    let s = polycvss::Score::from(v);
    s.to_string().parse::<f64>().ok()
}

/// The base score of a CVSS v3 vector (kept for callers that want v3 only).
pub fn v3_base_score(vector: &str) -> Option<f64> {
    if vector.starts_with("CVSS:3.") { base_score(vector) } else { None }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_scores() {
        assert_eq!(v3_base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"), Some(9.8));
        assert_eq!(v3_base_score("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"), Some(7.5));
        assert_eq!(v3_base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N"), Some(6.1));
        assert_eq!(v3_base_score("CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:N/I:N/A:N"), Some(0.0));
        assert_eq!(v3_base_score("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H"), Some(9.9));
        assert_eq!(v3_base_score("CVSS:3.1/AV:X"), None);
        assert_eq!(base_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:L/VA:L/SC:N/SI:N/SA:N"), Some(6.9));
        assert_eq!(base_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H"), Some(10.0));
        assert_eq!(v3_base_score("garbage"), None);
        assert_eq!(Level::from_score(9.8), Level::Critical);
        assert_eq!(Level::from_score(4.0), Level::Medium);
    }
}
