//! What every IBC handler works with: the running transaction and the VM, and the outcome of a
//! handled message.

use std::sync::Arc;

use cosmwasm_std::Event;

use super::store;
use crate::exec::{MsgOutcome, Shared};
use crate::wasm::Vm;

/// What an IBC handler works with: the running transaction and the VM (for contracts' entry
/// points), at a contract call depth.
pub struct Host<'a> {
    pub ctx: &'a Shared,
    pub vm: &'a Arc<Vm>,
    pub depth: usize,
}

impl Host<'_> {
    /// The transaction's state, gas metered.
    pub fn m(&self) -> store::Metered<'_> {
        store::Metered(self.ctx)
    }
}

/// A message's outcome: its events and one `msg_responses` entry.
pub(crate) fn response(events: Vec<Event>, type_url: &str, value: Vec<u8>) -> MsgOutcome {
    MsgOutcome {
        events,
        data: None,
        msg_responses: vec![cosmwasm_std::MsgResponse {
            type_url: type_url.to_string(),
            value: value.into(),
        }],
    }
}
