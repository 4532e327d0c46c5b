-- The write path at a million people (issue 10): at that size nearly every member's insert into
-- an index keyed by a hash dirties a page of its own (the hashes fall anywhere), written once to
-- the log and once more by the checkpoint; a profile of batch intake put about 52 KB written per
-- record, most of it such pages. No query looks a phone up by its hash (a search by phone goes
-- through the in-memory index; a break-the-glass look-up and an erasure take the national ID's
-- hash), so the phone's index goes. The column stays: the hash is still stored with the sealed
-- phone, and an index can be made again from it.
DROP INDEX persons_phone_hash;
