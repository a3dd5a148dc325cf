//! Which devices to verify first (deck: 検証対象の優先順位): the four attributes of an IoT device
//! or control system, the program office's weights, and a score explained part by part. Open
//! critical and high findings are a fifth signal.

use serde::{Deserialize, Serialize};

/// The four attributes, each 0 (low) to 3 (high).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriorityAttrs {
    /// Volume and sensitivity of the data it handles.
    #[serde(default)]
    pub data: u8,
    /// Impact on the physical world (safety, property).
    #[serde(default)]
    pub physical: u8,
    /// How connected it is (internet-facing, wireless, number deployed).
    #[serde(default)]
    pub connectivity: u8,
    /// The vendor's security investment (more investment: lower priority).
    #[serde(default)]
    pub investment: u8,
}

impl PriorityAttrs {
    /// Each value clamped to 0–3.
    pub fn clamped(self) -> PriorityAttrs {
        PriorityAttrs {
            data: self.data.min(3),
            physical: self.physical.min(3),
            connectivity: self.connectivity.min(3),
            investment: self.investment.min(3),
        }
    }
}

/// The program office's weights (0–10 each).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriorityWeights {
    pub data: u8,
    pub physical: u8,
    pub connectivity: u8,
    pub investment: u8,
    pub findings: u8,
}

impl Default for PriorityWeights {
    fn default() -> Self {
        PriorityWeights { data: 3, physical: 4, connectivity: 3, investment: 2, findings: 3 }
    }
}

impl PriorityWeights {
    pub fn clamped(self) -> PriorityWeights {
        PriorityWeights {
            data: self.data.min(10),
            physical: self.physical.min(10),
            connectivity: self.connectivity.min(10),
            investment: self.investment.min(10),
            findings: self.findings.min(10),
        }
    }
}

/// One part of a score: which signal, its level (0–3), its weight, the points it gave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScorePart {
    pub code: &'static str,
    pub label_ja: &'static str,
    pub label_en: &'static str,
    pub level: u8,
    pub weight: u8,
    pub points: u32,
}

/// The score (sum of level × weight) and its parts, largest first. The findings signal's level
/// is 3 with any open critical finding, 2 with three or more open high ones, 1 with one or two.
pub fn score(a: PriorityAttrs, w: PriorityWeights, open_critical: i64, open_high: i64) -> (u32, Vec<ScorePart>) {
    let a = a.clamped();
    let w = w.clamped();
    let findings = if open_critical > 0 {
        3
    } else if open_high >= 3 {
        2
    } else if open_high > 0 {
        1
    } else {
        0
    };
    let mut parts = vec![
        ScorePart {
            code: "data",
            label_ja: "データの量・機微性",
            label_en: "Data volume and sensitivity",
            level: a.data,
            weight: w.data,
            points: 0,
        },
        ScorePart {
            code: "physical",
            label_ja: "物理世界への影響",
            label_en: "Physical-world impact",
            level: a.physical,
            weight: w.physical,
            points: 0,
        },
        ScorePart {
            code: "connectivity",
            label_ja: "つながりの度合い",
            label_en: "Connectivity",
            level: a.connectivity,
            weight: w.connectivity,
            points: 0,
        },
        // less security investment, more reason to verify
        ScorePart {
            code: "investment",
            label_ja: "セキュリティ投資の少なさ",
            label_en: "Low security investment",
            level: 3 - a.investment,
            weight: w.investment,
            points: 0,
        },
        ScorePart {
            code: "findings",
            label_ja: "未対応の重大な脆弱性",
            label_en: "Open critical or high findings",
            level: findings,
            weight: w.findings,
            points: 0,
        },
    ];
    for p in &mut parts {
        p.points = u32::from(p.level) * u32::from(p.weight);
    }
    let total = parts.iter().map(|p| p.points).sum();
    parts.sort_by_key(|p| std::cmp::Reverse(p.points));
    (total, parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_part_is_explained_and_findings_raise_the_rank() {
        let lock = PriorityAttrs { data: 2, physical: 3, connectivity: 2, investment: 1 };
        let w = PriorityWeights::default();
        let (base, parts) = score(lock, w, 0, 0);
        // data 2×3 + physical 3×4 + connectivity 2×3 + (3-1)×2 + findings 0 = 6 + 12 + 6 + 4 = 28
        assert_eq!(base, 28);
        assert_eq!(parts[0].code, "physical", "the largest part first");
        assert_eq!(parts.iter().map(|p| p.points).sum::<u32>(), base);
        let (with_critical, _) = score(lock, w, 1, 0);
        assert_eq!(with_critical, base + 9, "an open critical finding adds 3 × 3");
        assert_eq!(score(lock, w, 0, 3).0, base + 6);
        // the office's weights decide: with physical impact weighted 0 it counts for nothing
        let w0 = PriorityWeights { physical: 0, ..w };
        assert_eq!(score(lock, w0, 0, 0).0, base - 12);
        // out-of-range input is clamped, never overflows
        let wild = PriorityAttrs { data: 200, physical: 9, connectivity: 9, investment: 9 };
        let big = PriorityWeights { data: 255, physical: 255, connectivity: 255, investment: 255, findings: 255 };
        // (high investment: that part gives nothing) data + physical + connectivity + findings
        assert_eq!(score(wild, big, 5, 5).0, 3 * 10 * 3 + 3 * 10);
    }
}
