-- Placeholders filled per dialect by the migration runner: {ID} (auto-increment primary key), {BLOB}.
CREATE TABLE counters (
    name TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);

CREATE TABLE organizations (
    id {ID},
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    name_en TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE INDEX organizations_kind ON organizations (kind);

CREATE TABLE users (
    id {ID},
    email TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    is_operator BIGINT NOT NULL DEFAULT 0,
    disabled BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

CREATE TABLE memberships (
    user_id BIGINT NOT NULL REFERENCES users (id),
    org_id BIGINT NOT NULL REFERENCES organizations (id),
    role TEXT NOT NULL,
    PRIMARY KEY (user_id, org_id)
);

CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    csrf TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE api_tokens (
    id {ID},
    user_id BIGINT NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    scopes TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);

CREATE TABLE login_failures (
    id {ID},
    key TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX login_failures_key ON login_failures (key, at);

CREATE TABLE audit_head (
    id BIGINT PRIMARY KEY,
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    summary TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);

CREATE TABLE blobs (
    sha256 TEXT PRIMARY KEY,
    size BIGINT NOT NULL,
    data {BLOB} NOT NULL
);

CREATE TABLE notifications (
    id {ID},
    org_id BIGINT NOT NULL REFERENCES organizations (id),
    kind TEXT NOT NULL,
    subject_ja TEXT NOT NULL,
    subject_en TEXT NOT NULL,
    link TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    read_at BIGINT
);
CREATE INDEX notifications_org ON notifications (org_id, created_at);

CREATE TABLE outbox (
    id {ID},
    channel TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    sent_at BIGINT
);

CREATE TABLE services (
    id {ID},
    provider_org_id BIGINT NOT NULL REFERENCES organizations (id),
    body_org_id BIGINT NOT NULL REFERENCES organizations (id),
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    category TEXT NOT NULL,
    subcategory TEXT,
    status TEXT NOT NULL,
    application TEXT NOT NULL,
    pending_change TEXT,
    search_text TEXT NOT NULL,
    regions TEXT NOT NULL DEFAULT '',
    industries TEXT NOT NULL DEFAULT '',
    ledger_number TEXT UNIQUE,
    listed_at BIGINT,
    valid_until BIGINT,
    reminders_sent TEXT NOT NULL DEFAULT '',
    version BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (provider_org_id, name_key)
);
CREATE INDEX services_status ON services (status, category);
CREATE INDEX services_body ON services (body_org_id, status);
CREATE INDEX services_valid ON services (valid_until);

CREATE TABLE service_events (
    id {ID},
    service_id BIGINT NOT NULL REFERENCES services (id),
    at BIGINT NOT NULL,
    actor_user_id BIGINT,
    actor_name TEXT NOT NULL,
    action TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT NOT NULL,
    comment TEXT NOT NULL DEFAULT ''
);
CREATE INDEX service_events_service ON service_events (service_id, id);
CREATE INDEX service_events_at ON service_events (at);

CREATE TABLE evidence (
    id {ID},
    service_id BIGINT NOT NULL REFERENCES services (id),
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL REFERENCES blobs (sha256),
    uploaded_at BIGINT NOT NULL,
    uploaded_by BIGINT NOT NULL
);
CREATE INDEX evidence_service ON evidence (service_id);

CREATE TABLE surveillances (
    id {ID},
    service_id BIGINT NOT NULL REFERENCES services (id),
    period TEXT NOT NULL,
    notice TEXT NOT NULL,
    noticed_at BIGINT NOT NULL,
    outcome TEXT,
    outcome_note TEXT NOT NULL DEFAULT '',
    completed_at BIGINT
);
CREATE INDEX surveillances_service ON surveillances (service_id);
