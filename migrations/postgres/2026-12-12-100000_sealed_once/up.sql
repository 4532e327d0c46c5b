-- When the database was last found wholly sealed (every national ID, phone, evidence, note and
-- body hash stored before sealing converted): from then on intake seals what it stores, so a
-- start no longer reads every row looking for values in clear.
ALTER TABLE data_key ADD COLUMN sealed_at TEXT;
