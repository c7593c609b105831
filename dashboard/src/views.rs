//! The dashboard's sections, one module each. Each reads the [`crate::state::Session`]
//! from the context, calls `crate::api`, and renders comments and other text that came
//! from customers as text nodes only.

pub mod actions;
pub mod api_keys;
pub mod audit;
pub mod campaigns;
pub mod cases;
pub mod coaching;
pub mod connectors;
pub mod editor;
pub mod embed;
pub mod exports;
pub mod mail;
pub mod overview;
pub mod playbook;
pub mod preview;
pub mod signin;
pub mod webhooks;
