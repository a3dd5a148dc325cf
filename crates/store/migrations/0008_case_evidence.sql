-- Evidence files of verification cases (SBOMs, lockfiles, captures, documents), what the capture
-- analyser found in them, and blobs kept as files outside the database (captures up to 2 GiB are
-- streamed to the file store; the row here only names them by their content hash).
ALTER TABLE blobs ADD COLUMN external BIGINT NOT NULL DEFAULT 0;

CREATE TABLE case_evidence (
    id {ID},
    case_id BIGINT NOT NULL REFERENCES cases (id),
    kind TEXT NOT NULL,
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL DEFAULT '',
    sha256 TEXT NOT NULL REFERENCES blobs (sha256),
    size BIGINT NOT NULL,
    devices TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    analysis_id BIGINT,
    report_sha256 TEXT,
    uploaded_by BIGINT,
    uploaded_at BIGINT NOT NULL
);
CREATE INDEX case_evidence_case ON case_evidence (case_id);

CREATE TABLE capture_findings (
    id {ID},
    case_id BIGINT NOT NULL REFERENCES cases (id),
    evidence_id BIGINT NOT NULL REFERENCES case_evidence (id),
    kind TEXT NOT NULL,
    protocol TEXT NOT NULL,
    severity TEXT NOT NULL,
    src TEXT NOT NULL,
    dst TEXT NOT NULL,
    packets TEXT NOT NULL,
    first_seen_ms BIGINT NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX capture_findings_evidence ON capture_findings (evidence_id);

-- A verification body's application to be trusted (its answers to the program's criteria) and the
-- program office's review of it (one verdict and note per criterion), both JSON.
ALTER TABLE verification_bodies ADD COLUMN application TEXT NOT NULL DEFAULT '{}';
ALTER TABLE verification_bodies ADD COLUMN review TEXT NOT NULL DEFAULT '{}';

-- The kit's discussion threads: notes on any subject (a trial's observations, a vendor's response
-- to a finding and the tester's reply), each by a person of an organisation.
CREATE TABLE notes (
    id {ID},
    subject_kind TEXT NOT NULL,
    subject_id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    org_id BIGINT,
    org_name TEXT NOT NULL DEFAULT '',
    user_id BIGINT,
    author_name TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX notes_subject ON notes (subject_kind, subject_id, id);

-- Consents recorded on a case (a trial's host organisation consents to publishing its track
-- record), JSON; and the case evidence a tester's finding points to.
ALTER TABLE cases ADD COLUMN consents TEXT NOT NULL DEFAULT '{}';
ALTER TABLE findings ADD COLUMN evidence TEXT NOT NULL DEFAULT '';
