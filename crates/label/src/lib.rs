//! Verification labels that anyone can check offline.
//!
//! A label is an [in-toto Statement v1] whose predicate is the [SLSA Verification Summary]
//! (VSA): the subject is the product version with the SHA-256 of its SBOM, the verifier is the
//! verification body, `verificationResult` is `PASSED` and `verifiedLevels` names the schemes
//! (e.g. `JC-STAR-STAR1`). The statement travels in a [DSSE] envelope signed with ed25519.
//!
//! Around it:
//! - the **trust root** ([`TrustRoot`]): the bodies' public keys with their validity, retirement
//!   and revocation, published by the program office;
//! - the **status list** ([`StatusList`]): every label's current status (active, suspended,
//!   revoked, expired), signed by the office like a certificate revocation list, with a
//!   `next_update` after which it is stale (so an old list replayed later is refused);
//! - [`verify_label`]: everything a relying party checks, without a network, each failure with
//!   its own exit code and message.
//!
//! The platform keeps private keys sealed with AES-256-GCM ([`Sealer`]) under a key from its
//! configuration. No platform dependency.
//!
//! [in-toto Statement v1]: https://github.com/in-toto/attestation/blob/main/spec/v1/statement.md
//! [SLSA Verification Summary]: https://slsa.dev/spec/v1.0/verification_summary
//! [DSSE]: https://github.com/secure-systems-lab/dsse/blob/master/envelope.md

mod dsse;
mod keys;
mod verify;

pub use dsse::{Envelope, Signature, pae};
pub use keys::{KeyError, KeyPair, Sealer, keyid_of};
pub use verify::{Failure, Verified, open_status_list, verify_label};

use serde::{Deserialize, Serialize};
use serde_json::json;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// DSSE payload type of a label (an in-toto statement).
pub const PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";
/// DSSE payload type of a status list.
pub const STATUS_PAYLOAD_TYPE: &str = "application/vnd.kakehashi.status-list+json";
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
pub const VSA_TYPE: &str = "https://slsa.dev/verification_summary/v1";
pub const TRUST_ROOT_TYPE: &str = "https://kakehashi.jp/trust-root/v1";
pub const STATUS_LIST_TYPE: &str = "https://kakehashi.jp/status-list/v1";

/// What a key may sign.
pub const ROLE_LABEL: &str = "label";
pub const ROLE_STATUS: &str = "status";

/// A label's content: what the body verified, of which product version, until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelClaim {
    pub label_id: i64,
    /// `urn:kakehashi:product:{id}:version:{version}`
    pub subject: String,
    pub product: String,
    pub vendor: String,
    pub version: String,
    /// Hex SHA-256 of the SBOM the body verified.
    pub sbom_sha256: String,
    /// e.g. `JC-STAR-STAR1`, `ETSI-EN-303-645`
    pub levels: Vec<String>,
    /// The body: `urn:kakehashi:org:{id}` (the owner of the signing key in the trust root).
    pub verifier: String,
    pub verifier_name: String,
    /// The product page.
    pub resource_uri: String,
    /// The checklist the product was verified against.
    pub policy_uri: String,
    /// Unix seconds.
    pub issued_at: i64,
    pub valid_until: i64,
}

impl LabelClaim {
    /// The in-toto statement (VSA predicate) as JSON bytes.
    pub fn statement(&self) -> Vec<u8> {
        let v = json!({
            "_type": STATEMENT_TYPE,
            "subject": [{
                "name": self.subject,
                "digest": { "sha256": self.sbom_sha256 },
                "annotations": {
                    "labelId": self.label_id,
                    "product": self.product,
                    "vendor": self.vendor,
                    "version": self.version,
                    "verifierName": self.verifier_name,
                    "validUntil": rfc3339(self.valid_until),
                }
            }],
            "predicateType": VSA_TYPE,
            "predicate": {
                "verifier": { "id": self.verifier },
                "timeVerified": rfc3339(self.issued_at),
                "resourceUri": self.resource_uri,
                "policy": { "uri": self.policy_uri },
                "verificationResult": "PASSED",
                "verifiedLevels": self.levels,
            }
        });
        serde_json::to_vec(&v).expect("a JSON value serialises")
    }

