-- Cross-region transfer cases as the transfer adapter runs them (profile PH-XFER-1,
-- plugins/transfer): each case's state and step deadline, and every message in and out
-- with its time and verdict. The amounts themselves are the core's (transfer_case).
CREATE TABLE transfer_exchange (
	case_id text PRIMARY KEY,
	direction text NOT NULL CHECK (direction IN ('in', 'out')),
	state text NOT NULL CHECK (state IN ('LETTER_SENT', 'INFO_RECEIVED', 'FUND_RECEIVED',
		'LETTER_RECEIVED', 'INFO_SENT', 'FUND_SENT', 'COMPLETED', 'REJECTED')),
	id_number text NOT NULL,                    -- AAC002
	other_agency text NOT NULL,                 -- AAB034 of the other side
	other_region text NOT NULL,                 -- AAB301 of the other side
	reason text,                                -- why it was rejected
	deadline timestamptz NOT NULL,              -- of the current step (15 working days)
	overdue_reported_at timestamptz,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX transfer_exchange_open ON transfer_exchange (deadline)
	WHERE state NOT IN ('COMPLETED', 'REJECTED');
CREATE INDEX transfer_exchange_person ON transfer_exchange (id_number);

CREATE TABLE transfer_message (
	id bigserial PRIMARY KEY,
	case_id text,                               -- NULL when a refused message had none
	msg_id text,
	direction text NOT NULL CHECK (direction IN ('in', 'out')),
	msg_type text,
	verdict text NOT NULL,                      -- ACCEPTED, SIGNATURE_INVALID, QUEUED, DELIVERED, …
	detail text,
	body text,                                  -- the signed document (accepted and outbound)
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX transfer_message_case ON transfer_message (case_id, id);
CREATE UNIQUE INDEX transfer_message_out ON transfer_message (msg_id) WHERE direction = 'out';
