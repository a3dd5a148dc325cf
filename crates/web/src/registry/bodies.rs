//! The registry API's request and response bodies. They are the API's own types, not the domain's
//! or the store's: a change inside the program does not change the contract by accident, and the
//! OpenAPI schemas are generated from them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use app::registry::ServiceDetail;
use app::registry::index::ListItem;
use app::{jst_date, rfc3339};
use domain::registry::{ApplicationInput, Category, ExpertInput};

/// An organisation named in a body.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrgRef {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    pub name: String,
    pub name_en: String,
}

/// One registered service in a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceListItem {
    pub id: i64,
    pub name: String,
    pub provider: OrgRef,
    pub registration_body_id: i64,
    /// audit | vulnerability_assessment | penetration_testing | digital_forensics | security_monitoring | device_verification
    pub category: String,
    pub subcategory: Option<String>,
    /// listed | change_requested | renewal_requested | suspended | withdrawn | expired
    pub status: String,
    pub ledger_number: String,
    /// YYYY-MM-DD (JST)
    pub listed_on: String,
    /// YYYY-MM-DD (JST)
    pub valid_until: String,
    pub regions: Vec<String>,
    pub industries: Vec<String>,
    /// The service's page.
    pub url: String,
}

impl From<&ListItem> for ServiceListItem {
    fn from(i: &ListItem) -> Self {
        ServiceListItem {
            id: i.id,
            name: i.name.to_string(),
            provider: OrgRef { id: None, name: i.provider_name.to_string(), name_en: i.provider_name_en.to_string() },
            registration_body_id: i.body_org_id,
            category: i.category.code().into(),
            subcategory: i.subcategory.map(|s| s.code().into()),
            status: i.status.code().into(),
            ledger_number: i.ledger_number.to_string(),
            listed_on: jst_date(i.listed_at),
            valid_until: jst_date(i.valid_until),
            regions: i.region_codes().into_iter().map(String::from).collect(),
            industries: i.industry_codes().into_iter().map(String::from).collect(),
            url: format!("/services/{}", i.id),
        }
    }
}

/// A page of the public list.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceList {
    pub total: usize,
    pub page: usize,
    pub per_page: usize,
    pub pages: usize,
    pub items: Vec<ServiceListItem>,
    /// Matching services per category code.
    pub category_counts: std::collections::BTreeMap<String, usize>,
}

/// The JSON export of the list (every matching service, public fields only).
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceExport {
    pub total: usize,
    pub items: Vec<ServiceListItem>,
}

/// One entry of a service's history.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryEntry {
    /// RFC 3339, UTC
    pub at: String,
    pub actor: String,
    pub action: String,
    pub from: Option<String>,
    pub to: String,
    pub comment: String,
}

