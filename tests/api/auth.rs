//! Sign-in, end to end: every write route of template.yaml refuses a caller without a
//! token (401, nothing changed) and a read-only token (403), reads need no token, a write
//! token writes; and the development identity provider's flows over HTTP.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bookshelf_local::template::Template;
use bookshelf_local::workspace;
use bookshelf_testing::{LocalApi, Response};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const WRITE_METHODS: [&str; 4] = ["POST", "PUT", "PATCH", "DELETE"];

/// `(method, path)` of every write route of template.yaml.
fn write_routes() -> Vec<(String, String)> {
    let template =
        Template::load(&workspace::root().join("template.yaml")).expect("template.yaml loads");
    let routes: Vec<(String, String)> = template
        .functions
        .iter()
        .flat_map(|f| &f.http_events)
        .filter_map(|e| Some((e.method.clone()?, e.path.clone()?)))
        .filter(|(method, _)| WRITE_METHODS.contains(&method.as_str()))
        .collect();
    assert!(
        routes.len() >= 7,
        "write routes of template.yaml: {routes:?}"
    );
    routes
}

/// A request body and content type that the route would accept from a signed-in caller.
fn body_for(method: &str, path: &str) -> (&'static str, String) {
    match (method, path.starts_with("/booksApi")) {
        (_, true) => ("application/json", String::new()),
        ("PATCH", _) => (
            "application/merge-patch+json",
            json!({"genre": "X"}).to_string(),
        ),
        _ => (
            "application/json",
            json!({"title": "Anonymous", "author": "Nobody"}).to_string(),
        ),
    }
}

fn assert_refused(response: &Response, status: u16, message: &str, route: &str) {
    assert_eq!(response.status, status, "{route}: {}", response.text());
    assert_eq!(response.json(), json!({"message": message}), "{route}");
    let challenge = response.header("www-authenticate").unwrap_or_default();
    assert!(
        challenge.starts_with("Bearer "),
        "{route}: www-authenticate {challenge:?}"
    );
}

async fn create_book(api: &LocalApi) -> Value {
    let created = api
        .send_json(
            "POST",
            "/books",
            &[],
            &json!({"title": "Kept", "author": "Writer"}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    created.json()
}

#[tokio::test]
async fn every_write_route_refuses_anonymous_and_read_only_callers_and_changes_nothing() {
    let api = LocalApi::start().await;
    let book = create_book(&api).await;
    let id = book["id"].as_str().expect("an id");
    let reader = api.token(Some("bookshelf/books.read")).await;
    for (method, template_path) in write_routes() {
        let path = template_path.replace("{id}", id);
        let path = if path.starts_with("/booksApi") && method != "DELETE" {
            format!("{path}?title=Changed&author=Changed")
        } else {
            path
        };
        let route = format!("{method} {template_path}");
        let (content_type, body) = body_for(&method, &template_path);
        let headers = [("content-type", content_type)];
        let anonymous = api
            .anonymous()
            .request(&method, &path, &headers, body.clone())
            .await;
        assert_refused(&anonymous, 401, "Unauthorized", &route);
        let garbage = api
            .with_token("not-a-jwt")
            .request(&method, &path, &headers, body.clone())
            .await;
        assert_refused(&garbage, 401, "Unauthorized", &route);
        let read_only = api
            .with_token(&reader)
            .request(&method, &path, &headers, body)
            .await;
        assert_refused(&read_only, 403, "Forbidden", &route);
    }
    let after = api.anonymous().get(&format!("/books/{id}")).await;
    assert_eq!(after.status, 200);
    assert_eq!(after.json(), book, "a refused write changed the book");
    let list = api.anonymous().get("/books").await.json();
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1), "{list}");
}

#[tokio::test]
async fn reads_need_no_token_and_a_write_token_writes() {
    let api = LocalApi::start().await;
    let book = create_book(&api).await;
    let id = book["id"].as_str().expect("an id");
    for path in [
        "/".to_owned(),
        "/books".to_owned(),
        format!("/books/{id}"),
        "/booksApi".to_owned(),
        format!("/booksApi/{id}"),
    ] {
        let response = api.anonymous().get(&path).await;
        assert_eq!(response.status, 200, "GET {path}: {}", response.text());
    }
    let writer = api.token(Some("bookshelf/books.write")).await;
    let patched = api
        .with_token(&writer)
        .request(
            "PATCH",
            &format!("/books/{id}"),
            &[("content-type", "application/merge-patch+json")],
            json!({"genre": "Essay"}).to_string(),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text());
    assert_eq!(patched.json()["version"], 2);
    let deleted = api
        .with_token(&writer)
        .delete(&format!("/booksApi/{id}"), &[])
        .await;
    assert_eq!(deleted.status, 200, "{}", deleted.text());
}

