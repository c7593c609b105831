//! Identity verification of respondents (as Intercom's and Zendesk's): which claimed
//! identities the server believes, and the one rule that turns a believed identity
//! into the per-person key.
//!
//! A page may say who answers (`respondent.id`, `respondent.email`); anybody can say
//! anything, so a claim alone proves nothing. An identity is [`Verified`] when
//! - the shop's server vouched for it: `respondent.user_hash` is
//!   `hex(HMAC-SHA256(IDENTITY_SECRET, subject))`, the subject being `respondent.id`
//!   as sent, or `respondent.email` as sent when there is no id ([`user_hash`]); or
//! - it came from an invitation, whose data the server keeps itself.
//!
//! Only a [`Verified`] identity links an answer to a person: it is stored as the
//! answer's `respondent`, its [`Verified::person_key`] is what the throttle counts, the
//! cases it opens carry it and a later verified answer wins them back; erase finds it.
//! What was claimed without proof is kept as the answer's properties
//! [`CLAIMED_ID`] and [`CLAIMED_EMAIL`] and links to nobody ([`Identity::Claimed`]).
//!
//! Depends on `respondent` (the claim) and `validate` (e-mail normalisation, the hash
//! of the key) only.

pub use crate::respondent::IdentityPolicy;
use crate::respondent::Respondent;
use crate::validate::{fingerprint, normalize_email};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The property an unverified `respondent.id` is kept under.
pub const CLAIMED_ID: &str = "claimed_id";
/// The property an unverified `respondent.email` is kept under.
pub const CLAIMED_EMAIL: &str = "claimed_email";
pub use crate::validate::USER_HASH_CHARS;

/// What `user_hash` is computed over: the id when there is one, else the e-mail.
pub fn subject(claim: &Respondent) -> Option<&str> {
    claim.id.as_deref().or(claim.email.as_deref())
}

/// `hex(HMAC-SHA256(secret, subject))`, lower-case: what the shop's server computes
/// and passes to `nps('identify', {id, user_hash})`.
pub fn user_hash(secret: &[u8], subject: &str) -> String {
    mac(secret, subject)
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn mac(secret: &[u8], subject: &str) -> Hmac<Sha256> {
    // HMAC takes keys of any length.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).unwrap_or_else(|_| unreachable!());
    mac.update(subject.as_bytes());
    mac
}

/// Whether `hash` (hex, either case) is the `user_hash` of `subject`, compared in
/// constant time.
pub fn hash_matches(secret: &[u8], subject: &str, hash: &str) -> bool {
    let Some(tag) = decode_hex(hash) else {
        return false;
    };
    mac(secret, subject).verify_slice(&tag).is_ok()
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if text.len() != USER_HASH_CHARS {
        return None;
    }
    let digit = |b: u8| (b as char).to_digit(16);
    text.as_bytes()
        .chunks(2)
        .map(|pair| Some((digit(pair[0])? * 16 + digit(pair[1])?) as u8))
        .collect()
}

/// An identity the server believes. Built only by [`Identity::check`] and
/// [`Verified::from_invitation`], so whatever holds one was checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified(Respondent);

impl Verified {
    /// Who an invitation was issued for: the shop said so through the admin API.
    pub fn from_invitation(respondent: Respondent) -> Verified {
        Verified(respondent)
    }

    pub fn respondent(&self) -> &Respondent {
        &self.0
    }

    pub fn into_respondent(self) -> Respondent {
        self.0
    }

    /// The one per-person key, for the throttle: SHA-256 of the survey and the
    /// lower-cased e-mail, or of the id when there is no e-mail. Matches one person
    /// across the widget, e-mail and links without storing the address twice.
    pub fn person_key(&self, survey_id: &str) -> Option<String> {
        let who = match (&self.0.email, &self.0.id) {
            (Some(email), _) => format!("email:{}", normalize_email(email)),
            (None, Some(id)) => format!("id:{}", id.trim()),
            (None, None) => return None,
        };
        Some(fingerprint(format!("{survey_id}\n{who}").as_bytes()))
    }
}

/// Why a claimed identity was not believed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Unverified {
    #[error("is required: this survey takes only verified respondents")]
    Missing,
    #[error(
        "does not match (hex HMAC-SHA256 of respondent.id, or respondent.email without an id, with IDENTITY_SECRET)"
    )]
    Mismatch,
    #[error("cannot be checked: the server has no IDENTITY_SECRET")]
    NoSecret,
}

/// A page's claim, checked: what is believed, and what stays a claim.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Identity {
    /// The identity the server believes, if any.
    pub verified: Option<Verified>,
    /// What was claimed without proof; kept as [`CLAIMED_ID`] / [`CLAIMED_EMAIL`].
    pub claimed: Respondent,
    /// Why nobody was verified although somebody was claimed.
    pub refused: Option<Unverified>,
}

impl Identity {
    /// Checks `claim` with its `user_hash`. With both an id and an e-mail, the hash
    /// covers the id only, so the e-mail stays a claim: a person signed in as
    /// themselves must not borrow another person's address (the person key, and so
    /// the throttle, prefers the e-mail).
    pub fn check(claim: Respondent, hash: Option<&str>, secret: Option<&[u8]>) -> Identity {
        let Some(subject) = subject(&claim) else {
            return Identity::default();
        };
        let refused = match (hash, secret) {
            (None, _) => Unverified::Missing,
            (Some(_), None) => Unverified::NoSecret,
            (Some(hash), Some(secret)) if hash_matches(secret, subject, hash) => {
                let Respondent { id, email } = claim;
                return match id {
                    Some(id) => Identity {
                        verified: Some(Verified(Respondent {
                            id: Some(id),
                            email: None,
                        })),
                        claimed: Respondent { id: None, email },
                        refused: None,
                    },
                    None => Identity {
                        verified: Some(Verified(Respondent { id: None, email })),
                        ..Identity::default()
                    },
                };
            }
            (Some(_), Some(_)) => Unverified::Mismatch,
        };
        Identity {
            verified: None,
            claimed: claim,
            refused: Some(refused),
        }
    }