/// An expert of the service (private fields only for those who may see them).
#[derive(Debug, Serialize, Deserialize, ToSchema, Default)]
pub struct ExpertBody {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub qualification: String,
    /// YYYY-MM-DD; empty or absent when it does not expire.
    #[serde(default)]
    pub expires_on: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChecklistEntry {
    pub key: String,
    /// technical | quality
    pub group: String,
    pub ja: String,
    pub en: String,
    pub ok: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EvidenceBody {
    pub id: i64,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    /// What the engines found in the file (SBOMs and lockfiles are scanned for known vulnerabilities).
    pub analyses: Vec<AnalysisBody>,
}

/// An engine's analysis of a file.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnalysisBody {
    /// sbom | capture
    pub engine: String,
    /// queued | done | failed
    pub state: String,
    /// sbom: format, components, findings, by_severity, top; capture: packets, findings, by_kind, top
    #[schema(value_type = Object)]
    pub summary: serde_json::Value,
    pub error: Option<String>,
}

/// One service with its public history; the private fields appear only for those allowed
/// (the provider, its registration body, the program office).
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceDetailBody {
    pub id: i64,
    pub name: String,
    pub status: String,
    pub ledger_number: Option<String>,
    pub provider: OrgRef,
    pub registration_body: OrgRef,
    pub category: String,
    pub subcategory: Option<String>,
    pub pentest_option: bool,
    pub description: String,
    pub specification: String,
    pub industries: Vec<String>,
    pub regions: Vec<String>,
    pub options: String,
    pub price_min: Option<i64>,
    pub price_max: Option<i64>,
    pub listed_on: Option<String>,
    pub valid_until: Option<String>,
    pub qualifications: Vec<String>,
    pub version: i64,
    /// For the public: public events only (listed, changed, renewed, suspended, reinstated,
    /// withdrawn, expired), by the registration body, without comments. The provider, its body
    /// and the program office see the whole history with people and reasons.
    pub history: Vec<HistoryEntry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub experts: Option<Vec<ExpertBody>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quality_manager: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quality_manual_ref: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub improvement_procedure: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registration_body_id: Option<i64>,
    /// The change under review, as submitted (private).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub pending_change: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checklist: Option<Vec<ChecklistEntry>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Vec<EvidenceBody>>,
}

impl From<&ServiceDetail> for ServiceDetailBody {
    fn from(d: &ServiceDetail) -> Self {
        let s = &d.service;
        let a = &s.app;
        let private = d.can.view_private;
        ServiceDetailBody {
            id: s.id,
            name: a.name.clone(),
            status: s.status.code().into(),
            ledger_number: s.ledger_number.clone(),
            provider: OrgRef {
                id: Some(s.provider_org_id),
                name: s.provider_name.clone(),
                name_en: s.provider_name_en.clone(),
            },
            registration_body: OrgRef {
                id: Some(s.body_org_id),
                name: s.body_name.clone(),
                name_en: s.body_name_en.clone(),
            },
            category: a.category.code().into(),
            subcategory: a.subcategory.map(|x| x.code().into()),
            pentest_option: a.pentest_option,
            description: a.description.clone(),
            specification: a.specification.clone(),
            industries: a.industries.clone(),
            regions: a.regions.clone(),
            options: a.options.clone(),
            price_min: a.price_min,
            price_max: a.price_max,
            listed_on: s.listed_at.map(jst_date),
            valid_until: s.valid_until.map(jst_date),
            qualifications: a.experts.iter().map(|e| e.qualification.clone()).collect(),
            version: s.version,
            history: d
                .events
                .iter()
                .map(|e| HistoryEntry {
                    at: rfc3339(e.at),
                    actor: e.actor_name.clone(),
                    action: e.action.clone(),
                    from: e.from_state.clone(),
                    to: e.to_state.clone(),
                    comment: e.comment.clone(),
                })
                .collect(),
            experts: private.then(|| {
                a.experts
                    .iter()
                    .map(|e| ExpertBody {
                        name: e.name.clone(),
                        qualification: e.qualification.clone(),
                        expires_on: e.expires_on.clone(),
                    })
                    .collect()
            }),
            quality_manager: private.then(|| a.quality_manager.clone()),
            quality_manual_ref: private.then(|| a.quality_manual_ref.clone()),
            improvement_procedure: private.then(|| a.improvement_procedure.clone()),
            registration_body_id: private.then_some(a.registration_body.0),
            pending_change: if private {
                s.pending_change.as_ref().and_then(|p| serde_json::to_value(p).ok())
            } else {
                None
            },
            checklist: private.then(|| {
                d.checklist
                    .iter()
                    .map(|c| ChecklistEntry {
                        key: c.key.into(),
                        group: c.group.into(),
                        ja: c.ja.into(),
                        en: c.en.into(),
                        ok: c.ok,
                    })
                    .collect()
            }),
            evidence: private.then(|| {
                d.evidence
                    .iter()
                    .map(|e| EvidenceBody {
                        id: e.id,
                        filename: e.filename.clone(),
                        content_type: e.content_type.clone(),
                        size: e.size,
                        sha256: e.sha256.clone(),
                        analyses: d
                            .analyses
                            .iter()
                            .filter(|a| a.subject_id == e.id)
                            .map(|a| AnalysisBody {
                                engine: a.engine.clone(),
                                state: a.state.clone(),
                                summary: serde_json::from_str(&a.summary).unwrap_or_default(),
                                error: a.error.clone(),
                            })
                            .collect(),
                    })
                    .collect()
            }),
        }
    }
}

/// An application as a provider submits it.
#[derive(Debug, Deserialize, ToSchema, Default)]
pub struct ApplicationBody {
    #[serde(default)]
    #[schema(max_length = 120)]
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
    pub experts: Vec<ExpertBody>,
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
    /// The registration body to review it.
    #[serde(default)]
    pub registration_body_id: Option<i64>,
}

impl From<ApplicationBody> for ApplicationInput {
    fn from(b: ApplicationBody) -> Self {
        ApplicationInput {
            name: b.name,
            category: b.category,
            subcategory: b.subcategory,
            pentest_option: b.pentest_option,
            description: b.description,
            specification: b.specification,
            experts: b
                .experts
                .into_iter()
                .map(|e| ExpertInput {
                    name: e.name,
                    qualification: e.qualification,
                    expires_on: e.expires_on.unwrap_or_default(),
                })
                .collect(),
            quality_manager: b.quality_manager,
            quality_manual_ref: b.quality_manual_ref,
            improvement_procedure: b.improvement_procedure,
            industries: b.industries,
            regions: b.regions,
            options: b.options,
            price_min: b.price_min,
            price_max: b.price_max,
            registration_body_id: b.registration_body_id,
        }
    }
}

/// A new application: the provider organisation (default: the caller's first) and the fields.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewApplicationBody {
    #[serde(default)]
    pub provider_org_id: Option<i64>,
    #[serde(flatten)]
    pub application: ApplicationBody,
}

/// A reason or comment (required for return, reject, suspend, withdraw, reject-change, reject-renewal).
#[derive(Debug, Deserialize, ToSchema, Default)]
pub struct ReasonBody {
    #[serde(default, alias = "reason")]
    pub comment: String,
}

/// The state a service is in after an action.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatusBody {
    pub id: i64,
    pub status: String,
}

/// What a registration body decided.
#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionBody {
    pub id: i64,
    pub status: String,
    pub ledger_number: Option<String>,
    /// YYYY-MM-DD (JST)
    pub valid_until: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UploadedBody {
    /// The evidence id.
    pub id: i64,
    pub size: usize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SubcategoryBody {
    pub code: String,
    pub label_ja: String,
    pub label_en: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryBody {
    pub code: String,
    pub label_ja: String,
    pub label_en: String,
    pub subcategories: Vec<SubcategoryBody>,
    pub pentest_option: bool,
}

impl From<&Category> for CategoryBody {
    fn from(c: &Category) -> Self {
        CategoryBody {
            code: c.code().into(),
            label_ja: c.label(false).into(),
            label_en: c.label(true).into(),
            subcategories: c
                .subcategories()
                .iter()
                .map(|s| SubcategoryBody {
                    code: s.code().into(),
                    label_ja: s.label(false).into(),
                    label_en: s.label(true).into(),
                })
                .collect(),
            pentest_option: c.allows_pentest_option(),
        }
    }
}
