-- Failed-login counts per key ('email:…', 'ip:…'), read and updated under a row lock in one
-- transaction so parallel attempts cannot all read the same count.
CREATE TABLE login_throttle (
    key TEXT PRIMARY KEY,
    failures BIGINT NOT NULL DEFAULT 0,
    first_at BIGINT NOT NULL DEFAULT 0,
    blocked_until BIGINT NOT NULL DEFAULT 0
);
