//! ADR-036 off-chain signatures ("sign arbitrary"): what Keplr's
//! `signArbitrary(chainId, signer, data)` and cosmjs sign, and what [`Key::sign_arbitrary`]
//! signs the same way, byte for byte.
//!
//! The signed bytes are an amino JSON sign doc holding one `sign/MsgSignData` message, with
//! chain id `""`, account number and sequence `"0"`, no fee and no memo, so it can never be a
//! valid transaction (cosmjs `makeADR36AminoSignDoc`, serialised as `serializeSignDoc` does:
//! keys sorted, no whitespace, `<`, `>` and `&` escaped as `\u003c`, `\u003e`, `\u0026`). The
//! signature is secp256k1 ECDSA over the SHA-256 of those bytes with an RFC 6979 deterministic
//! nonce, low-S normalised, `r || s` (64 bytes): k256 signs exactly as cosmjs
//! `Secp256k1.createSignature` and Keplr do, so the same key and data give the same signature in
//! the browser and here.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use k256::ecdsa::signature::Verifier as _;
use k256::ecdsa::{Signature, VerifyingKey};

use crate::Key;

/// The amino type of the one message in an ADR-036 sign doc.
pub const MSG_SIGN_DATA: &str = "sign/MsgSignData";

/// Why an ADR-036 signature does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Adr036Error {
    #[error("public key: not a compressed secp256k1 point")]
    PublicKey,
    #[error("signer {0} is not a bech32 account address")]
    Signer(String),
    #[error("the public key's address {actual} is not the signer {signer}")]
    SignerMismatch { signer: String, actual: String },
    #[error("signature must be 64 bytes (r || s), got {0}")]
    SignatureLength(usize),
    #[error("signature is not a valid secp256k1 signature")]
    MalformedSignature,
    #[error("signature has a high S (Cosmos accepts low-S signatures only)")]
    HighS,
    #[error("signature does not verify for this key, signer and data")]
    Mismatch,
}

pub fn sign_doc(signer: &str, data: &[u8]) -> String {
    // Keys written in sorted order, so the text is the same whether serde_json keeps insertion
    // order or sorts.
    let doc = serde_json::json!({
        "account_number": "0",
        "chain_id": "",
        "fee": { "amount": [], "gas": "0" },
        "memo": "",
        "msgs": [{
            "type": MSG_SIGN_DATA,
            "value": { "data": STANDARD.encode(data), "signer": signer },
        }],
        "sequence": "0",
    });
    doc.to_string()
        .replace('&', "\\u0026")
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
}

impl Key {
    /// The ADR-036 signature of `data` by this key (its address the signer): `r || s`, RFC 6979,
    /// low S; what Keplr's `signArbitrary` returns (base64) for the same account and data.
    pub fn sign_arbitrary(&self, data: &[u8]) -> [u8; 64] {
        let doc = sign_doc(self.address.as_ref(), data);
        // k256 hashes with SHA-256, takes the RFC 6979 nonce and normalises S. A software key
        // fails only if that nonce gave r or s = 0 (probability about 2^-256).
        let signature = self
            .signing
            .sign(doc.as_bytes())
            .expect("a secp256k1 software key signs");
        let signature = signature.normalize_s().unwrap_or(signature);
        signature.to_bytes().into()
    }

    /// The compressed secp256k1 public key (33 bytes): the `pub_key` a wallet returns with an
    /// ADR-036 signature.
    pub fn public_key_compressed(&self) -> [u8; 33] {
        self.signing
            .public_key()
            .to_bytes()
            .try_into()
            .expect("a secp256k1 public key is 33 bytes compressed")
    }
}

