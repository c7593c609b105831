//! The R2 bucket (`ARCHIVE`) behind [`ObjectStore`]: export chunks are written here
//! under `exports/`, beside the archive of old answers under `archive/`.

use super::{ObjectStore, StoreError, StoreResult};
use worker::{Bucket, HttpMetadata};

pub struct R2 {
    bucket: Bucket,
}

impl R2 {
    pub fn new(bucket: Bucket) -> Self {
        R2 { bucket }
    }
}

impl ObjectStore for R2 {
    async fn put_object(&self, key: &str, body: Vec<u8>, content_type: &str) -> StoreResult<()> {
        self.bucket
            .put(key, body)
            .http_metadata(HttpMetadata {
                content_type: Some(content_type.to_string()),
                ..Default::default()
            })
            .execute()
            .await?;
        Ok(())
    }

    async fn get_object(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        let Some(object) = self.bucket.get(key).execute().await? else {
            return Ok(None);
        };
        let body = object
            .body()
            .ok_or_else(|| StoreError(format!("R2 object {key} came without a body")))?;
        Ok(Some(body.bytes().await?))
    }
}
