//! The v2 access key end to end with real account keys, and the test vectors the web app checks
//! itself against (`tests/vectors/access-key-v2.json`).
//!
//! The vectors are a golden file: this test fails when the file differs from what the code
//! derives. After a deliberate change, `LOOPIN_BLESS=1 cargo test -p loopin-access --test
//! access_key_v2` rewrites it (keeping the stored sealed records while they still open).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use loopin_access::{
    ACCESS_KEY_INFO, ACCESS_KEY_MESSAGE, ACCESS_KEY_SALT, ACCESS_KEY_V1_PURPOSE, AccessDetails,
    AccessError, ClientSecret,
};
use loopin_chain_client::{DEFAULT_HD_PATH, Key, adr036, verify_arbitrary};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

const PREFIX: &str = "loopin";

const HOST_KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA/sviTJfQXJKl0MknakEdkHhZdlVSTJbzhi3Oejh+S5";

const COMMENT: &str = "Test vectors of the LooPIN client's v2 lease access key, written by \
packages/access/tests/access_key_v2.rs (LOOPIN_BLESS=1 rewrites it; the test fails if it differs). \
For each development account (BIP-39 mnemonic, HD path, bech32 address): the wallet signs `message` \
(its UTF-8 bytes) with ADR-036, Keplr's signArbitrary(chainId, signer, message): `sign_doc` is the \
exact UTF-8 of the amino JSON it signs (keys sorted, no whitespace), `signature_base64` the 64-byte \
r||s of secp256k1 ECDSA over SHA-256(sign_doc), RFC 6979 nonce, low S (what Keplr returns as \
`signature`, with `pubkey_base64`, the compressed public key, as `pub_key.value`). The X25519 secret \
is HKDF-SHA256(ikm = the 64 signature bytes, salt, info) to 32 bytes (`x25519_secret_hex`, a \
development secret), its public key `x25519_public_hex` is what a lease registers as client_key. \
`access_record.ciphertext_base64` is a libsodium sealed box (crypto_box_seal: ephemeral X25519 \
public key, then XSalsa20-Poly1305 with nonce BLAKE2b-192(ephemeral pk || recipient pk)) sealed to \
that key; it opens to the UTF-8 JSON of `access_record.details`. Sealing is randomised, so check \
that the record opens to the details rather than re-sealing.";

