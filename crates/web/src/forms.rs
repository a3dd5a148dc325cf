//! Decoding of form bodies and list queries into use-case inputs.

use domain::FieldError;
use domain::registry::{ApplicationInput, Category, ExpertInput, INDUSTRIES, REGIONS, SubCategory};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use app::AppError;
use app::registry::index::{ListQuery, MAX_QUERY_CHARS, Sort, StatusFilter};

/// Decodes an `application/x-www-form-urlencoded` body (repeated keys become lists).
pub fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, AppError> {
    serde_html_form::from_bytes(body).map_err(|e| {
        AppError::Invalid(vec![FieldError::new(
            "form",
            format!("フォームの内容を読み取れません: {e}"),
            format!("The form could not be read: {e}"),
        )])
    })
}

/// Only the CSRF field of a form.
#[derive(Debug, Deserialize, Default)]
pub struct CsrfOnly {
    #[serde(default)]
    pub csrf: String,
}

/// A note on a discussion thread (a trial's observation, a reply on a finding).
#[derive(Debug, Deserialize, Default)]
pub struct NoteForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub note: String,
}

/// A form with a reason or comment.
#[derive(Debug, Deserialize, Default)]
pub struct CommentForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub comment: String,
}

/// The application form as posted.
#[derive(Debug, Deserialize, Default, Clone)]
pub struct ApplicationForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub provider_org_id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub subcategory: String,
    #[serde(default)]
    pub pentest_option: Option<String>,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub specification: String,
    #[serde(default)]
    pub expert_name: Vec<String>,
    #[serde(default)]
    pub expert_qualification: Vec<String>,
    #[serde(default)]
    pub expert_expires_on: Vec<String>,
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
    pub price_min: String,
    #[serde(default)]
    pub price_max: String,
    #[serde(default)]
    pub registration_body_id: String,
}

fn yen(field: &'static str, s: &str, errs: &mut Vec<FieldError>) -> Option<i64> {
    // full-width digits (全角) typed by Japanese keyboards are read as digits
    let s: String = domain::text::normalize_width(s).trim().chars().filter(|c| *c != ',' && *c != '，').collect();
    if s.is_empty() {
        return None;
    }
    match s.parse::<i64>() {
        Ok(v) => Some(v),
        Err(_) => {
            errs.push(FieldError::new(field, "半角数字（円）で入力してください", "Enter a whole number of yen"));
            None
        }
    }
}

impl ApplicationForm {
    /// The use-case input, plus format errors found while decoding (numbers).
    pub fn to_input(&self) -> (ApplicationInput, Vec<FieldError>) {
        let mut errs = Vec::new();
        let price_min = yen("price_min", &self.price_min, &mut errs);
        let price_max = yen("price_max", &self.price_max, &mut errs);
        let n = self.expert_name.len().max(self.expert_qualification.len()).max(self.expert_expires_on.len());
        let get = |v: &Vec<String>, i: usize| v.get(i).cloned().unwrap_or_default();
        let experts = (0..n)
            .map(|i| ExpertInput {
                name: get(&self.expert_name, i),
                qualification: get(&self.expert_qualification, i),
                expires_on: domain::text::normalize_width(&get(&self.expert_expires_on, i)).trim().to_string(),
            })
            .collect();
        let input = ApplicationInput {
            name: self.name.clone(),
            category: self.category.clone(),
            subcategory: self.subcategory.clone(),
            pentest_option: self.pentest_option.is_some(),
            description: self.description.clone(),
            specification: self.specification.clone(),
            experts,
            quality_manager: self.quality_manager.clone(),
            quality_manual_ref: self.quality_manual_ref.clone(),
            improvement_procedure: self.improvement_procedure.clone(),
            industries: self.industries.clone(),
            regions: self.regions.clone(),
            options: self.options.clone(),
            price_min,
            price_max,
            registration_body_id: self.registration_body_id.trim().parse().ok(),
        };
        (input, errs)
    }

