//! A stored book and its identifier.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A book's server-assigned id: a UUIDv7 in its hyphenated lower-case form, so
/// ids are URL-safe and sort by creation time.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct BookId(String);

impl BookId {
    /// A new, time-ordered id for a book being created.
    pub fn generate() -> Self {
        Self(uuid::Uuid::now_v7().hyphenated().to_string())
    }

    /// Reads an id from a URL path segment. Anything that is not an id this
    /// service could have assigned is `None`: such a book cannot exist (404).
    pub fn parse(raw: &str) -> Option<Self> {
        let parsed = uuid::Uuid::try_parse(raw).ok()?;
        let canonical = parsed.hyphenated().to_string();
        (canonical == raw).then_some(Self(canonical))
    }

    /// The id as it appears in URLs and JSON.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for BookId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A book as clients see it: the JSON representation of `/books` routes, and
/// the snapshot kept in idempotency records and change history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Book {
    /// Server-assigned, immutable.
    pub id: BookId,
    /// Trimmed, 1 to 250 characters.
    pub title: String,
    /// Trimmed, 1 to 250 characters.
    pub author: String,
    /// Trimmed, 1 to 250 characters, or `null`.
    pub genre: Option<String>,
    /// 1 on creation, +1 on every successful write; the ETag is this number.
    pub version: u64,
    /// RFC 3339 UTC, set once.
    pub created_at: String,
    /// RFC 3339 UTC, set on every write.
    pub updated_at: String,
}

impl Book {
    /// A new book made of `fields` at time `now`: a fresh id, version 1.
    pub fn create(fields: super::BookFields, now: String) -> Self {
        Self {
            id: BookId::generate(),
            title: fields.title.into_string(),
            author: fields.author.into_string(),
            genre: fields.genre.map(super::Genre::into_string),
            version: 1,
            created_at: now.clone(),
            updated_at: now,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_parse_back_and_sort_by_time() {
        let first = BookId::generate();
        let second = BookId::generate();
        assert_eq!(BookId::parse(first.as_str()), Some(first.clone()));
        assert!(first < second);
    }

    #[test]
    fn only_canonical_ids_parse() {
        let id = BookId::generate();
        assert_eq!(BookId::parse(&id.as_str().to_uppercase()), None);
        assert_eq!(BookId::parse(&id.as_str().replace('-', "")), None);
        assert_eq!(BookId::parse("42"), None);
        assert_eq!(BookId::parse(""), None);
    }

    #[test]
    fn serialises_in_camel_case_with_null_genre() {
        let book = Book {
            id: BookId::parse("0192f0c1-7a9e-7b3c-8d4e-5f6a7b8c9d0e").unwrap(),
            title: "Dune".into(),
            author: "Frank Herbert".into(),
            genre: None,
            version: 1,
            created_at: "2026-01-01T00:00:00Z".into(),
            updated_at: "2026-01-01T00:00:00Z".into(),
        };
        let json = serde_json::to_value(&book).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "id": "0192f0c1-7a9e-7b3c-8d4e-5f6a7b8c9d0e",
                "title": "Dune",
                "author": "Frank Herbert",
                "genre": null,
                "version": 1,
                "createdAt": "2026-01-01T00:00:00Z",
                "updatedAt": "2026-01-01T00:00:00Z"
            })
        );
    }
}
