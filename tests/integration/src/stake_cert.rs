//! Set-up shared by the stake-certificate suites (`tests/stake_cert_*.rs`): the actors, the
//! contract on cw-multi-test at a fixed block time, snapshots of everything a refusal must
//! leave unchanged, and small helpers.

use crate::{contract_error, stake_cert_contract};
use cosmwasm_std::{
    Addr, Decimal, Empty, HexBinary, QueryRequest, Record, StdError, Timestamp, WasmQuery, coins,
    from_json, to_json_binary, to_json_vec,
};
use cw_multi_test::{App, AppBuilder, AppResponse, Executor};
use cw_ownable::{Expiration, Ownership};
use cw721::msg::{
    AllNftInfoResponse, ApprovalsResponse, MinterResponse, NftInfoResponse, NumTokensResponse,
    OwnerOfResponse, TokensResponse,
};
use cw721::state::CollectionInfo;
use loopin::stake_cert::{
    ActiveCertificatesResponse, COMMITMENT_LEN, CertificateResponse, CertificateStatus,
    CertificatesResponse, ExecuteMsg, InstantiateMsg, IssuersResponse, QueryMsg, StakeCertificate,
    StakeMode, StakeTerms,
};
use loopin_stake_cert::ContractError;
use serde::de::DeserializeOwned;

pub use CertificateStatus::{Active, Expired, Invalidated};

/// Block time at the start of every test, in seconds.
pub const T0: u64 = 1_700_000_000;
pub const HOUR: u64 = 3_600;
pub const DENOM: &str = "ucosm";
pub const NAME: &str = "LooPIN stake certificates";
pub const SYMBOL: &str = "stLOOP";
pub const INVALID_ADDR: &str = "not-an-address";
/// Longest token URI the contract accepts.
pub const MAX_TOKEN_URI_LEN: usize = 256;
/// Devices whose current certificate every snapshot records.
pub const DEVICES: &[&str] = &["gpu-0", "gpu-1", "gpu-2", "gpu-3", "gpu-4"];

pub fn ts(seconds: u64) -> Timestamp {
    Timestamp::from_seconds(seconds)
}

// ---------------------------------------------------------------------------------------------
// Set-up.

#[derive(Clone)]
pub struct Actors {
    pub minter: Addr,
    pub minter2: Addr,
    /// Pools authorised as issuers at set-up.
    pub pool_a: Addr,
    pub pool_b: Addr,
    /// A pool that is never an issuer: only the minter mints for it.
    pub pool_c: Addr,
    pub miner: Addr,
    pub miner2: Addr,
    pub stranger: Addr,
    pub admin: Addr,
}

impl Actors {
    pub fn new(app: &App) -> Self {
        let api = app.api();
        Actors {
            minter: api.addr_make("minter"),
            minter2: api.addr_make("minter2"),
            pool_a: api.addr_make("pool_a"),
            pool_b: api.addr_make("pool_b"),
            pool_c: api.addr_make("pool_c"),
            miner: api.addr_make("miner"),
            miner2: api.addr_make("miner2"),
            stranger: api.addr_make("stranger"),
            admin: api.addr_make("admin"),
        }
    }

    pub fn all(&self) -> Vec<Addr> {
        vec![
            self.minter.clone(),
            self.minter2.clone(),
            self.pool_a.clone(),
            self.pool_b.clone(),
            self.pool_c.clone(),
            self.miner.clone(),
            self.miner2.clone(),
            self.stranger.clone(),
            self.admin.clone(),
        ]
    }

    pub fn pools(&self) -> Vec<Addr> {
        vec![
            self.pool_a.clone(),
            self.pool_b.clone(),
            self.pool_c.clone(),
        ]
    }
}

pub fn instantiate_msg(a: &Actors) -> InstantiateMsg {
    InstantiateMsg {
        name: NAME.into(),
        symbol: SYMBOL.into(),
        minter: a.minter.to_string(),
    }
}

/// A stake-certificate contract at block time `T0`, with `pool_a` and `pool_b` as issuers, and
/// every actor holding native coins (so that attaching funds is possible).
pub struct Suite {
    pub app: App,
    pub a: Actors,
    pub code: u64,
    pub cert: Addr,
}

impl Default for Suite {
    fn default() -> Self {
        Self::new()
    }
}

