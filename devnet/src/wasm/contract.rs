//! The wasm module's messages: instantiate, execute, migrate and the admin changes, from a
//! transaction or from a contract's [`WasmMsg`].

use std::sync::Arc;

use cosmos_sdk_proto::cosmwasm::wasm::v1 as wasmpb;
use cosmwasm_std::{
    Addr, Binary, Coin, CosmosMsg, Empty, Event, MessageInfo, MsgResponse, WasmMsg,
};
use prost::Message;

use super::code::next_counter;
use super::instance::Call;
use super::{ContractMeta, Vm};
use crate::address::contract_address;
use crate::bank;
use crate::exec::{ExecError, MsgOutcome, Shared, to_json};
use crate::keys;

impl Vm {
    /// Instantiates a new contract of `code_id`.
    #[allow(clippy::too_many_arguments)]
    pub fn instantiate(
        self: &Arc<Self>,
        ctx: &Shared,
        sender: &Addr,
        code_id: u64,
        admin: Option<String>,
        label: &str,
        msg: &[u8],
        funds: &[Coin],
        depth: usize,
    ) -> Result<(Addr, MsgOutcome), ExecError> {
        self.checksum_of(ctx, code_id)?;
        if label.trim().is_empty() {
            return Err(ExecError::wasm(12, "label is required: empty"));
        }
        if let Some(admin) = &admin {
            self.canonical(admin)?;
        }
        let (canonical, created_height) = {
            let mut c = ctx.borrow_mut();
            let instance_id = next_counter(&mut c.state, "instance_id");
            (contract_address(code_id, instance_id), c.block.height)
        };
        let contract = self.addr(&canonical)?;
        let meta = ContractMeta {
            code_id,
            creator: sender.to_string(),
            admin,
            label: label.to_string(),
            created_height,
        };
        ctx.borrow_mut()
            .state
            .set(&keys::contract(&canonical), to_json(&meta));
        let mut events = bank::send_coins(ctx, &self.prefix, sender, &contract, funds)?;
        let info = MessageInfo {
            sender: sender.clone(),
            funds: funds.to_vec(),
        };
        let response = self.call(ctx, &contract, Call::Instantiate(&info, msg), depth)?;
        let base = Event::new("instantiate")
            .add_attribute("_contract_address", contract.as_str())
            .add_attribute("code_id", code_id.to_string());
        let (mut more, data) = self.handle_response(ctx, &contract, Some(base), response, depth)?;
        events.append(&mut more);
        let reply = wasmpb::MsgInstantiateContractResponse {
            address: contract.to_string(),
            data: data.clone().map(|d| d.to_vec()).unwrap_or_default(),
        }
        .encode_to_vec();
        Ok((
            contract,
            MsgOutcome {
                events,
                data: Some(Binary::from(reply.clone())),
                msg_responses: vec![MsgResponse {
                    type_url: "/cosmwasm.wasm.v1.MsgInstantiateContractResponse".into(),
                    value: Binary::from(reply),
                }],
            },
        ))
    }

    /// Executes `msg` on `contract`.
    pub fn execute(
        self: &Arc<Self>,
        ctx: &Shared,
        sender: &Addr,
        contract: &Addr,
        msg: &[u8],
        funds: &[Coin],
        depth: usize,
    ) -> Result<MsgOutcome, ExecError> {
        let mut events = bank::send_coins(ctx, &self.prefix, sender, contract, funds)?;
        let info = MessageInfo {
            sender: sender.clone(),
            funds: funds.to_vec(),
        };
        let response = self.call(ctx, contract, Call::Execute(&info, msg), depth)?;
        let base = Event::new("execute").add_attribute("_contract_address", contract.as_str());
        let (mut more, data) = self.handle_response(ctx, contract, Some(base), response, depth)?;
        events.append(&mut more);
        let reply = wasmpb::MsgExecuteContractResponse {
            data: data.clone().map(|d| d.to_vec()).unwrap_or_default(),
        }
        .encode_to_vec();
        Ok(MsgOutcome {
            events,
            data: Some(Binary::from(reply.clone())),
            msg_responses: vec![MsgResponse {
                type_url: "/cosmwasm.wasm.v1.MsgExecuteContractResponse".into(),
                value: Binary::from(reply),
            }],
        })
    }

