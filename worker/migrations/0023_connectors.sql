-- Shop connectors (issue 16): a shop's own webhooks (Shopify, WooCommerce, generic
-- Standard Webhooks) turned into invitations, and every webhook they received.

CREATE TABLE connectors (
    id          TEXT PRIMARY KEY,                   -- con_…
    platform    TEXT NOT NULL CHECK (platform IN ('shopify', 'woocommerce', 'generic')),
    survey_id   TEXT NOT NULL,
    secret      TEXT NOT NULL,                      -- what the platform signs with
    settings    TEXT NOT NULL DEFAULT '{}',         -- JSON: days_after_fulfilled, …
    created_at  TEXT NOT NULL,
    deleted_at  TEXT                                -- its URL answers 410 from then on
);

-- Every webhook a connector received, with what became of it. An accepted event is
-- the one that created its invitation, in the same atomic write: the platform's retry
-- of the event, or another delivery event of the same order, finds it and is logged
-- as a duplicate. `facts` keeps what an order event said about the order (customer,
-- e-mail, locale, properties) for the delivery event that names only the order.
CREATE TABLE connector_events (
    id             TEXT PRIMARY KEY,                -- cev_…
    connector_id   TEXT NOT NULL,
    event_id       TEXT,                            -- the platform's id of the event
    topic          TEXT,
    outcome        TEXT NOT NULL CHECK (outcome IN ('accepted', 'duplicate', 'ignored', 'bad_signature')),
    reason         TEXT,
    order_id       TEXT,
    facts          TEXT,                            -- JSON OrderFacts
    invitation_id  TEXT,
    received_at    TEXT NOT NULL,
    -- Whom the remembered facts name, while they are kept (NULL with them): what a
    -- GDPR export and erase find them by (validate::normalize_email; the shop's id).
    email_key      TEXT,
    customer_id    TEXT
);
CREATE UNIQUE INDEX connector_events_one_accepted_per_event
    ON connector_events (connector_id, event_id) WHERE outcome = 'accepted';
CREATE UNIQUE INDEX connector_events_one_accepted_per_order
    ON connector_events (connector_id, order_id) WHERE outcome = 'accepted';
CREATE INDEX connector_events_by_connector ON connector_events (connector_id, id);
CREATE INDEX connector_events_by_order ON connector_events (connector_id, order_id, received_at);
-- The cron forgets events past their retention (service::connectors::forget_old).
CREATE INDEX connector_events_by_time ON connector_events (received_at);
CREATE INDEX connector_events_remembered_email ON connector_events (email_key)
    WHERE email_key IS NOT NULL;
CREATE INDEX connector_events_remembered_customer ON connector_events (customer_id)
    WHERE customer_id IS NOT NULL;
