//! Page cursors: opaque to clients, not to us.
//!
//! A cursor names where a page ended (for `/books`, the last book's title sort
//! key and id and the filters of the query; for a book's history, the last
//! entry) signed with HMAC-SHA-256 under the deployment's `CURSOR_SECRET`. A
//! client cannot forge a DynamoDB start key, and a cursor that was altered,
//! truncated, or taken from another query is refused cleanly (400) instead of
//! silently listing the wrong items.
//!
//! Wire form: base64url (no padding) of `version byte ‖ JSON payload ‖ 16-byte tag`.
//! A list cursor of an earlier version is refused as outdated (400): its
//! position is a sort key the shelf no longer sorts by.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::store::ListPosition;

/// The format of cursors other than the list's (a book's history): 2.
const FORMAT_VERSION: u8 = 2;
/// The format of `GET /books` cursors. 3: positions are catalogue sort keys
/// (folded titles, `store::title_key`); 2 held lower-cased ones and bound the
/// filters by a hash; 1 copied the filters.
const LIST_FORMAT_VERSION: u8 = 3;
/// Bytes of the filters' SHA-256 kept in a cursor: enough that no two filters
/// of one deployment's clients collide by chance.
const FILTER_HASH_BYTES: usize = 12;
const TAG_BYTES: usize = 16;

/// Where a page of `GET /books` ended, and which query it was a page of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// The position: the last book returned.
    pub key: CursorKey,
    /// The `author` filter of the query, if any.
    pub author: Option<String>,
    /// The `genre` filter of the query, if any.
    pub genre: Option<String>,
    /// The title search of the query (folded, so "Dune" and "dune" are one
    /// query), if any.
    pub title_prefix: Option<String>,
}

/// A cursor as signed: the position, and the filters as a short hash, so a
/// cursor stays small whatever the filters hold.
#[derive(Serialize, Deserialize)]
struct SignedCursor {
    #[serde(rename = "k")]
    key: CursorKey,
    #[serde(rename = "f")]
    filters: String,
}

/// The hash that binds a cursor to its filters and title search (absent and
/// empty differ).
fn filter_hash(author: Option<&str>, genre: Option<&str>, title_prefix: Option<&str>) -> String {
    let mut hasher = <Sha256 as sha2::Digest>::new();
    for filter in [author, genre, title_prefix] {
        let bytes = filter.map(str::as_bytes);
        let length = bytes.map_or(u64::MAX, |bytes| bytes.len() as u64);
        sha2::Digest::update(&mut hasher, length.to_be_bytes());
        sha2::Digest::update(&mut hasher, bytes.unwrap_or_default());
    }
    let digest = sha2::Digest::finalize(hasher);
    URL_SAFE_NO_PAD.encode(&digest[..FILTER_HASH_BYTES])
}

/// The last book of a page, as the index orders it: its `titleKey`, the
/// position every partition of the listing resumes after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CursorKey {
    /// The book's title sort key.
    #[serde(rename = "t")]
    pub title_key: String,
}

impl From<ListPosition> for CursorKey {
    fn from(position: ListPosition) -> Self {
        Self {
            title_key: position.title_key,
        }
    }
}

impl From<CursorKey> for ListPosition {
    fn from(key: CursorKey) -> Self {
        Self {
            title_key: key.title_key,
        }
    }
}

/// Why a cursor was refused; each becomes a 400.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CursorError {
    /// Not base64url, too short, an unknown format version, or a bad signature.
    #[error("the cursor is malformed or was altered; use nextCursor exactly as returned")]
    Malformed,
    /// A cursor of an earlier format: its position was a sort key the shelf no
    /// longer sorts by, so it cannot say where to resume.
    #[error(
        "the cursor is from an earlier version of this API and no longer names a place in the \
         list; list again from the first page"
    )]
    Outdated,
    /// A valid cursor, but of a query with other filters.
    #[error("the cursor belongs to a query with other filters")]
    OtherQuery,
}

