//! Invitation tokens: what an e-mail link or an order page carries so that an answer
//! is tied to an order, a customer and (for a re-ask) a detractor case, without the
//! customer being able to change any of it. A token is `v1.<claims>.<mac>`: the claims
//! as base64url JSON, and an HMAC-SHA256 over `v1.<claims>` with the server's
//! `INVITATION_SECRET`. Tokens expire; one answer per order is enforced where answers
//! are stored.

use crate::api::Respondent;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::collections::BTreeMap;

/// Longest token accepted (it travels in URLs and e-mail links).
pub const MAX_TOKEN_CHARS: usize = 1024;
const VERSION: &str = "v1";

/// What a token vouches for. Short field names keep e-mail links short.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// `inv_…`
    #[serde(rename = "i")]
    pub invitation_id: String,
    #[serde(rename = "s")]
    pub survey_id: String,
    #[serde(rename = "o", default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    #[serde(rename = "r", default, skip_serializing_if = "Respondent::is_empty")]
    pub respondent: Respondent,
    #[serde(rename = "p", default, skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: BTreeMap<String, String>,
    /// The detractor case this invitation re-asks, if any.
    #[serde(rename = "c", default, skip_serializing_if = "Option::is_none")]
    pub case_id: Option<String>,
    /// Unix seconds after which the token is refused.
    #[serde(rename = "e")]
    pub expires_at: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the invitation token is malformed")]
    Malformed,
    #[error("the invitation token's signature is not valid")]
    BadSignature,
    #[error("the invitation has expired")]
    Expired,
    #[error("the invitation is too large for a link; send fewer properties")]
    TooLong,
}

fn mac(secret: &[u8], signed_part: &str) -> Hmac<Sha256> {
    // HMAC takes keys of any length.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).unwrap_or_else(|_| unreachable!());
    mac.update(signed_part.as_bytes());
    mac
}

/// Signs `claims` into a token.
pub fn sign(secret: &[u8], claims: &Claims) -> Result<String, TokenError> {
    let json = serde_json::to_vec(claims).map_err(|_| TokenError::Malformed)?;
    let signed_part = format!("{VERSION}.{}", B64URL.encode(json));
    let tag = mac(secret, &signed_part).finalize().into_bytes();
    let token = format!("{signed_part}.{}", B64URL.encode(tag));
    if token.len() > MAX_TOKEN_CHARS {
        return Err(TokenError::TooLong);
    }
    Ok(token)
}

/// The claims of a genuine, unexpired token.
pub fn verify(secret: &[u8], token: &str, now_unix_seconds: i64) -> Result<Claims, TokenError> {
    if token.len() > MAX_TOKEN_CHARS {
        return Err(TokenError::Malformed);
    }
    let (signed_part, tag) = token.rsplit_once('.').ok_or(TokenError::Malformed)?;
    let claims_part = signed_part
        .strip_prefix("v1.")
        .ok_or(TokenError::Malformed)?;
    let tag = B64URL.decode(tag).map_err(|_| TokenError::Malformed)?;
    mac(secret, signed_part)
        .verify_slice(&tag)
        .map_err(|_| TokenError::BadSignature)?;
    let json = B64URL
        .decode(claims_part)
        .map_err(|_| TokenError::Malformed)?;
    let claims: Claims = serde_json::from_slice(&json).map_err(|_| TokenError::Malformed)?;
    if now_unix_seconds > claims.expires_at {
        return Err(TokenError::Expired);
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"a local invitation secret";

    fn claims() -> Claims {
        Claims {
            invitation_id: "inv_1".into(),
            survey_id: "s_demo".into(),
            order_id: Some("1001".into()),
            respondent: Respondent {
                id: Some("cust-42".into()),
                email: Some("kim@example.com".into()),
            },
            properties: [("store".to_string(), "berlin".to_string())].into(),
            case_id: None,
            expires_at: 2_000_000_000,
        }
    }

    #[test]
    fn a_signed_token_verifies_to_its_claims() {
        let token = sign(SECRET, &claims()).unwrap();
        assert!(token.starts_with("v1."));
        assert!(
            token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_')),
            "URL-safe"
        );
        assert_eq!(verify(SECRET, &token, 1_900_000_000), Ok(claims()));
    }

    #[test]
    fn a_tampered_token_or_another_secret_is_refused() {
        let token = sign(SECRET, &claims()).unwrap();
        let mut forged = claims();
        forged.order_id = Some("9999".into());
        let forged_claims = sign(b"attacker", &forged).unwrap();
        let (_, tag) = token.rsplit_once('.').unwrap();
        let (forged_part, _) = forged_claims.rsplit_once('.').unwrap();
        assert_eq!(
            verify(SECRET, &format!("{forged_part}.{tag}"), 0),
            Err(TokenError::BadSignature)
        );
        assert_eq!(
            verify(b"another secret", &token, 0),
            Err(TokenError::BadSignature)
        );
        assert_eq!(verify(SECRET, "v1.e30", 0), Err(TokenError::Malformed));
        assert_eq!(verify(SECRET, "garbage", 0), Err(TokenError::Malformed));
    }

    #[test]
    fn an_expired_token_is_refused() {
        let token = sign(SECRET, &claims()).unwrap();
        assert_eq!(verify(SECRET, &token, 2_000_000_000), Ok(claims()));
        assert_eq!(
            verify(SECRET, &token, 2_000_000_001),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn a_token_too_long_for_a_link_is_not_made() {
        let mut big = claims();
        big.properties = (0..20)
            .map(|i| (format!("k{i}"), "x".repeat(100)))
            .collect();
        assert_eq!(sign(SECRET, &big), Err(TokenError::TooLong));
    }
}
