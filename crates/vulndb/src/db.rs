//! The local advisory index: a directory with one JSON shard per ecosystem (`PyPI.json`,
//! `Go.json`, `crates.io.json`, ...), so a scan reads only the ecosystems its components use.
//! Imports merge into what is there: new records are added, changed ones replaced, withdrawn
//! ones removed. Shards are written to a temporary file and renamed, so a reader never sees a
//! half-written index.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use crate::osv::{Advisory, Loaded, load};

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub added: usize,
    pub changed: usize,
    pub withdrawn: usize,
    pub unchanged: usize,
    /// Advisories in the index afterwards.
    pub total: usize,
    /// Records that could not be read: (file, reason).
    pub problems: Vec<(String, String)>,
}

/// The file name of an ecosystem's shard (`Debian:12` and `Debian:11` share `Debian`).
pub fn shard_name(ecosystem: &str) -> String {
    let base = ecosystem.split(':').next().unwrap_or("");
    let clean: String =
        base.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' { c } else { '_' }).collect();
    format!("{clean}.json")
}

fn read_all(dir: &Path) -> Result<HashMap<String, Advisory>, String> {
    let mut all = HashMap::new();
    let Ok(rd) = std::fs::read_dir(dir) else { return Ok(all) };
    for e in rd.flatten() {
        let p = e.path();
        if p.extension().and_then(|x| x.to_str()) != Some("json")
            || p.file_name().and_then(|x| x.to_str()) == Some("meta.json")
        {
            continue;
        }
        let b = std::fs::read(&p).map_err(|e| format!("{}: {e}", p.display()))?;
        let list: Vec<Advisory> =
            serde_json::from_slice(&b).map_err(|e| format!("{}: damaged index shard: {e}", p.display()))?;
        for a in list {
            all.insert(a.id.clone(), a);
        }
    }
    Ok(all)
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, bytes).map_err(|e| format!("{}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| format!("{}: {e}", path.display()))
}

/// Imports sources (zips, directories, record files) into the index at `dir`.
pub fn import(dir: &Path, sources: &[PathBuf], progress: &dyn Fn(&str, usize)) -> Result<ImportReport, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut all = read_all(dir)?;
    let mut report = ImportReport::default();
    for src in sources {
        let mut loaded = Loaded::default();
        load(src, &mut loaded)?;
        progress(&src.display().to_string(), loaded.advisories.len());
        for a in loaded.advisories {
            if a.withdrawn {
                if all.remove(&a.id).is_some() {
                    report.withdrawn += 1;
                }
                continue;
            }
            if a.affected.is_empty() {
                continue; // names no package (GIT-only): nothing a component could match
            }
            match all.get(&a.id) {
                Some(old) if *old == a => report.unchanged += 1,
                Some(_) => {
                    report.changed += 1;
                    all.insert(a.id.clone(), a);
                }
                None => {
                    report.added += 1;
                    all.insert(a.id.clone(), a);
                }
            }
        }
        report.problems.extend(loaded.problems);
    }
    let mut shards: BTreeMap<String, Vec<&Advisory>> = BTreeMap::new();
    for a in all.values() {
        let mut names: Vec<String> = a.affected.iter().map(|x| shard_name(&x.ecosystem)).collect();
        names.sort();
        names.dedup();
        for n in names {
            shards.entry(n).or_default().push(a);
        }
    }
    // remove shards that are now empty
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            if name.ends_with(".json") && name != "meta.json" && !shards.contains_key(&name) {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
    for (name, mut list) in shards {
        list.sort_by(|a, b| a.id.cmp(&b.id));
        let bytes = serde_json::to_vec(&list).map_err(|e| e.to_string())?;
        write_atomic(&dir.join(name), &bytes)?;
    }
    report.total = all.len();
    let meta = serde_json::json!({"format": 1, "advisories": report.total});
    write_atomic(&dir.join("meta.json"), meta.to_string().as_bytes())?;
    Ok(report)
}

/// A read-only view of the index that loads shards on demand.
pub struct Index {
    dir: PathBuf,
    shards: HashMap<String, HashMap<String, Vec<std::sync::Arc<Advisory>>>>,
}

impl Index {
    pub fn open(dir: &Path) -> Result<Index, String> {
        if !dir.join("meta.json").exists() {
            return Err(format!(
                "{}: no advisory index here (run `kakehashi osv import --db {}` first)",
                dir.display(),
                dir.display()
            ));
        }
        Ok(Index { dir: dir.to_path_buf(), shards: HashMap::new() })
    }

    /// Advisories naming this package in this ecosystem (shard loaded on first use).
    pub fn lookup(&mut self, ecosystem: &str, name: &str) -> Result<&[std::sync::Arc<Advisory>], String> {
        let shard = shard_name(ecosystem);
        if !self.shards.contains_key(&shard) {
            let p = self.dir.join(&shard);
            let mut by_name: HashMap<String, Vec<std::sync::Arc<Advisory>>> = HashMap::new();
            if p.exists() {
                let b = std::fs::read(&p).map_err(|e| format!("{}: {e}", p.display()))?;
                let list: Vec<Advisory> =
                    serde_json::from_slice(&b).map_err(|e| format!("{}: damaged index shard: {e}", p.display()))?;
                for a in list {
                    let a = std::sync::Arc::new(a);
                    let mut names: Vec<&str> = a.affected.iter().map(|x| x.name.as_str()).collect();
                    names.sort_unstable();
                    names.dedup();
                    for n in names {
                        by_name.entry(n.to_string()).or_default().push(a.clone());
                    }
                }
            }
            self.shards.insert(shard.clone(), by_name);
        }
        Ok(self.shards[&shard].get(name).map(|v| v.as_slice()).unwrap_or(&[]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(id: &str, modified: &str, withdrawn: bool, fixed: &str) -> String {
        format!(
            r#"{{"id":"{id}","modified":"{modified}",{w}"aliases":["CVE-2099-{n}"],"unknown_field":{{"x":1}},
            "affected":[{{"package":{{"ecosystem":"PyPI","name":"Some_Pkg"}},"ranges":[{{"type":"ECOSYSTEM","events":[{{"introduced":"0"}},{{"fixed":"{fixed}"}}]}}]}}]}}"#,
            w = if withdrawn { r#""withdrawn":"2024-01-01T00:00:00Z","# } else { "" },
            n = &id[id.len() - 1..]
        )
    }

    #[test]
    fn import_adds_changes_and_withdraws() {
        let root = std::env::temp_dir().join(format!("vulndb-test-{}", std::process::id()));
        let (src, db) = (root.join("src"), root.join("db"));
        std::fs::create_dir_all(&src).unwrap();
        std::fs::write(src.join("A-1.json"), rec("A-1", "2024-01-01", false, "1.0")).unwrap();
        std::fs::write(src.join("A-2.json"), rec("A-2", "2024-01-01", false, "2.0")).unwrap();
        std::fs::write(src.join("broken.json"), r#"{"id": "A-3", "affected": [{"package": {"ecosystem": "PyPI", "name": "x"}, "ranges": [{"type": "ECOSYSTEM", "events": ["introduced"]}]}]}"#).unwrap();
        let r = import(&db, std::slice::from_ref(&src), &|_, _| {}).unwrap();
        assert_eq!((r.added, r.changed, r.withdrawn, r.total), (2, 0, 0, 2));
        assert_eq!(r.problems.len(), 1, "the broken range is reported, not imported: {:?}", r.problems);
        assert!(r.problems[0].1.contains("not an object"));
        let mut idx = Index::open(&db).unwrap();
        assert_eq!(idx.lookup("PyPI", "some-pkg").unwrap().len(), 2, "names are PEP 503 normalised");
        // a newer copy: A-1 fixed later, A-2 withdrawn
        std::fs::write(src.join("A-1.json"), rec("A-1", "2024-02-01", false, "1.1")).unwrap();
        std::fs::write(src.join("A-2.json"), rec("A-2", "2024-02-01", true, "2.0")).unwrap();
        let r = import(&db, std::slice::from_ref(&src), &|_, _| {}).unwrap();
        assert_eq!((r.added, r.changed, r.withdrawn, r.total), (0, 1, 1, 1));
        let mut idx = Index::open(&db).unwrap();
        let comps = [sbom::Component {
            ecosystem: "PyPI".into(),
            name: "some-pkg".into(),
            version: "1.0.5".into(),
            purl: None,
        }];
        let rep = crate::matcher::scan(&mut idx, &comps).unwrap();
        assert_eq!(rep.findings.len(), 1);
        assert_eq!(rep.findings[0].id, "A-1");
        assert_eq!(rep.findings[0].fixed, vec!["1.1".to_string()]);
        let _ = std::fs::remove_dir_all(root);
    }

    #[test]
    fn aliases_merge_into_one_finding() {
        let root = std::env::temp_dir().join(format!("vulndb-alias-{}", std::process::id()));
        let (src, db) = (root.join("src"), root.join("db"));
        std::fs::create_dir_all(&src).unwrap();
        // two databases describe the same CVE under their own IDs
        std::fs::write(
            src.join("GHSA-1.json"),
            rec("GHSA-1", "2024-01-01", false, "1.0").replace("CVE-2099-1", "CVE-2099-9"),
        )
        .unwrap();
        std::fs::write(src.join("PYSEC-9.json"), rec("PYSEC-9", "2024-01-01", false, "1.2")).unwrap();
        import(&db, std::slice::from_ref(&src), &|_, _| {}).unwrap();
        let mut idx = Index::open(&db).unwrap();
        let comps =
            [sbom::Component { ecosystem: "PyPI".into(), name: "some-pkg".into(), version: "0.9".into(), purl: None }];
        let rep = crate::matcher::scan(&mut idx, &comps).unwrap();
        assert_eq!(rep.findings.len(), 1, "{:?}", rep.findings);
        let f = &rep.findings[0];
        let mut all: Vec<&str> = std::iter::once(f.id.as_str()).chain(f.aliases.iter().map(String::as_str)).collect();
        all.sort();
        assert_eq!(all, ["CVE-2099-9", "GHSA-1", "PYSEC-9"]);
        assert_eq!(f.fixed, vec!["1.0".to_string(), "1.2".to_string()]);
        let _ = std::fs::remove_dir_all(root);
    }
}
