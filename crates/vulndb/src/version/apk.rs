//! Alpine (apk-tools) ordering: a token machine over digits, letters, `_suffix` + number and
//! `-rN` revisions; pre-release suffixes (alpha, beta, pre, rc) sort before the plain version,
//! post-release ones (cvs, svn, git, hg, p) after it; where a version stops being well-formed
//! it sorts before one that goes on.

use std::cmp::Ordering;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum T {
    Invalid = -1,
    DigitOrZero = 0,
    Digit,
    Letter,
    Suffix,
    SuffixNo,
    RevisionNo,
    End,
}

fn next_token(t: &mut T, s: &[u8], p: &mut usize) {
    let mut n = T::Invalid;
    if *p >= s.len() || s[*p] == 0 {
        n = T::End;
    } else if matches!(*t, T::Digit | T::DigitOrZero) && s[*p].is_ascii_lowercase() {
        n = T::Letter;
    } else if *t == T::Letter && s[*p].is_ascii_digit() {
        n = T::Digit;
    } else if *t == T::Suffix && s[*p].is_ascii_digit() {
        n = T::SuffixNo;
    } else {
        match s[*p] {
            b'.' => n = T::DigitOrZero,
            b'_' => n = T::Suffix,
            b'-' if s.get(*p + 1) == Some(&b'r') => {
                n = T::RevisionNo;
                *p += 1;
            }
            _ => {}
        }
        *p += 1;
    }
    if n < *t
        && !((n == T::DigitOrZero && *t == T::Digit)
            || (n == T::Suffix && *t == T::SuffixNo)
            || (n == T::Digit && *t == T::Letter))
    {
        n = T::Invalid;
    }
    *t = n;
}

/// The value of the current token and the type of the next; None when the current token is
/// malformed (a digit position holding a letter, an unknown suffix).
fn get_token(t: &mut T, s: &[u8], p: &mut usize) -> Option<i128> {
    const PRE: [&[u8]; 4] = [b"alpha", b"beta", b"pre", b"rc"];
    const POST: [&[u8]; 5] = [b"cvs", b"svn", b"git", b"hg", b"p"];
    if *p >= s.len() {
        *t = T::End;
        return Some(0);
    }
    let rest = &s[*p..];
    let mut i = 0usize;
    let mut v: i128 = 0;
    let mut nt = T::Invalid;
    let digits = |i: &mut usize, v: &mut i128| {
        while *i < rest.len() && rest[*i].is_ascii_digit() {
            *v = v.saturating_mul(10).saturating_add((rest[*i] - b'0') as i128);
            *i += 1;
        }
    };
    match *t {
        T::DigitOrZero if rest[0] == b'0' => {
            while i < rest.len() && rest[i] == b'0' {
                i += 1;
            }
            nt = T::Digit;
            v = -(i as i128);
        }
        T::DigitOrZero | T::Digit | T::SuffixNo | T::RevisionNo => {
            digits(&mut i, &mut v);
            // after a dot, a suffix or "-r" a number must follow ("1.a", "1-rx" are malformed);
            // a plain digit position may be empty ("0a" after leading zeros)
            if i == 0 && *t != T::Digit && rest[0].is_ascii_alphabetic() {
                *t = T::Invalid;
                return None;
            }
        }
        T::Letter => {
            v = rest[0] as i128;
            i = 1;
        }
        T::Suffix => {
            if let Some(k) = PRE.iter().position(|x| rest.starts_with(x)) {
                i = PRE[k].len();
                v = k as i128 - PRE.len() as i128;
            } else if let Some(k) = POST.iter().position(|x| rest.starts_with(x)) {
                i = POST[k].len();
                v = k as i128;
            } else {
                *t = T::Invalid;
                return None;
            }
        }
        _ => {
            *t = T::Invalid;
            return None;
        }
    }
    *p += i;
    if *p >= s.len() {
        *t = T::End;
    } else if nt != T::Invalid {
        *t = nt;
    } else {
        next_token(t, s, p);
    }
    Some(v)
}

pub fn compare(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut pa, mut pb) = (0usize, 0usize);
    let (mut at, mut bt) = (T::Digit, T::Digit);
    let (mut av, mut bv) = (0i128, 0i128);
    while at == bt && at != T::End && at != T::Invalid && av == bv {
        let (ra, rb) = (get_token(&mut at, a, &mut pa), get_token(&mut bt, b, &mut pb));
        if ra.is_none() && rb.is_none() {
            // both malformed at the same place ("1.r1" vs "1.r2"): compare what follows
            return match (std::str::from_utf8(&a[pa..]), std::str::from_utf8(&b[pb..])) {
                (Ok(x), Ok(y)) if pa > 0 && pb > 0 && x.len() < a.len() && y.len() < b.len() => compare(x, y),
                _ => Ordering::Equal,
            };
        }
        av = ra.unwrap_or(0);
        bv = rb.unwrap_or(0);
    }
    if av != bv {
        return av.cmp(&bv);
    }
    if at == bt {
        return Ordering::Equal;
    }
    // where a version stops being well-formed it sorts first; two that break at the same
    // place are equal
    let bad = |t: T, s: &[u8], p: usize| {
        let (mut tt, mut q) = (t, p);
        t == T::Invalid || (t != T::End && get_token(&mut tt, s, &mut q).is_none())
    };
    match (bad(at, a, pa), bad(bt, b, pb)) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Less,
        (false, true) => return Ordering::Greater,
        _ => {}
    }
    // a pre-release suffix (alpha, beta, pre, rc) sorts before the end of the other version
    let (mut tt, mut q) = (at, pa);
    if at == T::Suffix && get_token(&mut tt, a, &mut q).is_some_and(|v| v < 0) {
        return Ordering::Less;
    }
    let (mut tt, mut q) = (bt, pb);
    if bt == T::Suffix && get_token(&mut tt, b, &mut q).is_some_and(|v| v < 0) {
        return Ordering::Greater;
    }
    // otherwise the version that goes on is greater
    bt.cmp(&at)
}
