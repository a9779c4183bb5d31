//! A development OpenID provider under `/_local/idp` on the runner's port: discovery,
//! JWKS, an authorization endpoint whose sign-in page lists development users
//! (authorization code + PKCE S256), and a token endpoint (`authorization_code`,
//! `client_credentials`). It issues Cognito-like access tokens (`iss`, `sub`,
//! `client_id`, `scope`, `token_use: access`, `username` for users, `iat`, `exp` in 1 h,
//! `jti`), signed RS256 with a key created per run.
//!
//! Fixed development credentials: the machine client `bookshelf-local` with secret
//! `bookshelf-local-secret` (client credentials, HTTP Basic or form), the web page's public
//! client `bookshelf-web`; users `alice` and `bob` (read and write) and `reader` (read).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::JwtAuthorizer;
use super::keys::{KeyError, SigningKey};
use crate::gateway::response::GatewayResponse;

/// Where the provider is served on the runner's port.
pub const IDP_PATH: &str = "/_local/idp";
/// The machine client (client credentials).
pub const MACHINE_CLIENT_ID: &str = "bookshelf-local";
/// The machine client's secret.
pub const MACHINE_CLIENT_SECRET: &str = "bookshelf-local-secret";
/// The web page's public client (authorization code + PKCE).
pub const WEB_CLIENT_ID: &str = "bookshelf-web";
/// Read books.
pub const READ_SCOPE: &str = "bookshelf/books.read";
/// Create, change and delete books.
pub const WRITE_SCOPE: &str = "bookshelf/books.write";
/// How long an access token lives.
const TOKEN_LIFETIME: Duration = Duration::from_secs(3600);
/// How long an authorization code can be exchanged.
const CODE_LIFETIME: Duration = Duration::from_secs(300);

/// A development user: name, what they see on the sign-in page, their scopes.
struct User {
    name: &'static str,
    description: &'static str,
    scopes: &'static [&'static str],
}

const USERS: &[User] = &[
    User {
        name: "alice",
        description: "reads and writes",
        scopes: &[READ_SCOPE, WRITE_SCOPE],
    },
    User {
        name: "bob",
        description: "reads and writes",
        scopes: &[READ_SCOPE, WRITE_SCOPE],
    },
    User {
        name: "reader",
        description: "reads only",
        scopes: &[READ_SCOPE],
    },
];

/// A code waiting to be exchanged.
struct Grant {
    user: &'static User,
    redirect_uri: String,
    challenge: String,
    scope: String,
    issued: Instant,
}

/// The development identity provider of one run.
pub struct DevIdp {
    origin: String,
    key: SigningKey,
    codes: Mutex<HashMap<String, Grant>>,
}

impl std::fmt::Debug for DevIdp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DevIdp")
            .field("issuer", &self.issuer())
            .finish()
    }
}

/// An HTTP request to the provider.
#[derive(Debug, Clone, Copy)]
pub struct IdpRequest<'a> {
    /// `GET` or `POST`.
    pub method: &'a str,
    /// The path after [`IDP_PATH`], e.g. `/token`.
    pub path: &'a str,
    /// The query string (without `?`).
    pub query: &'a str,
    /// The request headers.
    pub headers: &'a HeaderMap,
    /// The body (a form for POSTs).
    pub body: &'a [u8],
}

impl DevIdp {
    /// A provider at `origin` (`http://127.0.0.1:<port>`), with a fresh RSA key.
    ///
    /// # Errors
    /// [`KeyError`] when the key cannot be generated.
    pub fn new(origin: &str) -> Result<DevIdp, KeyError> {
        let kid = uuid::Uuid::new_v4().simple().to_string();
        Ok(DevIdp {
            origin: origin.trim_end_matches('/').to_owned(),
            key: SigningKey::generate(&kid)?,
            codes: Mutex::new(HashMap::new()),
        })
    }

    /// The issuer: `<origin>/_local/idp`.
    pub fn issuer(&self) -> String {
        format!("{}{IDP_PATH}", self.origin)
    }

