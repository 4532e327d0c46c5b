-- The life of a record (issue 13): a record can be corrected (its version counts up, each
-- earlier version kept in record_versions without its members' personal data) and withdrawn
-- (it stays, marked, out of reports and overlap checks).
ALTER TABLE records ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE records ADD COLUMN withdrawn_at TEXT;
ALTER TABLE records ADD COLUMN withdrawn_reason TEXT;

-- One row per change of a record: what it was before (aid, place, household, how many
-- members), who changed it, when, and why (the reason sealed like reviewers' notes).
CREATE TABLE record_versions (
    id TEXT PRIMARY KEY NOT NULL,
    record_id TEXT NOT NULL REFERENCES records (id),
    version INTEGER NOT NULL,
    action TEXT NOT NULL,
    at TEXT NOT NULL,
    key_id TEXT,
    reason TEXT,
    household_id TEXT NOT NULL,
    assistance_type TEXT NOT NULL,
    program TEXT,
    amount DOUBLE PRECISION,
    currency TEXT,
    period_start TEXT NOT NULL,
    period_end TEXT NOT NULL,
    governorate TEXT,
    locality TEXT,
    members INTEGER NOT NULL,
    decision TEXT NOT NULL
);
CREATE INDEX record_versions_record ON record_versions (record_id, version);
CREATE INDEX records_agency_created ON records (agency_id, created_at, id);
