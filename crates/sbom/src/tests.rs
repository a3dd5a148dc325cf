use super::*;

fn shared(rel: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data").join(rel)
}

/// The shared data is missing: with KAKEHASHI_REQUIRE_DATA=1 (as in CI) that fails the test;
/// otherwise a SKIPPED line is written past the test harness's capture, so it shows in the run.
fn skip_without_data(what: &str) {
    if std::env::var("KAKEHASHI_REQUIRE_DATA").is_ok_and(|v| v == "1") {
        panic!("KAKEHASHI_REQUIRE_DATA=1 but {what} is missing under {}", shared("").display());
    }
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "SKIPPED: {what} is missing under {}", shared("").display());
}

/// Whether a shared file is there; when it is not, skips loudly (or fails, in CI).
fn have(p: &std::path::Path) -> bool {
    p.exists() || {
        skip_without_data(&p.display().to_string());
        false
    }
}

fn files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                files(&p, out);
            } else {
                out.push(p);
            }
        }
    }
}

/// Every document under shared/data/sbom either parses or fails with a message; none panics.
#[test]
fn every_shared_sbom_parses_or_fails_clearly() {
    let mut all = Vec::new();
    files(&shared("sbom"), &mut all);
    if all.is_empty() {
        return skip_without_data("the shared SBOMs");
    }
    let (mut ok, mut failed, mut components, mut with_os, mut spdx_fast) = (0, 0, 0, 0, 0);
    let mut refused = Vec::new();
    for p in &all {
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if matches!(p.extension().and_then(|e| e.to_str()), Some("txt" | "md" | "license" | "LICENSE"))
            || name.starts_with("LICENSE")
        {
            continue;
        }
        // SPDX JSON is read straight from the text; the JSON-tree reader must agree on every one
        if let Ok(t) = std::fs::read_to_string(p)
            && let Some(fast) = spdx::from_json_text(t.trim_start_matches('\u{feff}'))
            && let Ok(v) = serde_json::from_str::<serde_json::Value>(t.trim_start_matches('\u{feff}'))
        {
            let tree = spdx::from_json(&v).unwrap();
            assert_eq!((fast.components, fast.os), (tree.components, tree.os), "{}", p.display());
            spdx_fast += 1;
        }
        match read(p) {
            Ok(d) => {
                ok += 1;
                components += d.components.len();
                with_os += usize::from(d.os.is_some());
            }
            Err(e) => {
                failed += 1;
                assert!(e.message.starts_with(&p.display().to_string()), "error names the file: {e}");
                assert!(e.message.len() > p.display().to_string().len() + 5, "error says what is wrong: {e}");
                refused.push(p.strip_prefix(shared("sbom")).unwrap_or(p).display().to_string());
            }
        }
    }
    refused.sort();
    // exact: the corpus's five documents that are broken by design, its two CSV indexes and a
    // licence text; everything else parses
    assert_eq!(
        refused,
        [
            "bom-shelter/in-the-wild/cyclonedx-in-the-wild-dataset-metadata.csv",
            "bom-shelter/in-the-wild/cyclonedx/bashrc2-sbom-cdx.json",
            "bom-shelter/in-the-wild/cyclonedx/scanoss-sbom-cdx.json",
            "bom-shelter/in-the-wild/spdx-in-the-wild-dataset-metadata.csv",
            "bom-shelter/in-the-wild/spdx/maubot-spdx.json",
            "bom-shelter/in-the-wild/spdx/powershell-2.2.6.spdx.json",
            "spdx-examples/COPYING",
        ]
    );
    assert_eq!((ok, failed), (246, 7));
    // the operating system a document describes is its `os`, not one of its components
    assert_eq!(with_os, 31);
    assert_eq!(spdx_fast, 70, "SPDX JSON documents read straight from the text");
    assert_eq!(components, 43_983 - 31);
}

#[test]
fn known_documents() {
    let istio = shared("sbom/bom-shelter/in-the-wild/spdx/istio-release.spdx");
    if have(&istio) {
        let d = read(&istio).unwrap();
        assert!(d.format.contains("tag-value"));
        assert_eq!(d.components.len(), 3461, "the 3,461 packages of istio-release.spdx");
    }
    let constellation = shared("sbom/bom-shelter/in-the-wild/spdx/constellation-spdx.json");
    if have(&constellation) {
        let d = read(&constellation).unwrap();
        assert_eq!(d.components.len(), 1303);
        assert!(d.components.iter().all(|c| c.ecosystem == "Go"), "every package has a golang purl");
    }
    for (dir, min) in [("ripgrep-11.0.2", 50), ("bat-0.24.0", 100), ("ripgrep-head-control", 30)] {
        let p = shared(&format!("lockfiles/{dir}/Cargo.lock"));
        if have(&p) {
            let d = read(&p).unwrap();
            assert!(d.components.len() >= min, "{dir}: {}", d.components.len());
            assert!(d.components.iter().all(|c| c.ecosystem == "crates.io" && !c.version.is_empty()));
        }
    }
}