/// Signs `payload` into the opaque string a client receives as `nextCursor`.
pub fn encode_cursor<T: Serialize>(payload: &T, secret: &[u8]) -> String {
    encode_versioned(FORMAT_VERSION, payload, secret)
}

/// Verifies and reads a cursor a client sent back.
pub fn decode_cursor<T: DeserializeOwned>(raw: &str, secret: &[u8]) -> Result<T, CursorError> {
    decode_versioned(FORMAT_VERSION, raw, secret)
}

fn encode_versioned<T: Serialize>(version: u8, payload: &T, secret: &[u8]) -> String {
    let mut bytes = vec![version];
    // Serialising our own structs of strings and numbers to JSON cannot fail.
    bytes.extend(serde_json::to_vec(payload).unwrap_or_default());
    let tag = sign(secret, &bytes);
    bytes.extend_from_slice(&tag[..TAG_BYTES]);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Reads a cursor of format `version`: one of an earlier format that we signed
/// is [`CursorError::Outdated`], anything else unverifiable is malformed.
fn decode_versioned<T: DeserializeOwned>(
    version: u8,
    raw: &str,
    secret: &[u8],
) -> Result<T, CursorError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(raw)
        .map_err(|_| CursorError::Malformed)?;
    if bytes.len() <= 1 + TAG_BYTES {
        return Err(CursorError::Malformed);
    }
    if bytes[0] != version {
        // Only a signed cursor of ours is "outdated"; anything else is malformed.
        let (signed, tag) = bytes.split_at(bytes.len() - TAG_BYTES);
        let mut mac = mac(secret);
        mac.update(signed);
        return Err(match mac.verify_truncated_left(tag) {
            Ok(()) if bytes[0] < version => CursorError::Outdated,
            _ => CursorError::Malformed,
        });
    }
    let (signed, tag) = bytes.split_at(bytes.len() - TAG_BYTES);
    let mut mac = mac(secret);
    mac.update(signed);
    mac.verify_truncated_left(tag)
        .map_err(|_| CursorError::Malformed)?;
    serde_json::from_slice(&signed[1..]).map_err(|_| CursorError::Malformed)
}

impl Cursor {
    /// The opaque string a client receives as `nextCursor`.
    pub fn encode(&self, secret: &[u8]) -> String {
        let signed = SignedCursor {
            key: self.key.clone(),
            filters: filter_hash(
                self.author.as_deref(),
                self.genre.as_deref(),
                self.title_prefix.as_deref(),
            ),
        };
        encode_versioned(LIST_FORMAT_VERSION, &signed, secret)
    }

    /// Reads a cursor a client sent back, and checks it belongs to the query
    /// with filters `author` and `genre` and title search `title_prefix`.
    pub fn decode(
        raw: &str,
        secret: &[u8],
        author: Option<&str>,
        genre: Option<&str>,
        title_prefix: Option<&str>,
    ) -> Result<CursorKey, CursorError> {
        let cursor: SignedCursor = decode_versioned(LIST_FORMAT_VERSION, raw, secret)?;
        if cursor.filters != filter_hash(author, genre, title_prefix) {
            return Err(CursorError::OtherQuery);
        }
        Ok(cursor.key)
    }
}

fn mac(secret: &[u8]) -> Hmac<Sha256> {
    // HMAC accepts keys of any length.
    Hmac::<Sha256>::new_from_slice(secret).unwrap_or_else(|_| unreachable!())
}

