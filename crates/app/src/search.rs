//! The kit's search: an in-memory text index that works for Japanese and English partial words
//! (character bigrams of NFKC-normalised text, candidates confirmed by substring), and a
//! refreshable snapshot that every `serve` process keeps of a program's public list, rebuilt
//! when the list's version counter in the database changes (checked at most once a second, at
//! once after the process's own writes). The registry's service list and the verification
//! platform's product list are both built on these.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, RwLock};

use domain::search;
use roaring::RoaringBitmap;

use crate::Result;

/// The texts of items 0..n and their bigram postings.
#[derive(Default)]
pub struct TextIndex {
    /// All texts, one after another; `ends[i]` is where item i's text ends.
    text: String,
    ends: Vec<u32>,
    postings: HashMap<u64, RoaringBitmap>,
    /// Confirmed matches of recent long terms with many candidates (confirming them by
    /// substring is the one costly step of a query; popular searches repeat). Bounded; lives
    /// as long as the snapshot.
    confirmed: std::sync::Mutex<HashMap<String, RoaringBitmap>>,
}

/// Terms whose bigram candidates exceed this many are confirmed once and remembered.
const CACHE_FROM: u64 = 2_000;
const CACHE_ENTRIES: usize = 256;

impl TextIndex {
    /// Adds the next item's normalised text (items are numbered in the order added).
    pub fn push(&mut self, normalized: &str) -> u32 {
        let idx = self.ends.len() as u32;
        // items arrive in order, so each bitmap insert appends at the end
        for k in search::keys(normalized) {
            self.postings.entry(k).or_default().insert(idx);
        }
        self.text.push_str(normalized);
        self.ends.push(self.text.len() as u32);
        idx
    }

    pub fn shrink_to_fit(&mut self) {
        self.text.shrink_to_fit();
        self.postings.shrink_to_fit();
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Distinct bigram keys (for the build log).
    pub fn keys(&self) -> usize {
        self.postings.len()
    }

    /// Bytes of text held.
    pub fn text_bytes(&self) -> usize {
        self.text.len()
    }

    fn text(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.text[start..self.ends[i] as usize]
    }

    /// The items whose text contains every word of the query (normalised the same way), or
    /// None when the query has no words.
    pub fn matching(&self, q: &str) -> Option<RoaringBitmap> {
        let norm = search::normalize(q);
        let terms: Vec<&str> = norm.split(' ').filter(|t| !t.is_empty()).collect();
        if terms.is_empty() {
            return None;
        }
        let mut hit: Option<RoaringBitmap> = None;
        for term in &terms {
            let keys = search::query_keys(term);
            if keys.is_empty() {
                // one character: scan the texts (rare; bigrams cover everything longer)
                let mut term_hit: RoaringBitmap =
                    (0..self.len() as u32).filter(|i| self.text(*i as usize).contains(term)).collect();
                if let Some(h) = &hit {
                    term_hit &= h;
                }
                hit = Some(term_hit);
                continue;
            }
            let mut lists: Vec<&RoaringBitmap> = Vec::new();
            for k in keys {
                match self.postings.get(&k) {
                    Some(l) => lists.push(l),
                    None => return Some(RoaringBitmap::new()),
                }
            }
            lists.sort_by_key(|l| l.len());
            let Some((first, rest)) = lists.split_first() else { continue };
            if term.chars().count() > 2 && first.len() > CACHE_FROM {
                // a long term with many candidates: confirmed over all items once, then remembered
                let cached = self.confirmed.lock().ok().and_then(|c| c.get(*term).cloned());
                let mut term_hit = match cached {
                    Some(b) => b,
                    None => {
                        let mut all = (*first).clone();
                        for l in rest {
                            all &= *l;
                        }
                        let all: RoaringBitmap = all.iter().filter(|i| self.text(*i as usize).contains(term)).collect();
                        if let Ok(mut c) = self.confirmed.lock() {
                            if c.len() >= CACHE_ENTRIES {
                                c.clear();
                            }
                            c.insert(term.to_string(), all.clone());
                        }
                        all
                    }
                };
                if let Some(h) = &hit {
                    term_hit &= h;
                }
                hit = Some(term_hit);
                continue;
            }
            let mut term_hit = (*first).clone();
            if let Some(h) = &hit {
                term_hit &= h;
            }
            for l in rest {
                term_hit &= *l;
            }
            // Bigrams all present does not mean adjacent: confirm longer terms by substring.
            if term.chars().count() > 2 {
                term_hit = term_hit.iter().filter(|i| self.text(*i as usize).contains(term)).collect();
            }
            hit = Some(term_hit);
        }
        hit
    }
}

/// A snapshot of a public list, tagged with the version counter it was built from.
pub trait Versioned: Default + Send + Sync + 'static {
    fn version(&self) -> i64;
}

