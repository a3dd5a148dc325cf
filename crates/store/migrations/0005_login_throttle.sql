-- Failed-login counts per key ('email:…', 'ip:…'), read and updated under a row lock in one
-- transaction so parallel attempts cannot all read the same count.
CREATE TABLE login_throttle (
    key TEXT PRIMARY KEY,
    failures BIGINT NOT NULL DEFAULT 0,
    first_at BIGINT NOT NULL DEFAULT 0,
    blocked_until BIGINT NOT NULL DEFAULT 0
);

-- Provider sign-ups waiting for their e-mail address to be confirmed (the link in the mail holds
-- the token; only its hash is stored).
CREATE TABLE signup_requests (
    token_hash TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    org_name TEXT NOT NULL,
    org_name_en TEXT NOT NULL,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