fn sign(secret: &[u8], bytes: &[u8]) -> Vec<u8> {
    let mut mac = mac(secret);
    mac.update(bytes);
    mac.finalize().into_bytes().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"test-secret";

    fn cursor() -> Cursor {
        Cursor {
            key: CursorKey {
                title_key: "dune\u{1}Dune\u{1}0192f0c1-7a9e-7b3c-8d4e-5f6a7b8c9d0e".into(),
            },
            author: Some("Frank Herbert".into()),
            genre: None,
            title_prefix: None,
        }
    }

    #[test]
    fn round_trips_for_the_same_query() {
        let encoded = cursor().encode(SECRET);
        assert!(
            encoded
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
        let key = Cursor::decode(&encoded, SECRET, Some("Frank Herbert"), None, None).unwrap();
        assert_eq!(key, cursor().key);
    }

    #[test]
    fn refuses_a_cursor_of_another_query() {
        let encoded = cursor().encode(SECRET);
        assert_eq!(
            Cursor::decode(&encoded, SECRET, None, None, None),
            Err(CursorError::OtherQuery)
        );
        assert_eq!(
            Cursor::decode(&encoded, SECRET, Some("Frank Herbert"), Some("SF"), None),
            Err(CursorError::OtherQuery)
        );
    }

    #[test]
    fn stays_small_whatever_the_filters() {
        let long = "a".repeat(250);
        let mut with_filters = cursor();
        with_filters.author = Some(long.clone());
        with_filters.genre = Some(long.clone());
        with_filters.title_prefix = Some(long.clone());
        let without = Cursor {
            author: None,
            genre: None,
            ..cursor()
        };
        assert_eq!(
            with_filters.encode(SECRET).len(),
            without.encode(SECRET).len()
        );
        assert_eq!(
            Cursor::decode(
                &with_filters.encode(SECRET),
                SECRET,
                Some(&long),
                Some(&long),
                Some(&long)
            ),
            Ok(cursor().key)
        );
        assert_eq!(
            Cursor::decode(
                &with_filters.encode(SECRET),
                SECRET,
                Some(&long),
                None,
                None
            ),
            Err(CursorError::OtherQuery)
        );
        assert_ne!(
            filter_hash(None, None, None),
            filter_hash(Some(""), None, None)
        );
        assert_ne!(
            filter_hash(Some("ab"), Some("c"), None),
            filter_hash(Some("a"), Some("bc"), None)
        );
        assert_ne!(
            filter_hash(None, None, Some("dune")),
            filter_hash(None, None, None)
        );
    }

    #[test]
    fn refuses_another_secret_and_garbage() {
        let encoded = cursor().encode(SECRET);
        assert_eq!(
            Cursor::decode(&encoded, b"other", Some("Frank Herbert"), None, None),
            Err(CursorError::Malformed)
        );
        for raw in ["", "x", "!!!", "AAAA", &encoded[..encoded.len() - 2]] {
            assert_eq!(
                Cursor::decode(raw, SECRET, Some("Frank Herbert"), None, None),
                Err(CursorError::Malformed),
                "{raw:?}"
            );
        }
    }

    #[test]
    fn refuses_a_cursor_of_an_earlier_format_as_outdated() {
        // What format 2 signed: its version byte, its JSON, its tag.
        let mut bytes = vec![2];
        bytes.extend(br#"{"k":{"t":"dune\u0001x","i":"x"},"f":"AAAAAAAAAAAAAAAA"}"#);
        let tag = sign(SECRET, &bytes);
        bytes.extend_from_slice(&tag[..TAG_BYTES]);
        let raw = URL_SAFE_NO_PAD.encode(&bytes);
        assert_eq!(
            Cursor::decode(&raw, SECRET, None, None, None),
            Err(CursorError::Outdated)
        );
        assert_eq!(
            Cursor::decode(&raw, b"other", None, None, None),
            Err(CursorError::Malformed)
        );
    }

    #[test]
    fn refuses_every_single_byte_change() {
        let encoded = cursor().encode(SECRET);
        let bytes = URL_SAFE_NO_PAD.decode(&encoded).unwrap();
        for position in 0..bytes.len() {
            let mut tampered = bytes.clone();
            tampered[position] ^= 0x01;
            let raw = URL_SAFE_NO_PAD.encode(&tampered);
            assert_eq!(
                Cursor::decode(&raw, SECRET, Some("Frank Herbert"), None, None),
                Err(CursorError::Malformed),
                "byte {position}"
            );
        }
    }
}
