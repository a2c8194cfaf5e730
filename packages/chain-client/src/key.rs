//! Signing keys: from a BIP-39 mnemonic, raw bytes, a key file or a development index, and
//! the secrets derived from them.

use bip32::{DerivationPath, Language, Mnemonic, XPrv};
use cosmrs::AccountId;
use cosmrs::crypto::secp256k1::SigningKey;
use sha2::{Digest, Sha256};

use crate::{ClientError, Result};

/// The default Cosmos HD path.
pub const DEFAULT_HD_PATH: &str = "m/44'/118'/0'/0/0";

/// A secp256k1 signing key and its address.
pub struct Key {
    pub(crate) signing: SigningKey,
    /// SHA-256 of a domain tag and the private key: the root of [`Key::derive_secret`].
    derivation_root: [u8; 32],
    pub address: AccountId,
}

impl Key {
    /// From a BIP-39 mnemonic at `path` (e.g. [`DEFAULT_HD_PATH`]).
    pub fn from_mnemonic(phrase: &str, path: &str, prefix: &str) -> Result<Self> {
        let mnemonic = Mnemonic::new(phrase.trim(), Language::English)
            .map_err(|e| ClientError::Key(format!("mnemonic: {e}")))?;
        let path: DerivationPath = path
            .parse()
            .map_err(|e| ClientError::Key(format!("derivation path: {e}")))?;
        let seed = mnemonic.to_seed("");
        let xprv = XPrv::derive_from_path(seed, &path)
            .map_err(|e| ClientError::Key(format!("derivation: {e}")))?;
        Self::from_bytes(&xprv.private_key().to_bytes(), prefix)
    }

    /// From 32 raw private-key bytes.
    pub fn from_bytes(bytes: &[u8], prefix: &str) -> Result<Self> {
        let signing = SigningKey::from_slice(bytes)
            .map_err(|e| ClientError::Key(format!("private key: {e}")))?;
        let address = signing
            .public_key()
            .account_id(prefix)
            .map_err(|e| ClientError::Key(e.to_string()))?;
        let derivation_root = Sha256::new()
            .chain_update(b"loopin/key-derivation/v1")
            .chain_update(bytes)
            .finalize()
            .into();
        Ok(Self {
            signing,
            derivation_root,
            address,
        })
    }

    /// A 32-byte secret for `purpose` derived from the private key: the same account always
    /// gets the same secret for a purpose, different purposes get unrelated secrets, and none of
    /// them reveals the key (e.g. the X25519 key a client receives lease access details with).
    pub fn derive_secret(&self, purpose: &str) -> [u8; 32] {
        Sha256::new()
            .chain_update(self.derivation_root)
            .chain_update((purpose.len() as u64).to_be_bytes())
            .chain_update(purpose.as_bytes())
            .finalize()
            .into()
    }

    /// Development key `n`: the mnemonic of 32 bytes of `n`, at [`DEFAULT_HD_PATH`]. For tests
    /// and devnets only, never for real funds (`loopin-deploy dev-key n` prints it).
    pub fn development(n: u8, prefix: &str) -> Result<Self> {
        Self::from_mnemonic(&Self::development_mnemonic(n), DEFAULT_HD_PATH, prefix)
    }

    /// The mnemonic of development key `n`.
    pub fn development_mnemonic(n: u8) -> String {
        Self::mnemonic_from_entropy([n; 32])
    }

    /// A BIP-39 mnemonic from 32 bytes of entropy (tests and dev accounts).
    pub fn mnemonic_from_entropy(entropy: [u8; 32]) -> String {
        Mnemonic::from_entropy(entropy, Language::English)
            .phrase()
            .to_string()
    }

    /// A key file: either a mnemonic phrase, or `hex:<64 hex digits>` for a raw private key.
    /// Surrounding whitespace and `#` comment lines are ignored.
    pub fn from_file(path: &std::path::Path, prefix: &str) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ClientError::Key(format!("{}: {e}", path.display())))?;
        let content: String = text
            .lines()
            .filter(|l| !l.trim_start().starts_with('#'))
            .collect::<Vec<_>>()
            .join(" ");
        let content = content.trim();
        match content.strip_prefix("hex:") {
            Some(hex_key) => {
                let bytes = hex::decode(hex_key.trim())
                    .map_err(|e| ClientError::Key(format!("hex key: {e}")))?;
                Self::from_bytes(&bytes, prefix)
            }
            None => Self::from_mnemonic(content, DEFAULT_HD_PATH, prefix),
        }
    }
}
