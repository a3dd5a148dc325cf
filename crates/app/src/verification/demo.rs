//! Demo data of the verification platform: products in every category (among them the deck's
//! FY2019 study devices: a UTM, a router, a tablet and a smart lock), versions, and real SBOMs
//! and lockfiles from the shared test data attached through the same use case vendors use, so
//! the jobs scan them and the demo shows real findings.

use std::path::Path;

use domain::verification::{ProductId, ProductInput};
use domain::{MembershipRole, OrgId, OrgKind};

use crate::{Actor, App, Membership, Result};

/// One demo product: vendor (index into the demo vendors), the product, and the versions with
/// the file (relative to the shared data directory) each is scanned from.
struct DemoProduct {
    vendor: usize,
    name: &'static str,
    name_en: &'static str,
    model: &'static str,
    category: &'static str,
    description: &'static str,
    claims: &'static str,
    support_end: &'static str,
    public: bool,
    subcategory: &'static str,
    versions: &'static [(&'static str, &'static str)],
}

const PRODUCTS: &[DemoProduct] = &[
    DemoProduct {
        vendor: 0,
        name: "セキュアゲート UTM-300",
        name_en: "SecureGate UTM-300",
        model: "UTM-300",
        category: "security_product",
        description: "中小企業向けの統合脅威管理（UTM）アプライアンス。ファイアウォール、IPS、URL フィルタ、アンチウイルスを1台で提供します。",
        claims: "既知の攻撃通信を IPS で遮断する\n既知のマルウェアをゲートウェイで検知する\n管理画面への不正ログインを5回で一時ロックする",
        support_end: "2031-03-31",
        public: true,
        subcategory: "utm",
        versions: &[(
            "3.2.1",
            "sbom/alpine-images/spdx-trivy-rancher_swarmkit-sha256:176dd68d4ce524ec79a76ad83a812024b4fa1f7aa14ad1a209475700b9abe493.json",
        )],
    },
    DemoProduct {
        vendor: 0,
        name: "ホクト 家庭用ルーター HR-200",
        name_en: "Hokuto home router HR-200",
        model: "HR-200",
        category: "iot_device",
        description: "家庭・小規模オフィス向けの Wi-Fi ルーター。",
        claims: "初期パスワードは機器ごとに異なる\nファームウェアを自動で更新する",
        support_end: "2029-12-31",
        public: true,
        subcategory: "router",
        versions: &[(
            "2.0.4",
            "sbom/alpine-images/spdx-trivy-rancher_curl-sha256:85aea1846e2e9b921629e9c3adf0c5aa63dbdf13aa84d4dc1b951982bf42d1a4.json",
        )],
    },
    DemoProduct {
        vendor: 1,
        name: "まもりタブレット MT-10",
        name_en: "Mamori Tablet MT-10",
        model: "MT-10",
        category: "iot_device",
        description: "医療・介護の現場向けの業務用タブレット。",
        claims: "端末の紛失時に遠隔でデータを消去できる",
        support_end: "2028-06-30",
        public: true,
        subcategory: "terminal",
        versions: &[(
            "1.4.0",
            "sbom/alpine-images/spdx-trivy-rancher_hello-world-sha256:4b1559cb4b57ca36fa2b313a3c7dde774801aa3a2047930d94e11a45168bc053.json",
        )],
    },
    DemoProduct {
        vendor: 1,
        name: "スマートロック SL-1",
        name_en: "Smart Lock SL-1",
        model: "SL-1",
        category: "iot_device",
        description: "賃貸住宅向けのスマートロック。アプリと暗証番号で解錠します。",
        claims: "Bluetooth 通信を暗号化する\n解錠履歴を改ざんできない形で記録する",
        support_end: "2030-09-30",
        public: true,
        subcategory: "smart_home",
        versions: &[("5.1.0", "lockfiles/bat-0.24.0/Cargo.lock")],
    },
    DemoProduct {
        vendor: 2,
        name: "プラント監視ゲートウェイ PG-7",
        name_en: "Plant monitoring gateway PG-7",
        model: "PG-7",
        category: "control_system",
        description: "工場の PLC と監視サーバーをつなぐ産業用ゲートウェイ（Modbus/TCP、OPC UA）。",
        claims: "制御ネットワークへの書き込みを許可リストで制限する",
        support_end: "2034-03-31",
        public: true,
        subcategory: "gateway",
        versions: &[(
            "7.0.2",
            "sbom/alpine-images/spdx-trivy-docker_ucp-etcd-sha256:49300aa0efb97e8a9a2c97e1f5564c91483b7686337584a15127d19bcc7ba989.json",
        )],
    },
    DemoProduct {
        vendor: 0,
        name: "ログ検索エージェント",
        name_en: "Log search agent",
        model: "LSA",
        category: "software",
        description: "サーバーのログを高速に検索するエージェント。",
        claims: "",
        support_end: "",
        public: true,
        subcategory: "agent",
        versions: &[
            ("11.0.2", "lockfiles/ripgrep-11.0.2/Cargo.lock"),
            ("14.1.0", "lockfiles/ripgrep-head-control/Cargo.lock"),
        ],
    },
    DemoProduct {
        vendor: 0,
        name: "次期 IoT カメラ（開発中）",
        name_en: "Next IoT camera (in development)",
        model: "CAM-X",
        category: "iot_device",
        description: "発表前の製品。ベンダーと制度事務局だけが見られます。",
        claims: "",
        support_end: "",
        public: false,
        subcategory: "camera",
        versions: &[],
    },
];

