-- Expert reviews of products (candid; the vendor may reply once; a dispute goes to the program
-- office, which may hide a review with a public reason), and the products' sub-categories for the
-- product map (国産製品マップ).
CREATE TABLE reviews (
    id {ID},
    product_id BIGINT NOT NULL REFERENCES products (id),
    expert_user_id BIGINT NOT NULL,
    expert_name TEXT NOT NULL,
    expert_org_id BIGINT NOT NULL REFERENCES organizations (id),
    version TEXT NOT NULL DEFAULT '',
    title TEXT NOT NULL,
    strengths TEXT NOT NULL DEFAULT '',
    weaknesses TEXT NOT NULL DEFAULT '',
    protection BIGINT NOT NULL,
    performance BIGINT NOT NULL,
    usability BIGINT NOT NULL,
    reply TEXT NOT NULL DEFAULT '',
    reply_by TEXT NOT NULL DEFAULT '',
    reply_at BIGINT,
    dispute TEXT NOT NULL DEFAULT '',
    dispute_at BIGINT,
    hidden_reason TEXT NOT NULL DEFAULT '',
    hidden_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX reviews_product ON reviews (product_id, id);

ALTER TABLE products ADD COLUMN subcategory TEXT NOT NULL DEFAULT '';
