//! Reading the parts of an API Gateway request that routes share: the path id,
//! query parameters and headers.

use super::ApiError;
use super::etag::{EntityTag, IfMatch, IfNoneMatch, parse_if_match, parse_if_none_match};
use crate::domain::BookId;
use crate::store::VersionCheck;
use lambda_http::http::HeaderMap;
use lambda_http::{Request, RequestExt};

/// Page size when the client names none.
pub const DEFAULT_PAGE_LIMIT: usize = 25;
/// The largest page a client may ask for.
pub const MAX_PAGE_LIMIT: usize = 100;

/// The longest `Idempotency-Key` accepted.
const MAX_IDEMPOTENCY_KEY_CHARS: usize = 255;

/// The `{id}` path parameter as a [`BookId`]; an id this service could not have
/// assigned names no book, so it is a 404 like any unknown id.
pub fn book_id(request: &Request) -> Result<BookId, ApiError> {
    let raw = request
        .path_parameters_ref()
        .and_then(|parameters| parameters.first("id"))
        .unwrap_or_default();
    BookId::parse(raw).ok_or_else(|| ApiError::BookNotFound(raw.to_owned()))
}

/// A query parameter's value; repeating a parameter is refused (400) rather than
/// silently picking one of the values.
pub fn query_param<'a>(request: &'a Request, name: &str) -> Result<Option<&'a str>, ApiError> {
    let Some(parameters) = request.query_string_parameters_ref() else {
        return Ok(None);
    };
    match parameters.all(name) {
        None => Ok(None),
        Some(values) if values.len() == 1 => Ok(Some(values[0])),
        Some(_) => Err(ApiError::BadRequest(format!(
            "the query parameter `{name}` must be given at most once"
        ))),
    }
}

/// The `limit` query parameter of a paged route: 1 to [`MAX_PAGE_LIMIT`],
/// [`DEFAULT_PAGE_LIMIT`] when absent; anything else is a 400.
pub fn page_limit(request: &Request) -> Result<usize, ApiError> {
    let Some(raw) = query_param(request, "limit")? else {
        return Ok(DEFAULT_PAGE_LIMIT);
    };
    raw.parse::<usize>()
        .ok()
        .filter(|limit| (1..=MAX_PAGE_LIMIT).contains(limit))
        .ok_or_else(|| {
            ApiError::BadRequest(format!(
                "`limit` must be a whole number from 1 to {MAX_PAGE_LIMIT}"
            ))
        })
}

/// The `If-Match` precondition of a write.
pub fn if_match(request: &Request) -> Result<IfMatch, ApiError> {
    parse_if_match(header(request.headers(), "if-match")?).map_err(|_| {
        ApiError::BadRequest("the If-Match header is not a list of entity tags".into())
    })
}

/// The preconditions of a write, as the store checks them: `If-Match` (one of
/// its strong tags, or `*`) and `If-None-Match` (none of its tags, weakly
/// compared, or no book for `*`), RFC 9110 §13.1.1–13.1.2. Both are conditions
/// on the same stored version, checked in the write's one request; either
/// failing is a 412.
pub fn write_preconditions(request: &Request) -> Result<VersionCheck, ApiError> {
    version_check(if_match(request)?, request)
}

/// [`write_preconditions`] with an `If-Match` the handler has narrowed further
/// (a PUT body's `version`).
pub fn version_check(if_match: IfMatch, request: &Request) -> Result<VersionCheck, ApiError> {
    let (none_of, must_not_exist) = match if_none_match(request)? {
        IfNoneMatch::Absent => (Vec::new(), false),
        IfNoneMatch::Any => (Vec::new(), true),
        IfNoneMatch::Tags(tags) => (tags.iter().filter_map(EntityTag::version).collect(), false),
    };
    Ok(VersionCheck {
        one_of: if_match.expected_versions().map(<[u64]>::to_vec),
        none_of,
        must_not_exist,
    })
}

/// The `If-None-Match` condition of a read.
pub fn if_none_match(request: &Request) -> Result<IfNoneMatch, ApiError> {
    parse_if_none_match(header(request.headers(), "if-none-match")?).map_err(|_| {
        ApiError::BadRequest("the If-None-Match header is not a list of entity tags".into())
    })
}

/// The `Idempotency-Key` header of a create, if sent: 1 to 255 visible ASCII
/// characters.
pub fn idempotency_key(request: &Request) -> Result<Option<&str>, ApiError> {
    let Some(key) = header(request.headers(), "idempotency-key")? else {
        return Ok(None);
    };
    let valid = !key.is_empty()
        && key.len() <= MAX_IDEMPOTENCY_KEY_CHARS
        && key.bytes().all(|byte| byte.is_ascii_graphic());
    if valid {
        Ok(Some(key))
    } else {
        Err(ApiError::BadRequest(format!(
            "the Idempotency-Key header must be 1 to {MAX_IDEMPOTENCY_KEY_CHARS} visible ASCII characters"
        )))
    }
}

/// A header sent at most once, as text. API Gateway joins repeated headers with
/// commas, which suits the list-valued headers read here.
fn header<'a>(headers: &'a HeaderMap, name: &str) -> Result<Option<&'a str>, ApiError> {
    let mut values = headers.get_all(name).iter();
    let Some(first) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(ApiError::BadRequest(format!(
            "the {name} header must be sent once"
        )));
    }
    first
        .to_str()
        .map(Some)
        .map_err(|_| ApiError::BadRequest(format!("the {name} header must be ASCII text")))
}
