//! Uploads: a gzipped upload inflated as wasmd does, checked, compiled and stored under a new
//! code id; and the chain's counters (code and instance ids).

use cosmwasm_std::{Addr, Checksum};

use super::{CodeInfo, Vm};
use crate::exec::{COMPILE_COST_PER_BYTE, ExecError, Shared, to_json};
use crate::keys;
use crate::state::State;

impl Vm {
    /// Checks, compiles and stores `wasm` as a new code id.
    pub fn store_code(
        &self,
        ctx: &Shared,
        creator: &Addr,
        wasm: &[u8],
    ) -> Result<(u64, Checksum), ExecError> {
        let inflated = inflate(wasm)?;
        let wasm = inflated.as_deref().unwrap_or(wasm);
        ctx.borrow_mut()
            .gas
            .consume(COMPILE_COST_PER_BYTE.saturating_mul(wasm.len() as u64))?;
        let checksum = self
            .cache
            .store_code(wasm, true, true)
            .map_err(|e| ExecError::wasm(2, format!("create wasm contract failed: {e}")))?;
        let mut c = ctx.borrow_mut();
        let id = next_counter(&mut c.state, "code_id");
        let info = CodeInfo {
            checksum: checksum.to_hex(),
            creator: creator.to_string(),
        };
        c.state.set(&keys::code(id), to_json(&info));
        c.state.set(&keys::wasm(checksum.as_slice()), wasm.to_vec());
        Ok((id, checksum))
    }
}

pub(super) fn next_counter(state: &mut State, name: &str) -> u64 {
    let key = keys::meta(name);
    let next = state
        .get(&key)
        .and_then(|b| b.try_into().ok())
        .map(u64::from_be_bytes)
        .unwrap_or(1);
    state.set(&key, (next + 1).to_be_bytes().to_vec());
    next
}

/// wasmd's upload limit (`MaxWasmSize`), for the inflated code.
pub const MAX_WASM_SIZE: u64 = 800 * 1024;

/// A gzipped upload inflated (at most [`MAX_WASM_SIZE`] bytes), as wasmd does; `None` for plain
/// wasm.
fn inflate(wasm: &[u8]) -> Result<Option<Vec<u8>>, ExecError> {
    use std::io::Read;
    if !wasm.starts_with(&[0x1f, 0x8b]) {
        return Ok(None);
    }
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(wasm)
        .take(MAX_WASM_SIZE + 1)
        .read_to_end(&mut out)
        .map_err(|e| ExecError::wasm(2, format!("create wasm contract failed: gzip: {e}")))?;
    if out.len() as u64 > MAX_WASM_SIZE {
        return Err(ExecError::wasm(
            2,
            format!(
                "create wasm contract failed: uncompress wasm archive: max {MAX_WASM_SIZE} bytes: exceeds limit"
            ),
        ));
    }
    Ok(Some(out))
}
