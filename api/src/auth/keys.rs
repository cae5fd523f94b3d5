//! Token signing keys: one Ed25519 key signs, several may verify (so keys can rotate), and the
//! public halves are published as a JWK set.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{EncodePrivateKey, KeypairBytes};
use jsonwebtoken::jwk::{Jwk, JwkSet, PublicKeyUse, ThumbprintHash};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};

use crate::config::TokenSettings;

/// File name of the generated key pair inside the data directory.
const GENERATED_KEY_FILE: &str = "token-signing-key.pem";

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot read or write key file {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("key file {path} is not a usable Ed25519 key: {reason}")]
    Invalid { path: PathBuf, reason: String },
}

/// The keys of this server: what signs new tokens and what verifies presented ones.
pub struct KeySet {
    signing_kid: String,
    signing: EncodingKey,
    verifying: HashMap<String, DecodingKey>,
    jwks: JwkSet,
}

impl std::fmt::Debug for KeySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeySet")
            .field("signing_kid", &self.signing_kid)
            .finish_non_exhaustive()
    }
}

impl KeySet {
    /// Loads the configured keys, generating a signing key pair into `data_dir` on the first
    /// start when none is configured.
    pub fn load(settings: &TokenSettings, data_dir: &Path) -> Result<Self, KeyError> {
        let signing_path = match &settings.signing_key {
            Some(path) => path.clone(),
            None => ensure_generated_key(data_dir)?,
        };
        let pem = read(&signing_path)?;
        let signing = EncodingKey::from_ed_pem(&pem).map_err(|err| invalid(&signing_path, err))?;
        let mut signing_jwk = Jwk::from_encoding_key(&signing, Algorithm::EdDSA)
            .map_err(|err| invalid(&signing_path, err))?;
        let signing_kid = with_kid(&mut signing_jwk).map_err(|err| invalid(&signing_path, err))?;

        let mut keys = vec![signing_jwk];
        for path in &settings.verify_keys {
            let key = DecodingKey::from_ed_pem(&read(path)?).map_err(|err| invalid(path, err))?;
            let mut jwk = Jwk::from_decoding_key(&key, Some(Algorithm::EdDSA))
                .map_err(|err| invalid(path, err))?;
            with_kid(&mut jwk).map_err(|err| invalid(path, err))?;
            keys.push(jwk);
        }
        let mut verifying = HashMap::new();
        for jwk in &keys {
            let kid = jwk.common.key_id.clone().unwrap_or_default();
            let key = DecodingKey::from_jwk(jwk).map_err(|err| invalid(&signing_path, err))?;
            verifying.insert(kid, key);
        }
        Ok(Self {
            signing_kid,
            signing,
            verifying,
            jwks: JwkSet { keys },
        })
    }

    pub fn signing(&self) -> (&str, &EncodingKey) {
        (&self.signing_kid, &self.signing)
    }

    pub fn verifying(&self, kid: &str) -> Option<&DecodingKey> {
        self.verifying.get(kid)
    }

    /// The public keys, as served at `/.well-known/jwks.json`.
    pub fn jwks(&self) -> &JwkSet {
        &self.jwks
    }
}

/// Names a key by its RFC 7638 thumbprint, so the `kid` follows from the key itself.
fn with_kid(jwk: &mut Jwk) -> jsonwebtoken::errors::Result<String> {
    let kid = jwk.thumbprint(ThumbprintHash::SHA256)?;
    jwk.common.key_id = Some(kid.clone());
    jwk.common.public_key_use = Some(PublicKeyUse::Signature);
    Ok(kid)
}

fn ensure_generated_key(data_dir: &Path) -> Result<PathBuf, KeyError> {
    let path = data_dir.join(GENERATED_KEY_FILE);
    if path.exists() {
        return Ok(path);
    }
    let io = |source| KeyError::Io {
        path: path.clone(),
        source,
    };
    std::fs::create_dir_all(data_dir).map_err(io)?;
    // PKCS#8 v1 (the private key alone), the form the JWT library reads.
    let key = KeypairBytes {
        secret_key: rand::random(),
        public_key: None,
    };
    let pem = key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|err| invalid(&path, err))?;
    write_private(&path, pem.as_bytes()).map_err(io)?;
    tracing::warn!(
        key.path = %path.display(),
        "no token signing key configured: generated a new Ed25519 key pair; set GONGZHI_SIGNING_KEY in production"
    );
    Ok(path)
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents)
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

fn read(path: &Path) -> Result<Vec<u8>, KeyError> {
    std::fs::read(path).map_err(|source| KeyError::Io {
        path: path.to_owned(),
        source,
    })
}

fn invalid(path: &Path, reason: impl std::fmt::Display) -> KeyError {
    KeyError::Invalid {
        path: path.to_owned(),
        reason: reason.to_string(),
    }
}
