//! Turning a client's JSON object into valid book input, gathering every field
//! error at once.

use super::{Author, BookId, FieldError, Genre, Title};
use serde_json::{Map, Value};

/// The writable fields of a book, all valid: what POST creates and PUT replaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookFields {
    /// The title.
    pub title: Title,
    /// The author.
    pub author: Author,
    /// The genre, if the book has one.
    pub genre: Option<Genre>,
}

/// What a write changes; `None` leaves a field as it is. A PUT changes all
/// three, a PATCH those it names (`genre: Some(None)` removes the genre).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BookChanges {
    /// A new title, if the write sets one.
    pub title: Option<Title>,
    /// A new author, if the write sets one.
    pub author: Option<Author>,
    /// A new genre or its removal, if the write touches the genre.
    pub genre: Option<Option<Genre>>,
}

impl From<BookFields> for BookChanges {
    fn from(fields: BookFields) -> Self {
        Self {
            title: Some(fields.title),
            author: Some(fields.author),
            genre: Some(fields.genre),
        }
    }
}

/// A PUT body: the new fields plus the parts of a book representation a client
/// may echo back. `version`, when sent, is a precondition like `If-Match`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplaceRequest {
    /// The replacement fields.
    pub fields: BookFields,
    /// The version the client last saw, if it sent one.
    pub version: Option<u64>,
}

/// One field as a client sent it, whatever the wire format: a JSON member
/// (absent, `null`, a string, or another JSON type) or a query parameter
/// (absent, or text; the tutorial's empty `genre=` means [`RawField::Null`]).
/// Every interface turns its input into these, so one set of rules (and one
/// [`FieldError`] list) decides what is valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawField<'a> {
    /// Not sent.
    Absent,
    /// Sent as "no value" (JSON `null`).
    Null,
    /// Sent as text.
    Text(&'a str),
    /// Sent, but neither text nor null (a JSON number, array, …).
    NotText,
}

impl<'a> RawField<'a> {
    /// Member `field` of a JSON object.
    pub fn of_json(body: &'a Map<String, Value>, field: &str) -> Self {
        match body.get(field) {
            None => Self::Absent,
            Some(Value::Null) => Self::Null,
            Some(Value::String(text)) => Self::Text(text),
            Some(_) => Self::NotText,
        }
    }
}

/// The three writable fields of a book, as sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawBook<'a> {
    /// The `title` as sent.
    pub title: RawField<'a>,
    /// The `author` as sent.
    pub author: RawField<'a>,
    /// The `genre` as sent.
    pub genre: RawField<'a>,
}

impl<'a> RawBook<'a> {
    /// The fields of a JSON object.
    pub fn of_json(body: &'a Map<String, Value>) -> Self {
        Self {
            title: RawField::of_json(body, Title::FIELD),
            author: RawField::of_json(body, Author::FIELD),
            genre: RawField::of_json(body, Genre::FIELD),
        }
    }

    /// A whole book: `title` and `author` required, `genre` optional (absent or
    /// null is none). Every field error is reported at once.
    pub fn into_fields(self) -> Result<BookFields, Vec<FieldError>> {
        let mut errors = FieldErrors::default();
        let fields = self.fields(&mut errors);
        errors.into_result(fields)
    }

    /// What a partial update changes: absent fields stay as they are, a null
    /// `genre` removes it, a null `title` or `author` is refused.
    pub fn into_changes(self) -> Result<BookChanges, Vec<FieldError>> {
        let mut errors = FieldErrors::default();
        let changes = self.changes(&mut errors);
        errors.into_result(Some(changes))
    }

    fn fields(self, errors: &mut FieldErrors) -> Option<BookFields> {
        let title = required_text(
            self.title,
            Title::FIELD,
            Title::parse,
            Absent::Refused,
            errors,
        );
        let author = required_text(
            self.author,
            Author::FIELD,
            Author::parse,
            Absent::Refused,
            errors,
        );
        let genre = match self.genre {
            RawField::Absent => Some(None),
            raw => optional_text(raw, Genre::FIELD, Genre::parse, errors),
        };
        Some(BookFields {
            title: title?,
            author: author?,
            genre: genre?,
        })
    }

