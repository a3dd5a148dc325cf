-- Accounts the office manages: one-time links that set a password (a reset asked for by e-mail,
-- or an invitation from the office), and an index for the audit trail's date filter.
CREATE TABLE password_links (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    purpose TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX password_links_user ON password_links (user_id);
CREATE INDEX audit_log_at ON audit_log (at);
