//! Title search (`q`): titles that start with the text, folded as titles are
//! sorted, on the sharded shelf and with every filter, paged like a listing.

use super::*;
use bookshelf::store::ShelfShards;
use bookshelf_testing::{app_with_shelf, assert_problem, call, seed};

use crate::tests::{all_pages, list as search, titles};

/// Every title a search lists, following its cursors.
async fn search_all(app: &'static App, query: &[(&str, &str)]) -> Vec<String> {
    all_pages(app, query)
        .await
        .iter()
        .flat_map(titles)
        .collect()
}

async fn shelf() -> &'static App {
    let app = app_with_shelf(ShelfShards::new(16).unwrap()).await;
    for (title, author, genre) in [
        ("Éclair", "Ann", Some("Cooking")),
        ("eclairs for everyone", "Bo", Some("Cooking")),
        ("Eclipse", "Ann", Some("Astronomy")),
        ("ECLECTIC", "Bo", None),
        ("Ecology", "Ann", Some("Science")),
        ("Dune", "Frank Herbert", Some("SF")),
        ("Straße der Welt", "Bo", None),
        ("Strasse", "Ann", None),
        ("The Eclipse", "Ann", Some("Astronomy")),
        ("Ångström units", "Cy", None),
    ] {
        seed(app, title, author, genre).await;
    }
    app
}

#[tokio::test]
async fn finds_titles_that_start_with_the_text_ignoring_case_and_accents() {
    let app = shelf().await;
    let expected = ["Éclair", "eclairs for everyone", "ECLECTIC", "Eclipse"];
    for q in ["ecl", "ECL", "Écl", "e\u{301}cl", " ecl "] {
        assert_eq!(search_all(app, &[("q", q)]).await, expected, "q={q:?}");
    }
    assert_eq!(
        search_all(app, &[("q", "eclair")]).await,
        ["Éclair", "eclairs for everyone"]
    );
    assert_eq!(
        search_all(app, &[("q", "straße")]).await,
        ["Strasse", "Straße der Welt"]
    );
    assert_eq!(
        search_all(app, &[("q", "STRASSE D")]).await,
        ["Straße der Welt"]
    );
    assert_eq!(search_all(app, &[("q", "ang")]).await, ["Ångström units"]);
    assert_eq!(
        search_all(app, &[("q", "Eclipse")]).await,
        ["Eclipse"],
        "not \"The Eclipse\""
    );
    assert!(search_all(app, &[("q", "zzz")]).await.is_empty());
}

#[tokio::test]
async fn pages_of_a_search_cover_every_match_once_across_shards() {
    let app = app_with_shelf(ShelfShards::new(16).unwrap()).await;
    let mut expected = Vec::new();
    for index in 0..30 {
        let title = format!("Saga {index:02}");
        seed(app, &title, "A", None).await;
        expected.push(title);
        seed(app, &format!("Other {index:02}"), "A", None).await;
    }
    for limit in ["1", "4", "7", "100"] {
        assert_eq!(
            search_all(app, &[("q", "saga"), ("limit", limit)]).await,
            expected
        );
    }
}

#[tokio::test]
async fn combines_with_author_genre_and_both() {
    let app = shelf().await;
    assert_eq!(
        search_all(app, &[("q", "ec"), ("author", "Ann")]).await,
        ["Éclair", "Eclipse", "Ecology"]
    );
    assert_eq!(
        search_all(app, &[("q", "ecl"), ("genre", "Cooking")]).await,
        ["Éclair", "eclairs for everyone"]
    );
    assert_eq!(
        search_all(
            app,
            &[("q", "ecl"), ("author", "Ann"), ("genre", "Astronomy")]
        )
        .await,
        ["Eclipse"]
    );
}

#[tokio::test]
async fn a_cursor_belongs_to_its_search_and_case_does_not_make_another() {
    let app = shelf().await;
    let first = call(app, handle, &search(&[("q", "ecl"), ("limit", "1")]))
        .await
        .json();
    let cursor = first["nextCursor"].as_str().unwrap();
    let same = call(
        app,
        handle,
        &search(&[("q", "ÉCL"), ("limit", "1"), ("cursor", cursor)]),
    )
    .await;
    assert_eq!(same.status, 200, "{}", same.text());
    assert_eq!(titles(&first), ["Éclair"]);
    assert_eq!(titles(&same.json()), ["eclairs for everyone"]);
    for other in [
        vec![("q", "ec")],
        vec![],
        vec![("q", "ecl"), ("author", "Ann")],
    ] {
        let mut query = other.clone();
        query.push(("cursor", cursor));
        let response = call(app, handle, &search(&query)).await;
        assert_problem(&response, 400, "bad-request");
    }
}

#[tokio::test]
async fn a_search_that_cannot_match_anything_typed_is_a_clear_400() {
    let app = shelf().await;
    let too_long = "a".repeat(251);
    for (q, says) in [
        ("", "empty or blank"),
        ("   ", "empty or blank"),
        ("\u{301}", "empty or blank"),
        ("a\u{7}b", "control characters"),
        ("\u{FDD0}", "a title can start with"),
        (too_long.as_str(), "at most 250 characters"),
    ] {
        let response = call(app, handle, &search(&[("q", q)])).await;
        let problem = assert_problem(&response, 400, "bad-request");
        let detail = problem["detail"].as_str().unwrap();
        assert!(
            detail.contains("`q`") && detail.contains(says),
            "{q:?}: {detail}"
        );
    }
    let repeated = call(app, handle, &search(&[("q", "a"), ("q", "b")])).await;
    assert_problem(&repeated, 400, "bad-request");
}
