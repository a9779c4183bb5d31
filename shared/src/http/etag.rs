//! Entity tags (RFC 9110 §8.8.3) and the conditional headers built on them.
//!
//! A book's ETag is its version as a strong tag, `"3"`. `If-Match` guards writes
//! (strong comparison: a weak tag never matches); `If-None-Match` lets a GET
//! answer 304 (weak comparison).

/// One entity tag from a header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityTag {
    /// `W/"…"`: only for weak comparison.
    pub weak: bool,
    /// The text between the quotes.
    pub opaque: String,
}

impl EntityTag {
    /// The strong tag of a book at `version`, e.g. `"3"`.
    pub fn for_version(version: u64) -> String {
        format!("\"{version}\"")
    }

    /// The version this tag names, if it is one of ours: digits with no leading
    /// zero, exactly as [`EntityTag::for_version`] writes them.
    pub fn version(&self) -> Option<u64> {
        let version: u64 = self.opaque.parse().ok()?;
        (version.to_string() == self.opaque).then_some(version)
    }
}

/// What an `If-Match` header asks of a write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IfMatch {
    /// No header: the write applies to whatever version is current.
    Absent,
    /// `*`: the book must exist, any version.
    Any,
    /// The book's current version must be one of these (an empty list can never
    /// match: every tag was weak or not one of ours).
    Versions(Vec<u64>),
}

impl IfMatch {
    /// The versions a write may apply to, as the store takes them: `None` for
    /// any existing version.
    pub fn expected_versions(&self) -> Option<&[u64]> {
        match self {
            Self::Absent | Self::Any => None,
            Self::Versions(versions) => Some(versions),
        }
    }

    /// Adds the `version` a PUT body carries: both it and the header must hold.
    pub fn and_version(self, version: Option<u64>) -> Self {
        let Some(version) = version else { return self };
        match self {
            Self::Absent | Self::Any => Self::Versions(vec![version]),
            Self::Versions(versions) if versions.contains(&version) => {
                Self::Versions(vec![version])
            }
            Self::Versions(_) => Self::Versions(Vec::new()),
        }
    }
}

/// What an `If-None-Match` header asks of a read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IfNoneMatch {
    /// No header.
    Absent,
    /// `*`: matches any existing book.
    Any,
    /// Matches when one of these tags (weakly) names the current version.
    Tags(Vec<EntityTag>),
}

impl IfNoneMatch {
    /// Whether the client's copy at `version` is current (answer 304).
    pub fn matches(&self, version: u64) -> bool {
        match self {
            Self::Absent => false,
            Self::Any => true,
            Self::Tags(tags) => tags.iter().any(|tag| tag.version() == Some(version)),
        }
    }
}

/// The header value could not be read as `*` or a list of entity tags.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed entity-tag list")]
pub struct MalformedTags;

/// Parses an `If-Match` header value (`None` when the header is absent).
pub fn parse_if_match(value: Option<&str>) -> Result<IfMatch, MalformedTags> {
    Ok(match parse_condition(value)? {
        Condition::Absent => IfMatch::Absent,
        Condition::Any => IfMatch::Any,
        Condition::Tags(tags) => IfMatch::Versions(
            tags.iter()
                .filter(|tag| !tag.weak)
                .filter_map(EntityTag::version)
                .collect(),
        ),
    })
}

/// Parses an `If-None-Match` header value (`None` when the header is absent).
pub fn parse_if_none_match(value: Option<&str>) -> Result<IfNoneMatch, MalformedTags> {
    Ok(match parse_condition(value)? {
        Condition::Absent => IfNoneMatch::Absent,
        Condition::Any => IfNoneMatch::Any,
        Condition::Tags(tags) => IfNoneMatch::Tags(tags),
    })
}

enum Condition {
    Absent,
    Any,
    Tags(Vec<EntityTag>),
}