/// The demo's vendor organisations for products: the demo provider (whose logins manage its
/// products) and two more.
const VENDOR_COUNT: usize = 3;

impl App {
    /// Registers the demo products once (without files), two trusted verification bodies (with a
    /// tester login for the first) and verification cases in every state and of every kind.
    pub(crate) async fn seed_verification(&self, vendors: &[(i64, String)]) -> Result<()> {
        self.seed_products(vendors).await?;
        self.seed_priorities(vendors).await?;
        self.seed_cases(vendors).await?;
        self.seed_reviews(vendors).await
    }

    /// An expert panel with the demo expert, and candid reviews: praise with reservations, a
    /// critical one the vendor replied to, and one the vendor disputed and the office hid.
    async fn seed_reviews(&self, vendors: &[(i64, String)]) -> Result<()> {
        let sys = "system:demo";
        let panel = self
            .create_org(
                sys,
                OrgKind::ExpertPanel,
                "セキュリティ製品評価 有識者会議（架空）",
                "Security Product Review Panel (fictitious)",
            )
            .await?;
        self.create_user(
            sys,
            crate::identity::NewUser {
                email: crate::demo::DEMO_LOGINS[6].email.into(),
                display_name: "評価 三郎".into(),
                password: crate::demo::DEMO_PASSWORD.into(),
                is_operator: false,
                org: Some((panel, MembershipRole::Member)),
            },
        )
        .await?;
        let expert = Actor {
            user_id: 0,
            name: "評価 三郎".into(),
            email: "system:demo".into(),
            is_operator: false,
            memberships: vec![Membership {
                org_id: panel,
                kind: OrgKind::ExpertPanel,
                role: MembershipRole::Member,
                org_name: String::new(),
            }],
            token_scopes: None,
        };
        let office = Actor { is_operator: true, ..expert.clone() };
        let ids: Vec<i64> = vendors.iter().map(|v| v.0).collect();
        let products = self.store.products_of(&ids).await?;
        let v = self.verification();
        // (product, title, strengths, weaknesses, scores, vendor reply, dispute, hide)
        type DemoReview<'a> = (&'a str, &'a str, &'a str, &'a str, [i64; 3], &'a str, &'a str, &'a str);
        let reviews: [DemoReview<'_>; 4] = [
            (
                "セキュアゲート UTM-300",
                "防御は堅実、管理画面の設定項目が多すぎる",
                "既知の攻撃通信の遮断率は試験した 500 件中 497 件。シグネチャ更新も毎日届いた。",
                "管理画面の設定項目が多く、中小企業の担当者が初期設定だけで使うのは難しい。スループットは IPS 有効時に公称値の 6 割。",
                [6, 4, 3],
                "",
                "",
                "",
            ),
            (
                "ホクト 家庭用ルーター HR-200",
                "初期パスワードが全台共通、更新は手動",
                "設定画面は分かりやすく、Wi-Fi の設定は 5 分で終わった。",
                "初期パスワードが全台で共通（ラベルに印字なし）。ファームウェアの自動更新は既定で無効。",
                [2, 5, 4],
                "ご指摘ありがとうございます。2.1.0 で機器ごとの初期パスワードと自動更新の既定有効化に対応します（2027年1月予定）。",
                "",
                "",
            ),
            (
                "まもりタブレット MT-10",
                "遠隔消去は確実、動作はやや重い",
                "紛失時の遠隔消去は 10 回の試験すべてで 2 分以内に完了した。",
                "業務アプリを 3 つ同時に開くと動作が遅くなる。",
                [5, 3, 5],
                "",
                "",
                "",
            ),
            (
                "スマートロック SL-1",
                "解錠ログは改ざんできる",
                "",
                "解錠履歴は端末内の平文ファイルで、アプリから書き換えられた。開発元は技術力が低い。",
                [1, 4, 4],
                "",
                "「開発元は技術力が低い」は製品の評価ではなく、事実に基づかない記述です。削除を求めます。",
                "製品の評価を超えた開発元への記述があり、レビューの方針（製品の事実に基づく評価）に反するため非表示にしました。",
            ),
        ];
        for (name, title, strengths, weaknesses, scores, reply, dispute, hide) in reviews {
            let Some(row) = products.iter().find(|r| r.name == name && r.public) else { continue };
            let input = domain::verification::review::ReviewInput {
                title: title.into(),
                version: String::new(),
                strengths: strengths.into(),
                weaknesses: weaknesses.into(),
                protection: scores[0].to_string(),
                performance: scores[1].to_string(),
                usability: scores[2].to_string(),
            };
            let id = v.publish_review(&expert, ProductId(row.id), &input).await?;
            let vendor = vendor_actor(row.vendor_org_id, "");
            if !reply.is_empty() {
                v.reply_review(&vendor, id, reply).await?;
            }
            if !dispute.is_empty() {
                v.dispute_review(&vendor, id, dispute).await?;
            }
            if !hide.is_empty() {
                v.hide_review(&office, id, hide).await?;
            }
        }
        Ok(())
    }

    async fn seed_products(&self, vendors: &[(i64, String)]) -> Result<()> {
        for p in PRODUCTS {
            let (org, name) = &vendors[p.vendor % vendors.len().min(VENDOR_COUNT)];
            let actor = vendor_actor(*org, name);
            let input = ProductInput {
                name: p.name.into(),
                name_en: p.name_en.into(),
                model: p.model.into(),
                category: p.category.into(),
                description: p.description.into(),
                claims: p.claims.into(),
                support_end: p.support_end.into(),
                vuln_contact: "psirt@example.jp".into(),
                public: p.public,
                subcategory: p.subcategory.into(),
            };
            let id = self.verification().register_product(&actor, OrgId(*org), &input).await?;
            // the versions exist from the start (their SBOMs are attached later, when the shared
            // data is there), so the cases' findings have a version to belong to
            let mut tx = self.store.begin().await?;
            for (version, _) in p.versions {
                tx.version_or_insert(id.0, version, self.now()).await?;
            }
            tx.commit().await?;
        }
        Ok(())
    }

    /// The office's view of the deck's FY2019 study devices and the plant gateway.
    async fn seed_priorities(&self, vendors: &[(i64, String)]) -> Result<()> {
        use domain::verification::priority::PriorityAttrs as P;
        let ids: Vec<i64> = vendors.iter().map(|v| v.0).collect();
        let products = self.store.products_of(&ids).await?;
        let rated = [
            ("ホクト 家庭用ルーター HR-200", P { data: 2, physical: 1, connectivity: 3, investment: 1 }),
            ("まもりタブレット MT-10", P { data: 3, physical: 1, connectivity: 2, investment: 2 }),
            ("スマートロック SL-1", P { data: 1, physical: 3, connectivity: 2, investment: 1 }),
            ("プラント監視ゲートウェイ PG-7", P { data: 2, physical: 3, connectivity: 2, investment: 2 }),
            ("次期 IoT カメラ（開発中）", P { data: 2, physical: 1, connectivity: 3, investment: 0 }),
        ];
        for (name, attrs) in rated {
            if let Some(p) = products.iter().find(|p| p.name == name) {
                self.verification().set_priority_attrs(None, ProductId(p.id), attrs).await?;
            }
        }
        self.verification().set_priority_weights(None, Default::default()).await
    }

    async fn seed_cases(&self, vendors: &[(i64, String)]) -> Result<()> {
        use domain::verification::ProductCategory as PC;
        use domain::verification::case::{CaseKind as K, CasePlan, CaseTransition as T};
        let sys = "system:demo";
        let b1 = self
            .create_org(
                sys,
                OrgKind::VerificationBody,
                "一般社団法人 日本IoT検証センター（架空）",
                "Japan IoT Verification Center (fictitious)",
            )
            .await?;
        let b2 = self
            .create_org(
                sys,
                OrgKind::VerificationBody,
                "株式会社 サイバー実証ラボ（架空）",
                "Cyber Proving Lab (fictitious)",
            )
            .await?;
        let valid = self.now() + 3 * 365 * 86_400;
        self.verification()
            .trust_body(
                None,
                b1,
                &K::ALL,
                &PC::ALL,
                "有効性検証・実環境試行・実攻撃検証のすべてに対応。ICS テストベッドを保有。",
                &[
                    ("people", "情報処理安全確保支援士 6 名、GICSP 2 名、検証業務の経験 5 年以上の主任 3 名"),
                    ("tools", "ICS テストベッド（PLC 4 機種）、電波暗室、ファジング環境、通信キャプチャ装置"),
                    ("process", "検証計画書 → 実施記録 → 報告書 → 品質責任者のレビュー（手順書 QP-01〜05）"),
                    ("attack_data", "JVN・NVD・ICS-CERT の購読、自社の攻撃データセット（四半期ごとに更新）"),
                    ("manual", "検証業務マネジメントマニュアル 第4版（理事長承認）"),
                    ("security", "ISO/IEC 27001 認証、検体と結果は施錠区画で保管し 5 年後に消去"),
                ],
                valid,
            )
            .await?;
        self.verification()
            .trust_body(
                None,
                b2,
                &[K::Effectiveness, K::WhiteHat],
                &[PC::IotDevice, PC::ControlSystem],
                "IoT 機器と制御システムの実攻撃検証に特化。",
                &[
                    ("people", "OSCP 4 名、情報処理安全確保支援士 2 名"),
                    ("tools", "ファームウェア解析環境、SDR、JTAG/UART デバッガ"),
                    ("process", "ルール・オブ・エンゲージメントの合意 → 実攻撃 → 報告 → 再試験"),
                    ("attack_data", "公開エクスプロイトの検証済みコレクション（月次更新）"),
                    ("manual", "実証業務マニュアル 第2版（代表取締役承認）"),
                    ("security", "ISMS 認証、検体の受領・返却記録"),
                ],
                valid,
            )
            .await?;
        self.create_user(
            sys,
            crate::identity::NewUser {
                email: crate::demo::DEMO_LOGINS[5].email.into(),
                display_name: "検証 次郎".into(),
                password: crate::demo::DEMO_PASSWORD.into(),
                is_operator: false,
                org: Some((b1, MembershipRole::Member)),
            },
        )
        .await?;
        let host = self.store.orgs(Some(OrgKind::Sme.code())).await?.first().map(|o| o.id);
        let ids: Vec<i64> = vendors.iter().map(|v| v.0).collect();
        let products = self.store.products_of(&ids).await?;
        let white_hat = CasePlan {
            scope: "管理画面（HTTPS）、Wi-Fi、ファームウェア更新機能".into(),
            time_windows: "平日 10:00–17:00（日本時間）".into(),
            allowed_techniques: "ポートスキャン、ファジング、認証回避の試行、ファームウェア解析".into(),
            out_of_scope: "クラウド管理サービスの本番環境".into(),
            stages: vec!["build_operate".into(), "maintenance".into(), "sbom".into()],
            ..Default::default()
        };
        let trial = CasePlan {
            host_org_id: host,
            trial_from: "2026-10-01".into(),
            trial_until: "2027-03-31".into(),
            ..Default::default()
        };
        // (product, body, kind, steps after the request, plan, decision)
        type DemoCase<'a> = (&'a str, i64, K, &'a [T], Option<&'a CasePlan>, &'a str);
        let plan: [DemoCase<'_>; 8] = [
            (
                "セキュアゲート UTM-300",
                b1,
                K::Effectiveness,
                &[T::Scope, T::Start, T::SubmitFindings, T::Decide, T::Publish],
                None,
                "pass",
            ),
            ("ホクト 家庭用ルーター HR-200", b2, K::WhiteHat, &[T::Scope, T::Start], Some(&white_hat), ""),
            ("まもりタブレット MT-10", b1, K::Trial, &[T::Scope], Some(&trial), ""),
            ("スマートロック SL-1", b1, K::WhiteHat, &[T::Scope, T::Start, T::SubmitFindings], Some(&white_hat), ""),
            (
                "プラント監視ゲートウェイ PG-7",
                b2,
                K::Effectiveness,
                &[T::Scope, T::Start, T::SubmitFindings, T::Decide],
                None,
                "conditional",
            ),
            ("ログ検索エージェント", b1, K::Effectiveness, &[], None, ""),
            ("次期 IoT カメラ（開発中）", b1, K::WhiteHat, &[T::Withdraw], None, ""),
            ("次期 IoT カメラ（開発中）", b2, K::WhiteHat, &[T::Cancel], None, ""),
        ];
        for (name, body, kind, steps, p, decision) in plan {
            let Some(row) = products.iter().find(|r| r.name == name) else { continue };
            let vendor = vendor_actor(row.vendor_org_id, "");
            let v = self.verification();
            let case =
                v.request_case(&vendor, ProductId(row.id), None, body, kind, "デモ: 検証をお願いします。").await?;
            for t in steps {
                let input = crate::verification::cases::CaseStepInput {
                    plan: p.cloned(),
                    decision: decision.into(),
                    comment: match t {
                        T::Decide => "全ての主張を試験で確認しました。".into(),
                        T::Withdraw => "発売計画の見直しのため取り下げます。".into(),
                        T::Cancel => "試験環境を用意できないため中止します。".into(),
                        _ => String::new(),
                    },
                };
                if *t == T::Decide && kind == K::Effectiveness {
                    let d = v.case_detail(Some(&body_actor(body)), case).await?;
                    let claims: Vec<(String, String)> = d
                        .case
                        .plan
                        .claims
                        .iter()
                        .enumerate()
                        .map(|(i, _)| {
                            (
                                format!("試験記録 T-{:03}", i + 1),
                                if decision == "pass" || i > 0 { "met".into() } else { "partly".into() },
                            )
                        })
                        .collect();
                    // claims are recorded while testing: back one step, record, forward again
                    v.case_step(&body_actor(body), case, T::Resume, &input).await?;
                    v.record_claims(&body_actor(body), case, &claims).await?;
                    v.case_step(&body_actor(body), case, T::SubmitFindings, &input).await?;
                }
                if *t == T::SubmitFindings && kind == K::WhiteHat {
                    for (title, vector, what, how) in [
                        (
                            "管理画面の認証回避",
                            "CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                            "細工した Cookie で、パスワードなしに管理画面へ入れる。",
                            "1. 同じネットワークから管理画面を開く\n2. Cookie admin=1 を付けて /admin にアクセスする",
                        ),
                        (
                            "Bluetooth ペアリングの総当たり",
                            "CVSS:4.0/AV:A/AC:L/AT:N/PR:N/UI:N/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N",
                            "ペアリング PIN の試行回数に制限がない。",
                            "1. 市販の BLE ツールで接続する\n2. PIN 0000–9999 を順に試す",
                        ),
                    ] {
                        let input = domain::verification::case::ManualFindingInput {
                            title: title.into(),
                            vector: vector.into(),
                            description: what.into(),
                            reproduction: how.into(),
                        };
                        v.add_manual_finding(&body_actor(body), case, &input, &[]).await?;
                    }
                }
                let who = match t {
                    T::Publish | T::Withdraw => vendor.clone(),
                    _ => body_actor(body),
                };
                v.case_step(&who, case, *t, &input).await?;
            }
        }
        Ok(())
    }

    /// Attaches the demo products' SBOMs and lockfiles from the shared test data (`dir`), each
    /// through the vendor's upload use case, so jobs scan them. Versions that already have a
    /// file are left alone; missing files are skipped. Returns how many files were queued.
    pub async fn attach_demo_sboms(&self, dir: &Path) -> Result<usize> {
        let mut queued = 0;
        let vendor_orgs: Vec<store::OrgRow> =
            self.store.orgs(None).await?.into_iter().filter(|o| o.kind == OrgKind::Vendor.code()).collect();
        let ids: Vec<i64> = vendor_orgs.iter().map(|o| o.id).collect();
        let products = self.store.products_of(&ids).await?;
        for p in PRODUCTS {
            let Some(row) = products.iter().find(|r| r.name == p.name) else { continue };
            let org =
                vendor_orgs.iter().find(|o| o.id == row.vendor_org_id).map(|o| o.name.clone()).unwrap_or_default();
            let actor = vendor_actor(row.vendor_org_id, &org);
            let versions = self.store.product_versions(row.id).await?;
            for (version, rel) in p.versions {
                if let Some(v) = versions.iter().find(|v| v.version == *version)
                    && !self.store.product_files(v.id).await?.is_empty()
                {
                    continue;
                }
                let path = dir.join(rel);
                let Ok(data) = std::fs::read(&path) else {
                    tracing::warn!(file = %path.display(), "demo SBOM not found; skipped");
                    continue;
                };
                let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
                self.verification().upload_sbom(&actor, ProductId(row.id), version, &name, &data).await?;
                queued += 1;
            }
        }
        Ok(queued)
    }

    /// Attaches real evidence from the shared test data to the demo's white-hat case under way:
    /// the product's SBOM and two captures (a telnet login and an MQTT connect with a password,
    /// both in clear), through the body's evidence use case, so jobs scan and analyse them. A
    /// case that has evidence is left alone.
    pub async fn attach_demo_captures(&self, dir: &Path) -> Result<usize> {
        const CAPTURES: [&str; 2] = [
            "pcap/suricata-verify/tests/telnet/telnet-01/telnet.pcap",
            "pcap/suricata-verify/tests/mqtt5-pub-userpass/input.pcap",
        ];
        let cases = self.store.cases_for(&[], &[], true).await?;
        let Some(case) = cases.iter().find(|c| c.kind == "white_hat" && c.state == "in_progress") else {
            return Ok(0);
        };
        if !self.store.case_evidence(case.id).await?.is_empty() {
            return Ok(0);
        }
        let tester = body_actor(case.body_org_id);
        let mut queued = 0;
        // the product's own SBOM as the case's evidence, for the version under test
        let product = self.store.product(case.product_id).await?;
        if let Some((version, rel)) = PRODUCTS.iter().find(|p| p.name == product.name).and_then(|p| p.versions.first())
            && let Ok(data) = std::fs::read(dir.join(rel))
        {
            let mut w = self.blob_writer(self.config.max_capture_bytes).await?;
            w.write(&data).await?;
            let staged = w.finish().await?;
            // the vendor hands its SBOM of the version under test to the body
            self.verification()
                .add_evidence(
                    &vendor_actor(case.vendor_org_id, ""),
                    domain::verification::case::CaseId(case.id),
                    Some(domain::verification::case::EvidenceKind::Sbom),
                    "sbom.spdx.json",
                    "application/spdx+json",
                    &staged,
                    "",
                    version,
                )
                .await?;
            queued += 1;
        }
        for rel in CAPTURES {
            let path = dir.join(rel);
            let Ok(data) = std::fs::read(&path) else {
                tracing::warn!(file = %path.display(), "demo capture not found; skipped");
                continue;
            };
            let mut w = self.blob_writer(self.config.max_capture_bytes).await?;
            w.write(&data).await?;
            let staged = w.finish().await?;
            let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
            self.verification()
                .add_evidence(
                    &tester,
                    domain::verification::case::CaseId(case.id),
                    Some(domain::verification::case::EvidenceKind::Capture),
                    &name,
                    "application/vnd.tcpdump.pcap",
                    &staged,
                    "",
                    "",
                )
                .await?;
            queued += 1;
        }
        Ok(queued)
    }
}

