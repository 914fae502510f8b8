//! Passwords: the policy, argon2id hashing at OWASP's minimum cost (m = 19 MiB, t = 2, p = 1), and random
//! passwords. Hashing runs on a few dedicated threads that each own their 19 MiB of working memory for
//! good, so the apiserver's footprint stays flat however many logins it serves (allocating it per hash
//! left the allocator holding hundreds of MiB).

use argon2::password_hash::{Output, PasswordHash};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use base64::Engine;
use rand::distr::{Alphanumeric, SampleString};
use tokio::sync::oneshot;

/// The fewest characters a password may have.
pub const MIN_LEN: usize = 8;
/// The most characters a password may have (hashing cost is bounded, and no one types more).
pub const MAX_LEN: usize = 128;
/// argon2id memory cost in KiB: 19 MiB.
const M_COST: u32 = 19 * 1024;
const T_COST: u32 = 2;
const P_COST: u32 = 1;
const OUTPUT_LEN: usize = 32;

fn argon2(m_cost: u32, t_cost: u32, p_cost: u32) -> Option<Argon2<'static>> {
    let params = Params::new(m_cost, t_cost, p_cost, Some(OUTPUT_LEN)).ok()?;
    Some(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
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

/// A random 24-character password of letters and digits (~142 bits).
pub fn random_password() -> String {
    Alphanumeric.sample_string(&mut rand::rng(), 24)
}

/// The argon2id PHC string of `password` with `salt`, computed in `memory`.
fn hash_with(password: &str, salt: &[u8; 16], memory: &mut [Block]) -> String {
    let mut out = [0u8; OUTPUT_LEN];
    argon2(M_COST, T_COST, P_COST)
        .expect("constant argon2 parameters are valid")
        .hash_password_into_with_memory(password.as_bytes(), salt, &mut out, memory)
        .expect("argon2 hashing with valid parameters and enough memory");
    let b64 = base64::engine::general_purpose::STANDARD_NO_PAD;
    format!("$argon2id$v=19$m={M_COST},t={T_COST},p={P_COST}${}${}", b64.encode(salt), b64.encode(out))
}

/// Whether `password` matches the PHC string `phc`, computed in `memory` when the hash's memory cost is
/// ours (a malformed or foreign `phc` never matches). The comparison takes constant time.
fn verify_with(password: &str, phc: &str, memory: &mut [Block]) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else { return false };
    if parsed.algorithm.as_str() != "argon2id" {
        return false;
    }
    let Ok(params) = Params::try_from(&parsed) else { return false };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else { return false };
    let mut salt_buf = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_buf) else { return false };
    let Some(hasher) = argon2(params.m_cost(), params.t_cost(), params.p_cost()) else { return false };
    let mut out = vec![0u8; expected.len()];
    let computed = if params.m_cost() == M_COST && params.p_cost() == P_COST {
        hasher.hash_password_into_with_memory(password.as_bytes(), salt, &mut out, memory)
    } else {
        hasher.hash_password_into(password.as_bytes(), salt, &mut out)
    };
    computed.is_ok() && Output::new(&out).is_ok_and(|o| o == expected)
}

enum Job {
    Hash { password: String, reply: oneshot::Sender<String> },
    Verify { password: String, phc: String, reply: oneshot::Sender<bool> },
}

/// The queue in front of the hashing workers is full: the apiserver is checking as many passwords as
/// it takes at once (a flood of logins), and this one is refused rather than left waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the server is busy checking other passwords; try again shortly")]
pub struct Busy;

/// The hashing workers and the bounded queue in front of them.
#[derive(Clone)]
pub struct Passwords {
    jobs: tokio::sync::mpsc::Sender<Job>,
    decoy: std::sync::Arc<String>,
}

