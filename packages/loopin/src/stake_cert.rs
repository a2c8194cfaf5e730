//! Messages and state types of the stake certificate (`contracts/stake-cert`).
//!
//! A stake certificate ("st-token") is a cw721 NFT, one per stake, held by the miner. It cannot be
//! transferred, approved or burned by its owner; only the protocol (the minter, or the pool that
//! issued it) changes or burns it. Its data is the NFT's on-chain extension, so `NftInfo` serves it.

use cosmwasm_schema::{QueryResponses, cw_serde};
use cosmwasm_std::{Addr, Binary, Decimal, HexBinary, Timestamp};
use cw_ownable::{Action, Expiration};
use cw721::traits::Cw721State;

/// Length in bytes of a PoCPS commitment reference (a SHA-256 digest).
pub const COMMITMENT_LEN: usize = 32;
/// Longest accepted device id.
pub const MAX_DEVICE_ID_LEN: usize = 64;
/// Longest accepted token id.
pub const MAX_TOKEN_ID_LEN: usize = 64;
/// Longest accepted invalidation reason.
pub const MAX_REASON_LEN: usize = 256;

/// How the miner uses the compute hours of its stake (paper §3.2).
#[cw_serde]
#[derive(Copy)]
pub enum StakeMode {
    /// Puts its compute hours and an equal value of LOOP into the pool.
    LiquidityProvider,
    /// Sells its compute hours to the pool for LOOP.
    Seller,
}

/// Lifecycle of a certificate. `Expired` is also reported once block time reaches the expiry.
#[cw_serde]
#[derive(Copy)]
pub enum CertificateStatus {
    Active,
    Expired,
    Invalidated,
}

/// The terms of a stake, supplied by the issuer when it mints the certificate.
#[cw_serde]
pub struct StakeTerms {
    /// The pool (pair contract) the device is staked into.
    pub pool: String,
    /// The device's id within the protocol (its fingerprint hash, for example).
    pub device_id: String,
    pub mode: StakeMode,
    /// Block time the stake starts; not before the minting block.
    pub start: Timestamp,
    /// Block time the stake ends; after `start`.
    pub expiry: Timestamp,
    /// Device-hours the stake provides per hour.
    pub rate: Decimal,
    /// Digest of the device's PoCPS commitment (root and parameters), 32 bytes.
    pub commitment: HexBinary,
}

/// A stake certificate as stored: the NFT's extension.
#[cw_serde]
pub struct StakeCertificate {
    pub pool: Addr,
    pub device_id: String,
    pub miner: Addr,
    pub mode: StakeMode,
    pub start: Timestamp,
    pub expiry: Timestamp,
    pub rate: Decimal,
    pub commitment: HexBinary,
    /// The recorded status; see [`StakeCertificate::status_at`] for the status at a given time.
    pub status: CertificateStatus,
}

impl Cw721State for StakeCertificate {}

impl StakeCertificate {
    /// The status at block time `time`: a recorded `Active` reads `Expired` from the expiry on.
    pub fn status_at(&self, time: Timestamp) -> CertificateStatus {
        match self.status {
            CertificateStatus::Active if time >= self.expiry => CertificateStatus::Expired,
            status => status,
        }
    }

    /// Whether the stake backs capacity at `time`: started, not expired, not invalidated.
    pub fn is_active_at(&self, time: Timestamp) -> bool {
        self.start <= time && self.status_at(time) == CertificateStatus::Active
    }

    /// This certificate as it reads at `time`, with [`Self::status_at`] applied.
    pub fn at(mut self, time: Timestamp) -> Self {
        self.status = self.status_at(time);
        self
    }
}

#[cw_serde]
pub struct InstantiateMsg {
    /// Collection name, e.g. "LooPIN stake certificates".
    pub name: String,
    /// Collection symbol, e.g. "stLOOP".
    pub symbol: String,
    /// The protocol's minter (the factory). It mints, authorises pools as issuers, and changes or
    /// burns any certificate.
    pub minter: String,
}

