//! A fresh DynamoDB Local table per test, shaped exactly like a table of `template.yaml`,
//! so store and handler tests run against the real schema.
//!
//! ```no_run
//! # async fn example() {
//! let table = bookshelf_testing::TestTable::create("BooksTable").await;
//! table.client.describe_table().table_name(&table.name).send().await.unwrap();
//! # }
//! ```

use bookshelf_local::template::Template;
use bookshelf_local::with_dynamodb::ENDPOINT_VARIABLE;
use bookshelf_local::{client, tables, workspace};

/// A fresh, uniquely named DynamoDB Local table shaped exactly like a table of template.yaml.
pub struct TestTable {
    /// A client for the DynamoDB Local that holds the table (dummy credentials, us-east-1).
    pub client: aws_sdk_dynamodb::Client,
    /// The table's name: `<logical_id>-<uuid>`.
    pub name: String,
}

impl TestTable {
    /// Reads `DYNAMODB_ENDPOINT` (panics with "DYNAMODB_ENDPOINT is not set: run the tests
    /// with `make test`" when absent), loads `<workspace root>/template.yaml`, and creates
    /// table `logical_id` as `<logical_id>-<uuid>`.
    ///
    /// # Panics
    /// When the endpoint is not set, the template has no such table, or creation fails:
    /// this is test setup, where a panic with the reason is the useful outcome.
    pub async fn create(logical_id: &str) -> TestTable {
        let endpoint = endpoint();
        let template_path = workspace::root().join("template.yaml");
        let template = Template::load(&template_path)
            .unwrap_or_else(|e| panic!("cannot load {}: {e}", template_path.display()));
        let table = template
            .table(logical_id)
            .unwrap_or_else(|| panic!("template.yaml declares no table `{logical_id}`"));
        let client = client::dynamodb(&endpoint).await;
        let name = format!("{logical_id}-{}", uuid::Uuid::new_v4());
        tables::create_table(&client, table, &name)
            .await
            .unwrap_or_else(|e| panic!("cannot create test table {name}: {e}"));
        TestTable { client, name }
    }
}

/// The DynamoDB Local endpoint the tests were given by `with-dynamodb`.
///
/// # Panics
/// When `DYNAMODB_ENDPOINT` is not set.
pub fn endpoint() -> String {
    match std::env::var(ENDPOINT_VARIABLE) {
        Ok(endpoint) if !endpoint.is_empty() => endpoint,
        _ => panic!("DYNAMODB_ENDPOINT is not set: run the tests with `make test`"),
    }
}
