-- The write path at a million people (issue 10): a profile of batch intake put 29% of the pages
-- each commit dirties (about 714 for 100 records) in this index: its keys are keyed hashes, so
-- nearly every member's insert lands on a leaf page of its own, written once to the log and once
-- more by the checkpoint. Its two readers no longer need it: a break-the-glass search and an
-- erasure ask the in-memory engine which households hold a person with the ID (it files every
-- stored person under the ID's block) and read those households' persons through
-- persons_household, confirming each by this hash. The column stays: the hash is still stored
-- with the sealed ID, and an index can be made again from it.
DROP INDEX persons_national_id_hash;
