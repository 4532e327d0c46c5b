DROP INDEX records_locality_code;
DROP INDEX records_governorate_code;
ALTER TABLE records DROP COLUMN locality_code;
ALTER TABLE records DROP COLUMN governorate_code;
DROP TABLE place_aliases;
DROP TABLE places;
