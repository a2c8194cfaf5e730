//! The stake certificate on cw-multi-test: who mints and changes certificates, soulbound refusals
//! that change nothing, expiry across block time, the active-at index and its pagination, bad
//! input, the minter handover and guarded migration.

use cosmwasm_std::{
    Addr, Binary, BlockInfo, CosmosMsg, Decimal, Empty, HexBinary, Record, StdError, Timestamp,
    Uint128, WasmMsg, coins, from_json, to_json_binary,
};
use cw_multi_test::{App, AppBuilder, AppResponse, Executor};
use cw_ownable::{Action, Expiration, Ownership, OwnershipError};
use cw_utils::PaymentError;
use cw721::msg::{
    AllNftInfoResponse, ApprovalsResponse, MinterResponse, NftInfoResponse, NumTokensResponse,
    OwnerOfResponse, TokensResponse,
};
use cw721::state::CollectionInfo;
use loopin::migrate::MigrateError;
use loopin::stake_cert::{
    COMMITMENT_LEN, CertificateResponse, CertificateStatus, CertificatesResponse, ExecuteMsg,
    InstantiateMsg, IssuersResponse, MAX_DEVICE_ID_LEN, MAX_REASON_LEN, MAX_TOKEN_ID_LEN,
    MigrateMsg, QueryMsg, StakeCertificate, StakeMode, StakeTerms,
};
use loopin_integration_tests::{contract_error, stake_cert_contract, token_contract};
use loopin_stake_cert::ContractError;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use CertificateStatus::{Active, Expired, Invalidated};

/// Block time at the start of every test, in seconds.
const T0: u64 = 1_700_000_000;
const HOUR: u64 = 3_600;
const DENOM: &str = "ucosm";
const NAME: &str = "LooPIN stake certificates";
const SYMBOL: &str = "stLOOP";
const INVALID_ADDR: &str = "not-an-address";
/// Longest token URI the contract accepts.
const MAX_TOKEN_URI_LEN: usize = 256;
/// Devices whose current certificate every snapshot records.
const DEVICES: &[&str] = &["gpu-0", "gpu-1", "gpu-2", "gpu-3", "gpu-4"];

fn ts(seconds: u64) -> Timestamp {
    Timestamp::from_seconds(seconds)
}

// ---------------------------------------------------------------------------------------------
// Set-up.

#[derive(Clone)]
struct Actors {
    minter: Addr,
    minter2: Addr,
    /// Pools authorised as issuers at set-up.
    pool_a: Addr,
    pool_b: Addr,
    /// A pool that is never an issuer: only the minter mints for it.
    pool_c: Addr,
    miner: Addr,
    miner2: Addr,
    stranger: Addr,
    admin: Addr,
}

