-- Verification bodies (検証機関) trusted by the program office, and verification cases (検証案件).
CREATE TABLE verification_bodies (
    org_id BIGINT PRIMARY KEY REFERENCES organizations (id),
    state TEXT NOT NULL,
    kinds TEXT NOT NULL DEFAULT '',
    categories TEXT NOT NULL DEFAULT '',
    summary TEXT NOT NULL DEFAULT '',
    valid_until BIGINT,
    updated_at BIGINT NOT NULL
);

CREATE TABLE cases (
    id {ID},
    product_id BIGINT NOT NULL REFERENCES products (id),
    version_id BIGINT REFERENCES product_versions (id),
    body_org_id BIGINT NOT NULL REFERENCES organizations (id),
    kind TEXT NOT NULL,
    state TEXT NOT NULL,
    title TEXT NOT NULL,
    request_note TEXT NOT NULL DEFAULT '',
    plan TEXT NOT NULL DEFAULT '{}',
    decision TEXT,
    decision_reason TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX cases_body ON cases (body_org_id, state);
CREATE INDEX cases_product ON cases (product_id);

-- Priority for white-hat verification (deck: 検証対象の優先順位): a product's four attributes
-- (JSON, set by the program office) and the office's weights (one row).
ALTER TABLE products ADD COLUMN priority TEXT NOT NULL DEFAULT '{}';
CREATE TABLE priority_weights (
    id BIGINT PRIMARY KEY,
    weights TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
