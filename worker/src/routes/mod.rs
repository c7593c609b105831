//! Route handlers: each parses the request, calls one service, and maps the result to
//! an HTTP response. No business rules here; those live in `service`.

pub mod cases;
pub mod invitations;
pub mod limits;
pub mod respondents;
pub mod responses;
pub mod surveys;
pub mod webhooks;