/// The shared, refreshable snapshot of one list.
pub struct Refreshing<S> {
    snapshot: RwLock<Arc<S>>,
    built: AtomicBool,
    dirty: AtomicBool,
    checked_ms: AtomicI64,
    rebuild: tokio::sync::Mutex<()>,
}

impl<S: Versioned> Default for Refreshing<S> {
    fn default() -> Self {
        Refreshing {
            snapshot: RwLock::new(Arc::new(S::default())),
            built: AtomicBool::new(false),
            dirty: AtomicBool::new(false),
            checked_ms: AtomicI64::new(0),
            rebuild: tokio::sync::Mutex::new(()),
        }
    }
}

impl<S: Versioned> Refreshing<S> {
    /// Marks the snapshot stale after a write in this process.
    pub fn invalidate(&self) {
        self.dirty.store(true, Ordering::Release);
    }

    fn current(&self) -> Arc<S> {
        self.snapshot.read().map(|s| s.clone()).unwrap_or_default()
    }

    /// The current snapshot: `version` reads the list's counter (at most once a second, or at
    /// once after `invalidate`); `build` makes a new snapshot when it moved. One caller
    /// rebuilds while the others keep answering from the current snapshot; with the database
    /// away, the last snapshot keeps answering.
    pub async fn get<V, B, FB>(&self, version: V, build: B) -> Result<Arc<S>>
    where
        V: Future<Output = Result<i64>>,
        B: FnOnce(i64) -> FB,
        FB: Future<Output = Result<S>>,
    {
        let now_ms = time::OffsetDateTime::now_utc().unix_timestamp_nanos() as i64 / 1_000_000;
        let built = self.built.load(Ordering::Acquire);
        let due = self.dirty.load(Ordering::Acquire) || now_ms - self.checked_ms.load(Ordering::Relaxed) > 1000;
        if built && !due {
            return Ok(self.current());
        }
        let guard = if built {
            match self.rebuild.try_lock() {
                Ok(g) => g,
                Err(_) => return Ok(self.current()),
            }
        } else {
            self.rebuild.lock().await
        };
        if self.built.load(Ordering::Acquire)
            && !self.dirty.load(Ordering::Acquire)
            && now_ms - self.checked_ms.load(Ordering::Relaxed) <= 1000
        {
            return Ok(self.current());
        }
        self.dirty.store(false, Ordering::Release);
        let version = match version.await {
            Ok(v) => v,
            Err(e) if self.built.load(Ordering::Acquire) => {
                tracing::warn!(error = %e, "public list: serving the last snapshot");
                self.dirty.store(true, Ordering::Release);
                return Ok(self.current());
            }
            Err(e) => return Err(e),
        };
        self.checked_ms.store(now_ms, Ordering::Relaxed);
        let cur = self.current();
        if self.built.load(Ordering::Acquire) && cur.version() == version {
            return Ok(cur);
        }
        let snap = Arc::new(build(version).await?);
        if let Ok(mut w) = self.snapshot.write() {
            *w = snap.clone();
        }
        self.built.store(true, Ordering::Release);
        drop(guard);
        Ok(snap)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_words_in_japanese_and_english() {
        let mut t = TextIndex::default();
        for s in [
            "Webアプリケーション脆弱性診断",
            "情報セキュリティ監査",
            "プラットフォーム診断 platform check",
            "性診断テスト",
        ] {
            t.push(&search::normalize(s));
        }
        let q = |s: &str| t.matching(s).map(|b| b.iter().collect::<Vec<_>>());
        assert_eq!(q("脆弱性"), Some(vec![0]));
        assert_eq!(q("診断"), Some(vec![0, 2, 3]));
        assert_eq!(q("ＰＬＡＴＦＯＲＭ"), Some(vec![2]));
        assert_eq!(q("監"), Some(vec![1]));
        assert_eq!(q("弱性診断"), Some(vec![0]));
        assert_eq!(q("ない語"), Some(vec![]));
        assert_eq!(q("   "), None);
    }

    /// Terms with many candidates are confirmed once and remembered: the answer is the same as
    /// confirming every time, also combined with other terms.
    #[test]
    fn remembered_terms_answer_the_same() {
        let mut t = TextIndex::default();
        for i in 0..6000 {
            // every third item has the bigrams of ルーター but not the word
            let s =
                if i % 3 == 0 { format!("製品 {i} ルータ ーター") } else { format!("製品 {i} ルーター") };
            t.push(&search::normalize(&s));
        }
        let brute: Vec<u32> = (0..6000).filter(|i| i % 3 != 0).collect();
        for _ in 0..2 {
            assert_eq!(t.matching("ルーター").unwrap().iter().collect::<Vec<_>>(), brute);
        }
        assert_eq!(t.matching("ルーター 5999").unwrap().iter().collect::<Vec<_>>(), vec![5999]);
        assert_eq!(t.matching("ルーター 5998").unwrap().len(), 1);
        assert_eq!(t.matching("ルーター 5997").unwrap().len(), 0);
    }
}
