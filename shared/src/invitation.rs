//! Invitation tokens: what an e-mail link or an order page carries so that an answer
//! is tied to an order, a customer and (for a re-ask) a detractor case, without the
//! customer being able to change any of it — and without the link saying who they are.
//!
//! A token is `v2.<invitation id>.<mac>`: a reference to the invitation the server
//! keeps (its [`Claims`]: order, respondent, properties, case, expiry live in the
//! `invitations` table only) and an HMAC-SHA256 over `v2.<invitation id>` with the
//! server's `INVITATION_SECRET`, base64url. Nothing personal travels in the link; an
//! invitation whose row is gone (its respondent was erased) is withdrawn.
//!
//! Tokens issued before (`v1.<claims>.<mac>`, the claims as base64url JSON) are still
//! read until they expire ([`Token::Legacy`]): they are out in e-mails already, and
//! refusing them would lose those answers without taking the data back out of the
//! mailboxes. None are issued any more.

use crate::api::Respondent;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::collections::BTreeMap;

/// Longest token accepted (it travels in URLs and e-mail links).
pub const MAX_TOKEN_CHARS: usize = 1024;
const VERSION: &str = "v2";
const LEGACY: &str = "v1";

/// What an invitation vouches for: kept by the server, never in the link (since v2).
/// Short field names kept from v1 tokens, which carried these as JSON.
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
    /// Unix seconds after which the invitation is refused.
    #[serde(rename = "e")]
    pub expires_at: i64,
}

/// A genuine token, read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Token {
    /// `v2`: the invitation to look up; its expiry is checked once it is found.
    Reference(String),
    /// `v1`, issued before references: its signed, unexpired claims.
    Legacy(Claims),
}

