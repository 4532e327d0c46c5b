-- Personal data at rest: persons.national_id and persons.phone now hold values sealed with the
-- data key (AES-256-GCM, see service/vault.rs); exact look-ups go through their keyed hashes.
-- Rows stored in clear before this are sealed by the gateway at start, in Rust (SQL has no key).
ALTER TABLE persons ADD COLUMN national_id_hash TEXT;
ALTER TABLE persons ADD COLUMN phone_hash TEXT;
-- An index of the clear ID is an index of clear IDs: gone.
DROP INDEX persons_national_id;
CREATE INDEX persons_national_id_hash ON persons (national_id_hash);
CREATE INDEX persons_phone_hash ON persons (phone_hash);

-- One row: a value sealed with the data key, so that starting with another key is refused.
CREATE TABLE data_key (
    id INTEGER PRIMARY KEY NOT NULL,
    check_value TEXT NOT NULL
);
