-- A webhook can be deleted (DELETE /v1/webhooks/{id}): it is marked, so its deliveries log
-- stays whole and an attempt the dispatcher already began still has its webhook; the
-- dispatcher and every route pass over a marked one.
ALTER TABLE webhooks ADD COLUMN deleted_at TEXT;
