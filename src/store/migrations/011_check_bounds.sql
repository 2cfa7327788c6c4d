-- The agency checks' in-memory index (store/sqlite_checkidx.c) is exact
-- for instants after every person's last reconciliation: it reads the
-- latest one when it loads, through this index, instead of scanning
-- every person. Only persons ever reconciled are in it.
CREATE INDEX persons_reconciled ON persons(reconciled_at) WHERE reconciled_at > 0;
