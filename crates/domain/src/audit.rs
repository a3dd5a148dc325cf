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

/// A keyed checkpoint of the chain: the head's sequence number and hash at a time, with an
/// HMAC-SHA256 under a key kept outside the database. Anyone who can write to the database can
/// rewrite an entry and re-chain everything after it, but cannot sign the rewritten hash; a
/// checkpoint kept elsewhere (a file on another volume, the log) then no longer matches.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Checkpoint {
    pub seq: i64,
    pub hash: String,
    pub at: crate::Timestamp,
    pub mac: String,
}

impl Checkpoint {
    pub fn sign(key: &[u8], seq: i64, hash: &str, at: crate::Timestamp) -> Checkpoint {
        Checkpoint { seq, hash: hash.to_string(), at, mac: checkpoint_mac(key, seq, hash, at) }
    }

    /// One JSON line, as exported.
    pub fn to_line(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

fn checkpoint_mac(key: &[u8], seq: i64, hash: &str, at: crate::Timestamp) -> String {
    use hmac::{Hmac, Mac};
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    m.update(format!("kakehashi-audit-checkpoint-v1\n{seq}\n{hash}\n{at}").as_bytes());
    hex::encode(m.finalize().into_bytes())
}

/// Why the stored chain does not match the exported checkpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckpointBreak {
    /// A line is not a checkpoint.
    Unreadable { line: usize },
    /// The MAC does not verify with this key: the checkpoint was forged or the key is wrong.
    BadSignature { line: usize, seq: i64 },
    /// The stored entry at a signed position has another hash: history was rewritten.
    Rewritten { seq: i64 },
    /// A signed position is past the stored chain: entries were deleted.
    Missing { seq: i64, head_seq: i64 },
}

impl std::fmt::Display for CheckpointBreak {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CheckpointBreak::Unreadable { line } => write!(f, "checkpoint line {line} cannot be read"),
            CheckpointBreak::BadSignature { line, seq } => {
                write!(f, "checkpoint line {line} (entry {seq}) is not signed with this key (forged, or the wrong key)")
            }
            CheckpointBreak::Rewritten { seq } => {
                write!(f, "entry {seq} differs from its signed checkpoint: the history was rewritten and re-chained")
            }
            CheckpointBreak::Missing { seq, head_seq } => {
                write!(
                    f,
                    "a checkpoint was signed at entry {seq} but the chain ends at {head_seq}: entries were deleted"
                )
            }
        }
    }
}

/// Checks exported checkpoints (JSON lines) against the stored entries (in order, as read for
/// [`ChainVerifier`]); returns how many checkpoints matched.
pub fn verify_checkpoints(
    key: &[u8],
    lines: &str,
    entries: &[AuditEntry],
    head_seq: i64,
) -> Result<usize, CheckpointBreak> {
    let by_seq: std::collections::HashMap<i64, &str> = entries.iter().map(|e| (e.seq, e.hash.as_str())).collect();
    let mut n = 0;
    for (i, line) in lines.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let line_no = i + 1;
        let cp: Checkpoint =
            serde_json::from_str(line.trim()).map_err(|_| CheckpointBreak::Unreadable { line: line_no })?;
        let want = checkpoint_mac(key, cp.seq, &cp.hash, cp.at);
        if !constant_time_eq(want.as_bytes(), cp.mac.as_bytes()) {
            return Err(CheckpointBreak::BadSignature { line: line_no, seq: cp.seq });
        }
        if cp.seq == 0 {
            n += 1;
            continue;
        }
        match by_seq.get(&cp.seq) {
            Some(h) if *h == cp.hash => n += 1,
            Some(_) => return Err(CheckpointBreak::Rewritten { seq: cp.seq }),
            None => return Err(CheckpointBreak::Missing { seq: cp.seq, head_seq }),
        }
    }
    Ok(n)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod checkpoint_tests {
    use super::*;

    fn chain(n: i64, tamper_at: Option<i64>) -> Vec<AuditEntry> {
        let mut prev = GENESIS.to_string();
        (1..=n)
            .map(|seq| {
                let summary = if Some(seq) == tamper_at { "rewritten".to_string() } else { format!("s{seq}") };
                let hash = entry_hash(seq, seq * 10, &prev, "a", "act", "sub", &summary);
                let e = AuditEntry {
                    seq,
                    at: seq * 10,
                    actor: "a".into(),
                    action: "act".into(),
                    subject: "sub".into(),
                    summary,
                    prev_hash: prev.clone(),
                    hash: hash.clone(),
                };
                prev = hash;
                e
            })
            .collect()
    }

    #[test]
    fn a_rechained_history_fails_the_signed_checkpoints() {
        let key = b"a key kept outside the database, 32+ bytes";
        let good = chain(10, None);
        let lines = [4, 8].map(|s| Checkpoint::sign(key, s, &good[(s - 1) as usize].hash, 100).to_line()).join("\n");
        assert_eq!(verify_checkpoints(key, &lines, &good, 10), Ok(2));
        // entry 3 rewritten and everything after re-chained: the chain itself verifies ...
        let forged = chain(10, Some(3));
        let mut v = ChainVerifier::default();
        assert!(forged.iter().all(|e| v.check(e).is_ok()));
        // ... but not against the checkpoints
        assert_eq!(verify_checkpoints(key, &lines, &forged, 10), Err(CheckpointBreak::Rewritten { seq: 4 }));
        // the newest entries deleted
        assert_eq!(
            verify_checkpoints(key, &lines, &good[..6], 6),
            Err(CheckpointBreak::Missing { seq: 8, head_seq: 6 })
        );
        // a checkpoint made without the key, or checked with another key
        let fake = Checkpoint { mac: "00".repeat(32), ..Checkpoint::sign(key, 4, &forged[3].hash, 100) }.to_line();
        assert_eq!(verify_checkpoints(key, &fake, &forged, 10), Err(CheckpointBreak::BadSignature { line: 1, seq: 4 }));
        assert!(matches!(
            verify_checkpoints(b"other key", &lines, &good, 10),
            Err(CheckpointBreak::BadSignature { .. })
        ));
        assert_eq!(verify_checkpoints(key, "not json", &good, 10), Err(CheckpointBreak::Unreadable { line: 1 }));
    }
}