impl Token {
    pub fn invitation_id(&self) -> &str {
        match self {
            Token::Reference(id) => id,
            Token::Legacy(claims) => &claims.invitation_id,
        }
    }
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

/// The token of the invitation `invitation_id` (an id of ours: URL-safe).
pub fn sign(secret: &[u8], invitation_id: &str) -> Result<String, TokenError> {
    if !is_reference(invitation_id) {
        return Err(TokenError::Malformed);
    }
    let signed_part = format!("{VERSION}.{invitation_id}");
    let tag = mac(secret, &signed_part).finalize().into_bytes();
    Ok(format!("{signed_part}.{}", B64URL.encode(tag)))
}

/// A v1 token (claims in the link), as tokens were issued before v2. Not issued any
/// more; here so that the links still out in e-mails can be tested.
pub fn sign_v1(secret: &[u8], claims: &Claims) -> Result<String, TokenError> {
    let json = serde_json::to_vec(claims).map_err(|_| TokenError::Malformed)?;
    let signed_part = format!("{LEGACY}.{}", B64URL.encode(json));
    let tag = mac(secret, &signed_part).finalize().into_bytes();
    let token = format!("{signed_part}.{}", B64URL.encode(tag));
    if token.len() > MAX_TOKEN_CHARS {
        return Err(TokenError::TooLong);
    }
    Ok(token)
}

fn is_reference(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Reads a genuine token: its MAC checked (in constant time); a v1 token's claims
/// also checked for expiry (a v2 reference is checked once its invitation is found).
pub fn read(secret: &[u8], token: &str, now_unix_seconds: i64) -> Result<Token, TokenError> {
    if token.len() > MAX_TOKEN_CHARS {
        return Err(TokenError::Malformed);
    }
    let (signed_part, tag) = token.rsplit_once('.').ok_or(TokenError::Malformed)?;
    let (version, body) = signed_part.split_once('.').ok_or(TokenError::Malformed)?;
    if !matches!(version, VERSION | LEGACY) || (version == VERSION && !is_reference(body)) {
        return Err(TokenError::Malformed);
    }
    let tag = B64URL.decode(tag).map_err(|_| TokenError::Malformed)?;
    mac(secret, signed_part)
        .verify_slice(&tag)
        .map_err(|_| TokenError::BadSignature)?;
    if version == VERSION {
        return Ok(Token::Reference(body.to_string()));
    }
    let json = B64URL.decode(body).map_err(|_| TokenError::Malformed)?;
    let claims: Claims = serde_json::from_slice(&json).map_err(|_| TokenError::Malformed)?;
    check_expiry(&claims, now_unix_seconds)?;
    Ok(Token::Legacy(claims))
}

/// Whether the invitation may still be answered at `now_unix_seconds`.
pub fn check_expiry(claims: &Claims, now_unix_seconds: i64) -> Result<(), TokenError> {
    if now_unix_seconds > claims.expires_at {
        return Err(TokenError::Expired);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"a local invitation secret";
    const ID: &str = "inv_01jd0000000000000000000000";

    fn claims() -> Claims {
        Claims {
            invitation_id: ID.into(),
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
    fn a_token_is_the_reference_and_its_mac_and_reads_back_to_the_reference() {
        let token = sign(SECRET, ID).unwrap();
        let (signed, tag) = token.rsplit_once('.').unwrap();
        assert_eq!(signed, format!("v2.{ID}"));
        // The MAC as any HMAC-SHA256 computes it (RFC 2104), base64url without padding.
        let expected = <Hmac<Sha256> as Mac>::new_from_slice(SECRET)
            .unwrap()
            .chain_update(format!("v2.{ID}"))
            .finalize()
            .into_bytes();
        assert_eq!(B64URL.decode(tag).unwrap(), expected.to_vec());
        assert!(
            token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_')),
            "URL-safe"
        );
        assert_eq!(read(SECRET, &token, 0), Ok(Token::Reference(ID.into())));
    }

    #[test]
    fn a_token_says_nothing_about_whom_it_invites() {
        let token = sign(SECRET, ID).unwrap();
        for part in token.split('.') {
            let decoded = B64URL.decode(part).unwrap_or_default();
            let text = String::from_utf8_lossy(&decoded);
            for secret in ["cust-42", "kim@example.com", "1001", "berlin"] {
                assert!(!part.contains(secret) && !text.contains(secret), "{part}");
            }
        }
    }

    #[test]
    fn a_tampered_token_or_another_secret_is_refused() {
        let token = sign(SECRET, ID).unwrap();
        let (_, tag) = token.rsplit_once('.').unwrap();
        let other = "inv_01jd0000000000000000000001";
        assert_eq!(
            read(SECRET, &format!("v2.{other}.{tag}"), 0),
            Err(TokenError::BadSignature)
        );
        assert_eq!(
            read(b"another secret", &token, 0),
            Err(TokenError::BadSignature)
        );
        assert_eq!(read(SECRET, "v2.e30", 0), Err(TokenError::Malformed));
        assert_eq!(read(SECRET, "v3.inv_1.AAAA", 0), Err(TokenError::Malformed));
        assert_eq!(read(SECRET, "v2.inv 1.AAAA", 0), Err(TokenError::Malformed));
        assert_eq!(read(SECRET, "garbage", 0), Err(TokenError::Malformed));
        assert_eq!(sign(SECRET, "inv.1"), Err(TokenError::Malformed));
    }

    #[test]
    fn a_v1_token_from_before_is_still_read_until_it_expires() {
        let token = sign_v1(SECRET, &claims()).unwrap();
        assert!(token.starts_with("v1."));
        assert_eq!(
            read(SECRET, &token, 2_000_000_000),
            Ok(Token::Legacy(claims()))
        );
        assert_eq!(
            read(SECRET, &token, 2_000_000_001),
            Err(TokenError::Expired)
        );
        let mut forged = claims();
        forged.order_id = Some("9999".into());
        let (forged_part, _) = sign_v1(b"attacker", &forged)
            .unwrap()
            .rsplit_once('.')
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .unwrap();
        let (_, tag) = token.rsplit_once('.').unwrap();
        assert_eq!(
            read(SECRET, &format!("{forged_part}.{tag}"), 0),
            Err(TokenError::BadSignature)
        );
    }

    #[test]
    fn an_invitation_expires_after_its_time() {
        assert_eq!(check_expiry(&claims(), 2_000_000_000), Ok(()));
        assert_eq!(
            check_expiry(&claims(), 2_000_000_001),
            Err(TokenError::Expired)
        );
    }
}
