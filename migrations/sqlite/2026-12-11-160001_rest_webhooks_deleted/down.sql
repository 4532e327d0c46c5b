ALTER TABLE webhooks DROP COLUMN deleted_at;
