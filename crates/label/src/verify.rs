//! What a relying party checks, offline: the envelope's signature by a key of the trust root, the
//! key's life at signing time, the statement, the SBOM digest, the label's validity, and its
//! current status in a fresh, signed status list.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::dsse::signature_holds;
use crate::{
    Envelope, LabelClaim, PAYLOAD_TYPE, ROLE_LABEL, ROLE_STATUS, STATUS_LIST_TYPE, STATUS_PAYLOAD_TYPE, StatusEntry,
    StatusList, TrustKey, TrustRoot, parse_time, rfc3339, sha256_hex,
};

/// Why a label does not verify. [`Failure::exit_code`] gives each its own exit code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Failure {
    #[error("{0}")]
    Malformed(String),
    #[error(
        "the signature does not verify: the label was changed after it was signed, or another key signed it (key {keyid})"
    )]
    BadSignature { keyid: String },
    #[error("unknown signing key {keyid}: the trust root does not name it")]
    UnknownKey { keyid: String },
    #[error("key {keyid} ({owner}) was revoked at {at}{reason}: nothing it signed is trusted")]
    KeyRevoked { keyid: String, owner: String, at: String, reason: String },
    #[error("key {keyid} was retired at {retired}, but the label says it was signed at {signed}")]
    KeyRetired { keyid: String, retired: String, signed: String },
    #[error("key {keyid} is valid from {from}, but the label says it was signed at {signed}")]
    KeyNotYetValid { keyid: String, from: String, signed: String },
    #[error("key {keyid} belongs to {owner}, but the label names {verifier} as the verifier")]
    WrongVerifier { keyid: String, owner: String, verifier: String },
    #[error("key {keyid} may sign {role} documents, not this one")]
    WrongRole { keyid: String, role: String },
    #[error("the label is for an SBOM with SHA-256 {expected}, but the given SBOM has {actual}")]
    SbomMismatch { expected: String, actual: String },
    #[error("the label expired at {at}")]
    Expired { at: String },
    #[error("the status list says label {id} is {status} since {since}{reason}")]
    NotActive { id: i64, status: String, since: String, reason: String },
    #[error("label {id} is not in the status list")]
    NotInStatusList { id: i64 },
    #[error("the status list is stale: its next update was due at {due} (an old list replayed?); fetch a fresh one")]
    StatusStale { due: String },
    #[error("the status list was issued at {list}, before the label was signed at {label}; fetch a fresh one")]
    StatusOlderThanLabel { list: String, label: String },
    #[error("the status list does not verify: {0}")]
    StatusInvalid(String),
}

impl Failure {
    /// 2 unreadable; 3 changed or badly signed; 4 unknown key; 5 key not valid for it;
    /// 6 another SBOM; 7 not active (expired, suspended, revoked); 8 the status list is unusable.
    pub fn exit_code(&self) -> i32 {
        match self {
            Failure::Malformed(_) => 2,
            Failure::BadSignature { .. } => 3,
            Failure::UnknownKey { .. } => 4,
            Failure::KeyRevoked { .. }
            | Failure::KeyRetired { .. }
            | Failure::KeyNotYetValid { .. }
            | Failure::WrongVerifier { .. }
            | Failure::WrongRole { .. } => 5,
            Failure::SbomMismatch { .. } => 6,
            Failure::Expired { .. } | Failure::NotActive { .. } => 7,
            Failure::NotInStatusList { .. }
            | Failure::StatusStale { .. }
            | Failure::StatusOlderThanLabel { .. }
            | Failure::StatusInvalid(_) => 8,
        }
    }
}

/// A label that verified.
#[derive(Debug, Clone)]
pub struct Verified {
    pub claim: LabelClaim,
    pub keyid: String,
    pub signer: String,
    /// The entry of the status list, when one was given.
    pub status: Option<StatusEntry>,
    pub status_issued_at: Option<String>,
}

/// Checks the envelope's signatures against the trust root's keys of `role`: the first signature
/// by a known key decides. Returns the payload and the key.
fn open_envelope<'r>(
    env: &Envelope,
    root: &'r TrustRoot,
    role: &str,
    payload_type: &str,
) -> Result<(Vec<u8>, &'r TrustKey), Failure> {
    if env.payload_type != payload_type {
        return Err(Failure::Malformed(format!("payloadType is {:?}, not {payload_type}", env.payload_type)));
    }
    let payload = env.payload_bytes().map_err(Failure::Malformed)?;
    let sig = env.signatures.first().ok_or_else(|| Failure::Malformed("the envelope has no signature".into()))?;
    let key = env
        .signatures
        .iter()
        .find_map(|s| root.key(&s.keyid).map(|k| (s, k)))
        .ok_or_else(|| Failure::UnknownKey { keyid: sig.keyid.clone() })?;
    let (sig, key) = key;
    if key.algorithm != "ed25519" {
        return Err(Failure::Malformed(format!("key {} uses {:?}; only ed25519 is known", key.keyid, key.algorithm)));
    }
    let public = STANDARD
        .decode(key.public_key.trim())
        .map_err(|_| Failure::Malformed(format!("key {} in the trust root is not base64", key.keyid)))?;
    if !signature_holds(&public, &env.payload_type, &payload, &sig.sig) {
        return Err(Failure::BadSignature { keyid: key.keyid.clone() });
    }
    if key.role != role {
        return Err(Failure::WrongRole { keyid: key.keyid.clone(), role: key.role.clone() });
    }
    if let Some(at) = &key.revoked_at {
        let reason = key.revocation_reason.as_deref().filter(|r| !r.is_empty());
        return Err(Failure::KeyRevoked {
            keyid: key.keyid.clone(),
            owner: key.owner_name.clone(),
            at: at.clone(),
            reason: reason.map(|r| format!(" ({r})")).unwrap_or_default(),
        });
    }
    Ok((payload, key))
}

