//! Delivering a transaction: its messages run each in its own layer, the result and events as
//! the tx service reports them, and simulation.

use std::sync::Arc;

use cosmos_sdk_proto::Any;
use cosmos_sdk_proto::cosmos::base::abci::v1beta1::{TxMsgData, TxResponse};
use cosmos_sdk_proto::cosmwasm::wasm::v1 as wasmpb;
use cosmos_sdk_proto::tendermint::abci::{Event as AbciEvent, EventAttribute};
use cosmwasm_std::{Addr, Event, Timestamp};
use prost::Message;

use super::Chain;
use super::tx::{ChainMsg, DecodedTx, coins, tx_hash};
use crate::exec::{ExecError, GasMeter, MsgOutcome, Shared};
use crate::wasm::Vm;

fn abci_events(events: &[Event]) -> Vec<AbciEvent> {
    events
        .iter()
        .map(|e| AbciEvent {
            r#type: e.ty.clone(),
            attributes: e
                .attributes
                .iter()
                .map(|a| EventAttribute {
                    key: a.key.clone(),
                    value: a.value.clone(),
                    index: true,
                })
                .collect(),
        })
        .collect()
}

fn fail(mut response: TxResponse, e: ExecError) -> TxResponse {
    response.code = e.code;
    response.codespace = e.codespace.to_string();
    response.raw_log = e.log;
    response
}

impl Chain {
    /// Runs a transaction's messages in `ctx`, each in its own layer.
    pub(super) fn run_msgs(
        ctx: &Shared,
        vm: &Arc<Vm>,
        tx: &DecodedTx,
    ) -> Result<MsgOutcome, ExecError> {
        let mut all = MsgOutcome::default();
        for msg in &tx.msgs {
            let sender = Addr::unchecked(msg.signer());
            all.events.push(
                Event::new("message")
                    .add_attribute("action", msg.type_url())
                    .add_attribute("sender", sender.as_str())
                    .add_attribute(
                        "module",
                        match msg {
                            ChainMsg::Send(_) => "bank",
                            ChainMsg::Ibc(m) => m.module(),
                            _ => "wasm",
                        },
                    ),
            );
            let outcome = Self::run_msg(ctx, vm, &sender, msg)?;
            all.events.extend(outcome.events);
            all.msg_responses.extend(outcome.msg_responses);
        }
        Ok(all)
    }

    /// Runs one message of a transaction, signed by `sender`.
    fn run_msg(
        ctx: &Shared,
        vm: &Arc<Vm>,
        sender: &Addr,
        msg: &ChainMsg,
    ) -> Result<MsgOutcome, ExecError> {
        Ok(match msg {
            ChainMsg::StoreCode(m) => {
                let (id, checksum) = vm.store_code(ctx, sender, &m.wasm_byte_code)?;
                let response = wasmpb::MsgStoreCodeResponse {
                    code_id: id,
                    checksum: checksum.as_slice().to_vec(),
                }
                .encode_to_vec();
                MsgOutcome {
                    events: vec![
                        Event::new("store_code")
                            .add_attribute("code_checksum", checksum.to_hex())
                            .add_attribute("code_id", id.to_string()),
                    ],
                    data: None,
                    msg_responses: vec![cosmwasm_std::MsgResponse {
                        type_url: "/cosmwasm.wasm.v1.MsgStoreCodeResponse".into(),
                        value: response.into(),
                    }],
                }
            }
            ChainMsg::Instantiate(m) => {
                let admin = (!m.admin.is_empty()).then(|| m.admin.clone());
                vm.instantiate(
                    ctx,
                    sender,
                    m.code_id,
                    admin,
                    &m.label,
                    &m.msg,
                    &coins(&m.funds)?,
                    0,
                )?
                .1
            }
            ChainMsg::Execute(m) => vm.execute(
                ctx,
                sender,
                &Addr::unchecked(m.contract.clone()),
                &m.msg,
                &coins(&m.funds)?,
                0,
            )?,
            ChainMsg::Migrate(m) => vm.migrate(
                ctx,
                sender,
                &Addr::unchecked(m.contract.clone()),
                m.code_id,
                &m.msg,
                0,
            )?,
            ChainMsg::Ibc(m) => crate::ibc::execute(ctx, vm, m)?,
            ChainMsg::Send(m) => {
                vm.canonical(&m.to_address)?;
                let events = crate::bank::send_coins(
                    ctx,
                    vm.prefix(),
                    sender,
                    &Addr::unchecked(m.to_address.clone()),
                    &coins(&m.amount)?,
                )?;
                MsgOutcome {
                    events,
                    data: None,
                    msg_responses: vec![cosmwasm_std::MsgResponse {
                        type_url: "/cosmos.bank.v1beta1.MsgSendResponse".into(),
                        value: Default::default(),
                    }],
                }
            }
        })
    }

