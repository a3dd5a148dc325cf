//! NuGet ordering: up to four numeric parts (missing parts are 0), then SemVer 2 pre-release
//! labels compared case-insensitively; build metadata ignored.

use std::cmp::Ordering;

use super::numeric_cmp;

fn is_num(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

pub fn compare(a: &str, b: &str) -> Ordering {
    let parse = |s: &str| {
        let s = s.strip_prefix(['v', 'V']).unwrap_or(s);
        let s = s.split_once('+').map_or(s, |(x, _)| x);
        let (core, pre) = s.split_once('-').unwrap_or((s, ""));
        (core.split('.').map(str::to_string).collect::<Vec<_>>(), pre.to_ascii_lowercase())
    };
    let ((ca, pa), (cb, pb)) = (parse(a), parse(b));
    for i in 0..ca.len().max(cb.len()).max(4) {
        let (x, y) = (ca.get(i).map_or("0", |s| s.as_str()), cb.get(i).map_or("0", |s| s.as_str()));
        let o = match (is_num(x), is_num(y)) {
            (true, true) => numeric_cmp(x, y),
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => x.to_ascii_lowercase().cmp(&y.to_ascii_lowercase()),
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    match (pa.is_empty(), pb.is_empty()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => {
            let (la, lb): (Vec<&str>, Vec<&str>) = (pa.split('.').collect(), pb.split('.').collect());
            for (x, y) in la.iter().zip(&lb) {
                let o = match (is_num(x), is_num(y)) {
                    (true, true) => numeric_cmp(x, y),
                    (true, false) => Ordering::Less,
                    (false, true) => Ordering::Greater,
                    (false, false) => x.cmp(y),
                };
                if o != Ordering::Equal {
                    return o;
                }
            }
            la.len().cmp(&lb.len())
        }
    }
}
