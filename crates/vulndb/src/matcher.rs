//! Which advisories affect which components: OSV range evaluation with each ecosystem's version
//! order, explicit version lists, RustSec requirements; withdrawn records never match; aliases
//! merged so one vulnerability is one finding listing all its IDs.

use std::cmp::Ordering;

use serde::Serialize;

use crate::cvss::Level;
use crate::db::Index;
use crate::osv::{Affected, Event};
use crate::version::{Ecosystem, compare};

/// The version order for an OSV ecosystem name, if we know it.
pub fn version_ecosystem(osv: &str) -> Option<Ecosystem> {
    let base = osv.split(':').next().unwrap_or("");
    Some(match base {
        "crates.io" | "npm" | "Go" | "Bitnami" | "Julia" | "Hex" | "SwiftURL" | "Pub" => {
            if base == "Pub" {
                Ecosystem::Pub
            } else {
                Ecosystem::SemVer
            }
        }
        other => Ecosystem::parse(other)?,
    })
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Package {
    pub name: String,
    pub ecosystem: String,
    pub version: String,
    pub purl: Option<String>,
    /// The source package advisories name, when it differs from the installed one (Debian's
    /// `libssl3` comes from `openssl`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// Distribution packages that could not be matched, by distribution (release) and reason.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct NotMatched {
    pub ecosystem: String,
    pub reason: String,
    pub components: usize,
}

/// A distribution ecosystem's name and release key, the same for advisories and components:
/// `Alpine:v3.10` → (Alpine, v3.10), `Ubuntu:22.04:LTS` → (Ubuntu, 22.04), `Ubuntu:Pro:18.04:LTS`
/// → (Ubuntu, pro:18.04), `Red Hat:enterprise_linux:9::appstream` → (Red Hat, 9), `Debian` →
/// (Debian, none). None for language ecosystems.
pub fn distro_release(eco: &str) -> Option<(&str, Option<String>)> {
    let (base, rest) = eco.split_once(':').unwrap_or((eco, ""));
    if !matches!(version_ecosystem(base), Some(Ecosystem::Debian | Ecosystem::Rpm | Ecosystem::Alpine)) {
        return None;
    }
    let parts: Vec<&str> = rest.split(':').filter(|p| !p.is_empty() && *p != "LTS").collect();
    let numbered = parts.iter().find(|p| p.starts_with(|c: char| c.is_ascii_digit()));
    let key = match base {
        "Alpine" => parts.first().map(|p| p.to_string()),
        "Ubuntu" => numbered.map(|n| if parts.contains(&"Pro") { format!("pro:{n}") } else { n.to_string() }),
        // Red Hat's CPE-like names: the RHEL release is `elN` where given, else the number of
        // `enterprise_linux` / `rhel_*`; layered products (JBoss 8 on el9) are not RHEL 8
        "Red Hat" => match parts
            .iter()
            .find_map(|p| p.strip_prefix("el").filter(|n| n.starts_with(|c: char| c.is_ascii_digit())))
        {
            Some(n) => Some(n.split(|c: char| !c.is_ascii_digit()).next().unwrap_or(n).to_string()),
            None if parts.first().is_some_and(|p| *p == "enterprise_linux" || p.starts_with("rhel"))
                || parts.len() == 1 =>
            {
                numbered.map(|n| n.split('.').next().unwrap_or(n).to_string())
            }
            None => None,
        },
        // Debian and the RPM distributions: the major release
        _ => numbered.map(|n| n.split('.').next().unwrap_or(n).to_string()),
    };
    Some((base, key))
}

/// One vulnerability in one component.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub id: String,
    pub aliases: Vec<String>,
    pub package: Package,
    pub fixed: Vec<String>,
    pub severity: Level,
    pub score: Option<f64>,
    pub summary: String,
    /// `vulnerability`, or RustSec's informational kind (`unmaintained`, `unsound`, `notice`).
    pub kind: String,
}

