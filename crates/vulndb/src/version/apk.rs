//! Alpine (apk-tools) ordering: a token machine over digits, letters, `_suffix` + number and
//! `-rN` revisions; pre-release suffixes (alpha, beta, pre, rc) sort before the plain version,
//! post-release ones (cvs, svn, git, hg, p) after it.

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
            b'-' => {
                if s.get(*p + 1) == Some(&b'r') {
                    n = T::RevisionNo;
                    *p += 1;
                }
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

fn get_token(t: &mut T, s: &[u8], p: &mut usize) -> i128 {
    const PRE: [&[u8]; 4] = [b"alpha", b"beta", b"pre", b"rc"];
    const POST: [&[u8]; 5] = [b"cvs", b"svn", b"git", b"hg", b"p"];
    if *p >= s.len() {
        *t = T::End;
        return 0;
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
        T::DigitOrZero | T::Digit | T::SuffixNo | T::RevisionNo => digits(&mut i, &mut v),
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
                return -1;
            }
        }
        _ => {
            *t = T::Invalid;
            return -1;
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
    v
}

/// Whether the whole string reads as an apk version.
fn valid(s: &[u8]) -> bool {
    let (mut t, mut p) = (T::Digit, 0usize);
    while t != T::End && t != T::Invalid {
        get_token(&mut t, s, &mut p);
    }
    t == T::End
}

pub fn compare(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    // versions apk would reject sort before every valid one, and tie with each other
    match (valid(a), valid(b)) {
        (false, false) => return Ordering::Equal,
        (false, true) => return Ordering::Less,
        (true, false) => return Ordering::Greater,
        (true, true) => {}
    }
    let (mut pa, mut pb) = (0usize, 0usize);
    let (mut at, mut bt) = (T::Digit, T::Digit);
    let (mut av, mut bv) = (0i128, 0i128);
    while at == bt && at != T::End && at != T::Invalid && av == bv {
        av = get_token(&mut at, a, &mut pa);
        bv = get_token(&mut bt, b, &mut pb);
    }
    if av != bv {
        return av.cmp(&bv);
    }
    if at == bt {
        return Ordering::Equal;
    }
    let mut tt = at;
    let mut q = pa;
    if at == T::Suffix && get_token(&mut tt, a, &mut q) < 0 {
        return Ordering::Less;
    }
    let mut tt = bt;
    let mut q = pb;
    if bt == T::Suffix && get_token(&mut tt, b, &mut q) < 0 {
        return Ordering::Greater;
    }
    // the version that goes on is greater, unless what follows is a pre-release suffix
    bt.cmp(&at)
}
