//! The `web-page` Lambda function: see the crate's `lib.rs` for what it does.
//!
//! It reads no table, so it runs without the DynamoDB client.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    bookshelf::app::run_without_table(web_page::handle).await
}
