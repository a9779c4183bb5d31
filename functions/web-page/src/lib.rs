//! `GET /` and `GET /assets/{file}`: the bookshelf web page.
//!
//! The page is one HTML document and a small hand-written script that calls the
//! JSON API (`/books…`) on the same origin; this function only serves the files,
//! and touches no table. Every file is compiled into the binary, so the page
//! needs nothing from the network beyond its own origin (and, to sign in, its
//! identity provider), and it is the same page under the local runner,
//! `sam local start-api` and API Gateway.
//!
//! Sign-in: the function's environment names the OpenID issuer, the page's
//! client id and the scopes to ask for (`AUTH_ISSUER`, `AUTH_CLIENT_ID`,
//! `AUTH_SCOPES`; the local runner points them at its development provider).
//! They are read once, at cold start ([`PageConfig::from_env`]), and written into
//! the HTML as `<meta name="bookshelf-auth-…">` tags ([`render`]); the script
//! runs the authorization code flow with PKCE against that issuer.
//!
//! Caching: the HTML names its assets with a content hash (`/assets/app.js?v=…`),
//! so an asset asked for with the current hash may be cached for a year, while
//! the HTML (and any asset asked for without it) is revalidated on every use,
//! cheaply, through its `ETag`.

use bookshelf::ApiError;
use bookshelf::http::{
    IfNoneMatch, if_none_match, not_modified, query_param, set_security_headers,
};
use lambda_http::http::{HeaderValue, header};
use lambda_http::{Body, Request, RequestExt, Response};
use std::sync::LazyLock;

/// The `Content-Security-Policy` of the assets, and of the page when its
/// identity provider is on the page's own origin (or there is none): everything
/// from this origin only, no inline script or style, no plugins, no framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self'; connect-src 'self'; font-src 'self'; \
     object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The scopes the page asks for when `AUTH_SCOPES` is not set.
pub const DEFAULT_SCOPES: &str = "openid bookshelf/books.read bookshelf/books.write";

/// Where the page signs in, from the function's environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageConfig {
    /// The OpenID issuer (`AUTH_ISSUER`); `None` when unset or blank: no sign-in.
    pub issuer: Option<String>,
    /// The page's public client id at the issuer (`AUTH_CLIENT_ID`).
    pub client_id: Option<String>,
    /// The scopes to ask for, space-separated (`AUTH_SCOPES`, or [`DEFAULT_SCOPES`]).
    pub scopes: String,
    /// `ALLOW_ANONYMOUS_WRITES=true` (`sam local start-api` only): the API takes
    /// writes without a token, so the page offers them signed out.
    pub anonymous_writes: bool,
}

impl PageConfig {
    /// The configuration in this process's environment.
    pub fn from_env() -> PageConfig {
        PageConfig::from_vars(|name| std::env::var(name).ok())
    }

    /// The configuration in the variables `var` looks up (blank counts as unset).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> PageConfig {
        let get = |name: &str| {
            var(name)
                .map(|value| value.trim().to_owned())
                .filter(|value| !value.is_empty())
        };
        PageConfig {
            issuer: get("AUTH_ISSUER").map(|issuer| issuer.trim_end_matches('/').to_owned()),
            client_id: get("AUTH_CLIENT_ID"),
            scopes: get("AUTH_SCOPES")
                .map(|scopes| scopes.split_whitespace().collect::<Vec<_>>().join(" "))
                .unwrap_or_else(|| DEFAULT_SCOPES.to_owned()),
            anonymous_writes: get("ALLOW_ANONYMOUS_WRITES").as_deref() == Some("true"),
        }
    }
}

/// The HTML page as served, rendered once from a [`PageConfig`].
#[derive(Debug, Clone)]
pub struct Page {
    /// The document.
    pub html: String,
    /// Its `ETag` value (without quotes): [`VERSION`] and the configuration.
    pub etag: u64,
    /// The issuer's origin as a browser writes it (`https://host[:port]`), and
    /// the origins the script must reach to sign in there, when there is an issuer.
    issuer_origin: Option<IssuerOrigin>,
}

#[derive(Debug, Clone)]
struct IssuerOrigin {
    /// `host[:port]`, compared with the request's `Host`.
    authority: String,
    /// The page's policy when the page is on another origin than the issuer.
    policy: String,
}

impl Page {
    /// The page's `Content-Security-Policy` for a request to `host`: the issuer's
    /// origin (and its token endpoint's) may be fetched when it is another origin
    /// than the page's; otherwise [`CONTENT_SECURITY_POLICY`] as it is. Signing in
    /// navigates to the issuer (`location.assign`), which the policy does not limit.
    pub fn content_security_policy(&self, host: Option<&str>) -> &str {
        match &self.issuer_origin {
            Some(origin)
                if host.is_none_or(|host| !host.eq_ignore_ascii_case(&origin.authority)) =>
            {
                &origin.policy
            }
            _ => CONTENT_SECURITY_POLICY,
        }
    }
}

