//! The change history end to end: writes over HTTP, the table's stream polled
//! by the local runner, the `record-history` function, and
//! `GET /books/{id}/history`.

use bookshelf_testing::LocalApi;
use serde_json::{Value, json};

#[tokio::test]
async fn every_write_shows_up_in_the_history_newest_first() {
    let api = LocalApi::start().await;
    let created = api
        .post_json(
            "/books",
            &json!({"title": "Dune", "author": "Frank Herbert", "genre": "SF"}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let id = created.json()["id"].as_str().unwrap().to_owned();
    let path = format!("/books/{id}");
    let replaced = api
        .send_json(
            "PUT",
            &path,
            &[],
            &json!({"title": "Dune Messiah", "author": "Frank Herbert", "genre": "SF"}),
        )
        .await;
    assert_eq!(replaced.status, 200, "{}", replaced.text());
    let patched = api
        .send_json(
            "PATCH",
            &path,
            &[("content-type", "application/merge-patch+json")],
            &json!({"genre": null}),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text());
    assert_eq!(api.delete(&path, &[]).await.status, 204);

    let history = api.history_with(&id, 4).await;
    let entries = history["items"].as_array().unwrap();
    let events: Vec<&str> = entries
        .iter()
        .map(|entry| entry["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        events,
        ["deleted", "updated", "updated", "created"],
        "{history}\n{}",
        api.output()
    );
    let versions: Vec<u64> = entries
        .iter()
        .map(|entry| entry["version"].as_u64().unwrap())
        .collect();
    assert_eq!(versions, [3, 3, 2, 1]);
    assert_eq!(entries[0]["book"], Value::Null);
    assert_eq!(
        entries[1]["changes"],
        json!({"genre": {"from": "SF", "to": null}})
    );
    assert_eq!(
        entries[2]["changes"],
        json!({"title": {"from": "Dune", "to": "Dune Messiah"}})
    );
    assert_eq!(entries[3]["changes"], json!({}));
    assert_eq!(entries[3]["book"]["title"], "Dune");

    // Never-existing ids are 404; the deleted book's history still answers.
    let unknown = api
        .get("/books/0192f0c1-7a9e-7b3c-8d4e-5f6a7b8c9d0e/history")
        .await;
    assert_eq!(unknown.status, 404);
    assert_eq!(api.history_with(&id, 4).await, history);
}
