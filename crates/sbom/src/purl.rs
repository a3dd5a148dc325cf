//! Package URLs (`pkg:type/namespace/name@version?qualifiers#subpath`), and the OSV ecosystem
//! and name a purl stands for.

/// A parsed purl.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purl {
    pub ty: String,
    pub namespace: Option<String>,
    pub name: String,
    pub version: Option<String>,
    pub qualifiers: Vec<(String, String)>,
}

fn decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let h = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(h, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

impl Purl {
    /// Parses a purl; None when it is not one.
    pub fn parse(s: &str) -> Option<Purl> {
        let rest = s.trim().strip_prefix("pkg:")?;
        let rest = rest.split_once('#').map_or(rest, |(a, _)| a);
        let (rest, q) = rest.split_once('?').unwrap_or((rest, ""));
        let (path, version) = match rest.rsplit_once('@') {
            Some((p, v)) if !p.is_empty() => (p, Some(decode(v)?)),
            _ => (rest, None),
        };
        let path = path.trim_matches('/');
        let (ty, rest) = path.split_once('/')?;
        if ty.is_empty() || !ty.bytes().all(|c| c.is_ascii_alphanumeric() || b".+-".contains(&c)) {
            return None;
        }
        let (namespace, name) = match rest.rsplit_once('/') {
            Some((ns, n)) => (Some(ns.split('/').map(decode).collect::<Option<Vec<_>>>()?.join("/")), decode(n)?),
            None => (None, decode(rest)?),
        };
        if name.is_empty() {
            return None;
        }
        let qualifiers = q
            .split('&')
            .filter(|kv| !kv.is_empty())
            .filter_map(|kv| kv.split_once('=').and_then(|(k, v)| Some((k.to_ascii_lowercase(), decode(v)?))))
            .collect();
        Some(Purl {
            ty: ty.to_ascii_lowercase(),
            namespace,
            name,
            version: version.filter(|v| !v.is_empty()),
            qualifiers,
        })
    }

    /// The OSV ecosystem and package name, as advisories name them.
    pub fn osv_package(&self) -> Option<(String, String)> {
        let full = |sep: &str| match &self.namespace {
            Some(ns) => format!("{ns}{sep}{}", self.name),
            None => self.name.clone(),
        };
        let distro = || self.qualifiers.iter().find(|(k, _)| k == "distro").map(|(_, v)| v.clone());
        Some(match self.ty.as_str() {
            "cargo" => ("crates.io".into(), self.name.clone()),
            "pypi" => ("PyPI".into(), pep503(&self.name)),
            "npm" => ("npm".into(), full("/")),
            "golang" => ("Go".into(), full("/")),
            "maven" => ("Maven".into(), full(":")),
            "nuget" => ("NuGet".into(), self.name.clone()),
            "gem" => ("RubyGems".into(), self.name.clone()),
            "composer" => ("Packagist".into(), full("/")),
            "pub" => ("Pub".into(), self.name.clone()),
            "hackage" => ("Hackage".into(), self.name.clone()),
            "cran" => ("CRAN".into(), self.name.clone()),
            "julia" => ("Julia".into(), self.name.clone()),
            "bitnami" => ("Bitnami".into(), self.name.clone()),
            // distribution packages: advisories name source packages (Debian, Ubuntu, Alpine),
            // which syft gives as `upstream=`; the release comes from `distro=`
            "deb" | "apk" | "alpine" | "rpm" => {
                let default = match self.ty.as_str() {
                    "deb" => "Debian",
                    "rpm" => "Red Hat",
                    _ => "Alpine",
                };
                let ns = self.namespace.as_deref().unwrap_or(default);
                // an unknown distribution keeps its own name: reported as not matched, never
                // matched against another distribution's advisories
                let base = distro_base(ns).unwrap_or(ns);
                let eco = distro_ecosystem(base, distro().as_deref());
                // Debian, Ubuntu and Alpine advisories name source packages; the RPM
                // distributions' name the binary packages
                let source = if names_source_packages(base) { self.source_name() } else { None };
                (eco, source.unwrap_or_else(|| self.name.clone()))
            }
            _ => return None,
        })
    }

    /// The source package a distribution package was built from (`upstream=`): `openssl`,
    /// `util-linux@2.37.2-4ubuntu3` → `util-linux`, `bash-5.0-3.ph4.src.rpm` → `bash`.
    fn source_name(&self) -> Option<String> {
        let up = self.qualifiers.iter().find(|(k, _)| k == "upstream").map(|(_, v)| v.as_str())?;
        let up = up.split('@').next().unwrap_or(up);
        let name = match up.strip_suffix(".src.rpm") {
            // NAME-VERSION-RELEASE
            Some(nvr) => nvr.rsplitn(3, '-').nth(2).unwrap_or(nvr),
            None => up,
        };
        (!name.is_empty()).then(|| name.to_string())
    }
}

/// Whether a distribution's advisories name source packages (Debian's `libssl3` is filed under
/// `openssl`); the RPM distributions' name binary packages.
pub fn names_source_packages(base: &str) -> bool {
    matches!(base, "Debian" | "Ubuntu" | "Alpine")
}

/// The OSV name of a distribution from what SBOMs and purls call it (`debian`, `alpine`,
/// `rhel`, `rocky`, `ubuntu`); `None` for a name not known here.
pub fn distro_base(name: &str) -> Option<&'static str> {
    Some(match name.to_ascii_lowercase().as_str() {
        "debian" => "Debian",
        "ubuntu" => "Ubuntu",
        "alpine" => "Alpine",
        "almalinux" | "alma" => "AlmaLinux",
        "rocky" | "rocky linux" => "Rocky Linux",
        "redhat" | "rhel" | "red hat" => "Red Hat",
        _ => return None,
    })
}

