//! The differential harness: the same scripted steps and queries to cw20-base and to LOOP, answered the same way.

use super::*;

#[derive(Clone, Copy)]
enum Flavor {
    Base,
    Loop,
}

/// The LOOP query with the same meaning (and JSON) as cw20-base's.
fn loop_query(msg: BaseQueryMsg) -> QueryMsg {
    match msg {
        BaseQueryMsg::Balance { address } => QueryMsg::Balance { address },
        BaseQueryMsg::TokenInfo {} => QueryMsg::TokenInfo {},
        BaseQueryMsg::Minter {} => QueryMsg::Minter {},
        BaseQueryMsg::Allowance { owner, spender } => QueryMsg::Allowance { owner, spender },
        BaseQueryMsg::AllAllowances {
            owner,
            start_after,
            limit,
        } => QueryMsg::AllAllowances {
            owner,
            start_after,
            limit,
        },
        BaseQueryMsg::AllSpenderAllowances {
            spender,
            start_after,
            limit,
        } => QueryMsg::AllSpenderAllowances {
            spender,
            start_after,
            limit,
        },
        BaseQueryMsg::AllAccounts { start_after, limit } => {
            QueryMsg::AllAccounts { start_after, limit }
        }
        BaseQueryMsg::MarketingInfo {} => QueryMsg::MarketingInfo {},
        BaseQueryMsg::DownloadLogo {} => QueryMsg::DownloadLogo {},
    }
}

struct Pair {
    base: Addr,
    token: Addr,
    receiver: Addr,
}

impl Pair {
    fn addr(&self, flavor: Flavor) -> &Addr {
        match flavor {
            Flavor::Base => &self.base,
            Flavor::Loop => &self.token,
        }
    }

    /// Queries one side; an error is returned as text with the contract's own address masked.
    fn query<T: DeserializeOwned>(
        &self,
        app: &App,
        flavor: Flavor,
        msg: BaseQueryMsg,
    ) -> Result<T, String> {
        let addr = self.addr(flavor);
        let result = match flavor {
            Flavor::Base => app.wrap().query_wasm_smart(addr, &msg),
            Flavor::Loop => app.wrap().query_wasm_smart(addr, &loop_query(msg)),
        };
        result.map_err(|err| err.to_string().replace(addr.as_str(), "<token>"))
    }

    fn snapshot(&self, app: &App, a: &Actors, flavor: Flavor) -> Snapshot {
        let mut holders: Vec<String> = a.all().iter().map(|addr| addr.to_string()).collect();
        holders.push(self.receiver.to_string());
        holders.push(INVALID_ADDR.to_string());

        let balances = holders
            .iter()
            .map(|h| {
                let msg = BaseQueryMsg::Balance { address: h.clone() };
                (h.clone(), self.query(app, flavor, msg))
            })
            .collect();
        let mut allowances = vec![];
        for owner in &holders {
            for spender in &holders {
                let msg = BaseQueryMsg::Allowance {
                    owner: owner.clone(),
                    spender: spender.clone(),
                };
                allowances.push((owner.clone(), spender.clone(), self.query(app, flavor, msg)));
            }
        }
        let all_allowances = holders
            .iter()
            .map(|owner| (owner.clone(), self.owner_allowances(app, flavor, owner)))
            .collect();
        let all_spender_allowances = holders
            .iter()
            .map(|spender| {
                let pages = self.spender_allowances(app, flavor, spender);
                (spender.clone(), pages)
            })
            .collect();
        let received: Received = app
            .wrap()
            .query_wasm_smart(
                &self.receiver,
                &ReceiverQueryMsg::Received {
                    token: self.addr(flavor).to_string(),
                },
            )
            .unwrap();

        Snapshot {
            balances,
            token_info: self.query(app, flavor, BaseQueryMsg::TokenInfo {}),
            minter: self.query(app, flavor, BaseQueryMsg::Minter {}),
            allowances,
            all_allowances,
            all_spender_allowances,
            accounts: self.accounts(app, flavor),
            marketing: self.query(app, flavor, BaseQueryMsg::MarketingInfo {}),
            logo: self.query(app, flavor, BaseQueryMsg::DownloadLogo {}),
            received,
        }
    }

