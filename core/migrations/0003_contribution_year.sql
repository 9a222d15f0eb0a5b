-- 0003_contribution_year: each contribution row carries the credits of its year so far,
-- so that the yearly interest close reads one row per account instead of twelve
-- (docs/core-store.md, "interest close"; measured). Never edit once landed.
--
-- year_account[m] / year_annuity[m]: the account and annuity credits of month m of the
-- row's year, for months up to the row's own (0 where none). NULL means "not known"
-- (rows transferred in, or a later month written before an earlier one): the interest
-- close then reads that person's months one by one.
ALTER TABLE contribution ADD COLUMN year_account bigint[], ADD COLUMN year_annuity bigint[];