    /// Executes a transaction against the current state (DeliverTx when `simulate` is false).
    /// Returns the ABCI-style result. Ante writes persist even when a message fails; message
    /// writes only when all succeed.
    pub(super) fn deliver(&mut self, bytes: &[u8], tx_index: u32, simulate: bool) -> TxResponse {
        let hash = tx_hash(bytes);
        // The transaction as it was sent (a `TxRaw`, which decodes as a `Tx`), failed or not:
        // CometBFT's RPC serves these bytes, whose SHA-256 is the hash.
        let mut response = TxResponse {
            txhash: hash.clone(),
            height: (self.header.height + 1) as i64,
            tx: Some(Any {
                type_url: "/cosmos.tx.v1beta1.Tx".into(),
                value: bytes.to_vec(),
            }),
            ..TxResponse::default()
        };
        let tx = match self.decode_tx(bytes) {
            Ok(tx) => tx,
            Err(e) => return fail(response, e),
        };
        let gas_limit = if simulate { u64::MAX / 2 } else { tx.gas_limit };
        response.gas_wanted = tx.gas_limit as i64;
        let mut meter = GasMeter::new(gas_limit);
        let expected = if simulate {
            self.check_sequences.get(&tx.signer).copied()
        } else {
            None
        };
        let checked = (!simulate).then_some(hash.as_str());
        if let Err(e) = self.ante(&tx, bytes.len(), checked, expected, &mut meter) {
            response.gas_used = meter.used as i64;
            return fail(response, e);
        }
        let mut block = self.block_info();
        block.height += 1;
        if !simulate {
            block.time = Timestamp::from_nanos(self.next_time());
        }
        let used_before = meter.used;
        self.state.push();
        let (result, after) = self.with_ctx(block, Some(tx_index), gas_limit, |ctx, vm| {
            ctx.borrow_mut().gas.used = used_before;
            Self::run_msgs(ctx, vm, &tx)
        });
        response.gas_used = after.used.min(after.limit) as i64;
        match result {
            Ok(outcome) => {
                self.state.merge();
                response.events = abci_events(&outcome.events);
                response.data = hex::encode_upper(
                    TxMsgData {
                        #[allow(deprecated)]
                        data: vec![],
                        msg_responses: outcome
                            .msg_responses
                            .iter()
                            .map(|r| Any {
                                type_url: r.type_url.clone(),
                                value: r.value.to_vec(),
                            })
                            .collect(),
                    }
                    .encode_to_vec(),
                );
                response
            }
            Err(e) => {
                self.state.discard();
                fail(response, e)
            }
        }
    }

    /// Simulates a transaction on the current state without keeping anything.
    pub fn simulate(&mut self, bytes: &[u8]) -> Result<TxResponse, ExecError> {
        self.state.push();
        let response = self.deliver(bytes, 0, true);
        while self.state.depth() > 0 {
            self.state.discard();
        }
        if response.code != 0 {
            let codespace = match response.codespace.as_str() {
                "wasm" => "wasm",
                crate::ibc::error::CODESPACE => crate::ibc::error::CODESPACE,
                _ => "sdk",
            };
            return Err(ExecError::new(codespace, response.code, response.raw_log));
        }
        Ok(response)
    }
}