    /// Every account, read two at a time to exercise the pagination.
    fn accounts(&self, app: &App, flavor: Flavor) -> Result<Vec<String>, String> {
        let mut all = vec![];
        let mut start_after = None;
        loop {
            let msg = BaseQueryMsg::AllAccounts {
                start_after: start_after.clone(),
                limit: Some(2),
            };
            let page: AllAccountsResponse = self.query(app, flavor, msg)?;
            let done = page.accounts.len() < 2;
            start_after = page.accounts.last().cloned();
            all.extend(page.accounts);
            if done {
                return Ok(all);
            }
        }
    }

    fn owner_allowances(
        &self,
        app: &App,
        flavor: Flavor,
        owner: &str,
    ) -> Result<Vec<AllowanceInfo>, String> {
        let mut all = vec![];
        let mut start_after = None;
        loop {
            let msg = BaseQueryMsg::AllAllowances {
                owner: owner.to_string(),
                start_after: start_after.clone(),
                limit: Some(2),
            };
            let page: AllAllowancesResponse = self.query(app, flavor, msg)?;
            let done = page.allowances.len() < 2;
            start_after = page.allowances.last().map(|a| a.spender.clone());
            all.extend(page.allowances);
            if done {
                return Ok(all);
            }
        }
    }

    fn spender_allowances(
        &self,
        app: &App,
        flavor: Flavor,
        spender: &str,
    ) -> Result<Vec<SpenderAllowanceInfo>, String> {
        let mut all = vec![];
        let mut start_after = None;
        loop {
            let msg = BaseQueryMsg::AllSpenderAllowances {
                spender: spender.to_string(),
                start_after: start_after.clone(),
                limit: Some(2),
            };
            let page: AllSpenderAllowancesResponse = self.query(app, flavor, msg)?;
            let done = page.allowances.len() < 2;
            start_after = page.allowances.last().map(|a| a.owner.clone());
            all.extend(page.allowances);
            if done {
                return Ok(all);
            }
        }
    }
}

/// The whole observable state of one token.
#[derive(Debug, PartialEq)]
struct Snapshot {
    balances: Vec<(String, Result<BalanceResponse, String>)>,
    token_info: Result<TokenInfoResponse, String>,
    minter: Result<Option<MinterResponse>, String>,
    allowances: Vec<(String, String, Result<AllowanceResponse, String>)>,
    all_allowances: Vec<(String, Result<Vec<AllowanceInfo>, String>)>,
    all_spender_allowances: Vec<(String, Result<Vec<SpenderAllowanceInfo>, String>)>,
    accounts: Result<Vec<String>, String>,
    marketing: Result<MarketingInfoResponse, String>,
    logo: Result<DownloadLogoResponse, String>,
    received: Received,
}

/// Events without the one attribute that names the emitting contract.
fn events_without_address(events: &[Event]) -> Vec<(String, Vec<(String, String)>)> {
    events
        .iter()
        .map(|event| {
            let attributes = event
                .attributes
                .iter()
                .filter(|attr| attr.key != "_contract_address")
                .map(|attr| (attr.key.clone(), attr.value.clone()))
                .collect();
            (event.ty.clone(), attributes)
        })
        .collect()
}