/// The page for `config`: its meta tags, ETag and policies.
pub fn render(config: &PageConfig) -> Page {
    let html = INDEX_TEMPLATE
        .replace("{{version}}", &VERSION.to_string())
        .replace(
            "{{auth_issuer}}",
            &escape_html(config.issuer.as_deref().unwrap_or_default()),
        )
        .replace(
            "{{auth_client_id}}",
            &escape_html(config.client_id.as_deref().unwrap_or_default()),
        )
        .replace("{{auth_scopes}}", &escape_html(&config.scopes))
        .replace(
            "{{anonymous_writes}}",
            if config.anonymous_writes {
                "true"
            } else {
                "false"
            },
        );
    let issuer_origin = config.issuer.as_deref().and_then(issuer_origin);
    Page {
        etag: fnv1a(VERSION, html.as_bytes()),
        html,
        issuer_origin,
    }
}

/// The issuer's origin, and the policy that lets the page fetch from it: its
/// discovery document and, for Cognito (whose token endpoint is on the pool's
/// managed-login domain, `<prefix>.auth.<region>.amazoncognito.com`), that
/// region's managed-login domains. `None` for a URL that is not http(s).
fn issuer_origin(issuer: &str) -> Option<IssuerOrigin> {
    let url = url::Url::parse(issuer).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    let host = url.host_str()?;
    let authority = match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    };
    let mut sources = vec![format!("{}://{authority}", url.scheme())];
    if let Some(region) = host
        .strip_prefix("cognito-idp.")
        .and_then(|rest| rest.strip_suffix(".amazonaws.com"))
        .filter(|region| {
            !region.is_empty()
                && region
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
    {
        sources.push(format!("https://*.auth.{region}.amazoncognito.com"));
    }
    let policy = CONTENT_SECURITY_POLICY.replace(
        "connect-src 'self';",
        &format!("connect-src 'self' {};", sources.join(" ")),
    );
    Some(IssuerOrigin { authority, policy })
}

/// `text` safe inside an HTML attribute value (double-quoted) or text.
fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// `Cache-Control` of the HTML and of unversioned asset requests: use only after
/// revalidating (a 304 when nothing changed).
const REVALIDATE: &str = "no-cache";
/// `Cache-Control` of an asset asked for with the current content hash.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// The HTML as written; `{{version}}` stands for [`VERSION`], `{{auth_…}}` and
/// `{{anonymous_writes}}` for the [`PageConfig`].
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

/// The HTML as served, rendered at cold start from the environment: asset URLs
/// carry [`VERSION`], its meta tags say where to sign in.
pub static INDEX_HTML: LazyLock<Page> = LazyLock::new(|| render(&PageConfig::from_env()));

/// Answers one request: the page for `/`, a file for `/assets/{file}`, and
/// [`ApiError::NotFound`] (a problem+json 404) for an asset that does not exist.
pub async fn handle(request: Request) -> Result<Response<Body>, ApiError> {
    respond(&request)
}

/// The answer to `request` (see [`handle`]).
pub fn respond(request: &Request) -> Result<Response<Body>, ApiError> {
    respond_with(&INDEX_HTML, request)
}

/// The answer to `request` with `page` as the HTML (see [`handle`]).
pub fn respond_with(page: &Page, request: &Request) -> Result<Response<Body>, ApiError> {
    // Only `GET /` and `GET /assets/{file}` lead here: the `file` parameter
    // (or, without one, the path) tells them apart.
    let name = request
        .path_parameters_ref()
        .and_then(|parameters| parameters.first("file"))
        .or_else(|| request.uri().path().strip_prefix("/assets/"));
    let Some(name) = name else {
        let host = request
            .headers()
            .get(header::HOST)
            .and_then(|host| host.to_str().ok());
        return Ok(file(
            request,
            "text/html; charset=utf-8",
            &page.html,
            page.etag,
            REVALIDATE,
            page.content_security_policy(host),
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
    Ok(file(
        request,
        asset.content_type,
        asset.body,
        VERSION,
        cache,
        CONTENT_SECURITY_POLICY,
    ))
}

/// `body` with its headers (`etag` its tag, `policy` its CSP), or a 304 when the
/// client's copy is current.
fn file(
    request: &Request,
    content_type: &str,
    body: &str,
    etag: u64,
    cache: &'static str,
    policy: &str,
) -> Response<Body> {
    // A malformed If-None-Match only costs the client a full answer.
    let current = if_none_match(request).unwrap_or(IfNoneMatch::Absent);
    let mut response = if current.matches(etag) {
        not_modified(etag)
    } else {
        let mut response = Response::new(Body::Text(body.to_owned()));
        let headers = response.headers_mut();
        if let Ok(content_type) = HeaderValue::from_str(content_type) {
            headers.insert(header::CONTENT_TYPE, content_type);
        }
        if let Ok(etag) = HeaderValue::from_str(&format!("\"{etag}\"")) {
            headers.insert(header::ETAG, etag);
        }
        response
    };
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    with_security_headers(response, policy)
}

/// The headers every answer of this function carries.
fn with_security_headers(mut response: Response<Body>, policy: &str) -> Response<Body> {
    let policy =
        HeaderValue::from_str(policy).unwrap_or(HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    set_security_headers(response.headers_mut(), policy);
    response
}

#[cfg(test)]
mod tests;
