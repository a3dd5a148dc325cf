//! Advisories as the index keeps them, read from OSV JSON records (zips of records, or
//! directories) and from RustSec's native format (TOML front matter in Markdown).

use std::io::Read;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::cvss::{Level, base_score};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Event {
    Introduced(String),
    Fixed(String),
    LastAffected(String),
    Limit(String),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Range {
    /// SEMVER, ECOSYSTEM or GIT.
    pub kind: String,
    pub events: Vec<Event>,
}

/// RustSec's version requirements: affected unless a patched or unaffected requirement matches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct RustReqs {
    pub patched: Vec<String>,
    pub unaffected: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Affected {
    /// As OSV names it, e.g. `PyPI`, `Debian:12`.
    pub ecosystem: String,
    /// Normalised for lookup (PEP 503 for PyPI).
    pub name: String,
    pub ranges: Vec<Range>,
    pub versions: Vec<String>,
    pub rust: Option<RustReqs>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Advisory {
    pub id: String,
    pub aliases: Vec<String>,
    pub modified: String,
    pub summary: String,
    pub withdrawn: bool,
    pub severity: Level,
    pub score: Option<f64>,
    pub affected: Vec<Affected>,
    /// RustSec's informational kind (`unmaintained`, `unsound`, `notice`); None for a vulnerability.
    #[serde(default)]
    pub informational: Option<String>,
}

/// Why a record could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordError(pub String);

fn s(v: &Value, k: &str) -> String {
    v.get(k).and_then(Value::as_str).unwrap_or("").to_string()
}

pub fn normalise_name(ecosystem: &str, name: &str) -> String {
    if ecosystem.eq_ignore_ascii_case("pypi") { sbom::purl::pep503(name) } else { name.to_string() }
}

fn severity_of(v: &Value) -> (Level, Option<f64>) {
    let mut best: Option<f64> = None;
    for sv in v.get("severity").and_then(Value::as_array).into_iter().flatten() {
        let score = sv.get("score").and_then(Value::as_str).unwrap_or("");
        if let Some(x) = base_score(score).or_else(|| score.parse::<f64>().ok().filter(|x| (0.0..=10.0).contains(x))) {
            best = Some(best.map_or(x, |b: f64| b.max(x)));
        }
    }
    if let Some(b) = best {
        return (Level::from_score(b), Some(b));
    }
    let ds = v.get("database_specific").and_then(|d| d.get("severity")).and_then(Value::as_str).and_then(Level::parse);
    let eco = v.get("affected").and_then(Value::as_array).into_iter().flatten().find_map(|a| {
        a.get("ecosystem_specific").and_then(|e| e.get("severity")).and_then(Value::as_str).and_then(Level::parse)
    });
    (ds.or(eco).unwrap_or(Level::Unknown), None)
}

/// Reads one OSV record written in YAML (as some advisory repositories keep them).
pub fn from_osv_yaml(bytes: &[u8]) -> Result<Advisory, RecordError> {
    let v: Value = serde_yaml_ng::from_slice(bytes).map_err(|e| RecordError(format!("invalid YAML: {e}")))?;
    let json = serde_json::to_vec(&v).map_err(|e| RecordError(e.to_string()))?;
    from_osv_json(&json)
}

/// Reads one OSV JSON record. Unknown fields are ignored; a record without an id, or with
/// affected entries of the wrong shape, is an error naming the problem.
pub fn from_osv_json(bytes: &[u8]) -> Result<Advisory, RecordError> {
    let v: Value = serde_json::from_slice(bytes).map_err(|e| RecordError(format!("invalid JSON: {e}")))?;
    let id = s(&v, "id");
    if id.is_empty() {
        return Err(RecordError("record without an id".into()));
    }
    let mut affected = Vec::new();
    for (i, a) in v.get("affected").and_then(Value::as_array).into_iter().flatten().enumerate() {
        let pkg = a.get("package");
        let ecosystem = pkg.map(|p| s(p, "ecosystem")).unwrap_or_default();
        let name = pkg.map(|p| s(p, "name")).unwrap_or_default();
        let mut ranges = Vec::new();
        for r in a.get("ranges").and_then(Value::as_array).into_iter().flatten() {
            let kind = s(r, "type");
            let mut events = Vec::new();
            for e in r.get("events").and_then(Value::as_array).into_iter().flatten() {
                let o = e
                    .as_object()
                    .ok_or_else(|| RecordError(format!("{id}: affected[{i}]: an event is not an object")))?;
                for (k, val) in o {
                    let val = val.as_str().unwrap_or("").to_string();
                    events.push(match k.as_str() {
                        "introduced" => Event::Introduced(val),
                        "fixed" => Event::Fixed(val),
                        "last_affected" => Event::LastAffected(val),
                        "limit" => Event::Limit(val),
                        _ => continue,
                    });
                }
            }
            ranges.push(Range { kind, events });
        }
        let versions = a
            .get("versions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect();
        if ecosystem.is_empty() || name.is_empty() {
            continue; // GIT-only records (OSS-Fuzz, CPython) name no package
        }
        affected.push(Affected { name: normalise_name(&ecosystem, &name), ecosystem, ranges, versions, rust: None });
    }
    let (severity, score) = severity_of(&v);
    Ok(Advisory {
        aliases: v
            .get("aliases")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect(),
        modified: s(&v, "modified"),
        summary: {
            let sm = s(&v, "summary");
            if sm.is_empty() { s(&v, "details").chars().take(200).collect() } else { sm }
        },
        withdrawn: !s(&v, "withdrawn").is_empty(),
        severity,
        score,
        affected,
        informational: None,
        id,
    })
}

#[derive(Deserialize)]
struct RsFront {
    advisory: RsAdvisory,
    #[serde(default)]
    versions: RsVersions,
}

#[derive(Deserialize)]
struct RsAdvisory {
    id: String,
    package: String,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    cvss: Option<String>,
    #[serde(default)]
    date: Option<toml::Value>,
    #[serde(default)]
    withdrawn: Option<toml::Value>,
    #[serde(default)]
    informational: Option<String>,
    #[serde(default)]
    severity: Option<String>,
}

#[derive(Deserialize, Default)]
struct RsVersions {
    #[serde(default)]
    patched: Vec<String>,
    #[serde(default)]
    unaffected: Vec<String>,
}

/// Reads one RustSec advisory (`crates/<name>/RUSTSEC-*.md`: TOML between ```toml fences,
/// then Markdown whose first heading is the title). Informational advisories (unmaintained,
/// unsound, notice) are kept but marked low unless a CVSS vector says otherwise.
pub fn from_rustsec_md(text: &str) -> Result<Advisory, RecordError> {
    let body = text.trim_start();
    let rest = body.strip_prefix("```toml").ok_or_else(|| RecordError("no ```toml front matter".into()))?;
    let (front, md) = rest.split_once("```").ok_or_else(|| RecordError("unterminated ```toml front matter".into()))?;
    let f: RsFront = toml::from_str(front).map_err(|e| RecordError(format!("front matter: {}", e.message())))?;
    let title = md.lines().find_map(|l| l.strip_prefix("# ")).unwrap_or("").trim().to_string();
    let score = f.advisory.cvss.as_deref().and_then(base_score);
    let severity = match (score, f.advisory.severity.as_deref().and_then(Level::parse), &f.advisory.informational) {
        (Some(x), _, _) => Level::from_score(x),
        (None, Some(l), _) => l,
        (None, None, Some(_)) => Level::Low,
        _ => Level::Unknown,
    };
    Ok(Advisory {
        id: f.advisory.id,
        aliases: f.advisory.aliases,
        modified: f
            .advisory
            .date
            .map(|d| d.as_str().map(str::to_string).unwrap_or_else(|| d.to_string()))
            .unwrap_or_default(),
        summary: title,
        withdrawn: f.advisory.withdrawn.is_some(),
        severity,
        score,
        affected: vec![Affected {
            ecosystem: "crates.io".into(),
            name: f.advisory.package,
            ranges: Vec::new(),
            versions: Vec::new(),
            rust: Some(RustReqs { patched: f.versions.patched, unaffected: f.versions.unaffected }),
        }],
        informational: f.advisory.informational,
    })
}

/// What a source held: advisories, and per-record problems (file, reason).
#[derive(Debug, Default)]
pub struct Loaded {
    pub advisories: Vec<Advisory>,
    pub problems: Vec<(String, String)>,
}

fn take(name: &str, bytes: &[u8], out: &mut Loaded) {
    let r = if name.ends_with(".md") && name.contains("RUSTSEC-") {
        std::str::from_utf8(bytes).map_err(|_| RecordError("not UTF-8".into())).and_then(from_rustsec_md)
    } else if name.ends_with(".json") {
        from_osv_json(bytes)
    } else if name.ends_with(".yaml") || name.ends_with(".yml") {
        from_osv_yaml(bytes)
    } else {
        return;
    };
    match r {
        Ok(a) => out.advisories.push(a),
        Err(e) => out.problems.push((name.to_string(), e.0)),
    }
}

/// Reads a zip of records, a directory tree of records, or a single record file.
pub fn load(path: &std::path::Path, out: &mut Loaded) -> Result<(), String> {
    load_with_progress(path, out, &|_, _| {})
}

/// Like [`load`], telling `progress(done, total)` as zip entries are read.
pub fn load_with_progress(
    path: &std::path::Path,
    out: &mut Loaded,
    progress: &dyn Fn(usize, usize),
) -> Result<(), String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if meta.is_dir() {
        let mut stack = vec![path.to_path_buf()];
        while let Some(d) = stack.pop() {
            let rd = std::fs::read_dir(&d).map_err(|e| format!("{}: {e}", d.display()))?;
            for e in rd.flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if let Ok(b) = std::fs::read(&p) {
                    take(&p.display().to_string(), &b, out);
                }
            }
        }
        return Ok(());
    }
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut head = [0u8; 4];
    let n = (&file).read(&mut head).unwrap_or(0);
    if n >= 2 && &head[..2] == b"PK" {
        let mut z = zip::ZipArchive::new(std::fs::File::open(path).map_err(|e| e.to_string())?)
            .map_err(|e| format!("{}: not a readable zip: {e}", path.display()))?;
        if z.is_empty() {
            return Err(format!("{}: the zip is empty", path.display()));
        }
        let mut buf = Vec::new();
        let total = z.len();
        for i in 0..total {
            if i % 500 == 0 {
                progress(i, total);
            }
            let mut f = z.by_index(i).map_err(|e| format!("{}: entry {i}: {e}", path.display()))?;
            if !f.is_file() {
                continue;
            }
            let name = f.name().to_string();
            if f.size() > 64 * 1024 * 1024 {
                out.problems.push((name, "entry larger than 64 MiB".into()));
                continue;
            }
            buf.clear();
            if let Err(e) = f.read_to_end(&mut buf) {
                out.problems.push((name, e.to_string()));
                continue;
            }
            take(&name, &buf, out);
        }
        progress(total, total);
        return Ok(());
    }
    let b = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let name = path.display().to_string();
    let before = (out.advisories.len(), out.problems.len());
    take(&name, &b, out);
    if (out.advisories.len(), out.problems.len()) == before {
        return Err(format!("{name}: not a zip, a directory, an OSV .json/.yaml record or a RUSTSEC-*.md advisory"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Mutated OSV records and RustSec advisories: an error or a value, never a panic.
    /// (A deterministic mutation loop; no fuzzing dependency needed for this coverage.)
    #[test]
    fn mutated_records_never_panic() {
        let osv = br#"{"id":"X-1","modified":"2024-01-01","aliases":["CVE-1"],"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],"affected":[{"package":{"ecosystem":"PyPI","name":"a"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.0"}]}],"versions":["0.9"]}]}"#;
        let rs = b"```toml\n[advisory]\nid = \"RUSTSEC-1\"\npackage = \"a\"\ndate = \"2024-01-01\"\n[versions]\npatched = [\">= 1.0\"]\n```\n# Title\n";
        let mut x: u64 = 7;
        for round in 0..6000 {
            let mut v = if round % 2 == 0 { osv.to_vec() } else { rs.to_vec() };
            for _ in 0..(round % 5 + 1) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let i = (x as usize) % v.len().max(1);
                match x % 3 {
                    0 if !v.is_empty() => v[i] = (x >> 8) as u8,
                    1 => v.truncate(i),
                    _ => v.insert(i.min(v.len()), (x >> 16) as u8),
                }
            }
            let _ = from_osv_json(&v);
            if let Ok(t) = std::str::from_utf8(&v) {
                let _ = from_rustsec_md(t);
            }
        }
        assert_eq!(from_osv_json(osv).unwrap().score, Some(9.8));
        assert_eq!(from_rustsec_md(std::str::from_utf8(rs).unwrap()).unwrap().summary, "Title");
        assert!(from_osv_json(b"{\"affected\":[]}").is_err(), "no id");
        assert!(from_rustsec_md("no front matter").is_err());
        let yaml = b"id: Y-1\nmodified: '2024-01-01'\naffected:\n  - package: {ecosystem: PyPI, name: Foo_Bar}\n    ranges:\n      - type: ECOSYSTEM\n        events: [{introduced: '0'}, {fixed: '2.0'}]\n";
        let a = from_osv_yaml(yaml).unwrap();
        assert_eq!((a.id.as_str(), a.affected[0].name.as_str()), ("Y-1", "foo-bar"));
        assert!(from_osv_yaml(b"id: [unclosed").is_err());
    }
}
