//! Cloudflare Access sign-in, the pure half: reading the JWT that Access puts in the
//! `Cf-Access-Jwt-Assertion` header of every request it lets through, and the team's
//! key set (JWKS) from `https://<team>/cdn-cgi/access/certs`, and deciding everything
//! about an assertion that needs no cryptography — the header (`alg` must be RS256,
//! a `kid` must name the key), the audience (the application's AUD tag), the issuer
//! (the team domain), the time (`exp`, and `nbf`/`iat` when present, with a small
//! leeway) and who it names.
//!
//! The RS256 signature itself is checked by the caller over [`Assertion::signing_input`]
//! with the key [`Jwks::key`] finds (the worker uses WebCrypto): this module has no
//! RSA of its own and no I/O or clock (callers pass the time in), like the rest of
//! `shared`. Nothing here trusts an assertion on its own: an [`Identity`] is only
//! returned by [`Assertion::identity`], which callers reach after the signature.
//!
//! Who an assertion names: a person has an `email` claim — that e-mail is the actor of
//! what they change. A service token (a machine let through by an Access policy) has
//! no e-mail, only a `common_name` (its client id): it is [`Identity::Service`], which
//! the worker does not treat as signed in, so a machine still needs an API key of its
//! own and its scopes — an Access policy decides who reaches the hostname, not what
//! they may do there.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use serde::Deserialize;
use url::Url;

/// Seconds of clock difference tolerated between Cloudflare's edge and the worker.
pub const LEEWAY_SECONDS: i64 = 60;
/// The longest assertion read. Access's JWTs are 1–2 KB (more with many groups); a
/// request header is limited to a few tens of KB anyway.
pub const MAX_ASSERTION_BYTES: usize = 16 * 1024;
/// The shortest RSA modulus accepted in a key set: Cloudflare signs with 2048 bits.
pub const MIN_MODULUS_BITS: usize = 2048;
/// The longest key-set document read (Cloudflare's holds two keys and two
/// certificates: about 4 KB).
pub const MAX_JWKS_BYTES: usize = 64 * 1024;
/// The only algorithm accepted: what Access signs with. `none`, HS256 (which would
/// take the public key for an HMAC secret) and everything else are refused.
pub const ALGORITHM: &str = "RS256";

/// Why Access is not set up right (`ACCESS_TEAM_DOMAIN`, `ACCESS_AUD`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "ACCESS_TEAM_DOMAIN must be a host such as acme.cloudflareaccess.com (or https://…, \
         or http:// on a loopback address for local tests)"
    )]
    TeamDomain,
    #[error("ACCESS_AUD must be the application's Audience (AUD) tag")]
    Audience,
}

/// What an Access application is: where its keys are, who issues its assertions and
/// the audience tag they must carry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Team {
    /// `https://acme.cloudflareaccess.com`: the exact `iss` of its assertions.
    pub issuer: String,
    /// `https://acme.cloudflareaccess.com/cdn-cgi/access/certs`
    pub certs_url: String,
    /// The application's Audience (AUD) tag.
    pub audience: String,
}

impl Team {
    /// The team of `ACCESS_TEAM_DOMAIN` and `ACCESS_AUD`. The domain is a host
    /// (`acme.cloudflareaccess.com`, the form the Zero Trust dashboard shows) or an
    /// `https://` origin; `http://` only on a loopback address, for a local JWKS server
    /// in tests. Never a path, query or user name: the issuer is an origin.
    pub fn new(team_domain: &str, audience: &str) -> Result<Team, ConfigError> {
        let team_domain = team_domain.trim();
        let audience = audience.trim();
        if audience.is_empty() || audience.len() > 256 || !audience.chars().all(is_tag_char) {
            return Err(ConfigError::Audience);
        }
        let text = if team_domain.contains("://") {
            team_domain.to_string()
        } else {
            format!("https://{team_domain}")
        };
        let url = Url::parse(&text).map_err(|_| ConfigError::TeamDomain)?;
        let loopback = match url.host() {
            Some(url::Host::Domain(host)) => host == "localhost",
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        };
        let scheme_ok = url.scheme() == "https" || (url.scheme() == "http" && loopback);
        if !scheme_ok
            || url.host().is_none()
            || url.path() != "/"
            || url.query().is_some()
            || url.fragment().is_some()
            || !url.username().is_empty()
            || url.password().is_some()
        {
            return Err(ConfigError::TeamDomain);
        }
        let issuer = url.origin().ascii_serialization();
        Ok(Team {
            certs_url: format!("{issuer}/cdn-cgi/access/certs"),
            issuer,
            audience: audience.to_string(),
        })
    }
}

