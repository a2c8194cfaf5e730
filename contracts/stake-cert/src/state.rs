//! Storage: cw721's token store holds the certificates; LooPIN adds issuers and indexes.

use cosmwasm_std::{Addr, Empty, Order, StdError, StdResult, Storage};
use cw_storage_plus::Map;
use cw721::state::Cw721Config;
use loopin::stake_cert::{CertificateStatus, StakeCertificate};

/// cw721's token store, with the certificate as each NFT's extension.
pub fn certificates() -> Cw721Config<'static, StakeCertificate> {
    Cw721Config::default()
}

/// The certificate `token_id`, as recorded (its status not yet read at a time); `NotFound`
/// without one.
pub fn load(storage: &dyn Storage, token_id: &str) -> StdResult<StakeCertificate> {
    certificates()
        .nft_info
        .may_load(storage, token_id)?
        .map(|nft| nft.extension)
        .ok_or_else(|| StdError::not_found(format!("certificate {token_id}")))
}

/// Pools authorised by the minter to issue certificates for themselves.
pub const ISSUERS: Map<&Addr, Empty> = Map::new("issuers");
/// Device id -> token id of the device's latest certificate.
pub const DEVICE_CERTIFICATE: Map<&str, String> = Map::new("device_certificate");
/// (pool, token id): every certificate of a pool.
pub const POOL_CERTIFICATES: Map<(&Addr, &str), Empty> = Map::new("pool_certificates");
/// (expiry ns, token id) -> start ns of every certificate recorded `Active`. The start is in the
/// value so that `ActiveAt` skips certificates not yet started without loading them.
pub const ACTIVE_BY_EXPIRY: Map<(u64, &str), u64> = Map::new("active_by_expiry");
/// (pool, expiry ns, token id) -> start ns of every certificate recorded `Active`.
pub const POOL_ACTIVE_BY_EXPIRY: Map<(&Addr, u64, &str), u64> = Map::new("pool_active_by_expiry");

/// Adds a certificate recorded `Active` to the expiry indexes.
pub fn index_active(
    storage: &mut dyn Storage,
    token_id: &str,
    cert: &StakeCertificate,
) -> StdResult<()> {
    if cert.status == CertificateStatus::Active {
        let (expiry, start) = (cert.expiry.nanos(), cert.start.nanos());
        ACTIVE_BY_EXPIRY.save(storage, (expiry, token_id), &start)?;
        POOL_ACTIVE_BY_EXPIRY.save(storage, (&cert.pool, expiry, token_id), &start)?;
    }
    Ok(())
}

/// Removes a certificate from the expiry indexes (no-op when it is not there).
pub fn unindex_active(storage: &mut dyn Storage, token_id: &str, cert: &StakeCertificate) {
    let expiry = cert.expiry.nanos();
    ACTIVE_BY_EXPIRY.remove(storage, (expiry, token_id));
    POOL_ACTIVE_BY_EXPIRY.remove(storage, (&cert.pool, expiry, token_id));
}

/// Rewrites both expiry indexes' values from the certificates when code from before the start
/// was kept in the index wrote them (it stored `{}` there); run by `migrate`. Every entry is
/// written by the same code, so the first tells: holding a start, nothing is done (one read).
/// Otherwise it loads every certificate recorded `Active` (O(active certificates), once).
/// Returns how many certificates it rewrote.
pub fn reindex_active(storage: &mut dyn Storage) -> StdResult<usize> {
    let first = ACTIVE_BY_EXPIRY
        .range(storage, None, None, Order::Ascending)
        .next();
    if !matches!(first, Some(Err(StdError::ParseErr { .. }))) {
        return Ok(0);
    }
    let keys: Vec<(u64, String)> = ACTIVE_BY_EXPIRY
        .keys(storage, None, None, Order::Ascending)
        .collect::<StdResult<_>>()?;
    for (_, token_id) in &keys {
        let cert = certificates().nft_info.load(storage, token_id)?.extension;
        index_active(storage, token_id, &cert)?;
    }
    Ok(keys.len())
}
