//! What the shop connectors need from storage ([`ConnectorStore`]) and the records it
//! keeps: connectors with their secrets, and every webhook they received. Part of
//! [`super::Storage`]; its SQL is `sql::connectors`.

use super::StoreResult;
use nps_shared::api::Invitation;
use nps_shared::connector::{
    ConnectorEventView, ConnectorSettings, ConnectorView, OrderFacts, Outcome, Platform,
};
use nps_shared::invitation::Claims;

/// A connector as kept: with the secret its platform signs with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Connector {
    pub id: String,
    pub platform: Platform,
    pub survey_id: String,
    pub secret: String,
    pub settings: ConnectorSettings,
    pub created_at: String,
    /// Deleted connectors are kept (their events stay readable); their URL is 410.
    pub deleted_at: Option<String>,
}

impl Connector {
    /// As the API shows it, with the receiver URL under `base_url`.
    pub fn view(&self, base_url: &str) -> ConnectorView {
        ConnectorView {
            id: self.id.clone(),
            platform: self.platform,
            survey_id: self.survey_id.clone(),
            url: receiver_url(base_url, &self.id),
            settings: self.settings.clone(),
            created_at: self.created_at.clone(),
        }
    }
}

/// The URL a shop posts its webhooks to (the router's `/hooks/connectors/:id`).
pub fn receiver_url(base_url: &str, id: &str) -> String {
    format!("{base_url}/hooks/connectors/{id}")
}

/// One received webhook as logged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectorEvent {
    /// `cev_…`, time-ordered: the list's order and cursor.
    pub id: String,
    pub connector_id: String,
    pub event_id: Option<String>,
    pub topic: Option<String>,
    pub outcome: Outcome,
    pub reason: Option<String>,
    pub order_id: Option<String>,
    /// What an order event said about the order, for its delivery event.
    pub facts: Option<OrderFacts>,
    pub invitation_id: Option<String>,
    pub received_at: String,
}

pub trait ConnectorStore {
    async fn insert_connector(&self, connector: &Connector) -> StoreResult<()>;
    /// Deleted ones too.
    async fn get_connector(&self, id: &str) -> StoreResult<Option<Connector>>;
    /// Those not deleted, newest first.
    async fn list_connectors(&self) -> StoreResult<Vec<Connector>>;
    /// Marks it deleted; `false` when there is no such connector not deleted yet.
    async fn delete_connector(&self, id: &str, at: &str) -> StoreResult<bool>;
    /// Logs an event that creates nothing (ignored, a remembered order, a bad
    /// signature).
    async fn log_connector_event(&self, event: &ConnectorEvent) -> StoreResult<()>;
    /// The newest facts an event of this connector left about the order.
    async fn order_facts(
        &self,
        connector_id: &str,
        order_id: &str,
    ) -> StoreResult<Option<OrderFacts>>;
    /// Logs `event` as accepted and stores its invitation, in one atomic write —
    /// unless an accepted event of the connector has the same event id or the same
    /// order: then `event` is logged as a duplicate naming the earlier invitation, and
    /// no invitation is stored. Which of the two it was. Three statements.
    async fn accept_connector_event(
        &self,
        event: &ConnectorEvent,
        invitation: &Invitation,
        claims: &Claims,
    ) -> StoreResult<Outcome>;
    /// Newest first, below `before` (an event id) when given; with each invitation's
    /// link while it is kept. One query.
    async fn list_connector_events(
        &self,
        connector_id: &str,
        before: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<ConnectorEventView>>;
}