/// The demo's stand-in for a body's tester (the demo writes through the use cases).
fn body_actor(org_id: i64) -> Actor {
    Actor {
        user_id: 0,
        name: "検証 次郎".into(),
        email: "system:demo".into(),
        is_operator: false,
        memberships: vec![Membership {
            org_id,
            kind: OrgKind::VerificationBody,
            role: MembershipRole::Member,
            org_name: String::new(),
        }],
        token_scopes: None,
    }
}

/// The demo's stand-in for a vendor's staff (the demo writes through the use cases).
fn vendor_actor(org_id: i64, org_name: &str) -> Actor {
    Actor {
        user_id: 0,
        name: "demo".into(),
        email: "system:demo".into(),
        is_operator: false,
        memberships: vec![Membership {
            org_id,
            kind: OrgKind::Vendor,
            role: MembershipRole::Admin,
            org_name: org_name.into(),
        }],
        token_scopes: None,
    }
}

/// Package names the generated products' components are drawn from (`bench-pkg-0` …).
pub const SCALE_POOL: usize = 20_000;

impl App {
    /// Generated products for load tests: `n` public products over `n / 10` vendors, each with
    /// one version whose SBOM lists `components` npm packages drawn from a pool of
    /// [`SCALE_POOL`] names (`bench-pkg-K` at `1.0.0`–`1.0.9`). Written in bulk straight to the
    /// store (no scan: the advisory index decides later what they match). Tops up to `n`.
    pub async fn seed_product_scale(
        &self,
        n: usize,
        components: usize,
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> Result<usize> {
        let have = self.store.counter("demo_product_scale").await? as usize;
        if n <= have {
            return Ok(0);
        }
        let now = self.now();
        let mut vendor = (0i64, String::new());
        let mut i = have;
        while i < n {
            let mut tx = self.store.begin().await?;
            let end = (i + 200).min(n);
            for k in i..end {
                if k % 10 == 0 || vendor.0 == 0 {
                    let name = format!("ベンチ製造業者 {:05}", k / 10);
                    vendor = (
                        tx.insert_org(OrgKind::Vendor.code(), &name, &format!("Bench vendor {:05}", k / 10), now)
                            .await?,
                        name,
                    );
                }
                let p = domain::verification::Product {
                    name: format!("ベンチ製品 {k:06} ルーター"),
                    name_en: format!("Bench product {k:06} router"),
                    model: format!("BR-{k:06}"),
                    category: domain::verification::ProductCategory::ALL[k % 4],
                    description: "負荷試験用に生成した製品".into(),
                    claims: Vec::new(),
                    support_end: None,
                    vuln_contact: "psirt@example.jp".into(),
                    public: true,
                    subcategory: String::new(),
                };
                let w = store::ProductWrite {
                    name: p.name.clone(),
                    name_en: p.name_en.clone(),
                    model: p.model.clone(),
                    category: p.category.code().into(),
                    description: p.description.clone(),
                    claims_json: "[]".into(),
                    support_end: None,
                    vuln_contact: p.vuln_contact.clone(),
                    public: true,
                    search_text: p.search_text(&vendor.1),
                    subcategory: String::new(),
                };
                let pid = tx.insert_product(vendor.0, &w, now).await?;
                let (vid, _) = tx.version_or_insert(pid, "1.0", now).await?;
                let comps: Vec<store::ComponentWrite> = (0..components)
                    .map(|j| {
                        let name = format!("bench-pkg-{}", (k * 7919 + j * 131) % SCALE_POOL);
                        let version = format!("1.0.{}", (k + j) % 10);
                        store::ComponentWrite {
                            ecosystem: "npm".into(),
                            purl: Some(format!("pkg:npm/{name}@{version}")),
                            name,
                            version,
                        }
                    })
                    .collect();
                tx.replace_components(vid, &comps).await?;
            }
            store::Store::add_to_counter(&mut tx, "demo_product_scale", (end - i) as i64).await?;
            store::Store::next_counter(&mut tx, super::index::LIST_VERSION).await?;
            tx.commit().await?;
            i = end;
            progress(i - have, n - have);
        }
        self.products_index.invalidate();
        Ok(n - have)
    }
}

/// How far back the demo's label history starts: its SBOMs are scanned and its labels issued this
/// long ago, so the automatic suspension (a critical finding open past 30 days) has happened by
/// the time the demo opens.
pub const DEMO_LABEL_AGE: i64 = 40 * 86_400;

impl App {
    /// Whether the demo still needs its labels (none issued yet).
    pub async fn demo_needs_labels(&self) -> Result<bool> {
        Ok(self.store.labels(None, 1, 0).await?.0 == 0)
    }

