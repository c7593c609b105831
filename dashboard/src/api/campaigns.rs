//! The campaign calls of [`Api`]: a customer list uploaded as the body (`text/csv`)
//! with the settings in the query string, the list and one campaign's progress, pause
//! and resume (deleting is the API's: `DELETE /v1/campaigns/{id}`).

use gloo_net::http::Request;
use nps_shared::campaign::{CampaignList, CampaignView, UpdateCampaign};

use super::{Api, ApiError, decode};
use crate::format::encode_component;

/// What the create form sends besides the list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewCampaign {
    pub survey_id: String,
    pub name: String,
    /// `once`, `quarterly` or `half_yearly`.
    pub schedule: String,
}

impl Api {
    /// Creates a campaign of `csv` (the file as chosen, read as text).
    pub async fn create_campaign(
        &self,
        settings: &NewCampaign,
        csv: String,
    ) -> Result<CampaignView, ApiError> {
        let path = format!(
            "/v1/campaigns?survey_id={}&name={}&schedule={}",
            encode_component(&settings.survey_id),
            encode_component(&settings.name),
            encode_component(&settings.schedule)
        );
        let request = self
            .authorized(Request::post(&path))
            .header("Content-Type", "text/csv")
            .body(csv)
            .map_err(|e| ApiError::local(e.to_string()))?;
        decode(request.send().await).await
    }

    pub async fn campaigns(&self) -> Result<CampaignList, ApiError> {
        self.get("/v1/campaigns").await
    }

    pub async fn campaign(&self, campaign_id: &str) -> Result<CampaignView, ApiError> {
        self.get(&format!("/v1/campaigns/{}", encode_component(campaign_id)))
            .await
    }

    /// `paused` or `active`.
    pub async fn set_campaign_status(
        &self,
        campaign_id: &str,
        status: &str,
    ) -> Result<CampaignView, ApiError> {
        let body = UpdateCampaign {
            status: status.to_owned(),
        };
        self.send(
            Request::patch(&format!("/v1/campaigns/{}", encode_component(campaign_id))),
            &body,
        )
        .await
    }
}
