//! Attacks on the LOOP escrowed by the bridge and on its allowlist (issue 16): a counterparty
//! close that would strand escrowed LOOP, and a migration that would allow every cw20 token past
//! governance.

mod common;

use common::*;

/// The query of the bridge's configuration.
fn default_gas_limit(b: &Bridge) -> Option<u64> {
    from_json::<cw20_ics20::msg::ConfigResponse>(
        query(b.deps.as_ref(), mock_env(), QueryMsg::Config {}).unwrap(),
    )
    .unwrap()
    .default_gas_limit
}

#[test]
fn a_counterparty_close_is_refused_while_loop_is_escrowed_for_the_channel() {
    let mut b = bridge();
    let data = b.send_loop();
    assert_eq!(b.channel_loop(), (AMOUNT, AMOUNT));
    let confirm = || mock_ibc_channel_close_confirm(CHANNEL, IbcOrder::Unordered, ICS20_VERSION);
    assert_eq!(
        ibc_channel_close(b.deps.as_mut(), mock_env(), confirm()),
        Err(ContractError::CloseWithEscrow {
            channel_id: CHANNEL.into(),
            denom: cw20_denom(b.loop_token.as_str()),
            outstanding: Uint128::new(AMOUNT),
        })
    );
    // A close from this end stays refused, escrow or not.
    assert_eq!(
        ibc_channel_close(
            b.deps.as_mut(),
            mock_env(),
            mock_ibc_channel_close_init(CHANNEL, IbcOrder::Unordered, ICS20_VERSION)
        ),
        Err(ContractError::CloseRefused {})
    );
    assert_eq!(b.channel_loop(), (AMOUNT, AMOUNT));

    // Once the packet timed out and Alice was refunded, nothing is escrowed: the close is
    // accepted.
    let mut timeout = mock_ibc_packet_timeout(CHANNEL, &()).unwrap();
    timeout.packet.data = data;
    let response = ibc_packet_timeout(b.deps.as_mut(), mock_env(), timeout).unwrap();
    b.assert_refund(&response);
    assert_eq!(b.channel_loop(), (0, AMOUNT));
    let response = ibc_channel_close(b.deps.as_mut(), mock_env(), confirm()).unwrap();
    assert!(response.messages.is_empty());
}

#[test]
fn migration_cannot_widen_the_allowlist() {
    let mut b = bridge();
    let other = addr(&b.deps, "other-token");
    let alice = b.alice.clone();
    assert_eq!(default_gas_limit(&b), None);
    // cw20-ics20's migration sets a default gas limit, which lets every cw20 in.
    assert_eq!(
        migrate(
            b.deps.as_mut(),
            mock_env(),
            MigrateMsg {
                default_gas_limit: Some(123_456),
            },
        ),
        Err(ContractError::MigrationWidensAllowlist {
            default_gas_limit: 123_456
        })
    );
    assert_eq!(default_gas_limit(&b), None);
    assert_eq!(
        b.cw20_send(&other, &alice, AMOUNT, transfer_msg(None, None)),
        Err(ContractError::Ics20(Ics20Error::NotOnAllowList))
    );
    // A migration that keeps it is accepted.
    migrate(
        b.deps.as_mut(),
        mock_env(),
        MigrateMsg {
            default_gas_limit: None,
        },
    )
    .unwrap();
    assert_eq!(default_gas_limit(&b), None);
}
