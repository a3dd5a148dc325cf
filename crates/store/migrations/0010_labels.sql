-- Verification labels: the signing keys of bodies and of the program office (private keys sealed
-- with a key from the configuration), the labels issued on a pass (the signed DSSE envelope as
-- issued, and the current status), the signed status list (one row, regenerated on every change),
-- advisories the office marks as known exploited, checklists loaded by the office, and each
-- case's checklist verdicts.
CREATE TABLE signing_keys (
    id {ID},
    org_id BIGINT NOT NULL REFERENCES organizations (id),
    role TEXT NOT NULL,
    keyid TEXT NOT NULL UNIQUE,
    public_key TEXT NOT NULL,
    sealed_private TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    retired_at BIGINT,
    revoked_at BIGINT,
    revocation_reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX signing_keys_org ON signing_keys (org_id, role, state);
-- one key signs for an organisation and role at a time
CREATE UNIQUE INDEX signing_keys_active ON signing_keys (org_id, role) WHERE state = 'active';

CREATE TABLE labels (
    id {ID},
    case_id BIGINT NOT NULL UNIQUE REFERENCES cases (id),
    product_id BIGINT NOT NULL REFERENCES products (id),
    version_id BIGINT REFERENCES product_versions (id),
    vendor_org_id BIGINT NOT NULL REFERENCES organizations (id),
    body_org_id BIGINT NOT NULL REFERENCES organizations (id),
    levels TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    envelope TEXT NOT NULL DEFAULT '',
    sbom_sha256 TEXT NOT NULL DEFAULT '',
    keyid TEXT NOT NULL DEFAULT '',
    issued_at BIGINT NOT NULL,
    valid_until BIGINT NOT NULL,
    status_at BIGINT NOT NULL
);
CREATE INDEX labels_status ON labels (status, id);
CREATE INDEX labels_product ON labels (product_id);

CREATE TABLE status_lists (
    id BIGINT PRIMARY KEY,
    sequence BIGINT NOT NULL,
    document TEXT NOT NULL,
    issued_at BIGINT NOT NULL
);
-- the one row: re-issuing locks it first, so concurrent changes are serialised
INSERT INTO status_lists (id, sequence, document, issued_at) VALUES (1, 0, '', 0);

CREATE TABLE known_exploited (
    advisory_id TEXT PRIMARY KEY,
    marked_by TEXT NOT NULL,
    marked_at BIGINT NOT NULL
);

CREATE TABLE checklists (
    id {ID},
    scheme TEXT NOT NULL,
    version TEXT NOT NULL,
    source TEXT NOT NULL,
    loaded_by TEXT NOT NULL,
    loaded_at BIGINT NOT NULL,
    UNIQUE (scheme, version)
);

ALTER TABLE cases ADD COLUMN checklist TEXT NOT NULL DEFAULT '';
CREATE TABLE case_verdicts (
    case_id BIGINT NOT NULL REFERENCES cases (id),
    item TEXT NOT NULL,
    verdict TEXT NOT NULL,
    auto_verdict TEXT NOT NULL DEFAULT '',
    auto_reason TEXT NOT NULL DEFAULT '',
    evidence TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    overridden BIGINT NOT NULL DEFAULT 0,
    updated_by TEXT NOT NULL DEFAULT '',
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (case_id, item)
);
