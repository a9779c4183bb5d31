//! `ANY` on every path of the API, for the methods no other route declares:
//! 405 problem+json with the `Allow` header, instead of API Gateway's bare 404
//! (a method-specific route always wins over `ANY` for the same path).

use bookshelf::ApiError;
use bookshelf::http::allowed_methods;
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};

/// Answers a request whose method the path does not serve.
pub async fn handle(request: Request) -> Result<Response<Body>, ApiError> {
    let route_key = match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context.route_key.clone(),
        _ => None,
    }
    .unwrap_or_default();
    let path = route_key.split_once(' ').map_or("", |(_, path)| path);
    let allowed = allowed_methods(path).ok_or_else(|| {
        ApiError::Internal(format!("route {route_key:?} is not in the Allow table"))
    })?;
    Err(ApiError::MethodNotAllowed {
        method: request.method().to_string(),
        allowed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use bookshelf_testing::{ApiEvent, assert_problem, call};

    /// `handle` as the serve loop calls it: it reads no state.
    async fn without_table(_: &(), request: Request) -> Result<Response<Body>, ApiError> {
        handle(request).await
    }

    #[tokio::test]
    async fn answers_405_with_the_methods_of_the_path() {
        let event = ApiEvent::new("TRACE", "/books/{id}", "/books/x")
            .route_key("ANY /books/{id}")
            .path_param("id", "x");
        let response = call(&(), without_table, &event).await;
        let problem = assert_problem(&response, 405, "method-not-allowed");
        assert_eq!(
            response.header("allow"),
            Some("GET, HEAD, PUT, PATCH, DELETE")
        );
        assert!(problem["detail"].as_str().unwrap().contains("TRACE"));
        let unknown = call(
            &(),
            without_table,
            &ApiEvent::new("TRACE", "/nowhere", "/nowhere"),
        )
        .await;
        assert_eq!(unknown.status, 500);
    }
}
