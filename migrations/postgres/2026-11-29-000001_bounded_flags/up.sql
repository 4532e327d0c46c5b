-- Flags grow linearly: one flag per (record, matched household, kind, agency) stands for every
-- overlapping record of that agency and counts them; the evidence of a match is stored once
-- and shared by the flags it explains.
ALTER TABLE flags ADD COLUMN matched_records INTEGER;
ALTER TABLE flags ADD COLUMN evidence_id TEXT;

CREATE TABLE match_evidence (
    id TEXT PRIMARY KEY NOT NULL,
    body TEXT NOT NULL
);

-- The engine reads every record's aid at start, in the order they were stored.
CREATE INDEX records_created ON records (created_at, id);
