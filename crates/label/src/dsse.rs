//! The DSSE envelope: a payload, its type, and signatures over the pre-authentication encoding
//! (PAE) of both, so that a signature can never be read as one over another type of payload.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use crate::KeyPair;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    #[serde(rename = "payloadType")]
    pub payload_type: String,
    /// Base64 (standard alphabet).
    pub payload: String,
    pub signatures: Vec<Signature>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    #[serde(default)]
    pub keyid: String,
    /// Base64 of the 64-byte ed25519 signature.
    pub sig: String,
}

/// `DSSEv1 SP LEN(type) SP type SP LEN(body) SP body`, lengths as ASCII decimal.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + payload_type.len() + 32);
    out.extend_from_slice(b"DSSEv1 ");
    out.extend_from_slice(payload_type.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload_type.as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload.len().to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(payload);
    out
}

impl Envelope {
    pub fn sign(payload_type: &str, payload: &[u8], key: &KeyPair) -> Envelope {
        let sig = key.sign(&pae(payload_type, payload));
        Envelope {
            payload_type: payload_type.to_string(),
            payload: STANDARD.encode(payload),
            signatures: vec![Signature { keyid: key.keyid(), sig: STANDARD.encode(sig) }],
        }
    }

    pub fn parse(bytes: &[u8]) -> Result<Envelope, String> {
        serde_json::from_slice(bytes).map_err(|e| format!("not a DSSE envelope: {e}"))
    }

    pub fn payload_bytes(&self) -> Result<Vec<u8>, String> {
        STANDARD.decode(self.payload.trim()).map_err(|e| format!("the payload is not base64: {e}"))
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("an envelope serialises")
    }
}

/// Whether `sig` (base64) is `public`'s ed25519 signature over the envelope's PAE.
pub(crate) fn signature_holds(public: &[u8], payload_type: &str, payload: &[u8], sig: &str) -> bool {
    let Ok(sig) = STANDARD.decode(sig.trim()) else { return false };
    ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, public)
        .verify(&pae(payload_type, payload), &sig)
        .is_ok()
}
