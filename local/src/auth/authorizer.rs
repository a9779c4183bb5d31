//! API Gateway's JWT authorizer for HTTP APIs, as documented in
//! <https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-jwt-authorizer.html>
//! and its troubleshooting page
//! <https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-troubleshooting-jwt.html>:
//!
//! 1. the token is the `Authorization` header (identity source), with or without a
//!    `Bearer ` prefix (any case); missing or empty → 401;
//! 2. its header names an RSA algorithm (RS256 here, the one the development provider
//!    signs with; `none` and HMAC are refused) and a `kid` found in the issuer's JWKS, and
//!    the signature verifies with that key;
//! 3. `iss` equals the configured issuer; `exp` is after now (required); `nbf` and `iat`,
//!    when present, are not after now; no leeway;
//! 4. `aud` holds one of the audiences, or, only when there is no `aud`, `client_id`
//!    equals one (access tokens such as Cognito's have no `aud`);
//! 5. the route's scopes: the token's `scope` (space-separated) or `scp` must hold at least
//!    one of them; otherwise 403.
//!
//! A refused token is 401 `{"message":"Unauthorized"}` with a `www-authenticate` header
//! shaped like API Gateway's (`Bearer scope="" error="invalid_token" error_description="…"`);
//! a valid token without the scope is 403 `{"message":"Forbidden"}`.

use std::collections::BTreeSet;

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value, json};

use super::claims::stringify_claims;

/// Why a request is refused before any function runs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    /// No token, or one that is not valid: 401.
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    /// A valid token without any of the route's scopes: 403.
    #[error("forbidden: the token has none of the scopes {0:?}")]
    Forbidden(Vec<String>),
}

impl Denied {
    /// The `www-authenticate` header value API Gateway sends with the refusal.
    pub fn www_authenticate(&self) -> String {
        match self {
            Denied::Unauthorized(why) => format!(
                "Bearer scope=\"\" error=\"invalid_token\" error_description=\"{}\"",
                why.replace('"', "'")
            ),
            Denied::Forbidden(scopes) => format!(
                "Bearer scope=\"{}\" error=\"insufficient_scope\" error_description=\"the token does not have the required scopes\"",
                scopes.join(" ")
            ),
        }
    }
}

/// A token that passed: what the function receives as `requestContext.authorizer`.
#[derive(Debug, Clone, PartialEq)]
pub struct Authorized {
    /// Every claim, as the token holds it.
    pub claims: Map<String, Value>,
    /// The token's scopes.
    pub scopes: Vec<String>,
}

impl Authorized {
    /// `requestContext.authorizer` in payload format 2.0: `{"jwt": {"claims", "scopes"}}`,
    /// claims as strings; `scopes` is null for a route that requires none.
    pub fn to_context(&self, route_has_scopes: bool) -> Value {
        let scopes = if route_has_scopes {
            json!(self.scopes)
        } else {
            Value::Null
        };
        json!({"jwt": {"claims": stringify_claims(&self.claims), "scopes": scopes}})
    }
}

/// One JWT authorizer: an issuer, its keys and the accepted audiences.
#[derive(Debug, Clone)]
pub struct JwtAuthorizer {
    issuer: String,
    audiences: Vec<String>,
    keys: JwkSet,
}

impl JwtAuthorizer {
    /// An authorizer trusting `issuer`, whose signing keys are `keys`, for `audiences`.
    pub fn new(issuer: &str, audiences: Vec<String>, keys: JwkSet) -> JwtAuthorizer {
        JwtAuthorizer {
            issuer: issuer.to_owned(),
            audiences,
            keys,
        }
    }

