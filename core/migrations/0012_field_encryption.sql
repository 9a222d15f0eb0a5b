-- 0012_field_encryption: encryption at rest of AAC002 (docs/security.md, "Encryption at
-- rest"). The columns keep their type: their values change form, written by the hub through
-- ph_person_seal_id / ph_person_lookup_key with keys from a file outside the database, so no
-- SQL here can convert existing rows; `pensionctl keys rotate` does, in batches, while the
-- hub runs. Without a key file ([keys] file) values stay plaintext. Never edit once landed.

COMMENT ON COLUMN person.id_number IS
	'AAC002 sealed: enc1:<key id>:<base64(nonce, AES-256-GCM ciphertext, tag)>';
COMMENT ON COLUMN person.id_lookup IS
	'keyed hash of AAC002 for lookups: h1:<hex HMAC-SHA-256 under the lookup key>';
COMMENT ON COLUMN payout_item.id_number IS
	'copy of person.id_number (sealed) made when the batch was built';
COMMENT ON COLUMN medical_compare_line.id_number IS
	'AAC002 sealed, ours and the partner''s alike (and "theirs" of an AAC002 difference)';
COMMENT ON COLUMN payout_result_line.id_number IS
	'AAC002 echoed by the bank, kept as its keyed hash (h1:...), matched to person.id_lookup';
