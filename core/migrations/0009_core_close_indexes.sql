-- 0009_core_close_indexes: what the yearly interest close reads by month and year
-- rather than by person (docs/core-store.md, "interest close"; measured: the December
-- rows of a run lie together, so one index range replaces a million random probes).
-- Never edit once landed.
CREATE INDEX contribution_period ON contribution (period);
CREATE INDEX account_entry_year_close ON account_entry (reference, person_id)
	WHERE kind = 'interest';