fn is_tag_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':')
}

/// Why an assertion is refused. Each is a 401: the caller says which in the problem's
/// detail (none of these reveal anything an attacker does not know).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AssertionError {
    #[error("the Access assertion is not a compact JWT")]
    Malformed,
    #[error("the Access assertion is too large")]
    TooLarge,
    #[error("the Access assertion's algorithm {0:?} is not RS256")]
    Algorithm(String),
    #[error("the Access assertion names no key (kid)")]
    MissingKeyId,
    #[error("the Access assertion has critical header parameters this worker does not know")]
    Critical,
    #[error("the Access assertion is signed by a key the team does not publish")]
    UnknownKey,
    #[error("the Access assertion's signature is not valid")]
    BadSignature,
    #[error("the Access assertion is not for this application (aud)")]
    Audience,
    #[error("the Access assertion is not issued by this team (iss)")]
    Issuer,
    #[error("the Access assertion has expired")]
    Expired,
    #[error("the Access assertion is not valid yet")]
    NotYetValid,
    #[error("the Access assertion names neither a person (email) nor a service token")]
    NoIdentity,
}

/// Who a genuine assertion names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Identity {
    /// A person signed in through the team's identity provider.
    User { email: String },
    /// A service token: a machine, named by its client id.
    Service { common_name: String },
}

#[derive(Debug, Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    crit: Option<serde_json::Value>,
}

/// `aud` is a string or an array of strings (RFC 7519 §4.1.3); Access sends an array.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    fn contains(&self, tag: &str) -> bool {
        match self {
            Audience::One(aud) => aud == tag,
            Audience::Many(auds) => auds.iter().any(|aud| aud == tag),
        }
    }
}

/// The claims this worker reads; Access sends more (`sub`, `identity_nonce`, `country`,
/// `type`, …), which are ignored.
#[derive(Debug, Deserialize)]
struct Claims {
    aud: Audience,
    iss: String,
    exp: i64,
    #[serde(default)]
    nbf: Option<i64>,
    #[serde(default)]
    iat: Option<i64>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    common_name: Option<String>,
}

/// A compact JWT taken apart, not yet trusted: [`Assertion::check`] the claims, check
/// the signature over [`Assertion::signing_input`] with the key named by
/// [`Assertion::key_id`], then read [`Assertion::identity`].
#[derive(Debug)]
pub struct Assertion<'a> {
    key_id: String,
    claims: Claims,
    signing_input: &'a str,
    signature: Vec<u8>,
}

fn decode_part(part: &str) -> Result<Vec<u8>, AssertionError> {
    B64URL.decode(part).map_err(|_| AssertionError::Malformed)
}

impl<'a> Assertion<'a> {
    /// Takes `header.claims.signature` apart. Refuses every algorithm but RS256 and a
    /// header without `kid` before anything else is read.
    pub fn parse(token: &'a str) -> Result<Assertion<'a>, AssertionError> {
        if token.len() > MAX_ASSERTION_BYTES {
            return Err(AssertionError::TooLarge);
        }
        let token = token.trim();
        let (signing_input, signature) = token.rsplit_once('.').ok_or(AssertionError::Malformed)?;
        let (header, claims) = signing_input
            .split_once('.')
            .ok_or(AssertionError::Malformed)?;
        if claims.contains('.') {
            // Five parts: an encrypted JWT (JWE), which Access does not send.
            return Err(AssertionError::Malformed);
        }
        let header: Header =
            serde_json::from_slice(&decode_part(header)?).map_err(|_| AssertionError::Malformed)?;
        if header.alg != ALGORITHM {
            return Err(AssertionError::Algorithm(header.alg));
        }
        if header.crit.is_some() {
            return Err(AssertionError::Critical);
        }
        let key_id = header
            .kid
            .filter(|kid| !kid.is_empty())
            .ok_or(AssertionError::MissingKeyId)?;
        let claims: Claims =
            serde_json::from_slice(&decode_part(claims)?).map_err(|_| AssertionError::Malformed)?;
        let signature = decode_part(signature)?;
        if signature.is_empty() {
            return Err(AssertionError::Malformed);
        }
        Ok(Assertion {
            key_id,
            claims,
            signing_input,
            signature,
        })
    }

    /// The `kid` of the key that must have signed it.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// `header.claims` as it came: the bytes the signature covers.
    pub fn signing_input(&self) -> &'a str {
        self.signing_input
    }

