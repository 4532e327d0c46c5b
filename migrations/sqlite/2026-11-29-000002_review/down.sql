DROP INDEX spot_checks_band;
DROP TABLE spot_checks;
DROP INDEX review_batches_created;
DROP TABLE review_batches;
