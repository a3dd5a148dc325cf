-- The verification platform (検証基盤): products, their versions, the files uploaded to a
-- version (SBOMs, lockfiles, captures, VEX documents, reports), the components an SBOM lists
-- (for re-matching after advisory imports) and the findings recorded against a version.
CREATE TABLE products (
    id {ID},
    vendor_org_id BIGINT NOT NULL REFERENCES organizations (id),
    name TEXT NOT NULL,
    name_en TEXT NOT NULL DEFAULT '',
    model TEXT NOT NULL DEFAULT '',
    category TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    claims TEXT NOT NULL DEFAULT '[]',
    support_end TEXT,
    vuln_contact TEXT NOT NULL DEFAULT '',
    public BIGINT NOT NULL DEFAULT 0,
    search_text TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX products_vendor ON products (vendor_org_id);
CREATE INDEX products_public ON products (public, category, id);

CREATE TABLE product_versions (
    id {ID},
    product_id BIGINT NOT NULL REFERENCES products (id),
    version TEXT NOT NULL,
    public BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    UNIQUE (product_id, version)
);

CREATE TABLE product_files (
    id {ID},
    product_version_id BIGINT NOT NULL REFERENCES product_versions (id),
    kind TEXT NOT NULL,
    filename TEXT NOT NULL,
    sha256 TEXT NOT NULL REFERENCES blobs (sha256),
    size BIGINT NOT NULL,
    uploaded_at BIGINT NOT NULL,
    uploaded_by BIGINT
);
CREATE INDEX product_files_version ON product_files (product_version_id);

-- The components of a version's latest scanned SBOM. `name` is as advisories spell it (the
-- source package for distributions), so an import's package names find the versions to re-match.
CREATE TABLE product_components (
    product_version_id BIGINT NOT NULL REFERENCES product_versions (id),
    ecosystem TEXT NOT NULL,
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    purl TEXT
);
CREATE INDEX product_components_version ON product_components (product_version_id);
CREATE INDEX product_components_name ON product_components (name);

CREATE TABLE findings (
    id {ID},
    product_version_id BIGINT NOT NULL REFERENCES product_versions (id),
    source TEXT NOT NULL,
    advisory_id TEXT NOT NULL,
    aliases TEXT NOT NULL DEFAULT '',
    component TEXT NOT NULL,
    component_name TEXT NOT NULL,
    component_version TEXT NOT NULL,
    ecosystem TEXT NOT NULL DEFAULT '',
    fixed TEXT NOT NULL DEFAULT '',
    severity TEXT NOT NULL,
    score TEXT,
    summary TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL,
    justification TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT '',
    response TEXT NOT NULL DEFAULT '',
    resolved_in TEXT NOT NULL DEFAULT '',
    file_id BIGINT,
    -- a tester's finding: the case it was found in, its CVSS vector, what it is and how to reproduce it
    case_id BIGINT,
    vector TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    reproduction TEXT NOT NULL DEFAULT '',
    first_seen BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (product_version_id, advisory_id, component)
);
CREATE INDEX findings_version_state ON findings (product_version_id, state, severity);
