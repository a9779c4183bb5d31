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

/// The environment of the deployed page with Cognito.
fn cognito() -> PageConfig {
    PageConfig::from_vars(|name| {
        match name {
            "AUTH_ISSUER" => Some("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123"),
            "AUTH_CLIENT_ID" => Some("4example0client0id"),
            "AUTH_SCOPES" => Some("openid bookshelf/books.read bookshelf/books.write"),
            _ => None,
        }
        .map(str::to_owned)
    })
}

/// The environment the local runner gives the page.
fn local_runner() -> PageConfig {
    PageConfig::from_vars(|name| {
        match name {
            "AUTH_ISSUER" => Some("http://127.0.0.1:3000/_local/idp"),
            "AUTH_CLIENT_ID" => Some("bookshelf-web"),
            "AUTH_SCOPES" => Some("openid bookshelf/books.read bookshelf/books.write"),
            "ALLOW_ANONYMOUS_WRITES" => Some("false"),
            _ => None,
        }
        .map(str::to_owned)
    })
}

/// The page rendered from `config`, answering `event` as the handler does.
async fn call_with(config: &PageConfig, event: &ApiEvent) -> TestResponse {
    let page: &'static Page = Box::leak(Box::new(render(config)));
    bookshelf_testing::call(
        page,
        |page, request| async move { respond_with(page, &request) },
        event,
    )
    .await
}

/// The `content` of `<meta name="{name}" …>` in `html`, as written (still escaped).
fn meta<'h>(html: &'h str, name: &str) -> &'h str {
    let tag = format!("<meta name=\"{name}\" content=\"");
    let at = html.find(&tag).unwrap_or_else(|| panic!("no meta {name}")) + tag.len();
    &html[at..at + html[at..].find('"').unwrap()]
}

/// The sources of one directive of a policy.
fn directive<'p>(policy: &'p str, name: &str) -> Vec<&'p str> {
    policy
        .split(';')
        .map(str::trim)
        .find_map(|d| d.strip_prefix(name).filter(|rest| rest.starts_with(' ')))
        .unwrap_or_else(|| panic!("no {name} in {policy}"))
        .split_whitespace()
        .collect()
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
    assert_eq!(
        response.header("etag"),
        Some(&*format!("\"{}\"", INDEX_HTML.etag))
    );
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
    let html = &render(&PageConfig::default()).html;
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
    let html = &render(&cognito()).html;
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
            INDEX_HTML
                .html
                .contains(&format!("/assets/{name}?v={VERSION}")),
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
    let page_tag = format!("\"{}\"", INDEX_HTML.etag);
    let asset_tag = format!("\"{VERSION}\"");
    for (event, tag) in [(page(), page_tag), (asset("app.css"), asset_tag)] {
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
    assert_eq!(INDEX_HTML.html.matches(&VERSION.to_string()).count(), 4);
}

#[test]
fn the_configuration_is_read_from_the_environment_once() {
    let config = cognito();
    assert_eq!(
        config.issuer.as_deref(),
        Some("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123")
    );
    assert_eq!(config.client_id.as_deref(), Some("4example0client0id"));
    assert_eq!(
        config.scopes,
        "openid bookshelf/books.read bookshelf/books.write"
    );
    assert!(!config.anonymous_writes);

    // Blank is unset; scopes default; a trailing slash on the issuer is dropped.
    let config = PageConfig::from_vars(|name| {
        match name {
            "AUTH_ISSUER" => Some(" https://issuer.example.com/ "),
            "AUTH_CLIENT_ID" => Some("  "),
            "ALLOW_ANONYMOUS_WRITES" => Some("true"),
            _ => None,
        }
        .map(str::to_owned)
    });
    assert_eq!(config.issuer.as_deref(), Some("https://issuer.example.com"));
    assert_eq!(config.client_id, None);
    assert_eq!(config.scopes, DEFAULT_SCOPES);
    assert!(config.anonymous_writes);

    let nothing = PageConfig::from_vars(|_| None);
    assert_eq!(nothing.issuer, None);
    assert!(!nothing.anonymous_writes);
}

#[test]
fn the_page_says_where_to_sign_in_in_its_meta_tags() {
    let html = render(&local_runner()).html;
    assert_eq!(
        meta(&html, "bookshelf-auth-issuer"),
        "http://127.0.0.1:3000/_local/idp"
    );
    assert_eq!(meta(&html, "bookshelf-auth-client-id"), "bookshelf-web");
    assert_eq!(
        meta(&html, "bookshelf-auth-scopes"),
        "openid bookshelf/books.read bookshelf/books.write"
    );
    assert_eq!(meta(&html, "bookshelf-anonymous-writes"), "false");
    assert!(!html.contains("{{"), "a placeholder was left");

    let html = render(&PageConfig::default()).html;
    assert_eq!(meta(&html, "bookshelf-auth-issuer"), "");
    assert_eq!(meta(&html, "bookshelf-auth-client-id"), "");
}

