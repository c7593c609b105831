//! Who works with the data, and what they did: the [`Scope`]s an admin caller holds,
//! the [`Principal`] a request is made by, API keys on the wire, and the audit log's
//! entries. Pure: the worker resolves a principal from a request and stores keys and
//! entries; the dashboard reads `/v1/me` to show only what the scopes allow.
//!
//! Depends on nothing else of this crate; with the `server` feature, [`secret`] makes
//! and hashes key secrets.

use serde::{Deserialize, Serialize};
use std::fmt;

/// What an admin caller may do. Ordered: `admin` implies `cases`, which implies `read`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Reports, exports and every list (surveys, answers, cases, webhooks, deliveries).
    Read,
    /// Working cases: status, owner, notes, asking the customer again.
    Cases,
    /// Everything: surveys, webhooks, invitations, respondents, API keys, the audit log.
    Admin,
}

impl Scope {
    pub const ALL: [Scope; 3] = [Scope::Read, Scope::Cases, Scope::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Cases => "cases",
            Scope::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Whether holding `self` is enough for what needs `needed`.
    pub fn allows(self, needed: Scope) -> bool {
        self >= needed
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether any of `held` is enough for `needed`.
pub fn allows(held: &[Scope], needed: Scope) -> bool {
    held.iter().any(|s| s.allows(needed))
}

/// `held` with everything it implies, in order: `[admin]` is `[read, cases, admin]`.
pub fn implied(held: &[Scope]) -> Vec<Scope> {
    Scope::ALL
        .into_iter()
        .filter(|s| allows(held, *s))
        .collect()
}

/// How a principal proved who it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credential {
    /// The shared bootstrap `ADMIN_TOKEN`: the only caller that may name itself (`X-Actor`).
    Bootstrap,
    /// An API key (`key_…`); its name is the actor.
    ApiKey { id: String },
    /// A person signed in through Cloudflare Access; the verified e-mail is the actor.
    Access,
}

/// [`Credential`] without its data, as the wire names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalKind {
    Bootstrap,
    ApiKey,
    Access,
}

impl PrincipalKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalKind::Bootstrap => "bootstrap",
            PrincipalKind::ApiKey => "api_key",
            PrincipalKind::Access => "access",
        }
    }

    pub fn parse(text: &str) -> Option<PrincipalKind> {
        [
            PrincipalKind::Bootstrap,
            PrincipalKind::ApiKey,
            PrincipalKind::Access,
        ]
        .into_iter()
        .find(|k| k.as_str() == text)
    }
}

/// Who makes an admin request: the name shown on timelines and in the audit log, what
/// they may do, and how they proved it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    pub actor: String,
    pub scopes: Vec<Scope>,
    pub credential: Credential,
}

/// Longest actor name kept (an `X-Actor` header is cut there).
pub const MAX_ACTOR_CHARS: usize = 200;

impl Principal {
    /// The bootstrap token's holder, named by `x_actor` if they sent one, else "admin".
    pub fn bootstrap(x_actor: Option<&str>) -> Principal {
        let actor = x_actor
            .map(|a| a.trim().chars().take(MAX_ACTOR_CHARS).collect::<String>())
            .filter(|a| !a.is_empty())
            .unwrap_or_else(|| "admin".to_owned());
        Principal {
            actor,
            scopes: vec![Scope::Admin],
            credential: Credential::Bootstrap,
        }
    }

    /// A person Cloudflare Access vouched for: a team member, with every scope.
    pub fn access_user(email: &str) -> Principal {
        Principal {
            actor: email.to_owned(),
            scopes: vec![Scope::Admin],
            credential: Credential::Access,
        }
    }

    pub fn allows(&self, needed: Scope) -> bool {
        allows(&self.scopes, needed)
    }

    pub fn kind(&self) -> PrincipalKind {
        match self.credential {
            Credential::Bootstrap => PrincipalKind::Bootstrap,
            Credential::ApiKey { .. } => PrincipalKind::ApiKey,
            Credential::Access => PrincipalKind::Access,
        }
    }

