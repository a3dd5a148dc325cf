//! The public list's read model: an in-memory index of public services, rebuilt from the
//! store when the list version changes. Every `serve` process keeps its own copy and checks
//! the version counter in the database (at most once a second, at once after its own writes),
//! so processes behind a load balancer converge within a second and hold no state of their own.
//!
//! Japanese has no spaces between words, so the index keys are character bigrams (and single
//! characters) of the NFKC-normalised text; a query's keys are intersected, then each
//! candidate is confirmed by a substring test. Sorting orders are precomputed.

use std::collections::HashMap;
use std::sync::Arc;

use domain::registry::{Category, INDUSTRIES, REGIONS, ServiceStatus, SubCategory};
use domain::search;
use roaring::RoaringBitmap;

use crate::Result;
use crate::registry::LIST_VERSION;
use crate::search::{Refreshing, TextIndex, Versioned};

/// One public service as the list shows it.
#[derive(Debug, Clone)]
pub struct ListItem {
    pub id: i64,
    pub name: Box<str>,
    pub provider_name: Arc<str>,
    pub provider_name_en: Arc<str>,
    pub body_org_id: i64,
    pub category: Category,
    pub subcategory: Option<SubCategory>,
    pub status: ServiceStatus,
    pub ledger_number: Box<str>,
    pub listed_at: i64,
    pub valid_until: i64,
    pub updated_at: i64,
    pub regions: u32,
    pub industries: u32,
}

impl ListItem {
    pub fn region_codes(&self) -> Vec<&'static str> {
        REGIONS.iter().enumerate().filter(|(i, _)| self.regions & (1 << i) != 0).map(|(_, r)| r.0).collect()
    }
    pub fn industry_codes(&self) -> Vec<&'static str> {
        INDUSTRIES.iter().enumerate().filter(|(i, _)| self.industries & (1 << i) != 0).map(|(_, r)| r.0).collect()
    }
}

/// Which statuses a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StatusFilter {
    /// Listed or change under review: what a buyer can rely on today.
    #[default]
    Registered,
    One(ServiceStatus),
    /// Every public status.
    All,
}

impl StatusFilter {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "" | "registered" => Some(StatusFilter::Registered),
            "all" => Some(StatusFilter::All),
            s => ServiceStatus::parse(s).filter(|s| s.is_public()).map(StatusFilter::One),
        }
    }
    pub fn code(self) -> &'static str {
        match self {
            StatusFilter::Registered => "registered",
            StatusFilter::All => "all",
            StatusFilter::One(s) => s.code(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    #[default]
    Ledger,
    Name,
    Newest,
    Expiry,
}

impl Sort {
    pub const ALL: [Sort; 4] = [Sort::Ledger, Sort::Name, Sort::Newest, Sort::Expiry];
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.code() == s).or(if s.is_empty() { Some(Sort::Ledger) } else { None })
    }
    pub fn code(self) -> &'static str {
        match self {
            Sort::Ledger => "ledger",
            Sort::Name => "name",
            Sort::Newest => "newest",
            Sort::Expiry => "expiry",
        }
    }
    pub fn label(self, en: bool) -> &'static str {
        match (self, en) {
            (Sort::Ledger, false) => "登録番号順",
            (Sort::Ledger, true) => "Ledger number",
            (Sort::Name, false) => "名称順",
            (Sort::Name, true) => "Name",
            (Sort::Newest, false) => "登録日の新しい順",
            (Sort::Newest, true) => "Newest first",
            (Sort::Expiry, false) => "有効期限の近い順",
            (Sort::Expiry, true) => "Expiring soonest",
        }
    }
}

/// A validated list query.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub q: String,
    pub category: Option<Category>,
    pub subcategory: Option<SubCategory>,
    pub region: Option<usize>,
    pub industry: Option<usize>,
    pub body: Option<i64>,
    pub status: StatusFilter,
    pub sort: Sort,
    /// 1-based.
    pub page: usize,
    pub per_page: usize,
}

pub const MAX_PER_PAGE: usize = 100;
pub const MAX_QUERY_CHARS: usize = 100;

/// The answer to a list query.
#[derive(Debug, Clone)]
pub struct ListResult {
    pub total: usize,
    pub page: usize,
    pub per_page: usize,
    pub items: Vec<ListItem>,
    /// Matches per category under every filter but the category one.
    pub category_counts: Vec<(Category, usize)>,
}

impl ListResult {
    pub fn pages(&self) -> usize {
        self.total.div_ceil(self.per_page.max(1)).max(1)
    }
}

