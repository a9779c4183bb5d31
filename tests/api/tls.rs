//! The functions' own HTTPS client end to end. On AWS every function reaches DynamoDB
//! over HTTPS through the client `bookshelf::app` builds (rustls on ring, the system's
//! trust store); every other test talks plain HTTP to DynamoDB Local. Here the real
//! binaries behind the local runner reach DynamoDB Local only through a TLS terminator
//! whose throwaway CA they trust through `SSL_CERT_FILE`, so a broken TLS client, crypto
//! provider or trust store fails here instead of on AWS.

use std::path::PathBuf;

use bookshelf_local::tls::TlsTerminator;
use bookshelf_testing::endpoint;
use bookshelf_testing::{LocalApi, LocalApiOptions};
use serde_json::json;

/// A TLS terminator in front of the suite's DynamoDB Local.
async fn terminator() -> TlsTerminator {
    let dir =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("tls-{}", uuid::Uuid::new_v4()));
    TlsTerminator::start(&endpoint(), &dir)
        .await
        .expect("TLS terminator started")
}

#[tokio::test]
async fn every_kind_of_function_reaches_dynamodb_over_https() {
    let tls = terminator().await;
    assert!(tls.endpoint.starts_with("https://"), "{}", tls.endpoint);
    let options = LocalApiOptions {
        environment: vec![(
            "SSL_CERT_FILE".to_owned(),
            tls.ca_bundle.display().to_string(),
        )],
        ..LocalApiOptions::default()
    };
    let api = LocalApi::start_against(options, &tls.endpoint).await;

    // A write, a consistent read and an index query, each over HTTPS.
    let created = api
        .post_json(
            "/books",
            &json!({"title": "The Left Hand of Darkness", "author": "Ursula K. Le Guin"}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let id = created.json()["id"].as_str().expect("an id").to_owned();
    let read = api.get(&format!("/books/{id}")).await;
    assert_eq!(read.status, 200, "{}", read.text());
    assert_eq!(read.json()["title"], "The Left Hand of Darkness");
    let listed = api.get("/books?author=Ursula%20K.%20Le%20Guin").await;
    assert_eq!(listed.status, 200, "{}", listed.text());
    assert_eq!(listed.json()["items"][0]["id"], id.as_str());

    // The stream function, invoked by the runner's poller (itself over HTTPS), writes the
    // history entry book-history reads.
    let history = api.history_with(&id, 1).await;
    assert_eq!(
        history["items"][0]["event"],
        "created",
        "{history}\n{}",
        api.output()
    );
    assert_eq!(
        history["items"][0]["book"]["title"], "The Left Hand of Darkness",
        "{history}"
    );
    tls.stop();
}
