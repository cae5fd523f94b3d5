//! The secrets the server hands out or is given: random opaque tokens, argon2 hashes of
//! passwords and client secrets, and digests of refresh tokens.

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// A hash of nothing anyone knows, with the parameters of real ones: checking a password of an
/// unknown user against it takes as long as checking a real one, so the answer's timing does not
/// tell which usernames (or client ids) exist.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$fcfhRqAuj8z50S3g/PHdfQ$Hxnxqbn08Z8lekjx/njtoPb4Cpa+wJf1zIiI7OQ/z9E";

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("cannot hash the secret: {0}")]
    Hash(argon2::password_hash::Error),
    #[error("the hashing task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// `N` random bytes, base64url without padding: client ids, client secrets, refresh tokens. They
/// come from rand's thread-local generator, a CSPRNG seeded by the operating system.
pub fn random_token<const N: usize>() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; N]>())
}

/// The argon2id hash of `secret` with a fresh salt, as a PHC string. Argon2 is slow by design,
/// so it runs on the blocking pool rather than on a request's worker thread.
pub async fn hash(secret: &str) -> Result<String, SecretError> {
    let secret = secret.to_owned();
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(secret.as_bytes())
            .map(|hash| hash.to_string())
            .map_err(SecretError::Hash)
    })
    .await?
}

/// Whether `secret` matches the PHC string `hash` (the comparison takes constant time). Without
/// a hash, the secret is checked against a dummy one all the same and refused.
pub async fn verify(secret: &str, hash: Option<&str>) -> bool {
    let known = hash.is_some();
    let secret = secret.to_owned();
    let hash = hash.unwrap_or(DUMMY_HASH).to_owned();
    let matches = tokio::task::spawn_blocking(move || {
        Argon2::default()
            .verify_password(secret.as_bytes(), hash.as_str())
            .is_ok()
    })
    .await
    .unwrap_or(false);
    known && matches
}

/// The SHA-256 of an opaque token, hex: what is stored in its place. A fast hash suffices for
/// 32 random bytes, which no one can guess.
pub fn digest(token: &str) -> String {
    format!("{:x}", Sha256::digest(token.as_bytes()))
}