impl Suite {
    pub fn new() -> Self {
        let a = Actors::new(&App::default());
        let funded = a.all();
        let mut app = AppBuilder::default().build(|router, _, storage| {
            for addr in &funded {
                router
                    .bank
                    .init_balance(storage, addr, coins(1_000, DENOM))
                    .unwrap();
            }
        });
        app.update_block(|block| block.time = ts(T0));
        let code = app.store_code(stake_cert_contract());
        let cert = app
            .instantiate_contract(
                code,
                a.minter.clone(),
                &instantiate_msg(&a),
                &[],
                "stake-cert",
                Some(a.admin.to_string()),
            )
            .unwrap();
        let mut suite = Suite { app, a, code, cert };
        let minter = suite.a.minter.clone();
        for pool in [suite.a.pool_a.clone(), suite.a.pool_b.clone()] {
            suite
                .exec(
                    &minter,
                    &ExecuteMsg::AddIssuer {
                        issuer: pool.to_string(),
                    },
                )
                .unwrap();
        }
        suite
    }

    pub fn exec(&mut self, sender: &Addr, msg: &ExecuteMsg) -> anyhow::Result<AppResponse> {
        self.app
            .execute_contract(sender.clone(), self.cert.clone(), msg, &[])
    }

    /// A call that must fail: returns its error after checking that it changed nothing.
    pub fn refuse(&mut self, sender: &Addr, msg: &ExecuteMsg) -> ContractError {
        let before = self.snapshot();
        let err = contract_error(self.exec(sender, msg));
        assert_eq!(before, self.snapshot(), "refused {msg:?} changed state");
        err
    }

    pub fn mint(&mut self, sender: &Addr, token_id: &str, owner: &Addr, terms: StakeTerms) {
        self.exec(sender, &mint_msg(token_id, owner, terms))
            .unwrap_or_else(|err| panic!("mint {token_id}: {err:?}"));
    }

    pub fn now(&self) -> Timestamp {
        self.app.block_info().time
    }

    pub fn set_time(&mut self, time: Timestamp) {
        self.app.update_block(|block| {
            block.height += 1;
            block.time = time;
        });
    }

    pub fn query<T: DeserializeOwned>(&self, msg: &QueryMsg) -> T {
        self.app
            .wrap()
            .query_wasm_smart(&self.cert, msg)
            .unwrap_or_else(|err| panic!("{msg:?}: {err}"))
    }

    pub fn query_err(&self, msg: &QueryMsg) -> String {
        self.app
            .wrap()
            .query_wasm_smart::<Empty>(&self.cert, msg)
            .expect_err("query should fail")
            .to_string()
    }

    pub fn certificate(&self, token_id: &str) -> StakeCertificate {
        let response: CertificateResponse = self.query(&QueryMsg::Certificate {
            token_id: token_id.into(),
        });
        assert_eq!(response.token_id, token_id);
        response.certificate
    }

    pub fn status(&self, token_id: &str) -> CertificateStatus {
        let status = self.certificate(token_id).status;
        let nft: NftInfoResponse<StakeCertificate> = self.query(&QueryMsg::NftInfo {
            token_id: token_id.into(),
        });
        assert_eq!(
            nft.extension.status, status,
            "NftInfo agrees with Certificate"
        );
        status
    }

    pub fn device(&self, device_id: &str) -> Option<CertificateResponse> {
        self.query(&QueryMsg::DeviceCertificate {
            device_id: device_id.into(),
        })
    }

    /// One `ActiveAt` call, whole answer.
    pub fn active_at(
        &self,
        time: Option<Timestamp>,
        pool: Option<&Addr>,
        start_after: Option<String>,
        limit: Option<u32>,
    ) -> ActiveCertificatesResponse {
        let msg = QueryMsg::ActiveAt {
            time,
            pool: pool.map(Addr::to_string),
            start_after,
            limit,
        };
        // The contract writes this answer from the stored certificates' bytes; it must be what
        // encoding the decoded answer gives, byte for byte, and each certificate what
        // `Certificate` reports but for the status, which is `Active` at `time`.
        let request: QueryRequest<Empty> = QueryRequest::Wasm(WasmQuery::Smart {
            contract_addr: self.cert.to_string(),
            msg: to_json_binary(&msg).unwrap(),
        });
        let raw = self
            .app
            .wrap()
            .raw_query(&to_json_vec(&request).unwrap())
            .unwrap()
            .unwrap();
        let page: ActiveCertificatesResponse = from_json(&raw).unwrap();
        assert_eq!(to_json_vec(&page).unwrap(), raw.to_vec(), "{msg:?}");
        for entry in &page.certificates {
            assert_eq!(entry.certificate.status, CertificateStatus::Active);
            let stored = self.certificate(&entry.token_id);
            assert_eq!(
                StakeCertificate {
                    status: CertificateStatus::Active,
                    ..stored
                },
                entry.certificate
            );
        }
        page
    }

    /// The certificates of one `ActiveAt` call.
    pub fn active_page(
        &self,
        time: Option<Timestamp>,
        pool: Option<&Addr>,
        start_after: Option<String>,
        limit: Option<u32>,
    ) -> Vec<CertificateResponse> {
        self.active_at(time, pool, start_after, limit).certificates
    }