    pub fn from_input(i: &ApplicationInput) -> Self {
        ApplicationForm {
            csrf: String::new(),
            provider_org_id: String::new(),
            name: i.name.clone(),
            category: i.category.clone(),
            subcategory: i.subcategory.clone(),
            pentest_option: i.pentest_option.then(|| "on".into()),
            description: i.description.clone(),
            specification: i.specification.clone(),
            expert_name: i.experts.iter().map(|e| e.name.clone()).collect(),
            expert_qualification: i.experts.iter().map(|e| e.qualification.clone()).collect(),
            expert_expires_on: i.experts.iter().map(|e| e.expires_on.clone()).collect(),
            quality_manager: i.quality_manager.clone(),
            quality_manual_ref: i.quality_manual_ref.clone(),
            improvement_procedure: i.improvement_procedure.clone(),
            industries: i.industries.clone(),
            regions: i.regions.clone(),
            options: i.options.clone(),
            price_min: i.price_min.map(|v| v.to_string()).unwrap_or_default(),
            price_max: i.price_max.map(|v| v.to_string()).unwrap_or_default(),
            registration_body_id: i.registration_body_id.map(|v| v.to_string()).unwrap_or_default(),
        }
    }
}

/// List query parameters as given in a URL.
#[derive(Debug, Deserialize, Default, Clone, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Keyword; partial Japanese or English words (NFKC-normalised substring match).
    #[serde(default)]
    pub q: String,
    /// audit | vulnerability_assessment | penetration_testing | digital_forensics | security_monitoring | device_verification (unknown: 422)
    #[serde(default)]
    pub category: String,
    /// advisory | assurance | web_application | platform | smartphone_app
    #[serde(default)]
    pub subcategory: String,
    /// hokkaido | tohoku | kanto | chubu | kinki | chugoku | shikoku | kyushu
    #[serde(default)]
    pub region: String,
    /// government | finance | manufacturing | healthcare | energy | telecom | retail | education | transport
    #[serde(default)]
    pub industry: String,
    /// Registration body organisation id.
    #[serde(default)]
    pub body: String,
    /// registered (default) | all | listed | change_requested | renewal_requested | suspended | withdrawn | expired
    #[serde(default)]
    pub status: String,
    /// ledger (default) | name | newest | expiry
    #[serde(default)]
    pub sort: String,
    /// Page number from 1; full-width digits are accepted.
    #[serde(default)]
    pub page: String,
    /// 1 to 100.
    #[serde(default)]
    pub per_page: String,
}