fn parse_condition(value: Option<&str>) -> Result<Condition, MalformedTags> {
    let Some(value) = value else {
        return Ok(Condition::Absent);
    };
    if value.trim_matches([' ', '\t']) == "*" {
        return Ok(Condition::Any);
    }
    parse_tag_list(value).map(Condition::Tags)
}

/// `#entity-tag`: tags separated by commas and optional whitespace; empty list
/// elements are allowed (RFC 9110 §5.6.1), an empty list is not.
fn parse_tag_list(value: &str) -> Result<Vec<EntityTag>, MalformedTags> {
    let mut tags = Vec::new();
    let mut rest = value;
    loop {
        rest = rest.trim_start_matches([' ', '\t', ',']);
        if rest.is_empty() {
            break;
        }
        let (weak, after_prefix) = match rest.strip_prefix("W/") {
            Some(after) => (true, after),
            None => (false, rest),
        };
        let quoted = after_prefix.strip_prefix('"').ok_or(MalformedTags)?;
        let end = quoted.find('"').ok_or(MalformedTags)?;
        let opaque = &quoted[..end];
        if !opaque.chars().all(is_etag_char) {
            return Err(MalformedTags);
        }
        tags.push(EntityTag {
            weak,
            opaque: opaque.to_owned(),
        });
        rest = quoted[end + 1..].trim_start_matches([' ', '\t']);
        if !(rest.is_empty() || rest.starts_with(',')) {
            return Err(MalformedTags);
        }
    }
    if tags.is_empty() {
        return Err(MalformedTags);
    }
    Ok(tags)
}

/// `etagc = %x21 / %x23-7E / obs-text`.
fn is_etag_char(c: char) -> bool {
    c == '\x21' || ('\x23'..='\x7e').contains(&c) || c >= '\u{80}'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_a_strong_tag() {
        assert_eq!(EntityTag::for_version(3), "\"3\"");
    }

    #[test]
    fn if_match_absent_star_and_lists() {
        assert_eq!(parse_if_match(None), Ok(IfMatch::Absent));
        assert_eq!(parse_if_match(Some(" * ")), Ok(IfMatch::Any));
        assert_eq!(
            parse_if_match(Some("\"3\"")),
            Ok(IfMatch::Versions(vec![3]))
        );
        assert_eq!(
            parse_if_match(Some("\"1\", \"2\",,\"x\"")),
            Ok(IfMatch::Versions(vec![1, 2]))
        );
    }

    #[test]
    fn if_match_never_matches_weak_or_foreign_tags() {
        assert_eq!(
            parse_if_match(Some("W/\"3\"")),
            Ok(IfMatch::Versions(vec![]))
        );
        assert_eq!(
            parse_if_match(Some("\"03\"")),
            Ok(IfMatch::Versions(vec![]))
        );
    }

    #[test]
    fn malformed_headers_are_refused() {
        for value in ["3", "\"3", "\"3\" \"4\"", "", " , ", "W/3", "\"a b\""] {
            assert_eq!(parse_if_match(Some(value)), Err(MalformedTags), "{value:?}");
        }
    }

    #[test]
    fn if_none_match_compares_weakly() {
        let condition = parse_if_none_match(Some("W/\"3\", \"9\"")).unwrap();
        assert!(condition.matches(3));
        assert!(condition.matches(9));
        assert!(!condition.matches(4));
        assert!(parse_if_none_match(Some("*")).unwrap().matches(1));
        assert!(!parse_if_none_match(None).unwrap().matches(1));
    }

    #[test]
    fn body_version_narrows_the_header() {
        assert_eq!(
            IfMatch::Absent.and_version(Some(2)),
            IfMatch::Versions(vec![2])
        );
        assert_eq!(IfMatch::Any.and_version(None), IfMatch::Any);
        assert_eq!(
            IfMatch::Versions(vec![1, 2]).and_version(Some(2)),
            IfMatch::Versions(vec![2])
        );
        assert_eq!(
            IfMatch::Versions(vec![1]).and_version(Some(2)),
            IfMatch::Versions(vec![])
        );
    }
}