    /// The client ids its tokens carry: what the authorizer accepts as audiences.
    pub fn audiences() -> Vec<String> {
        vec![WEB_CLIENT_ID.to_owned(), MACHINE_CLIENT_ID.to_owned()]
    }

    /// A JWT authorizer trusting this provider (issuer, keys, its client ids).
    pub fn authorizer(&self) -> JwtAuthorizer {
        JwtAuthorizer::new(&self.issuer(), DevIdp::audiences(), self.key.jwks())
    }

    /// The signing key (tests sign their own tokens with it).
    pub fn key(&self) -> &SigningKey {
        &self.key
    }

    /// Answers one request under [`IDP_PATH`].
    pub fn handle(&self, request: &IdpRequest<'_>) -> GatewayResponse {
        match (request.method, request.path) {
            ("GET", "/.well-known/openid-configuration") => {
                json_response(StatusCode::OK, &self.discovery())
            }
            ("GET", "/jwks.json") => json_response(
                StatusCode::OK,
                &serde_json::to_value(self.key.jwks()).unwrap_or(Value::Null),
            ),
            ("GET", "/authorize") => self.sign_in_page(&form(request.query.as_bytes())),
            ("POST", "/authorize") => self.sign_in(&form(request.body)),
            ("POST", "/token") => self.token(request.headers, &form(request.body)),
            (_, "/.well-known/openid-configuration" | "/jwks.json" | "/authorize" | "/token") => {
                json_response(
                    StatusCode::METHOD_NOT_ALLOWED,
                    &json!({"error": "method_not_allowed"}),
                )
            }
            _ => json_response(StatusCode::NOT_FOUND, &json!({"message": "Not Found"})),
        }
    }