impl ListParams {
    pub fn to_query(&self, default_per_page: usize) -> Result<ListQuery, AppError> {
        let bad = |field: &'static str, ja: &str, en: &str| AppError::field(field, ja, en);
        let category = match self.category.trim() {
            "" => None,
            c => Some(Category::parse(c).ok_or_else(|| AppError::UnknownCategory(c.to_string()))?),
        };
        let subcategory = match self.subcategory.trim() {
            "" => None,
            c => Some(
                SubCategory::parse(c).ok_or_else(|| bad("subcategory", "不明な細分です", "Unknown sub-category"))?,
            ),
        };
        let pos = |list: domain::registry::CodeList, v: &str, field: &'static str| -> Result<Option<usize>, AppError> {
            match v.trim() {
                "" => Ok(None),
                v => list
                    .iter()
                    .position(|(c, _, _)| *c == v)
                    .map(Some)
                    .ok_or_else(|| bad(field, "選択肢にない値です", "Not one of the offered choices")),
            }
        };
        let q: String = self.q.chars().take(MAX_QUERY_CHARS).collect();
        Ok(ListQuery {
            q,
            category,
            subcategory,
            region: pos(REGIONS, &self.region, "region")?,
            industry: pos(INDUSTRIES, &self.industry, "industry")?,
            body: match self.body.trim() {
                "" => None,
                b => Some(
                    b.parse()
                        .map_err(|_| bad("body", "審査登録機関の指定が正しくありません", "Bad registration body"))?,
                ),
            },
            status: StatusFilter::parse(self.status.trim())
                .ok_or_else(|| bad("status", "不明な状態です", "Unknown status"))?,
            sort: Sort::parse(self.sort.trim()).ok_or_else(|| bad("sort", "不明な並び順です", "Unknown sort order"))?,
            page: match self.page.trim() {
                "" => 1,
                p => p
                    .parse::<usize>()
                    .ok()
                    .filter(|p| *p >= 1 && *p <= 1_000_000)
                    .ok_or_else(|| bad("page", "ページ番号が正しくありません", "Bad page number"))?,
            },
            per_page: match self.per_page.trim() {
                "" => default_per_page,
                p => p
                    .parse::<usize>()
                    .ok()
                    .filter(|p| (1..=100).contains(p))
                    .ok_or_else(|| bad("per_page", "1〜100件で指定してください", "per_page must be 1 to 100"))?,
            },
        })
    }

    /// The query string without `page` (for pagination and export links).
    pub fn query_string(&self) -> String {
        let mut parts = Vec::new();
        for (k, v) in [
            ("q", &self.q),
            ("category", &self.category),
            ("subcategory", &self.subcategory),
            ("region", &self.region),
            ("industry", &self.industry),
            ("body", &self.body),
            ("status", &self.status),
            ("sort", &self.sort),
        ] {
            if !v.trim().is_empty() {
                parts.push(format!("{k}={}", crate::error::urlencode(v.trim())));
            }
        }
        parts.join("&")
    }
}

/// A multipart upload that could not be read: over the size limit (413) or malformed (422).
pub fn multipart_error(
    ctx: &crate::extract::Ctx,
    s: &crate::AppState,
    e: axum::extract::multipart::MultipartError,
) -> crate::error::WebError {
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        ctx.err(AppError::TooLarge { limit: s.app.config.max_upload_bytes })
    } else {
        ctx.err(AppError::field("file", "アップロードを読み取れませんでした", "The upload could not be read"))
    }
}

/// The fields of a multipart form: text fields by name, and files (name as sent, bytes; empty
/// files are left out, as a form sends an empty part for a file input left blank). Read whole:
/// the router's body limit bounds what is read (413 past it).
#[derive(Debug, Default)]
pub struct Parts {
    pub text: std::collections::HashMap<String, String>,
    pub files: std::collections::HashMap<String, (String, Vec<u8>)>,
}

impl Parts {
    pub fn text(&self, name: &str) -> &str {
        self.text.get(name).map(String::as_str).unwrap_or("")
    }
    pub fn take_file(&mut self, name: &str) -> Option<(String, Vec<u8>)> {
        self.files.remove(name)
    }
}

/// Reads a multipart form: the parts named in `files` as files (with `default_name` when the
/// client gives none), every other part as text.
pub async fn read_parts(
    ctx: &crate::extract::Ctx,
    s: &crate::AppState,
    mp: &mut axum::extract::Multipart,
    files: &[(&str, &str)],
) -> Result<Parts, crate::error::WebError> {
    let mut parts = Parts::default();
    while let Some(field) = mp.next_field().await.map_err(|e| multipart_error(ctx, s, e))? {
        let name = field.name().unwrap_or("").to_string();
        match files.iter().find(|(f, _)| *f == name) {
            Some((_, default_name)) => {
                let file = field.file_name().unwrap_or(default_name).to_string();
                let data = field.bytes().await.map_err(|e| multipart_error(ctx, s, e))?;
                if !data.is_empty() {
                    parts.files.insert(name, (file, data.to_vec()));
                }
            }
            None => {
                let text = field.text().await.map_err(|e| multipart_error(ctx, s, e))?;
                parts.text.insert(name, text);
            }
        }
    }
    Ok(parts)
}
