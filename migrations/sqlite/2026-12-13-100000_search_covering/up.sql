-- Household search at a million people (issue 10): a search reads the records and members of
-- the ten or so households the engine found, and every row it read from the tables was a
-- lookup of its own (about 25 records and 80 members, each a walk down the table's tree). The
-- two indexes by household grow to hold every column search reads, so it reads the indexes
-- alone: a household's members lie together in persons_household in the order shown, and its
-- records' places and agencies in records_household. Both still serve every lookup by
-- household as before; no index is added.
DROP INDEX persons_household;
CREATE INDEX persons_household ON persons (household_id, record_id, position, role, name);
DROP INDEX records_household;
CREATE INDEX records_household ON records (household_id, period_start, withdrawn_at, governorate_code, locality_code, assistance_type, agency_id, period_end, id, governorate, locality);
