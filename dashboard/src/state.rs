//! The state every section shares through Leptos' context: the admin [`Session`] (the
//! token, kept in `sessionStorage`), the [`Surveys`] the token can see with the one
//! chosen, and the unsaved [`Drafts`] of the survey editor.
//!
//! Below both the frame (`crate::app`, which creates and provides them) and the
//! sections (`crate::views`, which read them): it must not depend on either. Network
//! calls stay in `crate::api`; the form model is `crate::survey_form`.

use std::collections::BTreeMap;

use leptos::prelude::*;
use nps_shared::api::SurveyView;
use nps_shared::staff::{Me, Scope};

use crate::api::{Api, ApiError};
use crate::survey_form::SurveyForm;

/// Where the token is kept: per tab, gone when the tab closes.
const TOKEN_KEY: &str = "nps-admin-token";

/// Who is signed in, shared by every view through the context.
#[derive(Clone, Copy, Debug)]
pub struct Session {
    pub token: RwSignal<Option<String>>,
    /// Why the sign-in form is showing again (an expired or refused token).
    pub notice: RwSignal<Option<String>>,
    /// Who the token is and its scopes (`GET /v1/me`), once known: the dashboard shows
    /// only what they allow (the server enforces it either way).
    pub me: RwSignal<Option<Me>>,
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok()?
}

impl Session {
    pub fn restore() -> Session {
        let token = storage()
            .and_then(|s| s.get_item(TOKEN_KEY).ok().flatten())
            .filter(|t| !t.is_empty());
        Session {
            token: RwSignal::new(token),
            notice: RwSignal::new(None),
            me: RwSignal::new(None),
        }
    }

    pub fn sign_in(&self, token: String) {
        if let Some(storage) = storage() {
            // A full or disabled storage only means signing in again after a reload.
            let _ = storage.set_item(TOKEN_KEY, &token);
        }
        self.notice.set(None);
        self.token.set(Some(token));
    }

    pub fn sign_out(&self, notice: Option<String>) {
        if let Some(storage) = storage() {
            let _ = storage.remove_item(TOKEN_KEY);
        }
        self.notice.set(notice);
        self.me.set(None);
        self.token.set(None);
    }

    /// Whether the signed-in token holds `scope` (tracked: views update when `/v1/me`
    /// arrives). Unknown until then: nothing scoped shows.
    pub fn allows(&self, scope: Scope) -> bool {
        self.me
            .with(|me| me.as_ref().is_some_and(|me| me.allows(scope)))
    }

    /// The API with the current token (read without subscribing).
    pub fn api(&self) -> Result<Api, ApiError> {
        self.token
            .get_untracked()
            .map(|token| Api::new(&token))
            .ok_or(ApiError {
                status: 401,
                title: "Not signed in".into(),
                detail: None,
                fields: Vec::new(),
            })
    }

    /// Passes a result through; a refused token sends the page back to sign-in.
    pub fn check<T>(&self, result: Result<T, ApiError>) -> Result<T, ApiError> {
        if let Err(error) = &result
            && error.is_auth()
            && self.token.get_untracked().is_some()
        {
            self.sign_out(Some(format!(
                "Signed out: the API refused the token ({}).",
                error.title
            )));
        }
        result
    }
}

/// The surveys the token can see and the one chosen in the picker, shared so that the
/// editor can add a survey it created or rename one it saved.
#[derive(Clone, Copy, Debug)]
pub struct Surveys {
    /// `None` while loading; the error if the list could not be read.
    pub list: RwSignal<Option<Result<Vec<SurveyView>, ApiError>>>,
    pub chosen: RwSignal<Option<String>>,
}

impl Surveys {
    /// Puts a created or saved survey into the list (replacing its older self).
    pub fn upsert(&self, survey: SurveyView) {
        self.list.update(|list| {
            if let Some(Ok(list)) = list {
                match list.iter_mut().find(|s| s.id == survey.id) {
                    Some(existing) => *existing = survey,
                    None => list.push(survey),
                }
            }
        });
    }
}

/// Edited, unsaved survey forms by survey id (`""` for a survey not created yet): the
/// editor leaves its work here, so that looking at another section or survey and
/// coming back loses nothing, and leaving the page asks first.
#[derive(Clone, Copy, Debug)]
pub struct Drafts(pub RwSignal<BTreeMap<String, SurveyForm>>);
