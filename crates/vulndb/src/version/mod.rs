//! Version ordering per ecosystem. Each ecosystem has its own rules (SemVer pre-releases, Debian
//! epochs and tildes, PEP 440 dev/pre/post releases, RPM segments, ...); comparing with the wrong
//! rules gives wrong vulnerability matches, so every comparator is checked against the published
//! ordering vectors in `shared/data/version-vectors`.

mod apk;
mod cran;
mod debian;
mod gem;
mod maven;
mod nuget;
mod packagist;
mod pep440;
mod rpm;
mod semver;

use std::cmp::Ordering;

/// An ecosystem whose version ordering we know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ecosystem {
    /// SemVer 2 (crates.io, npm, Go after normalisation).
    SemVer,
    /// Dart's pub: SemVer 2, where build metadata also orders.
    Pub,
    Debian,
    /// RPM (Red Hat, AlmaLinux, Rocky, openSUSE).
    Rpm,
    /// PEP 440.
    PyPI,
    RubyGems,
    NuGet,
    Cran,
    Hackage,
    /// Composer (PHP `version_compare` rules).
    Packagist,
    /// Alpine Linux (apk-tools rules).
    Alpine,
    Maven,
}

impl Ecosystem {
    /// Parses an ecosystem name as OSV writes it (case-insensitive), with a few aliases.
    pub fn parse(s: &str) -> Option<Ecosystem> {
        let l = s.to_ascii_lowercase();
        let base = l.split(':').next().unwrap_or("");
        Some(match base {
            "semver" | "crates.io" | "npm" | "cargo" => Ecosystem::SemVer,
            "pub" => Ecosystem::Pub,
            "debian" | "ubuntu" => Ecosystem::Debian,
            "redhat" | "rpm" | "almalinux" | "rocky linux" | "opensuse" | "suse" | "red hat" => Ecosystem::Rpm,
            "pypi" | "python" => Ecosystem::PyPI,
            "rubygems" | "gem" => Ecosystem::RubyGems,
            "nuget" => Ecosystem::NuGet,
            "cran" => Ecosystem::Cran,
            "hackage" | "ghc" => Ecosystem::Hackage,
            "packagist" | "composer" | "php" => Ecosystem::Packagist,
            "alpine" | "apk" => Ecosystem::Alpine,
            "maven" => Ecosystem::Maven,
            _ => return None,
        })
    }

    pub const NAMES: &'static str = "semver (crates.io, npm), pub, debian, redhat/rpm, pypi, rubygems, nuget, cran, hackage, packagist, alpine, maven";
}

/// Compares two versions under an ecosystem's rules.
pub fn compare(eco: Ecosystem, a: &str, b: &str) -> Ordering {
    let (a, b) = (a.trim(), b.trim());
    match eco {
        Ecosystem::SemVer => semver::compare(a, b, false),
        Ecosystem::Pub => semver::compare(a, b, true),
        Ecosystem::Debian => debian::compare(a, b),
        Ecosystem::Rpm => rpm::compare(a, b),
        Ecosystem::PyPI => pep440::compare(a, b),
        Ecosystem::RubyGems => gem::compare(a, b),
        Ecosystem::NuGet => nuget::compare(a, b),
        Ecosystem::Cran => cran::compare(a, b, true),
        Ecosystem::Hackage => cran::compare(a, b, false),
        Ecosystem::Packagist => packagist::compare(a, b),
        Ecosystem::Alpine => apk::compare(a, b),
        Ecosystem::Maven => maven::compare(a, b),
    }
}

/// Whether a version string is well-formed for the ecosystem (where the ecosystem defines that);
/// a malformed version is never matched by ranges.
pub fn is_valid(eco: Ecosystem, v: &str) -> bool {
    match eco {
        Ecosystem::PyPI => pep440::is_valid(v),
        _ => !v.trim().is_empty(),
    }
}

/// One line of a vectors file that does not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub line: usize,
    pub text: String,
    pub got: Ordering,
}

/// Why a vectors file could not be checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLine {
    pub line: usize,
    pub text: String,
}

/// Checks lines `A < B`, `A = B`, `A > B` (blank lines, `#` and `//` comments skipped).
pub fn check_vectors(eco: Ecosystem, text: &str) -> Result<(usize, Vec<Failure>), BadLine> {
    let mut checked = 0;
    let mut failures = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with("//") {
            continue;
        }
        let parsed = [(" < ", Ordering::Less), (" = ", Ordering::Equal), (" > ", Ordering::Greater)]
            .into_iter()
            .find_map(|(op, ord)| line.split_once(op).map(|(a, b)| (a, b, ord)));
        let Some((a, b, want)) = parsed else {
            return Err(BadLine { line: i + 1, text: raw.to_string() });
        };
        checked += 1;
        let got = compare(eco, a, b);
        if got != want {
            failures.push(Failure { line: i + 1, text: raw.to_string(), got });
        }
    }
    Ok((checked, failures))
}

