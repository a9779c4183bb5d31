//! AWS SDK clients for DynamoDB Local: dummy static credentials, the local region and an
//! explicit endpoint, so nothing is read from (or sent to) a real AWS account.

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::config::Credentials;

use crate::template::LOCAL_REGION;

/// Access key id given to every local client and function. DynamoDB Local accepts only
/// letters and digits here; with `-sharedDb` the value does not select a database.
pub const LOCAL_ACCESS_KEY_ID: &str = "local";
/// Secret access key given to every local client and function.
pub const LOCAL_SECRET_ACCESS_KEY: &str = "local";
/// Session token given to functions, as Lambda always sets one.
pub const LOCAL_SESSION_TOKEN: &str = "local";

/// SDK configuration pointing at `endpoint` with dummy credentials in [`LOCAL_REGION`].
pub async fn local_config(endpoint: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(LOCAL_REGION))
        .credentials_provider(Credentials::new(
            LOCAL_ACCESS_KEY_ID,
            LOCAL_SECRET_ACCESS_KEY,
            None,
            None,
            "bookshelf-local",
        ))
        .endpoint_url(endpoint)
        .load()
        .await
}

/// A DynamoDB client for the DynamoDB (Local) at `endpoint`.
pub async fn dynamodb(endpoint: &str) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(&local_config(endpoint).await)
}

/// A DynamoDB Streams client for the DynamoDB (Local) at `endpoint`.
pub async fn dynamodb_streams(endpoint: &str) -> aws_sdk_dynamodbstreams::Client {
    aws_sdk_dynamodbstreams::Client::new(&local_config(endpoint).await)
}
