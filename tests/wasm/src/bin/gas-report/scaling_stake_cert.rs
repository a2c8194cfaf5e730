//! Scaling of the stake certificates: every execute and query of `loopin_stake_cert.wasm`
//! measured against n = 10, 1,000 and 100,000 certificates, all minted by real calls, in one
//! pool and held by one miner (the worst case for the owner's and the pool's indexes).

use cosmwasm_std::Timestamp;
use loopin::stake_cert::{ACTIVE_AT_SCAN_LIMIT, ExecuteMsg, QueryMsg};
use loopin_wasm_tests::{HarnessError, WasmContract};
use serde_json::Value;

use crate::scaling_table::{Measured, Measurements, PAGE, Recorder, Table};
use crate::stake_cert::mint_msg;

/// A generated certificate's expiry: 24 to 71 hours after the start, spread over the index.
fn hours(id: u32) -> u64 {
    24 + u64::from(id % 48)
}

/// A fresh contract holding `n` certificates of one pool and one owner, and who acts on it.
struct Bench {
    contract: WasmContract,
    n: u32,
    minter: String,
    pool: String,
    crowd: String,
    start: Timestamp,
    rec: Recorder,
}

impl Bench {
    fn generate(n: u32) -> Result<Self, HarnessError> {
        let mut contract = WasmContract::load("loopin_stake_cert")?;
        let (minter, pool) = (contract.addr("factory"), contract.addr("pool-h100"));
        let crowd = contract.addr("crowd");
        let init = loopin::stake_cert::InstantiateMsg {
            name: "LooPIN stake certificates".into(),
            symbol: "stLOOP".into(),
            minter: minter.clone(),
        };
        contract.instantiate(&minter, &init)?.unwrap();
        let add = ExecuteMsg::AddIssuer {
            issuer: pool.clone(),
        };
        contract.execute(&minter, &add)?.unwrap();
        let start = contract.block().time;
        for id in 1..=n {
            let mut mint = mint_msg(&contract, id, &pool, start, hours(id));
            if let ExecuteMsg::Mint { owner, .. } = &mut mint {
                owner.clone_from(&crowd);
            }
            contract.execute(&pool, &mint)?.unwrap();
        }
        Ok(Self {
            contract,
            n,
            minter,
            pool,
            crowd,
            start,
            rec: Recorder::new("stake-cert", u64::from(n)),
        })
    }

    fn exec(
        &mut self,
        call: &'static str,
        sender: &str,
        msg: &ExecuteMsg,
    ) -> Result<(), HarnessError> {
        let outcome = self.contract.execute(sender, msg)?;
        self.rec.record(call, outcome);
        Ok(())
    }

    fn query(&mut self, call: &'static str, msg: &QueryMsg) -> Result<Value, HarnessError> {
        let outcome = self.contract.query::<_, Value>(msg)?;
        Ok(self.rec.record(call, outcome))
    }

    /// Queries a page and checks it is full.
    fn page(&mut self, call: &'static str, msg: &QueryMsg, key: &str) -> Result<(), HarnessError> {
        let answer = self.query(call, msg)?;
        let len = answer[key].as_array().map(Vec::len);
        assert_eq!(
            len,
            Some(PAGE as usize),
            "stake-cert, n = {}: {call}",
            self.n
        );
        Ok(())
    }
}

/// The generated token ids in the order the token-id indexes hold them (as strings).
fn sorted_ids(n: u32) -> Vec<String> {
    let mut ids: Vec<String> = (1..=n).map(|id| format!("h100-{id}")).collect();
    ids.sort();
    ids
}

