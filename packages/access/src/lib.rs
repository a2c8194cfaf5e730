//! Access details of a lease: where and as whom the client logs in, sealed to the X25519 key the
//! client registered for the lease.
//!
//! The miner agent seals them with a NaCl sealed box (`crypto_box`: an ephemeral X25519 key,
//! XSalsa20-Poly1305), so only the holder of the client's secret can read them and nobody can
//! alter them unnoticed; the ciphertext goes on chain with the pair's `PostAccess`. The client CLI
//! opens them and checks the SSH host key against the fingerprint before it trusts the host.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use crypto_box::{PublicKey, SecretKey};
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

/// Why sealing or opening failed.
#[derive(thiserror::Error, Debug)]
pub enum AccessError {
    #[error("client key must be 32 bytes, got {0}")]
    KeyLength(usize),
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