    /// Checks the request's `Authorization` header value against this authorizer and the
    /// route's `scopes` (any one suffices; none means any valid token).
    ///
    /// # Errors
    /// [`Denied`]: 401 for a missing or invalid token, 403 for a missing scope.
    pub fn authorize(
        &self,
        authorization: Option<&str>,
        scopes: &[String],
    ) -> Result<Authorized, Denied> {
        let unauthorized = |why: &str| Denied::Unauthorized(why.to_owned());
        let token = bearer_token(authorization).ok_or_else(|| unauthorized("no token"))?;
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| unauthorized("the token is not a valid JWT"))?;
        if header.alg != Algorithm::RS256 {
            return Err(unauthorized("the token's algorithm is not supported"));
        }
        let key = header
            .kid
            .as_deref()
            .and_then(|kid| self.keys.find(kid))
            .ok_or_else(|| unauthorized("the token's key id is not in the issuer's JWKS"))?;
        let key = DecodingKey::from_jwk(key)
            .map_err(|_| unauthorized("the issuer's key is not usable"))?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.leeway = 0;
        validation.validate_nbf = true;
        validation.validate_aud = false;
        validation.set_issuer(&[&self.issuer]);
        validation.set_required_spec_claims(&["exp", "iss"]);
        let data = jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation)
            .map_err(|e| unauthorized(&describe(&e)))?;
        let claims = data.claims;
        if claims
            .get("iat")
            .and_then(Value::as_f64)
            .is_some_and(|iat| iat > now())
        {
            return Err(unauthorized("the token was issued in the future"));
        }
        if !self.audience_matches(&claims) {
            return Err(unauthorized("the token does not have a valid audience"));
        }
        let granted = token_scopes(&claims);
        if !scopes.is_empty() && !scopes.iter().any(|s| granted.contains(s)) {
            return Err(Denied::Forbidden(scopes.to_vec()));
        }
        Ok(Authorized {
            claims,
            scopes: granted.into_iter().collect(),
        })
    }

    /// `aud` (string or list) holds an audience; without `aud`, `client_id` is one.
    fn audience_matches(&self, claims: &Map<String, Value>) -> bool {
        let accepted = |v: &Value| {
            v.as_str()
                .is_some_and(|a| self.audiences.iter().any(|x| x == a))
        };
        match claims.get("aud") {
            Some(Value::Array(list)) => list.iter().any(accepted),
            Some(aud) => accepted(aud),
            None => claims.get("client_id").is_some_and(accepted),
        }
    }
}

/// The token in an `Authorization` value: without a `Bearer ` prefix (any case) if it has one.
fn bearer_token(authorization: Option<&str>) -> Option<&str> {
    let value = authorization?.trim();
    let token = match value.get(..7) {
        Some(prefix) if prefix.eq_ignore_ascii_case("bearer ") => value[7..].trim_start(),
        _ => value,
    };
    (!token.is_empty()).then_some(token)
}

/// The scopes a token grants: `scope` (space-separated) or `scp` (list or string).
fn token_scopes(claims: &Map<String, Value>) -> BTreeSet<String> {
    let words = |text: &str| {
        text.split_whitespace()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let mut scopes = BTreeSet::new();
    for name in ["scope", "scp"] {
        match claims.get(name) {
            Some(Value::String(text)) => scopes.extend(words(text)),
            Some(Value::Array(items)) => {
                scopes.extend(items.iter().filter_map(Value::as_str).map(str::to_owned));
            }
            _ => {}
        }
    }
    scopes
}

/// The `error_description` for a token jsonwebtoken refused.
fn describe(error: &jsonwebtoken::errors::Error) -> String {
    use jsonwebtoken::errors::ErrorKind;
    match error.kind() {
        ErrorKind::ExpiredSignature => "the token has expired".to_owned(),
        ErrorKind::ImmatureSignature => "the token is not valid yet".to_owned(),
        ErrorKind::InvalidIssuer => "the token does not have a valid issuer".to_owned(),
        ErrorKind::InvalidSignature => "the token's signature is not valid".to_owned(),
        ErrorKind::MissingRequiredClaim(claim) => format!("the token has no {claim} claim"),
        _ => "the token is not valid".to_owned(),
    }
}

/// Seconds since the epoch.
fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

#[cfg(test)]
mod tests;