impl Actors {
    fn new(app: &App) -> Self {
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

    fn all(&self) -> Vec<Addr> {
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

    fn pools(&self) -> Vec<Addr> {
        vec![
            self.pool_a.clone(),
            self.pool_b.clone(),
            self.pool_c.clone(),
        ]
    }
}

fn instantiate_msg(a: &Actors) -> InstantiateMsg {
    InstantiateMsg {
        name: NAME.into(),
        symbol: SYMBOL.into(),
        minter: a.minter.to_string(),
    }
}

/// A stake-certificate contract at block time `T0`, with `pool_a` and `pool_b` as issuers, and
/// every actor holding native coins (so that attaching funds is possible).
struct Suite {
    app: App,
    a: Actors,
    code: u64,
    cert: Addr,
}

impl Suite {
    fn new() -> Self {
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

    fn exec(&mut self, sender: &Addr, msg: &ExecuteMsg) -> anyhow::Result<AppResponse> {
        self.app
            .execute_contract(sender.clone(), self.cert.clone(), msg, &[])
    }

    /// A call that must fail: returns its error after checking that it changed nothing.
    fn refuse(&mut self, sender: &Addr, msg: &ExecuteMsg) -> ContractError {
        let before = self.snapshot();
        let err = contract_error(self.exec(sender, msg));
        assert_eq!(before, self.snapshot(), "refused {msg:?} changed state");
        err
    }

    fn mint(&mut self, sender: &Addr, token_id: &str, owner: &Addr, terms: StakeTerms) {
        self.exec(sender, &mint_msg(token_id, owner, terms))
            .unwrap_or_else(|err| panic!("mint {token_id}: {err:?}"));
    }

    fn now(&self) -> Timestamp {
        self.app.block_info().time
    }

    fn set_time(&mut self, time: Timestamp) {
        self.app.update_block(|block| {
            block.height += 1;
            block.time = time;
        });
    }

    fn query<T: DeserializeOwned>(&self, msg: &QueryMsg) -> T {
        self.app
            .wrap()
            .query_wasm_smart(&self.cert, msg)
            .unwrap_or_else(|err| panic!("{msg:?}: {err}"))
    }

    fn query_err(&self, msg: &QueryMsg) -> String {
        self.app
            .wrap()
            .query_wasm_smart::<Empty>(&self.cert, msg)
            .expect_err("query should fail")
            .to_string()
    }

    fn certificate(&self, token_id: &str) -> StakeCertificate {
        let response: CertificateResponse = self.query(&QueryMsg::Certificate {
            token_id: token_id.into(),
        });
        assert_eq!(response.token_id, token_id);
        response.certificate
    }

    fn status(&self, token_id: &str) -> CertificateStatus {
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

    fn device(&self, device_id: &str) -> Option<CertificateResponse> {
        self.query(&QueryMsg::DeviceCertificate {
            device_id: device_id.into(),
        })
    }

    fn active_page(
        &self,
        time: Option<Timestamp>,
        pool: Option<&Addr>,
        start_after: Option<String>,
        limit: Option<u32>,
    ) -> Vec<CertificateResponse> {
        let response: CertificatesResponse = self.query(&QueryMsg::ActiveAt {
            time,
            pool: pool.map(Addr::to_string),
            start_after,
            limit,
        });
        response.certificates
    }

    /// Token ids active at `time`, on one page of the default size.
    fn active_ids(&self, time: Option<Timestamp>, pool: Option<&Addr>) -> Vec<String> {
        ids(&self.active_page(time, pool, None, None))
    }

    fn by_owner(&self, owner: &Addr) -> Vec<CertificateResponse> {
        let response: CertificatesResponse = self.query(&QueryMsg::CertificatesByOwner {
            owner: owner.to_string(),
            start_after: None,
            limit: Some(100),
        });
        response.certificates
    }

    fn by_pool(&self, pool: &Addr) -> Vec<CertificateResponse> {
        let response: CertificatesResponse = self.query(&QueryMsg::CertificatesByPool {
            pool: pool.to_string(),
            start_after: None,
            limit: Some(100),
        });
        response.certificates
    }

    fn all_tokens(&self) -> Vec<String> {
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

    fn num_tokens(&self) -> u64 {
        self.query::<NumTokensResponse>(&QueryMsg::NumTokens {})
            .count
    }

    fn issuers(&self) -> Vec<Addr> {
        self.query::<IssuersResponse>(&QueryMsg::Issuers {
            start_after: None,
            limit: None,
        })
        .issuers
    }

    fn ownership(&self) -> Ownership<Addr> {
        self.query(&QueryMsg::GetMinterOwnership {})
    }

    /// Everything the contract shows, through every query, plus its raw storage.
    fn snapshot(&self) -> Snapshot {
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
struct TokenView {
    certificate: CertificateResponse,
    nft_info: NftInfoResponse<StakeCertificate>,
    all_nft_info: AllNftInfoResponse<StakeCertificate>,
    owner_of: OwnerOfResponse,
    approvals: ApprovalsResponse,
}

/// The observable state: a refused call must leave every field as it was.
#[derive(Debug, PartialEq)]
struct Snapshot {
    raw: Vec<Record>,
    token_ids: Vec<String>,
    tokens: Vec<TokenView>,
    owners: Vec<(TokensResponse, Vec<CertificateResponse>)>,
    num_tokens: u64,
    by_pool: Vec<Vec<CertificateResponse>>,
    active: Vec<Vec<CertificateResponse>>,
    devices: Vec<Option<CertificateResponse>>,
    issuers: Vec<Addr>,
    ownership: Ownership<Addr>,
    minter: MinterResponse,
    collection: CollectionInfo,
}

fn commitment() -> HexBinary {
    HexBinary::from([0xab; COMMITMENT_LEN])
}

fn rate() -> Decimal {
    Decimal::percent(150)
}

/// Seller terms on `pool` for `device`, from `start` to `expiry`.
fn terms(pool: &Addr, device: &str, start: Timestamp, expiry: Timestamp) -> StakeTerms {
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
fn expected(
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

fn mint_msg(token_id: &str, owner: &Addr, terms: StakeTerms) -> ExecuteMsg {
    ExecuteMsg::Mint {
        token_id: token_id.into(),
        owner: owner.to_string(),
        terms,
        token_uri: None,
    }
}

fn ids(certificates: &[CertificateResponse]) -> Vec<String> {
    certificates.iter().map(|c| c.token_id.clone()).collect()
}

fn strings(ids: &[&str]) -> Vec<String> {
    ids.iter().map(|id| id.to_string()).collect()
}

/// The value of `key` in the response's wasm event.
fn attr(response: &AppResponse, key: &str) -> String {
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

fn is_std_generic(err: &ContractError) -> bool {
    matches!(err, ContractError::Std(StdError::GenericErr { .. }))
}

/// The day-long stake most tests start with: gpu-0 on pool_a, minted by pool_a to the miner.
fn with_one_certificate() -> Suite {
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

// ---------------------------------------------------------------------------------------------
// Instantiation.

#[test]
fn instantiate_records_the_minter_and_the_collection() {
    let s = Suite::new();
    let a = &s.a;
    let collection: CollectionInfo = s.query(&QueryMsg::ContractInfo {});
    assert_eq!(
        (collection.name.as_str(), collection.symbol.as_str()),
        (NAME, SYMBOL)
    );
    let minter: MinterResponse = s.query(&QueryMsg::Minter {});
    assert_eq!(minter.minter, Some(a.minter.to_string()));
    assert_eq!(
        s.ownership(),
        Ownership {
            owner: Some(a.minter.clone()),
            pending_owner: None,
            pending_expiry: None,
        }
    );
    assert_eq!(s.num_tokens(), 0);
    assert!(s.all_tokens().is_empty());
    let mut issuers = vec![a.pool_a.clone(), a.pool_b.clone()];
    issuers.sort();
    assert_eq!(s.issuers(), issuers);

    #[derive(Deserialize)]
    struct Cw2Record {
        contract: String,
        version: String,
    }
    let raw = s
        .app
        .wrap()
        .query_wasm_raw(&s.cert, b"contract_info".to_vec())
        .unwrap()
        .unwrap();
    let record: Cw2Record = from_json(raw).unwrap();
    assert_eq!(record.contract, loopin_stake_cert::contract::CONTRACT_NAME);
    assert_eq!(
        record.version,
        loopin_stake_cert::contract::CONTRACT_VERSION
    );
}

#[test]
fn instantiate_refuses_funds_and_a_bad_minter() {
    let mut s = Suite::new();
    let a = s.a.clone();
    let err: ContractError = contract_error(
        s.app
            .instantiate_contract(
                s.code,
                a.minter.clone(),
                &instantiate_msg(&a),
                &coins(1, DENOM),
                "st",
                None,
            )
            .map(|addr| panic!("instantiated at {addr}")),
    );
    assert_eq!(err, ContractError::Payment(PaymentError::NonPayable {}));
    assert_eq!(
        s.app.wrap().query_balance(&a.minter, DENOM).unwrap().amount,
        Uint128::new(1_000)
    );

    let result = s.app.instantiate_contract(
        s.code,
        a.minter.clone(),
        &InstantiateMsg {
            minter: INVALID_ADDR.into(),
            ..instantiate_msg(&a)
        },
        &[],
        "st",
        None,
    );
    let err = result.expect_err("invalid minter accepted");
    assert!(
        err.root_cause()
            .to_string()
            .contains("Error decoding bech32"),
        "{err:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// 1. Minting.

#[test]
fn minter_mints_for_any_pool_with_the_exact_terms() {
    let mut s = Suite::new();
    let a = s.a.clone();
    let period = (ts(T0), ts(T0 + 10 * HOUR));
    let response = s
        .exec(
            &a.minter,
            &ExecuteMsg::Mint {
                token_id: "st-c".into(),
                owner: a.miner.to_string(),
                terms: terms(&a.pool_c, "gpu-0", period.0, period.1),
                token_uri: Some("ipfs://cert".into()),
            },
        )
        .unwrap();
    for (key, value) in [
        ("action", "mint".to_string()),
        ("token_id", "st-c".into()),
        ("owner", a.miner.to_string()),
        ("pool", a.pool_c.to_string()),
        ("device_id", "gpu-0".into()),
        ("mode", "Seller".into()),
        ("start", T0.to_string()),
        ("expiry", (T0 + 10 * HOUR).to_string()),
        ("rate", "1.5".into()),
    ] {
        assert_eq!(attr(&response, key), value, "{key}");
    }
    let cert = expected(&a.pool_c, "gpu-0", &a.miner, period, Active);
    assert_eq!(s.certificate("st-c"), cert);

    // A liquidity provider's stake on an issuer's pool, starting later, from the minter too.
    let lp_period = (ts(T0 + HOUR), ts(T0 + 5 * HOUR));
    let mut lp_terms = terms(&a.pool_a, "gpu-1", lp_period.0, lp_period.1);
    lp_terms.mode = StakeMode::LiquidityProvider;
    lp_terms.rate = Decimal::permille(1);
    s.mint(&a.minter, "st-a", &a.miner2, lp_terms);
    let lp = StakeCertificate {
        mode: StakeMode::LiquidityProvider,
        rate: Decimal::permille(1),
        ..expected(&a.pool_a, "gpu-1", &a.miner2, lp_period, Active)
    };
    assert_eq!(s.certificate("st-a"), lp);

    // Every cw721 view agrees.
    let nft: NftInfoResponse<StakeCertificate> = s.query(&QueryMsg::NftInfo {
        token_id: "st-c".into(),
    });
    assert_eq!(
        nft,
        NftInfoResponse {
            token_uri: Some("ipfs://cert".into()),
            extension: cert.clone(),
        }
    );
    let all: AllNftInfoResponse<StakeCertificate> = s.query(&QueryMsg::AllNftInfo {
        token_id: "st-a".into(),
        include_expired: None,
    });
    assert_eq!(all.access.owner, a.miner2.to_string());
    assert!(all.access.approvals.is_empty());
    assert_eq!(all.info.token_uri, None);
    assert_eq!(all.info.extension, lp);
    let owner: OwnerOfResponse = s.query(&QueryMsg::OwnerOf {
        token_id: "st-c".into(),
        include_expired: None,
    });
    assert_eq!(owner.owner, a.miner.to_string());
    assert!(owner.approvals.is_empty());
    assert_eq!(s.num_tokens(), 2);
    assert_eq!(s.all_tokens(), strings(&["st-a", "st-c"]));
    let tokens: TokensResponse = s.query(&QueryMsg::Tokens {
        owner: a.miner.to_string(),
        start_after: None,
        limit: None,
    });
    assert_eq!(tokens.tokens, strings(&["st-c"]));
    assert_eq!(ids(&s.by_pool(&a.pool_c)), strings(&["st-c"]));
    assert_eq!(ids(&s.by_pool(&a.pool_a)), strings(&["st-a"]));
    assert_eq!(ids(&s.by_owner(&a.miner2)), strings(&["st-a"]));
    assert_eq!(s.device("gpu-0").unwrap().certificate, cert);
}

#[test]
fn issuers_mint_only_for_their_own_pool() {
    let mut s = Suite::new();
    let a = s.a.clone();
    let period = (ts(T0), ts(T0 + HOUR));
    s.mint(
        &a.pool_a,
        "st-a",
        &a.miner,
        terms(&a.pool_a, "gpu-0", period.0, period.1),
    );
    assert_eq!(
        s.certificate("st-a"),
        expected(&a.pool_a, "gpu-0", &a.miner, period, Active)
    );

    for (issuer, pool) in [
        (&a.pool_a, &a.pool_b),
        (&a.pool_a, &a.pool_c),
        (&a.pool_b, &a.pool_a),
    ] {
        let err = s.refuse(
            issuer,
            &mint_msg("st-x", &a.miner, terms(pool, "gpu-1", period.0, period.1)),
        );
        assert_eq!(
            err,
            ContractError::ForeignPool {
                issuer: issuer.to_string(),
                pool: pool.to_string(),
            }
        );
    }

    // Anyone else, for any pool, including their own address as the pool.
    for sender in [&a.pool_c, &a.miner, &a.stranger, &a.admin, &a.minter2] {
        for pool in [&a.pool_a, &a.pool_c, sender] {
            let msg = mint_msg("st-x", &a.miner, terms(pool, "gpu-1", period.0, period.1));
            assert_eq!(s.refuse(sender, &msg), ContractError::Unauthorized {});
        }
    }

    // A removed issuer is a stranger again; its certificates stay.
    s.exec(
        &a.minter,
        &ExecuteMsg::RemoveIssuer {
            issuer: a.pool_a.to_string(),
        },
    )
    .unwrap();
    let msg = mint_msg(
        "st-x",
        &a.miner,
        terms(&a.pool_a, "gpu-1", period.0, period.1),
    );
    assert_eq!(s.refuse(&a.pool_a, &msg), ContractError::Unauthorized {});
    assert_eq!(s.certificate("st-a").status, Active);
    // The other issuer still mints for itself.
    s.mint(
        &a.pool_b,
        "st-b",
        &a.miner,
        terms(&a.pool_b, "gpu-1", period.0, period.1),
    );
    assert_eq!(s.all_tokens(), strings(&["st-a", "st-b"]));
}

#[test]
fn only_the_minter_adds_and_removes_issuers() {
    let mut s = Suite::new();
    let a = s.a.clone();
    let add = |issuer: &Addr| ExecuteMsg::AddIssuer {
        issuer: issuer.to_string(),
    };
    let remove = |issuer: &Addr| ExecuteMsg::RemoveIssuer {
        issuer: issuer.to_string(),
    };
    for sender in [&a.pool_a, &a.pool_c, &a.miner, &a.stranger, &a.admin] {
        assert_eq!(
            s.refuse(sender, &add(&a.pool_c)),
            ContractError::Unauthorized {}
        );
        assert_eq!(
            s.refuse(sender, &remove(&a.pool_b)),
            ContractError::Unauthorized {}
        );
        // An issuer cannot remove itself either.
        assert_eq!(
            s.refuse(sender, &remove(&a.pool_a)),
            ContractError::Unauthorized {}
        );
    }
    assert_eq!(
        s.refuse(&a.minter, &add(&a.pool_a)),
        ContractError::IssuerExists {
            issuer: a.pool_a.to_string()
        }
    );
    assert_eq!(
        s.refuse(&a.minter, &remove(&a.pool_c)),
        ContractError::IssuerNotFound {
            issuer: a.pool_c.to_string()
        }
    );
    assert!(is_std_generic(&s.refuse(
        &a.minter,
        &ExecuteMsg::AddIssuer {
            issuer: INVALID_ADDR.into()
        }
    )));
    assert!(is_std_generic(&s.refuse(
        &a.minter,
        &ExecuteMsg::RemoveIssuer {
            issuer: INVALID_ADDR.into()
        }
    )));

    let response = s.exec(&a.minter, &add(&a.pool_c)).unwrap();
    assert_eq!(attr(&response, "action"), "add_issuer");
    assert_eq!(attr(&response, "issuer"), a.pool_c.to_string());
    let mut all = vec![a.pool_a.clone(), a.pool_b.clone(), a.pool_c.clone()];
    all.sort();
    assert_eq!(s.issuers(), all);
    // Issuers paginate.
    let page: IssuersResponse = s.query(&QueryMsg::Issuers {
        start_after: None,
        limit: Some(2),
    });
    assert_eq!(page.issuers, all[..2]);
    let page: IssuersResponse = s.query(&QueryMsg::Issuers {
        start_after: Some(all[1].to_string()),
        limit: Some(2),
    });
    assert_eq!(page.issuers, all[2..]);

    let response = s.exec(&a.minter, &remove(&a.pool_b)).unwrap();
    assert_eq!(attr(&response, "action"), "remove_issuer");
    assert_eq!(attr(&response, "issuer"), a.pool_b.to_string());
    all.retain(|p| *p != a.pool_b);
    assert_eq!(s.issuers(), all);
    assert_eq!(
        s.refuse(&a.minter, &remove(&a.pool_b)),
        ContractError::IssuerNotFound {
            issuer: a.pool_b.to_string()
        }
    );
    // The new issuer mints for its own pool; the removed one no longer can.
    s.mint(
        &a.pool_c,
        "st-c",
        &a.miner,
        terms(&a.pool_c, "gpu-0", ts(T0), ts(T0 + HOUR)),
    );
    assert_eq!(s.certificate("st-c").pool, a.pool_c);
    let msg = mint_msg(
        "st-b",
        &a.miner,
        terms(&a.pool_b, "gpu-1", ts(T0), ts(T0 + HOUR)),
    );
    assert_eq!(s.refuse(&a.pool_b, &msg), ContractError::Unauthorized {});
}

#[test]
fn token_ids_are_never_reused_while_the_certificate_exists() {
    let mut s = with_one_certificate();
    let a = s.a.clone();
    for sender in [&a.minter, &a.pool_a] {
        let msg = mint_msg(
            "st-1",
            &a.miner2,
            terms(&a.pool_a, "gpu-1", ts(T0), ts(T0 + HOUR)),
        );
        assert_eq!(
            s.refuse(sender, &msg),
            ContractError::TokenIdTaken {
                token_id: "st-1".into()
            }
        );
    }
    // Not even once the certificate is invalidated or expired.
    s.exec(
        &a.minter,
        &ExecuteMsg::Invalidate {
            token_id: "st-1".into(),
            reason: "failed challenge".into(),
        },
    )
    .unwrap();
    s.set_time(ts(T0 + 48 * HOUR));
    let msg = mint_msg(
        "st-1",
        &a.miner2,
        terms(&a.pool_a, "gpu-1", s.now(), ts(T0 + 49 * HOUR)),
    );
    assert_eq!(
        s.refuse(&a.minter, &msg),
        ContractError::TokenIdTaken {
            token_id: "st-1".into()
        }
    );
    assert_eq!(
        s.certificate("st-1"),
        expected(
            &a.pool_a,
            "gpu-0",
            &a.miner,
            (ts(T0), ts(T0 + 24 * HOUR)),
            Invalidated
        )
    );
}

#[test]
fn a_device_holds_one_valid_certificate_at_a_time() {
    let mut s = with_one_certificate();
    let a = s.a.clone();
    let staked = |token_id: &str| ContractError::DeviceAlreadyStaked {
        device_id: "gpu-0".into(),
        token_id: token_id.into(),
    };
    // Refused while st-1 is unexpired: from any pool, by any authorised sender, even for a
    // period after st-1's expiry.
    for (sender, pool, start, expiry) in [
        (&a.pool_a, &a.pool_a, T0, T0 + HOUR),
        (&a.minter, &a.pool_c, T0 + HOUR, T0 + 2 * HOUR),
        (&a.pool_b, &a.pool_b, T0 + 30 * HOUR, T0 + 40 * HOUR),
    ] {
        let msg = mint_msg(
            "st-2",
            &a.miner,
            terms(pool, "gpu-0", ts(start), ts(expiry)),
        );
        assert_eq!(s.refuse(sender, &msg), staked("st-1"));
    }
    // Another device is free.
    s.mint(
        &a.pool_b,
        "st-other",
        &a.miner,
        terms(&a.pool_b, "gpu-1", ts(T0), ts(T0 + HOUR)),
    );

    // One nanosecond before expiry: still staked.
    s.set_time(ts(T0 + 24 * HOUR).minus_nanos(1));
    let msg = mint_msg(
        "st-2",
        &a.miner,
        terms(&a.pool_b, "gpu-0", s.now(), ts(T0 + 30 * HOUR)),
    );
    assert_eq!(s.refuse(&a.pool_b, &msg), staked("st-1"));

    // At expiry: free again, from another pool.
    s.set_time(ts(T0 + 24 * HOUR));
    assert_eq!(s.device("gpu-0"), None);
    s.mint(
        &a.pool_b,
        "st-2",
        &a.miner2,
        terms(&a.pool_b, "gpu-0", s.now(), ts(T0 + 30 * HOUR)),
    );
    assert_eq!(s.device("gpu-0").unwrap().token_id, "st-2");
    let msg = mint_msg(
        "st-3",
        &a.miner,
        terms(&a.pool_a, "gpu-0", s.now(), ts(T0 + 30 * HOUR)),
    );
    assert_eq!(s.refuse(&a.pool_a, &msg), staked("st-2"));

    // After invalidation: free at once.
    s.exec(
        &a.pool_b,
        &ExecuteMsg::Invalidate {
            token_id: "st-2".into(),
            reason: "failed challenge".into(),
        },
    )
    .unwrap();
    assert_eq!(s.device("gpu-0"), None);
    s.mint(
        &a.pool_a,
        "st-3",
        &a.miner,
        terms(&a.pool_a, "gpu-0", s.now(), ts(T0 + 30 * HOUR)),
    );
    assert_eq!(s.device("gpu-0").unwrap().token_id, "st-3");

    // After an early Expire: free at once.
    s.exec(
        &a.pool_a,
        &ExecuteMsg::Expire {
            token_id: "st-3".into(),
        },
    )
    .unwrap();
    assert_eq!(s.device("gpu-0"), None);
    s.mint(
        &a.minter,
        "st-4",
        &a.miner,
        terms(&a.pool_c, "gpu-0", s.now(), ts(T0 + 30 * HOUR)),
    );
    assert_eq!(s.device("gpu-0").unwrap().token_id, "st-4");

    // Burning an old certificate of the device leaves the current one in place.
    s.exec(
        &a.minter,
        &ExecuteMsg::Burn {
            token_id: "st-2".into(),
        },
    )
    .unwrap();
    assert_eq!(s.device("gpu-0").unwrap().token_id, "st-4");
    let msg = mint_msg(
        "st-5",
        &a.miner,
        terms(&a.pool_a, "gpu-0", s.now(), ts(T0 + 30 * HOUR)),
    );
    assert_eq!(s.refuse(&a.pool_a, &msg), staked("st-4"));

    // After a burn by the protocol: free at once.
    s.exec(
        &a.minter,
        &ExecuteMsg::Burn {
            token_id: "st-4".into(),
        },
    )
    .unwrap();
    assert_eq!(s.device("gpu-0"), None);
    s.mint(
        &a.pool_a,
        "st-5",
        &a.miner,
        terms(&a.pool_a, "gpu-0", s.now(), ts(T0 + 30 * HOUR)),
    );
    assert_eq!(s.device("gpu-0").unwrap().token_id, "st-5");
    assert_eq!(
        s.all_tokens(),
        strings(&["st-1", "st-3", "st-5", "st-other"])
    );
}

// ---------------------------------------------------------------------------------------------
// 2. Soulbound.

/// Every transfer and approval message for `token_id`, with the error each must get.
fn soulbound_messages(a: &Actors, token_id: &str) -> Vec<(ExecuteMsg, ContractError)> {
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

#[test]
fn certificates_cannot_be_transferred_approved_or_burned_by_owners_and_nothing_changes() {
    let mut s = with_one_certificate();
    let a = s.a.clone();
    s.mint(
        &a.minter,
        "st-2",
        &a.miner2,
        terms(&a.pool_c, "gpu-1", ts(T0 + HOUR), ts(T0 + 5 * HOUR)),
    );
    s.mint(
        &a.pool_b,
        "st-3",
        &a.miner,
        terms(&a.pool_b, "gpu-2", ts(T0), ts(T0 + 5 * HOUR)),
    );
    s.exec(
        &a.pool_b,
        &ExecuteMsg::Invalidate {
            token_id: "st-3".into(),
            reason: "failed challenge".into(),
        },
    )
    .unwrap();
    let before = s.snapshot();

    // Owner, other miner, stranger, the minter and issuers: all refused, on live, invalidated
    // and unknown certificates alike.
    let senders = [
        &a.miner,
        &a.miner2,
        &a.stranger,
        &a.minter,
        &a.pool_a,
        &a.pool_b,
        &a.admin,
    ];
    for token_id in ["st-1", "st-2", "st-3", "unknown"] {
        for (msg, expected_err) in soulbound_messages(&a, token_id) {
            for sender in senders {
                assert_eq!(s.refuse(sender, &msg), expected_err, "{sender} {msg:?}");
            }
        }
    }
    // Owners and strangers cannot burn.
    for (sender, token_id) in [
        (&a.miner, "st-1"),
        (&a.miner2, "st-2"),
        (&a.miner, "st-3"),
        (&a.miner2, "st-1"),
        (&a.stranger, "st-1"),
        (&a.pool_c, "st-2"),
        (&a.admin, "st-1"),
        (&a.stranger, "unknown"),
    ] {
        let msg = ExecuteMsg::Burn {
            token_id: token_id.into(),
        };
        assert_eq!(s.refuse(sender, &msg), ContractError::BurnRestricted {});
    }
    // An issuer cannot burn another pool's certificate.
    for (issuer, token_id, pool) in [
        (&a.pool_b, "st-1", &a.pool_a),
        (&a.pool_a, "st-2", &a.pool_c),
        (&a.pool_a, "st-3", &a.pool_b),
    ] {
        let msg = ExecuteMsg::Burn {
            token_id: token_id.into(),
        };
        assert_eq!(
            s.refuse(issuer, &msg),
            ContractError::ForeignPool {
                issuer: issuer.to_string(),
                pool: pool.to_string(),
            }
        );
    }
    assert_eq!(before, s.snapshot());
    for token_id in ["st-1", "st-2", "st-3"] {
        let owner: OwnerOfResponse = s.query(&QueryMsg::OwnerOf {
            token_id: token_id.into(),
            include_expired: Some(true),
        });
        assert!(owner.approvals.is_empty());
        let approvals: ApprovalsResponse = s.query(&QueryMsg::Approvals {
            token_id: token_id.into(),
            include_expired: Some(true),
        });
        assert!(approvals.approvals.is_empty());
    }
    let owner: OwnerOfResponse = s.query(&QueryMsg::OwnerOf {
        token_id: "st-1".into(),
        include_expired: None,
    });
    assert_eq!(owner.owner, a.miner.to_string());

    // The protocol burns: the minter any certificate, an issuer its own pool's.
    s.exec(
        &a.pool_a,
        &ExecuteMsg::Burn {
            token_id: "st-1".into(),
        },
    )
    .unwrap();
    let after_one = s.snapshot();
    assert_ne!(before, after_one, "a burn shows in the snapshot");
    s.exec(
        &a.minter,
        &ExecuteMsg::Burn {
            token_id: "st-2".into(),
        },
    )
    .unwrap();
    s.exec(
        &a.pool_b,
        &ExecuteMsg::Burn {
            token_id: "st-3".into(),
        },
    )
    .unwrap();
    assert_eq!(s.num_tokens(), 0);
    assert!(s.all_tokens().is_empty());
}

#[test]
fn a_burn_by_the_protocol_removes_every_trace() {
    let mut s = with_one_certificate();
    let a = s.a.clone();
    s.mint(
        &a.pool_a,
        "st-2",
        &a.miner,
        terms(&a.pool_a, "gpu-1", ts(T0), ts(T0 + 48 * HOUR)),
    );
    assert_eq!(s.active_ids(None, None), strings(&["st-1", "st-2"]));

    let response = s
        .exec(
            &a.minter,
            &ExecuteMsg::Burn {
                token_id: "st-1".into(),
            },
        )
        .unwrap();
    assert_eq!(attr(&response, "action"), "burn");
    assert_eq!(attr(&response, "token_id"), "st-1");
    assert_eq!(attr(&response, "owner"), a.miner.to_string());

    assert_eq!(s.num_tokens(), 1);
    assert_eq!(s.all_tokens(), strings(&["st-2"]));
    let tokens: TokensResponse = s.query(&QueryMsg::Tokens {
        owner: a.miner.to_string(),
        start_after: None,
        limit: None,
    });
    assert_eq!(tokens.tokens, strings(&["st-2"]));
    assert_eq!(ids(&s.by_owner(&a.miner)), strings(&["st-2"]));
    assert_eq!(ids(&s.by_pool(&a.pool_a)), strings(&["st-2"]));
    assert_eq!(s.active_ids(None, None), strings(&["st-2"]));
    assert_eq!(s.active_ids(None, Some(&a.pool_a)), strings(&["st-2"]));
    assert_eq!(s.active_ids(Some(ts(T0 + HOUR)), None), strings(&["st-2"]));
    assert_eq!(s.device("gpu-0"), None);
    assert_eq!(s.device("gpu-1").unwrap().token_id, "st-2");
    for msg in [
        QueryMsg::Certificate {
            token_id: "st-1".into(),
        },
        QueryMsg::NftInfo {
            token_id: "st-1".into(),
        },
        QueryMsg::AllNftInfo {
            token_id: "st-1".into(),
            include_expired: None,
        },
        QueryMsg::OwnerOf {
            token_id: "st-1".into(),
            include_expired: None,
        },
        QueryMsg::Approvals {
            token_id: "st-1".into(),
            include_expired: None,
        },
    ] {
        assert!(s.query_err(&msg).contains("not found"), "{msg:?}");
    }
    // Burned once; gone for every later call.
    for sender in [&a.minter, &a.pool_a] {
        let msg = ExecuteMsg::Burn {
            token_id: "st-1".into(),
        };
        assert_eq!(
            s.refuse(sender, &msg),
            ContractError::CertificateNotFound {
                token_id: "st-1".into()
            }
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 3. Status changes.

#[test]
fn only_the_minter_or_the_certificates_issuer_changes_status() {
    let mut s = with_one_certificate();
    let a = s.a.clone();
    s.mint(
        &a.minter,
        "st-c",
        &a.miner,
        terms(&a.pool_c, "gpu-1", ts(T0), ts(T0 + 24 * HOUR)),
    );
    let changes = |token_id: &str| {
        vec![
            ExecuteMsg::Extend {
                token_id: token_id.into(),
                expiry: ts(T0 + 48 * HOUR),
            },
            ExecuteMsg::Expire {
                token_id: token_id.into(),
            },
            ExecuteMsg::Invalidate {
                token_id: token_id.into(),
                reason: "failed challenge".into(),
            },
        ]
    };
    for token_id in ["st-1", "st-c", "unknown"] {
        for msg in changes(token_id) {
            for sender in [&a.miner, &a.miner2, &a.stranger, &a.admin, &a.minter2] {
                assert_eq!(
                    s.refuse(sender, &msg),
                    ContractError::Unauthorized {},
                    "{sender} {msg:?}"
                );
            }
        }
    }
    // pool_c is not an issuer, even for its own certificate.
    for msg in changes("st-c") {
        assert_eq!(s.refuse(&a.pool_c, &msg), ContractError::Unauthorized {});
    }
    for (issuer, token_id, pool) in [
        (&a.pool_b, "st-1", &a.pool_a),
        (&a.pool_a, "st-c", &a.pool_c),
    ] {
        for msg in changes(token_id) {
            assert_eq!(
                s.refuse(issuer, &msg),
                ContractError::ForeignPool {
                    issuer: issuer.to_string(),
                    pool: pool.to_string(),
                }
            );
        }
    }
    for sender in [&a.minter, &a.pool_a] {
        for msg in changes("unknown") {
            assert_eq!(
                s.refuse(sender, &msg),
                ContractError::CertificateNotFound {
                    token_id: "unknown".into()
                }
            );
        }
    }
    assert_eq!(s.status("st-1"), Active);
    assert_eq!(s.status("st-c"), Active);

    // The issuer extends its own; the minter any.
    s.exec(&a.pool_a, &changes("st-1")[0]).unwrap();
    s.exec(&a.minter, &changes("st-c")[0]).unwrap();
    assert_eq!(s.certificate("st-1").expiry, ts(T0 + 48 * HOUR));
    assert_eq!(s.certificate("st-c").expiry, ts(T0 + 48 * HOUR));
}

#[test]
fn invalidation_is_final_and_reported() {
    let mut s = with_one_certificate();
    let a = s.a.clone();
    s.set_time(ts(T0 + HOUR));
    for reason in [String::new(), "x".repeat(MAX_REASON_LEN + 1)] {
        for sender in [&a.minter, &a.pool_a] {
            let msg = ExecuteMsg::Invalidate {
                token_id: "st-1".into(),
                reason: reason.clone(),
            };
            assert_eq!(s.refuse(sender, &msg), ContractError::InvalidReason {});
        }
    }
    let reason = "r".repeat(MAX_REASON_LEN);
    let response = s
        .exec(
            &a.pool_a,
            &ExecuteMsg::Invalidate {
                token_id: "st-1".into(),
                reason: reason.clone(),
            },
        )
        .unwrap();
    for (key, value) in [
        ("action", "invalidate".to_string()),
        ("token_id", "st-1".into()),
        ("pool", a.pool_a.to_string()),
        ("device_id", "gpu-0".into()),
        ("reason", reason),
    ] {
        assert_eq!(attr(&response, key), value, "{key}");
    }
    // Expiry and start are kept; only the status changes.
    let invalid = expected(
        &a.pool_a,
        "gpu-0",
        &a.miner,
        (ts(T0), ts(T0 + 24 * HOUR)),
        Invalidated,
    );
    assert_eq!(s.certificate("st-1"), invalid);
    assert_eq!(s.status("st-1"), Invalidated);
    let all: AllNftInfoResponse<StakeCertificate> = s.query(&QueryMsg::AllNftInfo {
        token_id: "st-1".into(),
        include_expired: None,
    });
    assert_eq!(all.info.extension, invalid);
    assert_eq!(s.device("gpu-0"), None);
    assert!(s.active_ids(None, None).is_empty());
    // Not even for a time before the invalidation: the status has no history.
    assert!(s.active_ids(Some(ts(T0)), None).is_empty());
    assert_eq!(s.by_owner(&a.miner)[0].certificate, invalid);
    assert_eq!(s.by_pool(&a.pool_a)[0].certificate, invalid);

    for sender in [&a.minter, &a.pool_a] {
        let msg = ExecuteMsg::Invalidate {
            token_id: "st-1".into(),
            reason: "again".into(),
        };
        assert_eq!(
            s.refuse(sender, &msg),
            ContractError::AlreadyInvalidated {
                token_id: "st-1".into()
            }
        );
        let not_active = ContractError::NotActive {
            token_id: "st-1".into(),
            status: Invalidated,
        };
        let msg = ExecuteMsg::Extend {
            token_id: "st-1".into(),
            expiry: ts(T0 + 100 * HOUR),
        };
        assert_eq!(s.refuse(sender, &msg), not_active);
        let msg = ExecuteMsg::Expire {
            token_id: "st-1".into(),
        };
        assert_eq!(s.refuse(sender, &msg), not_active);
    }
    // Invalidated stays invalidated past its expiry.
    s.set_time(ts(T0 + 100 * HOUR));
    assert_eq!(s.status("st-1"), Invalidated);

    // A certificate that expired can still be invalidated (a challenge that fails late).
    s.mint(
        &a.pool_a,
        "st-2",
        &a.miner,
        terms(&a.pool_a, "gpu-0", s.now(), ts(T0 + 101 * HOUR)),
    );
    s.set_time(ts(T0 + 102 * HOUR));
    assert_eq!(s.status("st-2"), Expired);
    s.exec(
        &a.minter,
        &ExecuteMsg::Invalidate {
            token_id: "st-2".into(),
            reason: "late".into(),
        },
    )
    .unwrap();
    assert_eq!(s.status("st-2"), Invalidated);
}

#[test]
fn expire_ends_the_stake_at_the_current_block_time() {
    let mut s = with_one_certificate();
    let a = s.a.clone();
    s.mint(
        &a.minter,
        "st-later",
        &a.miner2,
        terms(&a.pool_c, "gpu-1", ts(T0 + 10 * HOUR), ts(T0 + 20 * HOUR)),
    );
    s.set_time(ts(T0 + 5 * HOUR).plus_nanos(7));
    let response = s
        .exec(
            &a.pool_a,
            &ExecuteMsg::Expire {
                token_id: "st-1".into(),
            },
        )
        .unwrap();
    assert_eq!(attr(&response, "action"), "expire");
    assert_eq!(attr(&response, "token_id"), "st-1");
    assert_eq!(attr(&response, "expiry"), (T0 + 5 * HOUR).to_string());
    let now = s.now();
    assert_eq!(
        s.certificate("st-1"),
        expected(&a.pool_a, "gpu-0", &a.miner, (ts(T0), now), Expired)
    );
    assert_eq!(s.status("st-1"), Expired);
    assert_eq!(s.device("gpu-0"), None);
    assert!(s.active_ids(None, None).is_empty());
    assert!(s.active_ids(Some(ts(T0 + HOUR)), None).is_empty());

    // A stake that had not started yet: its period collapses to now.
    s.exec(
        &a.minter,
        &ExecuteMsg::Expire {
            token_id: "st-later".into(),
        },
    )
    .unwrap();
    assert_eq!(
        s.certificate("st-later"),
        expected(&a.pool_c, "gpu-1", &a.miner2, (now, now), Expired)
    );
    assert!(s.active_ids(Some(ts(T0 + 15 * HOUR)), None).is_empty());

    let not_active = |token_id: &str| ContractError::NotActive {
        token_id: token_id.into(),
        status: Expired,
    };
    for sender in [&a.minter, &a.pool_a] {
        let msg = ExecuteMsg::Expire {
            token_id: "st-1".into(),
        };
        assert_eq!(s.refuse(sender, &msg), not_active("st-1"));
        let msg = ExecuteMsg::Extend {
            token_id: "st-1".into(),
            expiry: ts(T0 + 100 * HOUR),
        };
        assert_eq!(s.refuse(sender, &msg), not_active("st-1"));
    }

    // A certificate past its expiry reads Expired and cannot be expired again.
    s.mint(
        &a.pool_b,
        "st-3",
        &a.miner,
        terms(&a.pool_b, "gpu-2", s.now(), ts(T0 + 6 * HOUR)),
    );
    s.set_time(ts(T0 + 6 * HOUR));
    for msg in [
        ExecuteMsg::Expire {
            token_id: "st-3".into(),
        },
        ExecuteMsg::Extend {
            token_id: "st-3".into(),
            expiry: ts(T0 + 7 * HOUR),
        },
    ] {
        assert_eq!(s.refuse(&a.pool_b, &msg), not_active("st-3"));
    }
    // Its recorded expiry is kept: it was active until then.
    assert_eq!(s.certificate("st-3").expiry, ts(T0 + 6 * HOUR));
    assert_eq!(
        s.active_ids(Some(ts(T0 + 6 * HOUR).minus_nanos(1)), None),
        strings(&["st-3"])
    );
}

#[test]
fn extend_moves_the_expiry_later_only() {
    let mut s = with_one_certificate();
    let a = s.a.clone();
    s.mint(
        &a.pool_a,
        "st-2",
        &a.miner,
        terms(&a.pool_a, "gpu-1", ts(T0), ts(T0 + 30 * HOUR)),
    );
    assert_eq!(s.active_ids(None, None), strings(&["st-1", "st-2"]));
    let current = ts(T0 + 24 * HOUR);
    for expiry in [current, current.minus_nanos(1), ts(T0), ts(T0 - HOUR)] {
        for sender in [&a.minter, &a.pool_a] {
            let msg = ExecuteMsg::Extend {
                token_id: "st-1".into(),
                expiry,
            };
            assert_eq!(
                s.refuse(sender, &msg),
                ContractError::ExpiryNotLater { expiry, current }
            );
        }
    }
    let response = s
        .exec(
            &a.pool_a,
            &ExecuteMsg::Extend {
                token_id: "st-1".into(),
                expiry: ts(T0 + 36 * HOUR),
            },
        )
        .unwrap();
    assert_eq!(attr(&response, "action"), "extend");
    assert_eq!(attr(&response, "token_id"), "st-1");
    assert_eq!(attr(&response, "expiry"), (T0 + 36 * HOUR).to_string());
    assert_eq!(
        s.certificate("st-1"),
        expected(
            &a.pool_a,
            "gpu-0",
            &a.miner,
            (ts(T0), ts(T0 + 36 * HOUR)),
            Active
        )
    );
    // The index follows: st-1 now expires after st-2, and is active past its old expiry.
    assert_eq!(s.active_ids(None, None), strings(&["st-2", "st-1"]));
    assert_eq!(
        s.active_ids(Some(ts(T0 + 24 * HOUR)), None),
        strings(&["st-2", "st-1"])
    );
    assert_eq!(
        s.active_ids(Some(ts(T0 + 30 * HOUR)), Some(&a.pool_a)),
        strings(&["st-1"])
    );
    // The old expiry no longer ends it.
    s.set_time(ts(T0 + 24 * HOUR));
    assert_eq!(s.status("st-1"), Active);
    // By the minter, one nanosecond later than the current expiry is enough.
    s.exec(
        &a.minter,
        &ExecuteMsg::Extend {
            token_id: "st-1".into(),
            expiry: ts(T0 + 36 * HOUR).plus_nanos(1),
        },
    )
    .unwrap();
    assert_eq!(
        s.certificate("st-1").expiry,
        ts(T0 + 36 * HOUR).plus_nanos(1)
    );

    // Once expired, it cannot be revived.
    s.set_time(ts(T0 + 36 * HOUR).plus_nanos(1));
    let msg = ExecuteMsg::Extend {
        token_id: "st-1".into(),
        expiry: ts(T0 + 100 * HOUR),
    };
    assert_eq!(
        s.refuse(&a.pool_a, &msg),
        ContractError::NotActive {
            token_id: "st-1".into(),
            status: Expired
        }
    );
    assert_eq!(s.status("st-1"), Expired);
}

// ---------------------------------------------------------------------------------------------
// 4. Expiry follows block time.

#[test]
fn status_and_queries_follow_block_time() {
    let mut s = Suite::new();
    let a = s.a.clone();
    let (start, expiry) = (ts(T0 + 10 * HOUR), ts(T0 + 20 * HOUR));
    s.mint(
        &a.pool_a,
        "st-1",
        &a.miner,
        terms(&a.pool_a, "gpu-0", start, expiry),
    );
    s.mint(
        &a.pool_b,
        "st-bad",
        &a.miner,
        terms(&a.pool_b, "gpu-1", start, expiry),
    );
    s.exec(
        &a.pool_b,
        &ExecuteMsg::Invalidate {
            token_id: "st-bad".into(),
            reason: "failed challenge".into(),
        },
    )
    .unwrap();
    let cert = |status| expected(&a.pool_a, "gpu-0", &a.miner, (start, expiry), status);

    // ActiveAt for explicit times, queried before anything happens.
    let one = strings(&["st-1"]);
    let none: Vec<String> = vec![];
    for (time, want) in [
        (ts(T0), &none),
        (start.minus_nanos(1), &none),
        (start, &one),
        (ts(T0 + 15 * HOUR), &one),
        (expiry.minus_nanos(1), &one),
        (expiry, &none),
        (ts(T0 + 100 * HOUR), &none),
    ] {
        assert_eq!(&s.active_ids(Some(time), None), want, "at {time}");
        assert_eq!(
            &s.active_ids(Some(time), Some(&a.pool_a)),
            want,
            "at {time}"
        );
        assert!(s.active_ids(Some(time), Some(&a.pool_b)).is_empty());
        assert!(s.active_ids(Some(time), Some(&a.pool_c)).is_empty());
    }
    let page = s.active_page(Some(ts(T0 + 15 * HOUR)), None, None, None);
    assert_eq!(page[0].certificate, cert(Active));

    // Block time moves; every view follows.
    for (time, status, active) in [
        (ts(T0), Active, false),
        (start.minus_nanos(1), Active, false),
        (start, Active, true),
        (expiry.minus_nanos(1), Active, true),
        (expiry, Expired, false),
        (expiry.plus_nanos(1), Expired, false),
        (ts(T0 + 1_000 * HOUR), Expired, false),
    ] {
        s.set_time(time);
        assert_eq!(s.certificate("st-1"), cert(status), "at {time}");
        assert_eq!(s.status("st-1"), status);
        let all: AllNftInfoResponse<StakeCertificate> = s.query(&QueryMsg::AllNftInfo {
            token_id: "st-1".into(),
            include_expired: None,
        });
        assert_eq!(all.info.extension.status, status);
        assert_eq!(s.by_owner(&a.miner)[0].certificate, cert(status));
        assert_eq!(s.by_pool(&a.pool_a)[0].certificate, cert(status));
        assert_eq!(s.status("st-bad"), Invalidated);
        assert_eq!(s.by_pool(&a.pool_b)[0].certificate.status, Invalidated);
        // The device's certificate: until expiry, even before the stake starts.
        let device = s.device("gpu-0");
        if status == Active {
            assert_eq!(device.unwrap().certificate, cert(Active));
        } else {
            assert_eq!(device, None);
        }
        assert_eq!(s.device("gpu-1"), None);
        let want = if active { one.clone() } else { vec![] };
        assert_eq!(s.active_ids(None, None), want, "at {time}");
        assert_eq!(s.active_ids(Some(time), None), want);
        assert_eq!(s.active_ids(None, Some(&a.pool_a)), want);
        assert!(s.active_ids(None, Some(&a.pool_b)).is_empty());
        // Past times are answered from the record, whatever the block time.
        assert_eq!(s.active_ids(Some(ts(T0 + 15 * HOUR)), None), one);
    }
}

/// A certificate as the test expects the contract to hold it.
#[derive(Clone, Debug)]
struct Model {
    token_id: String,
    pool: Addr,
    start: Timestamp,
    expiry: Timestamp,
    status: CertificateStatus,
}

fn expected_active<'m>(
    models: &'m [Model],
    time: Timestamp,
    pool: Option<&Addr>,
) -> Vec<&'m Model> {
    let mut active: Vec<&Model> = models
        .iter()
        .filter(|m| {
            pool.is_none_or(|p| m.pool == *p)
                && m.status == Active
                && m.start <= time
                && time < m.expiry
        })
        .collect();
    active.sort_by(|x, y| (x.expiry, &x.token_id).cmp(&(y.expiry, &y.token_id)));
    active
}

/// Pages through ActiveAt with `limit`, checking each page's size, and returns every result.
fn page_through(
    s: &Suite,
    time: Option<Timestamp>,
    pool: Option<&Addr>,
    limit: u32,
) -> Vec<CertificateResponse> {
    let mut all: Vec<CertificateResponse> = Vec::new();
    loop {
        let cursor = all.last().map(|c| c.token_id.clone());
        let page = s.active_page(time, pool, cursor, Some(limit));
        assert!(page.len() <= limit as usize);
        if page.is_empty() {
            return all;
        }
        let full = page.len() == limit as usize;
        all.extend(page);
        if !full {
            // A short page is the last one.
            let cursor = all.last().map(|c| c.token_id.clone());
            assert!(s.active_page(time, pool, cursor, Some(limit)).is_empty());
            return all;
        }
    }
}

#[test]
fn active_at_pages_return_every_active_certificate_once_in_expiry_order() {
    let mut s = Suite::new();
    let a = s.a.clone();
    let pools = a.pools();
    let mut models: Vec<Model> = Vec::new();
    for i in 0..40u64 {
        // Token ids in an order unrelated to minting or expiry; expiries shared by several
        // certificates, so the token id breaks ties; some stakes start later.
        let token_id = format!("st-{:02}", (i * 17) % 40);
        let pool = pools[(i % 3) as usize].clone();
        let start = ts(T0 + (i % 4) * HOUR);
        let expiry = ts(T0 + 10 * HOUR + (i % 5) * 2 * HOUR);
        let sender = if pool == a.pool_c {
            a.minter.clone()
        } else {
            pool.clone()
        };
        let owner = if i % 2 == 0 { &a.miner } else { &a.miner2 };
        s.mint(
            &sender,
            &token_id,
            owner,
            terms(&pool, &format!("dev-{i}"), start, expiry),
        );
        models.push(Model {
            token_id,
            pool,
            start,
            expiry,
            status: Active,
        });
    }
    // Extend some, then, an hour later, invalidate and expire others.
    for (i, m) in models.iter_mut().enumerate() {
        if i % 6 == 1 {
            m.expiry = m.expiry.plus_seconds(3 * HOUR);
            s.exec(
                &a.minter,
                &ExecuteMsg::Extend {
                    token_id: m.token_id.clone(),
                    expiry: m.expiry,
                },
            )
            .unwrap();
        }
    }
    s.set_time(ts(T0 + HOUR));
    let now = s.now();
    for (i, m) in models.iter_mut().enumerate() {
        if i % 7 == 3 {
            m.status = Invalidated;
            s.exec(
                &a.minter,
                &ExecuteMsg::Invalidate {
                    token_id: m.token_id.clone(),
                    reason: "failed challenge".into(),
                },
            )
            .unwrap();
        } else if i % 11 == 5 {
            m.status = Expired;
            m.start = m.start.min(now);
            m.expiry = now;
            s.exec(
                &a.minter,
                &ExecuteMsg::Expire {
                    token_id: m.token_id.clone(),
                },
            )
            .unwrap();
        }
    }
    for m in &models {
        let cert = s.certificate(&m.token_id);
        assert_eq!(
            (cert.pool.clone(), cert.start, cert.expiry, cert.status),
            (m.pool.clone(), m.start, m.expiry, m.status),
            "{m:?}"
        );
    }

    let mut times: Vec<Timestamp> = vec![
        ts(T0),
        ts(T0 + HOUR),
        ts(T0 + 2 * HOUR).plus_nanos(1),
        ts(T0 + 3 * HOUR),
        ts(T0 + 10 * HOUR).minus_nanos(1),
        ts(T0 + 10 * HOUR),
        ts(T0 + 12 * HOUR),
        ts(T0 + 15 * HOUR),
        ts(T0 + 18 * HOUR),
        ts(T0 + 20 * HOUR),
        ts(T0 + 21 * HOUR).minus_nanos(1),
        ts(T0 + 21 * HOUR),
        ts(T0 + 30 * HOUR),
    ];
    times.extend(models.iter().map(|m| m.expiry));
    times.sort();
    times.dedup();
    let mut filters: Vec<Option<&Addr>> = vec![None];
    filters.extend(pools.iter().map(Some));
    let mut nonempty = 0;
    for &time in &times {
        for &pool in &filters {
            let want = expected_active(&models, time, pool);
            let want_ids: Vec<String> = want.iter().map(|m| m.token_id.clone()).collect();
            if !want.is_empty() {
                nonempty += 1;
            }
            for limit in [1, 2, 3, 7, 30, 100] {
                let got = page_through(&s, Some(time), pool, limit);
                assert_eq!(
                    ids(&got),
                    want_ids,
                    "time {time} pool {pool:?} limit {limit}"
                );
                for (response, model) in got.iter().zip(&want) {
                    assert_eq!(response.certificate.status, Active);
                    assert_eq!(response.certificate.expiry, model.expiry);
                    assert_eq!(response.certificate.start, model.start);
                    assert_eq!(response.certificate.pool, model.pool);
                }
            }
            // The default page holds the first 30.
            let first_30: Vec<String> = want_ids.iter().take(30).cloned().collect();
            assert_eq!(ids(&s.active_page(Some(time), pool, None, None)), first_30);
            // A limit of zero still returns one.
            let first = s.active_page(Some(time), pool, None, Some(0));
            assert_eq!(
                ids(&first),
                want_ids.iter().take(1).cloned().collect::<Vec<_>>()
            );
        }
    }
    assert!(nonempty > 20, "the model exercised too little: {nonempty}");
    // With no time, ActiveAt answers for the block time.
    for time in [ts(T0 + 12 * HOUR), ts(T0 + 19 * HOUR)] {
        s.set_time(time);
        for &pool in &filters {
            assert_eq!(
                ids(&page_through(&s, None, pool, 4)),
                ids(&page_through(&s, Some(time), pool, 4))
            );
        }
    }
}

#[test]
fn active_at_page_sizes_default_to_30_and_stop_at_100() {
    let mut s = Suite::new();
    let a = s.a.clone();
    for i in 0..120u64 {
        s.mint(
            &a.pool_a,
            &format!("st-{i:03}"),
            &a.miner,
            terms(
                &a.pool_a,
                &format!("dev-{i}"),
                ts(T0),
                ts(T0 + HOUR + 120 - i),
            ),
        );
    }
    // Expiries fall as ids rise: the index order is the reverse of the id order.
    let mut want: Vec<String> = (0..120u64).rev().map(|i| format!("st-{i:03}")).collect();
    assert_eq!(s.active_page(None, None, None, None).len(), 30);
    assert_eq!(s.active_page(None, None, None, Some(1_000)).len(), 100);
    assert_eq!(ids(&page_through(&s, None, None, 100)), want);
    assert_eq!(ids(&page_through(&s, None, Some(&a.pool_a), 30)), want);
    // Those with the earliest expiries drop out as block time passes them: st-119 expires first.
    s.set_time(ts(T0 + HOUR + 61));
    want.drain(..61);
    let got = ids(&page_through(&s, None, None, 7));
    assert_eq!(got, want);
    assert_eq!(got.len(), 59);
    assert_eq!(got.first().unwrap(), "st-058");
    assert_eq!(got.last().unwrap(), "st-000");
}

#[test]
fn certificates_by_owner_and_by_pool_paginate_by_token_id() {
    let mut s = Suite::new();
    let a = s.a.clone();
    let mint = |s: &mut Suite, id: &str, owner: &Addr, pool: &Addr, device: &str| {
        let sender = if *pool == a.pool_c { &a.minter } else { pool };
        s.mint(
            sender,
            id,
            owner,
            terms(pool, device, ts(T0), ts(T0 + HOUR)),
        );
    };
    mint(&mut s, "e", &a.miner, &a.pool_a, "d1");
    mint(&mut s, "b", &a.miner, &a.pool_b, "d2");
    mint(&mut s, "a", &a.miner2, &a.pool_a, "d3");
    mint(&mut s, "d", &a.miner, &a.pool_a, "d4");
    mint(&mut s, "c", &a.miner2, &a.pool_c, "d5");
    mint(&mut s, "f", &a.miner, &a.pool_c, "d6");
    s.exec(
        &a.minter,
        &ExecuteMsg::Invalidate {
            token_id: "d".into(),
            reason: "r".into(),
        },
    )
    .unwrap();

    let page = |s: &Suite, msg: QueryMsg| ids(&s.query::<CertificatesResponse>(&msg).certificates);
    let by_owner = |owner: &Addr, start_after: Option<&str>, limit| QueryMsg::CertificatesByOwner {
        owner: owner.to_string(),
        start_after: start_after.map(str::to_string),
        limit,
    };
    let by_pool = |pool: &Addr, start_after: Option<&str>, limit| QueryMsg::CertificatesByPool {
        pool: pool.to_string(),
        start_after: start_after.map(str::to_string),
        limit,
    };
    assert_eq!(
        page(&s, by_owner(&a.miner, None, None)),
        strings(&["b", "d", "e", "f"])
    );
    assert_eq!(
        page(&s, by_owner(&a.miner, None, Some(2))),
        strings(&["b", "d"])
    );
    assert_eq!(
        page(&s, by_owner(&a.miner, Some("d"), Some(2))),
        strings(&["e", "f"])
    );
    assert_eq!(
        page(&s, by_owner(&a.miner, Some("c"), Some(1))),
        strings(&["d"])
    );
    assert!(page(&s, by_owner(&a.miner, Some("f"), None)).is_empty());
    assert_eq!(
        page(&s, by_owner(&a.miner2, None, None)),
        strings(&["a", "c"])
    );
    assert!(page(&s, by_owner(&a.stranger, None, None)).is_empty());
    let tokens: TokensResponse = s.query(&QueryMsg::Tokens {
        owner: a.miner.to_string(),
        start_after: Some("b".into()),
        limit: Some(2),
    });
    assert_eq!(tokens.tokens, strings(&["d", "e"]));

    assert_eq!(
        page(&s, by_pool(&a.pool_a, None, None)),
        strings(&["a", "d", "e"])
    );
    assert_eq!(
        page(&s, by_pool(&a.pool_a, Some("a"), Some(1))),
        strings(&["d"])
    );
    assert_eq!(
        page(&s, by_pool(&a.pool_a, Some("d"), None)),
        strings(&["e"])
    );
    assert_eq!(page(&s, by_pool(&a.pool_b, None, None)), strings(&["b"]));
    assert_eq!(
        page(&s, by_pool(&a.pool_c, None, None)),
        strings(&["c", "f"])
    );
    assert!(page(&s, by_pool(&a.stranger, None, None)).is_empty());
    assert_eq!(s.device("d6").unwrap().token_id, "f");
    // Every status is listed, as of now.
    s.set_time(ts(T0 + HOUR));
    let statuses: Vec<CertificateStatus> = s
        .by_pool(&a.pool_a)
        .iter()
        .map(|c| c.certificate.status)
        .collect();
    assert_eq!(statuses, vec![Expired, Invalidated, Expired]);
    for msg in [
        by_owner(&Addr::unchecked(INVALID_ADDR), None, None),
        by_pool(&Addr::unchecked(INVALID_ADDR), None, None),
        QueryMsg::ActiveAt {
            time: None,
            pool: Some(INVALID_ADDR.into()),
            start_after: None,
            limit: None,
        },
    ] {
        assert!(
            s.query_err(&msg).contains("Error decoding bech32"),
            "{msg:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 5. Bad input.

#[test]
fn every_bad_input_gets_a_typed_error_and_changes_nothing() {
    let mut s = with_one_certificate();
    let a = s.a.clone();
    s.set_time(ts(T0 + HOUR).plus_nanos(5));
    let now = s.now();
    let good = || terms(&a.pool_b, "gpu-1", now, now.plus_seconds(HOUR));
    let mint = |token_id: &str, terms: StakeTerms| mint_msg(token_id, &a.miner, terms);
    let with = |f: &dyn Fn(&mut StakeTerms)| {
        let mut t = good();
        f(&mut t);
        mint("st-2", t)
    };

    let mut cases: Vec<(ExecuteMsg, ContractError)> = Vec::new();
    for bad_id in [
        String::new(),
        "x".repeat(MAX_TOKEN_ID_LEN + 1),
        "with space".into(),
        "a|b".into(),
        "emoji-\u{1f600}".into(),
        "tab\t".into(),
        "quote\"".into(),
    ] {
        cases.push((mint(&bad_id, good()), ContractError::InvalidTokenId {}));
        let device = bad_id.clone();
        cases.push((
            with(&move |t| t.device_id = device.clone()),
            ContractError::InvalidDeviceId {},
        ));
    }
    for len in [0, 1, COMMITMENT_LEN - 1, COMMITMENT_LEN + 1, 64] {
        cases.push((
            with(&move |t| t.commitment = HexBinary::from(vec![1; len])),
            ContractError::InvalidCommitment { len },
        ));
    }
    cases.push((
        with(&|t| t.rate = Decimal::zero()),
        ContractError::ZeroRate {},
    ));
    for start in [now.minus_nanos(1), ts(T0), ts(0)] {
        cases.push((
            with(&move |t| t.start = start),
            ContractError::StartInPast { start, now },
        ));
    }
    for (start, expiry) in [(now, now), (now.plus_seconds(10), now.plus_seconds(9))] {
        cases.push((
            with(&move |t| {
                t.start = start;
                t.expiry = expiry;
            }),
            ContractError::EmptyPeriod { start, expiry },
        ));
    }
    cases.push((
        ExecuteMsg::Mint {
            token_id: "st-2".into(),
            owner: a.miner.to_string(),
            terms: good(),
            token_uri: Some("u".repeat(MAX_TOKEN_URI_LEN + 1)),
        },
        ContractError::InvalidTokenUri {},
    ));
    cases.push((
        ExecuteMsg::Invalidate {
            token_id: "st-1".into(),
            reason: String::new(),
        },
        ContractError::InvalidReason {},
    ));
    cases.push((
        ExecuteMsg::Invalidate {
            token_id: "st-1".into(),
            reason: "r".repeat(MAX_REASON_LEN + 1),
        },
        ContractError::InvalidReason {},
    ));
    cases.push((
        ExecuteMsg::Extend {
            token_id: "st-1".into(),
            expiry: ts(T0 + 24 * HOUR),
        },
        ContractError::ExpiryNotLater {
            expiry: ts(T0 + 24 * HOUR),
            current: ts(T0 + 24 * HOUR),
        },
    ));
    cases.push((
        ExecuteMsg::UpdateMinterOwnership(Action::AcceptOwnership),
        ContractError::Ownership(OwnershipError::TransferNotFound),
    ));
    for (msg, want) in cases {
        // The minter and the pool's issuer get the typed error.
        let senders: &[&Addr] = match &msg {
            ExecuteMsg::Mint { .. } => &[&a.minter, &a.pool_b],
            ExecuteMsg::UpdateMinterOwnership(_) => &[&a.minter],
            _ => &[&a.minter, &a.pool_a],
        };
        for sender in senders {
            assert_eq!(s.refuse(sender, &msg), want, "{sender} {msg:?}");
        }
    }

    // Invalid addresses: a typed StdError from address validation.
    let bad_addresses = [
        INVALID_ADDR.to_string(),
        String::new(),
        a.miner.to_string().to_uppercase(),
    ];
    for bad in &bad_addresses {
        let mut msgs = vec![
            ExecuteMsg::Mint {
                token_id: "st-2".into(),
                owner: bad.clone(),
                terms: good(),
                token_uri: None,
            },
            with(&|t| t.pool = bad.clone()),
            ExecuteMsg::AddIssuer {
                issuer: bad.clone(),
            },
            ExecuteMsg::RemoveIssuer {
                issuer: bad.clone(),
            },
        ];
        msgs.push(ExecuteMsg::UpdateMinterOwnership(
            Action::TransferOwnership {
                new_owner: bad.clone(),
                expiry: None,
            },
        ));
        for msg in msgs {
            let err = s.refuse(&a.minter, &msg);
            let typed = match &err {
                ContractError::Std(StdError::GenericErr { .. }) => true,
                ContractError::Ownership(OwnershipError::Std(StdError::GenericErr { .. })) => {
                    matches!(msg, ExecuteMsg::UpdateMinterOwnership(_))
                }
                _ => false,
            };
            assert!(typed, "{bad:?} {msg:?}: {err:?}");
        }
    }

    // The limits themselves are accepted: a 64-character id of every allowed character, a
    // 256-character URI, a start at the current block time, the smallest positive rate.
    let id: String = "AZaz09._:/-"
        .chars()
        .cycle()
        .take(MAX_TOKEN_ID_LEN)
        .collect();
    let device: String = "-/:._09zaZA"
        .chars()
        .cycle()
        .take(MAX_DEVICE_ID_LEN)
        .collect();
    let mut t = terms(&a.pool_b, &device, now, now.plus_nanos(1));
    t.rate = Decimal::raw(1);
    s.exec(
        &a.pool_b,
        &ExecuteMsg::Mint {
            token_id: id.clone(),
            owner: a.miner.to_string(),
            terms: t,
            token_uri: Some("u".repeat(MAX_TOKEN_URI_LEN)),
        },
    )
    .unwrap();
    let cert = s.certificate(&id);
    assert_eq!(cert.device_id, device);
    assert_eq!(cert.rate, Decimal::raw(1));
    assert_eq!(cert.start, now);
    assert_eq!(cert.status, Active);
    assert_eq!(s.device(&device).unwrap().token_id, id);
}

/// One of every execute message, each from a sender it would otherwise succeed for, where any.
fn one_of_each(a: &Actors) -> Vec<(Addr, ExecuteMsg)> {
    let mut msgs = vec![
        (
            a.pool_a.clone(),
            mint_msg(
                "st-2",
                &a.miner,
                terms(&a.pool_a, "gpu-1", ts(T0), ts(T0 + HOUR)),
            ),
        ),
        (
            a.pool_a.clone(),
            ExecuteMsg::Extend {
                token_id: "st-1".into(),
                expiry: ts(T0 + 25 * HOUR),
            },
        ),
        (
            a.pool_a.clone(),
            ExecuteMsg::Expire {
                token_id: "st-1".into(),
            },
        ),
        (
            a.pool_a.clone(),
            ExecuteMsg::Invalidate {
                token_id: "st-1".into(),
                reason: "r".into(),
            },
        ),
        (
            a.pool_a.clone(),
            ExecuteMsg::Burn {
                token_id: "st-1".into(),
            },
        ),
        (
            a.minter.clone(),
            ExecuteMsg::AddIssuer {
                issuer: a.pool_c.to_string(),
            },
        ),
        (
            a.minter.clone(),
            ExecuteMsg::RemoveIssuer {
                issuer: a.pool_b.to_string(),
            },
        ),
        (
            a.minter.clone(),
            ExecuteMsg::UpdateMinterOwnership(Action::TransferOwnership {
                new_owner: a.minter2.to_string(),
                expiry: None,
            }),
        ),
        (
            a.miner.clone(),
            ExecuteMsg::Burn {
                token_id: "st-1".into(),
            },
        ),
    ];
    msgs.extend(
        soulbound_messages(a, "st-1")
            .into_iter()
            .map(|(msg, _)| (a.miner.clone(), msg)),
    );
    msgs
}

#[test]
fn funds_attached_to_any_execute_are_refused_and_change_nothing() {
    let mut s = with_one_certificate();
    let a = s.a.clone();
    let messages = one_of_each(&a);
    for (sender, msg) in &messages {
        for who in [sender, &a.stranger, &a.minter] {
            let before = s.snapshot();
            let err: ContractError = contract_error(s.app.execute_contract(
                who.clone(),
                s.cert.clone(),
                msg,
                &coins(1, DENOM),
            ));
            assert_eq!(
                err,
                ContractError::Payment(PaymentError::NonPayable {}),
                "{who} {msg:?}"
            );
            assert_eq!(before, s.snapshot(), "{msg:?} changed state");
            for addr in [who, &s.cert] {
                let expected = if *addr == s.cert { 0 } else { 1_000 };
                assert_eq!(
                    s.app.wrap().query_balance(addr, DENOM).unwrap().amount,
                    Uint128::new(expected)
                );
            }
        }
    }
    // Without funds, the authorised messages go through: the funds were the only reason.
    for (sender, msg) in &messages[..4] {
        let before = s.snapshot();
        s.exec(sender, msg).unwrap();
        assert_ne!(before, s.snapshot(), "{msg:?} did nothing");
    }
    assert_eq!(s.status("st-1"), Invalidated);
}

#[test]
fn malformed_messages_are_refused_and_change_nothing() {
    let mut s = with_one_certificate();
    let a = s.a.clone();
    let miner = a.miner.to_string();
    let pool = a.pool_a.to_string();
    let commitment = commitment().to_hex();
    let mint_body = |terms: &str| {
        format!(
            "{{\"mint\":{{\"token_id\":\"st-2\",\"owner\":\"{miner}\",\"terms\":{terms},\"token_uri\":null}}}}"
        )
    };
    let terms_body = |start: &str, rate: &str, commitment: &str, mode: &str| {
        format!(
            "{{\"pool\":\"{pool}\",\"device_id\":\"gpu-1\",\"mode\":{mode},\"start\":{start},\"expiry\":\"{}\",\"rate\":{rate},\"commitment\":{commitment}}}",
            ts(T0 + HOUR).nanos()
        )
    };
    let good_terms = terms_body(
        &format!("\"{}\"", ts(T0).nanos()),
        "\"1.5\"",
        &format!("\"{commitment}\""),
        "\"seller\"",
    );
    let bodies: Vec<String> = vec![
        String::new(),
        "{not json".into(),
        "[]".into(),
        "{}".into(),
        "null".into(),
        "\"burn\"".into(),
        "{\"frobnicate\":{}}".into(),
        "{\"burn\":{}}".into(),
        "{\"burn\":{\"token_id\":1}}".into(),
        "{\"burn\":{\"token_id\":\"st-1\"},\"expire\":{\"token_id\":\"st-1\"}}".into(),
        "{\"expire\":{\"token_id\":\"st-1\"}".into(),
        "{\"extend\":{\"token_id\":\"st-1\",\"expiry\":-1}}".into(),
        "{\"extend\":{\"token_id\":\"st-1\",\"expiry\":\"soon\"}}".into(),
        "{\"update_minter_ownership\":\"frobnicate\"}".into(),
        mint_body("{}"),
        mint_body(&terms_body(
            &ts(T0).nanos().to_string(),
            "\"1.5\"",
            &format!("\"{commitment}\""),
            "\"seller\"",
        )),
        mint_body(&terms_body(
            &format!("\"{}\"", ts(T0).nanos()),
            "1.5",
            &format!("\"{commitment}\""),
            "\"seller\"",
        )),
        mint_body(&terms_body(
            &format!("\"{}\"", ts(T0).nanos()),
            "\"-1\"",
            &format!("\"{commitment}\""),
            "\"seller\"",
        )),
        mint_body(&terms_body(
            &format!("\"{}\"", ts(T0).nanos()),
            "\"1.5\"",
            "\"zz\"",
            "\"seller\"",
        )),
        mint_body(&terms_body(
            &format!("\"{}\"", ts(T0).nanos()),
            "\"1.5\"",
            &format!("\"{commitment}\""),
            "\"miner\"",
        )),
    ];
    let before = s.snapshot();
    for body in &bodies {
        for sender in [&a.minter, &a.pool_a, &a.miner] {
            let msg = CosmosMsg::Wasm(WasmMsg::Execute {
                contract_addr: s.cert.to_string(),
                msg: Binary::from(body.as_bytes()),
                funds: vec![],
            });
            let err: StdError = contract_error(s.app.execute(sender.clone(), msg));
            assert!(
                matches!(&err, StdError::ParseErr { target_type, .. } if target_type.contains("ExecuteMsg")),
                "{body}: {err:?}"
            );
            assert_eq!(before, s.snapshot(), "{body}");
        }
    }
    // The same message, well formed, is accepted: only the malformation was refused.
    let msg = CosmosMsg::Wasm(WasmMsg::Execute {
        contract_addr: s.cert.to_string(),
        msg: Binary::from(mint_body(&good_terms).into_bytes()),
        funds: vec![],
    });
    s.app.execute(a.pool_a.clone(), msg).unwrap();
    assert_eq!(
        s.certificate("st-2"),
        expected(
            &a.pool_a,
            "gpu-1",
            &a.miner,
            (ts(T0), ts(T0 + HOUR)),
            Active
        )
    );
}

// ---------------------------------------------------------------------------------------------
// 6. Minter ownership.

#[test]
fn the_minter_role_moves_in_two_steps_and_issuers_survive() {
    let mut s = with_one_certificate();
    let a = s.a.clone();
    let transfer = |to: &Addr, expiry| {
        ExecuteMsg::UpdateMinterOwnership(Action::TransferOwnership {
            new_owner: to.to_string(),
            expiry,
        })
    };
    let accept = ExecuteMsg::UpdateMinterOwnership(Action::AcceptOwnership);

    // Only the minter starts a transfer.
    for sender in [&a.minter2, &a.pool_a, &a.miner, &a.stranger, &a.admin] {
        assert_eq!(
            s.refuse(sender, &transfer(&a.minter2, None)),
            ContractError::Ownership(OwnershipError::NotOwner)
        );
        assert_eq!(
            s.refuse(
                sender,
                &ExecuteMsg::UpdateMinterOwnership(Action::RenounceOwnership)
            ),
            ContractError::Ownership(OwnershipError::NotOwner)
        );
    }
    assert_eq!(
        s.refuse(&a.minter2, &accept),
        ContractError::Ownership(OwnershipError::TransferNotFound)
    );

    // A transfer that lapses cannot be accepted.
    let height = s.app.block_info().height;
    s.exec(
        &a.minter,
        &transfer(&a.minter2, Some(Expiration::AtHeight(height + 2))),
    )
    .unwrap();
    s.app
        .update_block(|block: &mut BlockInfo| block.height += 2);
    assert_eq!(
        s.refuse(&a.minter2, &accept),
        ContractError::Ownership(OwnershipError::TransferExpired)
    );

    // A fresh transfer: pending until accepted, and the old minter keeps its rights meanwhile.
    let response = s.exec(&a.minter, &transfer(&a.minter2, None)).unwrap();
    assert_eq!(attr(&response, "action"), "update_minter_ownership");
    assert_eq!(
        s.ownership(),
        Ownership {
            owner: Some(a.minter.clone()),
            pending_owner: Some(a.minter2.clone()),
            pending_expiry: None,
        }
    );
    for sender in [&a.stranger, &a.minter, &a.pool_a] {
        assert_eq!(
            s.refuse(sender, &accept),
            ContractError::Ownership(OwnershipError::NotPendingOwner)
        );
    }
    let msg = mint_msg(
        "st-x",
        &a.miner,
        terms(&a.pool_c, "gpu-9", s.now(), ts(T0 + HOUR)),
    );
    assert_eq!(s.refuse(&a.minter2, &msg), ContractError::Unauthorized {});
    s.mint(
        &a.minter,
        "st-old",
        &a.miner,
        terms(&a.pool_c, "gpu-1", s.now(), ts(T0 + HOUR)),
    );

    s.exec(&a.minter2, &accept).unwrap();
    assert_eq!(
        s.ownership(),
        Ownership {
            owner: Some(a.minter2.clone()),
            pending_owner: None,
            pending_expiry: None,
        }
    );
    let minter: MinterResponse = s.query(&QueryMsg::Minter {});
    assert_eq!(minter.minter, Some(a.minter2.to_string()));

    // The old minter has lost every right.
    let old = a.minter.clone();
    for msg in [
        mint_msg(
            "st-x",
            &a.miner,
            terms(&a.pool_c, "gpu-2", s.now(), ts(T0 + HOUR)),
        ),
        ExecuteMsg::AddIssuer {
            issuer: a.pool_c.to_string(),
        },
        ExecuteMsg::RemoveIssuer {
            issuer: a.pool_a.to_string(),
        },
        ExecuteMsg::Extend {
            token_id: "st-1".into(),
            expiry: ts(T0 + 48 * HOUR),
        },
        ExecuteMsg::Expire {
            token_id: "st-old".into(),
        },
        ExecuteMsg::Invalidate {
            token_id: "st-1".into(),
            reason: "r".into(),
        },
    ] {
        assert_eq!(
            s.refuse(&old, &msg),
            ContractError::Unauthorized {},
            "{msg:?}"
        );
    }
    assert_eq!(
        s.refuse(
            &old,
            &ExecuteMsg::Burn {
                token_id: "st-old".into()
            }
        ),
        ContractError::BurnRestricted {}
    );
    assert_eq!(
        s.refuse(&old, &transfer(&old, None)),
        ContractError::Ownership(OwnershipError::NotOwner)
    );

    // Issuers survive the handover; the new minter has the full role.
    let mut issuers = vec![a.pool_a.clone(), a.pool_b.clone()];
    issuers.sort();
    assert_eq!(s.issuers(), issuers);
    s.mint(
        &a.pool_a,
        "st-a",
        &a.miner,
        terms(&a.pool_a, "gpu-2", s.now(), ts(T0 + HOUR)),
    );
    s.mint(
        &a.minter2,
        "st-new",
        &a.miner,
        terms(&a.pool_c, "gpu-3", s.now(), ts(T0 + HOUR)),
    );
    s.exec(
        &a.minter2,
        &ExecuteMsg::AddIssuer {
            issuer: a.pool_c.to_string(),
        },
    )
    .unwrap();
    s.exec(
        &a.pool_c,
        &ExecuteMsg::Expire {
            token_id: "st-old".into(),
        },
    )
    .unwrap();
    s.exec(
        &a.minter2,
        &ExecuteMsg::Burn {
            token_id: "st-1".into(),
        },
    )
    .unwrap();
    assert_eq!(s.status("st-old"), Expired);
    assert_eq!(s.all_tokens(), strings(&["st-a", "st-new", "st-old"]));
    assert_eq!(
        s.certificate("st-new"),
        expected(
            &a.pool_c,
            "gpu-3",
            &a.miner,
            (s.now(), ts(T0 + HOUR)),
            Active
        )
    );
}

// ---------------------------------------------------------------------------------------------
// 7. Migration.

#[test]
fn migrate_keeps_the_stake_cert_and_refuses_other_contracts() {
    let mut s = with_one_certificate();
    let a = s.a.clone();
    let cert = s.cert.clone();
    let before = s.snapshot();

    // To the token's code: the token's migrate finds a stake-cert record and refuses.
    let token_code = s.app.store_code(token_contract());
    let err: loopin_token::ContractError = contract_error(s.app.migrate_contract(
        a.admin.clone(),
        cert.clone(),
        &MigrateMsg {},
        token_code,
    ));
    assert_eq!(
        err,
        loopin_token::ContractError::Migrate(MigrateError::WrongContract {
            expected: loopin_token::contract::CONTRACT_NAME.into(),
            found: loopin_stake_cert::contract::CONTRACT_NAME.into(),
        })
    );
    assert_eq!(s.app.contract_data(&cert).unwrap().code_id, s.code);
    assert_eq!(before, s.snapshot());

    // A token migrated to the stake-cert code: refused by the stake-cert.
    let token = s
        .app
        .instantiate_contract(
            token_code,
            a.admin.clone(),
            &loopin::token::InstantiateMsg {
                name: "LooPIN".into(),
                symbol: "LOOP".into(),
                decimals: 6,
                initial_balances: vec![],
                minter: loopin::token::MinterResponse {
                    minter: a.minter.to_string(),
                    cap: None,
                },
                marketing: None,
            },
            &[],
            "LOOP",
            Some(a.admin.to_string()),
        )
        .unwrap();
    let token_state = s.app.dump_wasm_raw(&token);
    let err: ContractError = contract_error(s.app.migrate_contract(
        a.admin.clone(),
        token.clone(),
        &MigrateMsg {},
        s.code,
    ));
    assert_eq!(
        err,
        ContractError::Migrate(MigrateError::WrongContract {
            expected: loopin_stake_cert::contract::CONTRACT_NAME.into(),
            found: loopin_token::contract::CONTRACT_NAME.into(),
        })
    );
    assert_eq!(s.app.contract_data(&token).unwrap().code_id, token_code);
    assert_eq!(token_state, s.app.dump_wasm_raw(&token));

    // Only the admin migrates.
    let err = s
        .app
        .migrate_contract(a.minter.clone(), cert.clone(), &MigrateMsg {}, s.code)
        .unwrap_err();
    assert!(
        err.root_cause()
            .to_string()
            .contains("Only admin can migrate"),
        "{err:?}"
    );
    assert_eq!(before, s.snapshot());

    // To the same code, and to a fresh upload of it: accepted, everything kept.
    let new_code = s.app.store_code(stake_cert_contract());
    for target in [s.code, new_code] {
        let response = s
            .app
            .migrate_contract(a.admin.clone(), cert.clone(), &MigrateMsg {}, target)
            .unwrap();
        let version = loopin_stake_cert::contract::CONTRACT_VERSION;
        assert_eq!(attr(&response, "action"), "migrate");
        assert_eq!(attr(&response, "from_version"), version);
        assert_eq!(attr(&response, "to_version"), version);
        assert_eq!(s.app.contract_data(&cert).unwrap().code_id, target);
        assert_eq!(before, s.snapshot());
    }
    // And it keeps working.
    s.exec(
        &a.pool_a,
        &ExecuteMsg::Invalidate {
            token_id: "st-1".into(),
            reason: "after migration".into(),
        },
    )
    .unwrap();
    assert_eq!(s.status("st-1"), Invalidated);
}
