//! The local advisory index: a directory with one shard per ecosystem (`PyPI.kh`, `Go.kh`,
//! `crates.io.kh`, ...), so a scan reads only the ecosystems its components use. A shard is a
//! sorted table of package names with the offset of each package's advisories (a JSON array),
//! so a scan parses only the advisories of the packages it looks up.
//! Imports merge into what is there: new records are added, changed ones replaced, withdrawn
//! ones removed. Shards are written to a temporary file and renamed, so a reader never sees a
//! half-written index.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use crate::Error;
use crate::osv::{Advisory, Loaded, load_with_progress};

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
    /// Package names the added and changed advisories name (before and after the change),
    /// sorted: the components to re-match after this import.
    pub touched: Vec<String>,
    /// Advisories this import withdrew (their findings are closed).
    pub withdrawn_ids: Vec<String>,
}

/// The file name of an ecosystem's shard (`Debian:12` and `Debian:11` share `Debian`).
pub fn shard_name(ecosystem: &str) -> String {
    let base = ecosystem.split(':').next().unwrap_or("");
    let clean: String =
        base.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' { c } else { '_' }).collect();
    format!("{clean}.kh")
}

/// A release's numbers for ordering (`v3.9` before `v3.10`).
fn natural(s: &str) -> Vec<u64> {
    s.split(|c: char| !c.is_ascii_digit()).filter_map(|p| p.parse().ok()).collect()
}

/// Index layout version, in `meta.json`.
const FORMAT: i64 = 3;

const MAGIC: &[u8; 8] = b"KHIDX01\n";

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// A shard's name table: (name, offset, length) sorted by name, and where blobs start.
type ShardTable = (Vec<(String, usize, usize)>, usize);

/// Parses a shard's name table.
fn shard_table(b: &[u8]) -> Result<ShardTable, String> {
    if b.get(..8) != Some(MAGIC.as_slice()) {
        return Err("not a kakehashi index shard".into());
    }
    let n = u32_at(b, 8).ok_or("truncated shard")? as usize;
    let mut at = 12;
    let mut table = Vec::with_capacity(n.min(1 << 20));
    for _ in 0..n {
        let len = u32_at(b, at).ok_or("truncated shard")? as usize;
        let name = std::str::from_utf8(b.get(at + 4..at + 4 + len).ok_or("truncated shard")?)
            .map_err(|_| "bad name")?
            .to_string();
        at += 4 + len;
        let off = u32_at(b, at).ok_or("truncated shard")? as usize;
        let blen = u32_at(b, at + 4).ok_or("truncated shard")? as usize;
        at += 8;
        table.push((name, off, blen));
    }
    Ok((table, at))
}

fn shard_blob(b: &[u8], base: usize, off: usize, len: usize) -> Result<Vec<Advisory>, String> {
    let blob = b.get(base + off..base + off + len).ok_or("truncated shard")?;
    serde_json::from_slice(blob).map_err(|e| format!("damaged shard entry: {e}"))
}

fn write_shard(path: &Path, by_name: &BTreeMap<String, Vec<Advisory>>) -> Result<(), String> {
    let mut head = Vec::new();
    let mut blobs = Vec::new();
    head.extend_from_slice(MAGIC);
    head.extend_from_slice(&(by_name.len() as u32).to_le_bytes());
    for (name, list) in by_name {
        let blob = serde_json::to_vec(list).map_err(|e| e.to_string())?;
        head.extend_from_slice(&(name.len() as u32).to_le_bytes());
        head.extend_from_slice(name.as_bytes());
        head.extend_from_slice(&(blobs.len() as u32).to_le_bytes());
        head.extend_from_slice(&(blob.len() as u32).to_le_bytes());
        blobs.extend_from_slice(&blob);
    }
    head.extend_from_slice(&blobs);
    write_atomic(path, &head)
}

