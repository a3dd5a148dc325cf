//! Maven ordering (`ComparableVersion`): items split at `.` and `-` and at digit/letter
//! transitions; qualifiers order alpha < beta < milestone < rc = cr < snapshot < (release) = ga =
//! final < sp, unknown qualifiers after them in lexical order; trailing zero items do not count.

use std::cmp::Ordering;

use super::numeric_cmp;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    Int(String),
    Str(String),
    List(Vec<Item>),
}

const QUALIFIERS: [&str; 7] = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];

fn qualifier_key(q: &str) -> String {
    let q = match q {
        "ga" | "final" | "release" => "",
        "cr" => "rc",
        other => other,
    };
    match QUALIFIERS.iter().position(|x| *x == q) {
        Some(i) => i.to_string(),
        None => format!("{}-{q}", QUALIFIERS.len()),
    }
}

fn string_item(s: &str, followed_by_digit: bool) -> Item {
    let s = if followed_by_digit && s.len() == 1 {
        match s {
            "a" => "alpha",
            "b" => "beta",
            "m" => "milestone",
            o => o,
        }
    } else {
        s
    };
    Item::Str(s.to_string())
}

fn is_null(i: &Item) -> bool {
    match i {
        Item::Int(n) => n.is_empty() || n.bytes().all(|b| b == b'0'),
        Item::Str(s) => qualifier_key(s) == "5",
        Item::List(l) => l.is_empty(),
    }
}

/// Removes null items (0, "", empty lists) from the end, looking through sub-lists: `1.0-a`
/// becomes `1-a`.
fn normalize(list: &mut Vec<Item>) {
    let mut i = list.len();
    while i > 0 {
        i -= 1;
        if is_null(&list[i]) {
            list.remove(i);
        } else if !matches!(list[i], Item::List(_)) {
            break;
        }
    }
}

/// Parses into nested lists: a `-` (or a digit/letter switch) opens a sub-list.
fn parse(v: &str) -> Vec<Item> {
    let v = v.to_ascii_lowercase();
    let b = v.as_bytes();
    // stack of lists; each new sub-list is appended to its parent when closed
    let mut stack: Vec<Vec<Item>> = vec![Vec::new()];
    let mut start = 0usize;
    let mut is_digit = false;
    let push_item = |stack: &mut Vec<Vec<Item>>, s: &str, digit: bool, next_digit: bool| {
        let item = if digit { Item::Int(s.trim_start_matches('0').to_string()) } else { string_item(s, next_digit) };
        stack.last_mut().unwrap().push(item);
    };
    let open = |stack: &mut Vec<Vec<Item>>| stack.push(Vec::new());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'.' {
            if i == start {
                stack.last_mut().unwrap().push(Item::Int(String::new()));
            } else {
                push_item(&mut stack, &v[start..i], is_digit, false);
            }
            start = i + 1;
        } else if c == b'-' {
            // Maven 3.9 reads "ga-1" (a release qualifier, a dash, a number) as the number alone
            if !is_digit
                && i > start
                && matches!(&v[start..i], "ga" | "final" | "release")
                && b.get(i + 1).is_some_and(|x| x.is_ascii_digit())
            {
                start = i + 1;
                i += 1;
                continue;
            }
            if i == start {
                stack.last_mut().unwrap().push(Item::Int(String::new()));
            } else {
                push_item(&mut stack, &v[start..i], is_digit, false);
            }
            start = i + 1;
            open(&mut stack);
        } else if c.is_ascii_digit() {
            if !is_digit && i > start {
                push_item(&mut stack, &v[start..i], false, true);
                start = i;
                open(&mut stack);
            }
            is_digit = true;
        } else {
            if is_digit && i > start {
                push_item(&mut stack, &v[start..i], true, false);
                start = i;
                open(&mut stack);
            }
            is_digit = false;
        }
        i += 1;
    }
    if b.len() > start {
        push_item(&mut stack, &v[start..], is_digit, false);
    }
    // close the open sub-lists from the innermost out, normalising each
    while stack.len() > 1 {
        let mut inner = stack.pop().unwrap();
        normalize(&mut inner);
        stack.last_mut().unwrap().push(Item::List(inner));
    }
    let mut top = stack.pop().unwrap();
    normalize(&mut top);
    top
}

fn cmp_item(a: Option<&Item>, b: Option<&Item>) -> Ordering {
    match (a, b) {
        (None, None) => Ordering::Equal,
        (Some(x), None) => cmp_null(x),
        (None, Some(y)) => cmp_null(y).reverse(),
        (Some(Item::Int(x)), Some(Item::Int(y))) => numeric_cmp(x, y),
        (Some(Item::Int(_)), Some(_)) => Ordering::Greater,
        (Some(Item::Str(_)), Some(Item::Int(_))) => Ordering::Less,
        (Some(Item::Str(x)), Some(Item::Str(y))) => qualifier_key(x).cmp(&qualifier_key(y)),
        (Some(Item::Str(_)), Some(Item::List(_))) => Ordering::Less,
        (Some(Item::List(_)), Some(Item::Int(_))) => Ordering::Less,
        (Some(Item::List(_)), Some(Item::Str(_))) => Ordering::Greater,
        (Some(Item::List(x)), Some(Item::List(y))) => cmp_lists(x, y),
    }
}

fn cmp_null(x: &Item) -> Ordering {
    match x {
        Item::Int(n) => {
            if n.is_empty() || n.bytes().all(|b| b == b'0') {
                Ordering::Equal
            } else {
                Ordering::Greater
            }
        }
        Item::Str(s) => qualifier_key(s).cmp(&"5".to_string()),
        Item::List(l) => l.first().map_or(Ordering::Equal, cmp_null),
    }
}

fn cmp_lists(a: &[Item], b: &[Item]) -> Ordering {
    for i in 0..a.len().max(b.len()) {
        let o = cmp_item(a.get(i), b.get(i));
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

pub fn compare(a: &str, b: &str) -> Ordering {
    cmp_lists(&parse(a), &parse(b))
}
