-- 0001_hub: the hub's own tables (inbox, refusals, outbox, dead letters, plugin state,
-- audit placeholder). Business tables come in later migrations. Never edit once landed.

-- Every inbound message, stored before it is answered. (partner, message_id) is the
-- idempotency key; the first answer is kept so that a repeat gets it again.
CREATE TABLE inbox (
	id bigserial PRIMARY KEY,
	partner text NOT NULL,
	kind text NOT NULL,
	message_id text NOT NULL,
	body bytea NOT NULL,
	digest bytea NOT NULL,                    -- SHA-256 of body
	received_at timestamptz NOT NULL DEFAULT now(),
	answer_status integer NOT NULL,
	answer_content_type text,
	answer_body bytea,
	state text NOT NULL DEFAULT 'pending'
		CHECK (state IN ('pending', 'processed', 'failed')),
	attempts integer NOT NULL DEFAULT 0,
	next_attempt_at timestamptz NOT NULL DEFAULT now(),
	last_error text,
	processed_at timestamptz,
	CONSTRAINT inbox_partner_message_key UNIQUE (partner, message_id)
);
-- The processor's claim: pending rows in due order; processed rows drop out of the index.
CREATE INDEX inbox_due ON inbox (next_attempt_at, id) WHERE state = 'pending';

-- Every refused inbound message, with its bytes and the reason (partner may be unknown).
CREATE TABLE inbox_refusal (
	id bigserial PRIMARY KEY,
	partner text,
	kind text,
	body bytea NOT NULL,
	digest bytea NOT NULL,
	reason text NOT NULL,
	received_at timestamptz NOT NULL DEFAULT now()
);

-- Every message to a partner. A claim leases a row by moving next_attempt_at past the
-- lease and stamping lease_token; only the token's holder may record the outcome.
CREATE TABLE outbox (
	id bigserial PRIMARY KEY,
	topic text NOT NULL,
	key text,
	payload bytea NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered')),
	attempts integer NOT NULL DEFAULT 0,
	next_attempt_at timestamptz NOT NULL DEFAULT now(),
	lease_token text,
	last_error text,
	delivered_at timestamptz
);
CREATE INDEX outbox_due ON outbox (next_attempt_at, id) WHERE state = 'pending';
CREATE INDEX outbox_topic ON outbox (topic, state);

-- Outbox rows that used up their attempts or were refused for good. The id is the
-- outbox id, so an operator follows one message across both tables.
CREATE TABLE dead_letter (
	id bigint PRIMARY KEY,
	topic text NOT NULL,
	key text,
	payload bytea NOT NULL,
	created_at timestamptz NOT NULL,
	attempts integer NOT NULL,
	last_error text NOT NULL,
	dead_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dead_letter_topic ON dead_letter (topic);

-- Each plugin's private key-value state.
CREATE TABLE plugin_state (
	plugin text NOT NULL,
	key text NOT NULL,
	value bytea NOT NULL,
	updated_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (plugin, key)
);

-- Audit log: append-only, hash-chained (the chain is computed by the hub's audit module).
CREATE TABLE audit_log (
	id bigserial PRIMARY KEY,
	at timestamptz NOT NULL DEFAULT clock_timestamp(),
	actor text NOT NULL,
	action text NOT NULL,
	object text NOT NULL,
	payload_digest bytea,
	prev_hash bytea,
	hash bytea NOT NULL
);

CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP;
END
$$;
CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log
	FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
	FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
