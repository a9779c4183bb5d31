//! How titles are ordered and matched: the way a library catalogue files them,
//! not by code point.
//!
//! One folding, [`fold`], makes the text every listing sorts by and every title
//! search ([`TitlePrefix`]) matches against, so order and matching can never disagree:
//!
//! 1. NFKD: compatibility forms become their plain letters ("ﬁ" → "fi",
//!    "Ｄｕｎｅ" → "Dune", "①" → "1") and accented letters split into a base
//!    letter and combining marks ("É" → "E" + U+0301).
//! 2. Full Unicode case folding (CaseFolding.txt, C + F), then NFKD again (as
//!    Unicode's compatibility caseless matching does): "STRASSE", "Straße" and
//!    "strasse" all become "strasse"; "ΣΟΦΊΑ" and "σοφία" agree.
//! 3. Combining marks removed: "Éclair" files between "Dune" and "Foundation",
//!    "Ångström" among the A's.
//! 4. A few letters Unicode does not decompose but catalogues file under their
//!    base letters: ø → o, æ → ae, œ → oe, ł → l, đ and ð → d, ħ → h, ŧ → t,
//!    þ → th, ı → i (see [`base_letters`]).
//! 5. What cannot be seen or typed for a search is dropped: default-ignorable
//!    code points (soft hyphens, zero-width joiners, variation selectors) and
//!    noncharacters; every run of white space becomes one space, none at
//!    either end.
//!
//! Stored text stays exactly as sent (NFC, [`super::text`]); only the key is
//! folded. Titles that fold alike are ordered by their exact text, then by id
//! (the store's sort key, `store::title_key`).

use icu_casemap::CaseMapper;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// The text `text` files and matches as (see the module documentation). Two
/// titles a reader would call the same words fold to the same string, and
/// a title search for `q` finds the titles whose fold starts with `fold(q)`.
///
/// ```
/// use bookshelf::domain::collation::fold;
/// assert_eq!(fold("Éclair"), "eclair");
/// assert_eq!(fold("Straße"), fold("STRASSE"));
/// assert!(fold("Ångström").starts_with('a'));
/// ```
pub fn fold(text: &str) -> String {
    let decomposed: String = text.nfkd().collect();
    let case_folded = CaseMapper::new().fold_string(&decomposed);
    let mut folded = String::with_capacity(case_folded.len());
    let mut pending_space = false;
    for c in case_folded.nfkd() {
        if c.is_whitespace() {
            pending_space = !folded.is_empty();
            continue;
        }
        if is_combining_mark(c) || super::text::is_default_ignorable(c) || is_noncharacter(c) {
            continue;
        }
        if pending_space {
            folded.push(' ');
            pending_space = false;
        }
        match base_letters(c) {
            Some(letters) => folded.push_str(letters),
            None => folded.push(c),
        }
    }
    folded
}

/// Letters with a stroke or a ligature that have no Unicode decomposition,
/// filed as the letters a catalogue files them under (ALA-LC romanisation
/// and library filing rules): "Øresund" among the O's, "Æsop" as "aesop".
/// Only lower-case forms: folding has already run.
fn base_letters(c: char) -> Option<&'static str> {
    Some(match c {
        'ø' => "o",
        'æ' => "ae",
        'œ' => "oe",
        'ł' => "l",
        'đ' | 'ð' => "d",
        'ħ' => "h",
        'ŧ' => "t",
        'þ' => "th",
        'ı' => "i",
        _ => return None,
    })
}

/// Unicode noncharacters (U+FDD0–U+FDEF and the last two code points of every
/// plane): never part of a title's meaning, and dropping U+10FFFF keeps it
/// above every folded key, so it can bound a prefix range.
fn is_noncharacter(c: char) -> bool {
    let code = u32::from(c);
    (0xFDD0..=0xFDEF).contains(&code) || code & 0xFFFE == 0xFFFE
}

/// A code point above every character [`fold`] can produce: `prefix` followed
/// by it bounds, from above, every fold that starts with `prefix`.
pub const ABOVE_EVERY_FOLD: char = '\u{10FFFF}';

/// A title search: the start of a title, as a client typed it (`q`), folded
/// the way titles are ([`fold`]), so "ecl", "ÉCL" and "Ecl" find "Éclair".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TitlePrefix(String);

impl TitlePrefix {
    /// The query parameter a title search is read from.
    pub const FIELD: &'static str = "q";