    /// Token ids active at `time`, on one page of the default size.
    pub fn active_ids(&self, time: Option<Timestamp>, pool: Option<&Addr>) -> Vec<String> {
        ids(&self.active_page(time, pool, None, None))
    }

    pub fn by_owner(&self, owner: &Addr) -> Vec<CertificateResponse> {
        let response: CertificatesResponse = self.query(&QueryMsg::CertificatesByOwner {
            owner: owner.to_string(),
            start_after: None,
            limit: Some(100),
        });
        response.certificates
    }

    pub fn by_pool(&self, pool: &Addr) -> Vec<CertificateResponse> {
        let response: CertificatesResponse = self.query(&QueryMsg::CertificatesByPool {
            pool: pool.to_string(),
            start_after: None,
            limit: Some(100),
        });
        response.certificates
    }

    pub fn all_tokens(&self) -> Vec<String> {
        let mut tokens = Vec::new();
        loop {
            let page: TokensResponse = self.query(&QueryMsg::AllTokens {
                start_after: tokens.last().cloned(),
                limit: Some(7),
            });
            if page.tokens.is_empty() {
                return tokens;
            }
            tokens.extend(page.tokens);
        }
    }

    pub fn num_tokens(&self) -> u64 {
        self.query::<NumTokensResponse>(&QueryMsg::NumTokens {})
            .count
    }

    pub fn issuers(&self) -> Vec<Addr> {
        self.query::<IssuersResponse>(&QueryMsg::Issuers {
            start_after: None,
            limit: None,
        })
        .issuers
    }

    pub fn ownership(&self) -> Ownership<Addr> {
        self.query(&QueryMsg::GetMinterOwnership {})
    }

    /// Everything the contract shows, through every query, plus its raw storage.
    pub fn snapshot(&self) -> Snapshot {
        let token_ids = self.all_tokens();
        let tokens: Vec<TokenView> = token_ids
            .iter()
            .map(|id| TokenView {
                certificate: self.query(&QueryMsg::Certificate {
                    token_id: id.clone(),
                }),
                nft_info: self.query(&QueryMsg::NftInfo {
                    token_id: id.clone(),
                }),
                all_nft_info: self.query(&QueryMsg::AllNftInfo {
                    token_id: id.clone(),
                    include_expired: Some(true),
                }),
                owner_of: self.query(&QueryMsg::OwnerOf {
                    token_id: id.clone(),
                    include_expired: Some(true),
                }),
                approvals: self.query(&QueryMsg::Approvals {
                    token_id: id.clone(),
                    include_expired: Some(true),
                }),
            })
            .collect();
        let mut devices: Vec<String> = DEVICES.iter().map(|d| d.to_string()).collect();
        devices.extend(
            tokens
                .iter()
                .map(|t| t.certificate.certificate.device_id.clone()),
        );
        devices.sort();
        devices.dedup();
        let owners = self
            .a
            .all()
            .iter()
            .map(|owner| {
                let tokens: TokensResponse = self.query(&QueryMsg::Tokens {
                    owner: owner.to_string(),
                    start_after: None,
                    limit: Some(100),
                });
                (tokens, self.by_owner(owner))
            })
            .collect();
        let pools = self.a.pools();
        let mut active = vec![self.active_page(None, None, None, Some(100))];
        active.extend(
            pools
                .iter()
                .map(|pool| self.active_page(None, Some(pool), None, Some(100))),
        );
        Snapshot {
            raw: self.app.dump_wasm_raw(&self.cert),
            token_ids,
            tokens,
            owners,
            num_tokens: self.num_tokens(),
            by_pool: pools.iter().map(|pool| self.by_pool(pool)).collect(),
            active,
            devices: devices.iter().map(|d| self.device(d)).collect(),
            issuers: self.issuers(),
            ownership: self.ownership(),
            minter: self.query(&QueryMsg::Minter {}),
            collection: self.query(&QueryMsg::ContractInfo {}),
        }
    }
}

#[derive(Debug, PartialEq)]
pub struct TokenView {
    pub certificate: CertificateResponse,
    pub nft_info: NftInfoResponse<StakeCertificate>,
    pub all_nft_info: AllNftInfoResponse<StakeCertificate>,
    pub owner_of: OwnerOfResponse,
    pub approvals: ApprovalsResponse,
}

/// The observable state: a refused call must leave every field as it was.
#[derive(Debug, PartialEq)]
pub struct Snapshot {
    pub raw: Vec<Record>,
    pub token_ids: Vec<String>,
    pub tokens: Vec<TokenView>,
    pub owners: Vec<(TokensResponse, Vec<CertificateResponse>)>,
    pub num_tokens: u64,
    pub by_pool: Vec<Vec<CertificateResponse>>,
    pub active: Vec<Vec<CertificateResponse>>,
    pub devices: Vec<Option<CertificateResponse>>,
    pub issuers: Vec<Addr>,
    pub ownership: Ownership<Addr>,
    pub minter: MinterResponse,
    pub collection: CollectionInfo,
}

