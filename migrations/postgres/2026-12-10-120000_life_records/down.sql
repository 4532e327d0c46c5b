DROP INDEX records_agency_created;
DROP INDEX record_versions_record;
DROP TABLE record_versions;
ALTER TABLE records DROP COLUMN withdrawn_reason;
ALTER TABLE records DROP COLUMN withdrawn_at;
ALTER TABLE records DROP COLUMN version;