#[cw_serde]
pub enum ExecuteMsg {
    /// Mints a certificate for a new stake. Minter, or an issuer for its own pool only. A device
    /// holds at most one unexpired, valid certificate at a time.
    Mint {
        token_id: String,
        /// The miner.
        owner: String,
        terms: StakeTerms,
        token_uri: Option<String>,
    },
    /// Moves the expiry later (renewal). The certificate must be active.
    Extend { token_id: String, expiry: Timestamp },
    /// Moves the expiry earlier (an early exit from the stake), to a time after both now and
    /// the certificate's start. The certificate must be active. Minter or its issuer only.
    Curtail { token_id: String, expiry: Timestamp },
    /// Ends the stake now: status `Expired`, expiry the current block time.
    Expire { token_id: String },
    /// Marks the certificate invalid (a failed PoCPS challenge). Final.
    Invalidate { token_id: String, reason: String },
    /// Removes the certificate. Minter or its issuer only; owners cannot burn.
    Burn { token_id: String },
    /// Lets `issuer` (a pool) mint and change certificates of its own pool. Minter only.
    AddIssuer { issuer: String },
    /// Revokes an issuer. Minter only.
    RemoveIssuer { issuer: String },
    /// Two-step transfer of the minter role (cw-ownable).
    UpdateMinterOwnership(Action),
    /// Refused: certificates are not transferable.
    TransferNft { recipient: String, token_id: String },
    /// Refused: certificates are not transferable.
    SendNft {
        contract: String,
        token_id: String,
        msg: Binary,
    },
    /// Refused: certificates carry no approvals.
    Approve {
        spender: String,
        token_id: String,
        expires: Option<Expiration>,
    },
    /// Refused: certificates carry no approvals.
    Revoke { spender: String, token_id: String },
    /// Refused: certificates carry no approvals.
    ApproveAll {
        operator: String,
        expires: Option<Expiration>,
    },
    /// Refused: certificates carry no approvals.
    RevokeAll { operator: String },
}

#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    /// One certificate, with its status at the current block time.
    #[returns(CertificateResponse)]
    Certificate { token_id: String },
    /// Certificates held by `owner`, by token id.
    #[returns(CertificatesResponse)]
    CertificatesByOwner {
        owner: String,
        start_after: Option<String>,
        limit: Option<u32>,
    },
    /// Certificates of `pool`, in any status, by token id.
    #[returns(CertificatesResponse)]
    CertificatesByPool {
        pool: String,
        start_after: Option<String>,
        limit: Option<u32>,
    },
    /// Certificates active at `time` (default: now), optionally of one pool, by expiry then token
    /// id. One call walks at most [`ACTIVE_AT_SCAN_LIMIT`] entries of the expiry index (certificates
    /// not yet started at `time` are walked over, not returned), so a page may hold fewer than
    /// `limit` certificates, or none, while more follow: continue with the answer's `next` as
    /// `start_after` until it is `None`.
    #[returns(ActiveCertificatesResponse)]
    ActiveAt {
        time: Option<Timestamp>,
        pool: Option<String>,
        start_after: Option<String>,
        limit: Option<u32>,
    },
    /// The device's current (unexpired, valid) certificate, if any.
    #[returns(Option<CertificateResponse>)]
    DeviceCertificate { device_id: String },
    /// Authorised issuers (pools), paginated.
    #[returns(IssuersResponse)]
    Issuers {
        start_after: Option<String>,
        limit: Option<u32>,
    },
    /// cw721: the owner; certificates never have approvals.
    #[returns(cw721::msg::OwnerOfResponse)]
    OwnerOf {
        token_id: String,
        include_expired: Option<bool>,
    },
    /// cw721: always empty, certificates carry no approvals.
    #[returns(cw721::msg::ApprovalsResponse)]
    Approvals {
        token_id: String,
        include_expired: Option<bool>,
    },
    /// cw721: token URI and the certificate, status as of now.
    #[returns(cw721::msg::NftInfoResponse<StakeCertificate>)]
    NftInfo { token_id: String },
    /// cw721: owner and certificate.
    #[returns(cw721::msg::AllNftInfoResponse<StakeCertificate>)]
    AllNftInfo {
        token_id: String,
        include_expired: Option<bool>,
    },
    /// cw721: token ids held by `owner`.
    #[returns(cw721::msg::TokensResponse)]
    Tokens {
        owner: String,
        start_after: Option<String>,
        limit: Option<u32>,
    },
    /// cw721: every token id.
    #[returns(cw721::msg::TokensResponse)]
    AllTokens {
        start_after: Option<String>,
        limit: Option<u32>,
    },
    /// cw721: number of certificates in existence.
    #[returns(cw721::msg::NumTokensResponse)]
    NumTokens {},
    /// cw721: collection name and symbol.
    #[returns(cw721::state::CollectionInfo)]
    ContractInfo {},
    /// cw721: the minter.
    #[returns(cw721::msg::MinterResponse)]
    Minter {},
    /// The minter role, with any pending transfer.
    #[returns(cw_ownable::Ownership<Addr>)]
    GetMinterOwnership {},
}

