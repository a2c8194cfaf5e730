use cosmwasm_std::Uint128;
use cw_utils::PaymentError;
use thiserror::Error;

/// Errors of the rewards bridge: cw20-ics20's, and the bridge's own refusals.
#[derive(Error, Debug, PartialEq)]
pub enum ContractError {
    #[error("{0}")]
    Ics20(#[from] cw20_ics20::ContractError),

    #[error("{0}")]
    Payment(#[from] PaymentError),

    #[error(
        "the rewards bridge carries cw20 tokens only: send them with the token's Send; native coins go through the chain's transfer module"
    )]
    NativeTransfer {},

    #[error(
        "an ICS-20 channel cannot be closed from this end: vouchers on the other chain come back through it"
    )]
    CloseRefused {},

    #[error(
        "channel {channel_id} still holds {outstanding} {denom} in escrow: its close is refused until nothing is outstanding"
    )]
    CloseWithEscrow {
        channel_id: String,
        denom: String,
        outstanding: Uint128,
    },

    #[error(
        "migration cannot set default_gas_limit {default_gas_limit}: it would allow every cw20 token; governance allows tokens one by one"
    )]
    MigrationWidensAllowlist { default_gas_limit: u64 },
}
