//! Passwords: the policy, argon2id hashing at OWASP's minimum cost or above, and random passwords.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::distr::{Alphanumeric, SampleString};

/// The fewest characters a password may have.
pub const MIN_LEN: usize = 8;
/// The most characters a password may have (hashing cost is bounded, and no one types more).
pub const MAX_LEN: usize = 128;

/// argon2id with m = 19 MiB, t = 2, p = 1 (OWASP's minimum for argon2id).
fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("constant argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Why `password` may not be used by `username`, if it may not.
pub fn check_policy(username: &str, password: &str) -> Result<(), String> {
    let len = password.chars().count();
    if len == 0 {
        return Err("the password is empty".into());
    }
    if len < MIN_LEN {
        return Err(format!("the password must have at least {MIN_LEN} characters"));
    }
    if len > MAX_LEN {
        return Err(format!("the password may have at most {MAX_LEN} characters"));
    }
    if password.eq_ignore_ascii_case(username) {
        return Err("the password may not be the username".into());
    }
    Ok(())
}

/// The argon2id PHC string of `password`, with a fresh random salt. CPU-heavy: call off the async runtime.
pub fn hash(password: &str) -> String {
    let salt = SaltString::from_b64(&base64_salt()).expect("16 random bytes make a valid salt");
    hasher()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashing with valid parameters")
        .to_string()
}

fn base64_salt() -> String {
    use base64::Engine;
    let bytes: [u8; 16] = rand::random();
    base64::engine::general_purpose::STANDARD_NO_PAD.encode(bytes)
}

/// Whether `password` matches the PHC string `phc` (a malformed `phc` never matches).
pub fn verify(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => hasher().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// A hash of a random password, to verify against when the user does not exist (so that an unknown
/// username costs as much time as a wrong password).
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash(&random_password()))
}

/// A random 24-character password of letters and digits (~142 bits).
pub fn random_password() -> String {
    Alphanumeric.sample_string(&mut rand::rng(), 24)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_at_owasp_minimum_and_verify() {
        let phc = hash("correct horse battery");
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify("correct horse battery", &phc));
        assert!(!verify("correct horse batterY", &phc));
        assert!(!verify("anything", "not a phc string"));
        assert_ne!(phc, hash("correct horse battery"), "each hash has its own salt");
    }

    #[test]
    fn policy_names_the_problem() {
        assert_eq!(check_policy("bob", ""), Err("the password is empty".into()));
        assert!(check_policy("bob", "short").unwrap_err().contains("at least 8"));
        assert!(check_policy("bob", &"x".repeat(129)).unwrap_err().contains("at most 128"));
        assert!(check_policy("bobbobbob", "BOBBOBBOB").is_err());
        assert_eq!(check_policy("bob", "a long enough one"), Ok(()));
    }

    #[test]
    fn random_passwords_differ() {
        let (a, b) = (random_password(), random_password());
        assert_eq!(a.len(), 24);
        assert_ne!(a, b);
    }
}
