//! A service application: raw input, validation into a value that cannot be invalid, and the
//! requirement checklist a registration body reviews against.

use serde::{Deserialize, Serialize};

use super::{Category, CodeList, INDUSTRIES, REGIONS, SubCategory};
use crate::text::{char_len, clean_line, clean_text};
use crate::{FieldError, OrgId};

pub const NAME_MAX: usize = 120;
pub const LONG_TEXT_MAX: usize = 4000;
pub const SHORT_TEXT_MAX: usize = 200;
pub const MAX_EXPERTS: usize = 20;

/// A qualified expert as entered (資格保有者).
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
pub struct ExpertInput {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub qualification: String,
    /// Expiry of the qualification, `YYYY-MM-DD`; empty when it does not expire.
    #[serde(default)]
    pub expires_on: String,
}

/// What a provider enters for one service, before validation (from a form or JSON).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct ApplicationInput {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub subcategory: String,
    #[serde(default)]
    pub pentest_option: bool,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub specification: String,
    #[serde(default)]
    pub experts: Vec<ExpertInput>,
    #[serde(default)]
    pub quality_manager: String,
    #[serde(default)]
    pub quality_manual_ref: String,
    #[serde(default)]
    pub improvement_procedure: String,
    #[serde(default)]
    pub industries: Vec<String>,
    #[serde(default)]
    pub regions: Vec<String>,
    #[serde(default)]
    pub options: String,
    #[serde(default)]
    pub price_min: Option<i64>,
    #[serde(default)]
    pub price_max: Option<i64>,
    #[serde(default)]
    pub registration_body_id: Option<i64>,
}

/// A qualified expert, validated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expert {
    pub name: String,
    pub qualification: String,
    /// `YYYY-MM-DD` or None.
    pub expires_on: Option<String>,
}

/// A validated application: every field holds a value the registry accepts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceApplication {
    pub name: String,
    pub category: Category,
    pub subcategory: Option<SubCategory>,
    pub pentest_option: bool,
    pub description: String,
    pub specification: String,
    pub experts: Vec<Expert>,
    pub quality_manager: String,
    pub quality_manual_ref: String,
    pub improvement_procedure: String,
    pub industries: Vec<String>,
    pub regions: Vec<String>,
    pub options: String,
    pub price_min: Option<i64>,
    pub price_max: Option<i64>,
    pub registration_body: OrgId,
}

/// Why an application was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApplicationError {
    /// The category code names no category (the API answers 422).
    UnknownCategory(String),
    /// Per-field problems.
    Fields(Vec<FieldError>),
}

