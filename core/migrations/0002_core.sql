-- 0002_core: the pension business core (docs/core-store.md): units, persons, enrolment,
-- wages, contributions, the account and annuity ledgers, benefits, adjustments, transfers,
-- deaths, the payout schedule and the core's event table. Never edit once landed.
-- Money is bigint fen; periods are YYYYMM integers; every large table carries person_id
-- (the shard key) and has no foreign key to person, so that bulk COPY stays fast.

-- Employers (单位), AAB001.
CREATE TABLE unit (
	unit_code text PRIMARY KEY,                 -- AAB001
	name text NOT NULL,                         -- AAB004
	credit_code text,                           -- BAB010
	unit_type text,                             -- AAB019
	region text,                                -- AAB301
	funding text NOT NULL DEFAULT 'full'
		CHECK (funding IN ('full', 'partial', 'self')),
	updated_at timestamptz NOT NULL DEFAULT now()
);

-- Persons. id_number holds AAC002 and id_lookup the key every lookup uses: both plain
-- today; encryption at rest turns id_number into ciphertext and id_lookup into a keyed
-- hash, changing only core/ph-person.c.
CREATE TABLE person (
	person_id bigserial PRIMARY KEY,            -- AAC001
	id_lookup text NOT NULL UNIQUE,
	id_number text NOT NULL,                    -- AAC002
	name text NOT NULL,                         -- AAC003
	sex text NOT NULL,                          -- AAC004
	ethnicity text,                             -- AAC005
	birth_date text NOT NULL CHECK (birth_date ~ '^[0-9]{8}$'), -- AAC006
	work_start text,                            -- AAC007
	deemed_months integer NOT NULL DEFAULT 0
		CHECK (deemed_months BETWEEN 0 AND 600), -- AAE200
	deemed_index integer NOT NULL DEFAULT 0,    -- 10^4 × Zd
	unit_code text,                             -- AAB001 now
	status text NOT NULL DEFAULT 'active'
		CHECK (status IN ('active', 'left', 'transferred', 'retired', 'dead')),
	contribution_status text NOT NULL DEFAULT '1'
		CHECK (contribution_status IN ('1', '2', '3')), -- AAC031
	account_closed_period integer,              -- the account was settled at this month
	death_date text,                            -- AAE138
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now()
);

-- Enrolment periods in 险种 120 (AAE140), one row per unit stint.
CREATE TABLE enrolment (
	person_id bigint NOT NULL,
	start_period integer NOT NULL,              -- AAE030
	insurance text NOT NULL DEFAULT '120',      -- AAE140
	unit_code text NOT NULL,                    -- AAB001
	end_period integer,                         -- AAE031, last month; NULL while open
	end_reason text,                            -- move, leave, retire, death, transfer
	change_code text,                           -- AAE160 of a LEAVE
	status text NOT NULL DEFAULT '1' CHECK (status IN ('1', '2', '3')), -- AAC031
	PRIMARY KEY (person_id, start_period),
	CHECK (end_period IS NULL OR end_period >= start_period)
);
CREATE UNIQUE INDEX enrolment_one_open ON enrolment (person_id) WHERE end_period IS NULL;

-- Declared monthly wages, each from an effective month.
CREATE TABLE declared_wage (
	person_id bigint NOT NULL,
	effective_period integer NOT NULL,
	wage bigint NOT NULL CHECK (wage >= 0),
	PRIMARY KEY (person_id, effective_period)
);

-- One row per person and month (AAE003): the contribution of a run here, or a month
-- transferred in from another pooling area (source 'T', no money credited here).
CREATE TABLE contribution (
	person_id bigint NOT NULL,
	period integer NOT NULL,                    -- AAE003
	source "char" NOT NULL DEFAULT 'R' CHECK (source IN ('R', 'T')),
	unit_code text NOT NULL,                    -- AAB001 ('' for transferred months)
	wage bigint NOT NULL,
	base bigint NOT NULL,                       -- AAE180
	employer bigint NOT NULL,                   -- AAE020
	individual bigint NOT NULL,                 -- AAE022
	annuity_employer bigint NOT NULL,
	annuity_individual bigint NOT NULL,
	account_credit bigint NOT NULL,
	annuity_credit bigint NOT NULL,
	PRIMARY KEY (person_id, period)
);

-- A finished monthly run; a repeat only adds members still missing for the period.
CREATE TABLE contribution_run (
	period integer PRIMARY KEY,
	members bigint NOT NULL,
	employer bigint NOT NULL,
	individual bigint NOT NULL,
	annuity bigint NOT NULL,
	runs integer NOT NULL DEFAULT 1,
	finished_at timestamptz NOT NULL DEFAULT now()
);

-- Account and annuity ledger entries other than the monthly credits (which are the
-- contribution rows): interest, transfers, inheritance. Append-only; (person, kind,
-- reference) is the business key. Interest rows also carry the balances after them.
CREATE TABLE account_entry (
	person_id bigint NOT NULL,
	period integer NOT NULL,
	kind text NOT NULL
		CHECK (kind IN ('interest', 'transfer_in', 'transfer_out', 'inheritance')),
	reference text NOT NULL,
	account_amount bigint NOT NULL,
	annuity_amount bigint NOT NULL,
	account_balance bigint,
	annuity_balance bigint,
	provisional boolean NOT NULL DEFAULT false,
	PRIMARY KEY (person_id, kind, reference)
);

