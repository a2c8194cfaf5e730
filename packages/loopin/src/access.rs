//! The client's OpenSSH public key on a lease.
//!
//! The pair checks it when a lease is bought and stores it in canonical form (`<type> <base64>`,
//! no options, no comment); the miner agent checks it again before it writes `authorized_keys`.
//! Both use this parser, so a key that reaches a device is one OpenSSH would read as exactly one
//! key and nothing else: no `command=`/`from=` options, no second line, no unknown type.

use cosmwasm_std::Binary;

/// Longest key line accepted (an RSA-4096 key is about 730 characters).
pub const MAX_SSH_KEY_LEN: usize = 1_024;
/// Smallest RSA modulus accepted, in bits.
pub const MIN_RSA_BITS: usize = 2_048;

/// Why a key line was refused.
#[derive(thiserror::Error, Debug, PartialEq, Eq)]
pub enum SshKeyError {
    #[error("ssh key is empty")]
    Empty,
    #[error("ssh key is longer than {MAX_SSH_KEY_LEN} bytes")]
    TooLong,
    #[error("ssh key contains a control character (a line break?)")]
    ControlCharacter,
    #[error("ssh key carries authorized_keys options; send the bare key")]
    Options,
    #[error("unsupported ssh key type {found:?}")]
    UnknownType { found: String },
    #[error("ssh key has no key data")]
    MissingKeyData,
    #[error("ssh key data is not base64")]
    Base64,
    #[error("ssh key data is not a well-formed {key_type} key")]
    Malformed { key_type: String },
    #[error("RSA key of {bits} bits is below {MIN_RSA_BITS}")]
    WeakRsa { bits: usize },
}

/// A checked OpenSSH public key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SshPublicKey {
    key_type: &'static str,
    blob: Vec<u8>,
}

/// Key types accepted, with the curve an ECDSA type names and its point length.
const KEY_TYPES: [&str; 7] = [
    "ssh-ed25519",
    "sk-ssh-ed25519@openssh.com",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ecdsa-sha2-nistp256@openssh.com",
    "ssh-rsa",
];

impl SshPublicKey {
    /// Parses one `authorized_keys`-style line: `<type> <base64> [comment]`. The comment is
    /// dropped; options, control characters and anything but one well-formed key are refused.
    pub fn parse(line: &str) -> Result<Self, SshKeyError> {
        if line.len() > MAX_SSH_KEY_LEN {
            return Err(SshKeyError::TooLong);
        }
        if line.chars().any(char::is_control) {
            return Err(SshKeyError::ControlCharacter);
        }
        let mut fields = line.split(' ').filter(|field| !field.is_empty());
        let first = fields.next().ok_or(SshKeyError::Empty)?;
        let key_type = KEY_TYPES
            .into_iter()
            .find(|known| *known == first)
            .ok_or_else(|| {
                if first.contains('=') || first.contains(',') || first.contains('"') {
                    SshKeyError::Options
                } else {
                    SshKeyError::UnknownType {
                        found: first.chars().take(64).collect(),
                    }
                }
            })?;
        let data = fields.next().ok_or(SshKeyError::MissingKeyData)?;
        let blob = Binary::from_base64(data)
            .map_err(|_| SshKeyError::Base64)?
            .to_vec();
        check_blob(key_type, &blob)?;
        Ok(SshPublicKey { key_type, blob })
    }

    /// The key type, e.g. `ssh-ed25519`.
    pub fn key_type(&self) -> &str {
        self.key_type
    }

    /// The key in wire format (what OpenSSH fingerprints).
    pub fn blob(&self) -> &[u8] {
        &self.blob
    }

    /// The canonical line `<type> <base64>`.
    pub fn to_openssh(&self) -> String {
        format!("{} {}", self.key_type, Binary::from(self.blob.as_slice()))
    }
}

/// Reads length-prefixed strings of the SSH wire format.
struct Wire<'a>(&'a [u8]);

impl<'a> Wire<'a> {
    fn string(&mut self) -> Option<&'a [u8]> {
        let (len, rest) = self.0.split_first_chunk::<4>()?;
        let len = u32::from_be_bytes(*len) as usize;
        if rest.len() < len {
            return None;
        }
        let (field, rest) = rest.split_at(len);
        self.0 = rest;
        Some(field)
    }
}

