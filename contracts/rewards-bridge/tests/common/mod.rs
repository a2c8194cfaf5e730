//! The bridge as LooPIN configures it, and the helpers its tests share.
#![allow(dead_code, unused_imports)]

pub use cosmwasm_std::testing::{
    MockApi, MockQuerier, MockStorage, message_info, mock_dependencies, mock_env,
    mock_ibc_channel_close_confirm, mock_ibc_channel_close_init, mock_ibc_channel_connect_ack,
    mock_ibc_channel_connect_confirm, mock_ibc_channel_open_init, mock_ibc_channel_open_try,
    mock_ibc_packet_ack, mock_ibc_packet_recv, mock_ibc_packet_timeout,
};
pub use cosmwasm_std::{
    Addr, Binary, CosmosMsg, IbcAcknowledgement, IbcBasicResponse, IbcMsg, IbcOrder, IbcTimeout,
    OwnedDeps, ReplyOn, Response, SubMsg, Uint128, WasmMsg, coins, from_json, to_json_binary,
};
pub use cw_utils::PaymentError;
pub use cw20::{Cw20ExecuteMsg, Cw20ReceiveMsg};
pub use cw20_ics20::ContractError as Ics20Error;
pub use loopin_rewards_bridge::ContractError;
pub use loopin_rewards_bridge::contract::{execute, instantiate, migrate, query};
pub use loopin_rewards_bridge::ibc::{
    ibc_channel_close, ibc_channel_connect, ibc_channel_open, ibc_packet_ack, ibc_packet_receive,
    ibc_packet_timeout,
};
pub use loopin_rewards_bridge::msg::{
    AllowMsg, AllowedResponse, Amount, ChannelResponse, ExecuteMsg, ICS20_VERSION, Ics20Ack,
    Ics20Packet, InstantiateMsg, MigrateMsg, QueryMsg, TransferMsg, cw20_denom,
};

pub type Deps = OwnedDeps<MockStorage, MockApi, MockQuerier>;

pub const CHANNEL: &str = "channel-0";
pub const DEFAULT_TIMEOUT: u64 = 600;
/// 1.5 LOOP in micro-units.
pub const AMOUNT: u128 = 1_500_000;
pub const REMOTE: &str = "osmo1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5lzv7xu";

pub struct Bridge {
    pub deps: Deps,
    pub loop_token: Addr,
    pub gov: Addr,
    pub alice: Addr,
}

pub fn addr(deps: &Deps, name: &str) -> Addr {
    deps.api.addr_make(name)
}

/// A bridge instantiated the way LooPIN deploys it, with `CHANNEL` open.
pub fn bridge() -> Bridge {
    let mut deps = mock_dependencies();
    deps.api = MockApi::default().with_prefix("loopin");
    let loop_token = addr(&deps, "loop-token");
    let gov = addr(&deps, "deployer");
    let alice = addr(&deps, "alice");
    let msg = InstantiateMsg {
        default_timeout: DEFAULT_TIMEOUT,
        gov_contract: gov.to_string(),
        allowlist: vec![AllowMsg {
            contract: loop_token.to_string(),
            gas_limit: None,
        }],
        default_gas_limit: None,
    };
    instantiate(deps.as_mut(), mock_env(), message_info(&gov, &[]), msg).unwrap();
    ibc_channel_open(
        deps.as_mut(),
        mock_env(),
        mock_ibc_channel_open_init(CHANNEL, IbcOrder::Unordered, ICS20_VERSION),
    )
    .unwrap();
    ibc_channel_connect(
        deps.as_mut(),
        mock_env(),
        mock_ibc_channel_connect_ack(CHANNEL, IbcOrder::Unordered, ICS20_VERSION),
    )
    .unwrap();
    Bridge {
        deps,
        loop_token,
        gov,
        alice,
    }
}

pub fn transfer_msg(timeout: Option<u64>, memo: Option<&str>) -> Binary {
    to_json_binary(&TransferMsg {
        channel: CHANNEL.into(),
        remote_address: REMOTE.into(),
        timeout,
        memo: memo.map(str::to_string),
    })
    .unwrap()
}