/// Checks an ADR-036 signature: `pubkey_compressed` (33 bytes) is `signer`'s key (its address
/// under the signer's bech32 prefix) and `signature` (`r || s`, low S) signs the sign doc of
/// `data` by `signer`.
pub fn verify_arbitrary(
    pubkey_compressed: &[u8],
    signer: &str,
    data: &[u8],
    signature: &[u8],
) -> Result<(), Adr036Error> {
    let key = VerifyingKey::from_sec1_bytes(pubkey_compressed)
        .ok()
        .filter(|_| pubkey_compressed.len() == 33)
        .ok_or(Adr036Error::PublicKey)?;
    let account: cosmrs::AccountId = signer
        .parse()
        .map_err(|_| Adr036Error::Signer(signer.to_string()))?;
    let actual = cosmrs::crypto::PublicKey::from(key)
        .account_id(account.prefix())
        .map_err(|_| Adr036Error::PublicKey)?;
    if actual != account {
        return Err(Adr036Error::SignerMismatch {
            signer: signer.to_string(),
            actual: actual.to_string(),
        });
    }
    if signature.len() != 64 {
        return Err(Adr036Error::SignatureLength(signature.len()));
    }
    let signature =
        Signature::from_slice(signature).map_err(|_| Adr036Error::MalformedSignature)?;
    if signature.normalize_s().is_some() {
        return Err(Adr036Error::HighS);
    }
    key.verify(sign_doc(signer, data).as_bytes(), &signature)
        .map_err(|_| Adr036Error::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PREFIX: &str = "loopin";

    fn signer() -> Key {
        Key::development(1, PREFIX).unwrap()
    }

    #[test]
    fn the_sign_doc_is_the_sorted_compact_amino_json_that_wallets_sign() {
        assert_eq!(
            sign_doc(
                "cosmos1w6t0l7z0yerj49ehnqwqaayxqpe3u7e23edgma",
                b"hello world"
            ),
            concat!(
                r#"{"account_number":"0","chain_id":"","fee":{"amount":[],"gas":"0"},"memo":"","#,
                r#""msgs":[{"type":"sign/MsgSignData","value":{"data":"aGVsbG8gd29ybGQ=","#,
                r#""signer":"cosmos1w6t0l7z0yerj49ehnqwqaayxqpe3u7e23edgma"}}],"sequence":"0"}"#
            )
        );
    }

    #[test]
    fn the_sign_doc_escapes_html_characters_as_the_cosmos_sdk_does() {
        // Base64 of 0xfb 0xff is "+/8=": no escaping there; a signer with `<>&"` shows it.
        let doc = sign_doc("a<b>&\"c", &[0xfb, 0xff]);
        assert!(doc.contains(r#""data":"+/8=","signer":"a\u003cb\u003e\u0026\"c""#));
    }

    #[test]
    fn a_signature_verifies_and_the_same_data_always_gets_the_same_signature() {
        let key = signer();
        let address = key.address.to_string();
        let signature = key.sign_arbitrary(b"some data");
        assert_eq!(signature, key.sign_arbitrary(b"some data"));
        assert_ne!(signature, key.sign_arbitrary(b"other data"));
        let pubkey = key.public_key_compressed();
        assert_eq!(
            verify_arbitrary(&pubkey, &address, b"some data", &signature),
            Ok(())
        );
        // S is low: the upper half of the curve order is never produced.
        let parsed = Signature::from_slice(&signature).unwrap();
        assert!(parsed.normalize_s().is_none());
    }

    #[test]
    fn a_signature_does_not_verify_for_other_data_signers_or_keys() {
        let key = signer();
        let other = Key::development(2, PREFIX).unwrap();
        let address = key.address.to_string();
        let signature = key.sign_arbitrary(b"some data");
        let pubkey = key.public_key_compressed();
        assert_eq!(
            verify_arbitrary(&pubkey, &address, b"some datA", &signature),
            Err(Adr036Error::Mismatch)
        );
        assert!(matches!(
            verify_arbitrary(&pubkey, other.address.as_ref(), b"some data", &signature),
            Err(Adr036Error::SignerMismatch { .. })
        ));
        assert!(matches!(
            verify_arbitrary(
                &other.public_key_compressed(),
                &address,
                b"some data",
                &signature
            ),
            Err(Adr036Error::SignerMismatch { .. })
        ));
        assert_eq!(
            verify_arbitrary(&pubkey, &address, b"some data", &signature[..63]),
            Err(Adr036Error::SignatureLength(63))
        );
        assert_eq!(
            verify_arbitrary(&pubkey[..32], &address, b"some data", &signature),
            Err(Adr036Error::PublicKey)
        );
        assert_eq!(
            verify_arbitrary(&pubkey, "not-bech32", b"some data", &signature),
            Err(Adr036Error::Signer("not-bech32".into()))
        );
    }

    #[test]
    fn a_high_s_signature_is_refused() {
        let key = signer();
        let address = key.address.to_string();
        let low = Signature::from_slice(&key.sign_arbitrary(b"some data")).unwrap();
        // (r, n - s): the same point, the other S. Valid ECDSA, refused by Cosmos.
        let (r, s) = low.split_scalars();
        let high = Signature::from_scalars(r, -*s).unwrap();
        assert_eq!(
            verify_arbitrary(
                &key.public_key_compressed(),
                &address,
                b"some data",
                &high.to_bytes()
            ),
            Err(Adr036Error::HighS)
        );
    }
}
