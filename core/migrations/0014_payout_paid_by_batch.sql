-- 0014_payout_paid_by_batch: payout_schedule_state (0011) finds a month's paid items through
-- that month's closed batches and their primary key, instead of reading every item of every
-- month (the due list of a month read all items ever sent). An item's period is its batch's.
-- Never edit once landed.
CREATE OR REPLACE VIEW payout_schedule_state AS
	SELECT s.person_id, s.period, s.amount, s.account_part, s.annuity_part,
	       CASE WHEN s.state = 'due' AND paid.person_id IS NOT NULL THEN 'paid'
	            ELSE s.state END AS state,
	       s.created_at
	FROM payout_schedule s
	LEFT JOIN (SELECT i.person_id, b.period FROM payout_batch b
	           JOIN payout_item i ON i.batch_no = b.batch_no AND i.period = b.period
	           WHERE b.state = 'closed' AND i.state <> 'failed') paid
	       ON paid.person_id = s.person_id AND paid.period = s.period;
