//! Demo data: fictitious but realistic providers reproducing the deck's 90 services at the end
//! of January 2019 (audit 21, vulnerability assessment 31, forensics 16, monitoring 22), services
//! in the newer categories, several registration bodies, applications in every state, one
//! login per role, and `--scale N` generated services for load tests.

use domain::audit::AuditRecord;
use domain::registry::{ApplicationInput, Category, ExpertInput, INDUSTRIES, REGIONS, ServiceApplication, Transition};
use domain::{MembershipRole, OrgKind};

use crate::identity::NewUser;
use crate::registry::LIST_VERSION;
use crate::{Actor, App, AppError, Result};

pub const DEMO_PASSWORD: &str = "kakehashi-demo-2026";

/// One demo login.
#[derive(Debug, Clone)]
pub struct DemoLogin {
    pub role_ja: &'static str,
    pub role_en: &'static str,
    pub email: &'static str,
}

pub const DEMO_LOGINS: [DemoLogin; 7] = [
    DemoLogin {
        role_ja: "制度事務局（運用者）", role_en: "Program operator", email: "operator@demo.kakehashi.jp"
    },
    DemoLogin {
        role_ja: "審査登録機関（審査員）",
        role_en: "Registration body reviewer",
        email: "reviewer@demo.kakehashi.jp",
    },
    DemoLogin {
        role_ja: "事業者（管理者）", role_en: "Provider admin", email: "provider-admin@demo.kakehashi.jp"
    },
    DemoLogin { role_ja: "事業者（担当者）", role_en: "Provider member", email: "provider@demo.kakehashi.jp" },
    DemoLogin { role_ja: "中小企業（閲覧のみ）", role_en: "SME (read only)", email: "sme@demo.kakehashi.jp" },
    DemoLogin {
        role_ja: "検証機関（検証員）", role_en: "Verification body tester", email: "tester@demo.kakehashi.jp"
    },
    DemoLogin {
        role_ja: "有識者（製品レビュー）",
        role_en: "Expert (product reviews)",
        email: "expert@demo.kakehashi.jp",
    },
];

const PREFIX: [(&str, &str); 24] = [
    ("北斗", "Hokuto"),
    ("青葉", "Aoba"),
    ("瑞穂", "Mizuho"),
    ("昴", "Subaru"),
    ("若葉", "Wakaba"),
    ("朝日", "Asahi"),
    ("桜川", "Sakuragawa"),
    ("富岳", "Fugaku"),
    ("浜風", "Hamakaze"),
    ("白鷺", "Shirasagi"),
    ("紅葉", "Momiji"),
    ("銀河", "Ginga"),
    ("東雲", "Shinonome"),
    ("大和", "Yamato"),
    ("光陽", "Koyo"),
    ("碧海", "Hekikai"),
    ("飛鳥", "Asuka"),
    ("千歳", "Chitose"),
    ("鳴門", "Naruto"),
    ("嵐山", "Arashiyama"),
    ("天神", "Tenjin"),
    ("栄", "Sakae"),
    ("梅田", "Umeda"),
    ("杜都", "Morinomiyako"),
];
const SUFFIX: [(&str, &str); 6] = [
    ("セキュリティ株式会社", "Security Inc."),
    ("サイバーディフェンス株式会社", "Cyber Defense Co., Ltd."),
    ("情報システム株式会社", "Information Systems Co., Ltd."),
    ("ネットワークス株式会社", "Networks Inc."),
    ("テクノロジー合同会社", "Technology LLC"),
    ("総合研究所株式会社", "Research Institute Co., Ltd."),
];

