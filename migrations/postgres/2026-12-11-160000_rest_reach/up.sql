-- The coverage report and the 3W read every record they select once, joined to its household
-- (issue 11). records_household grows to hold every column they read, so that scan reads the
-- index alone and never the records' rows (their stored answers); it still serves every lookup
-- by household as before. Dated after life_records, which added withdrawn_at.
DROP INDEX records_household;
CREATE INDEX records_household ON records (household_id, period_start, withdrawn_at, governorate_code, locality_code, assistance_type, agency_id, period_end);
