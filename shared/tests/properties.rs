//! Property tests of the shared crate's parsers: what holds for every input,
//! not just the examples in the unit tests.

use bookshelf::domain::{BookChanges, MAX_FIELD_CHARS, Title, parse_patch};
use bookshelf::http::{
    Cursor, CursorError, CursorKey, EntityTag, IfMatch, IfNoneMatch, parse_if_match,
    parse_if_none_match,
};
use proptest::prelude::*;
use serde_json::{Map, Value, json};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

const SECRET: &[u8] = b"property-test-secret";

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

proptest! {
    /// Any text (any `char`, up to 300 of them): what is accepted is NFC, has
    /// 1 to 250 characters, no control character or line/paragraph separator,
    /// no white space at either end, and parses to itself again; letters,
    /// digits and inner spaces that fit are always accepted; anything refused
    /// breaks one of the documented rules.
    #[test]
    fn text_fields_accept_exactly_the_valid_texts(chars in proptest::collection::vec(any::<char>(), 0..300)) {
        let raw: String = chars.into_iter().collect();
        let normalized: String = raw.nfc().collect();
        let trimmed = normalized.trim();
        let length = trimmed.chars().count();
        // A letter or digit that shows by itself: not a combining mark, not a filler.
        let visible = |c: char| {
            c.is_alphanumeric()
                && !is_combining_mark(c)
                && !matches!(c, '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}')
        };
        let plain = (1..=MAX_FIELD_CHARS).contains(&length)
            && trimmed.chars().all(|c| c.is_alphanumeric() || c == ' ')
            && trimmed.chars().any(visible);
        match Title::parse(&raw) {
            Ok(title) => {
                let text = title.as_str();
                prop_assert!((1..=MAX_FIELD_CHARS).contains(&text.chars().count()));
                prop_assert_eq!(text.nfc().collect::<String>(), text);
                let forbidden = text.chars().any(|c| c.is_control() || c == '\u{2028}' || c == '\u{2029}');
                prop_assert!(!forbidden);
                prop_assert_eq!(text.trim(), text);
                prop_assert!(normalized.contains(text));
                prop_assert_eq!(Title::parse(text).map(|again| again.into_string()), Ok(text.to_owned()));
            }
            Err(error) => {
                prop_assert!(!plain, "refused plain text {trimmed:?}: {error:?}");
                prop_assert_eq!(&error.field, "title");
                let broken = length == 0
                    || length > MAX_FIELD_CHARS
                    || trimmed.chars().any(|c| c.is_control() || c == '\u{2028}' || c == '\u{2029}')
                    || trimmed.chars().any(|c| matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'))
                    || !trimmed.chars().any(|c| !c.is_whitespace() && !is_combining_mark(c) && !matches!(c, '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}' | '\u{2800}' | '\u{AD}' | '\u{200B}'..='\u{206F}' | '\u{FE00}'..='\u{FEFF}' | '\u{E0000}'..='\u{E0FFF}' | '\u{034F}' | '\u{061C}' | '\u{17B4}' | '\u{17B5}' | '\u{180B}'..='\u{180F}' | '\u{FFF0}'..='\u{FFF8}' | '\u{1BCA0}'..='\u{1BCA3}' | '\u{1D173}'..='\u{1D17A}'));
                prop_assert!(broken, "refused {trimmed:?} without breaking a rule: {error:?}");
            }
        }
    }

    /// Multi-byte text is measured in characters: 250 of any visible character
    /// (one that NFC leaves alone) fit, 251 do not.
    #[test]
    fn length_counts_characters(c in any::<char>().prop_filter("visible and NFC-stable", |c| c.is_alphanumeric() && !is_combining_mark(*c) && !matches!(*c, '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}') && c.to_string().nfc().eq(std::iter::once(*c))), extra in 0usize..3) {
        let text: String = std::iter::repeat_n(c, MAX_FIELD_CHARS + extra).collect();
        prop_assert_eq!(Title::parse(&text).is_ok(), extra == 0);
    }

    /// Merge patch: a field present with a string sets it, `genre: null`
    /// removes it, an absent field is unchanged.
    #[test]
    fn merge_patch_semantics(
        title in proptest::option::of("[a-zA-Z ]{1,20}[a-z]"),
        genre in proptest::option::of(proptest::option::of("[a-z]{1,10}")),
    ) {
        let mut body = json!({});
        if let Some(title) = &title {
            body["title"] = json!(title);
        }
        if let Some(genre) = &genre {
            body["genre"] = json!(genre);
        }
        let changes: BookChanges = parse_patch(&object(body)).unwrap();
        prop_assert_eq!(changes.title.map(|t| t.as_str().to_owned()), title.map(|t| t.trim().to_owned()));
        prop_assert_eq!(changes.author, None);
        prop_assert_eq!(changes.genre.map(|g| g.map(|g| g.as_str().to_owned())), genre);
    }

    /// A cursor decodes to what was encoded, for the same filters only.
    #[test]
    fn cursors_round_trip(title_key in any::<String>(), author in proptest::option::of(any::<String>()), genre in proptest::option::of(any::<String>())) {
        let cursor = Cursor { key: CursorKey { title_key }, author: author.clone(), genre: genre.clone(), title_prefix: None };
        let encoded = cursor.encode(SECRET);
        prop_assert_eq!(Cursor::decode(&encoded, SECRET, author.as_deref(), genre.as_deref(), None), Ok(cursor.key.clone()));
        let other_author = Some(format!("{}x", author.clone().unwrap_or_default()));
        prop_assert_eq!(Cursor::decode(&encoded, SECRET, other_author.as_deref(), genre.as_deref(), None), Err(CursorError::OtherQuery));
    }

    /// Changing any single byte of a cursor (any position, any new value)
    /// makes it invalid.
    #[test]
    fn every_single_byte_tamper_is_refused(title_key in "[a-z]{0,40}", position in any::<prop::sample::Index>(), flip in 1u8..=255) {
        use base64::Engine;
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let cursor = Cursor { key: CursorKey { title_key }, author: None, genre: None, title_prefix: None };
        let mut bytes = URL_SAFE_NO_PAD.decode(cursor.encode(SECRET)).unwrap();
        let position = position.index(bytes.len());
        bytes[position] ^= flip;
        let tampered = URL_SAFE_NO_PAD.encode(&bytes);
        prop_assert_eq!(Cursor::decode(&tampered, SECRET, None, None, None), Err(CursorError::Malformed));
    }

    /// Arbitrary text never panics the cursor decoder.
    #[test]
    fn arbitrary_cursor_text_is_refused_cleanly(raw in any::<String>()) {
        prop_assert!(Cursor::decode(&raw, SECRET, None, None, None).is_err());
    }

    /// A list of strong tags matches exactly the versions in it; weak tags
    /// never match for If-Match but do for If-None-Match.
    #[test]
    fn entity_tag_lists(versions in proptest::collection::vec(0u64..1_000_000, 1..6), weak in proptest::collection::vec(any::<bool>(), 6), probe in 0u64..1_000_000, spaces in "[ \t]{0,2}") {
        let header: Vec<String> = versions
            .iter()
            .zip(&weak)
            .map(|(version, weak)| {
                let tag = EntityTag::for_version(*version);
                if *weak { format!("W/{tag}") } else { tag }
            })
            .collect();
        let header = header.join(&format!("{spaces},{spaces}"));
        let strong: Vec<u64> = versions.iter().zip(&weak).filter(|(_, weak)| !**weak).map(|(v, _)| *v).collect();
        prop_assert_eq!(parse_if_match(Some(&header)), Ok(IfMatch::Versions(strong.clone())));
        let none_match = parse_if_none_match(Some(&header)).unwrap();
        prop_assert_eq!(none_match.matches(probe), versions.contains(&probe));
        prop_assert_ne!(none_match, IfNoneMatch::Any);
    }

    /// Any header text is either parsed or refused, never a panic; a parsed
    /// If-Match only ever names versions written as the header wrote them.
    #[test]
    fn arbitrary_conditional_headers_never_panic(raw in any::<String>()) {
        if let Ok(IfMatch::Versions(versions)) = parse_if_match(Some(&raw)) {
            for version in versions {
                prop_assert!(raw.contains(&EntityTag::for_version(version)));
            }
        }
        let _ = parse_if_none_match(Some(&raw));
    }
}