pub fn commitment() -> HexBinary {
    HexBinary::from([0xab; COMMITMENT_LEN])
}

pub fn rate() -> Decimal {
    Decimal::percent(150)
}

/// Seller terms on `pool` for `device`, from `start` to `expiry`.
pub fn terms(pool: &Addr, device: &str, start: Timestamp, expiry: Timestamp) -> StakeTerms {
    StakeTerms {
        pool: pool.to_string(),
        device_id: device.into(),
        mode: StakeMode::Seller,
        start,
        expiry,
        rate: rate(),
        commitment: commitment(),
    }
}

/// The certificate that `terms(pool, device, start, expiry)` minted to `miner` reads as.
pub fn expected(
    pool: &Addr,
    device: &str,
    miner: &Addr,
    (start, expiry): (Timestamp, Timestamp),
    status: CertificateStatus,
) -> StakeCertificate {
    StakeCertificate {
        pool: pool.clone(),
        device_id: device.into(),
        miner: miner.clone(),
        mode: StakeMode::Seller,
        start,
        expiry,
        rate: rate(),
        commitment: commitment(),
        status,
    }
}

pub fn mint_msg(token_id: &str, owner: &Addr, terms: StakeTerms) -> ExecuteMsg {
    ExecuteMsg::Mint {
        token_id: token_id.into(),
        owner: owner.to_string(),
        terms,
        token_uri: None,
    }
}

pub fn ids(certificates: &[CertificateResponse]) -> Vec<String> {
    certificates.iter().map(|c| c.token_id.clone()).collect()
}

pub fn strings(ids: &[&str]) -> Vec<String> {
    ids.iter().map(|id| id.to_string()).collect()
}

/// The value of `key` in the response's wasm event.
pub fn attr(response: &AppResponse, key: &str) -> String {
    let wasm = response
        .events
        .iter()
        .find(|e| e.ty == "wasm")
        .expect("wasm event");
    wasm.attributes
        .iter()
        .find(|a| a.key == key)
        .unwrap_or_else(|| panic!("no {key} in {wasm:?}"))
        .value
        .clone()
}

pub fn is_std_generic(err: &ContractError) -> bool {
    matches!(err, ContractError::Std(StdError::GenericErr { .. }))
}

/// The day-long stake most tests start with: gpu-0 on pool_a, minted by pool_a to the miner.
pub fn with_one_certificate() -> Suite {
    let mut s = Suite::new();
    let a = s.a.clone();
    s.mint(
        &a.pool_a,
        "st-1",
        &a.miner,
        terms(&a.pool_a, "gpu-0", ts(T0), ts(T0 + 24 * HOUR)),
    );
    s
}

/// Every transfer and approval message for `token_id`, with the error each must get.
pub fn soulbound_messages(a: &Actors, token_id: &str) -> Vec<(ExecuteMsg, ContractError)> {
    let to = a.stranger.to_string();
    let token_id = token_id.to_string();
    vec![
        (
            ExecuteMsg::TransferNft {
                recipient: to.clone(),
                token_id: token_id.clone(),
            },
            ContractError::NonTransferable {},
        ),
        (
            ExecuteMsg::TransferNft {
                recipient: a.miner.to_string(),
                token_id: token_id.clone(),
            },
            ContractError::NonTransferable {},
        ),
        (
            ExecuteMsg::SendNft {
                contract: a.pool_a.to_string(),
                token_id: token_id.clone(),
                msg: to_json_binary("hook").unwrap(),
            },
            ContractError::NonTransferable {},
        ),
        (
            ExecuteMsg::Approve {
                spender: to.clone(),
                token_id: token_id.clone(),
                expires: None,
            },
            ContractError::ApprovalsDisabled {},
        ),
        (
            ExecuteMsg::Approve {
                spender: to.clone(),
                token_id: token_id.clone(),
                expires: Some(Expiration::Never {}),
            },
            ContractError::ApprovalsDisabled {},
        ),
        (
            ExecuteMsg::Revoke {
                spender: to.clone(),
                token_id,
            },
            ContractError::ApprovalsDisabled {},
        ),
        (
            ExecuteMsg::ApproveAll {
                operator: to.clone(),
                expires: Some(Expiration::AtHeight(1_000_000)),
            },
            ContractError::ApprovalsDisabled {},
        ),
        (
            ExecuteMsg::ApproveAll {
                operator: to.clone(),
                expires: None,
            },
            ContractError::ApprovalsDisabled {},
        ),
        (
            ExecuteMsg::RevokeAll { operator: to },
            ContractError::ApprovalsDisabled {},
        ),
    ]
}
