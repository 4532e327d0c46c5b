CREATE INDEX persons_national_id_hash ON persons (national_id_hash) WHERE national_id_hash IS NOT NULL;
