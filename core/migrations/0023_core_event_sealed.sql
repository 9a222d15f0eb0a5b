-- 0023_core_event_sealed: core events sealed at rest (issue 9 §3, docs/security.md "Core
-- events"). With a key file the core stores core_event.payload as a jsonb string holding a
-- field envelope "enc1:KEY:…" (the column stays jsonb, so the rows written before a key file
-- and events inserted by SQL keep their JSON objects, and nothing needs converting here).
-- The routing trigger copies the payload as it is into the outbox row it queues for each
-- subscribed topic; a sealed one is marked by the bytes 0x89 "phe1:" before the JSON, so that
-- the hub knows, without parsing every outbox row, which rows hold an event payload to open
-- before a plugin gets them (hub/ph-field-body.c). The first byte is no ASCII character, so
-- no message begins like it. Plaintext events are routed exactly as before. Never edit once
-- landed.
CREATE OR REPLACE FUNCTION core_event_route() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO outbox (topic, key, payload)
	SELECT s.topic, NEW.type || ':' || NEW.business_key,
	       CASE WHEN jsonb_typeof(NEW.payload) = 'string'
	                 AND starts_with(NEW.payload #>> '{}', 'enc1:')
	            THEN '\x89706865313a'::bytea ELSE ''::bytea END
	       || convert_to(json_build_object(
	               'event_id', NEW.id,
	               'type', NEW.type,
	               'business_key', NEW.business_key,
	               'person_id', NEW.person_id,
	               'payload', NEW.payload,
	               'created_at', NEW.created_at)::text, 'UTF8')
	FROM event_subscription s
	WHERE s.event_type = NEW.type;
	RETURN NEW;
END
$$;
