//! CRAN (`package_version`: integers separated by `.` or `-`) and Hackage (integers separated by
//! `.`) ordering: component-wise, a shorter version that is a prefix sorts first.

use std::cmp::Ordering;

use super::numeric_cmp;

pub fn compare(a: &str, b: &str, dash_separates: bool) -> Ordering {
    let seps: &[char] = if dash_separates { &['.', '-'] } else { &['.'] };
    let (x, y): (Vec<&str>, Vec<&str>) = (a.split(seps).collect(), b.split(seps).collect());
    for (p, q) in x.iter().zip(&y) {
        let num = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
        let o = match (num(p), num(q)) {
            (true, true) => numeric_cmp(p, q),
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => p.cmp(q),
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    x.len().cmp(&y.len())
}
