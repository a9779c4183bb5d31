//! The HTTP conventions every route follows.

mod allow;
mod body;
mod caller;
mod cursor;
mod error;
mod etag;
mod request;
mod response;
pub mod tutorial;

pub use allow::{ROUTES, allowed_methods};
pub use body::{JsonMediaType, MAX_BODY_BYTES, json_object};
pub use caller::writer;
pub use cursor::{Cursor, CursorError, CursorKey, decode_cursor, encode_cursor};
pub use error::{ApiError, PROBLEM_CONTENT_SECURITY_POLICY, ProblemContext, ProblemKind};
pub use etag::{EntityTag, IfMatch, IfNoneMatch, parse_if_match, parse_if_none_match};
pub use request::{
    DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT, book_id, idempotency_key, if_match, if_none_match,
    page_limit, query_param, version_check, write_preconditions,
};
pub use response::{
    BookEvent, ItemsPage, book_response, json_response, mark_if_changed, no_content, not_modified,
    set_security_headers, updated_response,
};