    fn discovery(&self) -> Value {
        let issuer = self.issuer();
        json!({
            "issuer": issuer,
            "authorization_endpoint": format!("{issuer}/authorize"),
            "token_endpoint": format!("{issuer}/token"),
            "jwks_uri": format!("{issuer}/jwks.json"),
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "client_credentials"],
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": ["openid", READ_SCOPE, WRITE_SCOPE],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
        })
    }

    /// Checks an authorization request; returns its redirect URI, challenge and state.
    fn check_authorization<'f>(
        &self,
        form: &'f HashMap<String, String>,
    ) -> Result<(&'f str, &'f str), String> {
        let get = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
        if get("response_type") != "code" {
            return Err("response_type must be code".to_owned());
        }
        if get("client_id") != WEB_CLIENT_ID {
            return Err(format!(
                "unknown client_id (the web client is {WEB_CLIENT_ID})"
            ));
        }
        let redirect_uri = get("redirect_uri");
        if !self.same_origin(redirect_uri) {
            return Err(format!("redirect_uri must be on {}", self.origin));
        }
        if get("code_challenge_method") != "S256" || get("code_challenge").is_empty() {
            return Err(
                "PKCE is required: code_challenge with code_challenge_method=S256".to_owned(),
            );
        }
        Ok((redirect_uri, get("code_challenge")))
    }

    /// Whether `uri` is on the runner's origin (127.0.0.1 or localhost, same port).
    fn same_origin(&self, uri: &str) -> bool {
        let localhost = self.origin.replace("127.0.0.1", "localhost");
        [self.origin.as_str(), localhost.as_str()]
            .iter()
            .any(|origin| {
                uri.strip_prefix(origin)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
            })
    }

    fn sign_in_page(&self, query: &HashMap<String, String>) -> GatewayResponse {
        if let Err(why) = self.check_authorization(query) {
            return html_response(
                StatusCode::BAD_REQUEST,
                &page("Cannot sign in", &format!("<p>{}</p>", escape(&why))),
            );
        }
        let hidden: String = [
            "response_type",
            "client_id",
            "redirect_uri",
            "scope",
            "state",
            "code_challenge",
            "code_challenge_method",
        ]
        .iter()
        .filter_map(|name| query.get(*name).map(|v| (name, v)))
        .map(|(name, value)| {
            format!(
                "<input type=\"hidden\" name=\"{name}\" value=\"{}\">",
                escape(value)
            )
        })
        .collect();
        let users: String = USERS
            .iter()
            .map(|u| format!(
                "<li><button type=\"submit\" name=\"username\" value=\"{0}\">Sign in as {0}</button> <span>{1}</span></li>",
                u.name, u.description
            ))
            .collect();
        let body = format!(
            "<p>Development sign-in: nothing here is deployed. Pick a user.</p>\
             <form method=\"post\" action=\"{IDP_PATH}/authorize\">{hidden}<ul>{users}</ul></form>"
        );
        html_response(
            StatusCode::OK,
            &page("Sign in to Bookshelf (development)", &body),
        )
    }

    fn sign_in(&self, form: &HashMap<String, String>) -> GatewayResponse {
        let (redirect_uri, challenge) = match self.check_authorization(form) {
            Ok(checked) => checked,
            Err(why) => {
                return html_response(
                    StatusCode::BAD_REQUEST,
                    &page("Cannot sign in", &escape(&why)),
                );
            }
        };
        let Some(user) = USERS
            .iter()
            .find(|u| form.get("username").is_some_and(|n| n == u.name))
        else {
            return html_response(
                StatusCode::BAD_REQUEST,
                &page("Cannot sign in", "unknown user"),
            );
        };
        let requested = form.get("scope").map(String::as_str).unwrap_or_default();
        let code = uuid::Uuid::new_v4().simple().to_string();
        let grant = Grant {
            user,
            redirect_uri: redirect_uri.to_owned(),
            challenge: challenge.to_owned(),
            scope: granted_scopes(requested, user.scopes),
            issued: Instant::now(),
        };
        if let Ok(mut codes) = self.codes.lock() {
            codes.retain(|_, g| g.issued.elapsed() < CODE_LIFETIME);
            codes.insert(code.clone(), grant);
        }
        let mut location = format!(
            "{redirect_uri}{}code={code}",
            if redirect_uri.contains('?') { '&' } else { '?' }
        );
        if let Some(state) = form.get("state") {
            location.push_str("&state=");
            location.push_str(
                &url::form_urlencoded::byte_serialize(state.as_bytes()).collect::<String>(),
            );
        }
        let mut response = html_response(StatusCode::FOUND, "");
        if let Ok(value) = HeaderValue::from_str(&location) {
            response.headers.push((http::header::LOCATION, value));
        }
        response
    }

    fn token(&self, headers: &HeaderMap, form: &HashMap<String, String>) -> GatewayResponse {
        match form.get("grant_type").map(String::as_str) {
            Some("client_credentials") => self.client_credentials(headers, form),
            Some("authorization_code") => self.authorization_code(form),
            _ => token_error(StatusCode::BAD_REQUEST, "unsupported_grant_type"),
        }
    }

    fn client_credentials(
        &self,
        headers: &HeaderMap,
        form: &HashMap<String, String>,
    ) -> GatewayResponse {
        let (id, secret) = basic_credentials(headers).unwrap_or_else(|| {
            (
                form.get("client_id").cloned().unwrap_or_default(),
                form.get("client_secret").cloned().unwrap_or_default(),
            )
        });
        if id != MACHINE_CLIENT_ID || secret != MACHINE_CLIENT_SECRET {
            return token_error(StatusCode::UNAUTHORIZED, "invalid_client");
        }
        let allowed = [READ_SCOPE, WRITE_SCOPE];
        let requested = form.get("scope").map(String::as_str).unwrap_or_default();
        if requested.split_whitespace().any(|s| !allowed.contains(&s)) {
            return token_error(StatusCode::BAD_REQUEST, "invalid_scope");
        }
        let scope = granted_scopes(requested, &allowed);
        self.issue(
            &json!({"sub": MACHINE_CLIENT_ID, "client_id": MACHINE_CLIENT_ID}),
            &scope,
        )
    }

    fn authorization_code(&self, form: &HashMap<String, String>) -> GatewayResponse {
        let get = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
        if get("client_id") != WEB_CLIENT_ID {
            return token_error(StatusCode::UNAUTHORIZED, "invalid_client");
        }
        let grant = self
            .codes
            .lock()
            .ok()
            .and_then(|mut codes| codes.remove(get("code")));
        let Some(grant) = grant.filter(|g| g.issued.elapsed() < CODE_LIFETIME) else {
            return token_error(StatusCode::BAD_REQUEST, "invalid_grant");
        };
        let verified = URL_SAFE_NO_PAD.encode(Sha256::digest(get("code_verifier").as_bytes()))
            == grant.challenge;
        if !verified || get("redirect_uri") != grant.redirect_uri {
            return token_error(StatusCode::BAD_REQUEST, "invalid_grant");
        }
        let user = grant.user;
        let subject = format!("local-user-{}", user.name);
        self.issue(
            &json!({"sub": subject, "client_id": WEB_CLIENT_ID, "username": user.name}),
            &grant.scope,
        )
    }

    /// Signs an access token with `identity` claims and `scope`; the token response.
    fn issue(&self, identity: &Value, scope: &str) -> GatewayResponse {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let mut claims = json!({
            "iss": self.issuer(),
            "token_use": "access",
            "scope": scope,
            "auth_time": now,
            "iat": now,
            "exp": now + TOKEN_LIFETIME.as_secs(),
            "jti": uuid::Uuid::new_v4().to_string(),
        });
        if let (Some(claims), Some(identity)) = (claims.as_object_mut(), identity.as_object()) {
            claims.extend(identity.clone());
        }
        match self.key.sign(&claims) {
            Ok(token) => json_response(
                StatusCode::OK,
                &json!({
                    "access_token": token,
                    "token_type": "Bearer",
                    "expires_in": TOKEN_LIFETIME.as_secs(),
                    "scope": scope,
                }),
            ),
            Err(_) => token_error(StatusCode::INTERNAL_SERVER_ERROR, "server_error"),
        }
    }
}

