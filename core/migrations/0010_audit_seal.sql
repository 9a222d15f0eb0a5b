-- 0010_audit_seal: signed heads of the audit chain (docs/security.md, "Audit chain"). A seal
-- signs (audit id, entry hash, time) with the hub's key so that a rewrite of the whole chain,
-- hashes recomputed, is still detected. Append-only like audit_log. Never edit once landed.

CREATE TABLE audit_seal (
	id bigserial PRIMARY KEY,
	audit_id bigint NOT NULL,            -- the sealed entry of audit_log (no FK: verify names a
	                                     -- deleted entry rather than the database refusing)
	hash bytea NOT NULL,                 -- that entry's hash when sealed
	sealed_at text NOT NULL,             -- YYYY-MM-DDTHH:MM:SS.mmmZ, signed as text
	signer text NOT NULL,                -- lowercase hex SHA-256 of the signer certificate's DER
	signature bytea NOT NULL             -- over the canonical seal record
);
CREATE INDEX audit_seal_audit_id ON audit_seal (audit_id);

CREATE FUNCTION audit_seal_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'audit_seal is append-only: % refused', TG_OP;
END
$$;
CREATE TRIGGER audit_seal_no_update_delete BEFORE UPDATE OR DELETE ON audit_seal
	FOR EACH ROW EXECUTE FUNCTION audit_seal_refuse_change();
CREATE TRIGGER audit_seal_no_truncate BEFORE TRUNCATE ON audit_seal
	FOR EACH STATEMENT EXECUTE FUNCTION audit_seal_refuse_change();