    fn changes(self, errors: &mut FieldErrors) -> BookChanges {
        BookChanges {
            title: required_text(
                self.title,
                Title::FIELD,
                Title::parse,
                Absent::Unchanged,
                errors,
            ),
            author: required_text(
                self.author,
                Author::FIELD,
                Author::parse,
                Absent::Unchanged,
                errors,
            ),
            genre: match self.genre {
                RawField::Absent => None,
                raw => optional_text(raw, Genre::FIELD, Genre::parse, errors),
            },
        }
    }
}

/// Parses a POST body: `title` and `author` required, `genre` optional or null,
/// nothing else.
pub fn parse_create(body: &Map<String, Value>) -> Result<BookFields, Vec<FieldError>> {
    let mut errors = FieldErrors::default();
    reject_unknown(
        body,
        &[Title::FIELD, Author::FIELD, Genre::FIELD],
        &mut errors,
    );
    let fields = RawBook::of_json(body).fields(&mut errors);
    errors.into_result(fields)
}

/// Parses a PUT body: like POST, and it may be the representation a GET
/// returned: `id` must then equal `path_id`, `version` becomes a precondition,
/// and `createdAt`/`updatedAt` are ignored. A missing genre means no genre.
pub fn parse_replace(
    body: &Map<String, Value>,
    path_id: &BookId,
) -> Result<ReplaceRequest, Vec<FieldError>> {
    let mut errors = FieldErrors::default();
    reject_unknown(
        body,
        &[
            Title::FIELD,
            Author::FIELD,
            Genre::FIELD,
            "id",
            "version",
            "createdAt",
            "updatedAt",
        ],
        &mut errors,
    );
    let fields = RawBook::of_json(body).fields(&mut errors);
    match body.get("id") {
        None => {}
        Some(Value::String(id)) if id == path_id.as_str() => {}
        Some(Value::String(_)) => errors.push("id", "must equal the id in the URL"),
        Some(_) => errors.push("id", "must be a string"),
    }
    let version = match body.get("version") {
        None => None,
        Some(value) => match value.as_u64().filter(|version| *version >= 1) {
            Some(version) => Some(version),
            None => {
                errors.push("version", "must be a positive integer");
                None
            }
        },
    };
    errors
        .into_result(fields)
        .map(|fields| ReplaceRequest { fields, version })
}

/// Parses a JSON Merge Patch (RFC 7396) body: fields present replace, `"genre":
/// null` removes the genre; `title` and `author` cannot be removed.
pub fn parse_patch(body: &Map<String, Value>) -> Result<BookChanges, Vec<FieldError>> {
    let mut errors = FieldErrors::default();
    for field in body.keys() {
        match field.as_str() {
            Title::FIELD | Author::FIELD | Genre::FIELD => {}
            "id" | "version" | "createdAt" | "updatedAt" => {
                errors.push(field, "is set by the server and cannot be patched")
            }
            _ => errors.push(field, "is not a field of a book"),
        }
    }
    let changes = RawBook::of_json(body).changes(&mut errors);
    errors.into_result(Some(changes))
}

/// Field errors in the order they were found.
#[derive(Default)]
struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    fn push(&mut self, field: &str, message: &str) {
        self.0.push(FieldError::new(field, message));
    }

    fn into_result<T>(self, value: Option<T>) -> Result<T, Vec<FieldError>> {
        match value {
            Some(value) if self.0.is_empty() => Ok(value),
            _ => Err(self.0),
        }
    }
}

fn reject_unknown(body: &Map<String, Value>, known: &[&str], errors: &mut FieldErrors) {
    for field in body.keys().filter(|field| !known.contains(&field.as_str())) {
        errors.push(field, "is not a field of a book");
    }
}

/// What a missing `title` or `author` means: refused in a full book (POST,
/// PUT), "unchanged" in a patch, where only `null` (removal) is refused.
#[derive(Clone, Copy)]
enum Absent {
    Refused,
    Unchanged,
}

fn required_text<T>(
    raw: RawField<'_>,
    field: &str,
    parse: fn(&str) -> Result<T, FieldError>,
    absent: Absent,
    errors: &mut FieldErrors,
) -> Option<T> {
    match (raw, absent) {
        (RawField::Absent, Absent::Unchanged) => None,
        (RawField::Absent | RawField::Null, Absent::Refused) => {
            errors.push(field, "is required");
            None
        }
        (RawField::Null, Absent::Unchanged) => {
            errors.push(field, "cannot be removed: a book always has one");
            None
        }
        (raw, _) => text(raw, field, parse, errors),
    }
}

