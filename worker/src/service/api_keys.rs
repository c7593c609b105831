//! API keys: created with a name and scopes (the secret shown once, kept as a hash),
//! listed, revoked, and found again from a bearer token. The key's name is the actor
//! of what it changes. Creating and revoking are audited in the same write.

use super::{Done, ServiceError, audit, new_id, random};
use crate::store::{ApiKeyStore, StoreError, StoredApiKey};
use nps_shared::staff::{
    ApiKeyCreated, ApiKeyView, AuditAction, CreateApiKey, Credential, MAX_KEY_NAME_CHARS,
    Principal, secret,
};
use nps_shared::time::rfc3339;
use nps_shared::validate::FieldError;

/// `last_used_at` is written at most this often per key.
pub const LAST_USED_EVERY_MS: i64 = 60_000;

/// `POST /v1/api-keys`.
pub async fn create(
    store: &impl ApiKeyStore,
    principal: &Principal,
    request: CreateApiKey,
    now_ms: i64,
) -> Result<ApiKeyCreated, ServiceError> {
    let mut errors = Vec::new();
    let name = request.name.trim().to_owned();
    let length = name.chars().count();
    if length == 0 || length > MAX_KEY_NAME_CHARS || name.chars().any(char::is_control) {
        errors.push(FieldError::new(
            "name",
            "must be 1 to 80 characters without control characters",
        ));
    }
    let mut scopes = request.scopes;
    scopes.sort();
    scopes.dedup();
    if scopes.is_empty() {
        errors.push(FieldError::new(
            "scopes",
            "must name at least one of read, cases, admin",
        ));
    }
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    let secret = secret::new(random()?);
    let key = StoredApiKey {
        view: ApiKeyView {
            id: new_id("key_", now_ms)?,
            name,
            scopes,
            created_at: rfc3339(now_ms),
            last_used_at: None,
            revoked_at: None,
        },
        secret_hash: secret::hash(&secret),
    };
    let scope_names: Vec<&str> = key.view.scopes.iter().map(|s| s.as_str()).collect();
    let change = audit::Change::new(
        AuditAction::ApiKeyCreated,
        &key.view.id,
        format!("key {:?} with {}", key.view.name, scope_names.join(", ")),
    );
    store
        .insert_api_key(&key, &audit::entry(principal, change, now_ms)?)
        .await?;
    Ok(ApiKeyCreated {
        key: key.view,
        secret,
    })
}

/// `GET /v1/api-keys`: never a secret.
pub async fn list(store: &impl ApiKeyStore) -> Result<Vec<ApiKeyView>, ServiceError> {
    Ok(store.list_api_keys().await?)
}

/// `DELETE /v1/api-keys/{id}`: the key stops working at once. Revoking again is no
/// change; an unknown key is 404.
pub async fn revoke(
    store: &impl ApiKeyStore,
    principal: &Principal,
    id: &str,
    now_ms: i64,
) -> Result<(), ServiceError> {
    let change = audit::Change::new(AuditAction::ApiKeyRevoked, id, "revoked");
    let entry = audit::entry(principal, change, now_ms)?;
    if store.revoke_api_key(id, &rfc3339(now_ms), &entry).await? {
        Ok(())
    } else {
        Err(ServiceError::NotFound(format!("API key {id}")))
    }
}

