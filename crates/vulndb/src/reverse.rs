//! The reverse question: which stored components does a (new) advisory affect? The platform
//! keeps one of these over all stored SBOMs; after an import it re-checks only the packages the
//! new advisories name, instead of re-scanning every SBOM.

use std::collections::HashMap;

use crate::osv::Advisory;

/// Stored components, indexed by (ecosystem shard, package name).
#[derive(Default)]
pub struct ComponentIndex {
    versions: Vec<String>,
    version_ids: HashMap<String, u32>,
    by_package: HashMap<(String, String), Vec<(u32, u32)>>,
}

impl ComponentIndex {
    /// Records that document `doc` contains `name` at `version` in `ecosystem`.
    pub fn add(&mut self, doc: u32, ecosystem: &str, name: &str, version: &str) {
        let vid = match self.version_ids.get(version) {
            Some(v) => *v,
            None => {
                let v = self.versions.len() as u32;
                self.versions.push(version.to_string());
                self.version_ids.insert(version.to_string(), v);
                v
            }
        };
        let eco = ecosystem.split(':').next().unwrap_or("").to_string();
        self.by_package.entry((eco, name.to_string())).or_default().push((doc, vid));
    }

    /// (document, version) pairs the advisory affects; each distinct version is evaluated once.
    pub fn affected_by(&self, adv: &Advisory) -> Vec<(u32, &str)> {
        let mut out = Vec::new();
        if adv.withdrawn {
            return out;
        }
        for a in &adv.affected {
            let eco = a.ecosystem.split(':').next().unwrap_or("").to_string();
            let Some(list) = self.by_package.get(&(eco, a.name.clone())) else { continue };
            let mut verdict: HashMap<u32, bool> = HashMap::new();
            for (doc, vid) in list {
                let hit = *verdict
                    .entry(*vid)
                    .or_insert_with(|| crate::matcher::affects(a, &self.versions[*vid as usize]) == Some(true));
                if hit {
                    out.push((*doc, self.versions[*vid as usize].as_str()));
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    pub fn len(&self) -> usize {
        self.by_package.values().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.by_package.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::osv::{Affected, Event, Range};

    #[test]
    fn finds_stored_components_an_advisory_affects() {
        let mut idx = ComponentIndex::default();
        idx.add(1, "PyPI", "django", "3.2.0");
        idx.add(2, "PyPI", "django", "4.2.8");
        idx.add(3, "npm", "django", "3.2.0");
        idx.add(4, "PyPI", "flask", "3.2.0");
        let adv = Advisory {
            id: "X".into(),
            aliases: vec![],
            modified: String::new(),
            summary: String::new(),
            withdrawn: false,
            severity: crate::cvss::Level::High,
            score: None,
            informational: None,
            affected: vec![Affected {
                ecosystem: "PyPI".into(),
                name: "django".into(),
                ranges: vec![Range {
                    kind: "ECOSYSTEM".into(),
                    events: vec![Event::Introduced("0".into()), Event::Fixed("4.0".into())],
                }],
                versions: vec![],
                rust: None,
            }],
        };
        assert_eq!(idx.affected_by(&adv), vec![(1, "3.2.0")]);
        let mut w = adv.clone();
        w.withdrawn = true;
        assert!(idx.affected_by(&w).is_empty());
    }
}
