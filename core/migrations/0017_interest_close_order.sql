-- 0017_interest_close_order: what the yearly interest close reads in person order, so that
-- it merges its inputs with the persons instead of hashing or sorting a million rows with
-- their year credits (docs/core-store.md, "interest close"; measured). Never edit once
-- landed.
--
-- A month's contribution rows by person. It replaces the index on period alone (0009): a
-- lookup by period uses this one the same way.
DROP INDEX contribution_period;
CREATE INDEX contribution_period_person ON contribution (period, person_id);
-- Ledger entries other than interest (transfers, inheritance): few, read by person.
CREATE INDEX account_entry_other ON account_entry (person_id, period) WHERE kind <> 'interest';