/// The principal of a bearer token that is a key's secret: `None` for an unknown or
/// revoked key. Notes the key's use (at most once a minute; a failure to note it is a
/// follow-up, not a refusal).
pub async fn authenticate(
    store: &impl ApiKeyStore,
    token: &str,
    now_ms: i64,
) -> Result<Done<Option<Principal>>, StoreError> {
    if !secret::looks_like_key(token) {
        return Ok(Done::new(None));
    }
    let Some(key) = store.api_key_by_hash(&secret::hash(token)).await? else {
        return Ok(Done::new(None));
    };
    if key.view.revoked_at.is_some() {
        return Ok(Done::new(None));
    }
    let stale_before = rfc3339(now_ms - LAST_USED_EVERY_MS);
    let touched = if key
        .view
        .last_used_at
        .as_deref()
        .is_none_or(|at| at < stale_before.as_str())
    {
        store
            .touch_api_key(&key.view.id, &rfc3339(now_ms), &stale_before)
            .await
    } else {
        Ok(())
    };
    let principal = Principal {
        actor: key.view.name,
        scopes: key.view.scopes,
        credential: Credential::ApiKey { id: key.view.id },
    };
    Ok(Done::new(Some(principal)).unless(touched))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::TestStore;
    use crate::store::{AuditFilter, AuditStore};
    use nps_shared::staff::{PrincipalKind, Scope};
    use pollster::block_on;

    const NOW: i64 = 1_764_000_000_000;

    fn request(name: &str, scopes: &[Scope]) -> CreateApiKey {
        CreateApiKey {
            name: name.into(),
            scopes: scopes.to_vec(),
        }
    }

    fn admin() -> Principal {
        Principal::bootstrap(Some("anna@shop"))
    }

    #[test]
    fn managing_keys_and_signing_in_with_one_cost_the_same_among_a_hundred_or_a_thousand_keys() {
        use crate::store::metered::FREE_PLAN_QUERIES;
        let measure = |n: usize| {
            let m = TestStore::default();
            for i in 0..n {
                block_on(create(
                    &m,
                    &admin(),
                    request(&format!("key {i}"), &[Scope::Read]),
                    NOW,
                ))
                .unwrap();
                m.reset_queries();
            }
            let mut costs = Vec::new();
            let mut cost = |m: &TestStore| {
                costs.push(m.queries());
                m.reset_queries();
            };
            let made = block_on(create(&m, &admin(), request("ci", &[Scope::Admin]), NOW)).unwrap();
            cost(&m);
            block_on(list(&m)).unwrap();
            cost(&m);
            let signed_in = block_on(authenticate(&m, &made.secret, NOW)).unwrap();
            assert!(signed_in.is_some());
            cost(&m);
            block_on(authenticate(&m, &made.secret, NOW + 1000)).unwrap();
            cost(&m);
            block_on(revoke(&m, &admin(), &made.key.id, NOW)).unwrap();
            cost(&m);
            costs
        };
        let small = measure(100);
        // Create (the key and its audit entry in one batch); list; a first sign-in
        // notes the use, one within the minute only reads; revoke (with its entry).
        assert_eq!(small, [2, 1, 2, 1, 2]);
        assert_eq!(measure(1_000), small);
        assert!(small.iter().all(|&q| q <= FREE_PLAN_QUERIES));
    }

    #[test]
    fn a_created_key_authenticates_as_its_name_with_its_scopes_until_revoked() {
        let m = TestStore::default();
        let created = block_on(create(
            &m,
            &admin(),
            request(" helpdesk ", &[Scope::Cases, Scope::Read, Scope::Cases]),
            NOW,
        ))
        .unwrap();
        assert!(created.secret.starts_with("nps_"));
        assert_eq!(created.key.name, "helpdesk");
        assert_eq!(created.key.scopes, [Scope::Read, Scope::Cases]);
        assert_eq!(created.key.last_used_at, None);
        let listed = block_on(list(&m)).unwrap();
        assert_eq!(listed, std::slice::from_ref(&created.key));
        assert!(!format!("{listed:?}").contains(&created.secret));

        let who = block_on(authenticate(&m, &created.secret, NOW + 1))
            .unwrap()
            .value
            .unwrap();
        assert_eq!(who.actor, "helpdesk");
        assert_eq!(who.key_id(), Some(created.key.id.as_str()));
        assert!(who.allows(Scope::Cases) && !who.allows(Scope::Admin));

        block_on(revoke(&m, &admin(), &created.key.id, NOW + 2)).unwrap();
        assert_eq!(
            block_on(authenticate(&m, &created.secret, NOW + 3))
                .unwrap()
                .value,
            None
        );
        let listed = block_on(list(&m)).unwrap();
        assert_eq!(listed[0].revoked_at, Some(rfc3339(NOW + 2)));
        assert_eq!(listed[0].last_used_at, Some(rfc3339(NOW + 1)));
    }

    #[test]
    fn creating_and_revoking_are_audited_with_who_did_it() {
        let m = TestStore::default();
        let created = block_on(create(&m, &admin(), request("ci", &[Scope::Read]), NOW)).unwrap();
        block_on(revoke(&m, &admin(), &created.key.id, NOW + 1)).unwrap();
        let entries = block_on(m.list_audit(&AuditFilter::default(), None, 10)).unwrap();
        let seen: Vec<_> = entries
            .iter()
            .map(|e| {
                (
                    e.action,
                    e.actor.as_str(),
                    e.principal_kind,
                    e.target_id.as_str(),
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                (
                    AuditAction::ApiKeyRevoked,
                    "anna@shop",
                    PrincipalKind::Bootstrap,
                    created.key.id.as_str()
                ),
                (
                    AuditAction::ApiKeyCreated,
                    "anna@shop",
                    PrincipalKind::Bootstrap,
                    created.key.id.as_str()
                ),
            ]
        );
        assert_eq!(entries[1].summary, "key \"ci\" with read");
        assert!(!entries.iter().any(|e| e.summary.contains(&created.secret)));
    }

    #[test]
    fn a_wrong_name_or_no_scope_is_422_at_each_field_and_an_unknown_key_is_404() {
        let m = TestStore::default();
        for (name, scopes, field) in [
            ("", vec![Scope::Read], "name"),
            ("   ", vec![Scope::Read], "name"),
            (&*"k".repeat(81), vec![Scope::Read], "name"),
            ("tab\tkey", vec![Scope::Read], "name"),
            ("ci", vec![], "scopes"),
        ] {
            match block_on(create(&m, &admin(), request(name, &scopes), NOW)) {
                Err(ServiceError::Invalid(errors)) => {
                    assert_eq!(errors[0].field, field, "{name:?}")
                }
                other => panic!("{name:?}: {other:?}"),
            }
        }
        assert!(
            block_on(create(
                &m,
                &admin(),
                request(&"k".repeat(80), &[Scope::Admin]),
                NOW
            ))
            .is_ok()
        );
        assert!(matches!(
            block_on(revoke(&m, &admin(), "key_nope", NOW)),
            Err(ServiceError::NotFound(_))
        ));
    }

    #[test]
    fn a_token_that_is_no_key_costs_no_lookup_and_an_unknown_key_is_none() {
        let m = TestStore::default();
        m.fail_on(Some("api_keys"));
        // Not key-shaped: refused without asking storage (which is down).
        assert_eq!(
            block_on(authenticate(&m, "guess-1", NOW)).unwrap().value,
            None
        );
        let unknown = secret::new([1; 32]);
        assert!(block_on(authenticate(&m, &unknown, NOW)).is_err());
    }

    #[test]
    fn use_is_noted_at_most_once_a_minute() {
        let m = TestStore::default();
        let created = block_on(create(&m, &admin(), request("ci", &[Scope::Read]), NOW)).unwrap();
        let last_used = || block_on(list(&m)).unwrap()[0].last_used_at.clone();
        block_on(authenticate(&m, &created.secret, NOW)).unwrap();
        assert_eq!(last_used(), Some(rfc3339(NOW)));
        block_on(authenticate(&m, &created.secret, NOW + 59_000)).unwrap();
        assert_eq!(last_used(), Some(rfc3339(NOW)));
        block_on(authenticate(&m, &created.secret, NOW + 61_000)).unwrap();
        assert_eq!(last_used(), Some(rfc3339(NOW + 61_000)));
    }
}
