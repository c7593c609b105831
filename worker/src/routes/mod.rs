//! Route handlers: each parses the request, calls one service, and maps the result to
//! an HTTP response. No business rules here; those live in `service`.

pub mod actions;
pub mod archive;
pub mod campaigns;
pub mod cases;
pub mod coaching;
pub mod connectors;
pub mod exports;
pub mod invitations;
pub mod limits;
pub mod mail;
pub mod respondents;
pub mod responses;
pub mod staff;
pub mod surveys;
pub mod webhooks;

/// Records in the audit log that `who` made `change`, after the change was stored: a
/// failure here is logged and loses no change (the change is what the client asked
/// for; the entry is its follow-up).
pub async fn audit(
    app: &crate::app::App,
    who: &nps_shared::staff::Principal,
    change: crate::service::audit::Change,
) {
    let what = format!("{} {}", change.action, change.target_id);
    let recorded =
        crate::service::audit::record(&app.store, who, change, crate::app::now_ms()).await;
    log_follow_ups(&crate::service::Done::new(()).unless(recorded), &what);
}

/// Logs what failed after a write that stands (`service::Done`): the client gets its
/// success, the operator sees what the sweeper or a retry will have to make up for.
pub fn log_follow_ups<T>(done: &crate::service::Done<T>, what: &str) {
    for e in &done.failed_follow_ups {
        worker::console_warn!("{what} stored; a follow-up failed: {e}");
    }
}
