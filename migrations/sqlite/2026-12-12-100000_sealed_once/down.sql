ALTER TABLE data_key DROP COLUMN sealed_at;
