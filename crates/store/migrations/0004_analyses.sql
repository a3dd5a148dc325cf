-- Engine analyses of stored files (SBOM scans, capture analyses), run by jobs: one row per
-- (subject, engine), with a summary the pages show.
CREATE TABLE analyses (
    id {ID},
    subject_kind TEXT NOT NULL,
    subject_id BIGINT NOT NULL,
    blob_sha256 TEXT NOT NULL REFERENCES blobs (sha256),
    engine TEXT NOT NULL,
    state TEXT NOT NULL,
    summary TEXT NOT NULL DEFAULT '{}',
    error TEXT,
    created_at BIGINT NOT NULL,
    finished_at BIGINT,
    UNIQUE (subject_kind, subject_id, engine)
);
