//! What an admin transaction does: one operation of the admin or of a contract's owner.

/// One operation of the admin (migrations, the admin itself) or of a contract's owner.
#[derive(Clone, Debug, PartialEq)]
pub enum AdminOp {
    /// `MsgMigrateContract`: `contract` to code `code_id`, calling its `migrate` with `msg`.
    Migrate {
        contract: String,
        code_id: u64,
        msg: serde_json::Value,
    },
    /// `MsgUpdateAdmin`: hands the wasm admin of `contract` to `new_admin`.
    UpdateAdmin { contract: String, new_admin: String },
    /// `MsgClearAdmin`: no admin any more, the contract can never be migrated again.
    ClearAdmin { contract: String },
    /// `MsgExecuteContract` of `msg` with `funds` (amount, denom), e.g. a factory governance
    /// proposal signed by its owner.
    Execute {
        contract: String,
        msg: serde_json::Value,
        funds: Vec<(u128, String)>,
    },
}

impl AdminOp {
    pub fn contract(&self) -> &str {
        match self {
            Self::Migrate { contract, .. }
            | Self::UpdateAdmin { contract, .. }
            | Self::ClearAdmin { contract }
            | Self::Execute { contract, .. } => contract,
        }
    }

    /// Whether only the contract's wasm admin may send it.
    pub(super) fn needs_admin(&self) -> bool {
        !matches!(self, Self::Execute { .. })
    }
}
