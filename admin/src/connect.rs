//! The DynamoDB client a command uses: AWS's usual configuration (environment,
//! profile, role), or a DynamoDB Local endpoint with dummy credentials.

use aws_config::{BehaviorVersion, Region};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::Credentials;
use bookshelf::store::{BookStore, ShelfShards};

/// Where the table is.
#[derive(Debug, Clone, clap::Args)]
pub struct TableArgs {
    /// The books table's name (the stack's `TableName` output).
    #[arg(long, value_name = "NAME")]
    pub table: String,
    /// The stack's `ShelfShards` parameter: books are placed on (and
    /// migrated to) this many shelf shards. Give exactly the stack's value.
    #[arg(long, value_name = "N", value_parser = parse_shards)]
    pub shelf_shards: ShelfShards,
    /// A DynamoDB Local to use instead of AWS (e.g. http://127.0.0.1:8000):
    /// dummy credentials, region us-east-1.
    #[arg(long, value_name = "URL")]
    pub dynamodb_local: Option<String>,
}

fn parse_shards(raw: &str) -> Result<ShelfShards, String> {
    ShelfShards::parse(raw).map_err(|error| error.to_string())
}

impl TableArgs {
    /// The store these arguments name.
    pub async fn store(&self) -> BookStore {
        BookStore::new(self.client().await, &self.table, self.shelf_shards)
    }

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