    /// The key's id for an API key; `None` otherwise.
    pub fn key_id(&self) -> Option<&str> {
        match &self.credential {
            Credential::ApiKey { id } => Some(id),
            _ => None,
        }
    }

    /// `GET /v1/me`.
    pub fn me(&self) -> Me {
        Me {
            actor: self.actor.clone(),
            scopes: implied(&self.scopes),
            kind: self.kind(),
            key_id: self.key_id().map(str::to_owned),
        }
    }
}

/// `GET /v1/me`: who the dashboard is signed in as, and every scope they hold
/// (implied ones included).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub actor: String,
    pub scopes: Vec<Scope>,
    pub kind: PrincipalKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
}

impl Me {
    pub fn allows(&self, needed: Scope) -> bool {
        allows(&self.scopes, needed)
    }
}

/// `POST /v1/api-keys`. Unknown fields are refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateApiKey {
    pub name: String,
    #[serde(deserialize_with = "named_scopes")]
    pub scopes: Vec<Scope>,
}

/// Scopes whose error names the field (`scopes`), so the 422 points at it.
fn named_scopes<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<Scope>, D::Error> {
    use serde::de::Error;
    Vec::<Scope>::deserialize(d).map_err(|e| {
        D::Error::custom(format!(
            "invalid `scopes`: {} (each is read, cases or admin)",
            e.to_string().replace('`', "'")
        ))
    })
}

/// Longest key name taken.
pub const MAX_KEY_NAME_CHARS: usize = 80;

/// An API key as listed: never its secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyView {
    pub id: String,
    pub name: String,
    pub scopes: Vec<Scope>,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

/// `201` of `POST /v1/api-keys`: the only time the secret is shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyCreated {
    #[serde(flatten)]
    pub key: ApiKeyView,
    pub secret: String,
}

/// What an audit entry records. The wire name is `<target>.<verb>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuditAction {
    #[serde(rename = "survey.created")]
    SurveyCreated,
    #[serde(rename = "survey.updated")]
    SurveyUpdated,
    #[serde(rename = "webhook.created")]
    WebhookCreated,
    /// Switched off or on (`PATCH /v1/webhooks/{id}`).
    #[serde(rename = "webhook.updated")]
    WebhookUpdated,
    #[serde(rename = "webhook.secret_rotated")]
    WebhookSecretRotated,
    #[serde(rename = "webhook.deleted")]
    WebhookDeleted,
    #[serde(rename = "api_key.created")]
    ApiKeyCreated,
    #[serde(rename = "api_key.revoked")]
    ApiKeyRevoked,
    #[serde(rename = "case.updated")]
    CaseUpdated,
    #[serde(rename = "case.reasked")]
    CaseReasked,
    #[serde(rename = "respondent.erased")]
    RespondentErased,
    #[serde(rename = "action.created")]
    ActionCreated,
    /// Fields or status of an action plan (`PATCH /v1/actions/{id}`).
    #[serde(rename = "action.updated")]
    ActionUpdated,
    #[serde(rename = "connector.created")]
    ConnectorCreated,
    #[serde(rename = "connector.deleted")]
    ConnectorDeleted,
    #[serde(rename = "campaign.created")]
    CampaignCreated,
    /// Paused or resumed (`PATCH /v1/campaigns/{id}`).
    #[serde(rename = "campaign.updated")]
    CampaignUpdated,
    #[serde(rename = "campaign.deleted")]
    CampaignDeleted,
    /// An address taken off the suppression list: it gets survey e-mail again.
    #[serde(rename = "suppression.lifted")]
    SuppressionLifted,
}

