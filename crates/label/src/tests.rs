use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::*;

const DAY: i64 = 86_400;
const T0: i64 = 1_780_000_000; // 2026-05-28

struct World {
    body: KeyPair,
    office: KeyPair,
    root: TrustRoot,
}

fn trust_key(k: &KeyPair, owner: &str, role: &str, from: i64) -> TrustKey {
    TrustKey {
        keyid: k.keyid(),
        owner: owner.into(),
        owner_name: format!("{owner} name"),
        role: role.into(),
        algorithm: "ed25519".into(),
        public_key: k.public_key_b64(),
        valid_from: rfc3339(from),
        retired_at: None,
        revoked_at: None,
        revocation_reason: None,
    }
}

fn world() -> World {
    let body = KeyPair::generate().unwrap();
    let office = KeyPair::generate().unwrap();
    let root = TrustRoot {
        kind: TRUST_ROOT_TYPE.into(),
        issuer: "urn:kakehashi:org:1".into(),
        issued_at: rfc3339(T0),
        keys: vec![
            trust_key(&body, "urn:kakehashi:org:7", ROLE_LABEL, T0 - DAY),
            trust_key(&office, "urn:kakehashi:org:1", ROLE_STATUS, T0 - DAY),
        ],
    };
    World { body, office, root }
}

fn claim() -> LabelClaim {
    LabelClaim {
        label_id: 42,
        subject: "urn:kakehashi:product:3:version:2.1.0".into(),
        product: "スマートカメラ X".into(),
        vendor: "Vendor KK".into(),
        version: "2.1.0".into(),
        sbom_sha256: sha256_hex(b"the sbom"),
        levels: vec!["JC-STAR-STAR1".into()],
        verifier: "urn:kakehashi:org:7".into(),
        verifier_name: "Lab".into(),
        resource_uri: "https://kakehashi.example/products/3".into(),
        policy_uri: "https://kakehashi.example/checklists/jc-star-1".into(),
        issued_at: T0,
        valid_until: T0 + 730 * DAY,
    }
}

fn status(w: &World, issued: i64, entries: &[(i64, &str)]) -> Vec<u8> {
    let list = StatusList {
        kind: STATUS_LIST_TYPE.into(),
        issuer: "urn:kakehashi:org:1".into(),
        sequence: 1,
        issued_at: rfc3339(issued),
        next_update: rfc3339(issued + 7 * DAY),
        labels: entries
            .iter()
            .map(|(id, s)| StatusEntry {
                id: *id,
                status: s.to_string(),
                since: rfc3339(issued),
                reason: String::new(),
            })
            .collect(),
    };
    list.sign(&w.office).to_json().into_bytes()
}

#[test]
fn pae_matches_the_dsse_specification() {
    assert_eq!(
        pae("http://example.com/HelloWorld", b"hello world"),
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
    );
}

#[test]
fn a_signed_label_verifies_and_reads_back() {
    let w = world();
    let label = claim().sign(&w.body).to_json();
    let list = status(&w, T0 + DAY, &[(42, "active")]);
    let v = verify_label(label.as_bytes(), &w.root, Some(&list), Some(b"the sbom"), T0 + 2 * DAY).unwrap();
    assert_eq!(v.claim, claim());
    assert_eq!(v.keyid, w.body.keyid());
    assert_eq!(v.status.unwrap().status, "active");
    let env = Envelope::parse(label.as_bytes()).unwrap();
    assert_eq!(env.payload_type, "application/vnd.in-toto+json");
    let statement: serde_json::Value = serde_json::from_slice(&env.payload_bytes().unwrap()).unwrap();
    assert_eq!(statement["predicateType"], VSA_TYPE);
    assert_eq!(statement["predicate"]["verificationResult"], "PASSED");
    assert_eq!(statement["subject"][0]["digest"]["sha256"], sha256_hex(b"the sbom"));
}