/// An immutable index over one version of the public list.
#[derive(Default)]
pub struct Snapshot {
    pub version: i64,
    items: Vec<ListItem>,
    text: TextIndex,
    /// Registration bodies, for the list's filter.
    pub bodies: Vec<store::OrgRow>,
    orders: [Vec<u32>; 4],
    /// rank[sort][item]: the item's position in that order.
    ranks: [Vec<u32>; 4],
    by_category: Vec<RoaringBitmap>,
    by_subcategory: Vec<RoaringBitmap>,
    by_status: Vec<RoaringBitmap>,
    by_region: Vec<RoaringBitmap>,
    by_industry: Vec<RoaringBitmap>,
    by_body: HashMap<i64, RoaringBitmap>,
}

impl Snapshot {
    pub fn build(version: i64, rows: Vec<store::PublicRow>) -> Snapshot {
        let mut b = SnapshotBuilder::new(version);
        for r in rows {
            b.add(r);
        }
        b.finish(Vec::new())
    }
}

impl Versioned for Snapshot {
    fn version(&self) -> i64 {
        self.version
    }
}

/// Builds a snapshot row by row (rows stream in from the store).
pub struct SnapshotBuilder {
    version: i64,
    items: Vec<ListItem>,
    text: TextIndex,
    names: HashMap<String, (Arc<str>, Arc<str>)>,
}

impl SnapshotBuilder {
    pub fn new(version: i64) -> Self {
        SnapshotBuilder { version, items: Vec::new(), text: TextIndex::default(), names: HashMap::new() }
    }

    pub fn add(&mut self, r: store::PublicRow) {
        let (Some(category), Some(status)) = (Category::parse(&r.category), ServiceStatus::parse(&r.status)) else {
            return;
        };
        self.text.push(&r.search_text);
        let (pn, pe) = self
            .names
            .entry(r.provider_name.clone())
            .or_insert_with(|| (Arc::from(r.provider_name.as_str()), Arc::from(r.provider_name_en.as_str())))
            .clone();
        self.items.push(ListItem {
            id: r.id,
            name: r.name.into_boxed_str(),
            provider_name: pn,
            provider_name_en: pe,
            body_org_id: r.body_org_id,
            category,
            subcategory: r.subcategory.as_deref().and_then(SubCategory::parse),
            status,
            ledger_number: r.ledger_number.unwrap_or_default().into_boxed_str(),
            listed_at: r.listed_at.unwrap_or(0),
            valid_until: r.valid_until.unwrap_or(0),
            updated_at: r.updated_at,
            regions: mask(&r.regions, REGIONS),
            industries: mask(&r.industries, INDUSTRIES),
        });
    }

    pub fn finish(self, bodies: Vec<store::OrgRow>) -> Snapshot {
        let SnapshotBuilder { version, items, mut text, names: _ } = self;
        text.shrink_to_fit();
        let n = items.len() as u32;
        let sorted = |f: &dyn Fn(&ListItem, &ListItem) -> std::cmp::Ordering| {
            let mut v: Vec<u32> = (0..n).collect();
            v.sort_by(|a, b| f(&items[*a as usize], &items[*b as usize]));
            v
        };
        let names: Vec<String> = items.iter().map(|i| search::normalize(&i.name)).collect();
        let names = &names;
        let by_name = {
            let mut v: Vec<u32> = (0..n).collect();
            v.sort_by(|a, b| names[*a as usize].cmp(&names[*b as usize]).then(a.cmp(b)));
            v
        };
        let orders = [
            sorted(&|a, b| a.ledger_number.cmp(&b.ledger_number).then(a.id.cmp(&b.id))),
            by_name,
            sorted(&|a, b| b.listed_at.cmp(&a.listed_at).then(b.id.cmp(&a.id))),
            sorted(&|a, b| a.valid_until.cmp(&b.valid_until).then(a.id.cmp(&b.id))),
        ];
        let ranks = orders.clone().map(|o| {
            let mut r = vec![0u32; o.len()];
            for (pos, i) in o.iter().enumerate() {
                r[*i as usize] = pos as u32;
            }
            r
        });
        let mut by_category = vec![RoaringBitmap::new(); Category::ALL.len()];
        let mut by_subcategory = vec![RoaringBitmap::new(); SubCategory::ALL.len()];
        let mut by_status = vec![RoaringBitmap::new(); ServiceStatus::ALL.len()];
        let mut by_region = vec![RoaringBitmap::new(); REGIONS.len()];
        let mut by_industry = vec![RoaringBitmap::new(); INDUSTRIES.len()];
        let mut by_body: HashMap<i64, RoaringBitmap> = HashMap::new();
        for (i, it) in items.iter().enumerate() {
            let i = i as u32;
            by_category[Category::ALL.iter().position(|c| *c == it.category).unwrap_or(0)].insert(i);
            if let Some(sc) = it.subcategory {
                by_subcategory[SubCategory::ALL.iter().position(|c| *c == sc).unwrap_or(0)].insert(i);
            }
            by_status[ServiceStatus::ALL.iter().position(|c| *c == it.status).unwrap_or(0)].insert(i);
            for (r, b) in by_region.iter_mut().enumerate() {
                if it.regions & (1 << r) != 0 {
                    b.insert(i);
                }
            }
            for (r, b) in by_industry.iter_mut().enumerate() {
                if it.industries & (1 << r) != 0 {
                    b.insert(i);
                }
            }
            by_body.entry(it.body_org_id).or_default().insert(i);
        }
        Snapshot {
            version,
            items,
            text,
            bodies,
            orders,
            ranks,
            by_category,
            by_subcategory,
            by_status,
            by_region,
            by_industry,
            by_body,
        }
    }
}