CREATE FUNCTION core_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
END
$$;
CREATE TRIGGER account_entry_append_only BEFORE UPDATE OR DELETE ON account_entry
	FOR EACH ROW EXECUTE FUNCTION core_refuse_change();

-- A finished yearly interest close.
CREATE TABLE interest_close (
	year integer PRIMARY KEY,
	accounts bigint NOT NULL,
	interest bigint NOT NULL,
	annuity_interest bigint NOT NULL,
	provisional boolean NOT NULL,
	finished_at timestamptz NOT NULL DEFAULT now()
);

-- The benefit fixed at retirement: components, totals and the inputs it came from.
CREATE TABLE benefit (
	person_id bigint PRIMARY KEY,
	start_period integer NOT NULL,              -- AIC160
	retire_kind text NOT NULL,                  -- AIC161
	eligible boolean NOT NULL,
	reason text,
	basic bigint NOT NULL,
	individual_account bigint NOT NULL,
	transitional bigint NOT NULL,
	annuity bigint NOT NULL,
	new_method_total bigint NOT NULL,
	adjustment bigint NOT NULL,
	monthly_total bigint NOT NULL,
	account_balance bigint NOT NULL,
	annuity_balance bigint NOT NULL,
	total_months integer NOT NULL,
	inputs jsonb NOT NULL,
	result jsonb NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now()
);

-- Annual adjustments of pensions in payment, by the adjustment's effective month.
CREATE TABLE benefit_adjustment (
	person_id bigint NOT NULL,
	effective_period integer NOT NULL,
	increase bigint NOT NULL,
	PRIMARY KEY (person_id, effective_period)
);
CREATE TABLE adjustment_run (
	effective_period integer PRIMARY KEY,
	persons bigint NOT NULL,
	increase bigint NOT NULL,
	runs integer NOT NULL DEFAULT 1,
	finished_at timestamptz NOT NULL DEFAULT now()
);

-- Transfers between pooling areas, by case id; the amounts as computed or received.
CREATE TABLE transfer_case (
	case_id text PRIMARY KEY,
	person_id bigint NOT NULL,
	direction text NOT NULL CHECK (direction IN ('out', 'in')), -- EAC071 1 / 2
	transfer_period integer NOT NULL,
	other_region text,                          -- OAA027
	months integer NOT NULL,
	pooled_fund bigint NOT NULL,
	account_balance bigint NOT NULL,
	annuity_balance bigint NOT NULL,
	result jsonb NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX transfer_case_person ON transfer_case (person_id);

-- Death settlements, one per person.
CREATE TABLE death_settlement (
	person_id bigint PRIMARY KEY,
	death_date text NOT NULL,                   -- AAE138
	death_period integer NOT NULL,
	retired boolean NOT NULL,
	inheritable_account bigint NOT NULL,
	inheritable_annuity bigint NOT NULL,
	overpaid_months integer NOT NULL,
	overpayment bigint NOT NULL,
	funeral_grant bigint NOT NULL,              -- AIC249
	survivor_benefit bigint NOT NULL,           -- AIC250
	result jsonb NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now()
);

-- What each retiree is owed for each month, written when the month's due list is made;
-- a bank batch marks rows paid. A death cancels rows due after the death month, and paid
-- ones there become the overpayment of the settlement.
CREATE TABLE payout_schedule (
	person_id bigint NOT NULL,
	period integer NOT NULL,
	amount bigint NOT NULL,                     -- benefit total plus adjustments
	account_part bigint NOT NULL,               -- the individual-account pension in it
	annuity_part bigint NOT NULL,
	state text NOT NULL DEFAULT 'due'
		CHECK (state IN ('due', 'paid', 'cancelled', 'overpaid')),
	created_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (person_id, period)
);
CREATE INDEX payout_schedule_period ON payout_schedule (period, state);

-- The whole account and annuity ledger: credits, entries and paid pensions. A balance is
-- the sum of its rows.
CREATE VIEW account_ledger AS
	SELECT person_id, period, 'credit'::text AS kind, period::text AS reference,
	       account_credit AS account_amount, annuity_credit AS annuity_amount
	FROM contribution
	UNION ALL
	SELECT person_id, period, kind, reference, account_amount, annuity_amount
	FROM account_entry
	UNION ALL
	SELECT person_id, period, 'payout', period::text, -account_part, -annuity_part
	FROM payout_schedule WHERE state IN ('paid', 'overpaid');

-- What partners must hear about (retired, died, enrolment ended, transfer amounts,
-- payout due); a later issue routes these rows to plugin outbox topics.
CREATE TABLE core_event (
	id bigserial PRIMARY KEY,
	type text NOT NULL,
	person_id bigint,
	business_key text NOT NULL,
	payload jsonb NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	UNIQUE (type, business_key)
);
