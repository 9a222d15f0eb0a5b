-- 0004_event_routing: core events reach the plugins that subscribed to them. A trigger
-- queues one outbox row per subscription in the same transaction as the event, so an
-- event is never lost and never queued twice. The daemon writes event_subscription from
-- the plugins' ph_plugin_subscribe() calls at start-up. Never edit once landed.

CREATE TABLE event_subscription (
	event_type text NOT NULL,
	topic text NOT NULL,
	plugin text NOT NULL,
	subscribed_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (event_type, topic)
);

CREATE FUNCTION core_event_route() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO outbox (topic, key, payload)
	SELECT s.topic, NEW.type || ':' || NEW.business_key,
	       convert_to(json_build_object(
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

CREATE TRIGGER core_event_route AFTER INSERT ON core_event
	FOR EACH ROW EXECUTE FUNCTION core_event_route();
