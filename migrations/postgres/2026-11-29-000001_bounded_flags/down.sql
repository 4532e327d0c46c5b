DROP INDEX records_created;
DROP TABLE match_evidence;
ALTER TABLE flags DROP COLUMN evidence_id;
ALTER TABLE flags DROP COLUMN matched_records;
