//! The development provider's RSA signing key: created per run, kept in memory.

use jsonwebtoken::jwk::{Jwk, JwkSet, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, EncodingKey, Header};

/// Why a signing key could not be made.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// aws-lc could not generate the RSA key.
    #[error("cannot generate an RSA key: {0}")]
    Generate(#[from] rcgen::Error),
    /// jsonwebtoken refused the key.
    #[error("cannot use the RSA key: {0}")]
    Jwt(#[from] jsonwebtoken::errors::Error),
}

/// An RSA 2048 key pair with its key id, signing RS256 tokens.
#[derive(Clone)]
pub struct SigningKey {
    kid: String,
    encoding: EncodingKey,
    jwk: Jwk,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish()
    }
}

impl SigningKey {
    /// A fresh RSA 2048 key (aws-lc), named `kid` in its JWK.
    ///
    /// # Errors
    /// [`KeyError`] when the key cannot be generated or used.
    pub fn generate(kid: &str) -> Result<SigningKey, KeyError> {
        let pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256)?;
        let encoding = EncodingKey::from_rsa_pem(pair.serialize_pem().as_bytes())?;
        let mut jwk = Jwk::from_encoding_key(&encoding, Algorithm::RS256)?;
        jwk.common.key_id = Some(kid.to_owned());
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        jwk.common.key_algorithm = Some(KeyAlgorithm::RS256);
        Ok(SigningKey {
            kid: kid.to_owned(),
            encoding,
            jwk,
        })
    }

    /// The public key, as published in the JWKS.
    pub fn jwk(&self) -> &Jwk {
        &self.jwk
    }

    /// A key set holding only this key's public half.
    pub fn jwks(&self) -> JwkSet {
        JwkSet {
            keys: vec![self.jwk.clone()],
        }
    }

    /// Signs `claims` as an RS256 JWT with this key's `kid`.
    ///
    /// # Errors
    /// A jsonwebtoken error when the claims cannot be serialised or signed.
    pub fn sign(&self, claims: &serde_json::Value) -> Result<String, jsonwebtoken::errors::Error> {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding)
    }
}
