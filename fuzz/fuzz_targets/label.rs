//! Label verification on untrusted bytes: the DSSE envelope, the status list and the statement
//! reader never panic, whatever they are given.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let root = label::TrustRoot {
        kind: label::TRUST_ROOT_TYPE.into(),
        issuer: "urn:kakehashi:org:1".into(),
        issued_at: "2026-01-01T00:00:00Z".into(),
        keys: vec![label::TrustKey {
            keyid: "00112233445566778899aabbccddeeff".into(),
            owner: "urn:kakehashi:org:7".into(),
            owner_name: "fuzz".into(),
            role: label::ROLE_LABEL.into(),
            algorithm: "ed25519".into(),
            public_key: "a/O8oe/X34VzRjPk9zMyVLnHL9ExpEFAHvf8wwg7SZM=".into(),
            valid_from: "2026-01-01T00:00:00Z".into(),
            retired_at: None,
            revoked_at: None,
            revocation_reason: None,
        }],
    };
    let _ = label::verify_label(data, &root, Some(data), Some(data), 1_800_000_000);
    let _ = label::open_status_list(data, &root, 1_800_000_000);
    let _ = label::LabelClaim::from_statement(data);
    let _ = label::TrustRoot::parse(data);
});