/// (category, subcategory, pentest option, Japanese name stem)
fn service_kinds(cat: Category, i: usize) -> (&'static str, &'static str) {
    match cat {
        Category::Audit => {
            if i.is_multiple_of(2) {
                ("advisory", "情報セキュリティ監査サービス（助言型）")
            } else {
                ("assurance", "情報セキュリティ監査サービス（保証型）")
            }
        }
        Category::VulnerabilityAssessment => match i % 3 {
            0 => ("web_application", "Webアプリケーション脆弱性診断"),
            1 => ("platform", "プラットフォーム脆弱性診断"),
            _ => ("smartphone_app", "スマートフォンアプリ脆弱性診断"),
        },
        Category::DigitalForensics => (
            "",
            if i.is_multiple_of(2) {
                "デジタルフォレンジック調査サービス"
            } else {
                "インシデント調査・証拠保全サービス"
            },
        ),
        Category::SecurityMonitoring => (
            "",
            if i.is_multiple_of(2) {
                "24時間365日 セキュリティ監視サービス（SOC）"
            } else {
                "マネージドEDR運用・監視サービス"
            },
        ),
        Category::PenetrationTesting => ("", "ペネトレーションテストサービス"),
        Category::DeviceVerification => ("", "IoT機器セキュリティ検証サービス"),
    }
}

const VARIANTS: [&str; 6] =
    ["", "（スタンダード）", "（プレミアム）", "（ライト）", "（クラウド対応）", "（エンタープライズ）"];
const QUALIFICATIONS: [&str; 6] =
    ["情報処理安全確保支援士", "公認情報セキュリティ監査人", "CISSP", "GIAC GCFA", "OSCP", "システム監査技術者"];
const SURNAMES: [&str; 12] =
    ["佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤", "吉田", "山田"];
const GIVEN: [&str; 8] = ["太郎", "花子", "健一", "美咲", "大輔", "由美", "翔", "陽子"];
const DESCRIPTIONS: [&str; 6] = [
    "経験豊富な専門家が、お客様のシステムとリスクに合わせて調査範囲を設計し、報告会で改善策まで提案します。",
    "官公庁・自治体での実績多数。調達仕様書に沿った作業計画と、発見事項の再評価までを一括で提供します。",
    "中小企業向けに費用を抑えたプランを用意しています。クラウド（AWS・Azure）環境にも対応します。",
    "金融・医療など規制業種のガイドラインに対応した報告書を作成します。英語での報告にも対応可能です。",
    "製造業の工場ネットワークや制御システム（OT）の知見を持つ技術者が担当します。",
    "CVSS に基づく深刻度評価と、再発防止のための開発プロセス改善支援を行います。",
];

fn pick<T: Copy>(list: &[T], n: usize) -> T {
    list[n % list.len()]
}

fn demo_input(cat: Category, i: usize, body: i64, provider_short: &str) -> ApplicationInput {
    let (sub, stem) = service_kinds(cat, i);
    let experts = (0..1 + i % 3)
        .map(|k| ExpertInput {
            name: format!("{}{}", pick(&SURNAMES, i * 3 + k), pick(&GIVEN, i + k)),
            qualification: pick(&QUALIFICATIONS, i + k).to_string(),
            expires_on: format!("{}-03-31", 2027 + (i + k) % 4),
        })
        .collect();
    ApplicationInput {
        name: format!("{provider_short} {stem}"),
        category: cat.code().into(),
        subcategory: sub.into(),
        pentest_option: cat == Category::VulnerabilityAssessment && i.is_multiple_of(4),
        description: format!("{}{}", pick(&DESCRIPTIONS, i), pick(&DESCRIPTIONS, i / 6 + 1)),
        specification: format!(
            "作業範囲、手法、報告書の構成、実施期間（標準{}営業日）を仕様書 SPEC-{:04} に定める。",
            5 + i % 20,
            i
        ),
        experts,
        quality_manager: format!("{}{}（品質管理責任者）", pick(&SURNAMES, i + 5), pick(&GIVEN, i + 3)),
        quality_manual_ref: format!("品質マニュアル QM-{:03} 第{}版", i % 50 + 1, i % 5 + 1),
        improvement_procedure:
            "顧客満足度調査と内部監査の結果を四半期ごとにレビューし、是正処置を品質委員会で承認する。".into(),
        industries: (0..1 + i % 3).map(|k| pick(INDUSTRIES, i + k * 4).0.to_string()).collect(),
        regions: (0..1 + i % 2).map(|k| pick(REGIONS, i * 7 + k * 3).0.to_string()).collect(),
        options: if i.is_multiple_of(5) {
            "報告会（オンライン・オンサイト）、英語報告書".into()
        } else {
            String::new()
        },
        price_min: Some(300_000 + (i as i64 % 10) * 100_000),
        price_max: Some(1_500_000 + (i as i64 % 10) * 500_000),
        registration_body_id: Some(body),
    }
}

