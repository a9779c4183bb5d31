//! Listing books: always a Query on one of the sparse indexes, never a Scan, so
//! a page costs what the page holds, not what the table holds.

use super::item::{
    AUTHOR_GENRE, BOOK_PK_PREFIX, BOOK_SK, PK, SHELF, SK, TITLE_KEY, author_genre, book_from_item,
    book_pk,
};
use super::{BookStore, StoreError, classify};
use crate::domain::Book;
use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;

/// Queries one page may send at most: a Query stops at 1 MB, so a page of
/// large books may take a few; past this a shorter page comes back with a
/// cursor (never an empty one: a page of 100 books is at most about 300 KB).
const MAX_QUERIES_PER_PAGE: usize = 8;

/// Where a page ended, in the order of the index: the last book's title sort
/// key and id. The HTTP layer signs it into a cursor; the store only resumes
/// from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListPosition {
    /// The book's title sort key ([`super::title_key`]).
    pub title_key: String,
    /// The book's id.
    pub id: String,
}

/// One page request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    /// Only books by exactly this author.
    pub author: Option<String>,
    /// Only books of exactly this genre.
    pub genre: Option<String>,
    /// Page size, 1 to 100.
    pub limit: usize,
    /// Start after this book (from a cursor).
    pub after: Option<ListPosition>,
}

/// One page of books in catalogue order: folded title, exact title, id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// The books of this page.
    pub books: Vec<Book>,
    /// Where the next page starts, if there may be one.
    pub next: Option<ListPosition>,
}

/// Which index answers a query, and how.
struct IndexPlan {
    index: &'static str,
    partition_attribute: &'static str,
    partition_value: String,
}

impl IndexPlan {
    /// Every filter is a key condition on its own sparse index: each page is
    /// one Query that holds only matches.
    fn for_query(query: &ListQuery) -> Self {
        match (query.author.as_deref(), query.genre.as_deref()) {
            (Some(author), Some(genre)) => Self {
                index: "byAuthorGenre",
                partition_attribute: AUTHOR_GENRE,
                partition_value: author_genre(author, genre),
            },
            (Some(author), None) => Self {
                index: "byAuthor",
                partition_attribute: "author",
                partition_value: author.to_owned(),
            },
            (None, Some(genre)) => Self {
                index: "byGenre",
                partition_attribute: "genre",
                partition_value: genre.to_owned(),
            },
            (None, None) => Self {
                index: "byTitle",
                partition_attribute: "shelf",
                partition_value: SHELF.to_owned(),
            },
        }
    }

    /// The `ExclusiveStartKey` for resuming after `key`: the table key plus
    /// this index's key.
    fn start_key(&self, key: &ListPosition) -> HashMap<String, AttributeValue> {
        HashMap::from([
            (PK.to_owned(), AttributeValue::S(book_pk(&key.id))),
            (SK.to_owned(), AttributeValue::S(BOOK_SK.to_owned())),
            (
                TITLE_KEY.to_owned(),
                AttributeValue::S(key.title_key.clone()),
            ),
            (
                self.partition_attribute.to_owned(),
                AttributeValue::S(self.partition_value.clone()),
            ),
        ])
    }
}

impl BookStore {
    /// One page of books matching `query`.
    #[tracing::instrument(skip(self))]
    pub async fn list(&self, query: &ListQuery) -> Result<Page, StoreError> {
        let plan = IndexPlan::for_query(query);
        // One more than the page, to know without another request whether a
        // next page exists.
        let wanted = query.limit + 1;
        let mut books = Vec::with_capacity(wanted);
        let mut start = query.after.as_ref().map(|key| plan.start_key(key));
        for _ in 0..MAX_QUERIES_PER_PAGE {
            let request = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(plan.index)
                .key_condition_expression("#partition = :partition")
                .expression_attribute_names("#partition", plan.partition_attribute)
                .expression_attribute_values(
                    ":partition",
                    AttributeValue::S(plan.partition_value.clone()),
                )
                .limit(i32::try_from(wanted - books.len()).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start.take());
            let output = request.send().await.map_err(classify)?;
            for item in output.items.unwrap_or_default() {
                books.push(book_from_item(item)?);
            }
            start = output.last_evaluated_key;
            if books.len() >= wanted || start.is_none() {
                break;
            }
        }
        let more = books.len() > query.limit || start.is_some();
        books.truncate(query.limit);
        let next = if !more {
            None
        } else if let Some(last) = books.last() {
            Some(position_of(last))
        } else {
            // The capped queries returned nothing yet DynamoDB has more
            // (its 1 MB page limit): resume where it stopped.
            start.as_ref().and_then(key_from_start)
        };
        Ok(Page { books, next })
    }
}

fn position_of(book: &Book) -> ListPosition {
    ListPosition {
        title_key: super::item::title_key(&book.title, &book.id),
        id: book.id.to_string(),
    }
}

fn key_from_start(start: &HashMap<String, AttributeValue>) -> Option<ListPosition> {
    let title_key = start.get(TITLE_KEY)?.as_s().ok()?.clone();
    let pk = start.get(PK)?.as_s().ok()?;
    let id = pk.strip_prefix(BOOK_PK_PREFIX)?.to_owned();
    Some(ListPosition { title_key, id })
}