impl Bridge {
    /// `holder` sends `amount` of `token` to the bridge with the cw20 `Send`: the execution of
    /// the bridge the token contract makes, decoded from the exact message cw20 builds.
    pub fn cw20_send(
        &mut self,
        token: &Addr,
        holder: &Addr,
        amount: u128,
        msg: Binary,
    ) -> Result<Response, ContractError> {
        let bridge = mock_env().contract.address;
        let callback = Cw20ReceiveMsg {
            sender: holder.to_string(),
            amount: Uint128::new(amount),
            msg,
        }
        .into_cosmos_msg(&bridge)
        .unwrap();
        let CosmosMsg::Wasm(WasmMsg::Execute {
            contract_addr, msg, ..
        }) = callback
        else {
            unreachable!()
        };
        assert_eq!(contract_addr, bridge.as_str());
        execute(
            self.deps.as_mut(),
            mock_env(),
            message_info(token, &[]),
            from_json(&msg).unwrap(),
        )
    }

    /// Alice sends `AMOUNT` LOOP to `REMOTE`; returns the packet's data as sent.
    pub fn send_loop(&mut self) -> Binary {
        let (token, alice) = (self.loop_token.clone(), self.alice.clone());
        let response = self
            .cw20_send(&token, &alice, AMOUNT, transfer_msg(None, None))
            .unwrap();
        let [SubMsg { msg, .. }] = &response.messages[..] else {
            panic!("one message: {:?}", response.messages)
        };
        let CosmosMsg::Ibc(IbcMsg::SendPacket { data, .. }) = msg else {
            panic!("a packet: {msg:?}")
        };
        data.clone()
    }

    /// LOOP in flight or bridged over `CHANNEL`, and everything sent on it.
    pub fn channel_loop(&self) -> (u128, u128) {
        let response: ChannelResponse = from_json(
            query(
                self.deps.as_ref(),
                mock_env(),
                QueryMsg::Channel { id: CHANNEL.into() },
            )
            .unwrap(),
        )
        .unwrap();
        let of = |amounts: &[Amount]| {
            amounts
                .iter()
                .find(|a| a.denom() == cw20_denom(self.loop_token.as_str()))
                .map_or(0, |a| a.amount().u128())
        };
        (of(&response.balances), of(&response.total_sent))
    }

    /// The refund of `AMOUNT` to Alice: one LOOP `Transfer`, its failure an error ack.
    pub fn assert_refund(&self, response: &IbcBasicResponse) {
        let [refund] = &response.messages[..] else {
            panic!("one refund: {:?}", response.messages)
        };
        assert_eq!(
            refund.msg,
            CosmosMsg::Wasm(WasmMsg::Execute {
                contract_addr: self.loop_token.to_string(),
                msg: to_json_binary(&Cw20ExecuteMsg::Transfer {
                    recipient: self.alice.to_string(),
                    amount: Uint128::new(AMOUNT),
                })
                .unwrap(),
                funds: vec![],
            })
        );
        assert_eq!(refund.reply_on, ReplyOn::Error);
        assert_eq!(refund.gas_limit, None);
        assert_eq!(attr(&response.attributes, "success"), "false");
    }
}

pub fn attr<'a>(attributes: &'a [cosmwasm_std::Attribute], key: &str) -> &'a str {
    attributes
        .iter()
        .find(|a| a.key == key)
        .map(|a| a.value.as_str())
        .unwrap_or_else(|| panic!("no attribute {key} in {attributes:?}"))
}

/// The relayer hands back the packet with exactly the bytes the bridge sent.
pub fn acknowledged(data: &Binary, ack: &Ics20Ack) -> cosmwasm_std::IbcPacketAckMsg {
    let mut msg = mock_ibc_packet_ack(
        CHANNEL,
        &(),
        IbcAcknowledgement::new(to_json_binary(ack).unwrap()),
    )
    .unwrap();
    msg.original_packet.data = data.clone();
    msg
}
