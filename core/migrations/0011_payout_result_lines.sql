-- 0011_payout_result_lines: a bank's results are kept as received, append-only, one COPY per
-- file, instead of rewriting a million payout_item and payout_schedule rows (issue 5 §8,
-- docs/core-store.md). Only failed items are updated in payout_item (they go to re-issue);
-- "paid" is derived: an item not failed in a closed batch is paid, and a due schedule row is
-- paid when such an item exists for it. Never edit once landed.

-- Every result file booked gets an id before its lines are loaded.
CREATE SEQUENCE payout_result_file_id;
ALTER TABLE payout_result_file ADD COLUMN file_id bigint;
CREATE UNIQUE INDEX payout_result_file_id_key ON payout_result_file (file_id);

-- The lines of a booked file as the bank sent them; a rejected file's lines are rolled back
-- with its transaction. A file's lines lie together, so a BRIN index finds them at almost no
-- cost to the COPY.
CREATE TABLE payout_result_line (
	file_id bigint NOT NULL,
	serial integer NOT NULL,
	id_number text,                             -- AAC002 echoed (NULL for pain.002)
	account text NOT NULL,                      -- AAE010 echoed
	amount bigint NOT NULL,                     -- fen, echoed
	status text NOT NULL,                       -- 0000 paid; 1001, 1002, 1003, 9999 failed
	reason text,
	bank_ref text,
	message text
);
CREATE INDEX payout_result_line_file ON payout_result_line USING brin (file_id);
CREATE TRIGGER payout_result_line_append_only BEFORE UPDATE OR DELETE ON payout_result_line
	FOR EACH ROW EXECUTE FUNCTION core_refuse_change();

-- Items with their state as booked: failed rows carry the bank's answer themselves; an item
-- still 'sent' in a closed batch was paid, with the answer in its file's line.
CREATE VIEW payout_item_state AS
	SELECT i.batch_no, i.serial, i.person_id, i.period, i.id_number, i.name, i.account,
	       i.amount,
	       CASE WHEN i.state = 'sent' AND b.state = 'closed' THEN 'paid' ELSE i.state END
	               AS state,
	       coalesce(i.status, r.status) AS status, coalesce(i.reason, r.reason) AS reason,
	       coalesce(i.bank_ref, r.bank_ref) AS bank_ref,
	       coalesce(i.message, r.message) AS message,
	       coalesce(i.booked_at, f.received_at) AS booked_at
	FROM payout_item i
	JOIN payout_batch b ON b.batch_no = i.batch_no
	LEFT JOIN payout_result_file f ON f.batch_no = i.batch_no AND f.verdict = 'booked'
	LEFT JOIN payout_result_line r ON r.file_id = f.file_id AND r.serial = i.serial;

-- The schedule with "paid" derived from booked items (rows marked paid one by one keep
-- their own state; cancelled and overpaid rows are written by a death). A person has at most
-- one item not failed per month (payout_item_once), so the join adds no row.
CREATE VIEW payout_schedule_state AS
	SELECT s.person_id, s.period, s.amount, s.account_part, s.annuity_part,
	       CASE WHEN s.state = 'due' AND paid.person_id IS NOT NULL THEN 'paid'
	            ELSE s.state END AS state,
	       s.created_at
	FROM payout_schedule s
	LEFT JOIN (SELECT i.person_id, i.period FROM payout_item i
	           JOIN payout_batch b ON b.batch_no = i.batch_no AND b.state = 'closed'
	           WHERE i.state <> 'failed') paid
	       ON paid.person_id = s.person_id AND paid.period = s.period;

CREATE OR REPLACE VIEW account_ledger AS
	SELECT person_id, period, 'credit'::text AS kind, period::text AS reference,
	       account_credit AS account_amount, annuity_credit AS annuity_amount
	FROM contribution
	UNION ALL
	SELECT person_id, period, kind, reference, account_amount, annuity_amount
	FROM account_entry
	UNION ALL
	SELECT person_id, period, 'payout', period::text, -account_part, -annuity_part
	FROM payout_schedule_state WHERE state IN ('paid', 'overpaid');
