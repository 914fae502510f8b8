//! Signed tokens: HS256 JWTs with a ≥ 256-bit key, the algorithm pinned, `exp`, `iss` and `aud` required
//! and checked (RFC 8725). Which tokens are still valid (revocation) is decided in `store`.

use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// The fewest key bytes accepted: 256 bits.
pub const MIN_KEY_BYTES: usize = 32;

/// What a token is for.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum TokenKind {
    /// A short-lived token from a login or refresh, tied to a session.
    Access,
    /// A long-lived API token a user created, valid until it expires or is revoked.
    Api,
}

/// The claims of every token.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Claims {
    /// The username.
    pub sub: String,
    /// The ChaosUser's `metadata.uid` when issued: a user deleted and created again under the same name
    /// is another user, and the tokens of the first do not work for the second.
    #[serde(default)]
    pub uid: String,
    pub iss: String,
    pub aud: String,
    /// Expiry, Unix seconds.
    pub exp: u64,
    /// Issued at, Unix seconds.
    pub iat: u64,
    /// The token's id, for revocation.
    pub jti: String,
    pub kind: TokenKind,
    /// The login session an access token belongs to: it works only while the session lives (logout,
    /// a reused refresh token or the session's end end it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// The user's token generation when issued (access and API tokens alike); a password change or
    /// reset, or disabling the user, moves it on and so invalidates every older token.
    pub gen: i64,
    /// Set while the user must change the password before doing anything else.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pwc: bool,
}

/// Why a token was not accepted (shown to the client as-is: it reveals nothing secret).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid: {0}")]
    Invalid(String),
}

/// The signing key and the claims every accepted token must carry.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
}

impl TokenKeys {
    /// Keys from the raw secret; refuses keys shorter than 256 bits.
    pub fn new(secret: &[u8], issuer: &str, audience: &str) -> anyhow::Result<Self> {
        anyhow::ensure!(
            secret.len() >= MIN_KEY_BYTES,
            "the JWT signing key has {} bytes; at least {MIN_KEY_BYTES} are needed",
            secret.len()
        );
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 5;
        validation.validate_exp = true;
        Ok(Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            issuer: issuer.into(),
            audience: audience.into(),
        })
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    pub fn audience(&self) -> &str {
        &self.audience
    }

    /// Signs `claims`.
    pub fn sign(&self, claims: &Claims) -> String {
        encode(&Header::new(Algorithm::HS256), claims, &self.encoding).expect("HS256 signing of plain claims")
    }

    /// The claims of `token` if it is signed with our key, with HS256, for our issuer and audience, and
    /// not expired.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        use jsonwebtoken::errors::ErrorKind;
        decode::<Claims>(token, &self.decoding, &self.validation).map(|data| data.claims).map_err(|err| {
            match err.kind() {
                ErrorKind::ExpiredSignature => TokenError::Expired,
                ErrorKind::InvalidAudience => TokenError::Invalid("wrong audience".into()),
                ErrorKind::InvalidIssuer => TokenError::Invalid("wrong issuer".into()),
                ErrorKind::InvalidSignature => TokenError::Invalid("bad signature".into()),
                ErrorKind::InvalidAlgorithm => TokenError::Invalid("algorithm not allowed".into()),
                ErrorKind::MissingRequiredClaim(claim) => TokenError::Invalid(format!("no {claim} claim")),
                _ => TokenError::Invalid("malformed token".into()),
            }
        })
    }
}

/// Now, in Unix seconds.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// A fresh random id (128 bits, URL-safe base64).
pub fn random_id() -> String {
    use base64::Engine;
    let bytes: [u8; 16] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    fn keys() -> TokenKeys {
        TokenKeys::new(&[7u8; 32], "chaoscenter", "chaoscenter-api").unwrap()
    }

    fn claims(exp: u64) -> Claims {
        Claims {
            sub: "alice".into(),
            uid: "u-1".into(),
            iss: "chaoscenter".into(),
            aud: "chaoscenter-api".into(),
            exp,
            iat: unix_now(),
            jti: random_id(),
            kind: TokenKind::Access,
            sid: Some("s1".into()),
            gen: 0,
            pwc: false,
        }
    }

    fn b64(bytes: &[u8]) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    }

    #[test]
    fn a_signed_token_verifies() {
        let c = claims(unix_now() + 60);
        assert_eq!(keys().verify(&keys().sign(&c)), Ok(c));
    }

    #[test]
    fn short_keys_are_refused() {
        assert!(TokenKeys::new(&[1u8; 31], "i", "a").is_err());
    }

    #[test]
    fn expired_tokens_are_refused() {
        let token = keys().sign(&claims(unix_now() - 60));
        assert_eq!(keys().verify(&token), Err(TokenError::Expired));
    }

    #[test]
    fn alg_none_is_refused() {
        let header = b64(br#"{"alg":"none","typ":"JWT"}"#);
        let body = b64(&serde_json::to_vec(&claims(unix_now() + 60)).unwrap());
        for token in [format!("{header}.{body}."), format!("{header}.{body}")] {
            assert!(keys().verify(&token).is_err(), "{token}");
        }
    }

    #[test]
    fn another_algorithm_is_refused() {
        let token = encode(
            &Header::new(Algorithm::HS512),
            &claims(unix_now() + 60),
            &EncodingKey::from_secret(&[7u8; 32]),
        )
        .unwrap();
        assert!(keys().verify(&token).is_err());
    }

    #[test]
    fn a_wrong_key_audience_or_issuer_is_refused() {
        let c = claims(unix_now() + 60);
        let other = TokenKeys::new(&[8u8; 32], "chaoscenter", "chaoscenter-api").unwrap();
        assert_eq!(keys().verify(&other.sign(&c)), Err(TokenError::Invalid("bad signature".into())));
        let wrong_aud = Claims { aud: "someone-else".into(), ..c.clone() };
        assert_eq!(
            keys().verify(&keys().sign(&wrong_aud)),
            Err(TokenError::Invalid("wrong audience".into()))
        );
        let wrong_iss = Claims { iss: "evil".into(), ..c };
        assert_eq!(keys().verify(&keys().sign(&wrong_iss)), Err(TokenError::Invalid("wrong issuer".into())));
    }

    #[test]
    fn a_tampered_payload_is_refused() {
        let token = keys().sign(&claims(unix_now() + 60));
        let mut parts: Vec<String> = token.split('.').map(String::from).collect();
        let tampered = Claims { sub: "admin".into(), ..claims(unix_now() + 60) };
        parts[1] = b64(&serde_json::to_vec(&tampered).unwrap());
        assert_eq!(keys().verify(&parts.join(".")), Err(TokenError::Invalid("bad signature".into())));
    }
}