impl ServiceApplication {
    pub fn parse(input: &ApplicationInput) -> Result<Self, ApplicationError> {
        let mut errs = Vec::new();
        let category_code = input.category.trim();
        let category = if category_code.is_empty() {
            errs.push(FieldError::new("category", "区分を選択してください", "Choose a category"));
            None
        } else {
            match Category::parse(category_code) {
                Some(c) => Some(c),
                None => return Err(ApplicationError::UnknownCategory(category_code.to_string())),
            }
        };
        let name = required(&mut errs, "name", &input.name, NAME_MAX, "サービス名", "Service name");
        let description =
            required(&mut errs, "description", &input.description, LONG_TEXT_MAX, "サービス概要", "Description");
        let specification = required(
            &mut errs,
            "specification",
            &input.specification,
            LONG_TEXT_MAX,
            "サービス仕様",
            "Service specification",
        );
        let quality_manager = required(
            &mut errs,
            "quality_manager",
            &input.quality_manager,
            SHORT_TEXT_MAX,
            "品質管理責任者",
            "Quality manager",
        );
        let quality_manual_ref = required(
            &mut errs,
            "quality_manual_ref",
            &input.quality_manual_ref,
            SHORT_TEXT_MAX,
            "品質マニュアル",
            "Quality manual reference",
        );
        let improvement_procedure = required(
            &mut errs,
            "improvement_procedure",
            &input.improvement_procedure,
            LONG_TEXT_MAX,
            "改善手順",
            "Improvement procedure",
        );
        let options = clean_text(&input.options);
        if char_len(&options) > LONG_TEXT_MAX {
            errs.push(too_long("options", LONG_TEXT_MAX));
        }

        let subcategory = match (input.subcategory.trim(), category) {
            ("", Some(c)) if !c.subcategories().is_empty() => {
                errs.push(FieldError::new("subcategory", "細分を選択してください", "Choose a sub-category"));
                None
            }
            ("", _) => None,
            (code, c) => match SubCategory::parse(code) {
                Some(s) if c.is_none_or(|c| s.category() == c) => Some(s),
                _ => {
                    errs.push(FieldError::new(
                        "subcategory",
                        "この区分では選べない細分です",
                        "This sub-category does not belong to the chosen category",
                    ));
                    None
                }
            },
        };
        if input.pentest_option && category.is_some_and(|c| !c.allows_pentest_option()) {
            errs.push(FieldError::new(
                "pentest_option",
                "ペネトレーションテストのオプションは脆弱性診断でのみ選べます",
                "Penetration testing is an option of vulnerability assessment only",
            ));
        }

        let mut experts = Vec::new();
        for e in &input.experts {
            let (n, q, x) = (clean_line(&e.name), clean_line(&e.qualification), e.expires_on.trim());
            if n.is_empty() && q.is_empty() && x.is_empty() {
                continue;
            }
            if n.is_empty() || q.is_empty() || char_len(&n) > SHORT_TEXT_MAX || char_len(&q) > SHORT_TEXT_MAX {
                errs.push(FieldError::new(
                    "experts",
                    "専門家ごとに氏名と資格を入力してください（各200文字以内）",
                    "Give each expert's name and qualification (200 characters at most each)",
                ));
                continue;
            }
            let expires_on = if x.is_empty() {
                None
            } else if parse_date(x).is_some() {
                Some(x.to_string())
            } else {
                errs.push(FieldError::new(
                    "experts",
                    "資格の有効期限は YYYY-MM-DD の形式で入力してください",
                    "Give the qualification expiry as YYYY-MM-DD",
                ));
                None
            };
            experts.push(Expert { name: n, qualification: q, expires_on });
        }
        if experts.is_empty() && !errs.iter().any(|e| e.field == "experts") {
            errs.push(FieldError::new(
                "experts",
                "資格を持つ専門家を1名以上入力してください",
                "Name at least one qualified expert",
            ));
        }
        if experts.len() > MAX_EXPERTS {
            errs.push(FieldError::new("experts", "専門家は20名までです", "At most 20 experts"));
        }

        let industries = codes(&mut errs, "industries", &input.industries, INDUSTRIES);
        let regions = codes(&mut errs, "regions", &input.regions, REGIONS);

        for (field, v) in [("price_min", input.price_min), ("price_max", input.price_max)] {
            if v.is_some_and(|v| !(0..=10_000_000_000).contains(&v)) {
                errs.push(FieldError::new(
                    field,
                    "価格は0円以上100億円以下で入力してください",
                    "Prices range from 0 to 10 billion yen",
                ));
            }
        }
        if let (Some(a), Some(b)) = (input.price_min, input.price_max)
            && a > b
        {
            errs.push(FieldError::new(
                "price_max",
                "上限価格は下限価格以上にしてください",
                "The upper price must not be below the lower price",
            ));
        }
        let registration_body = match input.registration_body_id {
            Some(id) if id > 0 => Some(OrgId(id)),
            _ => {
                errs.push(FieldError::new(
                    "registration_body_id",
                    "審査登録機関を選択してください",
                    "Choose a registration body",
                ));
                None
            }
        };

        match (errs.is_empty(), category, registration_body) {
            (true, Some(category), Some(registration_body)) => Ok(ServiceApplication {
                name,
                category,
                subcategory,
                pentest_option: input.pentest_option,
                description,
                specification,
                experts,
                quality_manager,
                quality_manual_ref,
                improvement_procedure,
                industries,
                regions,
                options,
                price_min: input.price_min,
                price_max: input.price_max,
                registration_body,
            }),
            _ => Err(ApplicationError::Fields(errs)),
        }
    }

    /// Back to an input (to pre-fill an edit form).
    pub fn to_input(&self) -> ApplicationInput {
        ApplicationInput {
            name: self.name.clone(),
            category: self.category.code().into(),
            subcategory: self.subcategory.map(|s| s.code().to_string()).unwrap_or_default(),
            pentest_option: self.pentest_option,
            description: self.description.clone(),
            specification: self.specification.clone(),
            experts: self
                .experts
                .iter()
                .map(|e| ExpertInput {
                    name: e.name.clone(),
                    qualification: e.qualification.clone(),
                    expires_on: e.expires_on.clone().unwrap_or_default(),
                })
                .collect(),
            quality_manager: self.quality_manager.clone(),
            quality_manual_ref: self.quality_manual_ref.clone(),
            improvement_procedure: self.improvement_procedure.clone(),
            industries: self.industries.clone(),
            regions: self.regions.clone(),
            options: self.options.clone(),
            price_min: self.price_min,
            price_max: self.price_max,
            registration_body_id: Some(self.registration_body.0),
        }
    }

    /// The text the public search looks in.
    pub fn search_text(&self, provider_name: &str) -> String {
        let mut s = String::new();
        for part in [
            self.name.as_str(),
            provider_name,
            self.category.label(false),
            self.category.label(true),
            self.subcategory.map(|s| s.label(false)).unwrap_or(""),
            self.subcategory.map(|s| s.label(true)).unwrap_or(""),
            &self.description,
        ] {
            s.push_str(part);
            s.push(' ');
        }
        crate::search::normalize(&s)
    }
}

