//! A contract's response: its attributes and events as the chain's events, its submessages
//! dispatched in order through the router, with replies, each in its own state layer.

use std::sync::Arc;

use cosmwasm_std::{
    Addr, Binary, CosmosMsg, Event, Reply, ReplyOn, Response, SubMsg, SubMsgResponse, SubMsgResult,
};

use super::Vm;
use super::instance::Call;
use crate::exec::{ExecError, MsgOutcome, Shared};

impl Vm {
    /// Turns a contract's response into events (after `base`, the message's own event, if any)
    /// and dispatches its submessages in order.
    pub(crate) fn handle_response(
        self: &Arc<Self>,
        ctx: &Shared,
        contract: &Addr,
        base: Option<Event>,
        response: Response,
        depth: usize,
    ) -> Result<(Vec<Event>, Option<Binary>), ExecError> {
        let mut events: Vec<Event> = base.into_iter().collect();
        if !response.attributes.is_empty() {
            events.push(
                Event::new("wasm")
                    .add_attribute("_contract_address", contract.as_str())
                    .add_attributes(response.attributes),
            );
        }
        for event in response.events {
            events.push(
                Event::new(format!("wasm-{}", event.ty))
                    .add_attribute("_contract_address", contract.as_str())
                    .add_attributes(event.attributes),
            );
        }
        let mut data = response.data;
        for sub in response.messages {
            let (mut sub_events, reply_data) = self.dispatch_submsg(ctx, contract, sub, depth)?;
            events.append(&mut sub_events);
            if reply_data.is_some() {
                data = reply_data;
            }
        }
        Ok((events, data))
    }

    fn dispatch_submsg(
        self: &Arc<Self>,
        ctx: &Shared,
        contract: &Addr,
        sub: SubMsg,
        depth: usize,
    ) -> Result<(Vec<Event>, Option<Binary>), ExecError> {
        let gas_before = ctx.borrow().gas.used;
        ctx.borrow_mut().state.push();
        let result = self.dispatch(ctx, contract, sub.msg, depth + 1);
        match &result {
            Ok(_) => ctx.borrow_mut().state.merge(),
            Err(_) => ctx.borrow_mut().state.discard(),
        }
        let wants_reply = match (&result, sub.reply_on) {
            (_, ReplyOn::Always) => true,
            (Ok(_), ReplyOn::Success) => true,
            (Err(e), ReplyOn::Error) => !e.is_out_of_gas(),
            _ => false,
        };
        if !wants_reply {
            return result.map(|outcome| (outcome.events, None));
        }
        if let Err(e) = &result
            && e.is_out_of_gas()
        {
            return Err(e.clone());
        }
        let gas_used = ctx.borrow().gas.used - gas_before;
        let (events, sub_result) = match result {
            #[allow(deprecated)]
            Ok(outcome) => (
                outcome.events.clone(),
                SubMsgResult::Ok(SubMsgResponse {
                    events: outcome.events,
                    data: outcome.data,
                    msg_responses: outcome.msg_responses,
                }),
            ),
            Err(e) => (
                vec![],
                SubMsgResult::Err(format!(
                    "codespace: {}, code: {}: {}",
                    e.codespace, e.code, e.log
                )),
            ),
        };
        let reply = Reply {
            id: sub.id,
            payload: sub.payload,
            gas_used,
            result: sub_result,
        };
        let response = self.call(ctx, contract, Call::Reply(&reply), depth + 1)?;
        let base = Event::new("reply").add_attribute("_contract_address", contract.as_str());
        let (mut reply_events, data) =
            self.handle_response(ctx, contract, Some(base), response, depth + 1)?;
        let mut all = events;
        all.append(&mut reply_events);
        Ok((all, data))
    }

    /// Dispatches one message sent by a contract, through the chain's router.
    fn dispatch(
        self: &Arc<Self>,
        ctx: &Shared,
        sender: &Addr,
        msg: CosmosMsg,
        depth: usize,
    ) -> Result<MsgOutcome, ExecError> {
        self.router.execute(self, ctx, sender, msg, depth)
    }
}