    pub fn signature(&self) -> &[u8] {
        &self.signature
    }

    /// Audience, issuer and time, at `now` (Unix seconds), with [`LEEWAY_SECONDS`].
    pub fn check(&self, team: &Team, now: i64) -> Result<(), AssertionError> {
        let claims = &self.claims;
        if !claims.aud.contains(&team.audience) {
            return Err(AssertionError::Audience);
        }
        if claims.iss != team.issuer {
            return Err(AssertionError::Issuer);
        }
        if now > claims.exp.saturating_add(LEEWAY_SECONDS) {
            return Err(AssertionError::Expired);
        }
        let not_before = [claims.nbf, claims.iat].into_iter().flatten().max();
        if not_before.is_some_and(|t| t > now.saturating_add(LEEWAY_SECONDS)) {
            return Err(AssertionError::NotYetValid);
        }
        Ok(())
    }

    /// Who it names: the e-mail of a person, else the client id of a service token.
    /// Only meaningful once the claims and the signature are checked.
    pub fn identity(&self) -> Result<Identity, AssertionError> {
        let present = |value: &Option<String>| {
            value
                .as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        let clean = |value: &String| value.len() <= 320 && !value.chars().any(char::is_control);
        // An e-mail that is there but unusable is refused, not read as a service token.
        if let Some(email) = present(&self.claims.email) {
            return if clean(&email) && email.contains('@') {
                Ok(Identity::User { email })
            } else {
                Err(AssertionError::NoIdentity)
            };
        }
        present(&self.claims.common_name)
            .filter(clean)
            .map(|common_name| Identity::Service { common_name })
            .ok_or(AssertionError::NoIdentity)
    }
}

/// Why a key-set document is not usable.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum JwksError {
    #[error("the Access key set is too large")]
    TooLarge,
    #[error("the Access key set is not a JWKS document: {0}")]
    Malformed(String),
    #[error("the Access key set holds no usable RS256 key")]
    NoKeys,
}

/// One RSA public key of the team, as WebCrypto imports it (`importKey("jwk", …)`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RsaKey {
    pub kid: String,
    /// The modulus, base64url without padding, as published.
    pub n: String,
    /// The public exponent, base64url without padding, as published.
    pub e: String,
}

#[derive(Debug, Deserialize)]
struct JwkDocument {
    keys: Vec<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
struct Jwk {
    kty: String,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    alg: Option<String>,
    #[serde(default, rename = "use")]
    usage: Option<String>,
    #[serde(default)]
    n: Option<String>,
    #[serde(default)]
    e: Option<String>,
}

/// The team's signing keys. Keys that cannot sign RS256 assertions (another `kty`,
/// `alg` or `use`, no `kid`, a modulus under [`MIN_MODULUS_BITS`]) are left out; the
/// certificates beside them (`public_cert`, `public_certs`) are not needed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Jwks {
    keys: Vec<RsaKey>,
}

impl Jwks {
    pub fn parse(document: &[u8]) -> Result<Jwks, JwksError> {
        if document.len() > MAX_JWKS_BYTES {
            return Err(JwksError::TooLarge);
        }
        let document: JwkDocument =
            serde_json::from_slice(document).map_err(|e| JwksError::Malformed(e.to_string()))?;
        let keys: Vec<RsaKey> = document
            .keys
            .into_iter()
            .filter_map(|key| serde_json::from_value::<Jwk>(key).ok())
            .filter_map(usable_key)
            .collect();
        if keys.is_empty() {
            return Err(JwksError::NoKeys);
        }
        Ok(Jwks { keys })
    }

