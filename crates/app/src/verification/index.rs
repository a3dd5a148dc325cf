//! The public product list's read model: every public product with its latest public version
//! and open findings, searchable by partial Japanese or English words, filtered by category,
//! in name order. Built on the kit's search ([`crate::search`]): each `serve` process keeps a
//! snapshot and rebuilds it when the list's counter moves (a product registered or edited, a
//! version added, a scan or re-check recorded).

use domain::search;
use domain::verification::case::VerificationStatus;
use domain::verification::{ProductCategory, SeverityCounts};
use roaring::RoaringBitmap;

use super::{ListedProduct, ProductList, ProductQuery, ProductView};
use crate::Result;
use crate::search::{TextIndex, Versioned};

/// Counter bumped by every change the public product list may show.
pub const LIST_VERSION: &str = "verification_list_version";

#[derive(Default)]
pub struct ProductSnapshot {
    version: i64,
    /// In name order (normalised name, then id): a bitmap walked in ascending order is sorted.
    items: Vec<ListedProduct>,
    text: TextIndex,
    by_category: Vec<RoaringBitmap>,
    by_status: Vec<RoaringBitmap>,
}

impl Versioned for ProductSnapshot {
    fn version(&self) -> i64 {
        self.version
    }
}

impl ProductSnapshot {
    pub fn build(version: i64, rows: Vec<store::PublicProductRow>) -> Result<ProductSnapshot> {
        let mut rows: Vec<(String, store::PublicProductRow)> =
            rows.into_iter().map(|r| (search::normalize(&r.product.name), r)).collect();
        rows.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.product.id.cmp(&b.1.product.id)));
        let mut s = ProductSnapshot {
            version,
            by_category: vec![RoaringBitmap::new(); ProductCategory::ALL.len()],
            by_status: vec![RoaringBitmap::new(); VerificationStatus::ALL.len()],
            ..Default::default()
        };
        for (_, r) in rows {
            let mut open = SeverityCounts::default();
            for (sev, n) in &r.open {
                open.add(sev, *n);
            }
            let product = ProductView::from_row(r.product)?;
            let i = s.text.push(&r.search_text);
            let c = ProductCategory::ALL.iter().position(|c| *c == product.category).unwrap_or(0);
            s.by_category[c].insert(i);
            let status = VerificationStatus::of(r.cases.iter().map(|(st, d)| (st.as_str(), d.as_deref())));
            s.by_status[VerificationStatus::ALL.iter().position(|x| *x == status).unwrap_or(0)].insert(i);
            s.items.push(ListedProduct { product, latest_version: r.latest_version, open, status });
        }
        s.text.shrink_to_fit();
        Ok(s)
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// One page of the products matching the query, in name order.
    pub fn query(&self, q: &ProductQuery) -> ProductList {
        let per_page = q.per_page.clamp(1, 100);
        let page = q.page.max(1);
        let mut hit = match self.text.matching(&q.q) {
            Some(h) => h,
            None => (0..self.items.len() as u32).collect(),
        };
        if let Some(c) = q.category {
            hit &= &self.by_category[ProductCategory::ALL.iter().position(|x| *x == c).unwrap_or(0)];
        }
        if let Some(st) = q.status {
            hit &= &self.by_status[VerificationStatus::ALL.iter().position(|x| *x == st).unwrap_or(0)];
        }
        let skip = ((page - 1) as u64).saturating_mul(per_page as u64);
        let items =
            hit.iter().skip(skip as usize).take(per_page as usize).map(|i| self.items[i as usize].clone()).collect();
        ProductList { total: hit.len() as i64, page, per_page, items }
    }
}