impl AuditAction {
    pub const ALL: [AuditAction; 19] = [
        AuditAction::SurveyCreated,
        AuditAction::SurveyUpdated,
        AuditAction::WebhookCreated,
        AuditAction::WebhookUpdated,
        AuditAction::WebhookSecretRotated,
        AuditAction::WebhookDeleted,
        AuditAction::ApiKeyCreated,
        AuditAction::ApiKeyRevoked,
        AuditAction::CaseUpdated,
        AuditAction::CaseReasked,
        AuditAction::RespondentErased,
        AuditAction::ActionCreated,
        AuditAction::ActionUpdated,
        AuditAction::ConnectorCreated,
        AuditAction::ConnectorDeleted,
        AuditAction::CampaignCreated,
        AuditAction::CampaignUpdated,
        AuditAction::CampaignDeleted,
        AuditAction::SuppressionLifted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::SurveyCreated => "survey.created",
            AuditAction::SurveyUpdated => "survey.updated",
            AuditAction::WebhookCreated => "webhook.created",
            AuditAction::WebhookUpdated => "webhook.updated",
            AuditAction::WebhookSecretRotated => "webhook.secret_rotated",
            AuditAction::WebhookDeleted => "webhook.deleted",
            AuditAction::ApiKeyCreated => "api_key.created",
            AuditAction::ApiKeyRevoked => "api_key.revoked",
            AuditAction::CaseUpdated => "case.updated",
            AuditAction::CaseReasked => "case.reasked",
            AuditAction::RespondentErased => "respondent.erased",
            AuditAction::ActionCreated => "action.created",
            AuditAction::ActionUpdated => "action.updated",
            AuditAction::ConnectorCreated => "connector.created",
            AuditAction::ConnectorDeleted => "connector.deleted",
            AuditAction::CampaignCreated => "campaign.created",
            AuditAction::CampaignUpdated => "campaign.updated",
            AuditAction::CampaignDeleted => "campaign.deleted",
            AuditAction::SuppressionLifted => "suppression.lifted",
        }
    }

    pub fn parse(text: &str) -> Option<AuditAction> {
        AuditAction::ALL.into_iter().find(|a| a.as_str() == text)
    }

    /// What kind of thing it changed: the part before the dot.
    pub fn target_type(self) -> &'static str {
        self.as_str().split('.').next().unwrap_or_default()
    }
}

impl fmt::Display for AuditAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One entry of `GET /v1/audit`: who changed what, when. No personal data beyond the
/// actor: an erasure names a hash of the respondent, not the respondent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// `au_…`, time-ordered: the list's cursor.
    pub id: String,
    pub at: String,
    pub actor: String,
    pub principal_kind: PrincipalKind,
    /// The API key's id when a key made the change.
    pub principal_id: Option<String>,
    pub action: AuditAction,
    pub target_type: String,
    pub target_id: String,
    pub summary: String,
}

/// API key secrets: made from random bytes, kept only as a hash.
#[cfg(feature = "server")]
pub mod secret {
    use base64::Engine;
    use sha2::{Digest, Sha256};

    /// What every secret starts with, so it is recognised (and found by secret scanners).
    pub const PREFIX: &str = "nps_";

    /// `nps_` + 32 random bytes, base64url: 256 bits, far beyond guessing.
    pub fn new(random: [u8; 32]) -> String {
        format!(
            "{PREFIX}{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random)
        )
    }

    /// Whether `token` has the shape of a key secret (cheap, before any lookup).
    pub fn looks_like_key(token: &str) -> bool {
        token.len() == PREFIX.len() + 43
            && token.starts_with(PREFIX)
            && token[PREFIX.len()..]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    }

