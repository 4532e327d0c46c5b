DROP TABLE data_key;
DROP INDEX persons_phone_hash;
DROP INDEX persons_national_id_hash;
CREATE INDEX persons_national_id ON persons (national_id);
ALTER TABLE persons DROP COLUMN phone_hash;
ALTER TABLE persons DROP COLUMN national_id_hash;
