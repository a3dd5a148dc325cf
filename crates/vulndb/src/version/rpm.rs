//! RPM version ordering (`rpmvercmp` over epoch, version, release): alternating numeric and
//! alphabetic segments, `~` sorts before anything, `^` after the end but before more segments.

use std::cmp::Ordering;

use super::numeric_cmp;

fn split(v: &str) -> (&str, &str, Option<&str>) {
    let (epoch, rest) = match v.split_once(':') {
        Some((e, r)) if !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit()) => (e, r),
        _ => ("0", v),
    };
    match rest.rsplit_once('-') {
        Some((version, release)) => (epoch, version, Some(release)),
        None => (epoch, rest, None),
    }
}

pub fn rpmvercmp(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0usize, 0usize);
    let sep = |c: u8| !c.is_ascii_alphanumeric() && c != b'~' && c != b'^';
    loop {
        while i < a.len() && sep(a[i]) {
            i += 1;
        }
        while j < b.len() && sep(b[j]) {
            j += 1;
        }
        let (ca, cb) = (a.get(i).copied(), b.get(j).copied());
        if ca == Some(b'~') || cb == Some(b'~') {
            if ca != Some(b'~') {
                return Ordering::Greater;
            }
            if cb != Some(b'~') {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        if ca == Some(b'^') || cb == Some(b'^') {
            match (ca, cb) {
                (None, _) => return Ordering::Less,
                (_, None) => return Ordering::Greater,
                (Some(x), _) if x != b'^' => return Ordering::Greater,
                (_, Some(y)) if y != b'^' => return Ordering::Less,
                _ => {}
            }
            i += 1;
            j += 1;
            continue;
        }
        if ca.is_none() || cb.is_none() {
            break;
        }
        let isnum = a[i].is_ascii_digit();
        let class = |c: u8| if isnum { c.is_ascii_digit() } else { c.is_ascii_alphabetic() };
        let si = i;
        while i < a.len() && class(a[i]) {
            i += 1;
        }
        let sj = j;
        while j < b.len() && class(b[j]) {
            j += 1;
        }
        if sj == j {
            return if isnum { Ordering::Greater } else { Ordering::Less };
        }
        let (x, y) = (std::str::from_utf8(&a[si..i]).unwrap_or(""), std::str::from_utf8(&b[sj..j]).unwrap_or(""));
        let o = if isnum { numeric_cmp(x, y) } else { x.cmp(y) };
        if o != Ordering::Equal {
            return o;
        }
    }
    match (i >= a.len(), j >= b.len()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        _ => Ordering::Greater,
    }
}

pub fn compare(a: &str, b: &str) -> Ordering {
    let (ea, va, ra) = split(a);
    let (eb, vb, rb) = split(b);
    numeric_cmp(ea, eb).then_with(|| rpmvercmp(va, vb)).then_with(|| match (ra, rb) {
        (Some(x), Some(y)) => rpmvercmp(x, y),
        // a release, even an empty one, sorts after none
        (Some(_), None) => Ordering::Greater,
        (None, Some(_)) => Ordering::Less,
        (None, None) => Ordering::Equal,
    })
}
