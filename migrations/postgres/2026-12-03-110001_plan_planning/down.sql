DROP TABLE needs;
DROP TABLE services;
DROP TABLE organizations;
DROP INDEX records_coverage;
DROP TABLE record_groups;
ALTER TABLE persons DROP COLUMN groups;
