//! Expert reviews of products (専門家レビュー): candid, not always positive, rated on three
//! AV-TEST-like axes (protection, performance, usability, 0–6 each). The vendor may reply once; a
//! dispute goes to the program office, which may hide a review with a public reason.

use serde::{Deserialize, Serialize};

use crate::FieldError;
use crate::text::{char_len, clean_line, clean_text};

pub const TITLE_MAX: usize = 120;
pub const TEXT_MAX: usize = 4000;
pub const SCORE_MAX: i64 = 6;

/// The axes, as (code, Japanese, English).
pub const AXES: [(&str, &str, &str); 3] = [
    ("protection", "防御性能", "Protection"),
    ("performance", "動作の軽さ", "Performance"),
    ("usability", "使いやすさ", "Usability"),
];

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct ReviewInput {
    #[serde(default)]
    pub title: String,
    /// The version reviewed (optional).
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub strengths: String,
    #[serde(default)]
    pub weaknesses: String,
    /// 0–6 each (as typed, so that a form can keep a bad value).
    #[serde(default)]
    pub protection: String,
    #[serde(default)]
    pub performance: String,
    #[serde(default)]
    pub usability: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Review {
    pub title: String,
    pub version: String,
    pub strengths: String,
    pub weaknesses: String,
    pub protection: i64,
    pub performance: i64,
    pub usability: i64,
}

impl Review {
    pub fn parse(i: &ReviewInput) -> Result<Review, Vec<FieldError>> {
        let mut errs = Vec::new();
        let title = clean_line(&i.title);
        if title.is_empty() {
            errs.push(FieldError::new("title", "見出しを入力してください", "Give a title"));
        } else if char_len(&title) > TITLE_MAX {
            errs.push(FieldError::new(
                "title",
                format!("見出しは{TITLE_MAX}文字以内です"),
                format!("The title is at most {TITLE_MAX} characters"),
            ));
        }
        let version = clean_line(&i.version);
        if char_len(&version) > 64 {
            errs.push(FieldError::new("version", "バージョンは64文字以内です", "The version is at most 64 characters"));
        }
        let strengths = clean_text(&i.strengths);
        let weaknesses = clean_text(&i.weaknesses);
        for (field, text) in [("strengths", &strengths), ("weaknesses", &weaknesses)] {
            if char_len(text) > TEXT_MAX {
                errs.push(FieldError::new(
                    field,
                    format!("{TEXT_MAX}文字以内で入力してください"),
                    format!("At most {TEXT_MAX} characters"),
                ));
            }
        }
        if strengths.is_empty() && weaknesses.is_empty() {
            errs.push(FieldError::new(
                "strengths",
                "長所か短所の少なくとも一方を書いてください",
                "Write the strengths or the weaknesses (or both)",
            ));
        }
        let mut score = |field: &'static str, v: &str| -> i64 {
            match crate::text::normalize_width(v.trim()).parse::<i64>() {
                Ok(n) if (0..=SCORE_MAX).contains(&n) => n,
                _ => {
                    errs.push(FieldError::new(
                        field,
                        "評価は 0 から 6 の整数で入力してください",
                        "Scores are whole numbers from 0 to 6",
                    ));
                    0
                }
            }
        };
        let protection = score("protection", &i.protection);
        let performance = score("performance", &i.performance);
        let usability = score("usability", &i.usability);
        if errs.is_empty() {
            Ok(Review { title, version, strengths, weaknesses, protection, performance, usability })
        } else {
            Err(errs)
        }
    }

    pub fn total(&self) -> i64 {
        self.protection + self.performance + self.usability
    }
}

/// AV-TEST's certificate rule applied to the three scores: at least 10 in total and at least 1
/// on each axis.
pub fn meets_certificate_rule(protection: i64, performance: i64, usability: i64) -> bool {
    protection + performance + usability >= 10 && protection >= 1 && performance >= 1 && usability >= 1
}

/// A vendor's reply or a dispute reason: some text, at most [`TEXT_MAX`] characters.
pub fn parse_text(field: &'static str, text: &str) -> Result<String, FieldError> {
    let t = clean_text(text);
    if t.is_empty() {
        return Err(FieldError::new(field, "本文を入力してください", "Write something"));
    }
    if char_len(&t) > TEXT_MAX {
        return Err(FieldError::new(
            field,
            format!("{TEXT_MAX}文字以内で入力してください"),
            format!("At most {TEXT_MAX} characters"),
        ));
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> ReviewInput {
        ReviewInput {
            title: "検知は強いが重い".into(),
            strengths: "既知マルウェアの検知率が高い".into(),
            protection: "6".into(),
            performance: "２".into(),
            usability: "4".into(),
            ..Default::default()
        }
    }

    #[test]
    fn parses_scores_and_text() {
        let r = Review::parse(&input()).unwrap();
        assert_eq!((r.protection, r.performance, r.usability, r.total()), (6, 2, 4, 12));
        assert!(meets_certificate_rule(6, 2, 4));
        assert!(!meets_certificate_rule(6, 0, 6), "at least 1 on each axis");
        assert!(!meets_certificate_rule(3, 3, 3), "at least 10 in total");
    }

    #[test]
    fn refuses_bad_input_naming_each_field() {
        let mut i = input();
        i.protection = "7".into();
        i.usability = "-1".into();
        i.performance = "x".into();
        i.title = String::new();
        i.strengths = String::new();
        let fields: Vec<&str> = Review::parse(&i).unwrap_err().iter().map(|e| e.field).collect();
        assert_eq!(fields, vec!["title", "strengths", "protection", "performance", "usability"]);
        assert!(parse_text("reply", "  ").is_err());
        assert!(parse_text("reply", &"あ".repeat(TEXT_MAX + 1)).is_err());
    }
}