/// Splits a string into maximal runs of ASCII digits and of everything else.
pub(crate) fn numeric_cmp(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.trim_start_matches('0'), b.trim_start_matches('0'));
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vectors(file: &str) -> Option<String> {
        let p =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/version-vectors").join(file);
        std::fs::read_to_string(p).ok()
    }

    /// Every published vector file for the ecosystems implemented here holds in full.
    #[test]
    fn published_vectors_hold() {
        let cases = [
            ("semver-versions.txt", Ecosystem::SemVer),
            ("pub-versions.txt", Ecosystem::Pub),
            ("debian-versions.txt", Ecosystem::Debian),
            ("redhat-versions.txt", Ecosystem::Rpm),
            ("pypi-versions.txt", Ecosystem::PyPI),
            ("rubygems-versions.txt", Ecosystem::RubyGems),
            ("nuget-versions.txt", Ecosystem::NuGet),
            ("cran-versions.txt", Ecosystem::Cran),
            ("hackage-versions.txt", Ecosystem::Hackage),
            ("packagist-versions.txt", Ecosystem::Packagist),
            ("alpine-versions.txt", Ecosystem::Alpine),
            ("maven-versions.txt", Ecosystem::Maven),
        ];
        let mut report = Vec::new();
        let mut any = false;
        for (file, eco) in cases {
            let Some(text) = vectors(file) else { continue };
            any = true;
            let (n, fails) =
                check_vectors(eco, &text).unwrap_or_else(|b| panic!("{file}:{} unreadable: {}", b.line, b.text));
            assert!(n > 0, "{file} has vectors");
            for f in fails {
                report.push(format!("{file}:{}: {} (got {:?})", f.line, f.text, f.got));
            }
        }
        assert!(any, "shared/data/version-vectors not found next to the repository");
        assert!(report.is_empty(), "{} vectors do not hold:\n{}", report.len(), report.join("\n"));
    }

    /// Go: pseudo-versions sort below the release they precede, `+incompatible` is metadata.
    #[test]
    fn go_versions() {
        use Ordering::*;
        for (a, b, want) in [
            ("v0.0.0-20220829220503-c86fa9a7ed90", "0.17.0", Less),
            ("v0.0.0-20220829220503-c86fa9a7ed90", "v0.0.0-20230101000000-aaaaaaaaaaaa", Less),
            ("v1.2.4-0.20220101000000-abcdef123456", "v1.2.4", Less),
            ("v1.2.4-0.20220101000000-abcdef123456", "v1.2.3", Greater),
            ("v2.0.0+incompatible", "2.0.0", Equal),
            ("v17.10.0+incompatible", "v20.10.0+incompatible", Less),
        ] {
            assert_eq!(compare(Ecosystem::SemVer, a, b), want, "{a} vs {b}");
        }
    }

    #[test]
    fn bad_lines_are_reported() {
        assert_eq!(
            check_vectors(Ecosystem::SemVer, "1.0.0 <> 2.0.0"),
            Err(BadLine { line: 1, text: "1.0.0 <> 2.0.0".into() })
        );
        assert_eq!(Ecosystem::parse("AlmaLinux:9"), Some(Ecosystem::Rpm));
        assert_eq!(Ecosystem::parse("Cobol"), None);
    }

    #[test]
    fn absurd_versions_do_not_panic() {
        let long = "9".repeat(10_000);
        let weird = [
            "",
            "~",
            "^",
            ":",
            "-",
            "+",
            "..",
            "v",
            "1.2.3-",
            "1:",
            "999999999999999999999999999.1",
            long.as_str(),
            "🙂",
            "1.0a-1~~^^",
        ];
        for eco in [
            Ecosystem::SemVer,
            Ecosystem::Pub,
            Ecosystem::Debian,
            Ecosystem::Rpm,
            Ecosystem::PyPI,
            Ecosystem::RubyGems,
            Ecosystem::NuGet,
            Ecosystem::Cran,
            Ecosystem::Hackage,
            Ecosystem::Packagist,
            Ecosystem::Alpine,
            Ecosystem::Maven,
        ] {
            for a in weird {
                for b in weird {
                    let x = compare(eco, a, b);
                    assert_eq!(x, compare(eco, b, a).reverse(), "{eco:?} {a:?} {b:?} antisymmetric");
                }
            }
        }
    }
}