impl Snapshot {
    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    fn order_index(s: Sort) -> usize {
        match s {
            Sort::Ledger => 0,
            Sort::Name => 1,
            Sort::Newest => 2,
            Sort::Expiry => 3,
        }
    }

    /// Runs a query; `all` returns every match (exports) instead of one page.
    /// Filters are bitmap intersections; only the page itself is walked in sort order.
    pub fn query(&self, q: &ListQuery, all: bool) -> ListResult {
        let per_page = q.per_page.clamp(1, MAX_PER_PAGE);
        let page = q.page.max(1);
        let n = self.items.len() as u32;
        let mut base = match q.status {
            StatusFilter::All => {
                ServiceStatus::PUBLIC.iter().map(|s| self.status_bitmap(*s)).fold(RoaringBitmap::new(), |a, b| a | b)
            }
            StatusFilter::Registered => {
                self.status_bitmap(ServiceStatus::Listed)
                    | self.status_bitmap(ServiceStatus::ChangeRequested)
                    | self.status_bitmap(ServiceStatus::RenewalRequested)
            }
            StatusFilter::One(s) => self.status_bitmap(s).clone(),
        };
        if let Some(c) = self.text.matching(&q.q) {
            base &= c;
        }
        let empty = RoaringBitmap::new();
        if let Some(b) = q.body {
            base &= self.by_body.get(&b).unwrap_or(&empty);
        }
        if let Some(r) = q.region {
            base &= &self.by_region[r];
        }
        if let Some(r) = q.industry {
            base &= &self.by_industry[r];
        }
        if let Some(sc) = q.subcategory {
            base &= &self.by_subcategory[SubCategory::ALL.iter().position(|c| *c == sc).unwrap_or(0)];
        }
        let category_counts: Vec<(Category, usize)> =
            Category::ALL.iter().zip(&self.by_category).map(|(c, b)| (*c, base.intersection_len(b) as usize)).collect();
        let matched = match q.category {
            Some(c) => base & &self.by_category[Category::ALL.iter().position(|x| *x == c).unwrap_or(0)],
            None => base,
        };
        let total = matched.len() as usize;
        let o = Self::order_index(q.sort);
        let skip = (page - 1) * per_page;
        let ids: Vec<u32> = if all || matched.len() < (n as u64 / 16).max(64) {
            // few matches (or an export): sort them by rank
            let mut v: Vec<u32> = matched.iter().collect();
            v.sort_unstable_by_key(|i| self.ranks[o][*i as usize]);
            if all { v } else { v.into_iter().skip(skip).take(per_page).collect() }
        } else {
            // many matches: walk the order until the page is full
            self.orders[o].iter().copied().filter(|i| matched.contains(*i)).skip(skip).take(per_page).collect()
        };
        ListResult {
            total,
            page,
            per_page,
            items: ids.iter().map(|i| self.items[*i as usize].clone()).collect(),
            category_counts,
        }
    }

    fn status_bitmap(&self, s: ServiceStatus) -> &RoaringBitmap {
        &self.by_status[ServiceStatus::ALL.iter().position(|c| *c == s).unwrap_or(0)]
    }
}

fn mask(codes: &str, list: domain::registry::CodeList) -> u32 {
    codes.split(',').filter_map(|c| list.iter().position(|(code, _, _)| *code == c)).fold(0u32, |m, i| m | (1 << i))
}

