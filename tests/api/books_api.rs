//! The `/books` API end to end: the real function binaries behind the local
//! runner (what `make dev` serves), over HTTP, against DynamoDB Local.

use bookshelf_testing::{LocalApi, assert_problem};
use serde_json::{Value, json};

async fn create(api: &LocalApi, title: &str, author: &str, genre: Option<&str>) -> Value {
    let response = api
        .post_json(
            "/books",
            &json!({"title": title, "author": author, "genre": genre}),
        )
        .await;
    assert_eq!(response.status, 201, "{}", response.text());
    response.json()
}

#[tokio::test]
async fn a_client_session_creates_lists_reads_replaces_patches_and_deletes() {
    let api = LocalApi::start().await;

    let created = api
        .post_json(
            "/books",
            &json!({"title": "The Dispossessed", "author": "Ursula K. Le Guin", "genre": "SF"}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let book = created.json();
    let id = book["id"].as_str().unwrap().to_owned();
    assert_eq!(
        created.header("location"),
        Some(format!("/books/{id}").as_str())
    );
    assert_eq!(created.header("etag"), Some("\"1\""));
    create(
        &api,
        "A Wizard of Earthsea",
        "Ursula K. Le Guin",
        Some("Fantasy"),
    )
    .await;
    create(&api, "Dune", "Frank Herbert", Some("SF")).await;

    let list = api.get("/books?limit=2").await;
    assert_eq!(list.status, 200, "{}", list.text());
    let page = list.json();
    let titles: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["A Wizard of Earthsea", "Dune"]);
    let cursor = page["nextCursor"].as_str().unwrap();
    let rest = api
        .get(&format!("/books?limit=2&cursor={cursor}"))
        .await
        .json();
    assert_eq!(rest["items"][0]["title"], "The Dispossessed");
    assert_eq!(rest["nextCursor"], Value::Null);
    let by_author = api
        .get("/books?author=Ursula%20K.%20Le%20Guin&genre=SF")
        .await
        .json();
    assert_eq!(by_author["items"].as_array().unwrap().len(), 1);

    let read = api.get(&format!("/books/{id}")).await;
    assert_eq!(read.status, 200);
    assert_eq!(read.json(), book);
    let not_modified = api
        .request(
            "GET",
            &format!("/books/{id}"),
            &[("if-none-match", "\"1\"")],
            "",
        )
        .await;
    assert_eq!(not_modified.status, 304);
    assert!(not_modified.body.is_empty());

    let replaced = api
        .send_json(
            "PUT",
            &format!("/books/{id}"),
            &[("if-match", "\"1\"")],
            &json!({"title": "The Dispossessed", "author": "Ursula K. Le Guin"}),
        )
        .await;
    assert_eq!(replaced.status, 200, "{}", replaced.text());
    assert_eq!(replaced.json()["genre"], Value::Null);
    assert_eq!(replaced.header("etag"), Some("\"2\""));

    let patched = api
        .send_json(
            "PATCH",
            &format!("/books/{id}"),
            &[("content-type", "application/merge-patch+json")],
            &json!({"genre": "Utopian fiction"}),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text());
    assert_eq!(patched.json()["version"], 3);

    let stale = api
        .send_json(
            "PUT",
            &format!("/books/{id}"),
            &[("if-match", "\"1\"")],
            &json!({"title": "Stale", "author": "Writer"}),
        )
        .await;
    assert_problem(&stale, 412, "precondition-failed");

    let deleted = api.delete(&format!("/books/{id}"), &[]).await;
    assert_eq!(deleted.status, 204, "{}", deleted.text());
    assert_problem(
        &api.get(&format!("/books/{id}")).await,
        404,
        "book-not-found",
    );
}

#[tokio::test]
async fn every_error_is_problem_json_and_changes_nothing() {
    let api = LocalApi::start().await;
    let book = create(&api, "Dune", "Frank Herbert", None).await;
    let path = format!("/books/{}", book["id"].as_str().unwrap());

    let json_type = [("content-type", "application/json")];
    assert_problem(
        &api.request("POST", "/books", &json_type, "{not json").await,
        400,
        "malformed-json",
    );
    assert_problem(
        &api.request("POST", "/books", &[("content-type", "text/plain")], "{}")
            .await,
        415,
        "unsupported-media-type",
    );
    let overhead = json!({"title": "T", "author": "A", "genre": ""})
        .to_string()
        .len();
    let too_big =
        json!({"title": "T", "author": "A", "genre": "x".repeat(64 * 1024 + 1 - overhead)})
            .to_string();
    assert_eq!(too_big.len(), 64 * 1024 + 1);
    assert_problem(
        &api.request("POST", "/books", &json_type, too_big).await,
        413,
        "payload-too-large",
    );
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    assert_problem(
        &api.request("POST", "/books", &json_type, deep).await,
        400,
        "malformed-json",
    );
    let invalid = assert_problem(
        &api.post_json("/books", &json!({"title": "", "author": 7, "extra": true}))
            .await,
        422,
        "validation-failed",
    );
    assert_eq!(invalid["errors"].as_array().unwrap().len(), 3, "{invalid}");
    assert_problem(&api.get("/books?limit=0").await, 400, "bad-request");
    assert_problem(
        &api.get("/books?limit=1&cursor=tampered").await,
        400,
        "bad-request",
    );
    assert_problem(
        &api.get(&format!(
            "/books/{}",
            "0192f0c1-7a9e-7b3c-8d4e-5f6a7b8c9d0e"
        ))
        .await,
        404,
        "book-not-found",
    );
    assert_problem(
        &api.send_json("PUT", &path, &[], &json!({"title": "T"}))
            .await,
        422,
        "validation-failed",
    );
    assert_problem(
        &api.send_json(
            "PUT",
            &path,
            &[],
            &json!({"id": "other", "title": "T", "author": "A"}),
        )
        .await,
        422,
        "validation-failed",
    );
    assert_problem(
        &api.send_json(
            "PUT",
            &path,
            &[],
            &json!({"title": "T", "author": "A", "version": 9}),
        )
        .await,
        412,
        "precondition-failed",
    );
    assert_problem(
        &api.send_json("PATCH", &path, &[], &json!({"title": null}))
            .await,
        422,
        "validation-failed",
    );
    assert_problem(
        &api.delete(&path, &[("if-match", "\"9\"")]).await,
        412,
        "precondition-failed",
    );
    assert_problem(
        &api.send_json(
            "PUT",
            "/books/0192f0c1-7a9e-7b3c-8d4e-5f6a7b8c9d0e",
            &[],
            &json!({"title": "T", "author": "A"}),
        )
        .await,
        404,
        "book-not-found",
    );

    let unchanged = api.get(&path).await.json();
    assert_eq!(unchanged, book);
    let all = api.get("/books").await.json();
    assert_eq!(all["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn of_eight_concurrent_writers_with_one_if_match_exactly_one_wins() {
    let api = std::sync::Arc::new(LocalApi::start().await);
    let book = create(&api, "Dune", "Frank Herbert", None).await;
    // As on Lambda, each write that finds every instance busy gets an instance of its own:
    // the eight race in eight processes, not in one process's queue.
    let before = api.function_stats("ReplaceBookFunction").await;
    assert_eq!(before["instances"], 0, "no PUT has run yet: {before}");
    let path = format!("/books/{}", book["id"].as_str().unwrap());
    let writers: Vec<_> = (0..8)
        .map(|writer| {
            let api = api.clone();
            let path = path.clone();
            tokio::spawn(async move {
                let title = format!("Writer {writer}");
                let status = api
                    .send_json(
                        "PUT",
                        &path,
                        &[("if-match", "\"1\"")],
                        &json!({"title": title, "author": "A"}),
                    )
                    .await
                    .status;
                (status, title)
            })
        })
        .collect();
    let mut statuses = Vec::new();
    let mut winners = Vec::new();
    for writer in writers {
        let (status, title) = writer.await.unwrap();
        statuses.push(status);
        if status == 200 {
            winners.push(title);
        }
    }
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 412, 412, 412, 412, 412, 412, 412]);
    let stored = api.get(&path).await.json();
    assert_eq!(stored["version"], 2);
    assert_eq!(
        stored["title"], winners[0],
        "the stored title is the winner's"
    );
    let after = api.function_stats("ReplaceBookFunction").await;
    assert_eq!(
        (&after["invocations"], &after["peakInstances"]),
        (&json!(8), &json!(8)),
        "the eight writers ran on eight instances at once: {after}"
    );
}

#[tokio::test]
async fn a_retried_create_with_an_idempotency_key_creates_one_book() {
    let api = LocalApi::start().await;
    let body = json!({"title": "Kindred", "author": "Octavia E. Butler"}).to_string();
    let headers = [
        ("content-type", "application/json"),
        ("idempotency-key", "retry-me"),
    ];
    let first = api.request("POST", "/books", &headers, body.clone()).await;
    let retry = api.request("POST", "/books", &headers, body).await;
    assert_eq!((first.status, retry.status), (201, 201), "{}", retry.text());
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
    assert_eq!(first.json(), retry.json());
    let other = api
        .request(
            "POST",
            "/books",
            &headers,
            json!({"title": "Other", "author": "A"}).to_string(),
        )
        .await;
    assert_problem(&other, 422, "idempotency-key-reused");
    assert_eq!(
        api.get("/books").await.json()["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn head_answers_every_get_route_with_its_headers_and_no_body() {
    let api = LocalApi::start().await;
    let book = create(&api, "Dune", "Frank Herbert", Some("SF")).await;
    let id = book["id"].as_str().unwrap();
    for path in [
        "/books".to_owned(),
        format!("/books/{id}"),
        format!("/books/{id}/history"),
        "/booksApi".to_owned(),
        format!("/booksApi/{id}"),
        "/".to_owned(),
        "/assets/app.js".to_owned(),
    ] {
        let get = api.get(&path).await;
        let head = api.request("HEAD", &path, &[], "").await;
        assert_eq!(head.status, get.status, "HEAD {path}");
        assert!(head.body.is_empty(), "HEAD {path} has a body");
        for header in ["content-type", "etag", "cache-control"] {
            assert_eq!(
                head.header(header),
                get.header(header),
                "HEAD {path}: {header}"
            );
        }
    }
    let head = api
        .request(
            "HEAD",
            &format!("/books/{id}"),
            &[("if-none-match", "\"1\"")],
            "",
        )
        .await;
    assert_eq!(head.status, 304);
    let missing = api
        .request(
            "HEAD",
            "/books/0192f0c1-7a9e-7b3c-8d4e-5f6a7b8c9d0e",
            &[],
            "",
        )
        .await;
    assert_eq!(missing.status, 404);
    assert!(missing.body.is_empty());
}

#[tokio::test]
async fn ids_with_encoded_characters_reach_the_functions_decoded_as_on_aws() {
    let api = LocalApi::start().await;
    let book = create(&api, "Kindred", "Octavia E. Butler", None).await;
    let id = book["id"].as_str().unwrap();

    // API Gateway decodes the path (twice for what it routes as one segment), and
    // lambda_http makes a URI of the decoded rawPath, re-encoding what a URI cannot hold:
    // every one of these reaches get-book, which names the decoded id.
    for (sent, decoded_id, instance) in [
        ("/books/a%20b", "a b", "/books/a%20b"),
        ("/books/%CE%BB", "λ", "/books/%CE%BB"),
        ("/books/a%252Fb", "a/b", "/books/a/b"),
        ("/books/a%2523b", "a#b", "/books/a"),
        ("/booksApi/a%20b", "a b", "/booksApi/a%20b"),
    ] {
        let response = api.get(sent).await;
        let problem = assert_problem(&response, 404, "book-not-found");
        assert_eq!(
            problem["detail"],
            format!("no book has the id {decoded_id}"),
            "{sent}"
        );
        assert_eq!(problem["instance"], instance, "{sent}");
    }
    // Decoded once, `%2F` is a slash: no route has that many segments.
    let split = api.get("/books/a%2Fb").await;
    assert_eq!(split.status, 404);
    assert_eq!(split.json(), json!({"message": "Not Found"}));
    // A decoded `?` ends the path: the book itself answers.
    let cut = api.get(&format!("/books/{id}%3Fignored")).await;
    assert_eq!(cut.status, 200, "{}", cut.text());
    assert_eq!(cut.json()["id"], id);
    // A `%` that starts no escape once decoded: API Gateway refuses it.
    let bad = api.get("/books/50%25").await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json(), json!({"message": "Bad Request"}));
}
