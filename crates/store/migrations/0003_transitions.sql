-- One transitions history for every lifecycle (the kit's workflow): who moved which subject from
-- which state to which, when and why. The registry's service_events become rows of it.
CREATE TABLE transitions (
    id {ID},
    subject_kind TEXT NOT NULL,
    subject_id BIGINT NOT NULL,
    at BIGINT NOT NULL,
    actor_user_id BIGINT,
    actor_name TEXT NOT NULL,
    action TEXT NOT NULL,
    from_state TEXT,
    to_state TEXT NOT NULL,
    comment TEXT NOT NULL DEFAULT ''
);
CREATE INDEX transitions_subject ON transitions (subject_kind, subject_id, id);
CREATE INDEX transitions_at ON transitions (subject_kind, at);

INSERT INTO transitions (subject_kind, subject_id, at, actor_user_id, actor_name, action, from_state, to_state, comment)
SELECT 'registry.service', service_id, at, actor_user_id, actor_name, action, from_status, to_status, comment
FROM service_events ORDER BY id;

DROP TABLE service_events;
