//! Audits of a Pass's GEMM (`loopin_pocps::gemm_audit`): the Pass records the root the device
//! signed over the rows of C and the seed it answers; an audit asks for one row at up to four
//! columns, and the chain judges the row as committed by recomputing those entries from the
//! seed. The rules (who audits, the window, fee, void) are the step audits' ([`super::rules`]),
//! with limits of their own; what is asked, who chooses it, and what a fault costs differ.
//!
//! - **The beacon chooses the cells** of an open audit (the first round after it that reaches
//!   the quorum without the auditor): a cheater's friends auditing rows it computed on purpose
//!   would otherwise fill the Pass's audits with answers that pass. An auditor that holds a
//!   wrong row names its own cells, and is judged at once.
//! - **The device bears it**: only the device can show a row (it alone can compute C again and
//!   holds the row tree). A wrong entry invalidates it; silence voids the Pass and accuses it,
//!   as a lateness quorum would, and it keeps its certificate by winning an appeal.
//!
//! This is what makes a GEMM Pass checkable without trusting its verifier: a device that signed
//! a root it did not compute cannot show a right row, and an honest one shows any row by
//! computing C again on its card.

use cosmwasm_std::{Addr, DepsMut, Empty, Env, MessageInfo, Response, Storage};
use loopin::registry::{DeviceStatus, GEMM_DRAW_ROUNDS, GemmCells, GemmProofMsg, GemmRowMsg};
use loopin_pocps::gemm::Shape;
use loopin_pocps::gemm_audit::{EntryFault, check_cells, draw_cells, judge_row, row_from_bytes};
use sha2::{Digest, Sha256};

use super::rules::{
    Asked, Auditable, Fault, answerable, auditable, close_undrawn, decide, open_audit, shown_wrong,
    void_pass,
};
use crate::appeal;
use crate::entropy::{current_round, randomness_round_through};
use crate::error::ContractError;
use crate::judge::hash32;
use crate::state::{CONFIG, Challenge, Config, DEVICES, Device, LATE_VOTES};

/// Longest row path accepted (m ≤ 2^24 rows).
const MAX_ROW_PATH: usize = 24;

/// The lateness window an accusation by an unanswered audit of challenge `id`'s GEMM is filed
/// under: above every window of time, so no late vote is ever cast in it and an upheld appeal
/// penalises no voter; the auditor, recorded there, is not drawn to judge that appeal (and only
/// that one).
pub fn audit_window(id: u64) -> u64 {
    (1 << 63) | id
}

pub(crate) fn audit_gemm(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    id: u64,
    proof: Option<GemmProofMsg>,
) -> Result<Response, ContractError> {
    let a = auditable(deps.storage, &env, &info.sender, id)?;
    recorded(&a.challenge, &a.device, id)?;
    let response = Response::new()
        .add_attribute("action", "audit_gemm")
        .add_attribute("challenge_id", id.to_string())
        .add_attribute("auditor", &info.sender);
    let Some(GemmProofMsg { cells, row }) = proof else {
        let after = current_round(&a.config, &env);
        let response = response.add_attribute("cells_after_round", after.to_string());
        return open_audit(
            deps.storage,
            &env,
            a,
            &info.sender,
            Asked::Gemm { after },
            response,
        );
    };
    // A row that shows a wrong entry, at cells its holder names, is judged whatever audits are
    // open.
    match judge(&a.challenge, &a.device, id, &cells, &row)? {
        None => Err(ContractError::GemmRowSound { row: cells.row }),
        Some(fault) => {
            let Auditable {
                config,
                mut challenge,
                ..
            } = a;
            let fault = entry_fault(&fault);
            shown_wrong(
                deps,
                &env,
                &config,
                id,
                &mut challenge,
                fault,
                &info.sender,
                response,
            )
        }
    }
}

pub(crate) fn answer_gemm_audit(
    deps: DepsMut,
    env: Env,
    id: u64,
    auditor: String,
    row: GemmRowMsg,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let auditor = deps.api.addr_validate(&auditor)?;
    let (mut challenge, open) = answerable(deps.storage, &env, id, &auditor)?;
    let after = open
        .gemm_after
        .ok_or(ContractError::WrongAuditKind { id, gemm: false })?;
    let target = challenge.target.clone().unwrap_or_default();
    let device = DEVICES.load(deps.storage, &target)?;
    let (shape, ..) = recorded(&challenge, &device, id)?;
    let cells = drawn_cells(deps.storage, (&config, &env), (id, &auditor, after), shape)?
        .ok_or(ContractError::RandomnessPending { round: after })?;
    let fault = judge(&challenge, &device, id, &cells, &row)?;
    let response = Response::new()
        .add_attribute("action", "answer_gemm_audit")
        .add_attribute("challenge_id", id.to_string())
        .add_attribute("auditor", &auditor)
        .add_attribute("row", cells.row.to_string());
    // The fee goes to the device's owner whoever sends the row: only the device can compute it,
    // and a copy of its answer taken from the mempool earns nothing.
    let owner = device.owner.clone();
    let fault = fault.as_ref().map(entry_fault);
    let parties = (&auditor, &owner, device.owner);
    decide(
        deps,
        &env,
        &config,
        (id, &mut challenge),
        parties,
        fault,
        response,
    )
}