    /// The key named `kid`.
    pub fn key(&self, kid: &str) -> Option<&RsaKey> {
        self.keys.iter().find(|key| key.kid == kid)
    }

    pub fn key_ids(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().map(|key| key.kid.as_str())
    }
}

fn usable_key(jwk: Jwk) -> Option<RsaKey> {
    if jwk.kty != "RSA"
        || jwk.alg.as_deref().is_some_and(|alg| alg != ALGORITHM)
        || jwk.usage.as_deref().is_some_and(|usage| usage != "sig")
    {
        return None;
    }
    let kid = jwk.kid.filter(|kid| !kid.is_empty())?;
    let (n, e) = (jwk.n?, jwk.e?);
    let modulus = B64URL.decode(&n).ok()?;
    let exponent = B64URL.decode(&e).ok()?;
    let significant = modulus.iter().skip_while(|b| **b == 0).count();
    if significant * 8 < MIN_MODULUS_BITS || exponent.is_empty() || exponent.len() > 8 {
        return None;
    }
    Some(RsaKey { kid, n, e })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    const NOW: i64 = 1_764_000_000;
    const AUD: &str = "4714c1358e65fe4b408ad6d432a5f878f08194bdb4752441fd56faefa9b2b6f2";

    fn team() -> Team {
        Team::new("acme.cloudflareaccess.com", AUD).unwrap()
    }

    fn b64(value: &serde_json::Value) -> String {
        B64URL.encode(serde_json::to_vec(value).unwrap())
    }

    /// A token of Access's shape. Its signature is bytes, not RSA: what this module
    /// decides does not depend on it (the worker's e2e tests sign for real).
    fn token(header: serde_json::Value, claims: serde_json::Value) -> String {
        format!(
            "{}.{}.{}",
            b64(&header),
            b64(&claims),
            B64URL.encode([7u8; 256])
        )
    }

    fn header() -> serde_json::Value {
        json!({"alg": "RS256", "kid": "e8ff4d3a", "typ": "JWT"})
    }

    /// The claims of an Access application token, as Cloudflare documents them.
    fn claims() -> serde_json::Value {
        json!({
            "aud": [AUD],
            "email": "anna@shop.example",
            "exp": NOW + 3600,
            "iat": NOW - 10,
            "nbf": NOW - 10,
            "iss": "https://acme.cloudflareaccess.com",
            "type": "app",
            "identity_nonce": "6ei69kawdKzMIAPF",
            "sub": "7335d417-61da-459d-899c-0a01c76a2f94",
            "country": "DE"
        })
    }

    fn with(
        mut claims: serde_json::Value,
        key: &str,
        value: serde_json::Value,
    ) -> serde_json::Value {
        claims[key] = value;
        claims
    }

    fn checked(token: &str) -> Result<Identity, AssertionError> {
        let assertion = Assertion::parse(token)?;
        assertion.check(&team(), NOW)?;
        assertion.identity()
    }

    #[test]
    fn a_team_domain_is_a_host_or_an_https_origin_and_names_issuer_and_certs() {
        for domain in [
            "acme.cloudflareaccess.com",
            "https://acme.cloudflareaccess.com",
            "https://acme.cloudflareaccess.com/",
            " acme.cloudflareaccess.com ",
        ] {
            let team = Team::new(domain, AUD).unwrap();
            assert_eq!(team.issuer, "https://acme.cloudflareaccess.com", "{domain}");
            assert_eq!(
                team.certs_url,
                "https://acme.cloudflareaccess.com/cdn-cgi/access/certs"
            );
            assert_eq!(team.audience, AUD);
        }
    }

    #[test]
    fn plain_http_is_only_for_a_local_key_server() {
        let local = Team::new("http://127.0.0.1:9792", AUD).unwrap();
        assert_eq!(local.issuer, "http://127.0.0.1:9792");
        assert_eq!(
            local.certs_url,
            "http://127.0.0.1:9792/cdn-cgi/access/certs"
        );
        assert!(Team::new("http://localhost:9792", AUD).is_ok());
        for domain in [
            "http://acme.cloudflareaccess.com",
            "http://10.0.0.1",
            "ftp://acme.cloudflareaccess.com",
            "https://acme.cloudflareaccess.com/cdn-cgi",
            "https://acme.cloudflareaccess.com?x=1",
            "https://user@acme.cloudflareaccess.com",
            "",
            "https://",
        ] {
            assert_eq!(
                Team::new(domain, AUD),
                Err(ConfigError::TeamDomain),
                "{domain:?}"
            );
        }
    }

    #[test]
    fn the_audience_tag_must_look_like_one() {
        for aud in ["", "   ", "has space", "quote\"", "new\nline"] {
            assert_eq!(
                Team::new("acme.cloudflareaccess.com", aud),
                Err(ConfigError::Audience),
                "{aud:?}"
            );
        }
    }

    #[test]
    fn a_well_formed_assertion_names_its_key_signing_input_and_person() {
        let token = token(header(), claims());
        let assertion = Assertion::parse(&token).unwrap();
        assert_eq!(assertion.key_id(), "e8ff4d3a");
        assert_eq!(
            assertion.signing_input(),
            token.rsplit_once('.').unwrap().0,
            "the signature covers header.claims as sent"
        );
        assert_eq!(assertion.signature(), &[7u8; 256]);
        assert_eq!(
            checked(&token),
            Ok(Identity::User {
                email: "anna@shop.example".into()
            })
        );
    }

    #[test]
    fn an_audience_may_be_a_single_string() {
        let token = token(header(), with(claims(), "aud", json!(AUD)));
        assert!(checked(&token).is_ok());
    }

    #[test]
    fn another_applications_audience_is_refused() {
        for aud in [json!(["another-app"]), json!("another-app"), json!([])] {
            let token = token(header(), with(claims(), "aud", aud));
            assert_eq!(checked(&token), Err(AssertionError::Audience));
        }
    }

    #[test]
    fn another_issuer_is_refused() {
        for iss in [
            "https://evil.cloudflareaccess.com",
            "https://acme.cloudflareaccess.com/",
            "http://acme.cloudflareaccess.com",
            "",
        ] {
            let token = token(header(), with(claims(), "iss", json!(iss)));
            assert_eq!(checked(&token), Err(AssertionError::Issuer), "{iss}");
        }
    }

    #[test]
    fn expiry_is_checked_with_the_leeway() {
        let at = |exp: i64| checked(&token(header(), with(claims(), "exp", json!(exp))));
        assert!(at(NOW).is_ok());
        assert!(at(NOW - LEEWAY_SECONDS).is_ok());
        assert_eq!(at(NOW - LEEWAY_SECONDS - 1), Err(AssertionError::Expired));
        assert_eq!(at(NOW - 86_400), Err(AssertionError::Expired));
        assert_eq!(at(i64::MIN), Err(AssertionError::Expired));
    }

    #[test]
    fn an_assertion_from_the_future_is_refused() {
        for claim in ["nbf", "iat"] {
            let at = |t: i64| checked(&token(header(), with(claims(), claim, json!(t))));
            assert!(at(NOW + LEEWAY_SECONDS).is_ok(), "{claim}");
            assert_eq!(
                at(NOW + LEEWAY_SECONDS + 1),
                Err(AssertionError::NotYetValid)
            );
            assert_eq!(at(i64::MAX), Err(AssertionError::NotYetValid));
        }
    }

    #[test]
    fn an_assertion_without_exp_aud_or_iss_is_malformed() {
        for claim in ["exp", "aud", "iss"] {
            let mut claims = claims();
            claims.as_object_mut().unwrap().remove(claim);
            assert_eq!(
                Assertion::parse(&token(header(), claims)).err(),
                Some(AssertionError::Malformed),
                "{claim}"
            );
        }
    }

    #[test]
    fn only_rs256_is_accepted() {
        for alg in ["none", "HS256", "RS512", "ES256", "PS256", "rs256", ""] {
            let token = token(json!({"alg": alg, "kid": "e8ff4d3a"}), claims());
            assert_eq!(
                Assertion::parse(&token).err(),
                Some(AssertionError::Algorithm(alg.into())),
                "{alg}"
            );
        }
        // `alg: none` with the empty signature it comes with.
        let unsigned = format!(
            "{}.{}.",
            b64(&json!({"alg": "none", "kid": "e8ff4d3a"})),
            b64(&claims())
        );
        assert!(Assertion::parse(&unsigned).is_err());
    }

    #[test]
    fn a_header_must_name_its_key_and_nothing_critical() {
        for header in [json!({"alg": "RS256"}), json!({"alg": "RS256", "kid": ""})] {
            assert_eq!(
                Assertion::parse(&token(header, claims())).err(),
                Some(AssertionError::MissingKeyId)
            );
        }
        let crit = json!({"alg": "RS256", "kid": "k", "crit": ["exp"], "exp": 1});
        assert_eq!(
            Assertion::parse(&token(crit, claims())).err(),
            Some(AssertionError::Critical)
        );
    }

    #[test]
    fn a_service_token_is_named_by_its_client_id_not_as_a_person() {
        let mut claims = claims();
        claims.as_object_mut().unwrap().remove("email");
        claims["common_name"] = json!("88bf3b6d86161464f6509f7219099e57.access");
        assert_eq!(
            checked(&token(header(), claims.clone())),
            Ok(Identity::Service {
                common_name: "88bf3b6d86161464f6509f7219099e57.access".into()
            })
        );
        // Access sends an empty e-mail for a service token in some versions.
        claims["email"] = json!("");
        assert!(matches!(
            checked(&token(header(), claims)),
            Ok(Identity::Service { .. })
        ));
    }

    #[test]
    fn an_assertion_naming_nobody_is_refused() {
        let mut claims = claims();
        claims.as_object_mut().unwrap().remove("email");
        assert_eq!(
            checked(&token(header(), claims.clone())),
            Err(AssertionError::NoIdentity)
        );
        for email in ["not-an-email", "anna\n@shop.example", "a\u{7}@b"] {
            claims["email"] = json!(email);
            claims["common_name"] = json!("svc.access");
            assert_eq!(
                checked(&token(header(), claims.clone())),
                Err(AssertionError::NoIdentity),
                "{email:?}"
            );
        }
    }

    #[test]
    fn malformed_tokens_are_errors_not_panics() {
        let good = token(header(), claims());
        let (h, rest) = good.split_once('.').unwrap();
        let (c, s) = rest.split_once('.').unwrap();
        for bad in [
            String::new(),
            ".".into(),
            "..".into(),
            "a.b".into(),
            format!("{h}.{c}"),
            format!("{h}.{c}.{s}.x.y"),
            format!("{h}.{c}.{s}=="),
            format!("{h}=.{c}.{s}"),
            format!("{h}.{c}.!!!"),
            format!("{h}.{c}."),
            format!("{}.{c}.{s}", B64URL.encode("not json")),
            format!("{h}.{}.{s}", B64URL.encode("[1,2]")),
            format!("{h}.{}.{s}", B64URL.encode("{\"exp\":\"soon\"}")),
            "é.é.é".into(),
        ] {
            assert!(Assertion::parse(&bad).is_err(), "{bad:?}");
        }
        let huge = format!("{h}.{}.{s}", "A".repeat(MAX_ASSERTION_BYTES));
        assert_eq!(
            Assertion::parse(&huge).err(),
            Some(AssertionError::TooLarge)
        );
    }

    fn modulus(bits: usize) -> String {
        let mut bytes = vec![0xc5u8; bits / 8];
        bytes[0] = 0xd1;
        B64URL.encode(bytes)
    }

    /// Cloudflare's certs document: `keys`, plus the same keys as PEM certificates.
    fn jwks() -> serde_json::Value {
        json!({
            "keys": [
                {"kid": "e8ff4d3a", "kty": "RSA", "alg": "RS256", "use": "sig", "e": "AQAB", "n": modulus(2048)},
                {"kid": "1b2c3d4e", "kty": "RSA", "alg": "RS256", "use": "sig", "e": "AQAB", "n": modulus(4096)}
            ],
            "public_cert": {"kid": "e8ff4d3a", "cert": "-----BEGIN CERTIFICATE-----\n…"},
            "public_certs": [{"kid": "e8ff4d3a", "cert": "-----BEGIN CERTIFICATE-----\n…"}]
        })
    }

    #[test]
    fn the_team_key_set_is_read_by_kid() {
        let jwks = Jwks::parse(&serde_json::to_vec(&jwks()).unwrap()).unwrap();
        assert_eq!(jwks.key_ids().collect::<Vec<_>>(), ["e8ff4d3a", "1b2c3d4e"]);
        let key = jwks.key("e8ff4d3a").unwrap();
        assert_eq!(
            (key.e.as_str(), key.n.as_str()),
            ("AQAB", modulus(2048).as_str())
        );
        assert!(jwks.key("unknown").is_none());
    }

    #[test]
    fn keys_that_cannot_sign_rs256_are_left_out() {
        let document = json!({"keys": [
            {"kid": "ec", "kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"},
            {"kid": "short", "kty": "RSA", "e": "AQAB", "n": modulus(1024)},
            {"kid": "hs", "kty": "RSA", "alg": "HS256", "e": "AQAB", "n": modulus(2048)},
            {"kid": "enc", "kty": "RSA", "use": "enc", "e": "AQAB", "n": modulus(2048)},
            {"kty": "RSA", "e": "AQAB", "n": modulus(2048)},
            {"kid": "bad-n", "kty": "RSA", "e": "AQAB", "n": "!!"},
            {"kid": "no-e", "kty": "RSA", "n": modulus(2048)},
            "not an object",
            {"kid": "good", "kty": "RSA", "e": "AQAB", "n": modulus(2048)}
        ]});
        let jwks = Jwks::parse(&serde_json::to_vec(&document).unwrap()).unwrap();
        assert_eq!(jwks.key_ids().collect::<Vec<_>>(), ["good"]);
    }

    #[test]
    fn a_document_without_usable_keys_is_an_error() {
        for document in [
            "".as_bytes(),
            b"{}",
            b"{\"keys\": []}",
            b"{\"keys\": {}}",
            b"[]",
            b"<html>Access denied</html>",
        ] {
            assert!(Jwks::parse(document).is_err(), "{document:?}");
        }
        assert_eq!(
            Jwks::parse(&vec![b' '; MAX_JWKS_BYTES + 1]),
            Err(JwksError::TooLarge)
        );
    }

    proptest! {
        #[test]
        fn any_text_is_an_answer_not_a_panic(text in "\\PC{0,400}") {
            if let Ok(assertion) = Assertion::parse(&text) {
                let _ = assertion.check(&team(), NOW);
                let _ = assertion.identity();
            }
            let _ = Jwks::parse(text.as_bytes());
        }

        #[test]
        fn tokens_of_base64url_dots_are_an_answer_not_a_panic(text in "[A-Za-z0-9_.=-]{0,300}") {
            let _ = Assertion::parse(&text);
        }

        /// Changing any one character either breaks the token or changes what the
        /// signature must cover: nothing can be altered under a valid signature.
        #[test]
        fn a_changed_character_never_passes_as_the_signed_original(
            position in 0usize..2000, replacement in "[A-Za-z0-9_.-]"
        ) {
            let original = token(header(), claims());
            let position = position % original.len();
            let mut changed = original.clone();
            changed.replace_range(position..=position, &replacement);
            prop_assume!(changed != original);
            let parsed = Assertion::parse(&original).unwrap();
            if let Ok(tampered) = Assertion::parse(&changed) {
                prop_assert!(
                    tampered.signing_input() != parsed.signing_input()
                        || tampered.signature() != parsed.signature()
                );
            }
        }

        #[test]
        fn an_assertion_is_current_exactly_within_exp_and_the_leeway(offset in -200i64..200) {
            let exp = NOW + offset;
            let result = checked(&token(header(), with(claims(), "exp", json!(exp))));
            prop_assert_eq!(result.is_ok(), NOW <= exp + LEEWAY_SECONDS);
        }
    }
}