#[test]
fn bad_inputs_give_clear_errors() {
    let cases: Vec<(&[u8], &str)> = vec![
        (b"", "empty"),
        (b"\x00\x01\x02\xff\xfe", "not UTF-8"),
        (b"{\"bomFormat\": \"CycloneDX\", \"components\": [", "invalid JSON"),
        (b"{\"licenseListVersion\": \"3.21\", \"licenses\": []}", "licence list"),
        (b"{\"bomFormat\": \"CycloneDX\", \"components\": {}}", "not an array"),
        (b"{\"spdxVersion\": \"SPDX-2.3\", \"packages\": 7}", "not an array"),
        (b"{\"hello\": 1}", "neither CycloneDX"),
        (b"just some words", "unknown format"),
        (b"[[package]]\nname = \"x\"\nversion = ", "invalid Cargo.lock"),
        (b"requests==2.0\nnot a ! requirement==1", "line 2"),
    ];
    for (input, want) in cases {
        let e = parse(input).unwrap_err();
        assert!(e.message.contains(want), "{want:?} in {:?}", e.message);
    }
    // an SPDX document labelled as CycloneDX is read as what it is not: refused
    let e = parse(br#"{"bomFormat": "CycloneDX", "spdxVersion": "SPDX-2.3", "components": "x"}"#).unwrap_err();
    assert!(e.message.contains("not an array"));
    // absurd nesting does not overflow the stack
    let mut deep = String::from("{\"bomFormat\":\"CycloneDX\",\"components\":");
    for _ in 0..100 {
        deep.push_str("[{\"name\":\"x\",\"components\":");
    }
    deep.push_str("[]");
    for _ in 0..100 {
        deep.push_str("}]");
    }
    deep.push('}');
    let m = parse(deep.as_bytes()).unwrap_err().message;
    assert!(m.contains("nested") || m.contains("recursion limit"), "{m}");
}

#[test]
fn random_bytes_never_panic() {
    // a small deterministic generator: no dependency, reproducible
    let mut x: u64 = 0x9E3779B97F4A7C15;
    let seeds: [&[u8]; 4] = [
        b"{\"bomFormat\":\"CycloneDX\",\"components\":[{\"name\":\"a\",\"purl\":\"pkg:npm/a@1\"}]}",
        b"SPDXVersion: SPDX-2.3\nPackageName: a\nPackageVersion: 1\n",
        b"[[package]]\nname = \"a\"\nversion = \"1.0.0\"\nsource = \"registry+x\"\n",
        b"a==1\n",
    ];
    for round in 0..4000 {
        let mut v = seeds[round % 4].to_vec();
        for _ in 0..(round % 7 + 1) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let i = (x as usize) % v.len();
            match x % 3 {
                0 => v[i] = (x >> 8) as u8,
                1 => v.truncate(i),
                _ => v.insert(i, (x >> 16) as u8),
            }
            if v.is_empty() {
                break;
            }
        }
        let _ = parse(&v);
    }
}

#[test]
fn more_formats() {
    let gomod = "module example.com/x\n\ngo 1.21\n\nrequire (\n\tgithub.com/gin-gonic/gin v1.9.0 // indirect\n\tgolang.org/x/net v0.17.0\n)\nrequire github.com/a/b v0.1.0\n";
    let d = parse(gomod.as_bytes()).unwrap();
    assert_eq!(d.format, "go.mod");
    assert_eq!(d.components.len(), 3);
    assert_eq!(d.components[0].purl.as_deref(), Some("pkg:golang/github.com/gin-gonic/gin@v1.9.0"));
    let gosum = "github.com/a/b v0.1.0 h1:abc=\ngithub.com/a/b v0.1.0/go.mod h1:def=\n";
    assert_eq!(parse(gosum.as_bytes()).unwrap().components.len(), 1);
    let poetry = "# This file is automatically @generated by Poetry 1.8.2 and should not be changed by hand.\n\n[[package]]\nname = \"Jinja2\"\nversion = \"3.1.2\"\n\n[metadata]\npython-versions = \"^3.9\"\ncontent-hash = \"x\"\n";
    let d = parse(poetry.as_bytes()).unwrap();
    assert_eq!((d.components[0].ecosystem.as_str(), d.components[0].name.as_str()), ("PyPI", "jinja2"));
    let dpkg = "Package: libssl3\nStatus: install ok installed\nSource: openssl (3.0.11-1)\nVersion: 3.0.11-1~deb12u2\n\nPackage: gone\nStatus: deinstall ok config-files\nVersion: 1\n";
    let d = parse(dpkg.as_bytes()).unwrap();
    assert_eq!(d.components.len(), 1);
    assert_eq!((d.components[0].name.as_str(), d.components[0].version.as_str()), ("openssl", "3.0.11-1~deb12u2"));
    let apk = "C:Q1abc=\nP:libcrypto3\nV:3.1.4-r0\no:openssl\n\nC:Q1def=\nP:musl\nV:1.2.4-r2\n";
    let d = parse(apk.as_bytes()).unwrap();
    assert_eq!(d.components.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["openssl", "musl"]);
    let xml = r#"<?xml version="1.0"?><bom xmlns="http://cyclonedx.org/schema/bom/1.4"><components><component type="library"><name>requests</name><version>2.19.0</version><purl>pkg:pypi/requests@2.19.0</purl></component></components></bom>"#;
    let d = parse(xml.as_bytes()).unwrap();
    assert_eq!(d.format, "CycloneDX 1.4 XML");
    assert_eq!(d.components[0].ecosystem, "PyPI");
    assert!(parse(b"<html><body>hi</body></html>").unwrap_err().message.contains("not a CycloneDX"));
    assert!(
        parse(b"<bom xmlns=\"http://cyclonedx.org/schema/bom/1.4\"><components>")
            .unwrap_err()
            .message
            .contains("invalid XML")
    );
    assert!(parse(b"module x\nrequire (\n  broken\n)\n").unwrap_err().message.contains("line 3"));
    let jake = shared("sbom/sonatype-cyclonedx-sbom-examples/jake-bom.xml");
    if have(&jake) {
        let d = read(&jake).unwrap();
        assert!(
            d.components.len() > 10 && d.components.iter().all(|c| c.ecosystem == "PyPI"),
            "{:?}",
            d.components.first()
        );
    }
}
