//! The domain: what a book is, which client input makes a valid one, and what a
//! book's history records. It knows nothing of HTTP or DynamoDB.
//!
//! Input is parsed, not validated: a [`Title`], [`Author`] or [`Genre`] can only be
//! built from acceptable text, so a [`BookFields`] or [`BookChanges`] in hand is
//! already correct. Parsing gathers every [`FieldError`] at once, so a client sees
//! all of them in one answer.

mod actor;
pub mod clock;
pub mod collation;
mod fields;
pub mod history;
mod input;
mod model;
pub mod text;

pub use actor::Actor;
pub use fields::{Author, FieldError, Genre, MAX_FIELD_CHARS, Title};
pub use input::{
    BookChanges, BookFields, RawBook, RawField, ReplaceRequest, parse_create, parse_patch,
    parse_replace,
};
pub use model::{Book, BookId};
