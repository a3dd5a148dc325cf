//! The audit trail's hash chain. Each entry's hash covers its own fields and the previous
//! entry's hash, so editing or deleting any stored entry breaks the chain from there on.

use sha2::{Digest, Sha256};

/// The hash that stands before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// An audit entry as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: crate::Timestamp,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub summary: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The fields an entry is made of before it is chained.
#[derive(Debug, Clone)]
pub struct AuditRecord {
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub summary: String,
}

/// Hash of an entry: SHA-256 over length-prefixed fields (no ambiguity between fields).
pub fn entry_hash(
    seq: i64,
    at: crate::Timestamp,
    prev_hash: &str,
    actor: &str,
    action: &str,
    subject: &str,
    summary: &str,
) -> String {
    let mut h = Sha256::new();
    h.update(seq.to_be_bytes());
    h.update(at.to_be_bytes());
    for part in [prev_hash, actor, action, subject, summary] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    hex::encode(h.finalize())
}

/// Why a chain does not verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainBreak {
    /// The entry's stored hash does not match its contents.
    Altered { seq: i64 },
    /// The entry does not point at the previous entry's hash (an entry before it was removed or altered).
    Unlinked { seq: i64 },
    /// Sequence numbers jump: entries in between were deleted.
    Gap { after: i64, next: i64 },
    /// The chain head records more entries than are stored: the newest were deleted.
    Truncated { head_seq: i64, last_seq: i64 },
}

impl std::fmt::Display for ChainBreak {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChainBreak::Altered { seq } => write!(f, "entry {seq} was altered (its hash does not match its contents)"),
            ChainBreak::Unlinked { seq } => {
                write!(f, "entry {seq} does not link to the entry before it")
            }
            ChainBreak::Gap { after, next } => {
                write!(f, "entries between {after} and {next} were deleted")
            }
            ChainBreak::Truncated { head_seq, last_seq } => {
                write!(f, "entries after {last_seq} were deleted (the chain head says {head_seq})")
            }
        }
    }
}

/// Verifies entries in sequence order; feed them one by one.
pub struct ChainVerifier {
    prev_hash: String,
    prev_seq: i64,
    pub checked: u64,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self { prev_hash: GENESIS.to_string(), prev_seq: 0, checked: 0 }
    }
}

impl ChainVerifier {
    pub fn check(&mut self, e: &AuditEntry) -> Result<(), ChainBreak> {
        if e.seq != self.prev_seq + 1 {
            return Err(ChainBreak::Gap { after: self.prev_seq, next: e.seq });
        }
        let expect = entry_hash(e.seq, e.at, &e.prev_hash, &e.actor, &e.action, &e.subject, &e.summary);
        if expect != e.hash {
            return Err(ChainBreak::Altered { seq: e.seq });
        }
        if e.prev_hash != self.prev_hash {
            return Err(ChainBreak::Unlinked { seq: e.seq });
        }
        self.prev_hash = e.hash.clone();
        self.prev_seq = e.seq;
        self.checked += 1;
        Ok(())
    }

    /// Checks the stored head (last seq and hash) against what was read.
    pub fn finish(&self, head_seq: i64, head_hash: &str) -> Result<(), ChainBreak> {
        if head_seq != self.prev_seq || (head_seq > 0 && head_hash != self.prev_hash) {
            return Err(ChainBreak::Truncated { head_seq, last_seq: self.prev_seq });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<AuditEntry> {
        let mut prev = GENESIS.to_string();
        (1..=n)
            .map(|seq| {
                let hash = entry_hash(seq, 100 + seq, &prev, "u", "a", "s", "x");
                let e = AuditEntry {
                    seq,
                    at: 100 + seq,
                    actor: "u".into(),
                    action: "a".into(),
                    subject: "s".into(),
                    summary: "x".into(),
                    prev_hash: prev.clone(),
                    hash: hash.clone(),
                };
                prev = hash;
                e
            })
            .collect()
    }

    #[test]
    fn intact_chain_verifies_and_edits_are_found() {
        let mut c = chain(5);
        let mut v = ChainVerifier::default();
        for e in &c {
            v.check(e).unwrap();
        }
        v.finish(5, &c[4].hash).unwrap();

        c[2].summary = "edited".into();
        let mut v = ChainVerifier::default();
        let err = c.iter().find_map(|e| v.check(e).err()).unwrap();
        assert_eq!(err, ChainBreak::Altered { seq: 3 });

        let mut c = chain(5);
        c.remove(1);
        let mut v = ChainVerifier::default();
        assert_eq!(c.iter().find_map(|e| v.check(e).err()), Some(ChainBreak::Gap { after: 1, next: 3 }));
    }
}
