//! Who makes a change: every write is done by someone, and a book's history
//! says who.

use serde::{Deserialize, Serialize};

/// The signed-in caller of a write, as the identity provider named it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Actor {
    /// The token's `sub`: stable and unique for the user or machine client.
    pub sub: String,
    /// A name to show: the user's `username`, or a machine client's `client_id`.
    pub name: String,
}

impl Actor {
    /// The caller of a write on a stack that allows anonymous writes (only for
    /// `sam local start-api`, which cannot run the JWT authorizer).
    pub fn anonymous() -> Self {
        Self {
            sub: "anonymous".to_owned(),
            name: "anonymous".to_owned(),
        }
    }
}