    /// The demo's labels, issued through the use cases on the products whose SBOMs were scanned:
    /// each gets a white-hat case by the first trusted body against JC-STAR ★1 with every item
    /// evidenced, a pass and the vendor's consent to publish. Then one label is revoked by the
    /// body, and one is issued two years and a day earlier on the clock so that the watch
    /// expires it. Run with the clock [`DEMO_LABEL_AGE`] back; the caller moves it forward and
    /// runs the watch, which suspends the labels whose versions keep a critical finding open.
    pub async fn seed_demo_labels(&self) -> Result<usize> {
        use domain::verification::case::{CaseKind as K, CasePlan, CaseTransition as T};
        let v = self.verification();
        let bodies = v.trusted_bodies().await?;
        let Some(body) = bodies.iter().find(|b| b.kinds.contains(&K::WhiteHat) && b.categories.len() == 4) else {
            return Ok(0);
        };
        let body = body.row.org_id;
        let vendor_orgs: Vec<store::OrgRow> =
            self.store.orgs(None).await?.into_iter().filter(|o| o.kind == OrgKind::Vendor.code()).collect();
        let ids: Vec<i64> = vendor_orgs.iter().map(|o| o.id).collect();
        let products = self.store.products_of(&ids).await?;
        // (product row, version, critical open findings)
        let mut candidates = Vec::new();
        for p in PRODUCTS {
            let Some(row) = products.iter().find(|r| r.name == p.name) else { continue };
            for ver in self.store.product_versions(row.id).await? {
                if self.store.product_files(ver.id).await?.is_empty() {
                    continue;
                }
                let findings = self.store.findings(ver.id).await?;
                let first = findings.iter().filter(|f| f.source != "manual").map(|f| f.advisory_id.clone()).min();
                candidates.push((row.clone(), ver.version.clone(), findings.len(), first));
            }
        }
        let plan = CasePlan {
            scope: "JC-STAR ★1 の適合基準に基づく文書審査と実機検証".into(),
            time_windows: "平日 10:00–17:00（日本時間）".into(),
            allowed_techniques: "ポートスキャン、認証の試行、通信の観察".into(),
            out_of_scope: "クラウド管理サービスの本番環境".into(),
            stages: vec!["build_operate".into(), "maintenance".into(), "sbom".into()],
            ..Default::default()
        };
        let tester = body_actor(body);
        let mut issued = Vec::new();
        // most findings first; the expired one (the fewest) is issued first of all, two years
        // and a day further back
        candidates.sort_by_key(|c| std::cmp::Reverse(c.2));
        if candidates.len() > 2 {
            candidates.rotate_right(1);
        }
        let expire_back = domain::verification::label::VALIDITY_SECS + 86_400;
        for (i, (row, version, _, _)) in candidates.iter().enumerate() {
            let old = i == 0 && candidates.len() > 2;
            if old {
                self.clock.advance(-expire_back);
            }
            let vendor = vendor_actor(row.vendor_org_id, "");
            let case = v
                .request_case(
                    &vendor,
                    ProductId(row.id),
                    Some(version),
                    body,
                    K::WhiteHat,
                    "デモ: JC-STAR ★1 の検証をお願いします。",
                )
                .await?;
            let input = |decision: &str, comment: &str| crate::verification::cases::CaseStepInput {
                plan: Some(plan.clone()),
                decision: decision.into(),
                comment: comment.into(),
            };
            v.case_step(&tester, case, T::Scope, &input("", "")).await?;
            v.case_step(&tester, case, T::Start, &input("", "")).await?;
            v.pick_checklist(&tester, case, "jc-star-1@2025.1").await?;
            for item in v.case_checklist(Some(&tester), case).await?.items {
                if item.verdict != domain::verification::checklist::Verdict::Pass {
                    v.set_verdict(&tester, case, &item.item.id, "pass", &[], "デモ: 文書と実機で確認しました。")
                        .await?;
                }
            }
            v.case_step(&tester, case, T::SubmitFindings, &input("", "")).await?;
            v.case_step(&tester, case, T::Decide, &input("pass", "JC-STAR ★1 の全項目に適合しました。")).await?;
            v.case_step(&vendor, case, T::Publish, &input("", "")).await?;
            if old {
                self.clock.advance(expire_back);
            }
            if let Some(l) = self.store.label_of_case(case.0).await? {
                issued.push(l.id);
            }
        }
        // the office marks a real advisory found in the most-affected labelled version as known
        // exploited: left open past the deadline, the watch suspends that label
        if let Some((_, _, _, Some(advisory))) = candidates.get(1) {
            let office = Actor { is_operator: true, ..body_actor(body) };
            v.set_known_exploited(&office, advisory, true).await?;
        }
        // the body revokes the last one (a withdrawn product line)
        if let Some(id) = issued.last().copied().filter(|_| issued.len() > 3) {
            v.label_step(
                Some(&tester),
                id,
                domain::verification::label::LabelTransition::Revoke,
                "ベンダーが当該バージョンの販売と保守を終了したため取り消します。",
            )
            .await?;
        }
        Ok(issued.len())
    }
}