    /// Migrates `contract` to `code_id`; only its admin may.
    pub fn migrate(
        self: &Arc<Self>,
        ctx: &Shared,
        sender: &Addr,
        contract: &Addr,
        code_id: u64,
        msg: &[u8],
        depth: usize,
    ) -> Result<MsgOutcome, ExecError> {
        let canonical = self.canonical(contract.as_str())?;
        let mut meta = self
            .contract_meta(ctx, &canonical)
            .ok_or_else(|| ExecError::wasm(8, format!("no such contract: {contract}")))?;
        if meta.admin.as_deref() != Some(sender.as_str()) {
            return Err(ExecError::sdk(
                4,
                "caller is not the contract admin: unauthorized",
            ));
        }
        self.checksum_of(ctx, code_id)?;
        meta.code_id = code_id;
        ctx.borrow_mut()
            .state
            .set(&keys::contract(&canonical), to_json(&meta));
        let response = self.call(ctx, contract, Call::Migrate(msg), depth)?;
        let base = Event::new("migrate")
            .add_attribute("_contract_address", contract.as_str())
            .add_attribute("code_id", code_id.to_string());
        let (events, data) = self.handle_response(ctx, contract, Some(base), response, depth)?;
        Ok(MsgOutcome {
            events,
            data,
            msg_responses: vec![],
        })
    }

    fn set_admin(
        &self,
        ctx: &Shared,
        sender: &Addr,
        contract: &str,
        admin: Option<String>,
    ) -> Result<MsgOutcome, ExecError> {
        let canonical = self.canonical(contract)?;
        let mut meta = self
            .contract_meta(ctx, &canonical)
            .ok_or_else(|| ExecError::wasm(8, format!("no such contract: {contract}")))?;
        if meta.admin.as_deref() != Some(sender.as_str()) {
            return Err(ExecError::sdk(
                4,
                "caller is not the contract admin: unauthorized",
            ));
        }
        if let Some(admin) = &admin {
            self.canonical(admin)?;
        }
        meta.admin = admin;
        ctx.borrow_mut()
            .state
            .set(&keys::contract(&canonical), to_json(&meta));
        Ok(MsgOutcome::default())
    }

    /// Runs a [`WasmMsg`] a contract sent.
    pub fn execute_wasm(
        self: &Arc<Self>,
        ctx: &Shared,
        sender: &Addr,
        msg: WasmMsg,
        depth: usize,
    ) -> Result<MsgOutcome, ExecError> {
        match msg {
            WasmMsg::Execute {
                contract_addr,
                msg,
                funds,
            } => self.execute(
                ctx,
                sender,
                &Addr::unchecked(contract_addr),
                &msg,
                &funds,
                depth,
            ),
            WasmMsg::Instantiate {
                admin,
                code_id,
                msg,
                funds,
                label,
            } => self
                .instantiate(ctx, sender, code_id, admin, &label, &msg, &funds, depth)
                .map(|(_, outcome)| outcome),
            WasmMsg::Migrate {
                contract_addr,
                new_code_id,
                msg,
            } => self.migrate(
                ctx,
                sender,
                &Addr::unchecked(contract_addr),
                new_code_id,
                &msg,
                depth,
            ),
            WasmMsg::UpdateAdmin {
                contract_addr,
                admin,
            } => self.set_admin(ctx, sender, &contract_addr, Some(admin)),
            WasmMsg::ClearAdmin { contract_addr } => {
                self.set_admin(ctx, sender, &contract_addr, None)
            }
            other => Err(ExecError::wasm(
                20,
                format!(
                    "unsupported message on the devnet: {:?}",
                    CosmosMsg::<Empty>::Wasm(other)
                ),
            )),
        }
    }
}
