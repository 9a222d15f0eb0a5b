-- 0025_payout_result_echoes: a result line proven without its echoes keeps none. For a batch
-- with an items' digest (0024) the lines are proven by that digest, or else line by line by
-- keyed fingerprints compared with the items (core/ph-payout-result.c): their echoes of AAC002
-- and AAE010 are then stored as NULL, not as keyed hashes. They are the item's, proven equal,
-- and the result file itself is kept (sealed) in the document store. Other files keep their
-- echoes as keyed hashes, as before. Never edit once landed.
ALTER TABLE payout_result_line ALTER COLUMN account DROP NOT NULL;
COMMENT ON COLUMN payout_result_line.id_number IS
	'AAC002 echoed by the bank, kept as its keyed hash (h1:...); NULL when not echoed or when '
	'the file was proven by the items'' digest or fingerprints (0025)';
COMMENT ON COLUMN payout_result_line.account IS
	'AAE010 echoed by the bank, kept as its keyed hash (h1:...), matched to the item''s lookup; '
	'NULL when the file was proven by the items'' digest or fingerprints (0025)';

-- Key rotation still turns a plaintext echo into its keyed hash; a NULL stays NULL.
CREATE OR REPLACE FUNCTION payout_result_line_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'UPDATE'
	   AND (NEW.file_id, NEW.serial, NEW.amount, NEW.status, NEW.reason, NEW.bank_ref,
	        NEW.message) IS NOT DISTINCT FROM (OLD.file_id, OLD.serial, OLD.amount, OLD.status,
	        OLD.reason, OLD.bank_ref, OLD.message)
	   AND (NEW.id_number IS NOT DISTINCT FROM OLD.id_number
	        OR (starts_with(NEW.id_number, 'h1:') AND NOT starts_with(OLD.id_number, 'h1:')))
	   AND (NEW.account IS NOT DISTINCT FROM OLD.account
	        OR (starts_with(NEW.account, 'h1:') AND NOT starts_with(OLD.account, 'h1:'))) THEN
		RETURN NEW;
	END IF;
	RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
END
$$;