/// The key's life allows a signature made at `signed`.
fn key_valid_at(key: &TrustKey, signed: i64) -> Result<(), Failure> {
    let from = parse_time(&key.valid_from)
        .ok_or_else(|| Failure::Malformed(format!("key {}: valid_from is not an RFC 3339 time", key.keyid)))?;
    if signed < from {
        return Err(Failure::KeyNotYetValid {
            keyid: key.keyid.clone(),
            from: key.valid_from.clone(),
            signed: rfc3339(signed),
        });
    }
    if let Some(r) = &key.retired_at {
        let retired = parse_time(r)
            .ok_or_else(|| Failure::Malformed(format!("key {}: retired_at is not an RFC 3339 time", key.keyid)))?;
        if signed >= retired {
            return Err(Failure::KeyRetired { keyid: key.keyid.clone(), retired: r.clone(), signed: rfc3339(signed) });
        }
    }
    Ok(())
}

/// Opens a signed status list: signed by an office key of the trust root, not stale at `now`.
pub fn open_status_list(bytes: &[u8], root: &TrustRoot, now: i64) -> Result<StatusList, Failure> {
    let env = Envelope::parse(bytes).map_err(Failure::StatusInvalid)?;
    let (payload, key) = open_envelope(&env, root, ROLE_STATUS, STATUS_PAYLOAD_TYPE).map_err(|f| match f {
        Failure::Malformed(m) => Failure::StatusInvalid(m),
        other => Failure::StatusInvalid(other.to_string()),
    })?;
    let list: StatusList =
        serde_json::from_slice(&payload).map_err(|e| Failure::StatusInvalid(format!("not a status list: {e}")))?;
    if list.kind != STATUS_LIST_TYPE {
        return Err(Failure::StatusInvalid(format!("type is {:?}, not {STATUS_LIST_TYPE}", list.kind)));
    }
    // the office signs it: the key's owner is the trust root's issuer, and the list says so
    if key.owner != root.issuer || list.issuer != root.issuer {
        return Err(Failure::StatusInvalid(format!(
            "signed by {} for {}, but the trust root's issuer is {}",
            key.owner, list.issuer, root.issuer
        )));
    }
    let issued = parse_time(&list.issued_at).ok_or_else(|| Failure::StatusInvalid("issued_at is not a time".into()))?;
    key_valid_at(key, issued).map_err(|f| Failure::StatusInvalid(f.to_string()))?;
    let due =
        parse_time(&list.next_update).ok_or_else(|| Failure::StatusInvalid("next_update is not a time".into()))?;
    if now > due {
        return Err(Failure::StatusStale { due: list.next_update });
    }
    Ok(list)
}

/// Verifies a label (the DSSE envelope's JSON bytes) at `now` (Unix seconds).
pub fn verify_label(
    label: &[u8],
    root: &TrustRoot,
    status_list: Option<&[u8]>,
    sbom: Option<&[u8]>,
    now: i64,
) -> Result<Verified, Failure> {
    let env = Envelope::parse(label).map_err(Failure::Malformed)?;
    let (payload, key) = open_envelope(&env, root, ROLE_LABEL, PAYLOAD_TYPE)?;
    let claim = LabelClaim::from_statement(&payload).map_err(Failure::Malformed)?;
    key_valid_at(key, claim.issued_at)?;
    if key.owner != claim.verifier {
        return Err(Failure::WrongVerifier {
            keyid: key.keyid.clone(),
            owner: key.owner.clone(),
            verifier: claim.verifier.clone(),
        });
    }
    if let Some(sbom) = sbom {
        let actual = sha256_hex(sbom);
        if !actual.eq_ignore_ascii_case(&claim.sbom_sha256) {
            return Err(Failure::SbomMismatch { expected: claim.sbom_sha256.clone(), actual });
        }
    }
    let (mut status, mut status_issued_at) = (None, None);
    if let Some(bytes) = status_list {
        let list = open_status_list(bytes, root, now)?;
        let issued = parse_time(&list.issued_at).unwrap_or(i64::MIN);
        if issued < claim.issued_at {
            return Err(Failure::StatusOlderThanLabel { list: list.issued_at, label: rfc3339(claim.issued_at) });
        }
        let entry = list
            .labels
            .iter()
            .find(|e| e.id == claim.label_id)
            .cloned()
            .ok_or(Failure::NotInStatusList { id: claim.label_id })?;
        if entry.status != "active" {
            return Err(Failure::NotActive {
                id: entry.id,
                status: entry.status,
                since: entry.since,
                reason: if entry.reason.is_empty() { String::new() } else { format!(": {}", entry.reason) },
            });
        }
        status = Some(entry);
        status_issued_at = Some(list.issued_at);
    }
    if now >= claim.valid_until {
        return Err(Failure::Expired { at: rfc3339(claim.valid_until) });
    }
    Ok(Verified { claim, keyid: key.keyid.clone(), signer: key.owner_name.clone(), status, status_issued_at })
}
