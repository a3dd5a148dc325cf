//! The public list's read model: an in-memory index of public services, rebuilt from the
//! store when the list version changes. Every `serve` process keeps its own copy and checks
//! the version counter in the database (at most once a second, at once after its own writes),
//! so processes behind a load balancer converge within a second and hold no state of their own.
//!
//! Japanese has no spaces between words, so the index keys are character bigrams (and single
//! characters) of the NFKC-normalised text; a query's keys are intersected, then each
//! candidate is confirmed by a substring test. Sorting orders are precomputed.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, RwLock};

use domain::registry::{Category, INDUSTRIES, REGIONS, ServiceStatus, SubCategory};
use domain::search;

use crate::registry::LIST_VERSION;
use crate::{App, Result};

/// One public service as the list shows it.
#[derive(Debug, Clone)]
pub struct ListItem {
    pub id: i64,
    pub name: String,
    pub provider_name: String,
    pub provider_name_en: String,
    pub body_org_id: i64,
    pub category: Category,
    pub subcategory: Option<SubCategory>,
    pub status: ServiceStatus,
    pub ledger_number: String,
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
    fn matches(self, s: ServiceStatus) -> bool {
        match self {
            StatusFilter::Registered => s.is_registered(),
            StatusFilter::All => true,
            StatusFilter::One(x) => x == s,
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
    texts: Vec<Box<str>>,
    postings: HashMap<u64, Vec<u32>>,
    orders: [Vec<u32>; 4],
}

impl Snapshot {
    pub fn build(version: i64, rows: Vec<store::PublicRow>) -> Snapshot {
        let mut items = Vec::with_capacity(rows.len());
        let mut texts = Vec::with_capacity(rows.len());
        let mut postings: HashMap<u64, Vec<u32>> = HashMap::new();
        let mut keys = Vec::new();
        for r in rows {
            let (Some(category), Some(status)) = (Category::parse(&r.category), ServiceStatus::parse(&r.status)) else {
                continue;
            };
            let idx = items.len() as u32;
            keys.clear();
            keys.extend(search::keys(&r.search_text));
            keys.sort_unstable();
            keys.dedup();
            for k in &keys {
                postings.entry(*k).or_default().push(idx);
            }
            texts.push(r.search_text.into_boxed_str());
            items.push(ListItem {
                id: r.id,
                name: r.name,
                provider_name: r.provider_name,
                provider_name_en: r.provider_name_en,
                body_org_id: r.body_org_id,
                category,
                subcategory: r.subcategory.as_deref().and_then(SubCategory::parse),
                status,
                ledger_number: r.ledger_number.unwrap_or_default(),
                listed_at: r.listed_at.unwrap_or(0),
                valid_until: r.valid_until.unwrap_or(0),
                updated_at: r.updated_at,
                regions: mask(&r.regions, REGIONS),
                industries: mask(&r.industries, INDUSTRIES),
            });
        }
        for p in postings.values_mut() {
            p.shrink_to_fit();
        }
        let n = items.len() as u32;
        let sorted = |f: &dyn Fn(&ListItem, &ListItem) -> std::cmp::Ordering| {
            let mut v: Vec<u32> = (0..n).collect();
            v.sort_by(|a, b| f(&items[*a as usize], &items[*b as usize]));
            v
        };
        let names: Vec<String> = items.iter().map(|i| search::normalize(&i.name)).collect();
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
        Snapshot { version, items, texts, postings, orders }
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Candidates for the text query as a bitmap, or None when there is no text query.
    fn candidates(&self, q: &str) -> Option<Vec<bool>> {
        let norm = search::normalize(q);
        let terms: Vec<&str> = norm.split(' ').filter(|t| !t.is_empty()).collect();
        if terms.is_empty() {
            return None;
        }
        let mut hit = vec![true; self.items.len()];
        for term in &terms {
            let mut lists: Vec<&Vec<u32>> = Vec::new();
            for k in search::query_keys(term) {
                match self.postings.get(&k) {
                    Some(l) => lists.push(l),
                    None => return Some(vec![false; self.items.len()]),
                }
            }
            lists.sort_by_key(|l| l.len());
            let mut term_hit = vec![false; self.items.len()];
            if let Some((first, rest)) = lists.split_first() {
                let mut marks = vec![0u8; self.items.len()];
                for l in rest {
                    for i in l.iter() {
                        marks[*i as usize] = marks[*i as usize].saturating_add(1);
                    }
                }
                let need = rest.len().min(255) as u8;
                let verify = term.chars().count() > 2;
                for i in first.iter() {
                    let i = *i as usize;
                    if marks[i] >= need && (!verify || self.texts[i].contains(term)) {
                        term_hit[i] = true;
                    }
                }
            }
            for (h, t) in hit.iter_mut().zip(term_hit) {
                *h &= t;
            }
        }
        Some(hit)
    }

    fn order(&self, s: Sort) -> &[u32] {
        &self.orders[match s {
            Sort::Ledger => 0,
            Sort::Name => 1,
            Sort::Newest => 2,
            Sort::Expiry => 3,
        }]
    }

    /// Runs a query; `all` returns every match (exports) instead of one page.
    pub fn query(&self, q: &ListQuery, all: bool) -> ListResult {
        let cand = self.candidates(&q.q);
        let per_page = q.per_page.clamp(1, MAX_PER_PAGE);
        let page = q.page.max(1);
        let skip = (page - 1) * per_page;
        let mut total = 0usize;
        let mut counts = [0usize; 6];
        let mut items = Vec::new();
        for &i in self.order(q.sort) {
            let i = i as usize;
            if cand.as_ref().is_some_and(|c| !c[i]) {
                continue;
            }
            let it = &self.items[i];
            if !q.status.matches(it.status)
                || q.body.is_some_and(|b| b != it.body_org_id)
                || q.region.is_some_and(|r| it.regions & (1 << r) == 0)
                || q.industry.is_some_and(|r| it.industries & (1 << r) == 0)
                || q.subcategory.is_some_and(|s| it.subcategory != Some(s))
            {
                continue;
            }
            counts[Category::ALL.iter().position(|c| *c == it.category).unwrap_or(0)] += 1;
            if q.category.is_some_and(|c| c != it.category) {
                continue;
            }
            if all || (total >= skip && total < skip + per_page) {
                items.push(it.clone());
            }
            total += 1;
        }
        ListResult {
            total,
            page,
            per_page,
            items,
            category_counts: Category::ALL.iter().copied().zip(counts).collect(),
        }
    }
}

fn mask(codes: &str, list: domain::registry::CodeList) -> u32 {
    codes.split(',').filter_map(|c| list.iter().position(|(code, _, _)| *code == c)).fold(0u32, |m, i| m | (1 << i))
}

/// The shared, refreshable index.
#[derive(Default)]
pub struct PublicIndex {
    snapshot: RwLock<Arc<Snapshot>>,
    built: AtomicBool,
    dirty: AtomicBool,
    checked_ms: AtomicI64,
    rebuild: tokio::sync::Mutex<()>,
}

impl PublicIndex {
    /// Marks the index stale after a write in this process.
    pub fn invalidate(&self) {
        self.dirty.store(true, Ordering::Release);
    }

    fn current(&self) -> Arc<Snapshot> {
        self.snapshot.read().map(|s| s.clone()).unwrap_or_default()
    }
}

impl App {
    /// The current public list index, rebuilt if the list changed.
    pub async fn public_index(&self) -> Result<Arc<Snapshot>> {
        let idx = &self.search;
        let now_ms = time::OffsetDateTime::now_utc().unix_timestamp_nanos() as i64 / 1_000_000;
        let built = idx.built.load(Ordering::Acquire);
        let due = idx.dirty.load(Ordering::Acquire) || now_ms - idx.checked_ms.load(Ordering::Relaxed) > 1000;
        if built && !due {
            return Ok(idx.current());
        }
        // One request refreshes; the others keep answering from the current snapshot.
        let guard = if built {
            match idx.rebuild.try_lock() {
                Ok(g) => g,
                Err(_) => return Ok(idx.current()),
            }
        } else {
            idx.rebuild.lock().await
        };
        if idx.built.load(Ordering::Acquire)
            && !idx.dirty.load(Ordering::Acquire)
            && now_ms - idx.checked_ms.load(Ordering::Relaxed) <= 1000
        {
            return Ok(idx.current());
        }
        idx.dirty.store(false, Ordering::Release);
        let version = match self.store.counter(LIST_VERSION).await {
            Ok(v) => v,
            // The database is away: keep answering from the last snapshot if there is one.
            Err(e) if idx.built.load(Ordering::Acquire) => {
                tracing::warn!(error = %e, "public list: serving the last snapshot");
                idx.dirty.store(true, Ordering::Release);
                return Ok(idx.current());
            }
            Err(e) => return Err(e.into()),
        };
        idx.checked_ms.store(now_ms, Ordering::Relaxed);
        let cur = idx.current();
        if idx.built.load(Ordering::Acquire) && cur.version == version {
            return Ok(cur);
        }
        let rows = self.store.public_rows().await?;
        let snap = Arc::new(
            tokio::task::spawn_blocking(move || Snapshot::build(version, rows))
                .await
                .map_err(|e| crate::AppError::Internal(e.to_string()))?,
        );
        if let Ok(mut w) = idx.snapshot.write() {
            *w = snap.clone();
        }
        idx.built.store(true, Ordering::Release);
        drop(guard);
        Ok(snap)
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