/// What `seed` did.
#[derive(Debug, Clone, Default)]
pub struct SeedReport {
    pub already_seeded: bool,
    pub services_added: usize,
}

struct Orgs {
    office: i64,
    bodies: Vec<i64>,
    providers: Vec<(i64, String, String)>,
    sme: i64,
}

/// 2019-01-31 00:00 JST.
const DECK_DATE: i64 = 1_548_860_400;

impl App {
    /// Loads the demo data once (a second call reuses it), then tops up `scale` generated
    /// services. `progress` is told how many generated services are stored so far.
    pub async fn seed_demo(&self, scale: usize, progress: &(dyn Fn(usize, usize) + Sync)) -> Result<SeedReport> {
        let mut report = SeedReport::default();
        if self.store.counter("demo_seeded").await? > 0 {
            report.already_seeded = true;
        } else {
            self.seed_base().await?;
        }
        // the verification platform's products (also added to a demo database made before it)
        if self.store.counter("demo_verification_seeded").await? == 0 {
            let mut vendors: Vec<(i64, String)> = self
                .store
                .orgs(None)
                .await?
                .into_iter()
                .filter(|o| o.kind == OrgKind::Vendor.code())
                .map(|o| (o.id, o.name))
                .collect();
            vendors.sort();
            vendors.truncate(3);
            if !vendors.is_empty() {
                self.seed_verification(&vendors).await?;
            }
            let mut tx = self.store.begin().await?;
            store::Store::next_counter(&mut tx, "demo_verification_seeded").await?;
            tx.commit().await?;
        }
        let have = self.store.counter("demo_scale").await? as usize;
        if scale > have {
            self.seed_scale(have, scale, progress).await?;
            report.services_added = scale - have;
        }
        self.search.invalidate();
        Ok(report)
    }

    async fn seed_base(&self) -> Result<()> {
        let sys = "system:demo";
        let office = self
            .create_org(
                sys,
                OrgKind::ProgramOffice,
                "情報セキュリティサービス審査登録制度 事務局（デモ）",
                "Registry program office (demo)",
            )
            .await?;
        let bodies = vec![
            self.create_org(
                sys,
                OrgKind::RegistrationBody,
                "一般社団法人 日本セキュリティサービス審査協会（架空）",
                "Japan Security Service Review Association (fictitious)",
            )
            .await?,
            self.create_org(
                sys,
                OrgKind::RegistrationBody,
                "株式会社 東和審査登録センター（架空）",
                "Towa Registration Center (fictitious)",
            )
            .await?,
            self.create_org(
                sys,
                OrgKind::RegistrationBody,
                "一般財団法人 情報品質認証機構（架空）",
                "Information Quality Certification Organization (fictitious)",
            )
            .await?,
        ];
        let mut providers = Vec::new();
        for i in 0..30 {
            let (p, pe) = pick(&PREFIX, i);
            let (s, se) = pick(&SUFFIX, i * 5 + i / 6);
            let name = format!("{p}{s}");
            let id = self.create_org(sys, OrgKind::Vendor, &name, &format!("{pe} {se}")).await?;
            providers.push((id, name, p.to_string()));
        }
        let sme =
            self.create_org(sys, OrgKind::Sme, "有限会社 みなと精機（架空）", "Minato Seiki (fictitious)").await?;
        let orgs = Orgs { office, bodies, providers, sme };
        let logins = [
            (DEMO_LOGINS[0].email, "運用 一郎", true, Some((orgs.office, MembershipRole::Admin))),
            (DEMO_LOGINS[1].email, "審査 花子", false, Some((orgs.bodies[0], MembershipRole::Member))),
            (DEMO_LOGINS[2].email, "北斗 太郎", false, Some((orgs.providers[0].0, MembershipRole::Admin))),
            (DEMO_LOGINS[3].email, "北斗 美咲", false, Some((orgs.providers[0].0, MembershipRole::Member))),
            (DEMO_LOGINS[4].email, "港 健一", false, Some((orgs.sme, MembershipRole::Admin))),
        ];
        for (email, name, op, org) in logins {
            self.create_user(
                sys,
                NewUser {
                    email: email.into(),
                    display_name: name.into(),
                    password: DEMO_PASSWORD.into(),
                    is_operator: op,
                    org,
                },
            )
            .await?;
        }
        self.seed_deck_services(&orgs).await?;
        self.seed_lifecycle_examples(&orgs).await?;
        let mut tx = self.store.begin().await?;
        store::Store::next_counter(&mut tx, "demo_seeded").await?;
        tx.commit().await?;
        Ok(())
    }

