-- 0019_kept_document: the files the hub keeps beside the database (docs/security.md, "Kept
-- documents"): a bank's payout file and its done file as sent, a result file as received, so
-- that a payout batch's archival package holds their bytes. The bytes are in the document
-- store (`[hub] documents_dir`), named by SHA-256; this table says what each file is. Never
-- edit once landed.
CREATE TABLE kept_document (
	id bigserial PRIMARY KEY,
	role text NOT NULL CHECK (role IN ('payout', 'done', 'result')),
	bank text NOT NULL,
	-- the payout batch of a payout or done file; a result file is tied to its batch by
	-- payout_result_file (bank, name, digest) once booked, as it is kept before it is read
	batch_no bigint,
	name text NOT NULL,            -- the file's name as exchanged with the bank
	size bigint NOT NULL CHECK (size >= 0),
	sha256 text NOT NULL,          -- lowercase hex of the plaintext; names the stored file
	digest text,                   -- "ALG hex" as exchanged with the bank (done file)
	store_file text NOT NULL,      -- SHA256.gcm (sealed) or SHA256.bin in documents_dir
	key_id text,                   -- the field key sealing the file's data key; NULL: plaintext
	kept_at timestamptz NOT NULL DEFAULT now(),
	-- one row per file however often a retry keeps it again
	UNIQUE (role, bank, name, sha256)
);
CREATE INDEX kept_document_batch ON kept_document (batch_no) WHERE batch_no IS NOT NULL;
CREATE INDEX kept_document_kept_at ON kept_document (kept_at);
