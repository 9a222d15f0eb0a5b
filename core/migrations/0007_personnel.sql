-- Personnel change batches (profile PH-PERS-1, plugins/personnel): each batch the hub
-- received, how far its processing got (the cursor commits with the events' effects, so a
-- crash resumes where it stopped), and one result per event for the receipt.
CREATE TABLE personnel_batch (
	id text PRIMARY KEY,                        -- the hub's batch id (from the bytes' SHA-256)
	partner text NOT NULL,
	inbox_id bigint NOT NULL UNIQUE,            -- the stored raw batch
	source jsonb NOT NULL,                      -- the spool reference of the bytes
	doc_batch_id text,                          -- batchId of the document
	unit_code text,                             -- AAB001 of the document
	state text NOT NULL DEFAULT 'queued'
		CHECK (state IN ('queued', 'processing', 'done', 'rejected')),
	message text,                               -- why it was rejected whole
	cursor_seq bigint,                          -- last seq with a committed result
	events bigint,                              -- events in the document (after the check)
	applied bigint NOT NULL DEFAULT 0,
	duplicate bigint NOT NULL DEFAULT 0,
	rejected bigint NOT NULL DEFAULT 0,
	received_at timestamptz NOT NULL DEFAULT now(),
	finished_at timestamptz
);
CREATE INDEX personnel_batch_due ON personnel_batch (received_at) WHERE state IN ('queued', 'processing');
CREATE INDEX personnel_batch_document ON personnel_batch (partner, doc_batch_id);

CREATE TABLE personnel_result (
	batch text NOT NULL,
	seq bigint NOT NULL,
	event_type text NOT NULL,
	subject text,                               -- person lookup key or unit code
	status text NOT NULL CHECK (status IN ('APPLIED', 'DUPLICATE', 'REJECTED')),
	code text,
	message text,
	PRIMARY KEY (batch, seq)
);
