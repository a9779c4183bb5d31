use super::*;
use bookshelf_testing::{ApiEvent, app, assert_problem, call, stored_count};
use serde_json::{Value, json};

fn post() -> ApiEvent {
    ApiEvent::new("POST", "/books", "/books")
}

#[tokio::test]
async fn creates_a_book() {
    let app = app().await;
    let body =
        json!({"title": "  The Dispossessed ", "author": "Ursula K. Le Guin", "genre": "SF"});
    let response = call(app, handle, &post().json(&body)).await;
    assert_eq!(response.status, 201, "{}", response.text());
    let book = response.json();
    let id = book["id"].as_str().unwrap();
    assert!(bookshelf::BookId::parse(id).is_some(), "{id}");
    assert_eq!(book["title"], "The Dispossessed");
    assert_eq!(book["author"], "Ursula K. Le Guin");
    assert_eq!(book["genre"], "SF");
    assert_eq!(book["version"], 1);
    assert_eq!(book["createdAt"], book["updatedAt"]);
    assert_eq!(
        response.header("location"),
        Some(format!("/books/{id}").as_str())
    );
    assert_eq!(response.header("etag"), Some("\"1\""));
    let stored = app
        .store
        .get(&bookshelf::BookId::parse(id).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(serde_json::to_value(stored).unwrap(), book);
}

#[tokio::test]
async fn genre_is_optional() {
    let app = app().await;
    for body in [
        json!({"title": "T", "author": "A"}),
        json!({"title": "T", "author": "A", "genre": null}),
    ] {
        let response = call(app, handle, &post().json(&body)).await;
        assert_eq!(response.status, 201, "{}", response.text());
        assert_eq!(response.json()["genre"], Value::Null);
    }
}

#[tokio::test]
async fn a_base64_encoded_body_is_read() {
    let app = app().await;
    let body = json!({"title": "Kindred", "author": "Octavia E. Butler"}).to_string();
    let event = post().base64_body("application/json", body.as_bytes());
    let response = call(app, handle, &event).await;
    assert_eq!(response.status, 201, "{}", response.text());
    assert_eq!(response.json()["title"], "Kindred");
}

#[tokio::test]
async fn invalid_fields_are_422_with_every_error_and_store_nothing() {
    let app = app().await;
    let cases = [
        (json!({}), vec!["title", "author"]),
        (
            json!({"title": "", "author": "   "}),
            vec!["title", "author"],
        ),
        (
            json!({"title": "x".repeat(251), "author": "A"}),
            vec!["title"],
        ),
        (
            json!({"title": "T", "author": "A", "genre": "g".repeat(251)}),
            vec!["genre"],
        ),
        (
            json!({"title": 1, "author": ["A"], "genre": false}),
            vec!["title", "author", "genre"],
        ),
        (
            json!({"title": "T", "author": "A", "isbn": "123"}),
            vec!["isbn"],
        ),
        (json!({"title": null, "author": "A"}), vec!["title"]),
    ];
    for (body, fields) in cases {
        let response = call(app, handle, &post().json(&body)).await;
        let problem = assert_problem(&response, 422, "validation-failed");
        let mut reported: Vec<&str> = problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|error| error["field"].as_str().unwrap())
            .collect();
        reported.sort_unstable();
        let mut expected = fields.clone();
        expected.sort_unstable();
        assert_eq!(reported, expected, "{body}");
    }
    assert_eq!(stored_count(app).await, 0);
}

#[tokio::test]
async fn a_250_character_title_is_accepted() {
    let app = app().await;
    let title = "ü".repeat(250);
    let response = call(
        app,
        handle,
        &post().json(&json!({"title": title, "author": "A"})),
    )
    .await;
    assert_eq!(response.status, 201, "{}", response.text());
}

#[tokio::test]
async fn malformed_bodies_get_their_own_status() {
    let app = app().await;
    let cases = [
        (
            post().body(Some("application/json"), "{\"title\": "),
            400,
            "malformed-json",
        ),
        (
            post().body(Some("application/json"), ""),
            400,
            "malformed-json",
        ),
        (
            post().body(Some("text/plain"), "{\"title\":\"T\",\"author\":\"A\"}"),
            415,
            "unsupported-media-type",
        ),
        (
            post().body(None, "{\"title\":\"T\",\"author\":\"A\"}"),
            415,
            "unsupported-media-type",
        ),
        (
            post().body(Some("application/json"), "[1, 2]"),
            422,
            "validation-failed",
        ),
        (
            post().body(
                Some("application/json"),
                &format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)),
            ),
            400,
            "malformed-json",
        ),
    ];
    for (event, status, slug) in cases {
        assert_problem(&call(app, handle, &event).await, status, slug);
    }
    let huge = json!({"title": "T", "author": "A", "genre": "x".repeat(64 * 1024)});
    assert_problem(
        &call(app, handle, &post().json(&huge)).await,
        413,
        "payload-too-large",
    );
    assert_eq!(stored_count(app).await, 0);
}

