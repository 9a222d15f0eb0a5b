-- 0005_payout: bank payout (委托银行发放, issue 5): where each retiree is paid, holds,
-- batches and their items, people left out of a run, and the bank's result files consumed.
-- Never edit once landed. Money is bigint fen; periods are YYYYMM integers.

-- Where a retiree's pension is paid: one current account per person (AAE010) at one bank
-- (the bank's name in the hub's config, [plugin bank] banks). A cardholder update or an
-- operator corrects it; updated_at tells a re-issue that it was corrected after a failure.
CREATE TABLE payee_account (
	person_id bigint PRIMARY KEY,
	bank text NOT NULL,
	account text NOT NULL,                      -- AAE010
	valid boolean NOT NULL DEFAULT true,
	updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- People who must not be paid until reviewed: suspended by an operator, or reported dead
-- by a bank (result status 1001 with a death reason, pain.002 reason MD07).
CREATE TABLE payout_hold (
	person_id bigint PRIMARY KEY,
	reason text NOT NULL,
	source text NOT NULL,                       -- operator, or the result file's name
	created_at timestamptz NOT NULL DEFAULT now()
);

-- Batch numbers are reserved from this sequence and stored before anything is uploaded.
CREATE SEQUENCE payout_batch_no MINVALUE 1 MAXVALUE 9999999999;

CREATE TABLE payout_batch (
	batch_no bigint PRIMARY KEY,
	bank text NOT NULL,
	period integer NOT NULL,                    -- AAE002, YYYYMM
	kind text NOT NULL CHECK (kind IN ('regular', 'reissue')),
	profile text,                               -- ph-bank-1, pain001: set when sent
	file_name text UNIQUE,                      -- PAYOUT_<AAB034>_<YYYYMM>_<batch_no>.txt
	created text NOT NULL CHECK (created ~ '^[0-9]{14}$'), -- in the file, so a retry writes
	                                                       -- the same bytes
	item_count bigint NOT NULL,
	total bigint NOT NULL,
	state text NOT NULL DEFAULT 'built'
		CHECK (state IN ('built', 'sent', 'closed')),
	digest text,                                -- "ALG hex" of the file as sent
	sent_at timestamptz,
	closed_at timestamptz,
	created_at timestamptz NOT NULL DEFAULT now()
);
-- One regular batch per bank and month.
CREATE UNIQUE INDEX payout_batch_regular ON payout_batch (bank, period) WHERE kind = 'regular';

-- One line of a batch. A person is paid at most once per month: a second item for the same
-- (person, period) can exist only once the first has failed.
CREATE TABLE payout_item (
	batch_no bigint NOT NULL,
	serial integer NOT NULL,
	person_id bigint NOT NULL,
	period integer NOT NULL,
	id_number text NOT NULL,                    -- AAC002 as sent
	name text NOT NULL,                         -- AAC003 as sent
	account text NOT NULL,                      -- AAE010 as sent
	amount bigint NOT NULL CHECK (amount > 0),  -- AAE019, fen
	state text NOT NULL DEFAULT 'sent' CHECK (state IN ('sent', 'paid', 'failed')),
	status text,                                -- the bank's status code
	reason text,                                -- ISO reason code (pain.002) if any
	bank_ref text,
	message text,
	booked_at timestamptz,
	PRIMARY KEY (batch_no, serial)
);
CREATE UNIQUE INDEX payout_item_once ON payout_item (person_id, period) WHERE state <> 'failed';
CREATE INDEX payout_item_failed ON payout_item (period) WHERE state = 'failed';

-- People left out of a run, with the reason (death reported, no valid account, held).
CREATE TABLE payout_excluded (
	period integer NOT NULL,
	person_id bigint NOT NULL,
	bank text,                                  -- NULL when the person has no account
	reason text NOT NULL,
	amount bigint NOT NULL,
	noted_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (period, person_id)
);

-- Every result file taken from a bank, booked or rejected: never processed twice.
CREATE TABLE payout_result_file (
	bank text NOT NULL,
	name text NOT NULL,
	size bigint NOT NULL,
	digest text NOT NULL,                       -- "ALG hex"
	batch_no bigint,
	verdict text NOT NULL CHECK (verdict IN ('booked', 'rejected')),
	reason text,
	paid_count bigint NOT NULL DEFAULT 0,
	paid_total bigint NOT NULL DEFAULT 0,
	failed_count bigint NOT NULL DEFAULT 0,
	failed_total bigint NOT NULL DEFAULT 0,
	received_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (bank, name, size, digest)
);
