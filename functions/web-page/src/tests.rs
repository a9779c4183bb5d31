use super::*;
use bookshelf::http::PROBLEM_CONTENT_SECURITY_POLICY;
use bookshelf_testing::{ApiEvent, Response as TestResponse};

fn page() -> ApiEvent {
    ApiEvent::new("GET", "/", "/")
}

fn asset(name: &str) -> ApiEvent {
    ApiEvent::new("GET", "/assets/{file}", &format!("/assets/{name}")).path_param("file", name)
}

/// `handle` as the serve loop calls it: it reads no state.
async fn without_table(_: &(), request: Request) -> Result<Response<Body>, ApiError> {
    handle(request).await
}

async fn call(event: &ApiEvent) -> TestResponse {
    bookshelf_testing::call(&(), without_table, event).await
}

fn assert_security_headers(response: &TestResponse) {
    assert_eq!(
        response.header("content-security-policy"),
        Some(CONTENT_SECURITY_POLICY)
    );
    assert_eq!(response.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(response.header("referrer-policy"), Some("no-referrer"));
}

/// The `src`/`href` of every tag of `html`.
fn links(html: &str) -> Vec<&str> {
    ["src=\"", "href=\""]
        .iter()
        .flat_map(|attribute| html.match_indices(attribute))
        .map(|(at, attribute)| {
            let rest = &html[at + attribute.len()..];
            &rest[..rest.find('"').expect("a closed attribute")]
        })
        .collect()
}

#[tokio::test]
async fn serves_the_page_with_strict_headers() {
    let response = call(&page()).await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(
        response.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(response.header("cache-control"), Some("no-cache"));
    assert_eq!(response.header("etag"), Some(&*format!("\"{VERSION}\"")));
    assert_security_headers(&response);
    let csp = response.header("content-security-policy").unwrap();
    assert!(csp.starts_with("default-src 'self';"), "{csp}");
    assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"));
    assert!(response.text().starts_with("<!doctype html>"));
    assert!(
        response
            .text()
            .contains(&format!("src=\"/assets/app.js?v={VERSION}\"")),
        "the page loads its script from /assets/app.js"
    );
    assert!(
        response
            .text()
            .contains(&format!("href=\"/assets/app.css?v={VERSION}\""))
    );
    assert!(!response.text().contains("{{"), "a placeholder was left");
}

#[tokio::test]
async fn the_page_needs_nothing_from_another_origin() {
    let html = &*INDEX_HTML;
    for link in links(html) {
        assert!(
            link.starts_with('/') && !link.starts_with("//") || link.starts_with('#'),
            "{link} is not on this origin"
        );
    }
    for text in [html.as_str(), ASSETS[0].body, ASSETS[1].body] {
        assert!(!text.contains("http://") && !text.contains("https://"));
        assert!(!text.contains("@import"), "no style sheet imports");
    }
    // The icon's only URL is its XML namespace, which is never fetched.
    let icon = ASSETS.iter().find(|a| a.name == "icon.svg").unwrap().body;
    assert_eq!(icon.matches("http").count(), 1);
    assert!(icon.contains("xmlns=\"http://www.w3.org/2000/svg\""));
}

#[test]
fn the_page_has_nothing_inline_that_the_policy_would_block() {
    let html = &*INDEX_HTML;
    // Every script is a file: `<script …src=…></script>` with nothing inside.
    for (at, _) in html.match_indices("<script") {
        let tag = &html[at..at + html[at..].find("</script>").unwrap()];
        assert!(tag.contains(" src=\"/assets/"), "{tag}");
        assert!(tag.ends_with('>'), "inline script: {tag}");
    }
    assert!(!html.contains("<style"), "inline style sheet");
    assert!(!html.contains(" style=\""), "inline style attribute");
    for handler in [
        " onclick=",
        " onload=",
        " onsubmit=",
        " onerror=",
        "javascript:",
    ] {
        assert!(!html.contains(handler), "inline handler {handler}");
    }
}

#[tokio::test]
async fn every_asset_the_page_names_is_served_with_its_type() {
    let expected = [
        ("app.js", "text/javascript; charset=utf-8"),
        ("app.css", "text/css; charset=utf-8"),
        ("icon.svg", "image/svg+xml; charset=utf-8"),
    ];
    for (name, content_type) in expected {
        assert!(
            INDEX_HTML.contains(&format!("/assets/{name}?v={VERSION}")),
            "{name} is not on the page"
        );
        let response = call(&asset(name).query(&[("v", &VERSION.to_string())])).await;
        assert_eq!(response.status, 200, "{name}: {}", response.text());
        assert_eq!(response.header("content-type"), Some(content_type));
        assert_eq!(
            response.header("cache-control"),
            Some("public, max-age=31536000, immutable"),
            "{name} asked for by its version may be kept"
        );
        assert_security_headers(&response);
        let body = ASSETS.iter().find(|a| a.name == name).unwrap().body;
        assert_eq!(response.text(), body);
    }
}

#[tokio::test]
async fn an_asset_without_the_current_version_is_revalidated() {
    for query in [&[][..], &[("v", "1")][..]] {
        let response = call(&asset("app.js").query(query)).await;
        assert_eq!(response.status, 200);
        assert_eq!(response.header("cache-control"), Some("no-cache"));
    }
}

#[tokio::test]
async fn a_current_copy_is_answered_with_304() {
    let tag = format!("\"{VERSION}\"");
    for event in [page(), asset("app.css")] {
        let response = call(&event.clone().header("If-None-Match", &tag)).await;
        assert_eq!(response.status, 304);
        assert!(response.text().is_empty());
        assert_eq!(response.header("etag"), Some(tag.as_str()));
        assert_security_headers(&response);
        let stale = call(&event.clone().header("If-None-Match", "\"1\"")).await;
        assert_eq!(stale.status, 200);
        let malformed = call(&event.header("If-None-Match", "1")).await;
        assert_eq!(malformed.status, 200, "a malformed tag is ignored");
    }
}

#[tokio::test]
async fn an_event_without_path_parameters_is_routed_by_its_path() {
    // Some emulators send `pathParameters: null`; the path still names the file.
    let response = call(&ApiEvent::new("GET", "/assets/{file}", "/assets/app.css")).await;
    assert_eq!(response.status, 200);
    assert_eq!(
        response.header("content-type"),
        Some("text/css; charset=utf-8")
    );
}

#[tokio::test]
async fn an_unknown_asset_is_a_404_problem() {
    for name in ["nope.js", "index.html", "..%2Fapp.js", ""] {
        let response = call(&asset(name)).await;
        assert_eq!(response.status, 404, "{name}");
        assert_eq!(
            response.header("content-type"),
            Some("application/problem+json")
        );
        // A problem is data: stricter than the page's policy, nothing may load.
        assert_eq!(
            response.header("content-security-policy"),
            Some(PROBLEM_CONTENT_SECURITY_POLICY)
        );
        assert_eq!(response.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(response.header("referrer-policy"), Some("no-referrer"));
        let body = response.json();
        assert_eq!(body["type"], "urn:bookshelf:problem:not-found");
        assert_eq!(body["status"], 404);
        assert_eq!(body["title"], "Not found");
        assert_eq!(body["instance"], format!("/assets/{name}"));
        assert!(body["detail"].as_str().unwrap().contains(name));
        assert!(!body["requestId"].as_str().unwrap().is_empty());
    }
}

#[test]
fn the_version_changes_with_any_file() {
    assert_ne!(
        fnv1a(0xcbf2_9ce4_8422_2325, b"a"),
        fnv1a(0xcbf2_9ce4_8422_2325, b"b")
    );
    assert_eq!(INDEX_HTML.matches(&VERSION.to_string()).count(), 4);
}
