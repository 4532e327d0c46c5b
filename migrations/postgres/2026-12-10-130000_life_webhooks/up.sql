-- Telling agencies (issue 13): webhooks, and a durable outbox of their alerts. An alert is a
-- flag raised by a later record of another agency against the agency's record; the
-- dispatcher copies each new one into webhook_outbox (the webhook's watermark,
-- enqueued_through, moves in the same transaction), delivers them in order, one at a time,
-- and keeps every attempt in webhook_deliveries. A restart picks up where it stopped.
CREATE TABLE webhooks (
    id TEXT PRIMARY KEY NOT NULL,
    agency_id TEXT NOT NULL REFERENCES agencies (id),
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    created_at TEXT NOT NULL,
    enqueued_through TEXT NOT NULL
);
CREATE INDEX webhooks_agency ON webhooks (agency_id);

CREATE TABLE webhook_outbox (
    id TEXT PRIMARY KEY NOT NULL,
    webhook_id TEXT NOT NULL REFERENCES webhooks (id),
    flag_id TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at TEXT NOT NULL,
    delivered_at TEXT
);
CREATE INDEX webhook_outbox_pending ON webhook_outbox (webhook_id, delivered_at, id);

CREATE TABLE webhook_deliveries (
    id TEXT PRIMARY KEY NOT NULL,
    webhook_id TEXT NOT NULL REFERENCES webhooks (id),
    outbox_id TEXT NOT NULL,
    flag_id TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    at TEXT NOT NULL,
    status_code INTEGER,
    error TEXT,
    delivered INTEGER NOT NULL
);
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, id);
CREATE INDEX flags_matched_agency ON flags (matched_agency_id, kind, id);
