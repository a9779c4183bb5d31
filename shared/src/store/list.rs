//! Listing books: always Queries on the sparse indexes, never a Scan, so a
//! page costs what it holds, not what the table holds.
//!
//! A listing reads one or more partitions of one index, each sorted by
//! `titleKey`: the shelf's N shards ([`ShelfShards`]) for the whole shelf or a
//! title search, or the one partition of an author, a genre, or both. A title
//! search is a key condition on the same sort key (the range of keys that
//! start with the folded text), so it combines with every filter and pages
//! like any listing. A page
//! is a k-way merge of those partitions' Queries (one partition: the merge
//! of one), resumed strictly after the last `titleKey` it returned: a
//! position that is every partition's, since each holds only its own books.
//!
//! Reads stay bounded: the first round asks every partition for its share
//! of the page and a little more ([`first_batch`]), and a partition that runs
//! out before the page is decided is asked once more, for everything the page
//! may still need. A page of L books from N partitions therefore sends at most
//! 2N Queries and reads at most about 3L + 3N items.

use super::item::{TITLE_KEY, keyed_book_from_item};
use super::shelf::ShelfShards;
use super::{BookStore, StoreError, classify};
use crate::domain::Book;
use crate::domain::collation::ABOVE_EVERY_FOLD;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnConsumedCapacity};
use std::collections::{HashMap, VecDeque};

/// Where a page ended, in the order of the index: the last book's
/// `titleKey`. The HTTP layer signs it into a cursor; the store only resumes
/// strictly after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListPosition {
    /// The last listed book's title sort key ([`super::title_key`]).
    pub title_key: String,
}

/// One page request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    /// Only books by exactly this author.
    pub author: Option<String>,
    /// Only books of exactly this genre.
    pub genre: Option<String>,
    /// Only books whose title's fold starts with this folded text (a title
    /// search: [`crate::domain::collation::TitlePrefix::folded`]).
    pub title_prefix: Option<String>,
    /// Page size, 1 to 100.
    pub limit: usize,
    /// Start after this book (from a cursor).
    pub after: Option<ListPosition>,
}

/// One page of books in catalogue order: folded title, exact title, id.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// The books of this page.
    pub books: Vec<Book>,
    /// Where the next page starts, if there is one.
    pub next: Option<ListPosition>,
    /// What reading it cost.
    pub cost: PageCost,
}

/// What one page cost DynamoDB: for the logs and the benchmark.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PageCost {
    /// Query requests sent.
    pub queries: u32,
    /// Read capacity units they consumed, as DynamoDB reported them.
    pub read_units: f64,
    /// Items they returned (the page's and those read past it).
    pub items_read: u32,
}

/// Which index answers a query, and which of its partitions.
struct IndexPlan {
    index: &'static str,
    partition_attribute: &'static str,
    partitions: Vec<String>,
    /// The start every listed key has (a title search), if any.
    prefix: Option<String>,
}

impl IndexPlan {
    /// Every filter is a key condition on its own sparse index: each
    /// partition read holds only matches.
    fn for_query(query: &ListQuery, shelf: ShelfShards) -> Self {
        let (index, partition_attribute, partitions) =
            match (query.author.as_deref(), query.genre.as_deref()) {
                (Some(author), Some(genre)) => (
                    "byAuthorGenre",
                    super::item::AUTHOR_GENRE,
                    vec![super::item::author_genre(author, genre)],
                ),
                (Some(author), None) => ("byAuthor", super::item::AUTHOR, vec![author.to_owned()]),
                (None, Some(genre)) => ("byGenre", super::item::GENRE, vec![genre.to_owned()]),
                (None, None) => ("byTitle", super::item::SHELF, shelf.keys().collect()),
            };
        Self {
            index,
            partition_attribute,
            partitions,
            prefix: query
                .title_prefix
                .as_deref()
                .map(|folded| super::item::title_key_prefix(folded).to_owned()),
        }
    }
}

/// Which sort keys of a partition a Query reads.
#[derive(Debug, PartialEq, Eq)]
enum KeyRange {
    /// Every key.
    All,
    /// Every key after this one.
    After(String),
    /// Every key from the first to the second, both included.
    Between(String, String),
    /// None (a position past the end of a title search's range).
    Empty,
}

