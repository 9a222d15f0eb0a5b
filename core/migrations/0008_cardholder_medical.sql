-- 0008_cardholder_medical: the cardholder base (持卡库) and medical insurance partners
-- (issue 8): cached cardholder answers with their expiry, identity verdicts for clerks,
-- clerks' payout-account overrides, change notices applied, and the monthly comparison
-- (比对) reports of the medical system. Never edit once landed.

-- The last answer of the cardholder base for each person: card number AAZ500, card status
-- AAZ502 and the card's financial account (AAE008 bank code, AAE010 account). Kept after
-- expires_at: a stale answer still pays (never blocks a payout run), it is only refreshed.
CREATE TABLE cardholder_card (
	person_id bigint PRIMARY KEY,
	verdict text NOT NULL
		CHECK (verdict IN ('confirmed', 'name_mismatch', 'not_found')),
	name text,                                  -- AAC003 as the cardholder base has it
	card_no text,                               -- AAZ500
	card_status text,                           -- AAZ502 (1 正常)
	bank_code text,                             -- AAE008
	bank text,                                  -- the hub's bank name for AAE008, if any
	account text,                               -- AAE010
	source text NOT NULL CHECK (source IN ('query', 'notice')),
	fetched_at timestamptz NOT NULL DEFAULT clock_timestamp(),
	expires_at timestamptz NOT NULL
);
CREATE INDEX cardholder_card_expiry ON cardholder_card (expires_at);

-- A lookup that failed (the cardholder base unreachable or refusing): when to try again,
-- so that a down partner is not hammered by every refresh. Removed by the next answer.
CREATE TABLE cardholder_attempt (
	person_id bigint PRIMARY KEY,
	attempts integer NOT NULL,
	next_attempt_at timestamptz NOT NULL,
	last_error text NOT NULL
);

-- A clerk's payout account, which wins over the card's until removed.
CREATE TABLE payee_account_override (
	person_id bigint PRIMARY KEY,
	bank text NOT NULL,
	account text NOT NULL,                      -- AAE010
	reason text NOT NULL,
	actor text NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now()
);

-- Change notices of the cardholder base, as applied (the inbox keeps the bytes).
CREATE TABLE cardholder_notice (
	notice_id text PRIMARY KEY,
	person_id bigint NOT NULL,
	change text NOT NULL CHECK (change IN ('reissued', 'lost', 'account_changed')),
	card_no text,                               -- AAZ500
	card_status text,                           -- AAZ502
	bank_code text,                             -- AAE008
	account text,                               -- AAE010
	changed_on text,                            -- AAE035 YYYYMMDD
	applied_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX cardholder_notice_person ON cardholder_notice (person_id);

-- One monthly comparison of the medical system's person file with ours.
CREATE TABLE medical_compare (
	report_id bigserial PRIMARY KEY,
	file_name text NOT NULL,
	digest text NOT NULL,                       -- "SHA256 hex" of the file
	file_records bigint NOT NULL,
	our_persons bigint NOT NULL,
	differences bigint NOT NULL,
	summary jsonb NOT NULL,                     -- {"difference kind": count}
	created_at timestamptz NOT NULL DEFAULT now()
);

-- One line per difference; line_no orders the report.
CREATE TABLE medical_compare_line (
	report_id bigint NOT NULL,
	line_no integer NOT NULL,
	id_number text NOT NULL,                    -- AAC002
	difference text NOT NULL,
	field text,                                 -- national element code, when one differs
	ours text,
	theirs text,
	file_line bigint,                           -- line in the medical file, when from it
	PRIMARY KEY (report_id, line_no)
);