#[test]
fn a_changed_byte_breaks_the_signature() {
    let w = world();
    let env = claim().sign(&w.body);
    let mut payload = env.payload_bytes().unwrap();
    let at = payload.windows(5).position(|x| x == b"2.1.0").unwrap();
    payload[at] = b'3';
    let mut changed = env.clone();
    changed.payload = STANDARD.encode(&payload);
    let err = verify_label(changed.to_json().as_bytes(), &w.root, None, None, T0).unwrap_err();
    assert!(matches!(err, Failure::BadSignature { .. }), "{err}");
    assert_eq!(err.exit_code(), 3);
    // any single byte of the JSON: never accepted
    let json = env.to_json().into_bytes();
    for i in (0..json.len()).step_by(7) {
        let mut j = json.clone();
        j[i] ^= 0x01;
        assert!(verify_label(&j, &w.root, None, None, T0).is_err(), "byte {i} changed and still valid");
    }
}

#[test]
fn unknown_retired_and_revoked_keys() {
    let mut w = world();
    let stranger = KeyPair::generate().unwrap();
    let err = verify_label(claim().sign(&stranger).to_json().as_bytes(), &w.root, None, None, T0).unwrap_err();
    assert!(matches!(err, Failure::UnknownKey { .. }));
    assert_eq!(err.exit_code(), 4);

    // signed while the key was current: still valid after it is retired
    let label = claim().sign(&w.body).to_json();
    w.root.keys[0].retired_at = Some(rfc3339(T0 + DAY));
    verify_label(label.as_bytes(), &w.root, None, None, T0 + 2 * DAY).unwrap();
    // signed (it says) after the key was retired
    let mut late = claim();
    late.issued_at = T0 + 3 * DAY;
    let err = verify_label(late.sign(&w.body).to_json().as_bytes(), &w.root, None, None, T0 + 4 * DAY).unwrap_err();
    assert!(matches!(err, Failure::KeyRetired { .. }), "{err}");
    assert_eq!(err.exit_code(), 5);

    // valid when it signed, revoked since: says when
    w.root.keys[0].revoked_at = Some(rfc3339(T0 + 5 * DAY));
    w.root.keys[0].revocation_reason = Some("key compromised".into());
    let err = verify_label(label.as_bytes(), &w.root, None, None, T0 + 6 * DAY).unwrap_err();
    assert!(matches!(err, Failure::KeyRevoked { .. }));
    assert!(err.to_string().contains(&rfc3339(T0 + 5 * DAY)), "{err}");
    assert!(err.to_string().contains("key compromised"), "{err}");
}

#[test]
fn a_key_only_signs_for_its_owner_and_role() {
    let w = world();
    // the office's status key cannot sign a label
    let err = verify_label(claim().sign(&w.office).to_json().as_bytes(), &w.root, None, None, T0).unwrap_err();
    assert!(matches!(err, Failure::WrongRole { .. }), "{err}");
    // a body's key cannot sign another body's label
    let mut other = claim();
    other.verifier = "urn:kakehashi:org:8".into();
    let err = verify_label(other.sign(&w.body).to_json().as_bytes(), &w.root, None, None, T0).unwrap_err();
    assert!(matches!(err, Failure::WrongVerifier { .. }), "{err}");
    // a label signed before the key existed
    let mut early = claim();
    early.issued_at = T0 - 2 * DAY;
    let err = verify_label(early.sign(&w.body).to_json().as_bytes(), &w.root, None, None, T0).unwrap_err();
    assert!(matches!(err, Failure::KeyNotYetValid { .. }), "{err}");
}

#[test]
fn another_sbom_and_expiry() {
    let w = world();
    let label = claim().sign(&w.body).to_json();
    let err = verify_label(label.as_bytes(), &w.root, None, Some(b"another sbom"), T0).unwrap_err();
    assert!(matches!(err, Failure::SbomMismatch { .. }));
    assert_eq!(err.exit_code(), 6);
    let err = verify_label(label.as_bytes(), &w.root, None, None, T0 + 731 * DAY).unwrap_err();
    assert!(matches!(err, Failure::Expired { .. }));
    assert_eq!(err.exit_code(), 7);
}