/// Checks the wire format of a key of `key_type`: its type string, then exactly the fields the
/// type has.
fn check_blob(key_type: &'static str, blob: &[u8]) -> Result<(), SshKeyError> {
    let malformed = || SshKeyError::Malformed {
        key_type: key_type.to_string(),
    };
    let mut wire = Wire(blob);
    if wire.string() != Some(key_type.as_bytes()) {
        return Err(malformed());
    }
    match key_type {
        "ssh-ed25519" | "sk-ssh-ed25519@openssh.com" => {
            if wire.string().map(<[u8]>::len) != Some(32) {
                return Err(malformed());
            }
        }
        "ssh-rsa" => {
            let exponent = wire.string().ok_or_else(malformed)?;
            let modulus = wire.string().ok_or_else(malformed)?;
            if exponent.is_empty() || modulus.is_empty() {
                return Err(malformed());
            }
            let significant = modulus.iter().skip_while(|byte| **byte == 0).count();
            let bits = significant * 8;
            if bits < MIN_RSA_BITS {
                return Err(SshKeyError::WeakRsa { bits });
            }
        }
        _ => {
            let (curve, point_len) = match key_type {
                "ecdsa-sha2-nistp384" => ("nistp384", 97),
                "ecdsa-sha2-nistp521" => ("nistp521", 133),
                _ => ("nistp256", 65),
            };
            if wire.string() != Some(curve.as_bytes())
                || wire.string().map(<[u8]>::len) != Some(point_len)
            {
                return Err(malformed());
            }
        }
    }
    if key_type.starts_with("sk-") && wire.string().is_none() {
        return Err(malformed());
    }
    if !wire.0.is_empty() {
        return Err(malformed());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `ssh-keygen -t ed25519` output (public half), comment included.
    const ED25519: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA/sviTJfQXJKl0MknakEdkHhZdlVSTJbzhi3Oejh+S5 client@laptop";

    fn ed25519_blob(key: [u8; 32]) -> String {
        let mut blob = Vec::new();
        blob.extend_from_slice(&11u32.to_be_bytes());
        blob.extend_from_slice(b"ssh-ed25519");
        blob.extend_from_slice(&32u32.to_be_bytes());
        blob.extend_from_slice(&key);
        Binary::from(blob).to_base64()
    }

    #[test]
    fn a_real_key_parses_and_loses_its_comment() {
        let key = SshPublicKey::parse(ED25519).unwrap();
        assert_eq!(key.key_type(), "ssh-ed25519");
        assert_eq!(
            key.to_openssh(),
            ED25519.rsplit_once(' ').unwrap().0.to_string()
        );
        assert_eq!(SshPublicKey::parse(&key.to_openssh()), Ok(key));
    }

    #[test]
    fn options_are_refused() {
        for hostile in [
            format!("command=\"/bin/sh\" {ED25519}"),
            format!("from=\"*\" {ED25519}"),
            format!("no-pty,permitopen=\"localhost:22\" {ED25519}"),
            format!("environment=\"LD_PRELOAD=/tmp/x.so\" {ED25519}"),
        ] {
            assert_eq!(SshPublicKey::parse(&hostile), Err(SshKeyError::Options));
        }
    }

    #[test]
    fn a_second_line_or_control_characters_are_refused() {
        for hostile in [
            format!("{ED25519}\nssh-ed25519 {}", ed25519_blob([7; 32])),
            format!("{ED25519}\r"),
            format!("ssh-ed25519\t{}", ed25519_blob([7; 32])),
            format!("{ED25519}\0"),
        ] {
            assert_eq!(
                SshPublicKey::parse(&hostile),
                Err(SshKeyError::ControlCharacter)
            );
        }
    }

    #[test]
    fn keys_with_no_valid_format_are_refused() {
        assert_eq!(SshPublicKey::parse(""), Err(SshKeyError::Empty));
        assert_eq!(
            SshPublicKey::parse("ssh-dss AAAAB3NzaC1kc3M="),
            Err(SshKeyError::UnknownType {
                found: "ssh-dss".into()
            })
        );
        assert_eq!(
            SshPublicKey::parse("ssh-ed25519"),
            Err(SshKeyError::MissingKeyData)
        );
        assert_eq!(
            SshPublicKey::parse("ssh-ed25519 not*base64"),
            Err(SshKeyError::Base64)
        );
        let malformed = Err(SshKeyError::Malformed {
            key_type: "ssh-ed25519".into(),
        });
        // Too short, truncated, the wrong type inside, trailing bytes.
        assert_eq!(SshPublicKey::parse("ssh-ed25519 AAAA"), malformed);
        let good = Binary::from_base64(&ed25519_blob([1; 32]))
            .unwrap()
            .to_vec();
        let truncated = Binary::from(&good[..good.len() - 1]).to_base64();
        assert_eq!(
            SshPublicKey::parse(&format!("ssh-ed25519 {truncated}")),
            malformed
        );
        let mut trailing = good.clone();
        trailing.push(0);
        assert_eq!(
            SshPublicKey::parse(&format!("ssh-ed25519 {}", Binary::from(trailing))),
            malformed
        );
        assert_eq!(
            SshPublicKey::parse(&format!("ssh-rsa {}", ed25519_blob([1; 32]))),
            Err(SshKeyError::Malformed {
                key_type: "ssh-rsa".into()
            })
        );
        assert_eq!(
            SshPublicKey::parse(&format!("{} {}", "a".repeat(600), "b".repeat(600))),
            Err(SshKeyError::TooLong)
        );
    }

    #[test]
    fn short_rsa_keys_are_refused() {
        let mut blob = Vec::new();
        for field in [&b"ssh-rsa"[..], &[1, 0, 1], &[0xff; 128]] {
            blob.extend_from_slice(&(field.len() as u32).to_be_bytes());
            blob.extend_from_slice(field);
        }
        assert_eq!(
            SshPublicKey::parse(&format!("ssh-rsa {}", Binary::from(blob))),
            Err(SshKeyError::WeakRsa { bits: 1_024 })
        );
    }
}
