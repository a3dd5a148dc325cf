//! Debian version ordering (dpkg's `verrevcmp`): epoch, upstream version, revision; `~` sorts
//! before everything, even the end of the string.

use std::cmp::Ordering;

use super::numeric_cmp;

fn split(v: &str) -> (&str, &str, &str) {
    let (epoch, rest) = match v.split_once(':') {
        Some((e, r)) if e.bytes().all(|b| b.is_ascii_digit()) => (e, r),
        _ => ("0", v),
    };
    let (upstream, revision) = rest.rsplit_once('-').unwrap_or((rest, ""));
    (epoch, upstream, revision)
}

fn order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => c as i32,
        Some(b'~') => -1,
        Some(c) => c as i32 + 256,
    }
}

fn verrevcmp(a: &[u8], b: &[u8]) -> Ordering {
    let (mut i, mut j) = (0, 0);
    let digit = |s: &[u8], k: usize| s.get(k).is_some_and(|c| c.is_ascii_digit());
    while i < a.len() || j < b.len() {
        while (i < a.len() && !digit(a, i)) || (j < b.len() && !digit(b, j)) {
            let (ac, bc) = (order(a.get(i).copied()), order(b.get(j).copied()));
            if ac != bc {
                return ac.cmp(&bc);
            }
            i += 1;
            j += 1;
        }
        let si = i;
        while digit(a, i) {
            i += 1;
        }
        let sj = j;
        while digit(b, j) {
            j += 1;
        }
        let (na, nb) = (
            std::str::from_utf8(&a[si.min(a.len())..i.min(a.len())]),
            std::str::from_utf8(&b[sj.min(b.len())..j.min(b.len())]),
        );
        let o = numeric_cmp(na.unwrap_or(""), nb.unwrap_or(""));
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

pub fn compare(a: &str, b: &str) -> Ordering {
    let (ea, ua, ra) = split(a);
    let (eb, ub, rb) = split(b);
    numeric_cmp(ea, eb)
        .then_with(|| verrevcmp(ua.as_bytes(), ub.as_bytes()))
        .then_with(|| verrevcmp(ra.as_bytes(), rb.as_bytes()))
}
