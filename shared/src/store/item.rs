//! How a book is laid out as a DynamoDB item (see the table comment in
//! template.yaml): its keys, its index attributes, and the conversions.

use super::{ShelfShards, StoreError};
use crate::domain::collation::fold;
use crate::domain::{Actor, Book, BookId};
use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Partition key attribute.
pub const PK: &str = "pk";
/// Sort key attribute.
pub const SK: &str = "sk";
/// A book's `version` attribute: grows by one with every write.
pub const VERSION: &str = "version";
/// A book's `title` attribute.
pub const TITLE: &str = "title";
/// The index sort key derived from the title ([`title_key`]).
pub const TITLE_KEY: &str = "titleKey";
/// A book's `author` attribute (also the `byAuthor` index's partition key).
pub const AUTHOR: &str = "author";
/// A book's `genre` attribute: absent, never null, so `byGenre` stays sparse.
pub const GENRE: &str = "genre";
/// Who made a book's last write.
pub const UPDATED_BY: &str = "updatedBy";
/// Who is deleting a book (set just before the item is removed).
pub const DELETED_BY: &str = "deletedBy";
/// The `byAuthorGenre` index's partition key ([`author_genre`]); absent for a
/// book without a genre, so the index stays sparse.
pub const AUTHOR_GENRE: &str = "authorGenre";
/// A book's `updatedAt` attribute.
pub const UPDATED_AT: &str = "updatedAt";
/// The sort key of every book item.
pub const BOOK_SK: &str = "BOOK";
/// The `kind` of a book item (stream filters select on it).
pub const BOOK_KIND: &str = "book";
/// The `byTitle` index's partition key: the book's shelf shard
/// ([`super::ShelfShards::key_of`]).
pub const SHELF: &str = "shelf";
/// GSI sort keys are limited to 1,024 bytes: the id and two separators take
/// 38, the folded title and the exact title share the rest.
const MAX_TITLE_KEY_TEXT_BYTES: usize = 1024 - 38;
/// The folded title's share when both do not fit: it decides the order, so it
/// gets most (a title of 250 characters folds to at most a few hundred bytes
/// in every script but the rarest compatibility expansions).
const MAX_FOLDED_BYTES: usize = 900;

/// What every book's partition key starts with.
pub const BOOK_PK_PREFIX: &str = "BOOK#";

/// The partition key of the book `id`.
pub fn book_pk(id: &(impl std::fmt::Display + ?Sized)) -> String {
    format!("{BOOK_PK_PREFIX}{id}")
}

/// The primary key of the book `id`.
pub fn book_key(id: &BookId) -> HashMap<String, AttributeValue> {
    HashMap::from([
        (PK.to_owned(), AttributeValue::S(book_pk(id))),
        (SK.to_owned(), AttributeValue::S(BOOK_SK.to_owned())),
    ])
}

/// The sort key of every index: the title's catalogue fold
/// ([`crate::domain::collation::fold`]), U+0001, the exact title, U+0001, the
/// id. Books then sort as a catalogue files them (case- and accent-insensitively),
/// ties by the exact title (code point order), then by id; U+0001 sorts below
/// any character a title or its fold may hold, so "Dune" files before "Dune
/// Messiah". Past 986 bytes the fold keeps up to 900 and the exact title the
/// rest, each cut at a character boundary; ties past the cut fall to the id.
pub fn title_key(title: &str, id: &BookId) -> String {
    let folded = fold(title);
    let folded = cut(
        &folded,
        MAX_FOLDED_BYTES.max(MAX_TITLE_KEY_TEXT_BYTES.saturating_sub(title.len())),
    );
    let exact = cut(title, MAX_TITLE_KEY_TEXT_BYTES - folded.len());
    format!("{folded}\u{1}{exact}\u{1}{id}")
}

/// The start of every [`title_key`] whose title folds to something that
/// starts with `folded` (a folded search, [`crate::domain::collation::TitlePrefix`]):
/// `folded`, cut as a key's fold is cut.
pub fn title_key_prefix(folded: &str) -> &str {
    cut(folded, MAX_FOLDED_BYTES)
}

/// The longest start of `text` of at most `bytes` bytes that ends on a
/// character boundary.
fn cut(text: &str, bytes: usize) -> &str {
    let mut end = text.len().min(bytes);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// The `byAuthorGenre` key of a book by `author` in `genre`: both, U+0001
/// between (no field may hold a control character, so no two pairs collide).
/// A filter on author and genre together is then one key condition: every
/// page it answers holds matches, never an empty page with a next one.
pub fn author_genre(author: &str, genre: &str) -> String {
    format!("{author}\u{1}{genre}")
}

/// A book item exactly as stored.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BookItem {
    pk: String,
    sk: String,
    kind: String,
    shelf: String,
    title_key: String,
    id: BookId,
    title: String,
    author: String,
    // Absent, never NULL: the attribute keys the sparse byGenre index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    genre: Option<String>,
    /// The sparse `byAuthorGenre` key, with the genre.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    author_genre: Option<String>,
    version: u64,
    created_at: String,
    updated_at: String,
    /// Who made the last write.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    updated_by: Option<Actor>,
    /// Who is deleting the book: set by a delete just before it removes the
    /// item, so the stream's record of the removal says who removed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    deleted_by: Option<Actor>,
}

/// A book as stored, with who wrote it: what the stream's images hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBook {
    /// The book.
    pub book: Book,
    /// Who made its last write, if known.
    pub updated_by: Option<Actor>,
    /// Who deleted it (only in the last image of a deleted book).
    pub deleted_by: Option<Actor>,
}