/// Whether `version` is in one OSV range, walking events in version order.
fn in_range(eco: Ecosystem, events: &[Event], version: &str) -> bool {
    let key = |e: &Event| -> (String, u8) {
        match e {
            Event::Introduced(v) => (v.clone(), 0),
            Event::Fixed(v) => (v.clone(), 1),
            Event::LastAffected(v) => (v.clone(), 2),
            Event::Limit(v) => (v.clone(), 3),
        }
    };
    let mut evs: Vec<&Event> = events.iter().collect();
    evs.sort_by(|a, b| {
        let ((va, ka), (vb, kb)) = (key(a), key(b));
        let zero = |v: &str| v == "0";
        match (zero(&va), zero(&vb)) {
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            _ => compare(eco, &va, &vb),
        }
        .then(ka.cmp(&kb))
    });
    let mut affected = false;
    for e in evs {
        match e {
            Event::Introduced(v) if v == "0" || compare(eco, version, v) != Ordering::Less => affected = true,
            Event::Fixed(v) if compare(eco, version, v) != Ordering::Less => affected = false,
            Event::LastAffected(v) if compare(eco, version, v) == Ordering::Greater => affected = false,
            Event::Limit(v) if compare(eco, version, v) != Ordering::Less => affected = false,
            _ => {}
        }
    }
    affected
}

/// Whether an affected entry covers this version; None when the ecosystem's order is unknown
/// and no explicit version list settles it.
pub fn affects(a: &Affected, version: &str) -> Option<bool> {
    if a.versions.iter().any(|v| v == version) {
        return Some(true);
    }
    if let Some(r) = &a.rust {
        let v = semver::Version::parse(version).ok()?;
        let any =
            |reqs: &[String]| reqs.iter().filter_map(|q| semver::VersionReq::parse(q).ok()).any(|q| q.matches(&v));
        return Some(!any(&r.patched) && !any(&r.unaffected));
    }
    let ranges: Vec<_> = a.ranges.iter().filter(|r| r.kind != "GIT").collect();
    if ranges.is_empty() {
        return Some(false);
    }
    let mut hit = false;
    for r in ranges {
        let eco = if r.kind == "SEMVER" { Ecosystem::SemVer } else { version_ecosystem(&a.ecosystem)? };
        if !crate::version::is_valid(eco, version) {
            return None;
        }
        hit |= in_range(eco, &r.events, version);
    }
    Some(hit)
}

fn fixed_versions(a: &Affected) -> Vec<String> {
    let mut v: Vec<String> = a
        .ranges
        .iter()
        .flat_map(|r| r.events.iter())
        .filter_map(|e| if let Event::Fixed(f) = e { Some(f.clone()) } else { None })
        .collect();
    if let Some(r) = &a.rust {
        v.extend(r.patched.iter().cloned());
    }
    v.sort();
    v.dedup();
    v
}

/// The result of matching components against the index.
#[derive(Debug, Default)]
pub struct Report {
    pub findings: Vec<Finding>,
    /// Components whose ecosystem has no known version order (not matched by ranges).
    pub unsupported: usize,
    /// Distribution packages not matched, once per distribution and reason.
    pub not_matched: Vec<NotMatched>,
}