    /// What an invitation fixed: believed as it is.
    pub fn invited(respondent: Respondent) -> Identity {
        Identity {
            verified: (!respondent.is_empty()).then_some(Verified(respondent)),
            ..Identity::default()
        }
    }

    /// The claimed id and e-mail as answer properties (`claimed_id`, `claimed_email`).
    pub fn claimed_properties(&self) -> impl Iterator<Item = (String, String)> + '_ {
        [
            (CLAIMED_ID, &self.claimed.id),
            (CLAIMED_EMAIL, &self.claimed.email),
        ]
        .into_iter()
        .filter_map(|(name, value)| Some((name.to_string(), value.clone()?)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"a shop's identity secret";

    fn claim(id: Option<&str>, email: Option<&str>) -> Respondent {
        Respondent {
            id: id.map(Into::into),
            email: email.map(Into::into),
        }
    }

    #[test]
    fn the_user_hash_is_hex_hmac_sha256_as_rfc_4231_computes_it() {
        // RFC 4231, test case 2.
        assert_eq!(
            user_hash(b"Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // What `printf cust-42 | openssl dgst -sha256 -hmac "a shop's identity secret"` says.
        assert_eq!(
            user_hash(SECRET, "cust-42"),
            "2101328a2aa4b1a3780a0262b0336093d6dc84eaf125fe2eb84bf09b28878c7a"
        );
    }

    #[test]
    fn a_hash_matches_its_subject_in_either_case_and_nothing_else() {
        let hash = user_hash(SECRET, "cust-42");
        assert!(hash_matches(SECRET, "cust-42", &hash));
        assert!(hash_matches(SECRET, "cust-42", &hash.to_uppercase()));
        assert!(!hash_matches(SECRET, "cust-43", &hash));
        assert!(!hash_matches(b"another secret", "cust-42", &hash));
        assert!(!hash_matches(SECRET, "cust-42", &hash[..62]));
        assert!(!hash_matches(
            SECRET,
            "cust-42",
            &format!("{}zz", &hash[..62])
        ));
        assert!(!hash_matches(SECRET, "cust-42", ""));
        assert!(!hash_matches(SECRET, "cust-42", "é".repeat(32).as_str()));
    }

    #[test]
    fn a_valid_hash_verifies_the_id_and_leaves_an_e_mail_beside_it_a_claim() {
        let hash = user_hash(SECRET, "cust-42");
        let checked = Identity::check(
            claim(Some("cust-42"), Some("kim@example.com")),
            Some(&hash),
            Some(SECRET),
        );
        assert_eq!(
            checked.verified.as_ref().map(Verified::respondent),
            Some(&claim(Some("cust-42"), None))
        );
        assert_eq!(checked.refused, None);
        assert_eq!(
            checked.claimed_properties().collect::<Vec<_>>(),
            [("claimed_email".to_string(), "kim@example.com".to_string())]
        );
        let by_email = user_hash(SECRET, "kim@example.com");
        let checked = Identity::check(
            claim(None, Some("kim@example.com")),
            Some(&by_email),
            Some(SECRET),
        );
        assert_eq!(
            checked.verified.map(Verified::into_respondent),
            Some(claim(None, Some("kim@example.com")))
        );
    }

    #[test]
    fn a_claim_without_a_valid_hash_is_kept_as_a_claim_and_says_why() {
        let forged = claim(Some("cust-42"), None);
        let cases = [
            (None, Some(SECRET), Unverified::Missing),
            (Some("00".repeat(32)), Some(SECRET), Unverified::Mismatch),
            (
                Some(user_hash(b"guess", "cust-42")),
                Some(SECRET),
                Unverified::Mismatch,
            ),
            (
                Some(user_hash(SECRET, "cust-42")),
                None,
                Unverified::NoSecret,
            ),
        ];
        for (hash, secret, why) in cases {
            let checked = Identity::check(forged.clone(), hash.as_deref(), secret);
            assert_eq!(checked.verified, None);
            assert_eq!(checked.refused, Some(why));
            assert_eq!(
                checked.claimed_properties().collect::<Vec<_>>(),
                [("claimed_id".to_string(), "cust-42".to_string())]
            );
        }
        assert_eq!(
            Identity::check(Respondent::default(), None, Some(SECRET)),
            Identity::default()
        );
    }

    #[test]
    fn the_person_key_prefers_the_e_mail_without_regard_to_case_and_differs_by_survey() {
        let kim = |email: &str| Verified::from_invitation(claim(Some("cust-42"), Some(email)));
        assert_eq!(
            kim("Kim@Example.com").person_key("s_a"),
            kim("kim@example.com ").person_key("s_a")
        );
        assert_eq!(
            kim("Ärger@Example.COM").person_key("s_a"),
            kim("ärger@example.com").person_key("s_a"),
            "lower-cased beyond ASCII"
        );
        assert_ne!(
            kim("kim@example.com").person_key("s_a"),
            kim("kim@example.com").person_key("s_b")
        );
        let by_id = Verified::from_invitation(claim(Some("kim@example.com"), None));
        assert_ne!(
            by_id.person_key("s_a"),
            kim("kim@example.com").person_key("s_a"),
            "an id that looks like an e-mail is still an id"
        );
        assert_eq!(
            Verified::from_invitation(Respondent::default()).person_key("s_a"),
            None
        );
    }
}
