//! Route handlers: each parses the request, calls one service, and maps the result to
//! an HTTP response. No business rules here; those live in `service`.

pub mod cases;
pub mod invitations;
pub mod limits;
pub mod respondents;
pub mod responses;
pub mod surveys;
pub mod webhooks;

/// Logs what failed after a write that stands (`service::Done`): the client gets its
/// success, the operator sees what the sweeper or a retry will have to make up for.
pub fn log_follow_ups<T>(done: &crate::service::Done<T>, what: &str) {
    for e in &done.failed_follow_ups {
        worker::console_warn!("{what} stored; a follow-up failed: {e}");
    }
}
