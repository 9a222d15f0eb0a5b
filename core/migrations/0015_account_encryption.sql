-- 0015_account_encryption: encryption at rest of AAE010 account numbers and of the AAC002 in
-- transfer cases (docs/security.md, "Encryption at rest"), as 0012 did for AAC002. Readers that
-- compared numbers in SQL compare keyed hashes instead: account_lookup and id_lookup, written by
-- the hub with the number's envelope. A NULL lookup marks a row written before this migration
-- (or by hand): its number is still plaintext and is its own lookup until `pensionctl keys
-- rotate` seals it and hashes the lookup, in batches, while the hub runs. Never edit once landed.

ALTER TABLE payee_account ADD COLUMN account_lookup text;
ALTER TABLE payout_item ADD COLUMN account_lookup text;
ALTER TABLE transfer_exchange ADD COLUMN id_lookup text;

-- An index over envelopes finds nothing (a fresh nonce each): cases are found by the hash.
DROP INDEX transfer_exchange_person;
CREATE INDEX transfer_exchange_person ON transfer_exchange (id_lookup);

COMMENT ON COLUMN payee_account.account IS
	'AAE010 sealed: enc1:<key id>:<base64(nonce, AES-256-GCM ciphertext, tag)>';
COMMENT ON COLUMN payee_account.account_lookup IS
	'keyed hash of AAE010 (h1:...); NULL: account still plaintext, its own lookup';
COMMENT ON COLUMN payee_account_override.account IS 'AAE010 sealed';
COMMENT ON COLUMN cardholder_card.account IS 'AAE010 sealed (an empty value is kept as is)';
COMMENT ON COLUMN cardholder_notice.account IS 'AAE010 sealed (an empty value is kept as is)';
COMMENT ON COLUMN payout_item.account IS
	'copy of payee_account.account (sealed) made when the batch was built';
COMMENT ON COLUMN payout_item.account_lookup IS
	'copy of payee_account.account_lookup, matched to payout_result_line.account';
COMMENT ON COLUMN payout_result_line.account IS
	'AAE010 echoed by the bank, kept as its keyed hash (h1:...), matched to the item''s lookup';
COMMENT ON COLUMN transfer_exchange.id_number IS 'AAC002 sealed';
COMMENT ON COLUMN transfer_exchange.id_lookup IS
	'keyed hash of AAC002 (h1:...); NULL: id_number still plaintext, its own lookup';

-- Bank result lines stay append-only, except that a plaintext echo (written before a key file
-- was configured) may become its keyed hash: the one change key rotation makes to them. Every
-- other column must stay as it was.
CREATE FUNCTION payout_result_line_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'UPDATE'
	   AND (NEW.file_id, NEW.serial, NEW.amount, NEW.status, NEW.reason, NEW.bank_ref,
	        NEW.message) IS NOT DISTINCT FROM (OLD.file_id, OLD.serial, OLD.amount, OLD.status,
	        OLD.reason, OLD.bank_ref, OLD.message)
	   AND (NEW.id_number IS NOT DISTINCT FROM OLD.id_number
	        OR (starts_with(NEW.id_number, 'h1:') AND NOT starts_with(OLD.id_number, 'h1:')))
	   AND (NEW.account = OLD.account
	        OR (starts_with(NEW.account, 'h1:') AND NOT starts_with(OLD.account, 'h1:'))) THEN
		RETURN NEW;
	END IF;
	RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
END
$$;
DROP TRIGGER payout_result_line_append_only ON payout_result_line;
CREATE TRIGGER payout_result_line_append_only BEFORE UPDATE OR DELETE ON payout_result_line
	FOR EACH ROW EXECUTE FUNCTION payout_result_line_refuse_change();