/// Every call, on fresh actors and on generated certificates, against the generated state.
fn probe(mut b: Bench) -> Result<Vec<Measured>, HarnessError> {
    let (n, pool, minter, crowd) = (b.n, b.pool.clone(), b.minter.clone(), b.crowd.clone());
    let middle = n.div_ceil(2);
    let other_pool = b.contract.addr("pool-a100");
    let add = ExecuteMsg::AddIssuer {
        issuer: other_pool.clone(),
    };
    b.exec("AddIssuer", &minter, &add)?;
    let (new_a, new_b) = (n + 1, n + 2);
    let mint = mint_msg(&b.contract, new_a, &pool, b.start, 24);
    b.exec("Mint (issuer, a new device)", &pool, &mint)?;
    let mint = mint_msg(&b.contract, new_b, &other_pool, b.start, 24);
    b.exec("Mint (the other pool)", &other_pool, &mint)?;
    let extend = ExecuteMsg::Extend {
        token_id: format!("h100-{new_a}"),
        expiry: b.start.plus_seconds(96 * 3_600),
    };
    b.exec("Extend", &pool, &extend)?;

    let token_id = format!("h100-{middle}");
    let certificate = QueryMsg::Certificate {
        token_id: token_id.clone(),
    };
    b.query("query Certificate (a generated one)", &certificate)?;
    let info = QueryMsg::NftInfo {
        token_id: token_id.clone(),
    };
    b.query("query NftInfo", &info)?;
    let owner_of = QueryMsg::OwnerOf {
        token_id: token_id.clone(),
        include_expired: None,
    };
    b.query("query OwnerOf", &owner_of)?;
    let device = QueryMsg::DeviceCertificate {
        device_id: format!("gpu-{middle}"),
    };
    b.query("query DeviceCertificate", &device)?;

    let ids = sorted_ids(n);
    let last_start = (n > PAGE).then(|| ids[(n - PAGE - 1) as usize].clone());
    let by_owner = |owner: &str, start_after: Option<String>| QueryMsg::CertificatesByOwner {
        owner: owner.to_string(),
        start_after,
        limit: Some(PAGE),
    };
    let first = by_owner(&crowd, None);
    b.page(
        "query CertificatesByOwner (owner of all n: first page)",
        &first,
        "certificates",
    )?;
    let last = by_owner(&crowd, last_start.clone());
    b.page(
        "query CertificatesByOwner (owner of all n: last page)",
        &last,
        "certificates",
    )?;
    let one = by_owner(&b.contract.addr(&format!("miner-{new_a}")), None);
    b.query("query CertificatesByOwner (owner of 1 among n)", &one)?;
    let by_pool = |start_after: Option<String>| QueryMsg::CertificatesByPool {
        pool: pool.clone(),
        start_after,
        limit: Some(PAGE),
    };
    b.page(
        "query CertificatesByPool (first page)",
        &by_pool(None),
        "certificates",
    )?;
    // The pool holds the n generated ids and h100-{n + 1}, which sorts among them.
    let mut pool_ids = ids.clone();
    pool_ids.push(format!("h100-{new_a}"));
    pool_ids.sort();
    let pool_last = pool_ids[pool_ids.len() - PAGE as usize - 1].clone();
    b.page(
        "query CertificatesByPool (last page)",
        &by_pool(Some(pool_last)),
        "certificates",
    )?;

    let active = |time: Option<Timestamp>, pool: Option<String>, start_after: Option<String>| {
        QueryMsg::ActiveAt {
            time,
            pool,
            start_after,
            limit: Some(PAGE),
        }
    };
    let msg = active(None, Some(pool.clone()), None);
    b.page(
        "query ActiveAt (the pool, first page)",
        &msg,
        "certificates",
    )?;
    let msg = active(None, None, None);
    b.page(
        "query ActiveAt (every pool, first page)",
        &msg,
        "certificates",
    )?;
    // Full at n = 1,000 and more; at n = 10 the walk ends first.
    let msg = active(None, Some(pool.clone()), Some(token_id.clone()));
    b.query(
        "query ActiveAt (the pool, the page after a generated one)",
        &msg,
    )?;
    // 70 hours on, only the certificates of the last expiry class (and the extended one) are
    // active: the index walk starts at the time, not at the first entry.
    let later = Some(b.start.plus_seconds(70 * 3_600));
    let msg = active(later, Some(pool.clone()), None);
    b.query(
        "query ActiveAt (the pool, 70 hours on: a page or less)",
        &msg,
    )?;
    // Before any certificate started: every entry expires later, so the walk passes them,
    // skipping each for the start its index entry holds, and stops after the scan limit.
    let before = Some(b.start.minus_seconds(1));
    let msg = active(before, Some(pool.clone()), None);
    let answer = b.query(
        "query ActiveAt (before any started: empty, walks a bounded stretch)",
        &msg,
    )?;
    assert_eq!(answer["certificates"].as_array().map(Vec::len), Some(0));
    // The pool's index holds n and more: all walked only below the limit.
    let walked_all = (b.n as usize) < ACTIVE_AT_SCAN_LIMIT;
    assert_eq!(answer["next"].is_null(), walked_all, "n = {}", b.n);
    let tokens = QueryMsg::Tokens {
        owner: crowd.clone(),
        start_after: None,
        limit: Some(PAGE),
    };
    b.page(
        "query Tokens (owner of all n: first page)",
        &tokens,
        "tokens",
    )?;
    let all = QueryMsg::AllTokens {
        start_after: last_start,
        limit: Some(PAGE),
    };
    b.page("query AllTokens (a page among n)", &all, "tokens")?;
    b.query("query NumTokens", &QueryMsg::NumTokens {})?;
    let issuers = QueryMsg::Issuers {
        start_after: None,
        limit: Some(PAGE),
    };
    b.query("query Issuers", &issuers)?;

    // A generated certificate invalidated, one ended, the new one burned.
    let invalidate = ExecuteMsg::Invalidate {
        token_id: token_id.clone(),
        reason: "bad openings".into(),
    };
    b.exec("Invalidate (a generated one)", &pool, &invalidate)?;
    let expire = ExecuteMsg::Expire {
        token_id: format!("h100-{}", middle + 1),
    };
    b.exec("Expire (a generated one)", &pool, &expire)?;
    let burn = ExecuteMsg::Burn {
        token_id: format!("h100-{new_b}"),
    };
    b.exec("Burn (issuer)", &other_pool, &burn)?;
    let remove = ExecuteMsg::RemoveIssuer { issuer: other_pool };
    b.exec("RemoveIssuer", &minter, &remove)?;
    Ok(b.rec.rows)
}