#[test]
fn status_lists_old_replayed_and_not_active() {
    let w = world();
    let label = claim().sign(&w.body).to_json();
    let check = |list: &[u8], now: i64| verify_label(label.as_bytes(), &w.root, Some(list), None, now);
    for s in ["suspended", "revoked", "expired"] {
        let err = check(&status(&w, T0 + DAY, &[(42, s)]), T0 + DAY).unwrap_err();
        assert!(matches!(&err, Failure::NotActive { status, .. } if status == s), "{err}");
        assert_eq!(err.exit_code(), 7);
    }
    // a list issued before the label was signed
    let err = check(&status(&w, T0 - 60, &[(41, "active")]), T0 + 60).unwrap_err();
    assert!(matches!(err, Failure::StatusOlderThanLabel { .. }), "{err}");
    // an old list replayed after its next update
    let err = check(&status(&w, T0 + DAY, &[(42, "active")]), T0 + 9 * DAY).unwrap_err();
    assert!(matches!(err, Failure::StatusStale { .. }), "{err}");
    assert_eq!(err.exit_code(), 8);
    let err = check(&status(&w, T0 + DAY, &[(41, "active")]), T0 + DAY).unwrap_err();
    assert!(matches!(err, Failure::NotInStatusList { id: 42 }));
    // a list signed by a body's key, or changed
    let forged = StatusList {
        kind: STATUS_LIST_TYPE.into(),
        issuer: "x".into(),
        sequence: 9,
        issued_at: rfc3339(T0 + DAY),
        next_update: rfc3339(T0 + 8 * DAY),
        labels: vec![StatusEntry { id: 42, status: "active".into(), since: rfc3339(T0), reason: String::new() }],
    }
    .sign(&w.body)
    .to_json();
    let err = check(forged.as_bytes(), T0 + DAY).unwrap_err();
    assert!(matches!(err, Failure::StatusInvalid(_)), "{err}");
    let mut env = Envelope::parse(&status(&w, T0 + DAY, &[(42, "suspended")])).unwrap();
    let text = String::from_utf8(env.payload_bytes().unwrap()).unwrap().replace("suspended", "active");
    env.payload = STANDARD.encode(text);
    let err = check(env.to_json().as_bytes(), T0 + DAY).unwrap_err();
    assert!(matches!(err, Failure::StatusInvalid(_)), "{err}");
    // a status key of someone other than the trust root's issuer
    let mut other = world();
    other.root.keys[1].owner = "urn:kakehashi:org:99".into();
    let list = status(&other, T0 + DAY, &[(42, "active")]);
    let label = claim().sign(&other.body).to_json();
    let err = verify_label(label.as_bytes(), &other.root, Some(&list), None, T0 + DAY).unwrap_err();
    assert!(matches!(err, Failure::StatusInvalid(_)), "{err}");
}

#[test]
fn sealed_keys_open_only_with_their_secret_and_id() {
    let k = KeyPair::generate().unwrap();
    let s = Sealer::from_secret("a secret of at least thirty-two characters");
    let sealed = s.seal(k.pkcs8(), &k.keyid()).unwrap();
    assert!(!sealed.contains(&STANDARD.encode(k.pkcs8())));
    let back = s.open_pair(&sealed, &k.keyid()).unwrap();
    assert_eq!(back.public_key(), k.public_key());
    assert_eq!(Sealer::from_secret("another secret").open(&sealed, &k.keyid()), Err(KeyError::Unseal));
    assert_eq!(s.open(&sealed, "another id").err(), Some(KeyError::Unseal));
    let mut raw = STANDARD.decode(&sealed).unwrap();
    raw[20] ^= 1;
    assert_eq!(s.open(&STANDARD.encode(raw), &k.keyid()).err(), Some(KeyError::Unseal));
}
