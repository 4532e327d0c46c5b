DROP INDEX flags_matched_agency;
DROP INDEX webhook_deliveries_webhook;
DROP TABLE webhook_deliveries;
DROP INDEX webhook_outbox_pending;
DROP TABLE webhook_outbox;
DROP INDEX webhooks_agency;
DROP TABLE webhooks;