/// Why a call's gas may differ with n.
fn reason(call: &str) -> Option<&'static str> {
    Some(match call {
        c if c.contains("page") => {
            "Paged: at most `limit` (here 10) index steps and certificate loads."
        }
        c if c.contains("bounded stretch") => {
            "Bounded: at most `ACTIVE_AT_SCAN_LIMIT` (1,000) index entries walked, each read \
             from the index alone (its value is the start); the caller continues with `next`."
        }
        _ => return None,
    })
}

/// The stake certificates' columns, one per size, and the time each took.
pub fn measure(sizes: &[u64]) -> Result<Measurements, HarnessError> {
    let generate = |n: u64| Bench::generate(u32::try_from(n).expect("n fits a u32"));
    Measurements::run("stake-cert", sizes, generate, probe)
}

/// The stake certificates' table.
pub fn table<'a>(sizes: &'a [u64], measured: &'a Measurements) -> Table<'a> {
    Table {
        title: "Stake certificates",
        description: format!(
            "Each column is a fresh `loopin_stake_cert.wasm` holding *n* certificates minted by \
             real `Mint` calls of one issuer pool, all held by one miner, expiring 24 to 71 \
             hours after the start. Then an issuer is added, two certificates minted (one for a \
             second pool) and one extended, every query asked, and a generated certificate \
             invalidated, another expired, the second pool's burned and its issuer removed. \
             Paged queries ask for {PAGE} entries."
        ),
        sizes,
        columns: &measured.columns,
        reason,
        timings: &measured.timings,
    }
}
