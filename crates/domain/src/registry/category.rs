//! Service categories and sub-categories, regions and industries.

use serde::{Deserialize, Serialize};

/// Service category (サービス区分).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// 情報セキュリティ監査サービス
    Audit,
    /// 脆弱性診断サービス
    VulnerabilityAssessment,
    /// ペネトレーションテストサービス
    PenetrationTesting,
    /// デジタルフォレンジックサービス
    DigitalForensics,
    /// セキュリティ監視・運用サービス
    SecurityMonitoring,
    /// 機器検証サービス
    DeviceVerification,
}

impl Category {
    pub const ALL: [Category; 6] = [
        Category::Audit,
        Category::VulnerabilityAssessment,
        Category::PenetrationTesting,
        Category::DigitalForensics,
        Category::SecurityMonitoring,
        Category::DeviceVerification,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Category::Audit => "audit",
            Category::VulnerabilityAssessment => "vulnerability_assessment",
            Category::PenetrationTesting => "penetration_testing",
            Category::DigitalForensics => "digital_forensics",
            Category::SecurityMonitoring => "security_monitoring",
            Category::DeviceVerification => "device_verification",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == s)
    }

    /// Number used in ledger numbers (登録番号の区分番号).
    pub fn ledger_code(self) -> u8 {
        match self {
            Category::Audit => 1,
            Category::VulnerabilityAssessment => 2,
            Category::DigitalForensics => 3,
            Category::SecurityMonitoring => 4,
            Category::PenetrationTesting => 5,
            Category::DeviceVerification => 6,
        }
    }

    pub fn label(self, en: bool) -> &'static str {
        match (self, en) {
            (Category::Audit, false) => "情報セキュリティ監査",
            (Category::Audit, true) => "Information security audit",
            (Category::VulnerabilityAssessment, false) => "脆弱性診断",
            (Category::VulnerabilityAssessment, true) => "Vulnerability assessment",
            (Category::PenetrationTesting, false) => "ペネトレーションテスト",
            (Category::PenetrationTesting, true) => "Penetration testing",
            (Category::DigitalForensics, false) => "デジタルフォレンジック",
            (Category::DigitalForensics, true) => "Digital forensics",
            (Category::SecurityMonitoring, false) => "セキュリティ監視・運用",
            (Category::SecurityMonitoring, true) => "Security monitoring and operation",
            (Category::DeviceVerification, false) => "機器検証",
            (Category::DeviceVerification, true) => "Device verification",
        }
    }

    pub fn subcategories(self) -> &'static [SubCategory] {
        match self {
            Category::Audit => &[SubCategory::Advisory, SubCategory::Assurance],
            Category::VulnerabilityAssessment => {
                &[SubCategory::WebApplication, SubCategory::Platform, SubCategory::SmartphoneApp]
            }
            _ => &[],
        }
    }

    /// Whether "penetration testing" may be offered as an option of this category.
    pub fn allows_pentest_option(self) -> bool {
        self == Category::VulnerabilityAssessment
    }
}

/// Sub-category (サービス細分).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubCategory {
    /// 助言型監査
    Advisory,
    /// 保証型監査
    Assurance,
    /// Webアプリケーション診断
    WebApplication,
    /// プラットフォーム診断
    Platform,
    /// スマートフォンアプリ診断
    SmartphoneApp,
}

impl SubCategory {
    pub const ALL: [SubCategory; 5] = [
        SubCategory::Advisory,
        SubCategory::Assurance,
        SubCategory::WebApplication,
        SubCategory::Platform,
        SubCategory::SmartphoneApp,
    ];
    pub fn code(self) -> &'static str {
        match self {
            SubCategory::Advisory => "advisory",
            SubCategory::Assurance => "assurance",
            SubCategory::WebApplication => "web_application",
            SubCategory::Platform => "platform",
            SubCategory::SmartphoneApp => "smartphone_app",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == s)
    }
    pub fn category(self) -> Category {
        match self {
            SubCategory::Advisory | SubCategory::Assurance => Category::Audit,
            _ => Category::VulnerabilityAssessment,
        }
    }
    pub fn label(self, en: bool) -> &'static str {
        match (self, en) {
            (SubCategory::Advisory, false) => "助言型",
            (SubCategory::Advisory, true) => "Advisory",
            (SubCategory::Assurance, false) => "保証型",
            (SubCategory::Assurance, true) => "Assurance",
            (SubCategory::WebApplication, false) => "Webアプリケーション",
            (SubCategory::WebApplication, true) => "Web application",
            (SubCategory::Platform, false) => "プラットフォーム",
            (SubCategory::Platform, true) => "Platform",
            (SubCategory::SmartphoneApp, false) => "スマートフォンアプリ",
            (SubCategory::SmartphoneApp, true) => "Smartphone app",
        }
    }
}

/// A labelled code list (regions, industries): code, Japanese, English.
pub type CodeList = &'static [(&'static str, &'static str, &'static str)];

/// Regions a provider can name as strengths (地域).
pub const REGIONS: CodeList = &[
    ("hokkaido", "北海道", "Hokkaido"),
    ("tohoku", "東北", "Tohoku"),
    ("kanto", "関東", "Kanto"),
    ("chubu", "中部", "Chubu"),
    ("kinki", "近畿", "Kinki"),
    ("chugoku", "中国", "Chugoku"),
    ("shikoku", "四国", "Shikoku"),
    ("kyushu", "九州・沖縄", "Kyushu and Okinawa"),
];

/// Industries a provider can name as strengths (得意業種).
pub const INDUSTRIES: CodeList = &[
    ("government", "官公庁・自治体", "Government"),
    ("finance", "金融", "Finance"),
    ("manufacturing", "製造", "Manufacturing"),
    ("healthcare", "医療", "Healthcare"),
    ("energy", "電力・エネルギー", "Energy"),
    ("telecom", "情報通信", "Telecommunications"),
    ("retail", "流通・小売", "Retail"),
    ("education", "教育", "Education"),
    ("transport", "運輸", "Transport"),
];

pub fn code_label(list: CodeList, code: &str, en: bool) -> Option<&'static str> {
    list.iter().find(|(c, _, _)| *c == code).map(|(_, ja, e)| if en { *e } else { *ja })
}