/// The cells `auditor`'s open audit of challenge `id` asks for: drawn by the first of the
/// [`GEMM_DRAW_ROUNDS`] beacon rounds after `after` that reaches the quorum without the auditor,
/// in C of `shape`; `None` until that round is final, and for good if none of them does.
pub(crate) fn drawn_cells(
    storage: &dyn Storage,
    (config, env): (&Config, &Env),
    (id, auditor, after): (u64, &Addr, u64),
    shape: Shape,
) -> Result<Option<GemmCells>, ContractError> {
    // Only the rounds the answer window allows for: a draw after them would leave the device
    // no time to answer.
    let rounds = (after, after.saturating_add(GEMM_DRAW_ROUNDS));
    let Some((_, beacon)) = randomness_round_through(storage, config, env, rounds, auditor)? else {
        return Ok(None);
    };
    let randomness: [u8; 32] = Sha256::new()
        .chain_update(b"loopin/registry/gemm-audit")
        .chain_update(beacon.value)
        .chain_update(id.to_le_bytes())
        .chain_update(auditor.as_bytes())
        .finalize()
        .into();
    let (row, cols) = draw_cells(&randomness, shape);
    Ok(Some(GemmCells { row, cols }))
}

/// A GEMM wrong at an entry is the device's fault (it signed the root). The Pass's verifier
/// checked sampled rows, as the protocol asks, and may have missed a single wrong row: it pays
/// `skip_penalty_bps`, not its whole bond (a miner could otherwise burn an honest verifier's
/// bond with one wrong row, at the price of its own stake).
fn entry_fault(fault: &EntryFault) -> Fault {
    Fault {
        outcome: "bad_entry",
        text: fault.to_string(),
        whole_bond: false,
    }
}

/// An audit of the GEMM past its answer window. Its cells never drawn (no beacon round reached
/// the quorum in time): closed without effect, and the auditor may audit again. Drawn and not
/// answered: only the device could have shown the row, so the Pass is voided and the device
/// accused (with no appeal allowed, invalidated at once); it keeps its certificate by winning
/// an appeal, GEMM included. The Pass's verifier, who could not have answered, loses nothing
/// but the pass, and no reward is paid for a silence the device chose.
pub(super) fn unanswered(
    deps: DepsMut,
    env: &Env,
    config: &Config,
    id: u64,
    (challenge, auditor, after): (&mut Challenge, &Addr, u64),
) -> Result<Response, ContractError> {
    let target = challenge.target.clone().unwrap_or_default();
    let device = DEVICES.load(deps.storage, &target)?;
    let (shape, ..) = recorded(challenge, &device, id)?;
    let drawn = drawn_cells(deps.storage, (config, env), (id, auditor, after), shape)?;
    let response = Response::new()
        .add_attribute("action", "finalize_audit")
        .add_attribute("challenge_id", id.to_string());
    if drawn.is_none() {
        let release = close_undrawn(deps.storage, config, id, challenge, auditor)?;
        return Ok(response
            .add_attribute("outcome", "undrawn")
            .add_messages(release));
    }
    let (attributes, mut messages) = void_pass(deps.storage, config, id, challenge)?;
    let active = device.status == DeviceStatus::Active;
    if active {
        LATE_VOTES.save(
            deps.storage,
            (&target, audit_window(id), auditor),
            &Empty {},
        )?;
        messages.extend(appeal::accuse(
            deps.storage,
            config,
            env.block.time,
            &target,
            audit_window(id),
            0,
        )?);
    }
    Ok(response
        .add_attribute("outcome", "unanswered")
        .add_attribute("accused", if active { target.as_str() } else { "" })
        .add_attributes(attributes)
        .add_messages(messages))
}

/// The class's shape, and the root and seed the Pass recorded: refused for a Pass without a GEMM.
pub(crate) fn recorded(
    challenge: &Challenge,
    device: &Device,
    id: u64,
) -> Result<(Shape, [u8; 32], [u8; 32]), ContractError> {
    let pass = challenge.pass.as_ref();
    match (
        device.gemm.as_ref(),
        pass.and_then(|p| p.gemm_root),
        pass.and_then(|p| p.gemm_seed),
    ) {
        (Some(class), Some(root), Some(seed)) => Ok((class.shape(), root, seed)),
        _ => Err(ContractError::NoGemmToAudit { id }),
    }
}

/// Judges the row shown against the Pass's recorded root at `cells`: `None` right, `Some` a
/// wrong entry; an error when the cells are not C's or the row is not the committed one (it
/// proves nothing).
fn judge(
    challenge: &Challenge,
    device: &Device,
    id: u64,
    cells: &GemmCells,
    row: &GemmRowMsg,
) -> Result<Option<EntryFault>, ContractError> {
    let (shape, root, seed) = recorded(challenge, device, id)?;
    check_cells(shape, cells.row, &cells.cols).map_err(|e| ContractError::BadGemmCells {
        reason: e.to_string(),
    })?;
    let bad = |reason: String| ContractError::BadGemmRow { reason };
    let entries = row_from_bytes(row.entries.as_slice())
        .ok_or_else(|| bad("entries are 4 bytes each".into()))?;
    if row.path.len() > MAX_ROW_PATH {
        return Err(bad(format!("a path has at most {MAX_ROW_PATH} hashes")));
    }
    let path = row
        .path
        .iter()
        .map(|h| hash32("path", h))
        .collect::<Result<Vec<_>, _>>()?;
    judge_row(&seed, shape, &root, cells.row, &cells.cols, &entries, &path)
        .map_err(|e| bad(e.to_string()))
}
