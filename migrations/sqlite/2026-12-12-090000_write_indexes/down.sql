DROP INDEX persons_phone_hash;
CREATE INDEX persons_phone_hash ON persons (phone_hash);
DROP INDEX persons_national_id_hash;
CREATE INDEX persons_national_id_hash ON persons (national_id_hash);
CREATE INDEX records_period ON records (period_start, period_end);
CREATE INDEX records_coverage ON records (assistance_type, governorate_code, locality_code, period_start, period_end, agency_id, household_id, id);