/// Matches components; advisories about the same vulnerability (shared IDs or aliases) in the
/// same component become one finding.
pub fn scan(index: &Index, components: &[sbom::Component]) -> Result<Report, crate::Error> {
    let mut report = Report::default();
    // the same package at the same version listed several times (one entry per binary in
    // image SBOMs) is one finding, not several
    let mut seen = std::collections::HashSet::new();
    let mut not_matched: std::collections::BTreeMap<(String, String), usize> = Default::default();
    for c in components {
        let distro = distro_release(&c.ecosystem);
        // distribution packages are findings per installed package (several come from one
        // source package); others once per name and version
        let purl = if distro.is_some() { c.purl.as_deref() } else { None };
        if c.ecosystem.is_empty() || c.version.is_empty() || !seen.insert((&c.ecosystem, &c.name, &c.version, purl)) {
            continue;
        }
        let purl_type = c.purl.as_deref().and_then(|p| p.strip_prefix("pkg:")).and_then(|p| p.split('/').next());
        match &distro {
            None if matches!(purl_type, Some("deb" | "apk" | "alpine" | "rpm")) => {
                let reason = "no advisories or version order for this distribution".to_string();
                *not_matched.entry((c.ecosystem.split(':').next().unwrap_or("").to_string(), reason)).or_default() += 1;
                continue;
            }
            Some((base, None)) => {
                let reason = "the release is unknown: give --distro (e.g. debian-12), the purls a distro= qualifier or the SBOM its operating-system component".to_string();
                *not_matched.entry((base.to_string(), reason)).or_default() += 1;
                continue;
            }
            Some((base, Some(key))) if index.has_release(base, key) == Some(false) => {
                let have = index.releases_of(base);
                let reason = if have.is_empty() {
                    format!("no {base} advisories in the index")
                } else {
                    format!("no advisories for this release in the index (it has {base} {})", have.join(", "))
                };
                *not_matched.entry((c.ecosystem.clone(), reason)).or_default() += 1;
                continue;
            }
            _ => {}
        }
        let version =
            if c.ecosystem == "Go" { c.version.clone() } else { c.version.trim_start_matches('v').to_string() };
        let advisories = index.lookup(&c.ecosystem, &c.name)?;
        let mut hits: Vec<Finding> = Vec::new();
        let mut unsupported = false;
        for adv in advisories.iter() {
            if adv.withdrawn {
                continue;
            }
            let mut fixed = Vec::new();
            let mut matched = false;
            let same = |a: &Affected| match &distro {
                Some(d) => distro_release(&a.ecosystem).as_ref() == Some(d),
                None => same_ecosystem(&a.ecosystem, &c.ecosystem),
            };
            for a in adv.affected.iter().filter(|a| a.name == c.name && same(a)) {
                match affects(a, &version) {
                    Some(true) => {
                        matched = true;
                        fixed.extend(fixed_versions(a));
                    }
                    Some(false) => {}
                    None => unsupported = true,
                }
            }
            if !matched {
                continue;
            }
            let ids: Vec<&str> =
                std::iter::once(adv.id.as_str()).chain(adv.aliases.iter().map(String::as_str)).collect();
            if let Some(f) =
                hits.iter_mut().find(|f| ids.iter().any(|i| *i == f.id || f.aliases.iter().any(|x| x == i)))
            {
                for i in ids {
                    if i != f.id && !f.aliases.iter().any(|x| x == i) {
                        f.aliases.push(i.to_string());
                    }
                }
                f.fixed.extend(fixed);
                f.fixed.sort();
                f.fixed.dedup();
                if adv.severity > f.severity {
                    f.severity = adv.severity;
                    f.score = adv.score;
                }
                continue;
            }
            hits.push(Finding {
                id: adv.id.clone(),
                aliases: adv.aliases.clone(),
                package: package_of(c, distro.is_some()),
                fixed,
                severity: adv.severity,
                score: adv.score,
                summary: adv.summary.clone(),
                kind: adv.informational.clone().unwrap_or_else(|| "vulnerability".into()),
            });
        }
        if unsupported {
            report.unsupported += 1;
        }
        report.findings.extend(hits);
    }
    report.not_matched = not_matched
        .into_iter()
        .map(|((ecosystem, reason), components)| NotMatched { ecosystem, reason, components })
        .collect();
    report
        .findings
        .sort_by(|a, b| b.severity.cmp(&a.severity).then(a.package.name.cmp(&b.package.name)).then(a.id.cmp(&b.id)));
    Ok(report)
}

/// A finding's package: for a distribution package the installed package (the purl's name) and
/// the source package advisories name.
fn package_of(c: &sbom::Component, distro: bool) -> Package {
    let installed = if distro { c.purl.as_deref().and_then(sbom::purl::Purl::parse).map(|p| p.name) } else { None };
    let (name, source) = match installed {
        Some(n) if n != c.name => (n, Some(c.name.clone())),
        _ => (c.name.clone(), None),
    };
    Package { name, ecosystem: c.ecosystem.clone(), version: c.version.clone(), purl: c.purl.clone(), source }
}

