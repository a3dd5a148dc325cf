//! Packagist (Composer) ordering: PHP's `version_compare` after dropping a leading `v`:
//! `-`, `_`, `+` become dots, digits and letters are split apart, and special forms order as
//! dev < alpha = a < beta = b < RC = rc < (number) < pl = p; anything else sorts first.

use std::cmp::Ordering;

use super::numeric_cmp;

fn canonical(v: &str) -> Vec<String> {
    let v = v.strip_prefix(['v', 'V']).unwrap_or(v);
    let mut out = String::with_capacity(v.len() + 8);
    let mut prev: Option<char> = None;
    for c in v.chars() {
        let c = if matches!(c, '-' | '_' | '+') { '.' } else { c };
        if let Some(p) = prev {
            let (pd, cd) = (p.is_ascii_digit(), c.is_ascii_digit());
            if p != '.' && c != '.' && pd != cd {
                out.push('.');
            }
        }
        out.push(c);
        prev = Some(c);
    }
    out.split('.').map(str::to_string).collect()
}

fn is_num(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

fn special(s: &str) -> i32 {
    const FORMS: [(&str, i32); 10] = [
        ("dev", 0),
        ("alpha", 1),
        ("a", 1),
        ("beta", 2),
        ("b", 2),
        ("RC", 3),
        ("rc", 3),
        ("#", 4),
        ("pl", 5),
        ("p", 5),
    ];
    FORMS.iter().find(|(f, _)| s.starts_with(f)).map_or(-6, |(_, o)| *o)
}

fn components(a: &[String], b: &[String]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        let o = match (is_num(x), is_num(y)) {
            (true, true) => numeric_cmp(x, y),
            (false, false) => special(x).cmp(&special(y)),
            (true, false) => special("#").cmp(&special(y)),
            (false, true) => special(x).cmp(&special("#")),
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    let hash = ["#".to_string()];
    match a.len().cmp(&b.len()) {
        Ordering::Greater if is_num(&a[b.len()]) => Ordering::Greater,
        Ordering::Greater => components(&a[b.len()..], &hash),
        Ordering::Less if is_num(&b[a.len()]) => Ordering::Less,
        Ordering::Less => components(&hash, &b[a.len()..]),
        Ordering::Equal => Ordering::Equal,
    }
}

pub fn compare(a: &str, b: &str) -> Ordering {
    components(&canonical(a), &canonical(b))
}