#[derive(Serialize, Deserialize, PartialEq, Debug)]
#[serde(deny_unknown_fields)]
struct Vectors {
    comment: String,
    message: String,
    hkdf: Hkdf,
    accounts: Vec<Account>,
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
#[serde(deny_unknown_fields)]
struct Hkdf {
    hash: String,
    salt: String,
    info: String,
    length: usize,
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
#[serde(deny_unknown_fields)]
struct Account {
    development_key: u8,
    mnemonic: String,
    hd_path: String,
    address: String,
    pubkey_base64: String,
    sign_doc: String,
    signature_base64: String,
    x25519_secret_hex: String,
    x25519_public_hex: String,
    access_record: Record,
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
#[serde(deny_unknown_fields)]
struct Record {
    ciphertext_base64: String,
    details: AccessDetails,
}

fn vectors_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/access-key-v2.json")
}

fn details_for(n: u8) -> AccessDetails {
    match n {
        1 => AccessDetails::new(7, 5, "203.0.113.7", 22, "lpn5", HOST_KEY),
        _ => AccessDetails::new(12, 12, "198.51.100.4", 2222, "lpn12", HOST_KEY),
    }
    .unwrap()
}

/// The v2 secret of an account: what the client CLI and the web app derive.
fn v2_secret(key: &Key) -> ClientSecret {
    ClientSecret::from_wallet_signature(&key.sign_arbitrary(ACCESS_KEY_MESSAGE.as_bytes())).unwrap()
}

/// The secret bytes `from_wallet_signature` derives: HKDF-SHA256, as the vectors state.
fn hkdf_bytes(signature: &[u8]) -> [u8; 32] {
    let mut out = [0; 32];
    hkdf::Hkdf::<sha2::Sha256>::new(Some(ACCESS_KEY_SALT), signature)
        .expand(ACCESS_KEY_INFO, &mut out)
        .unwrap();
    out
}

/// The vectors the code derives, with the sealed records of `stored` where they still open to
/// the expected details (sealing is randomised), fresh ones otherwise.
fn derive(stored: Option<&Vectors>) -> Vectors {
    let accounts = [1u8, 2]
        .into_iter()
        .map(|n| {
            let key = Key::development(n, PREFIX).unwrap();
            let address = key.address.to_string();
            let signature = key.sign_arbitrary(ACCESS_KEY_MESSAGE.as_bytes());
            let secret_bytes = hkdf_bytes(&signature);
            let secret = ClientSecret::from_wallet_signature(&signature).unwrap();
            assert_eq!(
                secret.public_key(),
                ClientSecret::from_bytes(secret_bytes).public_key()
            );
            let details = details_for(n);
            let kept = stored
                .and_then(|v| v.accounts.iter().find(|a| a.development_key == n))
                .map(|a| a.access_record.ciphertext_base64.clone())
                .filter(|sealed| {
                    STANDARD.decode(sealed).ok().is_some_and(|bytes| {
                        AccessDetails::open(&secret, &bytes).ok().as_ref() == Some(&details)
                    })
                });
            let ciphertext_base64 = kept
                .unwrap_or_else(|| STANDARD.encode(details.seal(&secret.public_key()).unwrap()));
            Account {
                development_key: n,
                mnemonic: Key::development_mnemonic(n),
                hd_path: DEFAULT_HD_PATH.into(),
                sign_doc: adr036::sign_doc(&address, ACCESS_KEY_MESSAGE.as_bytes()),
                address,
                pubkey_base64: STANDARD.encode(key.public_key_compressed()),
                signature_base64: STANDARD.encode(signature),
                x25519_secret_hex: hex::encode(secret_bytes),
                x25519_public_hex: hex::encode(secret.public_key()),
                access_record: Record {
                    ciphertext_base64,
                    details,
                },
            }
        })
        .collect();
    Vectors {
        comment: COMMENT.into(),
        message: ACCESS_KEY_MESSAGE.into(),
        hkdf: Hkdf {
            hash: "SHA-256".into(),
            salt: String::from_utf8(ACCESS_KEY_SALT.to_vec()).unwrap(),
            info: String::from_utf8(ACCESS_KEY_INFO.to_vec()).unwrap(),
            length: 32,
        },
        accounts,
    }
}

#[test]
fn the_shared_vectors_file_is_what_the_code_derives() {
    let path = vectors_path();
    let text = std::fs::read_to_string(&path).ok();
    let stored: Option<Vectors> = text.as_deref().and_then(|t| serde_json::from_str(t).ok());
    let expected = derive(stored.as_ref());
    let expected_text = serde_json::to_string_pretty(&expected).unwrap() + "\n";
    if std::env::var("LOOPIN_BLESS").as_deref() == Ok("1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &expected_text).unwrap();
        return;
    }
    assert!(
        text.as_deref() == Some(expected_text.as_str()),
        "{} differs from what the code derives; after a deliberate change run \
         LOOPIN_BLESS=1 cargo test -p loopin-access --test access_key_v2",
        path.display()
    );
}

#[test]
fn every_stored_record_opens_with_the_key_derived_from_the_stored_signature() {
    // What the web app's test does with the file. While blessing, the test above is rewriting it.
    if std::env::var("LOOPIN_BLESS").as_deref() == Ok("1") {
        return;
    }
    let vectors: Vectors =
        serde_json::from_str(&std::fs::read_to_string(vectors_path()).unwrap()).unwrap();
    assert_eq!(vectors.message, ACCESS_KEY_MESSAGE);
    for account in &vectors.accounts {
        let key = Key::from_mnemonic(&account.mnemonic, &account.hd_path, PREFIX).unwrap();
        assert_eq!(key.address.to_string(), account.address);
        let signature = STANDARD.decode(&account.signature_base64).unwrap();
        let pubkey = STANDARD.decode(&account.pubkey_base64).unwrap();
        assert_eq!(
            verify_arbitrary(
                &pubkey,
                &account.address,
                vectors.message.as_bytes(),
                &signature
            ),
            Ok(())
        );
        let secret = ClientSecret::from_wallet_signature(&signature).unwrap();
        assert_eq!(hex::encode(secret.public_key()), account.x25519_public_hex);
        let sealed = STANDARD
            .decode(&account.access_record.ciphertext_base64)
            .unwrap();
        assert_eq!(
            AccessDetails::open(&secret, &sealed).unwrap(),
            account.access_record.details
        );
    }
}

#[test]
fn an_account_derives_its_v2_key_from_its_signature_alone() {
    let key = Key::development(1, PREFIX).unwrap();
    let signature = key.sign_arbitrary(ACCESS_KEY_MESSAGE.as_bytes());
    // Deterministic: signing again (a second session, the browser) gives the same key.
    assert_eq!(signature, key.sign_arbitrary(ACCESS_KEY_MESSAGE.as_bytes()));
    assert_eq!(
        v2_secret(&key).public_key(),
        ClientSecret::from_wallet_signature(&signature)
            .unwrap()
            .public_key()
    );
    // Another account derives another key.
    let other = Key::development(2, PREFIX).unwrap();
    assert_ne!(v2_secret(&key).public_key(), v2_secret(&other).public_key());
    assert!(matches!(
        ClientSecret::from_wallet_signature(&signature[..63]),
        Err(AccessError::SignatureLength(63))
    ));
}

#[test]
fn a_record_sealed_to_v2_does_not_open_with_v1_and_vice_versa() {
    let key = Key::development(1, PREFIX).unwrap();
    let v2 = v2_secret(&key);
    let v1 = ClientSecret::from_bytes(key.derive_secret(ACCESS_KEY_V1_PURPOSE));
    assert_ne!(v1.public_key(), v2.public_key());
    let details = details_for(1);

    let to_v2 = details.seal(&v2.public_key()).unwrap();
    assert_eq!(AccessDetails::open(&v2, &to_v2).unwrap(), details);
    assert!(matches!(
        AccessDetails::open(&v1, &to_v2),
        Err(AccessError::Open)
    ));

    let to_v1 = details.seal(&v1.public_key()).unwrap();
    assert_eq!(AccessDetails::open(&v1, &to_v1).unwrap(), details);
    assert!(matches!(
        AccessDetails::open(&v2, &to_v1),
        Err(AccessError::Open)
    ));
}