    /// The deck's 90 listed services and 7 in the newer categories, written in bulk with their
    /// history (applied, submitted, approved) at historical dates; renewed to stay valid.
    async fn seed_deck_services(&self, orgs: &Orgs) -> Result<()> {
        let plan = [
            (Category::Audit, 21, DECK_DATE),
            (Category::VulnerabilityAssessment, 31, DECK_DATE),
            (Category::DigitalForensics, 16, DECK_DATE),
            (Category::SecurityMonitoring, 22, DECK_DATE),
            (Category::PenetrationTesting, 4, 1_711_897_200),
            (Category::DeviceVerification, 3, 1_743_433_200),
        ];
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let mut n = 0usize;
        let mut per_provider = std::collections::HashMap::new();
        for (cat, count, until) in plan {
            for i in 0..count {
                let (pid, pname, pshort) = &orgs.providers[(n * 7 + i) % orgs.providers.len()];
                let body = orgs.bodies[n % orgs.bodies.len()];
                // registrations spread over the months before the deck date
                let listed = until - ((count - i) as i64) * 9 * 86_400;
                let vu = renewed_until(listed, now, n);
                let mut input = demo_input(cat, n, body, pshort);
                let k = per_provider.entry(*pid).or_insert(0usize);
                input.name = format!("{}{}", input.name, VARIANTS[*k % VARIANTS.len()]);
                *k += 1;
                let app = ServiceApplication::parse(&input)
                    .map_err(|e| AppError::Internal(format!("demo data invalid: {e:?}")))?;
                let id = insert_listed(&mut tx, *pid, pname, &app, listed, vu).await?;
                tx.insert_event(id, listed - 40 * 86_400, None, "事業者 / Provider", "create", None, "draft", "")
                    .await?;
                tx.insert_event(
                    id,
                    listed - 30 * 86_400,
                    None,
                    "事業者 / Provider",
                    "submit",
                    Some("draft"),
                    "submitted",
                    "",
                )
                .await?;
                tx.insert_event(
                    id,
                    listed,
                    None,
                    "審査登録機関 / Registration body",
                    "approve",
                    Some("submitted"),
                    "listed",
                    "審査基準に適合",
                )
                .await?;
                // renewals (更新審査) that kept the registration valid until today
                let mut cycle_end = domain::registry::valid_until(listed);
                while cycle_end < vu {
                    tx.insert_event(
                        id,
                        cycle_end - 30 * 86_400,
                        None,
                        "審査登録機関 / Registration body",
                        "renew",
                        Some("listed"),
                        "listed",
                        "更新審査に適合",
                    )
                    .await?;
                    cycle_end = domain::registry::valid_until(cycle_end);
                }
                n += 1;
            }
        }
        tx.audit(
            &AuditRecord {
                actor: "system:demo".into(),
                action: "demo.seed".into(),
                subject: "registry".into(),
                summary: format!("{n} listed services"),
            },
            now,
        )
        .await?;
        store::Store::next_counter(&mut tx, LIST_VERSION).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Applications in every state, made through the real use cases so their history is real.
    async fn seed_lifecycle_examples(&self, orgs: &Orgs) -> Result<()> {
        let admin = self.demo_actor(DEMO_LOGINS[2].email).await?;
        let reviewer = self.demo_actor(DEMO_LOGINS[1].email).await?;
        let operator = self.demo_actor(DEMO_LOGINS[0].email).await?;
        let body = orgs.bodies[0];
        let provider = domain::OrgId(orgs.providers[0].0);
        let mk = |name: &str, cat: Category, i: usize| {
            let mut input = demo_input(cat, i, body, "北斗");
            input.name = name.to_string();
            input
        };
        let evidence = b"%PDF-1.4\n% demo evidence: quality manual excerpt\n";
        let draft = self
            .registry()
            .apply(&admin, provider, &mk("北斗 クラウド設定診断サービス", Category::VulnerabilityAssessment, 1))
            .await?;
        let _ = draft;
        let submitted = self
            .registry()
            .apply(
                &admin,
                provider,
                &mk("北斗 OT・制御システム ペネトレーションテスト", Category::PenetrationTesting, 2),
            )
            .await?;
        self.registry().upload_evidence(&admin, submitted, "quality-manual.pdf", evidence).await?;
        self.registry().submit(&admin, submitted).await?;
        let returned =
            self.registry().apply(&admin, provider, &mk("北斗 ISMS 準拠性監査（保証型）", Category::Audit, 3)).await?;
        self.registry().submit(&admin, returned).await?;
        self.registry()
            .decide(&reviewer, returned, Transition::Return, "資格の有効期限を証明する資料を添付してください。")
            .await?;
        let rejected = self
            .registry()
            .apply(&admin, provider, &mk("北斗 なんでもセキュリティ相談", Category::SecurityMonitoring, 4))
            .await?;
        self.registry().submit(&admin, rejected).await?;
        self.registry()
            .decide(&reviewer, rejected, Transition::Reject, "監視体制（24時間）の実態が確認できないため。")
            .await?;
        let listed = self
            .registry()
            .apply(&admin, provider, &mk("北斗 スマートロック機器検証", Category::DeviceVerification, 5))
            .await?;
        self.registry().upload_evidence(&admin, listed, "spec.pdf", evidence).await?;
        self.registry().submit(&admin, listed).await?;
        self.registry().decide(&reviewer, listed, Transition::Approve, "審査基準に適合").await?;
        self.registry()
            .start_surveillance(&operator, listed, "2026年度上期", "品質マニュアルの運用記録を提出してください。")
            .await?;
        let changing = self
            .registry()
            .apply(&admin, provider, &mk("北斗 レッドチーム演習サービス", Category::PenetrationTesting, 6))
            .await?;
        self.registry().submit(&admin, changing).await?;
        self.registry().decide(&reviewer, changing, Transition::Approve, "").await?;
        let mut change = mk("北斗 レッドチーム演習サービス", Category::PenetrationTesting, 6);
        change.description.push_str("（2026年より 九州・沖縄 地域にも対応）");
        change.regions.push("kyushu".into());
        self.registry().request_change(&admin, changing, &change).await?;
        let suspended = self
            .registry()
            .apply(&admin, provider, &mk("北斗 標的型メール訓練付き監視", Category::SecurityMonitoring, 7))
            .await?;
        self.registry().submit(&admin, suspended).await?;
        self.registry().decide(&reviewer, suspended, Transition::Approve, "").await?;
        self.registry()
            .operate(&operator, suspended, Transition::Suspend, "サーベイランスで是正要求への未回答が確認されたため。")
            .await?;
        let withdrawn = self
            .registry()
            .apply(&admin, provider, &mk("北斗 旧版 Web 診断", Category::VulnerabilityAssessment, 8))
            .await?;
        self.registry().withdraw_own(&admin, withdrawn, "サービス統合のため取り下げます。").await?;
        let expired =
            self.registry().apply(&admin, provider, &mk("北斗 2024年版 監査サービス", Category::Audit, 9)).await?;
        self.registry().submit(&admin, expired).await?;
        self.registry().decide(&reviewer, expired, Transition::Approve, "").await?;
        // expire it by running the sweep as if two years had passed for this one service only:
        let svc = self.registry().service_view(expired).await?;
        let mut tx = self.store.begin().await?;
        tx.set_registration(
            expired,
            svc.ledger_number.as_deref().unwrap_or_default(),
            svc.listed_at.unwrap_or(0) - 800 * 86_400,
            self.now() - 86_400,
        )
        .await?;
        tx.commit().await?;
        self.registry().sweep(self.now()).await?;
        Ok(())
    }

    async fn demo_actor(&self, email: &str) -> Result<Actor> {
        let u = self.store.user_by_email(email).await?.ok_or(AppError::NotFound)?;
        self.load_actor(u.id, None).await?.ok_or(AppError::NotFound)
    }

    /// Generated services for load tests: N services over N/10 providers.
    async fn seed_scale(&self, from: usize, to: usize, progress: &(dyn Fn(usize, usize) + Sync)) -> Result<()> {
        let bodies: Vec<i64> = self.registry().registration_bodies().await?.iter().map(|o| o.id).collect();
        let now = self.now();
        let providers_needed = to.div_ceil(10).max(1);
        let mut providers: Vec<(i64, String, String)> = Vec::new();
        let existing: Vec<store::OrgRow> =
            self.store.orgs(Some("vendor")).await?.into_iter().filter(|o| o.name_en.starts_with("Load ")).collect();
        let mut tx = self.store.begin().await?;
        for o in existing {
            providers.push((o.id, o.name.clone(), o.name.clone()));
        }
        for i in providers.len()..providers_needed {
            let (p, pe) = pick(&PREFIX, i);
            let (s, se) = pick(&SUFFIX, i / PREFIX.len());
            let short = format!("{p}{}", i / (PREFIX.len() * SUFFIX.len()) + 1);
            let name = format!("{short}{s}");
            let id = tx.insert_org("vendor", &name, &format!("Load {pe} {se} {i}"), now).await?;
            providers.push((id, name, short));
        }
        tx.commit().await?;
        let cats = Category::ALL;
        let mut i = from;
        while i < to {
            let end = (i + 2000).min(to);
            let mut tx = self.store.begin().await?;
            for k in i..end {
                let (pid, pname, pshort) = &providers[k / 10 % providers.len()];
                let cat = cats[k % cats.len()];
                let mut input = demo_input(cat, k, bodies[k % bodies.len()], pshort);
                input.name = format!("{} No.{k}", input.name);
                let app = ServiceApplication::parse(&input)
                    .map_err(|e| AppError::Internal(format!("generated data invalid: {e:?}")))?;
                let listed = now - (k as i64 % 700) * 86_400;
                let id =
                    insert_listed(&mut tx, *pid, pname, &app, listed, domain::registry::valid_until(listed)).await?;
                tx.insert_event(
                    id,
                    listed,
                    None,
                    "審査登録機関 / Registration body",
                    "approve",
                    Some("submitted"),
                    "listed",
                    "",
                )
                .await?;
            }
            store::Store::next_counter(&mut tx, LIST_VERSION).await?;
            store::Store::add_to_counter(&mut tx, "demo_scale", (end - i) as i64).await?;
            tx.audit(
                &AuditRecord {
                    actor: "system:demo".into(),
                    action: "demo.scale".into(),
                    subject: "registry".into(),
                    summary: format!("generated services {i}..{end}"),
                },
                now,
            )
            .await?;
            tx.commit().await?;
            progress(end - from, to - from);
            i = end;
        }
        Ok(())
    }
}

/// Writes a listed service with its ledger entry (bulk demo data; history added by the caller).
async fn insert_listed(
    tx: &mut store::Tx,
    provider: i64,
    provider_name: &str,
    app: &ServiceApplication,
    listed: i64,
    valid_until: i64,
) -> Result<domain::registry::ServiceId> {
    let id = tx
        .insert_service(
            &crate::registry::write_of(provider, provider_name, app)?,
            domain::registry::ServiceStatus::Listed,
            listed,
        )
        .await?;
    crate::registry::assign_ledger(tx, id.0, app.category, listed, valid_until).await?;
    Ok(id)
}

/// A registration renewed every two years since `listed`, ending after `now`; a few fall in
/// the reminder window so the demo shows reminders.
fn renewed_until(listed: i64, now: i64, n: usize) -> i64 {
    if n % 15 == 3 {
        return now + (20 + n as i64 % 60) * 86_400;
    }
    let mut vu = domain::registry::valid_until(listed);
    while vu <= now + 100 * 86_400 {
        vu = domain::registry::valid_until(vu);
    }
    vu
}