/// The requested scopes a client or user may have (all of `allowed` when none requested;
/// `openid` and the like are kept only in the response, never granted as API scopes).
fn granted_scopes(requested: &str, allowed: &[&str]) -> String {
    let requested: Vec<&str> = requested.split_whitespace().collect();
    let granted: Vec<&str> = allowed
        .iter()
        .copied()
        .filter(|s| requested.is_empty() || requested.contains(s))
        .collect();
    granted.join(" ")
}

/// `client_id` and `client_secret` from an HTTP Basic `Authorization` header.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value
        .get(..6)
        .filter(|p| p.eq_ignore_ascii_case("basic "))?;
    let decoded = STANDARD.decode(value[encoded.len()..].trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    let decode = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    Some((decode(id), decode(secret)))
}

/// A form or query string, decoded (the last value of a repeated name wins).
fn form(bytes: &[u8]) -> HashMap<String, String> {
    url::form_urlencoded::parse(bytes).into_owned().collect()
}

fn json_response(status: StatusCode, body: &Value) -> GatewayResponse {
    GatewayResponse {
        status,
        headers: vec![
            (
                http::header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (
                http::header::CACHE_CONTROL,
                HeaderValue::from_static("no-store"),
            ),
        ],
        body: Bytes::from(body.to_string()),
    }
}

fn token_error(status: StatusCode, error: &str) -> GatewayResponse {
    json_response(status, &json!({"error": error}))
}

fn html_response(status: StatusCode, html: &str) -> GatewayResponse {
    GatewayResponse {
        status,
        headers: vec![
            (
                http::header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (
                http::header::CACHE_CONTROL,
                HeaderValue::from_static("no-store"),
            ),
        ],
        body: Bytes::from(html.to_owned()),
    }
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body><h1>{title}</h1>{body}</body></html>"
    )
}

/// Escapes text for HTML content and attribute values.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
