//! `GetRecords` as raw JSON over HTTP.
//!
//! The SDK's typed `GetRecords` cannot read what DynamoDB Local returns for an empty map
//! attribute (`{}` instead of `{"M":{}}`), which would stall a shard for good; the raw
//! records are also exactly the JSON Lambda forwards, so nothing is lost in conversion.
//! DescribeStream and GetShardIterator still go through the SDK.

use bytes::Bytes;
use http::{Request, Uri};
use http_body_util::{BodyExt, Full};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};

use crate::client::LOCAL_ACCESS_KEY_ID;
use crate::template::LOCAL_REGION;

/// Why GetRecords failed.
#[derive(Debug, thiserror::Error)]
pub enum GetRecordsError {
    /// The endpoint is not a valid URI.
    #[error("invalid endpoint {0}")]
    Endpoint(String),
    /// The system's trust store could not be read (for an HTTPS endpoint).
    #[error("cannot read the trust store: {0}")]
    TrustStore(std::io::Error),
    /// The request could not be sent or its answer read.
    #[error("GetRecords failed: {0}")]
    Transport(String),
    /// DynamoDB Streams answered with an error (e.g. `ExpiredIteratorException`).
    #[error("GetRecords failed: {kind}: {message}")]
    Service {
        /// The error type.
        kind: String,
        /// Its message.
        message: String,
    },
}

/// One page of records.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordsPage {
    /// The records, in the stream's JSON.
    pub records: Vec<Value>,
    /// Where to continue; `None` when the shard is closed and drained.
    pub next_iterator: Option<String>,
}

/// A minimal DynamoDB Streams client for `GetRecords`, over HTTP or HTTPS (trusting the
/// system's store and `SSL_CERT_FILE`, as the SDK clients do).
#[derive(Debug, Clone)]
pub struct RawStreams {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    endpoint: Uri,
}

impl RawStreams {
    /// A client for the DynamoDB (Local) at `endpoint`.
    ///
    /// # Errors
    /// [`GetRecordsError::Endpoint`] when `endpoint` is not a URI,
    /// [`GetRecordsError::TrustStore`] when the system's trust store cannot be read.
    pub fn new(endpoint: &str) -> Result<RawStreams, GetRecordsError> {
        let endpoint = endpoint
            .parse()
            .map_err(|_| GetRecordsError::Endpoint(endpoint.to_owned()))?;
        let connector = HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(rustls::crypto::aws_lc_rs::default_provider())
            .map_err(GetRecordsError::TrustStore)?
            .https_or_http()
            .enable_http1()
            .build();
        Ok(RawStreams {
            client: Client::builder(TokioExecutor::new()).build(connector),
            endpoint,
        })
    }

    /// Reads up to `limit` records at `iterator`.
    ///
    /// # Errors
    /// [`GetRecordsError`] when the request fails or DynamoDB Streams refuses it.
    pub async fn get_records(
        &self,
        iterator: &str,
        limit: usize,
    ) -> Result<RecordsPage, GetRecordsError> {
        let body = json!({ "ShardIterator": iterator, "Limit": limit }).to_string();
        // DynamoDB Local reads the access key from the credential scope; it checks no signature.
        let authorization = format!(
            "AWS4-HMAC-SHA256 Credential={LOCAL_ACCESS_KEY_ID}/20240101/{LOCAL_REGION}/dynamodb/aws4_request, SignedHeaders=host, Signature=0"
        );
        let request = Request::post(self.endpoint.clone())
            .header("content-type", "application/x-amz-json-1.0")
            .header("x-amz-target", "DynamoDBStreams_20120810.GetRecords")
            .header("authorization", authorization)
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| GetRecordsError::Transport(e.to_string()))?;
        let response = self
            .client
            .request(request)
            .await
            .map_err(|e| GetRecordsError::Transport(e.to_string()))?;
        let status = response.status();
        let bytes = response
            .into_body()
            .collect()
            .await
            .map_err(|e| GetRecordsError::Transport(e.to_string()))?
            .to_bytes();
        let document: Value = serde_json::from_slice(&bytes)
            .map_err(|e| GetRecordsError::Transport(format!("answer is not JSON: {e}")))?;
        if !status.is_success() {
            let kind = document["__type"].as_str().unwrap_or("UnknownError");
            return Err(GetRecordsError::Service {
                kind: kind.rsplit('#').next().unwrap_or(kind).to_owned(),
                message: document["message"]
                    .as_str()
                    .or(document["Message"].as_str())
                    .unwrap_or_default()
                    .to_owned(),
            });
        }
        Ok(RecordsPage {
            records: document["Records"].as_array().cloned().unwrap_or_default(),
            next_iterator: document["NextShardIterator"].as_str().map(str::to_owned),
        })
    }
}
