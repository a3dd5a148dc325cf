//! PEP 440 ordering (PyPI): epoch, release, pre-release (a < b < rc), post-release, dev release,
//! local version. Strings that are not PEP 440 versions sort before every valid one.

use std::cmp::Ordering;

use super::numeric_cmp;

/// A number as its digit string (any length), compared numerically.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Num(String);

impl Ord for Num {
    fn cmp(&self, o: &Self) -> Ordering {
        numeric_cmp(&self.0, &o.0)
    }
}
impl PartialOrd for Num {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Bound<T> {
    NegInf,
    Val(T),
    PosInf,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum LocalPart {
    Str(String),
    Num(Num),
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    epoch: Num,
    release: Vec<Num>,
    pre: Bound<(u8, Num)>,
    post: Bound<Num>,
    dev: Bound<Num>,
    local: Bound<Vec<LocalPart>>,
}

struct P<'a> {
    s: &'a [u8],
    i: usize,
}

impl P<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn digits(&mut self) -> Option<String> {
        let st = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
        (self.i > st).then(|| String::from_utf8_lossy(&self.s[st..self.i]).into_owned())
    }
    fn sep(&mut self) -> bool {
        if matches!(self.peek(), Some(b'.' | b'-' | b'_')) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn word(&mut self, words: &[&str]) -> Option<usize> {
        // longest match first
        let mut best: Option<(usize, usize)> = None;
        for (k, w) in words.iter().enumerate() {
            if self.s[self.i..].starts_with(w.as_bytes()) && best.is_none_or(|(_, l)| w.len() > l) {
                best = Some((k, w.len()));
            }
        }
        best.map(|(k, l)| {
            self.i += l;
            k
        })
    }
}

fn parse(v: &str) -> Option<Key> {
    let lower = v.trim().to_ascii_lowercase();
    let s = lower.strip_prefix('v').unwrap_or(&lower);
    let mut p = P { s: s.as_bytes(), i: 0 };
    let first = p.digits()?;
    let (epoch, mut release) = if p.peek() == Some(b'!') {
        p.i += 1;
        (Num(first), vec![Num(p.digits()?)])
    } else {
        (Num("0".into()), vec![Num(first)])
    };
    while p.peek() == Some(b'.') && p.s.get(p.i + 1).is_some_and(|c| c.is_ascii_digit()) {
        p.i += 1;
        release.push(Num(p.digits()?));
    }
    // pre-release
    let save = p.i;
    let had_sep = p.sep();
    let mut pre = None;
    if let Some(k) = p.word(&["a", "alpha", "b", "beta", "c", "rc", "pre", "preview"]) {
        let letter = match k {
            0 | 1 => 0,
            2 | 3 => 1,
            _ => 2,
        };
        p.sep();
        pre = Some((letter, Num(p.digits().unwrap_or_else(|| "0".into()))));
    } else {
        p.i = save;
        let _ = had_sep;
    }
    // post-release: "-N" or [sep](post|rev|r)[sep]N?
    let save = p.i;
    let mut post = None;
    if p.peek() == Some(b'-') && p.s.get(p.i + 1).is_some_and(|c| c.is_ascii_digit()) {
        p.i += 1;
        post = Some(Num(p.digits()?));
    } else {
        p.sep();
        if p.word(&["post", "rev", "r"]).is_some() {
            p.sep();
            post = Some(Num(p.digits().unwrap_or_else(|| "0".into())));
        } else {
            p.i = save;
        }
    }
    // dev release
    let save = p.i;
    let mut dev = None;
    p.sep();
    if p.word(&["dev"]).is_some() {
        p.sep();
        dev = Some(Num(p.digits().unwrap_or_else(|| "0".into())));
    } else {
        p.i = save;
    }
    // local version
    let mut local = None;
    if p.peek() == Some(b'+') {
        p.i += 1;
        let rest = std::str::from_utf8(&p.s[p.i..]).ok()?;
        let parts: Vec<&str> = rest.split(['.', '-', '_']).collect();
        if parts.iter().any(|x| x.is_empty() || !x.bytes().all(|c| c.is_ascii_alphanumeric())) {
            return None;
        }
        local = Some(
            parts
                .iter()
                .map(|x| {
                    if x.bytes().all(|c| c.is_ascii_digit()) {
                        LocalPart::Num(Num(x.to_string()))
                    } else {
                        LocalPart::Str(x.to_string())
                    }
                })
                .collect(),
        );
        p.i = p.s.len();
    }
    if p.i != p.s.len() {
        return None;
    }
    while release.len() > 1 && release.last().is_some_and(|n| n.0.bytes().all(|c| c == b'0')) {
        release.pop();
    }
    let pre_key = match (&pre, &post, &dev) {
        (None, None, Some(_)) => Bound::NegInf,
        (None, _, _) => Bound::PosInf,
        (Some(x), _, _) => Bound::Val(x.clone()),
    };
    Some(Key {
        epoch,
        release,
        pre: pre_key,
        post: post.map_or(Bound::NegInf, Bound::Val),
        dev: dev.map_or(Bound::PosInf, Bound::Val),
        local: local.map_or(Bound::NegInf, Bound::Val),
    })
}

pub fn is_valid(v: &str) -> bool {
    parse(v).is_some()
}

pub fn compare(a: &str, b: &str) -> Ordering {
    match (parse(a), parse(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (None, None) => a.cmp(b),
    }
}
