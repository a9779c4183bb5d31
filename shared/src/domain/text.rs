//! What counts as text in a catalogue field: the rules every title, author and
//! genre (and every filter on them) passes through.
//!
//! - Unicode NFC: "Renée" typed precomposed or decomposed is one author.
//! - Trimmed of what cannot be seen at either end: white space, zero-width and
//!   other default-ignorable spacers (U+200B, U+2060, U+FEFF, U+00AD, U+3164,
//!   …) and the braille blank U+2800.
//! - Not blank: at least one character that shows. White space,
//!   default-ignorable code points, format characters and combining marks with
//!   nothing to combine with do not count.
//! - No control characters, no line or paragraph separators (U+2028, U+2029),
//!   and bidirectional embeddings, overrides and isolates only in balanced
//!   pairs, so a field can never reorder the text displayed after it.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Why text was refused: the message a client sees for the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextError {
    /// Nothing visible.
    Blank,
    /// A control character (C0, C1 or DEL).
    Control,
    /// U+2028 or U+2029.
    Separator,
    /// A bidi embedding, override or isolate left open, or a close with no open.
    UnbalancedBidi,
}

impl TextError {
    /// The message of the field error.
    pub fn message(self) -> &'static str {
        match self {
            Self::Blank => "must not be empty or blank (nothing visible)",
            Self::Control => "must not contain control characters",
            Self::Separator => "must not contain line or paragraph separators (U+2028, U+2029)",
            Self::UnbalancedBidi => {
                "must close every bidirectional embedding, override and isolate it opens"
            }
        }
    }
}

/// Default-ignorable code points (Unicode's `Default_Ignorable_Code_Point`):
/// rendered as nothing.
pub(crate) fn is_default_ignorable(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}'..='\u{1160}' | '\u{17B4}'..='\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}'
        | '\u{FFA0}' | '\u{FFF0}'..='\u{FFF8}' | '\u{1BCA0}'..='\u{1BCA3}'
        | '\u{1D173}'..='\u{1D17A}' | '\u{E0000}'..='\u{E0FFF}')
}

/// Characters trimmed from either end: blank spacers. Not the joiners,
/// variation selectors and tags that belong to the character before them,
/// nor the bidi controls whose balance is checked.
fn is_trimmable(c: char) -> bool {
    c.is_whitespace()
        || c == '\u{2800}'
        || (is_default_ignorable(c)
            && !matches!(c, '\u{200D}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
                | '\u{FE00}'..='\u{FE0F}' | '\u{E0000}'..='\u{E0FFF}'))
}

/// Characters that show nothing on their own.
fn is_invisible(c: char) -> bool {
    c.is_whitespace() || c == '\u{2800}' || is_default_ignorable(c) || is_combining_mark(c)
}

/// Normalises `raw` (NFC, trimmed) and checks it by the rules above; the
/// length limit is the caller's.
pub fn normalize(raw: &str) -> Result<String, TextError> {
    let normalized: String = raw.nfc().collect();
    let trimmed = normalized.trim_matches(is_trimmable);
    if trimmed.chars().all(is_invisible) {
        return Err(TextError::Blank);
    }
    if trimmed.chars().any(char::is_control) {
        return Err(TextError::Control);
    }
    if trimmed.contains(['\u{2028}', '\u{2029}']) {
        return Err(TextError::Separator);
    }
    if !bidi_balanced(trimmed) {
        return Err(TextError::UnbalancedBidi);
    }
    Ok(trimmed.to_owned())
}

/// Whether every embedding/override (closed by U+202C) and isolate (closed
/// by U+2069) is closed, in order, and nothing is closed that was not opened.
fn bidi_balanced(text: &str) -> bool {
    #[derive(PartialEq)]
    enum Open {
        Embedding,
        Isolate,
    }
    let mut open = Vec::new();
    for c in text.chars() {
        match c {
            '\u{202A}' | '\u{202B}' | '\u{202D}' | '\u{202E}' => open.push(Open::Embedding),
            '\u{2066}'..='\u{2068}' => open.push(Open::Isolate),
            '\u{202C}' if open.pop() != Some(Open::Embedding) => return false,
            '\u{2069}' if open.pop() != Some(Open::Isolate) => return false,
            _ => {}
        }
    }
    open.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn composes_to_nfc() {
        assert_eq!(normalize("Rene\u{301}e").unwrap(), "Ren\u{e9}e");
        assert_eq!(normalize("Ren\u{e9}e").unwrap(), "Ren\u{e9}e");
    }

    #[test]
    fn invisible_text_is_blank() {
        for raw in [
            "",
            " ",
            "\u{200B}",
            "\u{FEFF}",
            "\u{2060}",
            "\u{3164}",
            "\u{2800}",
            "\u{AD}",
            "\u{301}",
            " \u{200B}\u{FEFF} ",
            "\u{200D}\u{FE0F}",
        ] {
            assert_eq!(normalize(raw), Err(TextError::Blank), "{raw:?}");
        }
    }

    #[test]
    fn invisible_ends_are_trimmed_and_joined_emoji_kept() {
        assert_eq!(normalize("\u{200B}Dune\u{200B}").unwrap(), "Dune");
        assert_eq!(normalize("\u{FEFF} Dune \u{2060}").unwrap(), "Dune");
        assert_eq!(
            normalize("I \u{2764}\u{FE0F}").unwrap(),
            "I \u{2764}\u{FE0F}"
        );
        assert_eq!(
            normalize("\u{1F469}\u{200D}\u{1F680}").unwrap(),
            "\u{1F469}\u{200D}\u{1F680}"
        );
    }

    #[test]
    fn separators_controls_and_open_bidi_are_refused() {
        assert_eq!(normalize("a\u{2028}b"), Err(TextError::Separator));
        assert_eq!(normalize("a\u{2029}b"), Err(TextError::Separator));
        assert_eq!(normalize("a\u{7}b"), Err(TextError::Control));
        assert_eq!(normalize("a\u{202E}b"), Err(TextError::UnbalancedBidi));
        assert_eq!(normalize("a\u{202C}b"), Err(TextError::UnbalancedBidi));
        assert_eq!(normalize("a\u{2067}b"), Err(TextError::UnbalancedBidi));
        assert_eq!(
            normalize("a\u{2066}b\u{202C}"),
            Err(TextError::UnbalancedBidi)
        );
        assert_eq!(
            normalize("a\u{202E}b\u{202C}c").unwrap(),
            "a\u{202E}b\u{202C}c"
        );
        assert_eq!(
            normalize("a\u{2067}b\u{2069}").unwrap(),
            "a\u{2067}b\u{2069}"
        );
    }
}
