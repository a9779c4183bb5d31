use super::*;
use bookshelf_testing::{ApiEvent, app, assert_problem, call, seed};
use serde_json::Value;

/// A `GET /books` event with `query`.
pub(crate) fn list(query: &[(&str, &str)]) -> ApiEvent {
    ApiEvent::new("GET", "/books", "/books").query(query)
}

/// The titles of a page, in order.
pub(crate) fn titles(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|book| book["title"].as_str().unwrap().to_owned())
        .collect()
}

/// Follows `nextCursor` to the end; returns every page.
pub(crate) async fn all_pages(app: &'static App, query: &[(&str, &str)]) -> Vec<Value> {
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut pairs = query.to_vec();
        if let Some(cursor) = &cursor {
            pairs.push(("cursor", cursor));
        }
        let response = call(app, handle, &list(&pairs)).await;
        assert_eq!(response.status, 200, "{}", response.text());
        let page = response.json();
        cursor = page["nextCursor"].as_str().map(str::to_owned);
        pages.push(page);
        if cursor.is_none() {
            return pages;
        }
    }
}

#[tokio::test]
async fn an_empty_shelf_is_one_empty_page() {
    let app = app().await;
    let response = call(app, handle, &list(&[])).await;
    assert_eq!(response.status, 200);
    assert_eq!(
        response.json(),
        serde_json::json!({"items": [], "nextCursor": null})
    );
}

#[tokio::test]
async fn sorts_by_title_ignoring_case_then_by_exact_title_then_by_id() {
    let app = app().await;
    let first_b = seed(app, "b", "A", None).await;
    for title in ["Zebra", "apple", "Banana", "B", "b"] {
        seed(app, title, "A", None).await;
    }
    let page = call(app, handle, &list(&[])).await.json();
    assert_eq!(titles(&page), ["apple", "B", "b", "b", "Banana", "Zebra"]);
    assert_eq!(page["items"][2]["id"], first_b.id.as_str());
}

#[tokio::test]
async fn sorts_as_a_catalogue_files_ignoring_accents_and_case() {
    let app = app().await;
    for title in [
        "Zebra",
        "été",
        "Foundation",
        "Éclair",
        "Dune",
        "Ångström",
        "strasse",
        "Straße",
        "Anathem",
    ] {
        seed(app, title, "A", None).await;
    }
    // Two pages, so the order holds across a cursor too. "Straße" and
    // "strasse" fold alike: the exact titles break the tie ("S" < "s").
    let pages = all_pages(app, &[("limit", "4")]).await;
    let listed: Vec<String> = pages.iter().flat_map(titles).collect();
    assert_eq!(
        listed,
        [
            "Anathem",
            "Ångström",
            "Dune",
            "Éclair",
            "été",
            "Foundation",
            "Straße",
            "strasse",
            "Zebra"
        ]
    );
}

#[tokio::test]
async fn pages_cover_every_book_once() {
    let app = app().await;
    let mut expected = Vec::new();
    for index in 0..23 {
        expected.push(
            seed(app, &format!("Book {index:02}"), "A", None)
                .await
                .title,
        );
    }
    let pages = all_pages(app, &[("limit", "5")]).await;
    assert_eq!(pages.len(), 5);
    let listed: Vec<String> = pages.iter().flat_map(titles).collect();
    assert_eq!(listed, expected);
    assert_eq!(titles(&pages[4]).len(), 3);
}

#[tokio::test]
async fn the_default_page_is_25_and_an_exact_fit_has_no_cursor() {
    let app = app().await;
    for index in 0..26 {
        seed(app, &format!("Book {index:02}"), "A", None).await;
    }
    let page = call(app, handle, &list(&[])).await.json();
    assert_eq!(titles(&page).len(), 25);
    assert!(page["nextCursor"].is_string());
    let exact = call(app, handle, &list(&[("limit", "26")])).await.json();
    assert_eq!(titles(&exact).len(), 26);
    assert_eq!(exact["nextCursor"], Value::Null);
}

