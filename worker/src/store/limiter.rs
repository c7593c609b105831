//! The Workers Rate Limiting binding as a [`FloodLimiter`]: `PUBLIC_LIMITER` in
//! wrangler.toml (`[[ratelimits]]`, `simple = { limit, period = 60 }`). Cloudflare
//! counts per location and eventually consistently, so the limit is approximate; it
//! costs no D1 write and no round trip to a central store. `wrangler dev` simulates it
//! (miniflare's ratelimit worker: fixed windows on the wall clock).

use super::{FloodLimiter, StoreError, StoreResult};
use worker::RateLimiter;

/// The binding, if the deployment has one.
pub struct PublicLimiter(Option<RateLimiter>);

impl PublicLimiter {
    pub fn new(binding: Option<RateLimiter>) -> Self {
        PublicLimiter(binding)
    }
}

impl FloodLimiter for PublicLimiter {
    async fn allow(&self, key: &str) -> StoreResult<bool> {
        let binding = self.0.as_ref().ok_or_else(|| {
            StoreError("no PUBLIC_LIMITER binding (`[[ratelimits]]` in wrangler.toml)".into())
        })?;
        Ok(binding.limit(key.to_string()).await?.success)
    }
}
