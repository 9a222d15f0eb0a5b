-- 0013_audit_pending: audit entries are written in the caller's transaction into
-- audit_pending without waiting for anyone, and linked into the hash chain of audit_log in
-- commit order by whoever holds the chain's advisory lock: the appending transaction itself
-- when the lock is free, otherwise a later appender, the daemon's linker (every second) or
-- `pensionctl audit verify`. So the chain no longer serialises every partner request on
-- one lock (docs/security.md, "Audit chain"). audit_pending is a queue: rows leave it in
-- the transaction that links them. Never edit once landed.

CREATE TABLE audit_pending (
	id bigserial PRIMARY KEY,
	at timestamptz NOT NULL DEFAULT clock_timestamp(),
	actor text NOT NULL,
	action text NOT NULL,
	object text NOT NULL,
	payload_digest bytea
);