impl BookItem {
    /// The item of `book` on a shelf of `shelf` shards, last written by `by`.
    fn written_by(book: &Book, by: &Actor, shelf: ShelfShards) -> Self {
        Self {
            pk: book_pk(&book.id),
            sk: BOOK_SK.to_owned(),
            kind: BOOK_KIND.to_owned(),
            shelf: shelf.key_of(&book.id),
            title_key: title_key(&book.title, &book.id),
            id: book.id.clone(),
            title: book.title.clone(),
            author: book.author.clone(),
            genre: book.genre.clone(),
            author_genre: book
                .genre
                .as_deref()
                .map(|genre| author_genre(&book.author, genre)),
            version: book.version,
            created_at: book.created_at.clone(),
            updated_at: book.updated_at.clone(),
            updated_by: Some(by.clone()),
            deleted_by: None,
        }
    }
}

impl From<BookItem> for Book {
    fn from(item: BookItem) -> Self {
        Self {
            id: item.id,
            title: item.title,
            author: item.author,
            genre: item.genre,
            version: item.version,
            created_at: item.created_at,
            updated_at: item.updated_at,
        }
    }
}

/// The DynamoDB item of `book` on a shelf of `shelf` shards, last written by `by`.
pub fn to_item(
    book: &Book,
    by: &Actor,
    shelf: ShelfShards,
) -> Result<HashMap<String, AttributeValue>, StoreError> {
    serde_dynamo::to_item(BookItem::written_by(book, by, shelf))
        .map_err(|error| StoreError::Internal(format!("cannot serialise a book: {error}")))
}

/// The book a DynamoDB item holds: an item as the SDK returns it, or a stream
/// image (a Lambda DynamoDB event's `NewImage` or `OldImage`). Anything that
/// is not a well-formed book item is an internal error (the table holds
/// something this code did not write).
pub fn book_from_item(item: impl Into<serde_dynamo::Item>) -> Result<Book, StoreError> {
    stored_book_from_item(item).map(|stored| stored.book)
}

/// A book as an index returns it, with its `titleKey`: the place it has in
/// the index's order, which a listing merges on and resumes after.
pub fn keyed_book_from_item(
    item: HashMap<String, AttributeValue>,
) -> Result<(String, Book), StoreError> {
    let item: BookItem = serde_dynamo::from_item(item)
        .map_err(|error| StoreError::Internal(format!("not a book item: {error}")))?;
    Ok((item.title_key.clone(), Book::from(item)))
}

/// Like [`book_from_item`], with who wrote the book (for its history).
pub fn stored_book_from_item(
    item: impl Into<serde_dynamo::Item>,
) -> Result<StoredBook, StoreError> {
    let item: BookItem = serde_dynamo::from_item(item)
        .map_err(|error| StoreError::Internal(format!("not a book item: {error}")))?;
    let updated_by = item.updated_by.clone();
    let deleted_by = item.deleted_by.clone();
    Ok(StoredBook {
        book: Book::from(item),
        updated_by,
        deleted_by,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn book(genre: Option<&str>) -> Book {
        Book {
            id: BookId::generate(),
            title: "Dune".into(),
            author: "Frank Herbert".into(),
            genre: genre.map(str::to_owned),
            version: 2,
            created_at: "2026-01-01T00:00:00Z".into(),
            updated_at: "2026-01-02T00:00:00Z".into(),
        }
    }

    #[test]
    fn round_trips_through_an_item() {
        for book in [book(Some("SF")), book(None)] {
            let by = Actor::anonymous();
            let item = to_item(&book, &by, ShelfShards::ONE).unwrap();
            assert_eq!(item["pk"], AttributeValue::S(format!("BOOK#{}", book.id)));
            assert_eq!(item["version"], AttributeValue::N("2".into()));
            assert_eq!(item["shelf"], AttributeValue::S("books".into()));
            assert_eq!(item.contains_key("genre"), book.genre.is_some());
            assert_eq!(
                stored_book_from_item(item.clone()).unwrap().updated_by,
                Some(by)
            );
            assert_eq!(book_from_item(item).unwrap(), book);
        }
    }

    #[test]
    fn title_keys_sort_as_a_catalogue_then_by_exact_title_then_by_id() {
        let first = BookId::generate();
        let second = BookId::generate();
        let mut keys = vec![
            title_key("b", &first),
            title_key("Éclair", &first),
            title_key("A b", &first),
            title_key("a", &second),
            title_key("Zebra", &first),
            title_key("A", &second),
            title_key("A", &first),
            title_key("Ångström", &first),
        ];
        keys.sort();
        assert_eq!(
            keys,
            [
                title_key("A", &first),
                title_key("A", &second),
                title_key("a", &second),
                title_key("A b", &first),
                title_key("Ångström", &first),
                title_key("b", &first),
                title_key("Éclair", &first),
                title_key("Zebra", &first),
            ]
        );
    }

    #[test]
    fn a_searched_prefix_starts_every_matching_key() {
        let id = BookId::generate();
        let key = title_key("Éclair de lune", &id);
        assert!(key.starts_with(title_key_prefix(&fold("ÉCL"))));
        assert!(key.starts_with(title_key_prefix(&fold("eclair de"))));
        assert!(!key.starts_with(title_key_prefix(&fold("ecla de"))));
    }

    #[test]
    fn title_keys_fit_an_index_key() {
        let id = BookId::generate();
        for title in [
            "Ǆ".repeat(250),
            "\u{FDFA}".repeat(250),
            "語".repeat(250),
            "a".repeat(250),
        ] {
            let key = title_key(&title, &id);
            assert!(key.len() <= 1024, "{}", key.len());
            assert!(key.ends_with(id.as_str()));
            assert_eq!(key.matches('\u{1}').count(), 2);
        }
        let key = title_key(&"a".repeat(250), &id);
        assert_eq!(key, format!("{0}\u{1}{0}\u{1}{id}", "a".repeat(250)));
    }
}
