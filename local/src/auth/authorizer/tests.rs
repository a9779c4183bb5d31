//! Every outcome of the authorizer, with tokens signed by a development key (and by another
//! key, and by none).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use super::*;
use crate::auth::SigningKey;

const ISSUER: &str = "http://127.0.0.1:3000/_local/idp";
const WRITE: &str = "bookshelf/books.write";

struct Fixture {
    key: SigningKey,
    authorizer: JwtAuthorizer,
}

fn fixture() -> Fixture {
    let key = SigningKey::generate("test-key").expect("an RSA key");
    let authorizer = JwtAuthorizer::new(
        ISSUER,
        vec!["bookshelf-web".to_owned(), "bookshelf-local".to_owned()],
        key.jwks(),
    );
    Fixture { key, authorizer }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0))
}

/// A valid access token's claims, with `changes` merged in (null removes a claim).
fn claims(changes: &Value) -> Value {
    let mut claims = json!({
        "iss": ISSUER, "sub": "local-user-alice", "client_id": "bookshelf-web",
        "username": "alice", "token_use": "access",
        "scope": "bookshelf/books.read bookshelf/books.write",
        "iat": now(), "exp": now() + 3600, "jti": "j-1"
    });
    if let (Some(c), Some(changes)) = (claims.as_object_mut(), changes.as_object()) {
        for (name, value) in changes {
            if value.is_null() {
                c.remove(name);
            } else {
                c.insert(name.clone(), value.clone());
            }
        }
    }
    claims
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

fn check(f: &Fixture, authorization: Option<&str>) -> Result<Authorized, Denied> {
    f.authorizer.authorize(authorization, &[WRITE.to_owned()])
}

fn unauthorized(result: Result<Authorized, Denied>) -> String {
    match result {
        Err(Denied::Unauthorized(why)) => why,
        other => panic!("expected 401, got {other:?}"),
    }
}

#[test]
fn no_token_is_unauthorized() {
    let f = fixture();
    unauthorized(check(&f, None));
    unauthorized(check(&f, Some("")));
    unauthorized(check(&f, Some("Bearer ")));
}

#[test]
fn a_malformed_token_is_unauthorized() {
    let f = fixture();
    for token in [
        "Bearer abc",
        "Bearer a.b.c",
        "Bearer ....",
        "Basic Zm9vOmJhcg==",
    ] {
        unauthorized(check(&f, Some(token)));
    }
}

#[test]
fn a_signature_by_another_key_is_unauthorized() {
    let f = fixture();
    let other = SigningKey::generate("test-key").expect("an RSA key");
    let token = other.sign(&claims(&json!({}))).expect("signed");
    let why = unauthorized(check(&f, Some(&bearer(&token))));
    assert!(why.contains("signature"), "{why}");
}

#[test]
fn an_unknown_key_id_is_unauthorized() {
    let f = fixture();
    let other = SigningKey::generate("another-key").expect("an RSA key");
    let token = other.sign(&claims(&json!({}))).expect("signed");
    unauthorized(check(&f, Some(&bearer(&token))));
}

#[test]
fn alg_none_is_unauthorized() {
    let f = fixture();
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT","kid":"test-key"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims(&json!({})).to_string());
    for token in [
        format!("{header}.{payload}."),
        format!("{header}.{payload}"),
    ] {
        unauthorized(check(&f, Some(&bearer(&token))));
    }
}

#[test]
fn another_issuer_is_unauthorized() {
    let f = fixture();
    let token = f
        .key
        .sign(&claims(&json!({"iss": "https://evil.example.com"})))
        .expect("signed");
    let why = unauthorized(check(&f, Some(&bearer(&token))));
    assert!(why.contains("issuer"), "{why}");
}

#[test]
fn a_wrong_audience_or_client_id_is_unauthorized() {
    let f = fixture();
    for changes in [
        json!({"client_id": "someone-else"}),
        json!({"aud": "someone-else"}),
        json!({"aud": ["x", "y"], "client_id": "bookshelf-web"}),
        json!({"client_id": null}),
    ] {
        let token = f.key.sign(&claims(&changes)).expect("signed");
        let why = unauthorized(check(&f, Some(&bearer(&token))));
        assert!(why.contains("audience"), "{changes}: {why}");
    }
    // `aud` wins over `client_id` when both are present; an array may hold it.
    let token = f
        .key
        .sign(&claims(
            &json!({"aud": ["x", "bookshelf-local"], "client_id": "other"}),
        ))
        .expect("signed");
    assert!(check(&f, Some(&bearer(&token))).is_ok());
}

#[test]
fn an_expired_token_is_unauthorized_without_leeway() {
    let f = fixture();
    let token = f
        .key
        .sign(&claims(&json!({"exp": now() - 2})))
        .expect("signed");
    let why = unauthorized(check(&f, Some(&bearer(&token))));
    assert!(why.contains("expired"), "{why}");
    let token = f.key.sign(&claims(&json!({"exp": null}))).expect("signed");
    unauthorized(check(&f, Some(&bearer(&token))));
}

#[test]
fn a_token_not_yet_valid_is_unauthorized() {
    let f = fixture();
    let token = f
        .key
        .sign(&claims(&json!({"nbf": now() + 60})))
        .expect("signed");
    let why = unauthorized(check(&f, Some(&bearer(&token))));
    assert!(why.contains("not valid yet"), "{why}");
    let token = f
        .key
        .sign(&claims(&json!({"iat": now() + 60})))
        .expect("signed");
    unauthorized(check(&f, Some(&bearer(&token))));
}

#[test]
fn a_valid_token_without_the_scope_is_forbidden() {
    let f = fixture();
    let token = f
        .key
        .sign(&claims(&json!({"scope": "bookshelf/books.read"})))
        .expect("signed");
    assert_eq!(
        check(&f, Some(&bearer(&token))),
        Err(Denied::Forbidden(vec![WRITE.to_owned()]))
    );
    // Any one of the route's scopes is enough.
    let scopes = ["x".to_owned(), "bookshelf/books.read".to_owned()];
    assert!(
        f.authorizer
            .authorize(Some(&bearer(&token)), &scopes)
            .is_ok()
    );
}

#[test]
fn a_valid_token_passes_its_claims_in_the_payload_2_shape() {
    let f = fixture();
    let token = f
        .key
        .sign(&claims(&json!({"groups": ["a", "b"]})))
        .expect("signed");
    for authorization in [bearer(&token), format!("bearer {token}"), token.clone()] {
        let authorized = check(&f, Some(&authorization)).expect("authorized");
        let context = authorized.to_context(true);
        let jwt = &context["jwt"];
        assert_eq!(jwt["claims"]["username"], "alice");
        assert_eq!(jwt["claims"]["client_id"], "bookshelf-web");
        assert_eq!(jwt["claims"]["groups"], "[a b]");
        assert!(jwt["claims"]["exp"].is_string(), "{jwt}");
        assert_eq!(
            jwt["scopes"],
            json!(["bookshelf/books.read", "bookshelf/books.write"])
        );
    }
}

#[test]
fn refusals_carry_api_gateways_www_authenticate() {
    let header = Denied::Unauthorized("the token does not have a valid audience".to_owned())
        .www_authenticate();
    assert_eq!(
        header,
        "Bearer scope=\"\" error=\"invalid_token\" error_description=\"the token does not have a valid audience\""
    );
}
