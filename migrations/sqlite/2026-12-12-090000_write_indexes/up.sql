-- The write path at a million people (issue 10): every index on records, persons and flags is
-- written for every item, and at that size most of each transaction's time is spent writing
-- and syncing the index pages it dirtied (about 6 ms a 100-item transaction per index). Two
-- indexes no query needs go:
-- * records_coverage: the coverage report and the 3W scan the covering records_household
--   (issue 11); with records_coverage there, SQLite took it for a sector's records and read
--   each one's row from the table (0.10 s for the largest sector of 100,000 records, against
--   0.04 s scanning records_household for any sector).
-- * records_period: the period windows are compared as written (`|| ''`) so that no report
--   walks it; the counts of unresolved places take records_governorate_code and
--   records_locality_code, exports records_agency_created.
-- The hashes of national IDs and phones are looked up by value only, so their indexes hold
-- the members that have one (about two in five members have no phone).
DROP INDEX records_coverage;
DROP INDEX records_period;
DROP INDEX persons_national_id_hash;
CREATE INDEX persons_national_id_hash ON persons (national_id_hash) WHERE national_id_hash IS NOT NULL;
DROP INDEX persons_phone_hash;
CREATE INDEX persons_phone_hash ON persons (phone_hash) WHERE phone_hash IS NOT NULL;