/// The shared, refreshable index (one per process).
pub type PublicIndex = Refreshing<Snapshot>;

impl crate::registry::Registry<'_> {
    /// The current public list index, rebuilt if the list changed.
    pub async fn public_index(&self) -> Result<Arc<Snapshot>> {
        let store = &self.store;
        self.search
            .get(async { Ok(store.counter(LIST_VERSION).await?) }, |version| async move {
                let bodies = store.orgs(Some(domain::OrgKind::RegistrationBody.code())).await?;
                let (tx, mut rx) = tokio::sync::mpsc::channel::<store::PublicRow>(1024);
                let builder = tokio::task::spawn_blocking(move || {
                    let mut b = SnapshotBuilder::new(version);
                    while let Some(r) = rx.blocking_recv() {
                        b.add(r);
                    }
                    b.finish(bodies)
                });
                let streamed = store.stream_public_rows(tx).await;
                let snap = builder.await.map_err(|e| crate::AppError::Internal(e.to_string()))?;
                streamed?;
                tracing::info!(
                    version,
                    services = snap.len(),
                    postings = snap.text.keys(),
                    text_bytes = snap.text.text_bytes(),
                    "public list index built"
                );
                Ok(snap)
            })
            .await
    }

    pub async fn public_list(&self, q: &ListQuery) -> Result<ListResult> {
        Ok(self.public_index().await?.query(q, false))
    }

    pub async fn public_export(&self, q: &ListQuery) -> Result<ListResult> {
        Ok(self.public_index().await?.query(q, true))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64, name: &str, cat: &str, status: &str) -> store::PublicRow {
        store::PublicRow {
            id,
            name: name.into(),
            provider_name: "架け橋セキュリティ株式会社".into(),
            provider_name_en: "Kakehashi Security".into(),
            body_org_id: 1,
            category: cat.into(),
            subcategory: None,
            status: status.into(),
            ledger_number: Some(format!("001-{id:04}-19")),
            listed_at: Some(id),
            valid_until: Some(1000 - id),
            updated_at: 0,
            regions: "kanto,kinki".into(),
            industries: "finance".into(),
            search_text: search::normalize(&format!("{name} 架け橋セキュリティ株式会社")),
        }
    }

    #[test]
    fn japanese_and_english_partial_words() {
        let s = Snapshot::build(
            1,
            vec![
                row(1, "Webアプリケーション脆弱性診断", "vulnerability_assessment", "listed"),
                row(2, "情報セキュリティ監査（助言型）", "audit", "listed"),
                row(3, "プラットフォーム診断 Platform Check", "vulnerability_assessment", "withdrawn"),
                row(4, "性診断テスト", "audit", "listed"),
            ],
        );
        let q = |text: &str| {
            s.query(&ListQuery { q: text.into(), per_page: 10, status: StatusFilter::All, ..Default::default() }, false)
                .items
                .iter()
                .map(|i| i.id)
                .collect::<Vec<_>>()
        };
        assert_eq!(q("脆弱性"), vec![1]);
        assert_eq!(q("診断"), vec![1, 3, 4]);
        assert_eq!(q("ｗｅｂ"), vec![1]);
        assert_eq!(q("platform"), vec![3]);
        assert_eq!(q("監"), vec![2]);
        assert_eq!(q("脆弱性診断"), vec![1]);
        // bigrams of 弱性診断 all occur in item 4's "性診断" only partially: confirmed by substring
        assert_eq!(q("弱性診断"), vec![1]);
        assert_eq!(q("存在しない語"), Vec::<i64>::new());
        assert_eq!(q("架け橋 監査"), vec![2]);
        let r = s.query(&ListQuery { per_page: 10, ..Default::default() }, false);
        assert_eq!(r.total, 3, "withdrawn is not a current registration");
        assert_eq!(r.category_counts[0], (Category::Audit, 2));
    }

    #[test]
    fn pagination_and_sorting() {
        let rows = (1..=25).map(|i| row(i, &format!("サービス{i:02}"), "audit", "listed")).collect();
        let s = Snapshot::build(1, rows);
        let r = s.query(&ListQuery { page: 3, per_page: 10, sort: Sort::Newest, ..Default::default() }, false);
        assert_eq!(r.total, 25);
        assert_eq!(r.pages(), 3);
        assert_eq!(r.items.iter().map(|i| i.id).collect::<Vec<_>>(), vec![5, 4, 3, 2, 1]);
    }
}
