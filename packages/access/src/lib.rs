//! Access details of a lease: where and as whom the client logs in, sealed to the X25519 key the
//! client registered for the lease.
//!
//! The miner agent seals them with a NaCl sealed box (`crypto_box`: an ephemeral X25519 key,
//! XSalsa20-Poly1305), so only the holder of the client's secret can read them and nobody can
//! alter them unnoticed; the ciphertext goes on chain with the pair's `PostAccess`. The client CLI
//! opens them and checks the SSH host key against the fingerprint before it trusts the host.
//!
//! # The client's access key (v2)
//!
//! The X25519 secret is derived from a wallet signature, because a browser wallet (Keplr) never
//! reveals the account's private key but does sign arbitrary data (ADR-036, `signArbitrary`):
//!
//! 1. the account signs [`ACCESS_KEY_MESSAGE`] (its UTF-8 bytes) with ADR-036: the 64-byte
//!    `r || s` of secp256k1 ECDSA over the SHA-256 of the amino sign doc
//!    (`loopin_chain_client::adr036`);
//! 2. [`ClientSecret::from_wallet_signature`]: HKDF-SHA256 with that signature as the input key
//!    material, salt [`ACCESS_KEY_SALT`] and info [`ACCESS_KEY_INFO`], 32 bytes out, is the
//!    X25519 secret (clamped by X25519 when used, as NaCl does).
//!
//! This works because the signature is deterministic: Keplr, cosmjs, Ledger's Cosmos app and
//! `loopin_chain_client::Key::sign_arbitrary` all take the nonce from RFC 6979 and normalise S
//! low, so one account signing one message always gets the same 64 bytes, and the command line
//! (holding the mnemonic) and the web app (holding only Keplr) derive the same key. Only the
//! account's key can make that signature, so only it can derive the secret; the signature is a
//! secret and must never be posted or logged.
//!
//! What breaks it: a wallet that signs with a randomised nonce (RFC 6979 with added entropy, or a
//! plain random `k`, as some hardware and MPC wallets do) gets a different signature, hence a
//! different key, every time, and cannot open records sealed to the key it registered before.
//! Such a wallet is unsupported; a signer that is not secp256k1 ECDSA over this sign doc (e.g. an
//! Ethereum-style `ethsecp256k1` account, which hashes with Keccak) derives a key of its own that
//! the command line will not match.
//!
//! The first access key (v1, leases made by the command line before v2) was derived from the
//! private key itself ([`ACCESS_KEY_V1_PURPOSE`]); a lease records
//! the public key it was sealed to, and the client opens it with whichever of its keys that is.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use crypto_box::{PublicKey, SecretKey};
use hkdf::Hkdf;
use loopin::access::{SshKeyError, SshPublicKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Version tag of the sealed record, checked on open.
pub const ACCESS_VERSION: u32 = 1;

/// What a client needs to log in to its leased device.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessDetails {
    pub version: u32,
    /// The lease these details were posted for, and the standing order it belongs to.
    pub lease_id: u64,
    pub order: u64,
    pub host: String,
    pub port: u16,
    pub user: String,
    /// The SSH server's host key (`<type> <base64>`) and its OpenSSH fingerprint
    /// (`SHA256:...`).
    pub host_key: String,
    pub host_key_fingerprint: String,
}

/// The text a wallet shows and signs (ADR-036) to derive the client's v2 access key: its UTF-8
/// bytes are the signed data. Changing one byte changes every client's key.
pub const ACCESS_KEY_MESSAGE: &str = "LooPIN lease access key v2\n\nSigning this derives the key that opens your leases' access details. It sends nothing and costs nothing. Sign it only for LooPIN: whoever has this signature can read your access details.";

/// Purpose of the v1 access key, `Key::derive_secret(ACCESS_KEY_V1_PURPOSE)` of the account's
/// private key: what the command line registered on leases before v2 (they still open with it).
pub const ACCESS_KEY_V1_PURPOSE: &str = "loopin/lease-access/x25519/v1";

/// HKDF-SHA256 salt of the v2 access key.
pub const ACCESS_KEY_SALT: &[u8] = b"loopin/lease-access";

/// HKDF-SHA256 info of the v2 access key.
pub const ACCESS_KEY_INFO: &[u8] = b"loopin/lease-access/x25519/v2";

