//! Who calls an admin route: the [`Principal`] of a request, and whether its scopes
//! reach what the route needs. The route table (`router`) states the scope each staff
//! route needs; this module only answers "who is it" and "may they".
//!
//! Resolution, in order:
//! 1. Cloudflare Access: when `ACCESS_TEAM_DOMAIN` and `ACCESS_AUD` are set, a
//!    verified `Cf-Access-Jwt-Assertion` is the person it names
//!    (`Principal::access_user(email)`, who cannot be renamed by `X-Actor`); an
//!    assertion that is present but does not verify is a counted 401, even beside a
//!    right token (the JWT check itself lives in `access`).
//! 2. `Authorization: Bearer <ADMIN_TOKEN>`: the bootstrap admin, named by `X-Actor`
//!    if sent (the shared token names nobody, so its holder says who they are), else
//!    "admin".
//! 3. `Authorization: Bearer <API key secret>`: that key, named by the key's name
//!    (`X-Actor` is ignored); an unknown or revoked key is refused.
//!
//! Anything else is 401 and counts towards the lock-out (`router::admitted`); a right
//! credential always gets in. A right credential whose scopes fall short is 403,
//! which is not a failed authentication and does not count. Tokens are compared in
//! constant time (the bootstrap) or by hash (keys) and never echoed or logged.

use crate::app::{App, now_ms};
use crate::error::ApiError;
use crate::service::api_keys;
use nps_shared::problem::ProblemKind;
use nps_shared::staff::{Principal, Scope, secret};
use worker::Request;

/// The shortest admin token taken: 32 characters of a random token are far beyond
/// guessing at any rate, and `scripts/dev.sh` makes 52.
pub const MIN_ADMIN_TOKEN_CHARS: usize = 32;

/// The principal of `req`, or the problem that refuses it.
pub async fn resolve(req: &Request, app: &App) -> Result<Principal, ApiError> {
    if let Some(user) = crate::access::signed_in(req, app).await? {
        return Ok(Principal::access_user(&user.email));
    }
    let header = req.headers().get("Authorization")?.unwrap_or_default();
    let token = bearer(&header)?;
    let admin = bootstrap(token, app.admin_token.as_deref());
    if admin == Bootstrap::Matches {
        let x_actor = req.headers().get("X-Actor")?;
        return Ok(Principal::bootstrap(x_actor.as_deref()));
    }
    let found = api_keys::authenticate(&app.store, token, now_ms())
        .await
        .map_err(ApiError::unavailable)?;
    crate::routes::log_follow_ups(&found, "an API key's use");
    match (found.value, admin) {
        (Some(principal), _) => Ok(principal),
        (None, Bootstrap::Unconfigured(why)) if !secret::looks_like_key(token) => {
            Err(ApiError::unavailable(why))
        }
        (None, _) => Err(not_valid()),
    }
}

/// 403 unless `principal` holds `needed` (or a scope that implies it).
pub fn require(principal: &Principal, needed: Scope) -> Result<(), ApiError> {
    if principal.allows(needed) {
        return Ok(());
    }
    let held: Vec<&str> = principal.scopes.iter().map(|s| s.as_str()).collect();
    Err(ApiError::new(
        ProblemKind::Forbidden,
        format!(
            "this needs the '{needed}' scope; {} holds {}",
            principal.actor,
            held.join(", ")
        ),
    ))
}

/// The token of `Authorization: Bearer <token>`; 401 without one. Only a credential
/// that was presented and is wrong counts towards the lock-out: a request with none at
/// all guesses nothing (the dashboard asks `/v1/me` without a token on every opening,
/// to learn whether Cloudflare Access signed the person in).
pub fn bearer(header: &str) -> Result<&str, ApiError> {
    const ASK: &str = "send Authorization: Bearer <admin token or API key>";
    if header.trim().is_empty() {
        return Err(ApiError::new(ProblemKind::Unauthorized, ASK));
    }
    header
        .strip_prefix("Bearer ")
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::auth_failure(ProblemKind::Unauthorized, ASK))
}

