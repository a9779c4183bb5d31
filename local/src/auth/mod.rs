//! Sign-in, locally: API Gateway's JWT authorizer ([`authorizer`]) and a development
//! OpenID provider ([`idp`]) that issues the tokens it checks. Nothing here is deployed.
//!
//! On AWS the template's `BooksAuthorizer` trusts the stack's Cognito user pool (or the
//! issuer given as parameters); neither can be reached locally, so `serve` wires every
//! authorizer of the template to the development provider instead: its issuer
//! (`http://127.0.0.1:<port>/_local/idp`) and its client ids as the audiences.

pub mod authorizer;
pub mod claims;
pub mod idp;
pub mod keys;

pub use authorizer::{Authorized, Denied, JwtAuthorizer};
pub use idp::{DevIdp, IDP_PATH};
pub use keys::SigningKey;
