//! The S3 client, built once: put, get, copy, delete and presigned URLs.
//!
//! Works unchanged against AWS S3, MinIO and Garage: endpoint, region, bucket and path style come
//! from the configuration, credentials from the usual AWS chain (environment, task role, ...).

use std::time::Duration;

use aws_config::timeout::TimeoutConfig;
use aws_sdk_s3::{
    Client,
    config::{Credentials, Region, RequestChecksumCalculation, ResponseChecksumValidation},
    presigning::PresigningConfig,
    primitives::ByteStream,
};
use bytes::Bytes;

use crate::config::Config;

/// A storage failure; the caller maps it to a 503 (or a 404 for a missing object).
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("object not found")]
    NotFound,
    #[error("object is larger than {0} bytes")]
    TooLarge(u64),
    #[error("storage unreachable: {0}")]
    Unreachable(String),
}

/// A presigned request: method, URL and the headers the client must send with it.
#[derive(Debug, Clone)]
pub struct Presigned {
    pub url: String,
    pub headers: Vec<(String, String)>,
}

/// The bucket, through a client shared by every request.
#[derive(Clone, Debug)]
pub struct Storage {
    client: Client,
    /// Same as `client` but with the browser-facing endpoint, for presigned URLs.
    public: Client,
    bucket: String,
}

impl Storage {
    /// Builds the clients from the configuration and the AWS credential chain.
    pub async fn connect(config: &Config) -> Self {
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(Region::new(config.s3_region.clone()))
            .timeout_config(timeouts());
        if let (Some(id), Some(secret)) = (&config.s3_access_key_id, &config.s3_secret_access_key) {
            loader = loader.credentials_provider(Credentials::new(
                id,
                secret,
                None,
                None,
                "natter-config",
            ));
        }
        let shared = loader.load().await;
        let client_for = |endpoint: Option<&str>| {
            let mut builder = aws_sdk_s3::config::Builder::from(&shared)
                .force_path_style(config.s3_force_path_style)
                // Checksums only where S3 requires them: MinIO and Garage differ in what they accept.
                .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
                .response_checksum_validation(ResponseChecksumValidation::WhenRequired);
            if let Some(endpoint) = endpoint.filter(|e| !e.is_empty()) {
                builder = builder.endpoint_url(endpoint);
            }
            Client::from_conf(builder.build())
        };
        let public_endpoint = config
            .s3_public_endpoint
            .as_deref()
            .unwrap_or(&config.s3_endpoint);
        Self {
            client: client_for(Some(&config.s3_endpoint)),
            public: client_for(Some(public_endpoint)),
            bucket: config.s3_bucket.clone(),
        }
    }

    /// Whether the bucket answers.
    pub async fn ping(&self) -> Result<(), StorageError> {
        self.client
            .head_bucket()
            .bucket(&self.bucket)
            .send()
            .await
            .map(|_| ())
            .map_err(unreachable)
    }

    /// Stores an object (replacing any with the same key).
    pub async fn put(
        &self,
        key: &str,
        body: Bytes,
        content_type: &str,
    ) -> Result<(), StorageError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .body(ByteStream::from(body))
            .send()
            .await
            .map(|_| ())
            .map_err(unreachable)
    }

    /// Whether an object exists.
    pub async fn exists(&self, key: &str) -> Result<bool, StorageError> {
        match self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => Ok(false),
            Err(e) => Err(unreachable(e)),
        }
    }

    /// Reads a whole object of at most `max` bytes.
    pub async fn get(&self, key: &str, max: u64) -> Result<Bytes, StorageError> {
        let object = match self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(object) => object,
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => {
                return Err(StorageError::NotFound);
            }
            Err(e) => return Err(unreachable(e)),
        };
        if object.content_length().is_some_and(|len| len as u64 > max) {
            return Err(StorageError::TooLarge(max));
        }
        let bytes = object
            .body
            .collect()
            .await
            .map_err(unreachable)?
            .into_bytes();
        if bytes.len() as u64 > max {
            return Err(StorageError::TooLarge(max));
        }
        Ok(bytes)
    }

    /// Deletes an object (deleting a missing one is not an error).
    pub async fn delete(&self, key: &str) -> Result<(), StorageError> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .map(|_| ())
            .map_err(unreachable)
    }

    /// A presigned PUT of exactly this content type and size, valid for `ttl`.
    pub async fn presign_put(
        &self,
        key: &str,
        content_type: &str,
        size: u64,
        ttl: Duration,
    ) -> Result<Presigned, StorageError> {
        let request = self
            .public
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .content_length(size as i64)
            .presigned(presigning(ttl)?)
            .await
            .map_err(unreachable)?;
        Ok(Presigned {
            url: request.uri().to_owned(),
            headers: request
                .headers()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        })
    }

    /// A presigned GET valid for `ttl`, answered with this content type.
    pub async fn presign_get(
        &self,
        key: &str,
        content_type: &str,
        ttl: Duration,
    ) -> Result<String, StorageError> {
        let request = self
            .public
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .response_content_type(content_type)
            .response_cache_control("private, max-age=300")
            .presigned(presigning(ttl)?)
            .await
            .map_err(unreachable)?;
        Ok(request.uri().to_owned())
    }
}

/// A store that stops answering must not hold uploads (and their memory) forever: each attempt is
/// bounded, and so is the whole call with its retries; the caller answers 503.
fn timeouts() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(3))
        .operation_attempt_timeout(Duration::from_secs(30))
        .operation_timeout(Duration::from_secs(60))
        .build()
}

fn presigning(ttl: Duration) -> Result<PresigningConfig, StorageError> {
    PresigningConfig::expires_in(ttl).map_err(|e| StorageError::Unreachable(e.to_string()))
}

fn unreachable(e: impl std::error::Error) -> StorageError {
    // The SDK's Display is terse; the debug chain says what actually failed.
    StorageError::Unreachable(format!("{e:?}"))
}