/// A nullable text field: `Some(None)` for null, `None` when it is invalid.
fn optional_text<T>(
    raw: RawField<'_>,
    field: &str,
    parse: fn(&str) -> Result<T, FieldError>,
    errors: &mut FieldErrors,
) -> Option<Option<T>> {
    match raw {
        RawField::Null => Some(None),
        raw => text(raw, field, parse, errors).map(Some),
    }
}

fn text<T>(
    raw: RawField<'_>,
    field: &str,
    parse: fn(&str) -> Result<T, FieldError>,
    errors: &mut FieldErrors,
) -> Option<T> {
    let RawField::Text(raw) = raw else {
        errors.push(field, "must be a string");
        return None;
    };
    parse(raw).map_err(|error| errors.0.push(error)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            other => panic!("not an object: {other}"),
        }
    }

    fn fields_of(errors: &[FieldError]) -> Vec<&str> {
        errors.iter().map(|error| error.field.as_str()).collect()
    }

    #[test]
    fn create_accepts_a_book_with_and_without_genre() {
        let fields = parse_create(&object(
            json!({"title": " Dune ", "author": "Frank Herbert"}),
        ))
        .unwrap();
        assert_eq!(fields.title.as_str(), "Dune");
        assert_eq!(fields.genre, None);
        let fields = parse_create(&object(
            json!({"title": "Dune", "author": "F", "genre": "SF"}),
        ))
        .unwrap();
        assert_eq!(fields.genre.unwrap().as_str(), "SF");
        let fields = parse_create(&object(
            json!({"title": "Dune", "author": "F", "genre": null}),
        ))
        .unwrap();
        assert_eq!(fields.genre, None);
    }

    #[test]
    fn create_reports_every_field_error_at_once() {
        let errors = parse_create(&object(
            json!({"title": 42, "genre": "", "isbn": "x", "author": null}),
        ))
        .unwrap_err();
        let mut fields = fields_of(&errors);
        fields.sort_unstable();
        assert_eq!(fields, ["author", "genre", "isbn", "title"]);
    }

    #[test]
    fn create_refuses_server_fields() {
        let errors =
            parse_create(&object(json!({"title": "T", "author": "A", "id": "x"}))).unwrap_err();
        assert_eq!(fields_of(&errors), ["id"]);
    }

    #[test]
    fn replace_accepts_a_get_representation() {
        let id = BookId::generate();
        let request = parse_replace(
            &object(json!({
                "id": id.as_str(), "title": "T", "author": "A", "genre": null,
                "version": 3, "createdAt": "whatever", "updatedAt": 17
            })),
            &id,
        )
        .unwrap();
        assert_eq!(request.version, Some(3));
        assert_eq!(request.fields.title.as_str(), "T");
    }

    #[test]
    fn replace_refuses_another_id_and_a_bad_version() {
        let id = BookId::generate();
        let errors = parse_replace(
            &object(json!({"id": "other", "title": "T", "author": "A", "version": 0})),
            &id,
        )
        .unwrap_err();
        assert_eq!(fields_of(&errors), ["id", "version"]);
        let errors = parse_replace(
            &object(json!({"id": 7, "title": "T", "author": "A", "version": "3"})),
            &id,
        )
        .unwrap_err();
        assert_eq!(fields_of(&errors), ["id", "version"]);
    }

    #[test]
    fn replace_without_genre_clears_it() {
        let id = BookId::generate();
        let request = parse_replace(&object(json!({"title": "T", "author": "A"})), &id).unwrap();
        assert_eq!(BookChanges::from(request.fields).genre, Some(None));
    }

    #[test]
    fn patch_sets_named_fields_and_removes_genre_on_null() {
        let changes = parse_patch(&object(json!({"title": "New", "genre": null}))).unwrap();
        assert_eq!(changes.title.unwrap().as_str(), "New");
        assert_eq!(changes.author, None);
        assert_eq!(changes.genre, Some(None));
        assert_eq!(
            parse_patch(&object(json!({}))).unwrap(),
            BookChanges::default()
        );
    }

    #[test]
    fn patch_cannot_remove_title_or_author() {
        let errors = parse_patch(&object(json!({"title": null, "author": null}))).unwrap_err();
        assert_eq!(fields_of(&errors), ["title", "author"]);
    }

    #[test]
    fn patch_refuses_read_only_and_unknown_fields() {
        let errors = parse_patch(&object(json!({"version": 2, "colour": "red"}))).unwrap_err();
        assert_eq!(fields_of(&errors), ["colour", "version"]);
    }
}
