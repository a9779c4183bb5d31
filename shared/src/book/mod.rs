//! The domain: what a book is, and which client input makes a valid one.
//!
//! Input is parsed, not validated: a [`Title`], [`Author`] or [`Genre`] can only be
//! built from acceptable text, so a [`BookFields`] or [`BookChanges`] in hand is
//! already correct. Parsing gathers every [`FieldError`] at once, so a client sees
//! all of them in one answer.

mod fields;
mod input;
mod model;

pub use fields::{Author, FieldError, Genre, MAX_FIELD_CHARS, Title};
pub use input::{
    BookChanges, BookFields, ReplaceRequest, parse_create, parse_patch, parse_replace,
};
pub use model::{Book, BookId};
