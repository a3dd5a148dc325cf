//! RubyGems ordering (`Gem::Version#<=>`): numeric and alphabetic segments, a letter segment
//! marks a pre-release, trailing zeros do not count, `-` means `.pre.`.

use std::cmp::Ordering;

use super::numeric_cmp;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg {
    Num(String),
    Str(String),
}

fn segments(v: &str) -> Vec<Seg> {
    let v = v.trim().replace('-', ".pre.");
    let mut out = Vec::new();
    let b = v.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let st = i;
        if b[i].is_ascii_digit() {
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            let n = v[st..i].trim_start_matches('0');
            out.push(Seg::Num(if n.is_empty() { "0".into() } else { n.into() }));
        } else if b[i].is_ascii_alphabetic() {
            while i < b.len() && b[i].is_ascii_alphabetic() {
                i += 1;
            }
            out.push(Seg::Str(v[st..i].into()));
        } else {
            i += 1;
        }
    }
    // canonical segments: drop trailing zeros of the release part and of the pre-release part
    let split = out.iter().position(|s| matches!(s, Seg::Str(_))).unwrap_or(out.len());
    let (mut rel, mut pre) = (out[..split].to_vec(), out[split..].to_vec());
    let zero = Seg::Num("0".into());
    while rel.last() == Some(&zero) {
        rel.pop();
    }
    while pre.last() == Some(&zero) {
        pre.pop();
    }
    rel.extend(pre);
    rel
}

pub fn compare(a: &str, b: &str) -> Ordering {
    let (x, y) = (segments(a), segments(b));
    let zero = Seg::Num("0".into());
    for i in 0..x.len().max(y.len()) {
        let (l, r) = (x.get(i).unwrap_or(&zero), y.get(i).unwrap_or(&zero));
        if l == r {
            continue;
        }
        return match (l, r) {
            (Seg::Str(_), Seg::Num(_)) => Ordering::Less,
            (Seg::Num(_), Seg::Str(_)) => Ordering::Greater,
            (Seg::Num(p), Seg::Num(q)) => numeric_cmp(p, q),
            (Seg::Str(p), Seg::Str(q)) => p.cmp(q),
        };
    }
    Ordering::Equal
}