#[tokio::test]
async fn an_idempotency_key_makes_retries_safe() {
    let app = app().await;
    let body = json!({"title": "Dune", "author": "Frank Herbert"});
    let event = post()
        .json(&body)
        .header("Idempotency-Key", "create-dune-1");
    let first = call(app, handle, &event).await;
    assert_eq!(first.status, 201, "{}", first.text());
    assert_eq!(first.header("idempotent-replayed"), None);
    let retry = call(app, handle, &event).await;
    assert_eq!(retry.status, 201, "{}", retry.text());
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
    assert_eq!(retry.json(), first.json());
    assert_eq!(retry.header("location"), first.header("location"));
    assert_eq!(stored_count(app).await, 1);

    // Whitespace the server trims away does not make it another request.
    let padded = post()
        .json(&json!({"title": " Dune ", "author": "Frank Herbert", "genre": null}))
        .header("Idempotency-Key", "create-dune-1");
    assert_eq!(call(app, handle, &padded).await.json(), first.json());

    let other = post()
        .json(&json!({"title": "Dune Messiah", "author": "Frank Herbert"}))
        .header("Idempotency-Key", "create-dune-1");
    assert_problem(
        &call(app, handle, &other).await,
        422,
        "idempotency-key-reused",
    );
    assert_eq!(stored_count(app).await, 1);
}

#[tokio::test]
async fn concurrent_retries_with_one_key_create_one_book() {
    let app = app().await;
    let event = post()
        .json(&json!({"title": "Dune", "author": "Frank Herbert"}))
        .header("Idempotency-Key", "concurrent-key");
    let attempts = (0..6).map(|_| {
        let event = event.clone();
        tokio::spawn(async move { call(app, handle, &event).await })
    });
    let mut ids = Vec::new();
    for attempt in attempts {
        let response = attempt.await.unwrap();
        assert_eq!(response.status, 201, "{}", response.text());
        ids.push(response.json()["id"].clone());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(stored_count(app).await, 1);
}

#[tokio::test]
async fn a_malformed_idempotency_key_is_400() {
    let app = app().await;
    let body = json!({"title": "Dune", "author": "Frank Herbert"});
    for key in ["has space", &"k".repeat(256)] {
        let event = post().json(&body).header("Idempotency-Key", key);
        assert_problem(&call(app, handle, &event).await, 400, "bad-request");
    }
    assert_eq!(stored_count(app).await, 0);
}

#[tokio::test]
async fn a_create_without_a_signed_in_caller_is_401_and_stores_nothing() {
    let app = app().await;
    let event = post()
        .json(&json!({"title": "Dune", "author": "Frank Herbert"}))
        .anonymous();
    let response = call(app, handle, &event).await;
    assert_problem(&response, 401, "unauthenticated");
    assert_eq!(response.header("www-authenticate"), Some("Bearer"));
    assert_eq!(stored_count(app).await, 0);
}

#[tokio::test]
async fn idempotency_keys_belong_to_their_caller() {
    let app = app().await;
    let body = json!({"title": "Dune", "author": "Frank Herbert"});
    let key = "shared-key-1";
    let alice = post()
        .json(&body)
        .header("idempotency-key", key)
        .signed_in_as("sub-alice", "alice");
    let bob = post()
        .json(&body)
        .header("idempotency-key", key)
        .signed_in_as("sub-bob", "bob");
    let first = call(app, handle, &alice).await;
    let second = call(app, handle, &bob).await;
    assert_eq!((first.status, second.status), (201, 201));
    assert_ne!(
        first.json()["id"],
        second.json()["id"],
        "two callers, two books"
    );
    assert_eq!(second.header("idempotent-replayed"), None);
    let again = call(app, handle, &alice).await;
    assert_eq!(again.json()["id"], first.json()["id"]);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(stored_count(app).await, 2);
}
