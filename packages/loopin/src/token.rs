//! Messages of the LOOP utility token (`contracts/token`).
//!
//! Every cw20 message and query is cw20-base's; LooPIN adds a required minter and a supply audit.

use cosmwasm_schema::{QueryResponses, cw_serde};
use cosmwasm_std::Uint128;
use cw20::Cw20Coin;

pub use cw20::{Cw20ExecuteMsg as ExecuteMsg, MinterResponse};
pub use cw20_base::msg::InstantiateMarketingInfo;

/// Instantiates LOOP. Unlike plain cw20-base, a minter is required: it is the protocol's
/// emission path (the factory), optionally bounded by a supply cap.
#[cw_serde]
pub struct InstantiateMsg {
    pub name: String,
    pub symbol: String,
    pub decimals: u8,
    pub initial_balances: Vec<Cw20Coin>,
    pub minter: MinterResponse,
    pub marketing: Option<InstantiateMarketingInfo>,
}

/// cw20-base's queries, plus [`QueryMsg::SupplyAudit`].
#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    /// Balance of `address`, 0 if unset.
    #[returns(cw20::BalanceResponse)]
    Balance { address: String },
    /// Name, symbol, decimals and total supply.
    #[returns(cw20::TokenInfoResponse)]
    TokenInfo {},
    /// The minter and its cap.
    #[returns(Option<cw20::MinterResponse>)]
    Minter {},
    /// How much `spender` may spend of `owner`'s balance.
    #[returns(cw20::AllowanceResponse)]
    Allowance { owner: String, spender: String },
    /// Allowances granted by `owner`, paginated.
    #[returns(cw20::AllAllowancesResponse)]
    AllAllowances {
        owner: String,
        start_after: Option<String>,
        limit: Option<u32>,
    },
    /// Allowances granted to `spender`, paginated.
    #[returns(cw20::AllSpenderAllowancesResponse)]
    AllSpenderAllowances {
        spender: String,
        start_after: Option<String>,
        limit: Option<u32>,
    },
    /// Accounts holding a balance, paginated.
    #[returns(cw20::AllAccountsResponse)]
    AllAccounts {
        start_after: Option<String>,
        limit: Option<u32>,
    },
    /// Project, description, marketing address and logo.
    #[returns(cw20::MarketingInfoResponse)]
    MarketingInfo {},
    /// The embedded logo, if one is stored.
    #[returns(cw20::DownloadLogoResponse)]
    DownloadLogo {},
    /// Genesis supply, everything minted and burned since, and the resulting total supply.
    #[returns(SupplyAuditResponse)]
    SupplyAudit {},
}

/// Supply accounting: `total_supply == initial_supply + minted - burned` at every height.
#[cw_serde]
pub struct SupplyAuditResponse {
    pub initial_supply: Uint128,
    pub minted: Uint128,
    pub burned: Uint128,
    pub total_supply: Uint128,
}

/// Migration takes no parameters; the contract checks name and version.
#[cw_serde]
pub struct MigrateMsg {}
