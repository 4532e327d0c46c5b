DROP INDEX persons_household;
CREATE INDEX persons_household ON persons (household_id);
DROP INDEX records_household;
CREATE INDEX records_household ON records (household_id, period_start, withdrawn_at, governorate_code, locality_code, assistance_type, agency_id, period_end);