fn same_ecosystem(advisory: &str, component: &str) -> bool {
    if advisory == component {
        return true;
    }
    // a component without a release ("Debian") matches any release's advisory, and vice versa
    let (a, c) = (advisory.split(':').next(), component.split(':').next());
    a == c && (!advisory.contains(':') || !component.contains(':'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distribution_release_keys() {
        let key = |e: &str| distro_release(e).map(|(b, k)| (b.to_string(), k));
        for (eco, base, release) in [
            ("Alpine:v3.10", "Alpine", Some("v3.10")),
            ("Debian:12", "Debian", Some("12")),
            ("Debian", "Debian", None),
            ("Ubuntu:22.04:LTS", "Ubuntu", Some("22.04")),
            ("Ubuntu:Pro:18.04:LTS", "Ubuntu", Some("pro:18.04")),
            ("AlmaLinux:8", "AlmaLinux", Some("8")),
            ("Rocky Linux:9", "Rocky Linux", Some("9")),
            ("Red Hat:enterprise_linux:9::appstream", "Red Hat", Some("9")),
            ("Red Hat:rhel_eus:8.6::baseos", "Red Hat", Some("8")),
            ("Red Hat:jboss_enterprise_application_platform:8::el9", "Red Hat", Some("9")),
            ("Red Hat:openshift:4.14::el8", "Red Hat", Some("8")),
            ("Red Hat:ansible_automation_platform:2.4", "Red Hat", None),
            ("Red Hat:9", "Red Hat", Some("9")),
        ] {
            assert_eq!(key(eco), Some((base.to_string(), release.map(str::to_string))), "{eco}");
        }
        assert_eq!(key("PyPI"), None);
        assert_eq!(key("Go"), None);
    }
    use crate::osv::Range;

    fn aff(eco: &str, events: Vec<Event>) -> Affected {
        Affected {
            ecosystem: eco.into(),
            name: "x".into(),
            ranges: vec![Range { kind: "ECOSYSTEM".into(), events }],
            versions: vec![],
            rust: None,
        }
    }

    #[test]
    fn ranges() {
        use Event::*;
        let a = aff(
            "PyPI",
            vec![Introduced("0".into()), Fixed("1.2.0".into()), Introduced("2.0a1".into()), LastAffected("2.1".into())],
        );
        assert_eq!(affects(&a, "1.1.9"), Some(true));
        assert_eq!(affects(&a, "1.2.0"), Some(false));
        assert_eq!(affects(&a, "1.10"), Some(false));
        assert_eq!(affects(&a, "2.0"), Some(true));
        assert_eq!(affects(&a, "2.1"), Some(true));
        assert_eq!(affects(&a, "2.1.post1"), Some(false));
        let l = aff("npm", vec![Introduced("1.0.0".into()), Limit("2.0.0".into())]);
        assert_eq!(affects(&l, "1.5.0"), Some(true));
        assert_eq!(affects(&l, "2.0.0"), Some(false));
        // a GIT range never hides an ECOSYSTEM range
        let mut g = aff("PyPI", vec![Introduced("1.0".into()), Fixed("1.1".into())]);
        g.ranges.insert(0, Range { kind: "GIT".into(), events: vec![Introduced("abc".into()), Fixed("def".into())] });
        assert_eq!(affects(&g, "1.0.5"), Some(true));
        assert_eq!(
            affects(&aff("Linux", vec![Introduced("0".into())]), "1.0"),
            None,
            "unknown order is said, not guessed"
        );
        assert_eq!(
            affects(&aff("PyPI", vec![Introduced("0".into())]), "1.23?extension=tar.gz"),
            None,
            "a malformed version is not matched"
        );
        let r = Affected {
            ecosystem: "crates.io".into(),
            name: "x".into(),
            ranges: vec![],
            versions: vec![],
            rust: Some(crate::osv::RustReqs {
                patched: vec![">= 1.2.3, < 1.3".into(), ">= 1.3.5".into()],
                unaffected: vec!["< 1.0".into()],
            }),
        };
        assert_eq!(affects(&r, "0.9.0"), Some(false));
        assert_eq!(affects(&r, "1.2.0"), Some(true));
        assert_eq!(affects(&r, "1.2.4"), Some(false));
        assert_eq!(affects(&r, "1.3.2"), Some(true));
        assert_eq!(affects(&r, "1.4.0"), Some(false));
    }
}
