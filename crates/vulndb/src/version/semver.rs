//! SemVer 2.0.0 ordering (crates.io, npm), and Dart pub's variant where build metadata orders too.

use std::cmp::Ordering;

use super::numeric_cmp;

struct V<'a> {
    core: Vec<&'a str>,
    pre: Vec<&'a str>,
    build: Vec<&'a str>,
}

fn parse(s: &str) -> V<'_> {
    let s = s.strip_prefix(['v', 'V']).unwrap_or(s);
    let (rest, build) = s.split_once('+').unwrap_or((s, ""));
    let (core, pre) = rest.split_once('-').unwrap_or((rest, ""));
    V { core: core.split('.').collect(), pre: dots(pre), build: dots(build) }
}

fn dots(x: &str) -> Vec<&str> {
    if x.is_empty() { Vec::new() } else { x.split('.').collect() }
}

fn is_num(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Identifier order: numeric identifiers numerically and below alphanumeric ones.
fn ident_cmp(a: &str, b: &str) -> Ordering {
    match (is_num(a), is_num(b)) {
        (true, true) => numeric_cmp(a, b),
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => a.cmp(b),
    }
}

fn list_cmp(a: &[&str], b: &[&str]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        let o = ident_cmp(x, y);
        if o != Ordering::Equal {
            return o;
        }
    }
    a.len().cmp(&b.len())
}

pub fn compare(a: &str, b: &str, build_orders: bool) -> Ordering {
    let (x, y) = (parse(a), parse(b));
    for i in 0..x.core.len().max(y.core.len()).max(3) {
        let (p, q) = (x.core.get(i).copied().unwrap_or("0"), y.core.get(i).copied().unwrap_or("0"));
        let o = ident_cmp(p, q);
        if o != Ordering::Equal {
            return o;
        }
    }
    let pre = match (x.pre.is_empty(), y.pre.is_empty()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => list_cmp(&x.pre, &y.pre),
    };
    if pre != Ordering::Equal || !build_orders {
        return pre;
    }
    list_cmp(&x.build, &y.build)
}
