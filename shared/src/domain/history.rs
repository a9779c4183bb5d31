//! A book's change history: one entry for every create, change and delete,
//! derived from the images of the book before and after the write.

use crate::domain::clock::later_of;
use crate::domain::{Actor, Book};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What happened to the book.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    /// The book was stored for the first time.
    Created,
    /// A PUT or PATCH changed it.
    Updated,
    /// It was deleted.
    Deleted,
}

/// One field's value before and after an update (`null` for no genre).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    /// The value before.
    pub from: Option<String>,
    /// The value after.
    pub to: Option<String>,
}

/// One entry of `GET /books/{id}/history`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// The version the event concerns: the new version of a create or update,
    /// the last version of a deleted book.
    pub version: u64,
    /// What happened.
    pub event: ChangeKind,
    /// When it happened, RFC 3339 UTC.
    pub at: String,
    /// The book after the event; `null` after a delete.
    pub book: Option<Book>,
    /// For updates, each field that changed; empty for creates and deletes.
    pub changes: BTreeMap<String, FieldChange>,
    /// Who made the change (`null` for writes made before sign-in existed).
    #[serde(default)]
    pub by: Option<Actor>,
}

impl HistoryEntry {
    /// The entry for one write, from the book before and after it. `deleted_at`
    /// dates a delete (the book has no timestamp of its own then; a stream's
    /// approximate time can be rounded down, so never before the book's last
    /// `updatedAt`); creates and updates are dated by the book's `updatedAt`.
    /// `by` is who made it. `None` when neither image exists, or when the
    /// version did not change (the mark a delete leaves on the book before it
    /// removes it, which is not a change of its own).
    pub fn of_write(
        before: Option<&Book>,
        after: Option<&Book>,
        deleted_at: &str,
        by: Option<Actor>,
    ) -> Option<Self> {
        let (event, version) = match (before, after) {
            (None, Some(after)) => (ChangeKind::Created, after.version),
            (Some(before), Some(after)) if before.version == after.version => return None,
            (Some(_), Some(after)) => (ChangeKind::Updated, after.version),
            (Some(before), None) => (ChangeKind::Deleted, before.version),
            (None, None) => return None,
        };
        let changes = match (event, before, after) {
            (ChangeKind::Updated, Some(before), Some(after)) => field_changes(before, after),
            _ => BTreeMap::new(),
        };
        Some(Self {
            version,
            event,
            at: match (before, after) {
                (_, Some(after)) => after.updated_at.clone(),
                (Some(before), None) => later_of(deleted_at, &before.updated_at).to_owned(),
                (None, None) => deleted_at.to_owned(),
            },
            book: after.cloned(),
            changes,
            by,
        })
    }
}

fn field_changes(before: &Book, after: &Book) -> BTreeMap<String, FieldChange> {
    let fields = [
        ("title", Some(&before.title), Some(&after.title)),
        ("author", Some(&before.author), Some(&after.author)),
        ("genre", before.genre.as_ref(), after.genre.as_ref()),
    ];
    fields
        .into_iter()
        .filter(|(_, from, to)| from != to)
        .map(|(field, from, to)| {
            let change = FieldChange {
                from: from.cloned(),
                to: to.cloned(),
            };
            (field.to_owned(), change)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::BookId;
    use serde_json::json;

    fn book(version: u64, title: &str, genre: Option<&str>) -> Book {
        Book {
            id: BookId::parse("0192f0c1-7a9e-7b3c-8d4e-5f6a7b8c9d0e").unwrap(),
            title: title.into(),
            author: "Frank Herbert".into(),
            genre: genre.map(str::to_owned),
            version,
            created_at: "2026-01-01T00:00:00Z".into(),
            updated_at: format!("2026-01-0{version}T00:00:00Z"),
        }
    }

    #[test]
    fn a_create_has_the_new_book_and_no_changes() {
        let after = book(1, "Dune", None);
        let by = Actor {
            sub: "s-1".into(),
            name: "alice".into(),
        };
        let entry = HistoryEntry::of_write(None, Some(&after), "unused", Some(by.clone())).unwrap();
        assert_eq!(entry.by, Some(by));
        assert_eq!(
            serde_json::to_value(&entry).unwrap()["by"],
            json!({"sub": "s-1", "name": "alice"})
        );
        let entry = HistoryEntry::of_write(None, Some(&after), "unused", None).unwrap();
        assert_eq!(entry.event, ChangeKind::Created);
        assert_eq!(entry.version, 1);
        assert_eq!(entry.at, "2026-01-01T00:00:00Z");
        assert_eq!(entry.book, Some(after));
        assert!(entry.changes.is_empty());
    }

    #[test]
    fn an_update_lists_each_changed_field() {
        let before = book(1, "Dune", Some("SF"));
        let after = book(2, "Dune Messiah", None);
        let entry = HistoryEntry::of_write(Some(&before), Some(&after), "unused", None).unwrap();
        assert_eq!(entry.event, ChangeKind::Updated);
        assert_eq!(entry.version, 2);
        assert_eq!(
            serde_json::to_value(&entry.changes).unwrap(),
            json!({
                "genre": {"from": "SF", "to": null},
                "title": {"from": "Dune", "to": "Dune Messiah"}
            })
        );
    }

    #[test]
    fn a_delete_keeps_the_last_version_and_no_book() {
        let before = book(3, "Dune", None);
        let entry =
            HistoryEntry::of_write(Some(&before), None, "2026-02-01T00:00:00Z", None).unwrap();
        assert_eq!(entry.event, ChangeKind::Deleted);
        assert_eq!(entry.version, 3);
        assert_eq!(entry.at, "2026-02-01T00:00:00Z");
        let rounded_down =
            HistoryEntry::of_write(Some(&before), None, "2026-01-02T00:00:00Z", None).unwrap();
        assert_eq!(
            rounded_down.at, before.updated_at,
            "never before the last write"
        );
        assert_eq!(entry.book, None);
        assert_eq!(
            serde_json::to_value(&entry).unwrap()["book"],
            serde_json::Value::Null
        );
    }

    #[test]
    fn nothing_before_or_after_is_no_entry() {
        assert_eq!(HistoryEntry::of_write(None, None, "x", None), None);
        let marked = book(2, "Dune", None);
        assert_eq!(
            HistoryEntry::of_write(Some(&marked), Some(&marked), "x", None),
            None,
            "a delete's mark is no change"
        );
    }
}