/// Why sealing or opening failed.
#[derive(thiserror::Error, Debug)]
pub enum AccessError {
    #[error("client key must be 32 bytes, got {0}")]
    KeyLength(usize),
    #[error("wallet signature must be 64 bytes (r || s), got {0}")]
    SignatureLength(usize),
    #[error("sealing failed")]
    Seal,
    #[error("the access record does not open with this key (not for this client, or altered)")]
    Open,
    #[error("malformed access record: {0}")]
    Record(#[from] serde_json::Error),
    #[error("unsupported access record version {0}")]
    Version(u32),
    #[error("host key: {0}")]
    HostKey(#[from] SshKeyError),
    #[error("host key fingerprint {claimed} does not match the host key ({actual})")]
    Fingerprint { claimed: String, actual: String },
}

/// The OpenSSH fingerprint of a public key: `SHA256:` and the unpadded base64 of the SHA-256 of
/// its wire form, as `ssh-keygen -lf` prints it.
pub fn fingerprint(key: &SshPublicKey) -> String {
    format!(
        "SHA256:{}",
        STANDARD_NO_PAD.encode(Sha256::digest(key.blob()))
    )
}

impl AccessDetails {
    /// Details for `user` on `host:port` behind the SSH host key `host_key` (one line).
    pub fn new(
        lease_id: u64,
        order: u64,
        host: &str,
        port: u16,
        user: &str,
        host_key: &str,
    ) -> Result<Self, AccessError> {
        let key = SshPublicKey::parse(host_key)?;
        Ok(AccessDetails {
            version: ACCESS_VERSION,
            lease_id,
            order,
            host: host.to_string(),
            port,
            user: user.to_string(),
            host_key: key.to_openssh(),
            host_key_fingerprint: fingerprint(&key),
        })
    }

    /// Seals the details to the client's X25519 public key.
    pub fn seal(&self, client_key: &[u8]) -> Result<Vec<u8>, AccessError> {
        let key: [u8; 32] = client_key
            .try_into()
            .map_err(|_| AccessError::KeyLength(client_key.len()))?;
        let plaintext = serde_json::to_vec(self)?;
        PublicKey::from(key)
            .seal(&mut rand_core::OsRng, &plaintext)
            .map_err(|_| AccessError::Seal)
    }

    /// Opens a sealed record with the client's secret and checks it: version, and that the
    /// fingerprint is the host key's.
    pub fn open(secret: &ClientSecret, ciphertext: &[u8]) -> Result<Self, AccessError> {
        let plaintext = secret.0.unseal(ciphertext).map_err(|_| AccessError::Open)?;
        let details: AccessDetails = serde_json::from_slice(&plaintext)?;
        if details.version != ACCESS_VERSION {
            return Err(AccessError::Version(details.version));
        }
        let actual = fingerprint(&SshPublicKey::parse(&details.host_key)?);
        if actual != details.host_key_fingerprint {
            return Err(AccessError::Fingerprint {
                claimed: details.host_key_fingerprint,
                actual,
            });
        }
        Ok(details)
    }

    /// The `known_hosts` line that pins the host key for this host and port.
    pub fn known_hosts_line(&self) -> String {
        if self.port == 22 {
            format!("{} {}", self.host, self.host_key)
        } else {
            format!("[{}]:{} {}", self.host, self.port, self.host_key)
        }
    }
}

/// The client's X25519 secret for access records.
pub struct ClientSecret(SecretKey);

impl ClientSecret {
    /// From 32 secret bytes (e.g. derived from the client's account key).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        ClientSecret(SecretKey::from(bytes))
    }

    /// The v2 access key from the account's ADR-036 signature of [`ACCESS_KEY_MESSAGE`]
    /// (`r || s`, 64 bytes): HKDF-SHA256 (salt [`ACCESS_KEY_SALT`], info [`ACCESS_KEY_INFO`]) to
    /// 32 bytes. See the module documentation for why a signature and which wallets qualify.
    pub fn from_wallet_signature(signature: &[u8]) -> Result<Self, AccessError> {
        if signature.len() != 64 {
            return Err(AccessError::SignatureLength(signature.len()));
        }
        let mut secret = [0u8; 32];
        Hkdf::<Sha256>::new(Some(ACCESS_KEY_SALT), signature)
            .expand(ACCESS_KEY_INFO, &mut secret)
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        Ok(Self::from_bytes(secret))
    }

    /// The public key registered on the lease.
    pub fn public_key(&self) -> [u8; 32] {
        *self.0.public_key().as_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOST_KEY: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA/sviTJfQXJKl0MknakEdkHhZdlVSTJbzhi3Oejh+S5 root@host";

    fn details() -> AccessDetails {
        AccessDetails::new(7, 5, "127.0.0.1", 2222, "lpn5", HOST_KEY).unwrap()
    }

    #[test]
    fn only_the_client_opens_its_details() {
        let client = ClientSecret::from_bytes([9; 32]);
        let sealed = details().seal(&client.public_key()).unwrap();
        assert_eq!(AccessDetails::open(&client, &sealed).unwrap(), details());
        let other = ClientSecret::from_bytes([8; 32]);
        assert!(matches!(
            AccessDetails::open(&other, &sealed),
            Err(AccessError::Open)
        ));
        let mut altered = sealed.clone();
        let last = altered.len() - 1;
        altered[last] ^= 1;
        assert!(matches!(
            AccessDetails::open(&client, &altered),
            Err(AccessError::Open)
        ));
        // Two seals of the same details differ (fresh ephemeral key each time).
        assert_ne!(sealed, details().seal(&client.public_key()).unwrap());
    }

    #[test]
    fn fingerprint_is_openssh_format() {
        // `ssh-keygen -lf` of HOST_KEY.
        assert_eq!(
            details().host_key_fingerprint,
            "SHA256:sNeFvTRyQ2EcDvFY6LRogf/eonn/N+8cya7o8MZWPHI"
        );
        assert_eq!(
            details().known_hosts_line(),
            "[127.0.0.1]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA/sviTJfQXJKl0MknakEdkHhZdlVSTJbzhi3Oejh+S5"
        );
    }

    /// A fixed 64-byte "signature" (any 64 bytes derive a key; real ones come from a wallet).
    const SIGNATURE: [u8; 64] = [7; 64];

    #[test]
    fn a_wallet_signature_derives_the_same_key_every_time() {
        let first = ClientSecret::from_wallet_signature(&SIGNATURE).unwrap();
        let again = ClientSecret::from_wallet_signature(&SIGNATURE).unwrap();
        assert_eq!(first.public_key(), again.public_key());
        let mut other = SIGNATURE;
        other[63] ^= 1;
        let other = ClientSecret::from_wallet_signature(&other).unwrap();
        assert_ne!(first.public_key(), other.public_key());
    }

    #[test]
    fn the_derivation_is_hkdf_sha256_of_the_signature() {
        // RFC 5869 by hand: PRK = HMAC(salt, signature), OKM = HMAC(PRK, info || 0x01).
        use hkdf::hmac::{Hmac, Mac};
        let mut extract = Hmac::<Sha256>::new_from_slice(ACCESS_KEY_SALT).unwrap();
        extract.update(&SIGNATURE);
        let prk = extract.finalize().into_bytes();
        let mut expand = Hmac::<Sha256>::new_from_slice(&prk).unwrap();
        expand.update(ACCESS_KEY_INFO);
        expand.update(&[1]);
        let okm: [u8; 32] = expand.finalize().into_bytes().into();
        assert_eq!(
            ClientSecret::from_wallet_signature(&SIGNATURE)
                .unwrap()
                .public_key(),
            ClientSecret::from_bytes(okm).public_key()
        );
    }

    #[test]
    fn a_signature_that_is_not_64_bytes_is_a_typed_error() {
        for len in [0, 63, 65, 72] {
            assert!(matches!(
                ClientSecret::from_wallet_signature(&vec![1; len]),
                Err(AccessError::SignatureLength(l)) if l == len
            ));
        }
    }

    #[test]
    fn a_record_whose_fingerprint_lies_is_refused() {
        let client = ClientSecret::from_bytes([9; 32]);
        let mut lying = details();
        lying.host_key_fingerprint = "SHA256:AAAA".into();
        let sealed = lying.seal(&client.public_key()).unwrap();
        assert!(matches!(
            AccessDetails::open(&client, &sealed),
            Err(AccessError::Fingerprint { .. })
        ));
        assert!(matches!(
            details().seal(&[1; 31]),
            Err(AccessError::KeyLength(31))
        ));
    }
}