/// A certificate with its token id and its status at query time.
#[cw_serde]
pub struct CertificateResponse {
    pub token_id: String,
    pub certificate: StakeCertificate,
}

#[cw_serde]
pub struct CertificatesResponse {
    pub certificates: Vec<CertificateResponse>,
}

/// Most expiry-index entries one `ActiveAt` call walks. Skipping an entry reads only the index
/// (its value is the certificate's start), about 1.2M VM gas, so a call that walks this many and
/// returns nothing costs about 8,500 SDK gas, far below a chain's smart-query gas limit (wasmd's
/// default is 3M SDK gas).
pub const ACTIVE_AT_SCAN_LIMIT: usize = 1_000;

#[cw_serde]
pub struct ActiveCertificatesResponse {
    /// Certificates active at the asked time, in expiry then token id order.
    pub certificates: Vec<CertificateResponse>,
    /// Where the next call continues (pass it as `start_after`): the last index entry this call
    /// walked, returned or skipped. `None` when the walk reached the end of the index: nothing
    /// more is active at that time.
    pub next: Option<String>,
}

#[cw_serde]
pub struct IssuersResponse {
    pub issuers: Vec<Addr>,
}

#[cw_serde]
pub struct MigrateMsg {}

#[cfg(test)]
mod tests {
    use super::*;

    fn certificate(status: CertificateStatus) -> StakeCertificate {
        StakeCertificate {
            pool: Addr::unchecked("pool"),
            device_id: "gpu-0".into(),
            miner: Addr::unchecked("miner"),
            mode: StakeMode::Seller,
            start: Timestamp::from_seconds(100),
            expiry: Timestamp::from_seconds(200),
            rate: Decimal::one(),
            commitment: HexBinary::from([0u8; COMMITMENT_LEN]),
            status,
        }
    }

    #[test]
    fn status_follows_block_time() {
        let active = certificate(CertificateStatus::Active);
        assert_eq!(
            active.status_at(Timestamp::from_seconds(50)),
            CertificateStatus::Active
        );
        assert!(!active.is_active_at(Timestamp::from_seconds(99)));
        assert!(active.is_active_at(Timestamp::from_seconds(100)));
        assert!(active.is_active_at(Timestamp::from_nanos(200_000_000_000 - 1)));
        assert_eq!(
            active.status_at(Timestamp::from_seconds(200)),
            CertificateStatus::Expired
        );
        assert!(!active.is_active_at(Timestamp::from_seconds(200)));

        let invalid = certificate(CertificateStatus::Invalidated);
        assert_eq!(
            invalid.status_at(Timestamp::from_seconds(150)),
            CertificateStatus::Invalidated
        );
        assert_eq!(
            invalid.status_at(Timestamp::from_seconds(250)),
            CertificateStatus::Invalidated
        );
        assert!(!invalid.is_active_at(Timestamp::from_seconds(150)));

        let ended = certificate(CertificateStatus::Expired);
        assert!(!ended.is_active_at(Timestamp::from_seconds(150)));
    }
}