/// The OSV ecosystem of a distribution release (`Alpine:v3.11`, `Debian:12`, `Ubuntu:22.04`,
/// `AlmaLinux:9`) from a release as SBOMs write it: `3.11.6`, `alpine-3.11.6`, `debian-12`,
/// `bookworm`, `12.4`, `ubuntu-22.04`, `jammy`, `almalinux-9.3`, `el9`. Without a release, the
/// distribution alone (`Debian`), which matches nothing until a release is known.
pub fn distro_ecosystem(base: &str, release: Option<&str>) -> String {
    let Some(raw) = release.map(str::trim).filter(|r| !r.is_empty()) else { return base.to_string() };
    let lower = raw.to_ascii_lowercase();
    // "alpine-3.11.6", "debian-12", "rhel-9.2": the distribution's own prefix
    let r = lower
        .rsplit_once('-')
        .filter(|(p, v)| {
            p.chars().all(|c| c.is_ascii_alphabetic() || c == ' ') && v.starts_with(|c: char| c.is_ascii_digit())
        })
        .map_or(lower.as_str(), |(_, v)| v);
    let r = r.strip_prefix("el").unwrap_or(r);
    let numbers: Vec<&str> = r
        .trim_start_matches('v')
        .split('.')
        .take_while(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        .collect();
    let release = match base {
        "Alpine" if numbers.len() >= 2 => format!("v{}.{}", numbers[0], numbers[1]),
        "Alpine" if r == "edge" => "edge".to_string(),
        "Ubuntu" if numbers.len() >= 2 => format!("{}.{}", numbers[0], numbers[1]),
        "Ubuntu" => match r {
            "trusty" => "14.04",
            "xenial" => "16.04",
            "bionic" => "18.04",
            "focal" => "20.04",
            "jammy" => "22.04",
            "kinetic" => "22.10",
            "lunar" => "23.04",
            "mantic" => "23.10",
            "noble" => "24.04",
            "oracular" => "24.10",
            "plucky" => "25.04",
            other => other,
        }
        .to_string(),
        "Debian" => match (numbers.first(), r) {
            (Some(major), _) => major.to_string(),
            (None, "stretch") => "9".into(),
            (None, "buster") => "10".into(),
            (None, "bullseye") => "11".into(),
            (None, "bookworm") => "12".into(),
            (None, "trixie") => "13".into(),
            (None, other) => other.to_string(),
        },
        _ => numbers.first().map_or(r.to_string(), |m| m.to_string()),
    };
    format!("{base}:{release}")
}

/// PEP 503 normalisation of a Python package name.
pub fn pep503(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_purls() {
        let p = Purl::parse("pkg:golang/github.com/gin-gonic/gin@v1.9.0").unwrap();
        assert_eq!(p.osv_package(), Some(("Go".into(), "github.com/gin-gonic/gin".into())));
        assert_eq!(p.version.as_deref(), Some("v1.9.0"));
        let p = Purl::parse("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1?type=jar").unwrap();
        assert_eq!(p.osv_package().unwrap().1, "org.apache.logging.log4j:log4j-core");
        let p = Purl::parse("pkg:npm/%40angular/core@12.0.0").unwrap();
        assert_eq!(p.osv_package().unwrap().1, "@angular/core");
        assert_eq!(
            Purl::parse("pkg:pypi/Django_Rest.Framework@3.0").unwrap().osv_package().unwrap().1,
            "django-rest-framework"
        );
        // distribution packages: the source package and the release
        let p = Purl::parse("pkg:deb/ubuntu/bsdutils@1:2.37.2-4ubuntu3?arch=amd64&upstream=util-linux%402.37.2-4ubuntu3&distro=ubuntu-22.04").unwrap();
        assert_eq!(p.osv_package(), Some(("Ubuntu:22.04".into(), "util-linux".into())));
        let p = Purl::parse("pkg:deb/debian/libssl3@3.0.11-1~deb12u2?upstream=openssl&distro=debian-12").unwrap();
        assert_eq!(p.osv_package(), Some(("Debian:12".into(), "openssl".into())));
        let p = Purl::parse("pkg:apk/alpine/libcrypto1.0@1.0.2j-r0?distro=3.4.4").unwrap();
        assert_eq!(p.osv_package(), Some(("Alpine:v3.4".into(), "libcrypto1.0".into())));
        let p = Purl::parse("pkg:alpine/musl-utils@1.2.3-r0?upstream=musl&distro=alpine-3.16.2").unwrap();
        assert_eq!(p.osv_package(), Some(("Alpine:v3.16".into(), "musl".into())));
        let p = Purl::parse(
            "pkg:rpm/almalinux/openssl-libs@3.0.7-1.el9?distro=almalinux-9.3&upstream=openssl-3.0.7-1.el9.src.rpm",
        )
        .unwrap();
        // RPM advisories name binary packages: the source package is not used
        assert_eq!(p.osv_package(), Some(("AlmaLinux:9".into(), "openssl-libs".into())));
        let p = Purl::parse("pkg:rpm/alma/bash@5.1.8-6.el9_1?distro=alma-9.2").unwrap();
        assert_eq!(p.osv_package(), Some(("AlmaLinux:9".into(), "bash".into())), "trivy's alma");
        let p = Purl::parse("pkg:rpm/photon/bash@5.0-3.ph4?upstream=bash-5.0-3.ph4.src.rpm&distro=photon-4.0").unwrap();
        assert_eq!(p.osv_package(), Some(("photon:4".into(), "bash".into())), "an unknown distribution keeps its name");
        assert_eq!(p.source_name().as_deref(), Some("bash"), "NAME-VERSION-RELEASE.src.rpm");
        assert_eq!(Purl::parse("pkg:deb/debian/curl@7.88.1-10").unwrap().osv_package().unwrap().0, "Debian");
        for (base, raw, want) in [
            ("Debian", "bookworm", "Debian:12"),
            ("Debian", "12.4", "Debian:12"),
            ("Ubuntu", "jammy", "Ubuntu:22.04"),
            ("Alpine", "v3.11", "Alpine:v3.11"),
            ("Alpine", "edge", "Alpine:edge"),
            ("Red Hat", "rhel-9.2", "Red Hat:9"),
            ("Rocky Linux", "el8", "Rocky Linux:8"),
        ] {
            assert_eq!(distro_ecosystem(base, Some(raw)), want);
        }
        for bad in ["", "pkg:", "pkg:/x", "npm/x@1", "pkg:npm/%zz@1", "pkg:npm/", "pkg:np m/x"] {
            assert!(Purl::parse(bad).is_none(), "{bad}");
        }
    }
}
