-- The review desk (issue 15): a review batch is one reviewer's decision on one or more flags,
-- kept so it can be undone. `body` holds what the batch did (JSON of ids only, no personal
-- data): per flag its review, the merge it made (the records it moved and the households it
-- redirected) or the pair it kept apart, and the flags the merge raised. `undone_at` is set
-- when the batch was reversed.
CREATE TABLE review_batches (
    id TEXT PRIMARY KEY NOT NULL,
    agency_id TEXT,
    key_id TEXT,
    role TEXT NOT NULL,
    decision TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    undone_at TEXT
);
CREATE INDEX review_batches_created ON review_batches (created_at);

-- A blind spot check: an automatic link (a record that joined a household at intake, band
-- certain or probable as the matcher scores it when drawn) shown to a reviewer without its
-- score; `answer` is `same` or `different` once given. Answers feed the per-band precision.
CREATE TABLE spot_checks (
    id TEXT PRIMARY KEY NOT NULL,
    record_id TEXT NOT NULL,
    household_id TEXT NOT NULL,
    band TEXT NOT NULL,
    score DOUBLE PRECISION NOT NULL,
    drawn_at TEXT NOT NULL,
    drawn_by TEXT,
    answer TEXT,
    answered_at TEXT,
    answered_by TEXT
);
CREATE INDEX spot_checks_band ON spot_checks (band, answer);