    /// Parses what a client typed: the catalogue's text rules
    /// ([`super::text`]: NFC, trimmed, something visible, no control
    /// characters), at most 250 characters (a title's limit), and something
    /// left once folded (not only marks, ignorable or noncharacters).
    pub fn parse(raw: &str) -> Result<Self, super::FieldError> {
        let refuse = |message: String| super::FieldError::new(Self::FIELD, message);
        let text = super::text::normalize(raw).map_err(|error| refuse(error.message().into()))?;
        let length = text.chars().count();
        if length > super::MAX_FIELD_CHARS {
            return Err(refuse(format!(
                "must be at most {} characters, got {length}",
                super::MAX_FIELD_CHARS
            )));
        }
        let folded = fold(&text);
        if folded.is_empty() {
            return Err(refuse(
                "must hold a letter, digit or sign a title can start with".into(),
            ));
        }
        Ok(Self(folded))
    }

    /// The folded prefix: what every matching title's fold starts with.
    pub fn folded(&self) -> &str {
        &self.0
    }

    /// The folded prefix, owned.
    pub fn into_folded(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(titles: &[&str]) -> Vec<String> {
        let mut titles: Vec<String> = titles.iter().map(|t| (*t).to_owned()).collect();
        titles.sort_by_key(|title| (fold(title), title.clone()));
        titles
    }

    #[test]
    fn accents_file_with_their_base_letters() {
        assert_eq!(
            sorted(&[
                "Zebra",
                "Foundation",
                "été",
                "Éclair",
                "Dune",
                "Ångström",
                "Anathem"
            ]),
            [
                "Anathem",
                "Ångström",
                "Dune",
                "Éclair",
                "été",
                "Foundation",
                "Zebra"
            ]
        );
    }

    #[test]
    fn case_folds_fully() {
        assert_eq!(fold("Straße"), "strasse");
        assert_eq!(fold("STRASSE"), "strasse");
        assert_eq!(fold("straẞe"), "strasse");
        assert_eq!(fold("ΣΟΦΊΑ"), fold("σοφία"));
        assert_eq!(fold("ὈΔΥΣΣΕΎΣ"), fold("ὀδυσσεύς"));
        assert_eq!(fold("İstanbul"), "istanbul");
    }

    #[test]
    fn compatibility_forms_are_their_plain_letters() {
        assert_eq!(fold("ﬁnal"), "final");
        assert_eq!(fold("Ｄｕｎｅ"), "dune");
        assert_eq!(fold("Chapter ①"), "chapter 1");
        assert_eq!(fold("Ǆemal"), "dzemal");
    }

    #[test]
    fn precomposed_and_decomposed_fold_alike() {
        assert_eq!(fold("Re\u{301}sume\u{301}"), fold("Résumé"));
        assert_eq!(fold("Résumé"), "resume");
    }

    #[test]
    fn undecomposed_letters_file_under_their_base_letters() {
        assert_eq!(fold("Øresund"), "oresund");
        assert_eq!(fold("Æsop"), "aesop");
        assert_eq!(fold("Œuvres"), "oeuvres");
        assert_eq!(fold("Łódź"), "lodz");
        assert_eq!(fold("Þórr"), "thorr");
    }

    #[test]
    fn invisible_characters_and_spacing_do_not_count() {
        assert_eq!(fold("En\u{AD}cyclo\u{200B}pedia"), "encyclopedia");
        assert_eq!(fold("  Dune \u{A0}\t Messiah "), "dune messiah");
        assert_eq!(fold("I \u{2764}\u{FE0F} books"), "i \u{2764} books");
        assert_eq!(fold("a\u{FDD0}b\u{10FFFF}"), "ab");
    }

    #[test]
    fn a_prefix_folds_to_a_prefix() {
        for (title, prefix) in [
            ("Éclair", "ecl"),
            ("Éclair", "ÉCL"),
            ("Straße der Welt", "strasse"),
            ("Ångström", "ang"),
            ("Dune Messiah", "dune  mes"),
        ] {
            assert!(fold(title).starts_with(&fold(prefix)), "{title} / {prefix}");
        }
    }

    #[test]
    fn nothing_folds_above_the_bound() {
        for title in ["\u{10FFFD}", "\u{F8FF}", "𝔘𝔫𝔦", "\u{E0001}x"] {
            assert!(
                fold(title).chars().all(|c| c < ABOVE_EVERY_FOLD),
                "{title:?}"
            );
        }
    }

    #[test]
    fn a_title_search_folds_what_was_typed() {
        assert_eq!(TitlePrefix::parse("  ÉCL ").unwrap().folded(), "ecl");
        assert_eq!(TitlePrefix::parse("Straße").unwrap().folded(), "strasse");
        assert_eq!(
            TitlePrefix::parse("dune  mes").unwrap().folded(),
            "dune mes"
        );
        for bad in ["", "   ", "\u{301}", "a\u{7}", "\u{FDD0}"] {
            let error = TitlePrefix::parse(bad).unwrap_err();
            assert_eq!(error.field, "q", "{bad:?}");
        }
        assert!(TitlePrefix::parse(&"a".repeat(250)).is_ok());
        assert!(TitlePrefix::parse(&"a".repeat(251)).is_err());
    }
}
