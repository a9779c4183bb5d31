//! The three text fields a client writes, each a type that holds only valid text.

use serde::Serialize;

/// The most characters (Unicode scalar values, not bytes) a title, author or
/// genre may have after trimming: the tutorial's `String(250)` columns.
pub const MAX_FIELD_CHARS: usize = 250;

/// One reason one field of a request was refused; the 422 answer lists them all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The JSON field (or query parameter) the message is about.
    pub field: String,
    /// What is wrong, in words a client developer can act on.
    pub message: String,
}

impl FieldError {
    /// A refusal of `field` for the reason `message`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Normalises `raw` by the catalogue's text rules ([`super::text`]) and checks
/// its length: 1 to [`MAX_FIELD_CHARS`] characters once normalised and trimmed.
fn parse_text(field: &str, raw: &str) -> Result<String, FieldError> {
    let text =
        super::text::normalize(raw).map_err(|error| FieldError::new(field, error.message()))?;
    let length = text.chars().count();
    if length > MAX_FIELD_CHARS {
        return Err(FieldError::new(
            field,
            format!("must be at most {MAX_FIELD_CHARS} characters, got {length}"),
        ));
    }
    Ok(text)
}

macro_rules! text_field {
    ($(#[$doc:meta])* $name:ident, $field:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $name(String);

        impl $name {
            /// The JSON field name this type is parsed from.
            pub const FIELD: &'static str = $field;

            /// Parses client text: NFC, trimmed of invisible ends, something visible,
            /// at most 250 characters ([`super::text`]).
            pub fn parse(raw: &str) -> Result<Self, FieldError> {
                parse_text(Self::FIELD, raw).map(Self)
            }

            /// The trimmed text.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The trimmed text, owned.
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

text_field!(
    /// A book's title: required, shown and sorted on (as a catalogue files: `super::collation`).
    Title,
    "title"
);
text_field!(
    /// A book's author, matched exactly by the `author` list filter.
    Author,
    "author"
);
text_field!(
    /// A book's genre: optional, matched exactly by the `genre` list filter.
    Genre,
    "genre"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_surrounding_whitespace() {
        assert_eq!(Title::parse("  Dune \n").unwrap().as_str(), "Dune");
    }

    #[test]
    fn refuses_empty_and_blank() {
        for raw in ["", "   ", "\t\n"] {
            let err = Author::parse(raw).unwrap_err();
            assert_eq!(err.field, "author");
            assert!(err.message.contains("empty"), "{err:?}");
        }
    }

    #[test]
    fn counts_characters_not_bytes() {
        let exactly = "é".repeat(MAX_FIELD_CHARS);
        assert!(exactly.len() > MAX_FIELD_CHARS);
        assert!(Title::parse(&exactly).is_ok());
        let over = "é".repeat(MAX_FIELD_CHARS + 1);
        let err = Title::parse(&over).unwrap_err();
        assert!(err.message.contains("251"), "{err:?}");
    }

    #[test]
    fn length_is_measured_after_trimming() {
        let padded = format!("  {}  ", "a".repeat(MAX_FIELD_CHARS));
        assert_eq!(
            Genre::parse(&padded).unwrap().as_str().len(),
            MAX_FIELD_CHARS
        );
    }

    #[test]
    fn refuses_control_characters_inside() {
        let err = Title::parse("Du\u{1}ne").unwrap_err();
        assert!(err.message.contains("control"), "{err:?}");
        assert!(Title::parse("Dune\tMessiah").is_err());
    }

    #[test]
    fn accepts_any_other_unicode() {
        for raw in ["Война и мир", "吾輩は猫である", "🦀 Rust", "Ελληνικά"]
        {
            assert_eq!(Title::parse(raw).unwrap().as_str(), raw);
        }
    }
}
