//! Conversions between protobuf messages and loopin-pocps types. Decoding never panics: every
//! length is checked and a malformed message yields a [`WireError`].

use crate::pb;
use loopin_pocps::encode::Params;
use loopin_pocps::merkle::Hash;
use loopin_pocps::proof::Opening;

/// Why bytes of a message do not decode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// Blocks are 16 bytes each.
    #[error("block bytes not a multiple of 16")]
    BlockBytes,
    /// Path hashes are 32 bytes each.
    #[error("path bytes not a multiple of 32")]
    PathBytes,
    /// A hash field (named) that is not 32 bytes.
    #[error("{0} must be 32 bytes")]
    HashLength(&'static str),
}

/// Blocks to bytes (16 LE bytes each).
pub fn blocks_to_bytes(b: &[u128]) -> Vec<u8> {
    b.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// Bytes to blocks.
pub fn bytes_to_blocks(b: &[u8]) -> Result<Vec<u128>, WireError> {
    if !b.len().is_multiple_of(16) {
        return Err(WireError::BlockBytes);
    }
    Ok(b.chunks_exact(16)
        .map(|c| {
            let mut a = [0u8; 16];
            a.copy_from_slice(c);
            u128::from_le_bytes(a)
        })
        .collect())
}

/// Hashes to bytes.
pub fn hashes_to_bytes(h: &[Hash]) -> Vec<u8> {
    h.concat()
}

/// Bytes to hashes.
pub fn bytes_to_hashes(b: &[u8]) -> Result<Vec<Hash>, WireError> {
    if !b.len().is_multiple_of(32) {
        return Err(WireError::PathBytes);
    }
    Ok(b.chunks_exact(32)
        .map(|c| {
            let mut a = [0u8; 32];
            a.copy_from_slice(c);
            a
        })
        .collect())
}

/// A 32-byte hash from bytes.
pub fn hash(b: &[u8], what: &'static str) -> Result<Hash, WireError> {
    b.try_into().map_err(|_| WireError::HashLength(what))
}

/// Opening to protobuf.
pub fn opening_to_pb(o: &Opening) -> pb::Opening {
    pb::Opening {
        index: o.index,
        blocks: blocks_to_bytes(&o.blocks),
        path: hashes_to_bytes(&o.path),
    }
}

/// Opening from protobuf.
pub fn opening_from_pb(o: &pb::Opening) -> Result<Opening, WireError> {
    Ok(Opening {
        index: o.index,
        blocks: bytes_to_blocks(&o.blocks)?,
        path: bytes_to_hashes(&o.path)?,
    })
}

/// Params to protobuf.
pub fn params_to_pb(p: &Params) -> pb::Params {
    pb::Params {
        lanes: p.lanes,
        blocks_per_lane: p.blocks_per_lane,
        rounds: p.rounds,
        blocks_per_leaf: p.blocks_per_leaf,
    }
}

/// Params from protobuf.
pub fn params_from_pb(p: &pb::Params) -> Params {
    Params {
        lanes: p.lanes,
        blocks_per_lane: p.blocks_per_lane,
        rounds: p.rounds,
        blocks_per_leaf: p.blocks_per_leaf,
    }
}

/// Auth header to protobuf.
pub fn auth_to_pb(h: &crate::auth::Header) -> pb::Auth {
    pb::Auth {
        verifier_pubkey: h.verifier_pubkey.clone(),
        nonce: h.nonce,
        issued_at_ms: h.issued_at_ms,
        signature: h.signature.clone(),
    }
}

/// Auth header from protobuf.
pub fn auth_from_pb(a: &pb::Auth) -> crate::auth::Header {
    crate::auth::Header {
        verifier_pubkey: a.verifier_pubkey.clone(),
        nonce: a.nonce,
        issued_at_ms: a.issued_at_ms,
        signature: a.signature.clone(),
    }
}

/// Parse a `grpc-timeout` header value ("100m", "2S", ...).
pub fn parse_grpc_timeout(v: &str) -> Option<std::time::Duration> {
    use std::time::Duration;
    if v.len() < 2 || v.len() > 9 {
        return None;
    }
    let (num, unit) = v.split_at(v.len() - 1);
    let n: u64 = num.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(n.checked_mul(3600)?),
        "M" => Duration::from_secs(n.checked_mul(60)?),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    })
}