impl KeyRange {
    /// The keys after `after` (if any) that start with `prefix` (if any).
    /// No key starts with another key (each ends with its id), so the keys
    /// after `after` are those from `after` + U+0001 on; and every key that
    /// starts with `prefix` lies from `prefix` to `prefix` + U+10FFFF, a code
    /// point no fold holds ([`ABOVE_EVERY_FOLD`]).
    fn of(after: Option<&ListPosition>, prefix: Option<&str>) -> Self {
        let Some(prefix) = prefix else {
            return match after {
                None => Self::All,
                Some(after) => Self::After(after.title_key.clone()),
            };
        };
        let high = format!("{prefix}{ABOVE_EVERY_FOLD}");
        let low = match after {
            None => prefix.to_owned(),
            Some(after) => format!("{}\u{1}", after.title_key).max(prefix.to_owned()),
        };
        if low > high {
            Self::Empty
        } else {
            Self::Between(low, high)
        }
    }
}

/// The Limit of a partition's first Query: its share of the page (the
/// page's books and the one past it), and two more, since shares vary.
fn first_batch(wanted: usize, partitions: usize) -> usize {
    if partitions <= 1 {
        wanted
    } else {
        wanted.div_ceil(partitions).saturating_add(2).min(wanted)
    }
}

/// One partition being merged: what it returned and has not been merged yet,
/// and where its Query continues.
struct Run {
    partition: String,
    buffered: VecDeque<(String, Book)>,
    /// The `LastEvaluatedKey` to continue from; `None` before the first Query.
    resume: Option<HashMap<String, AttributeValue>>,
    started: bool,
    exhausted: bool,
}

impl Run {
    fn new(partition: String) -> Self {
        Self {
            partition,
            buffered: VecDeque::new(),
            resume: None,
            started: false,
            exhausted: false,
        }
    }

    /// Whether the merge must read more of this partition before it can
    /// choose the next book.
    fn needs_reading(&self) -> bool {
        self.buffered.is_empty() && !self.exhausted
    }
}

impl BookStore {
    /// One page of books matching `query`.
    #[tracing::instrument(skip(self))]
    pub async fn list(&self, query: &ListQuery) -> Result<Page, StoreError> {
        let plan = IndexPlan::for_query(query, self.shelf);
        // One more than the page, to know without another request whether a
        // next page exists.
        let wanted = query.limit + 1;
        let first = first_batch(wanted, plan.partitions.len());
        let mut runs: Vec<Run> = plan.partitions.iter().cloned().map(Run::new).collect();
        let mut merged: Vec<(String, Book)> = Vec::with_capacity(wanted);
        let mut cost = PageCost::default();
        // Each partition is read once for its share, then at most once more
        // for all the page may still need (see the module documentation).
        let max_queries = 2 * runs.len() + 2;
        while merged.len() < wanted {
            let needy: Vec<usize> = (0..runs.len())
                .filter(|&i| runs[i].needs_reading())
                .collect();
            if !needy.is_empty() {
                if cost.queries as usize + needy.len() > max_queries {
                    return Err(StoreError::Unavailable(format!(
                        "a page of {} books took more than {max_queries} Queries",
                        query.limit
                    )));
                }
                let remaining = wanted - merged.len();
                let reads = needy.iter().map(|&i| {
                    let run = &runs[i];
                    let limit = if run.started { remaining } else { first };
                    self.read_partition(&plan, run, query.after.as_ref(), limit)
                });
                let results = futures_util::future::join_all(reads).await;
                for (&i, result) in needy.iter().zip(results) {
                    let read = result?;
                    cost.queries += 1;
                    cost.read_units += read.read_units;
                    cost.items_read += u32::try_from(read.books.len()).unwrap_or(u32::MAX);
                    let run = &mut runs[i];
                    run.started = true;
                    run.buffered.extend(read.books);
                    run.exhausted = read.resume.is_none();
                    run.resume = read.resume;
                }
                continue;
            }
            // Every partition not exhausted has a book waiting: the least of
            // them is the next book in the index's order.
            let next = runs
                .iter_mut()
                .filter(|run| !run.buffered.is_empty())
                .min_by(|a, b| a.buffered[0].0.cmp(&b.buffered[0].0));
            match next.and_then(|run| run.buffered.pop_front()) {
                Some(book) => merged.push(book),
                None => break,
            }
        }
        let more = merged.len() > query.limit;
        merged.truncate(query.limit);
        let next = if more {
            merged.last().map(|(key, _)| ListPosition {
                title_key: key.clone(),
            })
        } else {
            None
        };
        tracing::debug!(
            queries = cost.queries,
            read_units = cost.read_units,
            "page read"
        );
        Ok(Page {
            books: merged.into_iter().map(|(_, book)| book).collect(),
            next,
            cost,
        })
    }