    /// Reads a statement back (after its signature was checked).
    pub fn from_statement(bytes: &[u8]) -> Result<LabelClaim, String> {
        #[derive(Deserialize)]
        struct Statement {
            #[serde(rename = "_type")]
            kind: String,
            subject: Vec<Subject>,
            #[serde(rename = "predicateType")]
            predicate_type: String,
            predicate: Vsa,
        }
        #[derive(Deserialize)]
        struct Subject {
            name: String,
            digest: std::collections::BTreeMap<String, String>,
            #[serde(default)]
            annotations: Annotations,
        }
        #[derive(Deserialize, Default)]
        #[serde(rename_all = "camelCase", default)]
        struct Annotations {
            label_id: i64,
            product: String,
            vendor: String,
            version: String,
            verifier_name: String,
            valid_until: String,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Vsa {
            verifier: Verifier,
            time_verified: String,
            resource_uri: String,
            #[serde(default)]
            policy: Option<Policy>,
            verification_result: String,
            #[serde(default)]
            verified_levels: Vec<String>,
        }
        #[derive(Deserialize)]
        struct Verifier {
            id: String,
        }
        #[derive(Deserialize)]
        struct Policy {
            #[serde(default)]
            uri: String,
        }
        let s: Statement = serde_json::from_slice(bytes).map_err(|e| format!("not an in-toto statement: {e}"))?;
        if s.kind != STATEMENT_TYPE {
            return Err(format!("statement type is {:?}, not {STATEMENT_TYPE}", s.kind));
        }
        if s.predicate_type != VSA_TYPE {
            return Err(format!("predicate type is {:?}, not {VSA_TYPE}", s.predicate_type));
        }
        if s.predicate.verification_result != "PASSED" {
            return Err(format!("verificationResult is {:?}", s.predicate.verification_result));
        }
        let [subject] = <[Subject; 1]>::try_from(s.subject).map_err(|_| "a label names exactly one subject")?;
        let sbom_sha256 = subject.digest.get("sha256").cloned().ok_or("the subject has no sha256 digest")?;
        let issued_at = parse_time(&s.predicate.time_verified).ok_or("timeVerified is not an RFC 3339 time")?;
        let valid_until = parse_time(&subject.annotations.valid_until).ok_or("validUntil is not an RFC 3339 time")?;
        Ok(LabelClaim {
            label_id: subject.annotations.label_id,
            subject: subject.name,
            product: subject.annotations.product,
            vendor: subject.annotations.vendor,
            version: subject.annotations.version,
            sbom_sha256,
            levels: s.predicate.verified_levels,
            verifier: s.predicate.verifier.id,
            verifier_name: subject.annotations.verifier_name,
            resource_uri: s.predicate.resource_uri,
            policy_uri: s.predicate.policy.map(|p| p.uri).unwrap_or_default(),
            issued_at,
            valid_until,
        })
    }

    /// Signs the statement into a DSSE envelope.
    pub fn sign(&self, key: &KeyPair) -> Envelope {
        Envelope::sign(PAYLOAD_TYPE, &self.statement(), key)
    }
}

/// The bodies' (and the office's) public keys, as the program office publishes them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustRoot {
    #[serde(rename = "type")]
    pub kind: String,
    pub issuer: String,
    pub issued_at: String,
    pub keys: Vec<TrustKey>,
}

/// One signing key and its life.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustKey {
    pub keyid: String,
    /// `urn:kakehashi:org:{id}`
    pub owner: String,
    pub owner_name: String,
    /// `label` (a body's) or `status` (the office's status lists).
    pub role: String,
    pub algorithm: String,
    /// Base64 of the raw 32-byte ed25519 public key.
    pub public_key: String,
    pub valid_from: String,
    /// No longer signs; what it signed before stays valid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retired_at: Option<String>,
    /// Compromised or withdrawn: nothing it signed is trusted any more.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocation_reason: Option<String>,
}

impl TrustRoot {
    pub fn parse(bytes: &[u8]) -> Result<TrustRoot, String> {
        let r: TrustRoot = serde_json::from_slice(bytes).map_err(|e| format!("not a trust root: {e}"))?;
        if r.kind != TRUST_ROOT_TYPE {
            return Err(format!("trust root type is {:?}, not {TRUST_ROOT_TYPE}", r.kind));
        }
        Ok(r)
    }

    pub fn key(&self, keyid: &str) -> Option<&TrustKey> {
        self.keys.iter().find(|k| k.keyid == keyid)
    }
}

/// Every label's status at one moment, signed by the office.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusList {
    #[serde(rename = "type")]
    pub kind: String,
    pub issuer: String,
    /// Grows with every list issued.
    pub sequence: i64,
    pub issued_at: String,
    /// After this the list is stale: fetch a new one.
    pub next_update: String,
    pub labels: Vec<StatusEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusEntry {
    pub id: i64,
    /// active | suspended | revoked | expired
    pub status: String,
    pub since: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
}

impl StatusList {
    /// Serialises and signs the list.
    pub fn sign(&self, key: &KeyPair) -> Envelope {
        let bytes = serde_json::to_vec(self).expect("a status list serialises");
        Envelope::sign(STATUS_PAYLOAD_TYPE, &bytes, key)
    }
}

/// Unix seconds as RFC 3339 (UTC, whole seconds).
pub fn rfc3339(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".into())
}

/// RFC 3339 to Unix seconds.
pub fn parse_time(s: &str) -> Option<i64> {
    OffsetDateTime::parse(s, &Rfc3339).ok().map(|t| t.unix_timestamp())
}

/// Hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(ring::digest::digest(&ring::digest::SHA256, bytes))
}

#[cfg(test)]
mod tests;
