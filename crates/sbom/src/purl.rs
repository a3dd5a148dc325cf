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
            "deb" => (distro_ecosystem("Debian", self.namespace.as_deref(), distro()), self.name.clone()),
            "apk" => (distro_ecosystem("Alpine", self.namespace.as_deref(), distro()), self.name.clone()),
            "rpm" => (distro_ecosystem("Red Hat", self.namespace.as_deref(), distro()), self.name.clone()),
            _ => return None,
        })
    }
}

fn distro_ecosystem(default: &str, ns: Option<&str>, distro: Option<String>) -> String {
    let base = match ns.map(str::to_ascii_lowercase).as_deref() {
        Some("debian") => "Debian",
        Some("ubuntu") => "Ubuntu",
        Some("alpine") => "Alpine",
        Some("almalinux") => "AlmaLinux",
        Some("rocky") => "Rocky Linux",
        Some("redhat") => "Red Hat",
        _ => default,
    };
    match distro {
        Some(d) => format!("{base}:{d}"),
        None => base.to_string(),
    }
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
        for bad in ["", "pkg:", "pkg:/x", "npm/x@1", "pkg:npm/%zz@1", "pkg:npm/", "pkg:np m/x"] {
            assert!(Purl::parse(bad).is_none(), "{bad}");
        }
    }
}