#[tokio::test]
async fn filters_by_author_genre_and_both() {
    let app = app().await;
    seed(app, "The Dispossessed", "Ursula K. Le Guin", Some("SF")).await;
    seed(
        app,
        "A Wizard of Earthsea",
        "Ursula K. Le Guin",
        Some("Fantasy"),
    )
    .await;
    seed(app, "Dune", "Frank Herbert", Some("SF")).await;
    seed(app, "Lathe of Heaven", "Ursula K. Le Guin", None).await;
    let by_author = call(app, handle, &list(&[("author", "Ursula K. Le Guin")]))
        .await
        .json();
    assert_eq!(
        titles(&by_author),
        [
            "A Wizard of Earthsea",
            "Lathe of Heaven",
            "The Dispossessed"
        ]
    );
    let by_genre = call(app, handle, &list(&[("genre", "SF")])).await.json();
    assert_eq!(titles(&by_genre), ["Dune", "The Dispossessed"]);
    let both = call(
        app,
        handle,
        &list(&[("author", "Ursula K. Le Guin"), ("genre", "SF")]),
    )
    .await
    .json();
    assert_eq!(titles(&both), ["The Dispossessed"]);
    let exact = call(app, handle, &list(&[("author", "ursula k. le guin")]))
        .await
        .json();
    assert!(titles(&exact).is_empty(), "filters match exactly");
}

#[tokio::test]
async fn filtered_pages_cover_every_match_once() {
    let app = app().await;
    for index in 0..12 {
        let genre = if index % 3 == 0 { "SF" } else { "Other" };
        seed(app, &format!("Book {index:02}"), "Same Author", Some(genre)).await;
    }
    let pages = all_pages(
        app,
        &[("author", "Same Author"), ("genre", "SF"), ("limit", "2")],
    )
    .await;
    let listed: Vec<String> = pages.iter().flat_map(titles).collect();
    assert_eq!(listed, ["Book 00", "Book 03", "Book 06", "Book 09"]);
}

#[tokio::test]
async fn bad_limits_are_400() {
    let app = app().await;
    for limit in ["0", "101", "-1", "ten", "", "2.5"] {
        let response = call(app, handle, &list(&[("limit", limit)])).await;
        assert_problem(&response, 400, "bad-request");
    }
    let repeated = call(app, handle, &list(&[("limit", "1"), ("limit", "2")])).await;
    assert_problem(&repeated, 400, "bad-request");
    let blank_filter = call(app, handle, &list(&[("author", " ")])).await;
    assert_problem(&blank_filter, 400, "bad-request");
}

#[tokio::test]
async fn tampered_or_foreign_cursors_are_400() {
    let app = app().await;
    for index in 0..3 {
        seed(app, &format!("Book {index}"), "A", Some("SF")).await;
    }
    let page = call(app, handle, &list(&[("limit", "1")])).await.json();
    let cursor = page["nextCursor"].as_str().unwrap().to_owned();
    let mut tampered = cursor.clone().into_bytes();
    let last = tampered.len() - 1;
    tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    for bad in [
        tampered.as_str(),
        "garbage",
        "",
        &cursor[..cursor.len() / 2],
    ] {
        let response = call(app, handle, &list(&[("limit", "1"), ("cursor", bad)])).await;
        assert_problem(&response, 400, "bad-request");
    }
    let other_query = call(app, handle, &list(&[("genre", "SF"), ("cursor", &cursor)])).await;
    assert_problem(&other_query, 400, "bad-request");
    let same = call(app, handle, &list(&[("limit", "1"), ("cursor", &cursor)])).await;
    assert_eq!(titles(&same.json()), ["Book 1"]);
}

