//! Tables are created in DynamoDB Local exactly as template.yaml declares them.
//! Needs `DYNAMODB_ENDPOINT` (run through `bookshelf-local with-dynamodb`).

use bookshelf_local::tables::{Outcome, create_table};
use bookshelf_local::template::Template;
use bookshelf_local::with_dynamodb::ENDPOINT_VARIABLE;
use bookshelf_local::{client, workspace};

#[tokio::test]
async fn the_books_table_is_created_as_declared_and_creation_is_idempotent() {
    let endpoint = std::env::var(ENDPOINT_VARIABLE)
        .expect("DYNAMODB_ENDPOINT is not set: run the tests with `make test`");
    let template = Template::load(&workspace::root().join("template.yaml")).expect("template");
    let books = template.table("BooksTable").expect("declared");
    let client = client::dynamodb(&endpoint).await;
    let name = format!("BooksTable-{}", uuid::Uuid::new_v4());
    let first = create_table(&client, books, &name)
        .await
        .expect("first creation succeeds");
    assert_eq!(first, Outcome::Created);
    let described = client
        .describe_table()
        .table_name(&name)
        .send()
        .await
        .expect("table exists");
    let description = described.table().expect("description");
    let mut indexes: Vec<_> = description
        .global_secondary_indexes()
        .iter()
        .filter_map(|i| i.index_name())
        .collect();
    indexes.sort_unstable();
    assert_eq!(indexes, ["byAuthor", "byAuthorGenre", "byGenre", "byTitle"]);
    assert!(
        description.latest_stream_arn().is_some(),
        "stream is enabled"
    );
    let ttl = client
        .describe_time_to_live()
        .table_name(&name)
        .send()
        .await
        .expect("ttl described");
    assert_eq!(
        ttl.time_to_live_description()
            .and_then(|d| d.attribute_name()),
        Some("expiresAt")
    );

    let again = create_table(&client, books, &name)
        .await
        .expect("second creation succeeds");
    assert_eq!(again, Outcome::AlreadyExisted);
}