fn required(errs: &mut Vec<FieldError>, field: &'static str, v: &str, max: usize, ja: &str, en: &str) -> String {
    // short fields (names, titles) are single lines; long ones keep their line breaks
    let v = if max <= SHORT_TEXT_MAX { clean_line(v) } else { clean_text(v) };
    if v.is_empty() {
        errs.push(FieldError::new(field, format!("{ja}を入力してください"), format!("{en} is required")));
    } else if char_len(&v) > max {
        errs.push(too_long(field, max));
    }
    v
}

fn too_long(field: &'static str, max: usize) -> FieldError {
    FieldError::new(field, format!("{max}文字以内で入力してください"), format!("At most {max} characters"))
}

fn codes(errs: &mut Vec<FieldError>, field: &'static str, input: &[String], list: CodeList) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in input.iter().map(|c| c.trim()).filter(|c| !c.is_empty()) {
        if list.iter().any(|(code, _, _)| *code == c) {
            if !out.iter().any(|o| o == c) {
                out.push(c.to_string());
            }
        } else {
            errs.push(FieldError::new(field, "選択肢にない値です", "Not one of the offered choices"));
            return out;
        }
    }
    out
}

/// Parses `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Option<time::Date> {
    time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).ok()
}

/// One line of the requirement checklist (審査基準).
#[derive(Debug, Clone, Serialize)]
pub struct ChecklistItem {
    pub key: &'static str,
    /// "technical" or "quality"
    pub group: &'static str,
    pub ja: &'static str,
    pub en: &'static str,
    pub ok: bool,
}

/// The requirement checklist for an application on a given day (`today` as `YYYY-MM-DD`).
pub fn checklist(app: &ServiceApplication, today: time::Date, evidence_files: usize) -> Vec<ChecklistItem> {
    let experts_valid =
        app.experts.iter().any(|e| e.expires_on.as_deref().and_then(parse_date).is_none_or(|d| d >= today));
    vec![
        ChecklistItem {
            key: "qualified_experts",
            group: "technical",
            ja: "有効な資格を持つ専門家が在籍している",
            en: "Qualified experts with valid qualifications are on staff",
            ok: experts_valid,
        },
        ChecklistItem {
            key: "service_specification",
            group: "technical",
            ja: "サービス仕様が明示されている",
            en: "The service specification is stated",
            ok: !app.specification.is_empty(),
        },
        ChecklistItem {
            key: "quality_manager",
            group: "quality",
            ja: "品質管理責任者が任命されている",
            en: "A quality manager is assigned",
            ok: !app.quality_manager.is_empty(),
        },
        ChecklistItem {
            key: "quality_manual",
            group: "quality",
            ja: "品質マニュアルが整備されている",
            en: "A quality manual exists",
            ok: !app.quality_manual_ref.is_empty(),
        },
        ChecklistItem {
            key: "improvement_procedure",
            group: "quality",
            ja: "改善手順が定められている",
            en: "Improvement procedures are defined",
            ok: !app.improvement_procedure.is_empty(),
        },
        ChecklistItem {
            key: "evidence",
            group: "quality",
            ja: "根拠資料が添付されている",
            en: "Evidence files are attached",
            ok: evidence_files > 0,
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    pub fn sample() -> ApplicationInput {
        ApplicationInput {
            name: "Webアプリ脆弱性診断".into(),
            category: "vulnerability_assessment".into(),
            subcategory: "web_application".into(),
            pentest_option: true,
            description: "概要".into(),
            specification: "仕様".into(),
            experts: vec![ExpertInput {
                name: "山田太郎".into(),
                qualification: "情報処理安全確保支援士".into(),
                expires_on: "2030-03-31".into(),
            }],
            quality_manager: "佐藤".into(),
            quality_manual_ref: "QM-1".into(),
            improvement_procedure: "PDCA".into(),
            industries: vec!["finance".into()],
            regions: vec!["kanto".into()],
            options: String::new(),
            price_min: Some(100),
            price_max: Some(200),
            registration_body_id: Some(1),
        }
    }

    #[test]
    fn valid_application_parses() {
        let app = ServiceApplication::parse(&sample()).unwrap();
        assert_eq!(app.category, Category::VulnerabilityAssessment);
        let today = parse_date("2026-01-01").unwrap();
        assert!(checklist(&app, today, 0).iter().filter(|c| !c.ok).all(|c| c.key == "evidence"));
        let later = parse_date("2031-01-01").unwrap();
        assert!(!checklist(&app, later, 1)[0].ok);
    }

    #[test]
    fn unknown_category_is_its_own_error() {
        let mut i = sample();
        i.category = "astrology".into();
        assert_eq!(ServiceApplication::parse(&i), Err(ApplicationError::UnknownCategory("astrology".into())));
    }

    #[test]
    fn per_field_errors() {
        let mut i = sample();
        i.name = "   ".into();
        i.subcategory = "advisory".into();
        i.experts.clear();
        i.price_min = Some(500);
        let Err(ApplicationError::Fields(errs)) = ServiceApplication::parse(&i) else { panic!() };
        let fields: Vec<_> = errs.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["name", "subcategory", "experts", "price_max"]);
    }
}