/// What a scripted step must do on both tokens.
#[derive(Clone, Copy, Debug)]
enum Expect {
    Ok,
    /// Fails; the root cause reads exactly this.
    Err(&'static str),
    /// Fails; the root cause starts with this (the rest names storage keys).
    ErrStarting(&'static str),
}

enum Step {
    Exec {
        label: &'static str,
        sender: Addr,
        msg: Cw20ExecuteMsg,
        expect: Expect,
        /// Cumulative (minted, burned) the supply audit must show after the step.
        audit: (u128, u128),
    },
    Advance {
        blocks: u64,
        seconds: u64,
    },
}

fn step(
    label: &'static str,
    sender: &Addr,
    msg: Cw20ExecuteMsg,
    expect: Expect,
    audit: (u128, u128),
) -> Step {
    Step::Exec {
        label,
        sender: sender.clone(),
        msg,
        expect,
        audit,
    }
}

const UNAUTHORIZED: Expect = Expect::Err("Unauthorized");
const SUB_OVERFLOW: Expect = Expect::Err("Overflow: Cannot Sub with given operands");
const INVALID_ADDRESS: Expect = Expect::Err("Generic error: Error decoding bech32");
const RECEIVER_REJECTS: Expect = Expect::Err("Generic error: receiver rejects");
const CANNOT_EXCEED_CAP: Expect = Expect::Err("Minting cannot exceed the cap");
const EXPIRED: Expect = Expect::Err("Allowance is expired");
const INVALID_EXPIRATION: Expect = Expect::Err("Invalid expiration value");

#[rustfmt::skip]
/// The scripted sequence; `h` and `t` are the block height and time (seconds) at its start.
fn script(a: &Actors, receiver: &Addr, h: u64, t: u64) -> Vec<Step> {
    use Cw20ExecuteMsg::*;
    use Expect::Ok as OK;
    let rcv = receiver.to_string();
    let s = |addr: &Addr| addr.to_string();
    vec![
        // Transfers.
        step("transfer", &a.alice, Transfer { recipient: s(&a.bob), amount: amount(100_000) }, OK, (0, 0)),
        step("transfer zero", &a.alice, Transfer { recipient: s(&a.carol), amount: amount(0) }, OK, (0, 0)),
        step("transfer to self", &a.bob, Transfer { recipient: s(&a.bob), amount: amount(7) }, OK, (0, 0)),
        step("transfer beyond balance", &a.bob, Transfer { recipient: s(&a.alice), amount: amount(10_000_000) }, SUB_OVERFLOW, (0, 0)),
        step("transfer to invalid address", &a.alice, Transfer { recipient: INVALID_ADDR.into(), amount: amount(1) }, INVALID_ADDRESS, (0, 0)),
        step("transfer from empty account", &a.stranger, Transfer { recipient: s(&a.alice), amount: amount(1) }, SUB_OVERFLOW, (0, 0)),
        // Sends.
        step("send", &a.alice, Send { contract: rcv.clone(), amount: amount(50_000), msg: payload("hello") }, OK, (0, 0)),
        step("send rejected by receiver", &a.alice, Send { contract: rcv.clone(), amount: amount(1), msg: payload("reject") }, RECEIVER_REJECTS, (0, 0)),
        step("send to an account, not a contract", &a.alice, Send { contract: s(&a.bob), amount: amount(1), msg: payload("hello") }, Expect::ErrStarting("type: cw_multi_test::wasm::ContractData; key:"), (0, 0)),
        step("send to invalid address", &a.alice, Send { contract: INVALID_ADDR.into(), amount: amount(1), msg: payload("hello") }, INVALID_ADDRESS, (0, 0)),
        step("send beyond balance", &a.carol, Send { contract: rcv.clone(), amount: amount(1), msg: payload("hello") }, SUB_OVERFLOW, (0, 0)),
        step("send zero", &a.bob, Send { contract: rcv.clone(), amount: amount(0), msg: payload("zero") }, OK, (0, 0)),
        // Burns.
        step("burn", &a.alice, Burn { amount: amount(25_000) }, OK, (0, 25_000)),
        step("burn zero", &a.bob, Burn { amount: amount(0) }, OK, (0, 25_000)),
        step("burn beyond balance", &a.stranger, Burn { amount: amount(1) }, SUB_OVERFLOW, (0, 25_000)),
        // Mints.
        step("mint by minter", &a.minter, Mint { recipient: s(&a.carol), amount: amount(300_000) }, OK, (300_000, 25_000)),
        step("mint by stranger", &a.stranger, Mint { recipient: s(&a.stranger), amount: amount(1) }, UNAUTHORIZED, (300_000, 25_000)),
        step("mint by holder", &a.alice, Mint { recipient: s(&a.alice), amount: amount(1) }, UNAUTHORIZED, (300_000, 25_000)),
        // Supply is 1_775_000: 225_000 below the cap.
        step("mint over the cap", &a.minter, Mint { recipient: s(&a.carol), amount: amount(225_001) }, CANNOT_EXCEED_CAP, (300_000, 25_000)),
        step("mint to invalid address", &a.minter, Mint { recipient: INVALID_ADDR.into(), amount: amount(1) }, INVALID_ADDRESS, (300_000, 25_000)),
        step("mint zero", &a.minter, Mint { recipient: s(&a.bob), amount: amount(0) }, OK, (300_000, 25_000)),
        // Allowances without expiry.
        step("increase allowance", &a.alice, IncreaseAllowance { spender: s(&a.carol), amount: amount(200_000), expires: None }, OK, (300_000, 25_000)),
        step("increase own allowance", &a.alice, IncreaseAllowance { spender: s(&a.alice), amount: amount(1), expires: None }, Expect::Err("Cannot set to own account"), (300_000, 25_000)),
        step("increase allowance of invalid address", &a.alice, IncreaseAllowance { spender: INVALID_ADDR.into(), amount: amount(1), expires: None }, INVALID_ADDRESS, (300_000, 25_000)),
        step("increase allowance by zero", &a.bob, IncreaseAllowance { spender: s(&a.stranger), amount: amount(0), expires: None }, OK, (300_000, 25_000)),
        step("decrease allowance", &a.alice, DecreaseAllowance { spender: s(&a.carol), amount: amount(50_000), expires: None }, OK, (300_000, 25_000)),
        step("decrease missing allowance", &a.alice, DecreaseAllowance { spender: s(&a.stranger), amount: amount(1), expires: None }, Expect::ErrStarting("type: cw20::query::AllowanceResponse; key:"), (300_000, 25_000)),
        step("decrease own allowance", &a.alice, DecreaseAllowance { spender: s(&a.alice), amount: amount(1), expires: None }, Expect::Err("Cannot set to own account"), (300_000, 25_000)),
        // Spending an allowance of 150_000.
        step("transfer_from within allowance", &a.carol, TransferFrom { owner: s(&a.alice), recipient: s(&a.bob), amount: amount(100_000) }, OK, (300_000, 25_000)),
        step("transfer_from beyond allowance", &a.carol, TransferFrom { owner: s(&a.alice), recipient: s(&a.bob), amount: amount(50_001) }, SUB_OVERFLOW, (300_000, 25_000)),
        step("transfer_from without allowance", &a.stranger, TransferFrom { owner: s(&a.alice), recipient: s(&a.stranger), amount: amount(1) }, Expect::Err("No allowance for this account"), (300_000, 25_000)),
        step("transfer_from zero", &a.carol, TransferFrom { owner: s(&a.alice), recipient: s(&a.carol), amount: amount(0) }, OK, (300_000, 25_000)),
        step("transfer_from to invalid address", &a.carol, TransferFrom { owner: s(&a.alice), recipient: INVALID_ADDR.into(), amount: amount(1) }, INVALID_ADDRESS, (300_000, 25_000)),
        step("transfer_from invalid owner", &a.carol, TransferFrom { owner: INVALID_ADDR.into(), recipient: s(&a.carol), amount: amount(1) }, INVALID_ADDRESS, (300_000, 25_000)),
        step("send_from within allowance", &a.carol, SendFrom { owner: s(&a.alice), contract: rcv.clone(), amount: amount(20_000), msg: payload("from") }, OK, (300_000, 25_000)),
        step("send_from rejected by receiver", &a.carol, SendFrom { owner: s(&a.alice), contract: rcv.clone(), amount: amount(1), msg: payload("reject") }, RECEIVER_REJECTS, (300_000, 25_000)),
        step("send_from beyond allowance", &a.carol, SendFrom { owner: s(&a.alice), contract: rcv.clone(), amount: amount(30_001), msg: payload("from") }, SUB_OVERFLOW, (300_000, 25_000)),
        step("burn_from within allowance", &a.carol, BurnFrom { owner: s(&a.alice), amount: amount(30_000) }, OK, (300_000, 55_000)),
        step("burn_from beyond allowance", &a.carol, BurnFrom { owner: s(&a.alice), amount: amount(1) }, SUB_OVERFLOW, (300_000, 55_000)),
        step("burn_from without allowance", &a.stranger, BurnFrom { owner: s(&a.bob), amount: amount(1) }, SUB_OVERFLOW, (300_000, 55_000)),
        step("burn_from invalid owner", &a.carol, BurnFrom { owner: INVALID_ADDR.into(), amount: amount(1) }, INVALID_ADDRESS, (300_000, 55_000)),
        // Allowances with expiry.
        step("increase allowance expiring at a height", &a.bob, IncreaseAllowance { spender: s(&a.carol), amount: amount(40_000), expires: Some(Expiration::AtHeight(h + 5)) }, OK, (300_000, 55_000)),
        step("increase allowance expiring at a time", &a.alice, IncreaseAllowance { spender: s(&a.stranger), amount: amount(10_000), expires: Some(Expiration::AtTime(cosmwasm_std::Timestamp::from_seconds(t + 100))) }, OK, (300_000, 55_000)),
        step("increase allowance already expired", &a.bob, IncreaseAllowance { spender: s(&a.carol), amount: amount(1), expires: Some(Expiration::AtHeight(h)) }, INVALID_EXPIRATION, (300_000, 55_000)),
        step("decrease allowance with new expiry", &a.bob, DecreaseAllowance { spender: s(&a.carol), amount: amount(1_000), expires: Some(Expiration::AtHeight(h + 10)) }, OK, (300_000, 55_000)),
        step("decrease allowance with past expiry", &a.bob, DecreaseAllowance { spender: s(&a.carol), amount: amount(1), expires: Some(Expiration::AtHeight(h - 1)) }, INVALID_EXPIRATION, (300_000, 55_000)),
        step("transfer_from before expiry", &a.carol, TransferFrom { owner: s(&a.bob), recipient: s(&a.carol), amount: amount(9_000) }, OK, (300_000, 55_000)),
        step("transfer_from before expiry beyond allowance", &a.carol, TransferFrom { owner: s(&a.bob), recipient: s(&a.carol), amount: amount(30_001) }, SUB_OVERFLOW, (300_000, 55_000)),
        Step::Advance { blocks: 10, seconds: 50 },
        step("transfer_from after height expiry", &a.carol, TransferFrom { owner: s(&a.bob), recipient: s(&a.carol), amount: amount(1) }, EXPIRED, (300_000, 55_000)),
        step("burn_from after height expiry", &a.carol, BurnFrom { owner: s(&a.bob), amount: amount(1) }, EXPIRED, (300_000, 55_000)),
        step("send_from after height expiry", &a.carol, SendFrom { owner: s(&a.bob), contract: rcv.clone(), amount: amount(1), msg: payload("late") }, EXPIRED, (300_000, 55_000)),
        step("burn_from before time expiry", &a.stranger, BurnFrom { owner: s(&a.alice), amount: amount(5_000) }, OK, (300_000, 60_000)),
        Step::Advance { blocks: 1, seconds: 100 },
        step("transfer_from after time expiry", &a.stranger, TransferFrom { owner: s(&a.alice), recipient: s(&a.stranger), amount: amount(1) }, EXPIRED, (300_000, 60_000)),
        step("increase allowance to never expire", &a.alice, IncreaseAllowance { spender: s(&a.stranger), amount: amount(1), expires: Some(Expiration::Never {}) }, OK, (300_000, 60_000)),
        step("transfer_from whole renewed allowance", &a.stranger, TransferFrom { owner: s(&a.alice), recipient: s(&a.stranger), amount: amount(5_001) }, OK, (300_000, 60_000)),
        step("decrease allowance below zero removes it", &a.alice, DecreaseAllowance { spender: s(&a.stranger), amount: amount(10), expires: None }, OK, (300_000, 60_000)),
        step("decrease expired allowance removes it", &a.bob, DecreaseAllowance { spender: s(&a.carol), amount: amount(1_000_000), expires: None }, OK, (300_000, 60_000)),
        // Marketing.
        step("update marketing by stranger", &a.stranger, UpdateMarketing { project: Some("x".into()), description: None, marketing: None }, UNAUTHORIZED, (300_000, 60_000)),
        step("update marketing", &a.marketing, UpdateMarketing { project: Some("LooPIN v2".into()), description: Some(" ".into()), marketing: None }, OK, (300_000, 60_000)),
        step("update marketing to invalid address", &a.marketing, UpdateMarketing { project: None, description: None, marketing: Some(INVALID_ADDR.into()) }, INVALID_ADDRESS, (300_000, 60_000)),
        step("upload logo by stranger", &a.stranger, UploadLogo(Logo::Url("https://evil.example/logo.png".into())), UNAUTHORIZED, (300_000, 60_000)),
        step("upload png with bad header", &a.marketing, UploadLogo(Logo::Embedded(EmbeddedLogo::Png(Binary::from(b"GIF89a".to_vec())))), Expect::Err("Invalid png header"), (300_000, 60_000)),
        step("upload svg without preamble", &a.marketing, UploadLogo(Logo::Embedded(EmbeddedLogo::Svg(Binary::from(b"<svg/>".to_vec())))), Expect::Err("Invalid xml preamble for SVG"), (300_000, 60_000)),
        step("upload oversized svg", &a.marketing, UploadLogo(Logo::Embedded(EmbeddedLogo::Svg(Binary::from([SVG, &[b' '; 5 * 1024][..]].concat())))), Expect::Err("Logo binary data exceeds 5KB limit"), (300_000, 60_000)),
        step("upload png", &a.marketing, UploadLogo(Logo::Embedded(EmbeddedLogo::Png(Binary::from(PNG)))), OK, (300_000, 60_000)),
        step("upload svg", &a.marketing, UploadLogo(Logo::Embedded(EmbeddedLogo::Svg(Binary::from(SVG)))), OK, (300_000, 60_000)),
        step("upload url", &a.marketing, UploadLogo(Logo::Url(LOGO_URL.into())), OK, (300_000, 60_000)),
        step("upload png again", &a.marketing, UploadLogo(Logo::Embedded(EmbeddedLogo::Png(Binary::from(PNG)))), OK, (300_000, 60_000)),
        step("hand marketing over", &a.marketing, UpdateMarketing { project: None, description: None, marketing: Some(s(&a.marketing2)) }, OK, (300_000, 60_000)),
        step("former marketing address uploads", &a.marketing, UploadLogo(Logo::Url(LOGO_URL.into())), UNAUTHORIZED, (300_000, 60_000)),
        step("clear marketing address", &a.marketing2, UpdateMarketing { project: None, description: None, marketing: Some("".into()) }, OK, (300_000, 60_000)),
        step("update marketing without marketing address", &a.marketing2, UpdateMarketing { project: Some("y".into()), description: None, marketing: None }, UNAUTHORIZED, (300_000, 60_000)),
        // Minter changes. Supply is 1_740_000: 260_000 below the cap.
        step("update minter by stranger", &a.stranger, UpdateMinter { new_minter: Some(s(&a.stranger)) }, UNAUTHORIZED, (300_000, 60_000)),
        step("update minter to invalid address", &a.minter, UpdateMinter { new_minter: Some(INVALID_ADDR.into()) }, INVALID_ADDRESS, (300_000, 60_000)),
        step("update minter", &a.minter, UpdateMinter { new_minter: Some(s(&a.minter2)) }, OK, (300_000, 60_000)),
        step("mint by former minter", &a.minter, Mint { recipient: s(&a.minter), amount: amount(1) }, UNAUTHORIZED, (300_000, 60_000)),
        step("mint up to the cap", &a.minter2, Mint { recipient: s(&a.alice), amount: amount(260_000) }, OK, (560_000, 60_000)),
        step("mint one past the cap", &a.minter2, Mint { recipient: s(&a.alice), amount: amount(1) }, CANNOT_EXCEED_CAP, (560_000, 60_000)),
        step("burn at the cap", &a.bob, Burn { amount: amount(1_000) }, OK, (560_000, 61_000)),
        step("mint into the freed room", &a.minter2, Mint { recipient: s(&a.bob), amount: amount(1_000) }, OK, (561_000, 61_000)),
        step("remove the minter", &a.minter2, UpdateMinter { new_minter: None }, OK, (561_000, 61_000)),
        step("mint without a minter", &a.minter2, Mint { recipient: s(&a.bob), amount: amount(1) }, UNAUTHORIZED, (561_000, 61_000)),
        step("update minter without a minter", &a.minter2, UpdateMinter { new_minter: Some(s(&a.minter)) }, UNAUTHORIZED, (561_000, 61_000)),
    ]
}

/// The root cause's text, the same error seen through cw20-base's and LOOP's error types.
fn compare_errors(label: &str, base: &anyhow::Error, token: &anyhow::Error, expect: Expect) {
    let root = base.root_cause().to_string();
    assert_eq!(
        root,
        token.root_cause().to_string(),
        "{label}: root causes differ"
    );
    match expect {
        Expect::Ok => panic!("{label}: expected success, both failed with {root}"),
        Expect::Err(text) => assert_eq!(root, text, "{label}"),
        Expect::ErrStarting(prefix) => assert!(root.starts_with(prefix), "{label}: {root}"),
    }
    // Where cw20-base fails with its own error, LOOP fails with that same error, wrapped.
    match (
        base.downcast_ref::<cw20_base::ContractError>(),
        token.downcast_ref::<ContractError>(),
    ) {
        (Some(base_err), Some(ContractError::Cw20(token_err))) => {
            assert_eq!(base_err, token_err, "{label}")
        }
        (None, None) => {}
        (base_err, token_err) => {
            panic!("{label}: typed errors differ: {base_err:?} / {token_err:?}")
        }
    }
}

#[test]
fn cw20_behaviour_matches_cw20_base_step_by_step() {
    let (mut app, a) = app();
    let base_code = app.store_code(cw20_base_contract());
    let base = app
        .instantiate_contract(
            base_code,
            a.admin.clone(),
            &base_instantiate_msg(&a),
            &[],
            "cw20-base",
            None,
        )
        .unwrap();
    let (_, token) = instantiate_loop(&mut app, &a);
    let receiver_code = app.store_code(receiver_contract());
    let receiver = app
        .instantiate_contract(
            receiver_code,
            a.admin.clone(),
            &Empty {},
            &[],
            "receiver",
            None,
        )
        .unwrap();
    let pair = Pair {
        base,
        token,
        receiver: receiver.clone(),
    };

    let initial = pair.snapshot(&app, &a, Flavor::Base);
    assert_eq!(initial, pair.snapshot(&app, &a, Flavor::Loop));
    assert_eq!(audit(&app, &pair.token), expected_audit(0, 0));

    let block = app.block_info();
    let script = script(&a, &receiver, block.height, block.time.seconds());
    let mut executed = 0;
    for step in script {
        let (label, sender, msg, expect, (minted, burned)) = match step {
            Step::Advance { blocks, seconds } => {
                app.update_block(|b| {
                    b.height += blocks;
                    b.time = b.time.plus_seconds(seconds);
                });
                continue;
            }
            Step::Exec {
                label,
                sender,
                msg,
                expect,
                audit,
            } => (label, sender, msg, expect, audit),
        };
        let token_state_before = raw_state(&app, &pair.token);
        let base_result = exec(&mut app, &sender, &pair.base, &msg, &[]);
        let token_result = exec(&mut app, &sender, &pair.token, &msg, &[]);
        match (&base_result, &token_result) {
            (Ok(base_response), Ok(token_response)) => {
                assert!(matches!(expect, Expect::Ok), "{label}: both succeeded");
                assert_eq!(
                    events_without_address(&base_response.events),
                    events_without_address(&token_response.events),
                    "{label}: events differ"
                );
                assert_eq!(base_response.data, token_response.data, "{label}");
            }
            (Err(base_err), Err(token_err)) => {
                compare_errors(label, base_err, token_err, expect);
                assert_eq!(
                    token_state_before,
                    raw_state(&app, &pair.token),
                    "{label}: a refused call changed LOOP's state"
                );
            }
            _ => panic!("{label}: cw20-base {base_result:?}, LOOP {token_result:?}"),
        }
        assert_eq!(
            pair.snapshot(&app, &a, Flavor::Base),
            pair.snapshot(&app, &a, Flavor::Loop),
            "{label}: state differs"
        );
        let audit_now = audit(&app, &pair.token);
        assert_eq!(audit_now, expected_audit(minted, burned), "{label}: audit");
        assert_eq!(
            audit_now.total_supply,
            audit_now.initial_supply + audit_now.minted - audit_now.burned,
            "{label}"
        );
        executed += 1;
    }
    assert_eq!(executed, 83);

    // Exact final balances (the same on both tokens, by the snapshots above).
    let expected = [
        (
            &a.alice,
            1_000_000 - 100_000 - 50_000 - 25_000 - 100_000 - 20_000 - 30_000 - 5_000 - 5_001
                + 260_000,
        ),
        (&a.bob, 500_000 + 100_000 + 100_000 - 9_000 - 1_000 + 1_000),
        (&a.carol, 300_000 + 9_000),
        (&a.stranger, 5_001),
        (&receiver, 50_000 + 20_000),
        (&a.minter, 0),
        (&a.minter2, 0),
    ];
    let mut sum = 0;
    for (who, expected) in expected {
        for contract in [&pair.base, &pair.token] {
            assert_eq!(balance(&app, contract, who), expected, "{who}");
        }
        sum += expected;
    }
    assert_eq!(sum, INITIAL_SUPPLY + 561_000 - 61_000);
    let token_info: TokenInfoResponse = app
        .wrap()
        .query_wasm_smart(&pair.token, &QueryMsg::TokenInfo {})
        .unwrap();
    assert_eq!(token_info.total_supply.u128(), sum);

    // The receiver saw both tokens deliver the same transfers, from the right senders.
    let final_snapshot = pair.snapshot(&app, &a, Flavor::Loop);
    assert_eq!(
        final_snapshot.received,
        Received {
            calls: 3,
            total: Uint128::new(70_000),
            senders: vec![a.alice.to_string(), a.bob.to_string(), a.carol.to_string()],
            msgs: vec![payload("hello"), payload("zero"), payload("from")],
        }
    );
    assert_eq!(final_snapshot.minter, Ok(None));
    assert_eq!(
        final_snapshot.marketing,
        Ok(MarketingInfoResponse {
            project: Some("LooPIN v2".into()),
            description: None,
            marketing: None,
            logo: Some(LogoInfo::Embedded),
        })
    );
    assert_eq!(
        final_snapshot.logo,
        Ok(DownloadLogoResponse {
            mime_type: "image/png".into(),
            data: Binary::from(PNG),
        })
    );
}