    /// The stored form of a secret: SHA-256, lower-case hex. A secret of 256 random
    /// bits needs no salt or slow hash: there is no dictionary to try.
    pub fn hash(secret: &str) -> String {
        Sha256::digest(secret.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_implies_cases_which_implies_read_and_nothing_implies_upwards() {
        assert!(Scope::Admin.allows(Scope::Read));
        assert!(Scope::Admin.allows(Scope::Cases));
        assert!(Scope::Cases.allows(Scope::Read));
        assert!(!Scope::Read.allows(Scope::Cases));
        assert!(!Scope::Cases.allows(Scope::Admin));
        assert!(!allows(&[], Scope::Read));
        assert!(allows(&[Scope::Read, Scope::Cases], Scope::Cases));
        assert_eq!(implied(&[Scope::Admin]), Scope::ALL);
        assert_eq!(implied(&[Scope::Cases]), [Scope::Read, Scope::Cases]);
        assert_eq!(implied(&[]), []);
    }

    #[test]
    fn scopes_have_their_wire_names() {
        for scope in Scope::ALL {
            let json = serde_json::to_string(&scope).unwrap();
            assert_eq!(json, format!("\"{}\"", scope.as_str()));
            assert_eq!(Scope::parse(scope.as_str()), Some(scope));
        }
        assert_eq!(Scope::parse("write"), None);
    }

    #[test]
    fn only_the_bootstrap_holder_names_itself_and_defaults_to_admin() {
        assert_eq!(
            Principal::bootstrap(Some("  anna@shop  ")).actor,
            "anna@shop"
        );
        assert_eq!(Principal::bootstrap(Some("  ")).actor, "admin");
        assert_eq!(Principal::bootstrap(None).actor, "admin");
        let long = "a".repeat(500);
        assert_eq!(
            Principal::bootstrap(Some(&long)).actor.len(),
            MAX_ACTOR_CHARS
        );
        let me = Principal::bootstrap(None).me();
        assert_eq!(me.scopes, Scope::ALL);
        assert_eq!(
            serde_json::to_value(&me).unwrap(),
            serde_json::json!({"actor": "admin", "scopes": ["read", "cases", "admin"], "kind": "bootstrap"})
        );
    }

    #[test]
    fn a_key_principal_says_its_id_and_only_its_scopes() {
        let p = Principal {
            actor: "helpdesk".into(),
            scopes: vec![Scope::Cases],
            credential: Credential::ApiKey { id: "key_1".into() },
        };
        assert!(p.allows(Scope::Read) && p.allows(Scope::Cases) && !p.allows(Scope::Admin));
        assert_eq!(
            serde_json::to_value(p.me()).unwrap(),
            serde_json::json!({"actor": "helpdesk", "scopes": ["read", "cases"], "kind": "api_key", "key_id": "key_1"})
        );
    }

    #[test]
    fn a_key_request_refuses_unknown_fields_and_scopes_naming_the_field() {
        let ok: CreateApiKey =
            serde_json::from_value(serde_json::json!({"name": "ci", "scopes": ["read"]})).unwrap();
        assert_eq!(ok.scopes, [Scope::Read]);
        let extra = serde_json::from_value::<CreateApiKey>(
            serde_json::json!({"name": "ci", "scopes": ["read"], "owner": "x"}),
        )
        .unwrap_err()
        .to_string();
        assert!(extra.contains("`owner`"), "{extra}");
        let bad = serde_json::from_value::<CreateApiKey>(
            serde_json::json!({"name": "ci", "scopes": ["write"]}),
        )
        .unwrap_err()
        .to_string();
        assert_eq!(bad.split('`').nth(1), Some("scopes"), "{bad}");
    }

    #[test]
    fn audit_actions_name_their_target_and_round_trip() {
        for action in AuditAction::ALL {
            let json = serde_json::to_string(&action).unwrap();
            assert_eq!(json, format!("\"{action}\""));
            assert_eq!(AuditAction::parse(action.as_str()), Some(action));
        }
        assert_eq!(AuditAction::SurveyUpdated.target_type(), "survey");
        assert_eq!(AuditAction::ApiKeyRevoked.target_type(), "api_key");
        assert_eq!(AuditAction::RespondentErased.target_type(), "respondent");
    }

    #[cfg(feature = "server")]
    #[test]
    fn a_secret_is_recognisable_high_entropy_and_kept_as_its_hash() {
        let a = secret::new([7; 32]);
        let b = secret::new([8; 32]);
        assert!(a.starts_with("nps_") && a != b);
        assert!(secret::looks_like_key(&a));
        assert!(!secret::looks_like_key("nps_short"));
        assert!(!secret::looks_like_key(&format!("{a}x")));
        assert!(!secret::looks_like_key(
            "e2e-admin-token-of-thirty-two-characters!!"
        ));
        let hash = secret::hash(&a);
        assert_eq!(hash.len(), 64);
        assert_eq!(hash, secret::hash(&a));
        assert_ne!(hash, secret::hash(&b));
        assert!(!hash.contains(&a[4..]));
        // SHA-256("abc"), FIPS 180-2.
        assert_eq!(
            secret::hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
