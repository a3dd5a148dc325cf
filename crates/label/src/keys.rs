//! Signing keys: ed25519 key pairs (PKCS#8), their ids, and private keys sealed at rest.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{Ed25519KeyPair, KeyPair as _};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    #[error("the system random source failed")]
    Random,
    #[error("not an ed25519 PKCS#8 key")]
    BadKey,
    #[error("the sealed key cannot be opened: wrong secret, or the stored key was altered")]
    Unseal,
}

/// An ed25519 key pair.
pub struct KeyPair {
    pkcs8: Vec<u8>,
    pair: Ed25519KeyPair,
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeyPair({})", self.keyid())
    }
}

impl KeyPair {
    pub fn generate() -> Result<KeyPair, KeyError> {
        let doc = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).map_err(|_| KeyError::Random)?;
        KeyPair::from_pkcs8(doc.as_ref())
    }

    pub fn from_pkcs8(pkcs8: &[u8]) -> Result<KeyPair, KeyError> {
        let pair = Ed25519KeyPair::from_pkcs8(pkcs8).map_err(|_| KeyError::BadKey)?;
        Ok(KeyPair { pkcs8: pkcs8.to_vec(), pair })
    }

    /// The raw 32-byte public key.
    pub fn public_key(&self) -> &[u8] {
        self.pair.public_key().as_ref()
    }

    pub fn public_key_b64(&self) -> String {
        STANDARD.encode(self.public_key())
    }

    pub fn keyid(&self) -> String {
        keyid_of(self.public_key())
    }

    pub fn sign(&self, msg: &[u8]) -> Vec<u8> {
        self.pair.sign(msg).as_ref().to_vec()
    }

    pub fn pkcs8(&self) -> &[u8] {
        &self.pkcs8
    }
}

/// A key's id: the first 16 bytes of the SHA-256 of its raw public key, in hex.
pub fn keyid_of(public: &[u8]) -> String {
    hex::encode(&ring::digest::digest(&ring::digest::SHA256, public).as_ref()[..16])
}

/// Seals private keys at rest with AES-256-GCM under a key derived from a configured secret with
/// HKDF-SHA256; the key id is the associated data, so a sealed key moved to another row does not
/// open.
pub struct Sealer {
    key: LessSafeKey,
}

impl Sealer {
    pub fn from_secret(secret: &str) -> Sealer {
        let prk = ring::hkdf::Salt::new(ring::hkdf::HKDF_SHA256, b"kakehashi label keys v1").extract(secret.as_bytes());
        let okm = prk
            .expand(&[b"aes-256-gcm sealed signing keys"], &AES_256_GCM)
            .expect("an AES-256 key is a valid HKDF length");
        Sealer { key: LessSafeKey::new(UnboundKey::from(okm)) }
    }

    /// Base64 of nonce ‖ ciphertext ‖ tag.
    pub fn seal(&self, plain: &[u8], keyid: &str) -> Result<String, KeyError> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new().fill(&mut nonce).map_err(|_| KeyError::Random)?;
        let mut buf = plain.to_vec();
        self.key
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(keyid.as_bytes()), &mut buf)
            .map_err(|_| KeyError::Random)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&buf);
        Ok(STANDARD.encode(out))
    }

    pub fn open(&self, sealed: &str, keyid: &str) -> Result<Vec<u8>, KeyError> {
        let raw = STANDARD.decode(sealed).map_err(|_| KeyError::Unseal)?;
        if raw.len() < NONCE_LEN + 16 {
            return Err(KeyError::Unseal);
        }
        let (nonce, rest) = raw.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| KeyError::Unseal)?;
        let mut buf = rest.to_vec();
        let plain =
            self.key.open_in_place(nonce, Aad::from(keyid.as_bytes()), &mut buf).map_err(|_| KeyError::Unseal)?;
        Ok(plain.to_vec())
    }

    /// Opens a sealed PKCS#8 key pair and checks it is the key `keyid` names.
    pub fn open_pair(&self, sealed: &str, keyid: &str) -> Result<KeyPair, KeyError> {
        let pair = KeyPair::from_pkcs8(&self.open(sealed, keyid)?)?;
        if pair.keyid() != keyid {
            return Err(KeyError::Unseal);
        }
        Ok(pair)
    }
}
