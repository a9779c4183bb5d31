//! Who is calling: the claims API Gateway's JWT authorizer verified and passed
//! in `requestContext.authorizer.jwt.claims`.

use super::ApiError;
use crate::domain::Actor;
use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};

/// The signed-in caller of a write: `sub`, and `username` (a user) or
/// `client_id` (a machine client) as the name to show.
///
/// A write that reaches a function without claims means its route has no
/// authorizer (a misconfiguration): it is refused with a 401, never performed
/// anonymously, unless the stack allows anonymous writes (`allow_anonymous`,
/// only for `sam local start-api`, which cannot run JWT authorizers).
pub fn writer(request: &Request, allow_anonymous: bool) -> Result<Actor, ApiError> {
    let claims = match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context
            .authorizer
            .as_ref()
            .and_then(|authorizer| authorizer.jwt.as_ref())
            .map(|jwt| &jwt.claims),
        _ => None,
    };
    let sub = claims
        .and_then(|claims| claims.get("sub"))
        .filter(|sub| !sub.is_empty());
    match (sub, claims) {
        (Some(sub), Some(claims)) => {
            let name = ["username", "cognito:username", "client_id"]
                .iter()
                .find_map(|claim| claims.get(*claim).filter(|name| !name.is_empty()))
                .unwrap_or(sub);
            Ok(Actor {
                sub: sub.clone(),
                name: name.clone(),
            })
        }
        _ if allow_anonymous => Ok(Actor::anonymous()),
        _ => {
            tracing::error!(
                "a write reached the function without authorizer claims: is the route's authorizer configured?"
            );
            Err(ApiError::Unauthenticated)
        }
    }
}