impl Passwords {
    /// Starts `workers` hashing threads (each holds 19 MiB) behind a queue of `queue` jobs, and makes the
    /// decoy hash.
    pub async fn start(workers: usize, queue: usize) -> Self {
        let (jobs, rx) = tokio::sync::mpsc::channel::<Job>(queue.max(1));
        let rx = std::sync::Arc::new(std::sync::Mutex::new(rx));
        for n in 0..workers.max(1) {
            let rx = rx.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{n}"))
                .spawn(move || {
                    let mut memory = vec![Block::default(); M_COST as usize];
                    loop {
                        // one worker waits for the next job while holding the lock; the others wait for it
                        let Some(job) = rx.lock().unwrap_or_else(|e| e.into_inner()).blocking_recv() else {
                            return;
                        };
                        match job {
                            Job::Hash { password, reply } => {
                                let salt: [u8; 16] = rand::random();
                                let _ = reply.send(hash_with(&password, &salt, &mut memory));
                            }
                            Job::Verify { password, phc, reply } => {
                                let _ = reply.send(verify_with(&password, &phc, &mut memory));
                            }
                        }
                    }
                })
                .expect("spawning a hashing thread");
        }
        let mut passwords = Self { jobs, decoy: Default::default() };
        passwords.decoy = std::sync::Arc::new(passwords.hash(&random_password()).await);
        passwords
    }

    /// The argon2id PHC string of `password`, with a fresh random salt. Hashing is asked for by signed-in
    /// callers (a new user, a reset, a password change), so it waits for room in the queue.
    pub async fn hash(&self, password: &str) -> String {
        let (reply, answer) = oneshot::channel();
        let _ = self.jobs.send(Job::Hash { password: password.to_string(), reply }).await;
        answer.await.expect("a hashing thread answers every job")
    }

    /// Whether `password` matches `phc`; with `None` (no such user or no password), checks a decoy
    /// hash so that the answer takes as long, and is false. [`Busy`] at once when the queue is full:
    /// anyone can ask for a verification, so nobody waits in an unbounded line.
    pub async fn verify(&self, password: &str, phc: Option<&str>) -> Result<bool, Busy> {
        let (reply, answer) = oneshot::channel();
        let known = phc.is_some();
        let phc = phc.unwrap_or(&self.decoy).to_string();
        self.jobs.try_send(Job::Verify { password: password.to_string(), phc, reply }).map_err(|_| Busy)?;
        Ok(answer.await.unwrap_or(false) && known)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::{PasswordHasher, PasswordVerifier, SaltString};

    #[tokio::test]
    async fn hashes_are_argon2id_at_owasp_minimum_and_verify() {
        let passwords = Passwords::start(1, 8).await;
        let phc = passwords.hash("correct horse battery").await;
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(passwords.verify("correct horse battery", Some(&phc)).await.unwrap());
        assert!(!passwords.verify("correct horse batterY", Some(&phc)).await.unwrap());
        assert!(!passwords.verify("anything", Some("not a phc string")).await.unwrap());
        assert!(!passwords.verify("anything", None).await.unwrap());
        assert_ne!(phc, passwords.hash("correct horse battery").await, "each hash has its own salt");
    }

    #[tokio::test]
    async fn hashes_agree_with_the_reference_implementation() {
        let passwords = Passwords::start(1, 8).await;
        let reference = argon2(M_COST, T_COST, P_COST).unwrap();
        // ours verifies with the crate's own verifier ...
        let ours = passwords.hash("s3cret-pass").await;
        assert!(reference.verify_password(b"s3cret-pass", &PasswordHash::new(&ours).unwrap()).is_ok());
        // ... and the crate's hashes (also with other costs) verify with ours
        let salt = SaltString::from_b64("c29tZXNhbHRzb21lc2FsdA").unwrap();
        let theirs = reference.hash_password(b"s3cret-pass", &salt).unwrap().to_string();
        assert!(passwords.verify("s3cret-pass", Some(&theirs)).await.unwrap());
        let cheaper =
            argon2(8 * 1024, 1, 1).unwrap().hash_password(b"s3cret-pass", &salt).unwrap().to_string();
        assert!(passwords.verify("s3cret-pass", Some(&cheaper)).await.unwrap());
        assert!(!passwords.verify("other-pass", Some(&cheaper)).await.unwrap());
    }

    #[tokio::test]
    async fn a_full_queue_refuses_at_once_instead_of_waiting() {
        let passwords = Passwords::start(1, 1).await;
        let phc = passwords.hash("s3cret-pass").await;
        // 20 at once against one worker and one place in the queue: most are refused, none waits long
        let answers =
            futures::future::join_all((0..20).map(|_| passwords.verify("s3cret-pass", Some(&phc)))).await;
        let busy = answers.iter().filter(|a| **a == Err(Busy)).count();
        assert!(busy >= 10, "{answers:?}");
        assert!(answers.contains(&Ok(true)), "the ones taken are answered: {answers:?}");
        assert_eq!(passwords.verify("s3cret-pass", Some(&phc)).await, Ok(true), "room again afterwards");
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