#[tokio::test]
async fn the_development_provider_publishes_its_configuration_and_keys() {
    let api = LocalApi::start().await;
    let discovery = api
        .anonymous()
        .get("/_local/idp/.well-known/openid-configuration")
        .await;
    assert_eq!(discovery.status, 200);
    let discovery = discovery.json();
    let issuer = format!("{}/_local/idp", api.base_url);
    assert_eq!(discovery["issuer"], issuer);
    assert_eq!(discovery["token_endpoint"], format!("{issuer}/token"));
    assert_eq!(
        discovery["code_challenge_methods_supported"],
        json!(["S256"])
    );
    let jwks = api.anonymous().get("/_local/idp/jwks.json").await.json();
    assert_eq!(jwks["keys"][0]["kty"], "RSA");
    assert_eq!(jwks["keys"][0]["alg"], "RS256");

    // A token's claims are Cognito-like access-token claims.
    let token = api.write_token();
    let payload = token.split('.').nth(1).expect("a JWT");
    let claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url")).expect("JSON");
    assert_eq!(claims["iss"], issuer);
    assert_eq!(claims["client_id"], "bookshelf-local");
    assert_eq!(claims["token_use"], "access");
    assert_eq!(
        claims["scope"],
        "bookshelf/books.read bookshelf/books.write"
    );
    let lifetime = claims["exp"].as_i64().unwrap_or(0) - claims["iat"].as_i64().unwrap_or(0);
    assert_eq!(lifetime, 3600);

    // Wrong secrets and unknown scopes get no token.
    let form = [("content-type", "application/x-www-form-urlencoded")];
    let wrong = api
        .anonymous()
        .request(
            "POST",
            "/_local/idp/token",
            &form,
            "grant_type=client_credentials&client_id=bookshelf-local&client_secret=nope",
        )
        .await;
    assert_eq!(wrong.status, 401);
    assert_eq!(wrong.json()["error"], "invalid_client");
    let scope = api
        .anonymous()
        .request(
            "POST",
            "/_local/idp/token",
            &form,
            "grant_type=client_credentials&client_id=bookshelf-local&client_secret=bookshelf-local-secret&scope=admin",
        )
        .await;
    assert_eq!(scope.json()["error"], "invalid_scope");
}

/// The authorization code flow with PKCE, as the web page runs it.
#[tokio::test]
async fn a_user_signs_in_with_authorization_code_and_pkce() {
    let api = LocalApi::start().await;
    let verifier = "a-code-verifier-of-at-least-43-characters-0123456789";
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let redirect = format!("{}/", api.base_url);
    let encoded_redirect: String =
        url::form_urlencoded::byte_serialize(redirect.as_bytes()).collect();
    let query = format!(
        "response_type=code&client_id=bookshelf-web&redirect_uri={encoded_redirect}\
         &scope=openid+bookshelf%2Fbooks.read+bookshelf%2Fbooks.write&state=s1\
         &code_challenge={challenge}&code_challenge_method=S256"
    );
    let page = api
        .anonymous()
        .get(&format!("/_local/idp/authorize?{query}"))
        .await;
    assert_eq!(page.status, 200, "{}", page.text());
    for user in ["alice", "bob", "reader"] {
        assert!(
            page.text().contains(&format!("value=\"{user}\"")),
            "{user} is not listed"
        );
    }
    let form = [("content-type", "application/x-www-form-urlencoded")];
    let signed_in = api
        .anonymous()
        .request(
            "POST",
            "/_local/idp/authorize",
            &form,
            format!("{query}&username=alice"),
        )
        .await;
    assert_eq!(signed_in.status, 302, "{}", signed_in.text());
    let location = signed_in.header("location").expect("a redirect").to_owned();
    assert!(
        location.starts_with(&redirect) && location.ends_with("&state=s1"),
        "{location}"
    );
    let code = location
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("code="))
        .expect("a code");
    let exchange = |verifier: &str| {
        format!(
            "grant_type=authorization_code&client_id=bookshelf-web&code={code}\
             &redirect_uri={encoded_redirect}&code_verifier={verifier}"
        )
    };
    let wrong = api
        .anonymous()
        .request(
            "POST",
            "/_local/idp/token",
            &form,
            exchange("not-the-verifier"),
        )
        .await;
    assert_eq!(
        wrong.json()["error"],
        "invalid_grant",
        "a wrong PKCE verifier"
    );
    // A code is single-use: the failed attempt consumed it, so sign in again.
    let again = api
        .anonymous()
        .request(
            "POST",
            "/_local/idp/authorize",
            &form,
            format!("{query}&username=alice"),
        )
        .await;
    let location = again.header("location").expect("a redirect").to_owned();
    let code = location
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("code="))
        .expect("a code");
    let body = format!(
        "grant_type=authorization_code&client_id=bookshelf-web&code={code}\
         &redirect_uri={encoded_redirect}&code_verifier={verifier}"
    );
    let tokens = api
        .anonymous()
        .request("POST", "/_local/idp/token", &form, body)
        .await;
    assert_eq!(tokens.status, 200, "{}", tokens.text());
    let token = tokens.json()["access_token"]
        .as_str()
        .expect("a token")
        .to_owned();
    let created = api
        .with_token(&token)
        .send_json(
            "POST",
            "/books",
            &[],
            &json!({"title": "Signed in", "author": "Alice"}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text());

    // The history names the signed-in user, for the create and for a delete by
    // a machine client.
    let id = created.json()["id"].as_str().expect("an id").to_owned();
    let deleted = api.delete(&format!("/books/{id}"), &[]).await;
    assert_eq!(deleted.status, 204, "{}", deleted.text());
    let history = api.history_with(&id, 2).await;
    let by: Vec<Value> = history["items"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|entry| json!([entry["event"], entry["by"]["name"]]))
        .collect();
    assert_eq!(
        by,
        [
            json!(["deleted", "bookshelf-local"]),
            json!(["created", "alice"])
        ],
        "{history}"
    );
    assert!(
        history["items"][1]["by"]["sub"]
            .as_str()
            .is_some_and(|sub| !sub.is_empty())
    );

    // Another origin is not a valid redirect.
    let foreign = query.replace(&encoded_redirect, "https%3A%2F%2Fevil.example.com%2F");
    let refused = api
        .anonymous()
        .get(&format!("/_local/idp/authorize?{foreign}"))
        .await;
    assert_eq!(refused.status, 400);
}