    /// One Query of one partition: up to `limit` books after `after` (or
    /// where the partition's previous Query stopped).
    async fn read_partition(
        &self,
        plan: &IndexPlan,
        run: &Run,
        after: Option<&ListPosition>,
        limit: usize,
    ) -> Result<PartitionRead, StoreError> {
        let mut request = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(plan.index)
            .expression_attribute_names("#partition", plan.partition_attribute)
            .expression_attribute_values(":partition", AttributeValue::S(run.partition.clone()))
            .limit(i32::try_from(limit).unwrap_or(i32::MAX))
            .return_consumed_capacity(ReturnConsumedCapacity::Total)
            .set_exclusive_start_key(run.resume.clone());
        let range = KeyRange::of(after, plan.prefix.as_deref());
        request = match range {
            KeyRange::All => request.key_condition_expression("#partition = :partition"),
            KeyRange::After(after) => request
                .key_condition_expression("#partition = :partition AND #key > :after")
                .expression_attribute_names("#key", TITLE_KEY)
                .expression_attribute_values(":after", AttributeValue::S(after)),
            KeyRange::Between(low, high) => request
                .key_condition_expression("#partition = :partition AND #key BETWEEN :low AND :high")
                .expression_attribute_names("#key", TITLE_KEY)
                .expression_attribute_values(":low", AttributeValue::S(low))
                .expression_attribute_values(":high", AttributeValue::S(high)),
            KeyRange::Empty => {
                return Ok(PartitionRead {
                    books: Vec::new(),
                    resume: None,
                    read_units: 0.0,
                });
            }
        };
        let output = request.send().await.map_err(classify)?;
        let books = output
            .items
            .unwrap_or_default()
            .into_iter()
            .map(keyed_book_from_item)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(PartitionRead {
            books,
            resume: output.last_evaluated_key,
            read_units: output
                .consumed_capacity
                .and_then(|capacity| capacity.capacity_units)
                .unwrap_or_default(),
        })
    }
}

/// What one Query of one partition returned.
struct PartitionRead {
    books: Vec<(String, Book)>,
    resume: Option<HashMap<String, AttributeValue>>,
    read_units: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn after(key: &str) -> ListPosition {
        ListPosition {
            title_key: key.to_owned(),
        }
    }

    #[test]
    fn a_search_reads_the_keys_that_start_with_it_after_the_position() {
        assert_eq!(KeyRange::of(None, None), KeyRange::All);
        assert_eq!(
            KeyRange::of(Some(&after("dune\u{1}Dune\u{1}x")), None),
            KeyRange::After("dune\u{1}Dune\u{1}x".into())
        );
        assert_eq!(
            KeyRange::of(None, Some("ecl")),
            KeyRange::Between("ecl".into(), "ecl\u{10FFFF}".into())
        );
        assert_eq!(
            KeyRange::of(Some(&after("eclair\u{1}Éclair\u{1}x")), Some("ecl")),
            KeyRange::Between(
                "eclair\u{1}Éclair\u{1}x\u{1}".into(),
                "ecl\u{10FFFF}".into()
            )
        );
        assert_eq!(
            KeyRange::of(Some(&after("zebra\u{1}Zebra\u{1}x")), Some("ecl")),
            KeyRange::Empty
        );
    }

    #[test]
    fn the_first_round_asks_each_partition_for_its_share_and_two() {
        assert_eq!(first_batch(26, 1), 26);
        assert_eq!(first_batch(26, 4), 9);
        assert_eq!(first_batch(26, 16), 4);
        assert_eq!(first_batch(2, 16), 2);
        assert_eq!(first_batch(101, 64), 4);
    }
}
