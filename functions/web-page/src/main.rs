//! The `web-page` Lambda function: see the crate's `lib.rs` for what it does.
//!
//! It reads no table, so it skips `bookshelf::app::run` and its DynamoDB client.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::tracing::init_default_subscriber();
    lambda_http::run(lambda_http::service_fn(web_page::handle)).await
}
