//! The `tutorial-get-book` Lambda function: see the crate's `lib.rs` for what it does.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    bookshelf::app::run(tutorial_get_book::handle).await
}