#[test]
fn the_meta_tags_are_escaped() {
    let config = PageConfig {
        issuer: Some("https://x.example/\"><script>alert(1)</script>".to_owned()),
        client_id: Some("a&b'c".to_owned()),
        scopes: "openid <b>".to_owned(),
        anonymous_writes: false,
    };
    let html = render(&config).html;
    assert!(!html.contains("<script>alert"), "{html}");
    assert_eq!(
        meta(&html, "bookshelf-auth-issuer"),
        "https://x.example/&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"
    );
    assert_eq!(meta(&html, "bookshelf-auth-client-id"), "a&amp;b&#39;c");
    assert_eq!(meta(&html, "bookshelf-auth-scopes"), "openid &lt;b&gt;");
}

#[test]
fn the_etag_changes_with_the_configuration() {
    let local = render(&local_runner());
    let deployed = render(&cognito());
    assert_ne!(local.etag, deployed.etag);
    assert_eq!(local.etag, render(&local_runner()).etag);
    assert_ne!(local.etag, VERSION);
}

#[test]
fn the_policy_lets_the_page_reach_another_origin_issuer_only() {
    // Cognito: the issuer and the region's managed-login domains (its token endpoint).
    let page = render(&cognito());
    let policy = page.content_security_policy(Some("abc.execute-api.eu-west-1.amazonaws.com"));
    assert_eq!(
        directive(policy, "connect-src"),
        [
            "'self'",
            "https://cognito-idp.eu-west-1.amazonaws.com",
            "https://*.auth.eu-west-1.amazoncognito.com"
        ]
    );
    // Nothing else is widened: still no inline script, forms only to the page.
    assert_eq!(directive(policy, "script-src"), ["'self'"]);
    assert_eq!(directive(policy, "form-action"), ["'self'"]);
    assert_eq!(directive(policy, "default-src"), ["'self'"]);
    assert_eq!(
        policy.replace(
            " https://cognito-idp.eu-west-1.amazonaws.com https://*.auth.eu-west-1.amazoncognito.com",
            ""
        ),
        CONTENT_SECURITY_POLICY
    );

    // Another issuer, on a port: its origin only.
    let other = render(&PageConfig {
        issuer: Some("https://login.example.com:8443/realms/books".to_owned()),
        ..PageConfig::default()
    });
    assert_eq!(
        directive(other.content_security_policy(None), "connect-src"),
        ["'self'", "https://login.example.com:8443"]
    );

    // The local runner: the provider is on the page's own origin, nothing to widen.
    let local = render(&local_runner());
    assert_eq!(
        local.content_security_policy(Some("127.0.0.1:3000")),
        CONTENT_SECURITY_POLICY
    );
    assert_eq!(
        directive(
            local.content_security_policy(Some("localhost:3000")),
            "connect-src"
        ),
        ["'self'", "http://127.0.0.1:3000"]
    );

    // No issuer, or one that is not a web URL: nothing to reach.
    for issuer in [None, Some("not a url"), Some("javascript:alert(1)")] {
        let page = render(&PageConfig {
            issuer: issuer.map(str::to_owned),
            ..PageConfig::default()
        });
        assert_eq!(
            page.content_security_policy(Some("x")),
            CONTENT_SECURITY_POLICY
        );
    }
}

#[tokio::test]
async fn the_handler_serves_the_rendered_page_with_its_policy() {
    // The test event's Host is an API Gateway domain: Cognito is another origin.
    let response = call_with(&cognito(), &page()).await;
    assert_eq!(response.status, 200);
    assert_eq!(
        meta(&response.text(), "bookshelf-auth-client-id"),
        "4example0client0id"
    );
    let policy = response.header("content-security-policy").unwrap();
    assert!(
        directive(policy, "connect-src").contains(&"https://cognito-idp.eu-west-1.amazonaws.com"),
        "{policy}"
    );
    let etag = response.header("etag").unwrap().to_owned();
    assert_eq!(etag, format!("\"{}\"", render(&cognito()).etag));
    let again = call_with(&cognito(), &page().header("If-None-Match", &etag)).await;
    assert_eq!(again.status, 304);
    assert_eq!(again.header("content-security-policy"), Some(policy));

    // Served from the issuer's own origin (the local runner): the strict policy.
    let local = call_with(&local_runner(), &page().header("Host", "127.0.0.1:3000")).await;
    assert_eq!(local.status, 200);
    assert_eq!(
        local.header("content-security-policy"),
        Some(CONTENT_SECURITY_POLICY)
    );
    assert_eq!(
        meta(&local.text(), "bookshelf-auth-issuer"),
        "http://127.0.0.1:3000/_local/idp"
    );

    // Assets keep the strict policy whatever the issuer.
    let script = call_with(&cognito(), &asset("app.js")).await;
    assert_eq!(script.status, 200);
    assert_security_headers(&script);
}
