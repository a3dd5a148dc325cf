use super::*;

fn shared(rel: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data").join(rel)
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
        return;
    }
    let (mut ok, mut failed, mut components) = (0, 0, 0);
    for p in &all {
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if matches!(p.extension().and_then(|e| e.to_str()), Some("txt" | "md" | "license" | "LICENSE"))
            || name.starts_with("LICENSE")
        {
            continue;
        }
        match read(p) {
            Ok(d) => {
                ok += 1;
                components += d.components.len();
            }
            Err(e) => {
                failed += 1;
                assert!(e.message.starts_with(&p.display().to_string()), "error names the file: {e}");
                assert!(e.message.len() > p.display().to_string().len() + 5, "error says what is wrong: {e}");
            }
        }
    }
    assert!(ok > 20, "{ok} parsed, {failed} failed");
    assert!(components > 1000);
}

#[test]
fn known_documents() {
    let istio = shared("sbom/bom-shelter/in-the-wild/spdx/istio-release.spdx");
    if istio.exists() {
        let d = read(&istio).unwrap();
        assert!(d.format.contains("tag-value"));
        assert_eq!(d.components.len(), 3461, "the 3,461 packages of istio-release.spdx");
    }
    let constellation = shared("sbom/bom-shelter/in-the-wild/spdx/constellation-spdx.json");
    if constellation.exists() {
        let d = read(&constellation).unwrap();
        assert_eq!(d.components.len(), 1303);
        assert!(d.components.iter().all(|c| c.ecosystem == "Go"), "every package has a golang purl");
    }
    for (dir, min) in [("ripgrep-11.0.2", 50), ("bat-0.24.0", 100), ("ripgrep-head-control", 30)] {
        let p = shared(&format!("lockfiles/{dir}/Cargo.lock"));
        if p.exists() {
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
