//! `GET /` and `GET /assets/{file}`: the bookshelf web page.
//!
//! The page is one HTML document and a small hand-written script that calls the
//! JSON API (`/books…`) on the same origin; this function only serves the files,
//! and touches no table. Every file is compiled into the binary, so the page
//! needs nothing from the network beyond its own origin, and it is the same page
//! under the local runner, `sam local start-api` and API Gateway.
//!
//! Caching: the HTML names its assets with a content hash (`/assets/app.js?v=…`),
//! so an asset asked for with the current hash may be cached for a year, while
//! the HTML (and any asset asked for without it) is revalidated on every use,
//! cheaply, through its `ETag`.

use bookshelf::ApiError;
use bookshelf::http::{IfNoneMatch, if_none_match, not_modified, query_param};
use lambda_http::http::{HeaderValue, header};
use lambda_http::{Body, Request, RequestExt, Response};
use std::sync::LazyLock;

/// The page's `Content-Security-Policy`: everything from this origin only, no
/// inline script or style, no plugins, no framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self'; connect-src 'self'; font-src 'self'; \
     object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// `Cache-Control` of the HTML and of unversioned asset requests: use only after
/// revalidating (a 304 when nothing changed).
const REVALIDATE: &str = "no-cache";
/// `Cache-Control` of an asset asked for with the current content hash.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// The HTML as written; `{{version}}` stands for [`VERSION`].
const INDEX_TEMPLATE: &str = include_str!("../assets/index.html");

/// A file the page loads from `/assets/`.
#[derive(Debug, Clone, Copy)]
pub struct Asset {
    /// The name under `/assets/`.
    pub name: &'static str,
    /// Its `Content-Type`.
    pub content_type: &'static str,
    /// Its content.
    pub body: &'static str,
}

/// Every file under `/assets/`.
pub const ASSETS: &[Asset] = &[
    Asset {
        name: "app.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../assets/app.js"),
    },
    Asset {
        name: "app.css",
        content_type: "text/css; charset=utf-8",
        body: include_str!("../assets/app.css"),
    },
    Asset {
        name: "icon.svg",
        content_type: "image/svg+xml; charset=utf-8",
        body: include_str!("../assets/icon.svg"),
    },
];

/// A hash of every file of the page: the `v` of asset URLs and the `ETag` of
/// every answer, so that any change to any file is a new version.
pub const VERSION: u64 = {
    let mut hash = fnv1a(0xcbf2_9ce4_8422_2325, INDEX_TEMPLATE.as_bytes());
    let mut i = 0;
    while i < ASSETS.len() {
        hash = fnv1a(hash, ASSETS[i].body.as_bytes());
        i += 1;
    }
    hash
};

/// FNV-1a (64 bits) of `bytes`, continuing from `hash`; `const` so that
/// [`VERSION`] is computed by the compiler.
const fn fnv1a(mut hash: u64, bytes: &[u8]) -> u64 {
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        i += 1;
    }
    hash
}

/// The HTML as served: asset URLs carry [`VERSION`].
pub static INDEX_HTML: LazyLock<String> =
    LazyLock::new(|| INDEX_TEMPLATE.replace("{{version}}", &VERSION.to_string()));

/// Answers one request: the page for `/`, a file for `/assets/{file}`, and
/// [`ApiError::NotFound`] (a problem+json 404) for an asset that does not exist.
pub async fn handle(request: Request) -> Result<Response<Body>, ApiError> {
    respond(&request)
}

/// The answer to `request` (see [`handle`]).
pub fn respond(request: &Request) -> Result<Response<Body>, ApiError> {
    // Only `GET /` and `GET /assets/{file}` lead here: the `file` parameter
    // (or, without one, the path) tells them apart.
    let name = request
        .path_parameters_ref()
        .and_then(|parameters| parameters.first("file"))
        .or_else(|| request.uri().path().strip_prefix("/assets/"));
    let Some(name) = name else {
        return Ok(file(
            request,
            "text/html; charset=utf-8",
            &INDEX_HTML,
            REVALIDATE,
        ));
    };
    let asset = ASSETS
        .iter()
        .find(|asset| asset.name == name)
        .ok_or_else(|| ApiError::NotFound(format!("the web page has no asset named `{name}`")))?;
    let versioned = query_param(request, "v")
        .ok()
        .flatten()
        .is_some_and(|v| v == VERSION.to_string());
    let cache = if versioned { IMMUTABLE } else { REVALIDATE };
    Ok(file(request, asset.content_type, asset.body, cache))
}

/// `body` with its headers, or a 304 when the client's copy is current.
fn file(request: &Request, content_type: &str, body: &str, cache: &'static str) -> Response<Body> {
    // A malformed If-None-Match only costs the client a full answer.
    let current = if_none_match(request).unwrap_or(IfNoneMatch::Absent);
    let mut response = if current.matches(VERSION) {
        not_modified(VERSION)
    } else {
        let mut response = Response::new(Body::Text(body.to_owned()));
        let headers = response.headers_mut();
        if let Ok(content_type) = HeaderValue::from_str(content_type) {
            headers.insert(header::CONTENT_TYPE, content_type);
        }
        if let Ok(etag) = HeaderValue::from_str(&format!("\"{VERSION}\"")) {
            headers.insert(header::ETAG, etag);
        }
        response
    };
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    with_security_headers(response)
}

/// The headers every answer of this function carries.
fn with_security_headers(mut response: Response<Body>) -> Response<Body> {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

#[cfg(test)]
mod tests;
