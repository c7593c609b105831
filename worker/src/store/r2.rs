//! The R2 bucket `ARCHIVE` (`wrangler dev` keeps a local one in its state directory):
//! answer archives under `archive/` behind [`ArchiveBucket`] — parts compressed by the
//! runtime's own `CompressionStream("gzip")`, which costs the wasm nothing — and
//! export chunks under `exports/` and campaign lists under `campaigns/` behind
//! [`ObjectStore`] (a conditional write on the etag for the lists' GDPR scrub).

use super::{ArchiveBucket, ObjectStore, StoreError, StoreResult, Stored};
use wasm_bindgen::{JsCast, JsValue, prelude::wasm_bindgen};
use wasm_bindgen_futures::JsFuture;
use worker::{Bucket, HttpMetadata};

#[wasm_bindgen]
extern "C" {
    /// The runtime's `CompressionStream` (web-sys has it only behind its unstable
    /// APIs flag).
    #[wasm_bindgen(js_name = CompressionStream)]
    type Compression;
    #[wasm_bindgen(constructor, js_class = "CompressionStream", catch)]
    fn new(format: &str) -> Result<Compression, JsValue>;
    #[wasm_bindgen(method, getter, js_class = "CompressionStream")]
    fn readable(this: &Compression) -> web_sys::ReadableStream;
    #[wasm_bindgen(method, getter, js_class = "CompressionStream")]
    fn writable(this: &Compression) -> web_sys::WritableStream;
    /// The runtime's `DecompressionStream`.
    #[wasm_bindgen(js_name = DecompressionStream)]
    type Decompression;
    #[wasm_bindgen(constructor, js_class = "DecompressionStream", catch)]
    fn new(format: &str) -> Result<Decompression, JsValue>;
    #[wasm_bindgen(method, getter, js_class = "DecompressionStream")]
    fn readable(this: &Decompression) -> web_sys::ReadableStream;
    #[wasm_bindgen(method, getter, js_class = "DecompressionStream")]
    fn writable(this: &Decompression) -> web_sys::WritableStream;
}

fn failed(what: &str, e: JsValue) -> StoreError {
    StoreError(format!("{what}: {e:?}"))
}

/// `data` as gzip, compressed by the runtime.
async fn gzip(data: &[u8]) -> StoreResult<Vec<u8>> {
    let gzip = Compression::new("gzip").map_err(|e| failed("CompressionStream", e))?;
    let pair = web_sys::ReadableWritablePair::new(&gzip.readable(), &gzip.writable());
    through(data, &pair, "gzip").await
}

/// `data` (gzip) decompressed by the runtime.
async fn gunzip(data: &[u8]) -> StoreResult<Vec<u8>> {
    let gunzip = Decompression::new("gzip").map_err(|e| failed("DecompressionStream", e))?;
    let pair = web_sys::ReadableWritablePair::new(&gunzip.readable(), &gunzip.writable());
    through(data, &pair, "gunzip").await
}

/// `data` piped through a transform stream of the runtime, read to the end.
async fn through(
    data: &[u8],
    pair: &web_sys::ReadableWritablePair,
    what: &str,
) -> StoreResult<Vec<u8>> {
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(data));
    let blob = web_sys::Blob::new_with_u8_array_sequence(&parts).map_err(|e| failed("blob", e))?;
    let out = blob.stream().pipe_through(pair);
    let response =
        web_sys::Response::new_with_opt_readable_stream(Some(&out)).map_err(|e| failed(what, e))?;
    let buffer = JsFuture::from(response.array_buffer().map_err(|e| failed(what, e))?)
        .await
        .map_err(|e| failed(what, e))?;
    let buffer: js_sys::ArrayBuffer = buffer.dyn_into().map_err(|e| failed(what, e))?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

pub struct R2Archive {
    bucket: Bucket,
}

impl R2Archive {
    pub fn new(bucket: Bucket) -> Self {
        R2Archive { bucket }
    }
}

impl ArchiveBucket for R2Archive {
    async fn put_gzip(&self, key: &str, ndjson: &str) -> StoreResult<Stored> {
        let body = gzip(ndjson.as_bytes()).await?;
        let object = self
            .bucket
            .put(key, body)
            .http_metadata(worker::HttpMetadata {
                content_type: Some("application/gzip".into()),
                ..Default::default()
            })
            .execute()
            .await?
            .ok_or_else(|| StoreError(format!("R2 did not store {key}")))?;
        Ok(Stored {
            bytes: object.size(),
            etag: object.etag(),
        })
    }

    async fn head(&self, key: &str) -> StoreResult<Option<Stored>> {
        Ok(self.bucket.head(key).await?.map(|object| Stored {
            bytes: object.size(),
            etag: object.etag(),
        }))
    }

    async fn get(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        let Some(object) = self.bucket.get(key).execute().await? else {
            return Ok(None);
        };
        match object.body() {
            Some(body) => Ok(Some(body.bytes().await?)),
            None => Err(StoreError(format!("R2 object {key} without a body"))),
        }
    }

    async fn read_ndjson(&self, key: &str) -> StoreResult<Option<String>> {
        let Some(bytes) = self.get(key).await? else {
            return Ok(None);
        };
        let text = gunzip(&bytes).await?;
        String::from_utf8(text)
            .map(Some)
            .map_err(|e| StoreError(format!("archive {key}: {e}")))
    }

    async fn delete(&self, key: &str) -> StoreResult<()> {
        Ok(self.bucket.delete(key).await?)
    }
}

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

    async fn get_object_version(&self, key: &str) -> StoreResult<Option<(Vec<u8>, String)>> {
        let Some(object) = self.bucket.get(key).execute().await? else {
            return Ok(None);
        };
        let etag = object.etag();
        let body = object
            .body()
            .ok_or_else(|| StoreError(format!("R2 object {key} came without a body")))?;
        Ok(Some((body.bytes().await?, etag)))
    }

    async fn replace_object(
        &self,
        key: &str,
        body: Vec<u8>,
        content_type: &str,
        version: &str,
    ) -> StoreResult<bool> {
        // A failed precondition returns no object (null), not an error.
        let written = self
            .bucket
            .put(key, body)
            .http_metadata(HttpMetadata {
                content_type: Some(content_type.to_string()),
                ..Default::default()
            })
            .only_if(worker::Conditional {
                etag_matches: Some(version.to_string()),
                ..Default::default()
            })
            .execute()
            .await?;
        Ok(written.is_some())
    }

    async fn delete_objects(&self, keys: &[String]) -> StoreResult<()> {
        // R2 deletes up to 1,000 keys a request.
        for chunk in keys.chunks(1000) {
            self.bucket
                .delete_multiple(chunk.iter().map(String::as_str).collect())
                .await?;
        }
        Ok(())
    }
}