fn not_valid() -> ApiError {
    ApiError::auth_failure(
        ProblemKind::Unauthorized,
        "the token is not valid: send the admin token or an API key that is not revoked",
    )
}

/// What the bootstrap token says about a given token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bootstrap {
    Matches,
    Differs,
    /// No usable `ADMIN_TOKEN`: why (unset, or too short to be safe from guessing).
    Unconfigured(&'static str),
}

/// Compares `given` with the bootstrap token in constant time.
pub fn bootstrap(given: &str, expected: Option<&str>) -> Bootstrap {
    let Some(expected) = expected else {
        return Bootstrap::Unconfigured("ADMIN_TOKEN is not configured");
    };
    // The length of the token is what keeps it from being guessed: the lock-out only
    // slows wrong tokens down and never refuses the right one.
    if expected.chars().count() < MIN_ADMIN_TOKEN_CHARS {
        return Bootstrap::Unconfigured(
            "ADMIN_TOKEN is too short: use at least 32 random characters",
        );
    }
    if nps_shared::origin::tokens_match(expected, given) {
        Bootstrap::Matches
    } else {
        Bootstrap::Differs
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nps_shared::staff::Credential;

    const TOKEN: &str = "s3cret-token-of-thirty-two-chars";

    #[test]
    fn the_bearer_token_is_read_and_a_malformed_one_is_401_counted() {
        assert_eq!(bearer(&format!("Bearer {TOKEN}")).ok(), Some(TOKEN));
        for header in ["Basic czNjcmV0", "Bearer ", "bearer x"] {
            let error = bearer(header).unwrap_err();
            assert_eq!(error.status(), 401, "{header:?}");
            assert!(error.is_auth_failure());
        }
    }

    #[test]
    fn no_credential_at_all_is_401_but_guesses_nothing() {
        for header in ["", "  "] {
            let error = bearer(header).unwrap_err();
            assert_eq!(error.status(), 401, "{header:?}");
            assert!(!error.is_auth_failure(), "{header:?} is not counted");
        }
    }

    #[test]
    fn the_bootstrap_token_matches_exactly_and_a_short_or_missing_one_is_unconfigured() {
        assert_eq!(bootstrap(TOKEN, Some(TOKEN)), Bootstrap::Matches);
        assert_eq!(
            bootstrap(&format!("{TOKEN}x"), Some(TOKEN)),
            Bootstrap::Differs
        );
        assert_eq!(
            bootstrap("s3cret-token-of-thirty-two-charX", Some(TOKEN)),
            Bootstrap::Differs
        );
        assert!(matches!(
            bootstrap("letmein", Some("letmein")),
            Bootstrap::Unconfigured(_)
        ));
        assert!(matches!(
            bootstrap("anything", None),
            Bootstrap::Unconfigured(_)
        ));
    }

    #[test]
    fn a_wrong_token_is_401_and_never_echoed() {
        let error = not_valid();
        assert_eq!(error.status(), 401);
        assert!(error.is_auth_failure());
        assert!(!format!("{error:?}").contains("s3cret"));
    }

    #[test]
    fn a_scope_short_of_the_route_is_403_naming_it_and_not_an_auth_failure() {
        let reader = Principal {
            actor: "reports".into(),
            scopes: vec![Scope::Read],
            credential: Credential::ApiKey { id: "key_1".into() },
        };
        assert!(require(&reader, Scope::Read).is_ok());
        let error = require(&reader, Scope::Admin).unwrap_err();
        assert_eq!(error.status(), 403);
        assert!(!error.is_auth_failure());
        assert!(format!("{error:?}").contains("'admin' scope"));
        assert!(require(&reader, Scope::Cases).is_err());
        let admin = Principal::bootstrap(None);
        for scope in Scope::ALL {
            assert!(require(&admin, scope).is_ok());
        }
    }
}