/// A cursor as the release before catalogue order signed it (format 2): a
/// lower-cased title key.
fn format_2_cursor(title_key: &str, id: &str) -> String {
    use base64::Engine;
    use hmac::Mac;
    let mut bytes = vec![2];
    let payload = serde_json::json!({"k": {"t": title_key, "i": id}, "f": "AAAAAAAAAAAAAAAA"});
    bytes.extend(serde_json::to_vec(&payload).unwrap());
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(
        bookshelf_testing::TEST_CURSOR_SECRET.as_bytes(),
    )
    .unwrap();
    mac.update(&bytes);
    bytes.extend_from_slice(&mac.finalize().into_bytes()[..16]);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[tokio::test]
async fn a_cursor_of_the_earlier_sort_order_is_a_clear_400() {
    let app = app().await;
    let book = seed(app, "Éclair", "A", None).await;
    let old = format_2_cursor(&format!("éclair\u{1}{}", book.id), book.id.as_str());
    let response = call(app, handle, &list(&[("cursor", &old)])).await;
    let problem = assert_problem(&response, 400, "bad-request");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("earlier version of this API"),
        "{problem}"
    );
}

#[tokio::test]
async fn author_and_genre_together_never_answer_an_empty_page_before_a_match() {
    let app = app().await;
    // The match sorts after every other book by the author.
    for index in 0..60 {
        seed(app, &format!("A book {index:02}"), "Prolific", None).await;
    }
    seed(app, "Zeta", "Prolific", Some("Poetry")).await;
    seed(app, "Other poems", "Someone else", Some("Poetry")).await;
    let first = call(
        app,
        handle,
        &list(&[("author", "Prolific"), ("genre", "Poetry"), ("limit", "1")]),
    )
    .await
    .json();
    assert_eq!(titles(&first), ["Zeta"], "the first page holds the match");
    assert_eq!(first["nextCursor"], Value::Null);
}

#[tokio::test]
async fn filters_follow_a_change_of_author_or_genre_alone() {
    let app = app().await;
    let book = seed(app, "Dune", "Frank Herbert", Some("SF")).await;
    let both = |author: &'static str, genre: &'static str| async move {
        titles(
            &call(app, handle, &list(&[("author", author), ("genre", genre)]))
                .await
                .json(),
        )
    };
    let by = bookshelf_testing::test_writer();
    let change = |changes: bookshelf::domain::BookChanges| {
        let id = book.id.clone();
        let by = by.clone();
        async move {
            app.store
                .update(
                    &id,
                    &changes,
                    &Default::default(),
                    "2026-11-26T00:00:00.000Z",
                    &by,
                )
                .await
                .unwrap()
        }
    };
    use bookshelf::domain::{Author, BookChanges, Genre};
    change(BookChanges {
        author: Some(Author::parse("F. Herbert").unwrap()),
        ..BookChanges::default()
    })
    .await;
    assert_eq!(both("F. Herbert", "SF").await, ["Dune"]);
    assert!(both("Frank Herbert", "SF").await.is_empty());
    change(BookChanges {
        genre: Some(Some(Genre::parse("Science fiction").unwrap())),
        ..BookChanges::default()
    })
    .await;
    assert_eq!(both("F. Herbert", "Science fiction").await, ["Dune"]);
    assert!(both("F. Herbert", "SF").await.is_empty());
    change(BookChanges {
        genre: Some(None),
        ..BookChanges::default()
    })
    .await;
    assert!(both("F. Herbert", "Science fiction").await.is_empty());
    change(BookChanges {
        genre: Some(Some(Genre::parse("SF").unwrap())),
        ..BookChanges::default()
    })
    .await;
    assert_eq!(both("F. Herbert", "SF").await, ["Dune"]);
}

#[tokio::test]
async fn an_author_typed_precomposed_or_decomposed_is_one_author() {
    let app = app().await;
    seed(app, "Decomposed", "Rene\u{301}e Vivien", None).await;
    seed(app, "Precomposed", "Ren\u{e9}e Vivien", None).await;
    for spelling in ["Rene\u{301}e Vivien", "Ren\u{e9}e Vivien"] {
        let page = call(app, handle, &list(&[("author", spelling)]))
            .await
            .json();
        assert_eq!(titles(&page), ["Decomposed", "Precomposed"], "{spelling:?}");
        assert_eq!(
            page["items"][0]["author"], "Ren\u{e9}e Vivien",
            "stored as NFC"
        );
    }
}
