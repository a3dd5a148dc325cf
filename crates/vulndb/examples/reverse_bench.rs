//! Benchmark for the reverse question (results in bench/RESULTS.md):
//! 10,000 stored SBOMs of 200 components each, 100 new advisories; how long does re-checking
//! every stored SBOM against the new advisories take?
//!
//!     cargo run --release -p vulndb --example reverse_bench

use std::time::Instant;

use vulndb::osv::{Advisory, Affected, Event, Range};
use vulndb::reverse::ComponentIndex;

fn main() {
    let mut x: u64 = 42;
    let mut rnd = move |n: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % n
    };
    let ecos = ["npm", "PyPI", "Go", "crates.io"];
    let t = Instant::now();
    let mut idx = ComponentIndex::default();
    for doc in 0..10_000u32 {
        for _ in 0..200 {
            let e = ecos[rnd(4) as usize];
            let name = format!("pkg-{}", rnd(20_000));
            let version = format!("{}.{}.{}", rnd(5), rnd(20), rnd(10));
            idx.add(doc, e, &name, &version);
        }
    }
    let build = t.elapsed();
    let advisories: Vec<Advisory> = (0..100)
        .map(|i| Advisory {
            id: format!("NEW-{i}"),
            aliases: vec![],
            modified: String::new(),
            summary: String::new(),
            withdrawn: false,
            severity: vulndb::cvss::Level::High,
            score: None,
            informational: None,
            affected: vec![Affected {
                ecosystem: ecos[i % 4].into(),
                name: format!("pkg-{}", rnd(20_000)),
                ranges: vec![Range {
                    kind: "ECOSYSTEM".into(),
                    events: vec![Event::Introduced("0".into()), Event::Fixed(format!("{}.0.0", 1 + rnd(4)))],
                }],
                versions: vec![],
                rust: None,
            }],
        })
        .collect();
    let mut runs = Vec::new();
    let mut hits = 0;
    for _ in 0..5 {
        let t = Instant::now();
        hits = advisories.iter().map(|a| idx.affected_by(a).len()).sum::<usize>();
        runs.push(t.elapsed().as_secs_f64());
    }
    runs.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "stored components: {} in 10,000 SBOMs (index built in {:.2} s); 100 new advisories re-checked in {:.4} s (median of 5), {hits} affected (document, version) pairs",
        idx.len(),
        build.as_secs_f64(),
        runs[2]
    );
}