fn read_all(dir: &Path) -> Result<HashMap<String, Advisory>, String> {
    let mut all = HashMap::new();
    let Ok(rd) = std::fs::read_dir(dir) else { return Ok(all) };
    for e in rd.flatten() {
        let p = e.path();
        if p.extension().and_then(|x| x.to_str()) != Some("kh") {
            continue;
        }
        let b = std::fs::read(&p).map_err(|e| format!("{}: {e}", p.display()))?;
        let (table, base) = shard_table(&b).map_err(|e| format!("{}: {e}", p.display()))?;
        for (_, off, len) in table {
            for a in shard_blob(&b, base, off, len).map_err(|e| format!("{}: {e}", p.display()))? {
                // each package's blob holds only that package's entries: reassemble
                match all.entry(a.id.clone()) {
                    std::collections::hash_map::Entry::Occupied(mut o) => {
                        let cur: &mut Advisory = o.get_mut();
                        for x in a.affected {
                            if !cur.affected.contains(&x) {
                                cur.affected.push(x);
                            }
                        }
                    }
                    std::collections::hash_map::Entry::Vacant(v) => {
                        v.insert(a);
                    }
                }
            }
        }
    }
    Ok(all)
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).map_err(|e| format!("{}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| format!("{}: {e}", path.display()))
}

/// Affected entries in a stable order, so a record reassembled from the index compares equal
/// to the same record read again from its source.
fn canonical(a: &mut Advisory) {
    a.affected.sort_by(|x, y| (x.ecosystem.as_str(), x.name.as_str()).cmp(&(y.ecosystem.as_str(), y.name.as_str())));
    a.affected.dedup();
}

/// Imports sources (zips, directories, record files) into the index at `dir`.
/// `progress(source, done, total)` is told how far the current source is.
pub fn import(dir: &Path, sources: &[PathBuf], progress: &dyn Fn(&str, usize, usize)) -> Result<ImportReport, Error> {
    import_inner(dir, sources, progress).map_err(Error::Import)
}

fn import_inner(
    dir: &Path,
    sources: &[PathBuf],
    progress: &dyn Fn(&str, usize, usize),
) -> Result<ImportReport, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut all = read_all(dir)?;
    for a in all.values_mut() {
        canonical(a);
    }
    let mut report = ImportReport::default();
    for src in sources {
        let mut loaded = Loaded::default();
        let name = src.display().to_string();
        load_with_progress(src, &mut loaded, &|done, total| progress(&name, done, total))?;
        for mut a in loaded.advisories {
            canonical(&mut a);
            if a.withdrawn {
                if all.remove(&a.id).is_some() {
                    report.withdrawn += 1;
                    report.withdrawn_ids.push(a.id.clone());
                }
                continue;
            }
            if a.affected.is_empty() {
                continue; // names no package (GIT-only): nothing a component could match
            }
            match all.get(&a.id) {
                Some(old) if *old == a => report.unchanged += 1,
                Some(old) => {
                    report.changed += 1;
                    report.touched.extend(old.affected.iter().map(|x| x.name.clone()));
                    report.touched.extend(a.affected.iter().map(|x| x.name.clone()));
                    all.insert(a.id.clone(), a);
                }
                None => {
                    report.added += 1;
                    report.touched.extend(a.affected.iter().map(|x| x.name.clone()));
                    all.insert(a.id.clone(), a);
                }
            }
        }
        report.problems.extend(loaded.problems);
    }
    let mut shards: BTreeMap<String, BTreeMap<String, Vec<Advisory>>> = BTreeMap::new();
    let mut ids: Vec<&String> = all.keys().collect();
    ids.sort();
    for id in ids {
        let a = &all[id];
        let mut keys: Vec<(String, &str)> =
            a.affected.iter().map(|x| (shard_name(&x.ecosystem), x.name.as_str())).collect();
        keys.sort();
        keys.dedup();
        for (shard, name) in keys {
            // the package's copy keeps only the entries about that package
            let copy = Advisory {
                affected: a
                    .affected
                    .iter()
                    .filter(|x| x.name == name && shard_name(&x.ecosystem) == shard)
                    .cloned()
                    .collect(),
                aliases: a.aliases.clone(),
                id: a.id.clone(),
                modified: a.modified.clone(),
                summary: a.summary.clone(),
                withdrawn: a.withdrawn,
                severity: a.severity,
                score: a.score,
                informational: a.informational.clone(),
            };
            shards.entry(shard).or_default().entry(name.to_string()).or_default().push(copy);
        }
    }
    // remove shards that are now empty
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            if name.ends_with(".kh") && !shards.contains_key(&name) {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
    for (name, by_name) in &shards {
        write_shard(&dir.join(name), by_name)?;
    }
    report.total = all.len();
    report.touched.sort();
    report.touched.dedup();
    // the distribution releases advisories exist for, so that a scan can say "no advisories
    // for Alpine v3.16" instead of a silent nothing
    let mut releases: Vec<String> = all
        .values()
        .flat_map(|a| a.affected.iter())
        .filter_map(|x| crate::matcher::distro_release(&x.ecosystem))
        .filter_map(|(base, key)| key.map(|k| format!("{base}:{k}")))
        .collect();
    releases.sort();
    releases.dedup();
    let meta = serde_json::json!({"format": FORMAT, "advisories": report.total, "distro_releases": releases});
    write_atomic(&dir.join("meta.json"), meta.to_string().as_bytes())?;
    Ok(report)
}

/// A read-only view of the index: shards are read on first use, and only the advisories of
/// the packages looked up are parsed. Lookups take `&self`, so one index serves many
/// concurrent scans (`Index` is `Send + Sync`; share it in an `Arc`).
pub struct Index {
    dir: PathBuf,
    shards: Mutex<HashMap<String, Arc<Shard>>>,
    /// Distribution releases with advisories (`Alpine:v3.10`, `Ubuntu:22.04`); None for an
    /// index written before it was recorded.
    distro_releases: Option<std::collections::HashSet<String>>,
}

struct Shard {
    /// The shard file: only its table is read up front, each package's advisories when looked up
    /// (a scan of a thousand Go modules reads a few hundred kilobytes of a 3 MB shard).
    file: Option<std::fs::File>,
    table: Vec<(String, usize, usize)>,
    base: usize,
    parsed: Mutex<HashMap<String, Advisories>>,
}

/// The advisories naming one package (shared, cheap to clone).
pub type Advisories = Arc<[Arc<Advisory>]>;

impl Index {
    pub fn open(dir: &Path) -> Result<Index, Error> {
        if !dir.join("meta.json").exists() {
            return Err(Error::NoIndex(dir.display().to_string()));
        }
        let meta: serde_json::Value = std::fs::read(dir.join("meta.json"))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or_else(|| Error::Damaged(format!("{}: damaged meta.json", dir.display())))?;
        if meta.get("format").and_then(|f| f.as_i64()) != Some(FORMAT) {
            return Err(Error::OtherVersion(dir.display().to_string()));
        }
        let distro_releases = meta
            .get("distro_releases")
            .and_then(|r| r.as_array())
            .map(|r| r.iter().filter_map(|x| x.as_str().map(str::to_string)).collect());
        Ok(Index { dir: dir.to_path_buf(), shards: Mutex::new(HashMap::new()), distro_releases })
    }

    /// Whether the index holds advisories for this distribution release (`Alpine`, `v3.10`);
    /// None when the index does not record it.
    pub fn has_release(&self, base: &str, release: &str) -> Option<bool> {
        self.distro_releases.as_ref().map(|r| r.contains(&format!("{base}:{release}")))
    }

    /// The releases of one distribution the index has advisories for.
    pub fn releases_of(&self, base: &str) -> Vec<String> {
        let mut v: Vec<String> = self
            .distro_releases
            .iter()
            .flatten()
            .filter_map(|r| r.strip_prefix(base).and_then(|x| x.strip_prefix(':')).map(str::to_string))
            .collect();
        // plain releases in order, then the others (`pro:18.04`, `edge`)
        v.sort_by_key(|r| (!r.trim_start_matches('v').starts_with(|c: char| c.is_ascii_digit()), natural(r)));
        v
    }

    fn shard(&self, key: &str) -> Result<Arc<Shard>, Error> {
        let mut shards = self.shards.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(s) = shards.get(key) {
            return Ok(s.clone());
        }
        let p = self.dir.join(key);
        let shard = if p.exists() {
            let read = |e: std::io::Error| Error::Read(format!("{}: {e}", p.display()));
            let mut file = std::fs::File::open(&p).map_err(read)?;
            // the table: read in growing steps until it parses whole
            let mut head = Vec::new();
            let (table, base) = loop {
                let want = (head.len() * 2).max(64 * 1024);
                let got = Read::take(&mut file, (want - head.len()) as u64).read_to_end(&mut head).map_err(read)?;
                match shard_table(&head) {
                    Ok(t) => break t,
                    Err(e) if e == "truncated shard" && got > 0 => continue,
                    Err(e) => return Err(Error::Damaged(format!("{}: {e}", p.display()))),
                }
            };
            // every entry must lie inside the file: a damaged table never makes a huge buffer
            let size = file.metadata().map_err(read)?.len() as usize;
            if let Some((name, ..)) =
                table.iter().find(|(_, off, len)| base.saturating_add(*off).saturating_add(*len) > size)
            {
                return Err(Error::Damaged(format!("{}: entry {name} runs past the end of the file", p.display())));
            }
            Shard { file: Some(file), table, base, parsed: Mutex::new(HashMap::new()) }
        } else {
            Shard { file: None, table: Vec::new(), base: 0, parsed: Mutex::new(HashMap::new()) }
        };
        let shard = Arc::new(shard);
        shards.insert(key.to_string(), shard.clone());
        Ok(shard)
    }

    /// Advisories naming this package in this ecosystem.
    pub fn lookup(&self, ecosystem: &str, name: &str) -> Result<Advisories, Error> {
        let key = shard_name(ecosystem);
        let shard = self.shard(&key)?;
        if let Some(list) = shard.parsed.lock().unwrap_or_else(|e| e.into_inner()).get(name) {
            return Ok(list.clone());
        }
        // parsed outside the lock; two threads may parse the same package once each
        let list: Advisories = match shard.table.binary_search_by(|(n, _, _)| n.as_str().cmp(name)) {
            Ok(i) => {
                let (_, off, len) = shard.table[i];
                let mut blob = vec![0u8; len];
                let at = (shard.base + off) as u64;
                let file = shard.file.as_ref().ok_or_else(|| Error::Damaged(format!("{key}: no file")))?;
                std::os::unix::fs::FileExt::read_exact_at(file, &mut blob, at)
                    .map_err(|e| Error::Damaged(format!("{}: truncated shard ({e})", self.dir.join(&key).display())))?;
                shard_blob(&blob, 0, 0, len)
                    .map_err(|e| Error::Damaged(format!("{}: {e}", self.dir.join(&key).display())))?
                    .into_iter()
                    .map(Arc::new)
                    .collect()
            }
            Err(_) => Arc::from(Vec::new()),
        };
        shard.parsed.lock().unwrap_or_else(|e| e.into_inner()).insert(name.to_string(), list.clone());
        Ok(list)
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

    /// Distribution advisories (OSV publishes Debian, Ubuntu, Alpine and the RPM distributions the
    /// same way) match by distribution, release and source package; what cannot be matched is
    /// said once per distribution and reason.
    #[test]
    fn distribution_packages_match_by_release_and_source() {
        let root = std::env::temp_dir().join(format!("vulndb-distro-{}", std::process::id()));
        let (src, db) = (root.join("src"), root.join("db"));
        std::fs::create_dir_all(&src).unwrap();
        let rec = |id: &str, eco: &str, name: &str, fixed: &str| {
            format!(
                r#"{{"id":"{id}","modified":"2024-01-01","affected":[{{"package":{{"ecosystem":"{eco}","name":"{name}"}},"ranges":[{{"type":"ECOSYSTEM","events":[{{"introduced":"0"}},{{"fixed":"{fixed}"}}]}}]}}]}}"#
            )
        };
        for (id, eco, name, fixed) in [
            ("DEB-12", "Debian:12", "openssl", "3.0.11-1~deb12u3"),
            ("DEB-11", "Debian:11", "openssl", "1.1.1w-0+deb11u2"),
            ("UBU-1", "Ubuntu:22.04:LTS", "openssl", "3.0.2-0ubuntu1.15"),
            ("UBU-PRO", "Ubuntu:Pro:18.04:LTS", "openssl", "9.9"),
            ("ALSA-1", "AlmaLinux:9", "openssl-libs", "1:3.0.7-25.el9_3"),
            ("ALP-1", "Alpine:v3.11", "openssl", "1.1.1g-r0"),
        ] {
            std::fs::write(src.join(format!("{id}.json")), rec(id, eco, name, fixed)).unwrap();
        }
        import(&db, std::slice::from_ref(&src), &|_, _, _| {}).unwrap();
        let idx = Index::open(&db).unwrap();
        assert_eq!(idx.releases_of("Ubuntu"), ["22.04", "pro:18.04"]);
        let bom = serde_json::json!({"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [
            {"type": "library", "name": "libssl3", "purl": "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?upstream=openssl&distro=debian-12"},
            {"type": "library", "name": "openssl", "purl": "pkg:deb/debian/openssl@3.0.11-1~deb12u2?distro=debian-12"},
            {"type": "library", "name": "libssl3", "purl": "pkg:deb/ubuntu/libssl3@3.0.2-0ubuntu1.10?upstream=openssl%403.0.2-0ubuntu1.10&distro=ubuntu-22.04"},
            {"type": "library", "name": "openssl-libs", "purl": "pkg:rpm/almalinux/openssl-libs@3.0.7-24.el9?epoch=1&distro=almalinux-9.3"},
            {"type": "library", "name": "openssl-libs", "purl": "pkg:rpm/almalinux/openssl-libs@3.0.7-27.el9?epoch=1&distro=almalinux-9.3"},
            {"type": "library", "name": "kali-thing", "purl": "pkg:deb/kali/kali-thing@1.0"},
            {"type": "library", "name": "kali-other", "purl": "pkg:deb/kali/kali-other@1.0"},
            {"type": "library", "name": "curl", "purl": "pkg:deb/debian/curl@7.88.1-10"},
            {"type": "library", "name": "busybox", "purl": "pkg:apk/alpine/busybox@1.35.0-r17?distro=3.16.2"},
        ]});
        let doc = sbom::parse(bom.to_string().as_bytes()).unwrap();
        let rep = crate::matcher::scan(&idx, &doc.components).unwrap();
        let found: Vec<(&str, &str, Option<&str>)> = rep
            .findings
            .iter()
            .map(|f| (f.id.as_str(), f.package.name.as_str(), f.package.source.as_deref()))
            .collect();
        let mut found = found;
        found.sort();
        // Debian 12's advisory for both installed packages of the openssl source (not Debian
        // 11's); Ubuntu 22.04's (not Pro's); AlmaLinux with the epoch, the fixed build not listed
        assert_eq!(
            found,
            [
                ("ALSA-1", "openssl-libs", None),
                ("DEB-12", "libssl3", Some("openssl")),
                ("DEB-12", "openssl", None),
                ("UBU-1", "libssl3", Some("openssl")),
            ]
        );
        let nm: Vec<(&str, &str, usize)> =
            rep.not_matched.iter().map(|n| (n.ecosystem.as_str(), n.reason.as_str(), n.components)).collect();
        assert_eq!(nm.len(), 3, "{nm:?}");
        assert!(nm.contains(&("kali", "no advisories or version order for this distribution", 2)), "{nm:?}");
        assert!(nm.iter().any(|(e, r, n)| *e == "Debian" && r.contains("release is unknown") && *n == 1), "{nm:?}");
        assert!(
            nm.iter().any(|(e, r, n)| *e == "Alpine:v3.16" && r.contains("it has Alpine v3.11") && *n == 1),
            "{nm:?}"
        );
        // the release from the SBOM's operating-system component
        let bom = serde_json::json!({"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [
            {"type": "operating-system", "name": "alpine", "version": "3.11.6"},
            {"type": "library", "name": "libssl1.1", "purl": "pkg:apk/alpine/libssl1.1@1.1.1d-r3?upstream=openssl"},
        ]});
        let doc = sbom::parse(bom.to_string().as_bytes()).unwrap();
        assert_eq!(doc.os.as_ref().map(|o| o.version.as_str()), Some("3.11.6"));
        let rep = crate::matcher::scan(&idx, &doc.components).unwrap();
        assert_eq!(rep.findings.iter().map(|f| f.id.as_str()).collect::<Vec<_>>(), ["ALP-1"]);
        assert!(rep.not_matched.is_empty());
        let _ = std::fs::remove_dir_all(root);
    }

    #[test]
    fn import_adds_changes_and_withdraws() {
        let root = std::env::temp_dir().join(format!("vulndb-test-{}", std::process::id()));
        let (src, db) = (root.join("src"), root.join("db"));
        std::fs::create_dir_all(&src).unwrap();
        std::fs::write(src.join("A-1.json"), rec("A-1", "2024-01-01", false, "1.0")).unwrap();
        std::fs::write(src.join("A-2.json"), rec("A-2", "2024-01-01", false, "2.0")).unwrap();
        std::fs::write(src.join("broken.json"), r#"{"id": "A-3", "affected": [{"package": {"ecosystem": "PyPI", "name": "x"}, "ranges": [{"type": "ECOSYSTEM", "events": ["introduced"]}]}]}"#).unwrap();
        let r = import(&db, std::slice::from_ref(&src), &|_, _, _| {}).unwrap();
        assert_eq!((r.added, r.changed, r.withdrawn, r.total), (2, 0, 0, 2));
        assert_eq!(r.problems.len(), 1, "the broken range is reported, not imported: {:?}", r.problems);
        assert!(r.problems[0].1.contains("not an object"));
        let idx = Index::open(&db).unwrap();
        assert_eq!(idx.lookup("PyPI", "some-pkg").unwrap().len(), 2, "names are PEP 503 normalised");
        // a newer copy: A-1 fixed later, A-2 withdrawn
        std::fs::write(src.join("A-1.json"), rec("A-1", "2024-02-01", false, "1.1")).unwrap();
        std::fs::write(src.join("A-2.json"), rec("A-2", "2024-02-01", true, "2.0")).unwrap();
        let r = import(&db, std::slice::from_ref(&src), &|_, _, _| {}).unwrap();
        assert_eq!((r.added, r.changed, r.withdrawn, r.total), (0, 1, 1, 1));
        let idx = Index::open(&db).unwrap();
        let comps = [sbom::Component {
            ecosystem: "PyPI".into(),
            name: "some-pkg".into(),
            version: "1.0.5".into(),
            purl: None,
        }];
        let rep = crate::matcher::scan(&idx, &comps).unwrap();
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
        import(&db, std::slice::from_ref(&src), &|_, _, _| {}).unwrap();
        let idx = Index::open(&db).unwrap();
        let comps =
            [sbom::Component { ecosystem: "PyPI".into(), name: "some-pkg".into(), version: "0.9".into(), purl: None }];
        let rep = crate::matcher::scan(&idx, &comps).unwrap();
        assert_eq!(rep.findings.len(), 1, "{:?}", rep.findings);
        let f = &rep.findings[0];
        let mut all: Vec<&str> = std::iter::once(f.id.as_str()).chain(f.aliases.iter().map(String::as_str)).collect();
        all.sort();
        assert_eq!(all, ["CVE-2099-9", "GHSA-1", "PYSEC-9"]);
        assert_eq!(f.fixed, vec!["1.0".to_string(), "1.2".to_string()]);
        let _ = std::fs::remove_dir_all(root);
    }
}
