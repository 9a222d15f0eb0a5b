-- 0026_transfer_message_versions: every version of an outbound platform document the hub sent.
-- A document the platform refused as expired is signed again under the same MsgId (its
-- transfer_message row then holds what was sent last), and the platform may hold an earlier
-- version (a 409 CONFLICT to the re-signed one): each version replaced is kept here, sealed
-- like the message's body (docs/security.md), so that every document sent stays traceable.
CREATE TABLE transfer_message_version (
	id bigserial PRIMARY KEY,
	case_id text,                                -- the message's case, as in transfer_message
	msg_id text NOT NULL,
	body text NOT NULL,                          -- the signed document as it was sent, sealed
	verdict text,                                -- the message's verdict when it was replaced
	replaced_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX transfer_message_version_msg ON transfer_message_version (msg_id, id);
CREATE INDEX transfer_message_version_case ON transfer_message_version (case_id, id);
COMMENT ON COLUMN transfer_message_version.body IS
	'a signed platform document naming a member (AAC002): sealed as enc1:KEY_ID:... under a key file';
