//! Audits of a Pass's GEMM (`loopin_pocps::gemm_audit`): the Pass records the root the device
//! signed over the rows of C and the seed it answers; an auditor names one row and up to four
//! columns, and the chain judges the row as committed by recomputing those entries from the
//! seed. The rules (who audits, the window, limits, fee, void and slash) are the step audits'
//! ([`crate::audit`]); only what is asked and how it is judged differ.
//!
//! This is what makes a GEMM Pass checkable without trusting its verifier: a device that signed
//! a root it did not compute cannot show a right row, and an honest one shows any row by
//! computing C again on its card.

use cosmwasm_std::{Addr, DepsMut, Env, MessageInfo, Response};
use loopin::registry::DeviceStatus;
use loopin::registry::{GemmCells, GemmRowMsg};
use loopin_pocps::gemm::Shape;
use loopin_pocps::gemm_audit::{EntryFault, check_cells, judge_row, row_from_bytes};

use crate::appeal;
use crate::audit::{
    Auditable, Fault, answerable, auditable, open_audit, shown_right, shown_wrong, void_pass,
};
use crate::error::ContractError;
use crate::judge::hash32;
use crate::rewards::reward;
use crate::state::{CONFIG, Challenge, Config, DEVICES, Device};

/// Longest row path accepted (m ≤ 2^24 rows).
const MAX_ROW_PATH: usize = 24;

pub(crate) fn audit_gemm(
    deps: DepsMut,
    env: Env,
    info: MessageInfo,
    id: u64,
    cells: GemmCells,
    proof: Option<GemmRowMsg>,
) -> Result<Response, ContractError> {
    let a = auditable(deps.storage, &env, &info.sender, id)?;
    let (shape, ..) = recorded(&a.challenge, &a.device, id)?;
    check_cells(shape, cells.row, &cells.cols).map_err(|e| ContractError::BadGemmCells {
        reason: e.to_string(),
    })?;
    let response = Response::new()
        .add_attribute("action", "audit_gemm")
        .add_attribute("challenge_id", id.to_string())
        .add_attribute("auditor", &info.sender)
        .add_attribute("row", cells.row.to_string());
    let Some(row) = proof else {
        return open_audit(
            deps.storage,
            &env,
            a,
            &info.sender,
            (0, Some(cells)),
            response,
        );
    };
    // A row that shows a wrong entry is judged whatever audits are open.
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
    info: MessageInfo,
    id: u64,
    auditor: String,
    row: GemmRowMsg,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let auditor = deps.api.addr_validate(&auditor)?;
    let (mut challenge, open) = answerable(deps.storage, &env, id, &auditor)?;
    let cells = open
        .gemm
        .ok_or(ContractError::WrongAuditKind { id, gemm: false })?;
    let target = challenge.target.clone().unwrap_or_default();
    let device = DEVICES.load(deps.storage, &target)?;
    let fault = judge(&challenge, &device, id, &cells, &row)?;
    let response = Response::new()
        .add_attribute("action", "answer_gemm_audit")
        .add_attribute("challenge_id", id.to_string())
        .add_attribute("auditor", &auditor)
        .add_attribute("row", cells.row.to_string());
    match fault {
        None => shown_right(
            deps.storage,
            &config,
            id,
            &mut challenge,
            &auditor,
            &info.sender,
            device.owner,
            response,
        ),
        // Whoever answered showed the device's own wrong entry.
        Some(fault) => {
            let fault = entry_fault(&fault);
            shown_wrong(
                deps,
                &env,
                &config,
                id,
                &mut challenge,
                fault,
                &auditor,
                response,
            )
        }
    }
}

/// The class's shape, and the root and seed the Pass recorded: refused for a Pass without a GEMM.
fn recorded(
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

/// Judges the row shown against the Pass's recorded root at the audited columns: `None` right,
/// `Some` a wrong entry; an error when the row is not the committed one (it proves nothing).
fn judge(
    challenge: &Challenge,
    device: &Device,
    id: u64,
    cells: &GemmCells,
    row: &GemmRowMsg,
) -> Result<Option<EntryFault>, ContractError> {
    let (shape, root, seed) = recorded(challenge, device, id)?;
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

/// A wrong entry is the device's fault (it signed the root). The Pass's verifier checked sampled
/// rows, as the protocol asks, and may have missed a single wrong row: it pays
/// `skip_penalty_bps`, not its whole bond (a miner could otherwise burn an honest verifier's
/// bond with one wrong row, at the price of its own stake).
fn entry_fault(fault: &EntryFault) -> Fault {
    Fault {
        outcome: "bad_entry",
        text: fault.to_string(),
        whole_bond: false,
    }
}

/// Nobody showed the audited row in time. Only the device can (it alone can compute C again and
/// holds the row tree), so the Pass is voided and the device accused, as a lateness quorum would
/// accuse it: it keeps its certificate if it appeals and passes challenges from freshly drawn
/// verifiers, GEMM included; it is invalidated if it does not (at once where the settings allow
/// no appeal). The Pass's verifier, who could not have answered, loses nothing but the pass.
pub(crate) fn unanswered(
    deps: DepsMut,
    env: &Env,
    config: &Config,
    id: u64,
    challenge: &mut Challenge,
    auditor: &Addr,
) -> Result<Response, ContractError> {
    let (attributes, mut messages) = void_pass(deps.storage, id, challenge)?;
    let target = challenge.target.clone().unwrap_or_default();
    let active = DEVICES.load(deps.storage, &target)?.status == DeviceStatus::Active;
    if active {
        let window = env.block.time.seconds() / config.settings.lateness_window_seconds;
        messages.extend(appeal::accuse(
            deps.storage,
            config,
            env.block.time,
            &target,
            window,
            0,
        )?);
    }
    let reward = reward(deps.storage, config, env, auditor)?;
    Ok(Response::new()
        .add_attribute("action", "finalize_audit")
        .add_attribute("challenge_id", id.to_string())
        .add_attribute("outcome", "unanswered")
        .add_attribute("accused", if active { target.as_str() } else { "" })
        .add_attributes(attributes)
        .add_messages(messages)
        .add_submessages(reward))
}
