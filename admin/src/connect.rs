//! The DynamoDB client a command uses: AWS's usual configuration (environment,
//! profile, role), or a DynamoDB Local endpoint with dummy credentials.

use aws_config::{BehaviorVersion, Region};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::Credentials;

/// Where the table is.
#[derive(Debug, Clone, clap::Args)]
pub struct TableArgs {
    /// The books table's name (the stack's `TableName` output).
    #[arg(long, value_name = "NAME")]
    pub table: String,
    /// A DynamoDB Local to use instead of AWS (e.g. http://127.0.0.1:8000):
    /// dummy credentials, region us-east-1.
    #[arg(long, value_name = "URL")]
    pub dynamodb_local: Option<String>,
}

impl TableArgs {
    /// The client these arguments name.
    pub async fn client(&self) -> Client {
        let loader = aws_config::defaults(BehaviorVersion::latest());
        let loader = match &self.dynamodb_local {
            Some(endpoint) => loader
                .endpoint_url(endpoint)
                .region(Region::new("us-east-1"))
                .credentials_provider(Credentials::new("local", "local", None, None, "local")),
            None => loader,
        };
        Client::new(&loader.load().await)
    }
}
