-- The platform kit: job queue, notification delivery (e-mail, webhooks), per-user preferences.
-- Job times are in milliseconds since the epoch (pick-up latency is measured in ms).
CREATE TABLE jobs (
    id {ID},
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    priority BIGINT NOT NULL DEFAULT 0,
    state TEXT NOT NULL DEFAULT 'queued',
    run_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL,
    lease_until BIGINT,
    lease_token TEXT,
    idempotency_key TEXT UNIQUE,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    started_at BIGINT,
    finished_at BIGINT
);
-- The claim walks this partial index in order and stops at the first due job. No other index
-- may start with `state`: SQLite would pick it and sort every ready job for each claim.
CREATE INDEX jobs_ready ON jobs (priority DESC, run_at, id) WHERE state IN ('queued', 'failed');
CREATE INDEX jobs_leases ON jobs (lease_until) WHERE state = 'running';

ALTER TABLE users ADD COLUMN lang TEXT NOT NULL DEFAULT 'ja';

ALTER TABLE outbox ADD COLUMN org_id BIGINT;
ALTER TABLE outbox ADD COLUMN kind TEXT NOT NULL DEFAULT '';
-- Rows written before delivery existed name no recipients and were shown in the app already:
-- they are closed rather than mailed out late.
UPDATE outbox SET sent_at = created_at WHERE sent_at IS NULL;

CREATE TABLE notification_prefs (
    user_id BIGINT NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL,
    email BIGINT NOT NULL,
    PRIMARY KEY (user_id, kind)
);

CREATE TABLE webhooks (
    id {ID},
    org_id BIGINT NOT NULL REFERENCES organizations (id),
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    enabled BIGINT NOT NULL DEFAULT 1,
    consecutive_failures BIGINT NOT NULL DEFAULT 0,
    disabled_reason TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX webhooks_org ON webhooks (org_id);

CREATE TABLE deliveries (
    id {ID},
    outbox_id BIGINT NOT NULL REFERENCES outbox (id),
    channel TEXT NOT NULL,
    target BIGINT NOT NULL,
    org_id BIGINT NOT NULL,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    status_code BIGINT,
    last_error TEXT,
    updated_at BIGINT NOT NULL,
    UNIQUE (outbox_id, channel, target)
);
CREATE INDEX deliveries_org ON deliveries (org_id, id);
