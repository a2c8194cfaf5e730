//! `loopin-deploy unsigned migrate|update-admin|clear-admin|execute`.

use loopin_chain_client::ChainQuerier;

use super::error::AdminTxError;
use super::op::AdminOp;
use super::{UnsignedTx, unsigned_tx};

/// The flags every unsigned transaction takes.
#[derive(clap::Args, Debug, Clone)]
pub struct TxFlags {
    /// Who signs it: the contract's wasm admin or owner (a multisig or governance account).
    #[arg(long)]
    pub sender: String,
    /// The contract's address.
    #[arg(long)]
    pub contract: String,
    /// The gas limit; absent: simulated by the chain for the sender.
    #[arg(long)]
    pub gas: Option<u64>,
    /// The transaction's memo.
    #[arg(long, default_value = "")]
    pub note: String,
}

/// `loopin-deploy unsigned ...`: prints an unsigned transaction from the admin or the owner.
#[derive(clap::Subcommand, Debug, Clone)]
pub enum UnsignedCmd {
    /// Migrates a contract to another code (MsgMigrateContract).
    Migrate {
        #[command(flatten)]
        tx: TxFlags,
        /// The code to migrate to.
        #[arg(long)]
        code_id: u64,
        /// The migrate message (JSON object, or @FILE).
        #[arg(long, default_value = "{}")]
        msg: String,
    },
    /// Hands a contract's wasm admin to another address (MsgUpdateAdmin).
    UpdateAdmin {
        #[command(flatten)]
        tx: TxFlags,
        /// The new admin (another multisig, or a governance account).
        #[arg(long)]
        new_admin: String,
    },
    /// Removes a contract's wasm admin for good (MsgClearAdmin).
    ClearAdmin {
        #[command(flatten)]
        tx: TxFlags,
    },
    /// Executes a message as the sender, e.g. a factory governance proposal (MsgExecuteContract).
    Execute {
        #[command(flatten)]
        tx: TxFlags,
        /// The execute message (JSON object, or @FILE).
        #[arg(long)]
        msg: String,
        /// Funds sent with it, AMOUNTDENOM; repeatable.
        #[arg(long, value_parser = parse_coin)]
        amount: Vec<(u128, String)>,
    },
}

/// A `--amount` that is not AMOUNTDENOM.
#[derive(Debug, PartialEq, thiserror::Error)]
pub enum CoinArgError {
    #[error("{0:?}: expected AMOUNTDENOM, e.g. 5uloop")]
    Amount(String),
    #[error("{0:?}: no denom")]
    NoDenom(String),
}

fn parse_coin(s: &str) -> Result<(u128, String), CoinArgError> {
    let digits = s.chars().take_while(char::is_ascii_digit).count();
    let (amount, denom) = s.split_at(digits);
    let amount = amount
        .parse()
        .map_err(|_| CoinArgError::Amount(s.to_string()))?;
    if denom.is_empty() {
        return Err(CoinArgError::NoDenom(s.to_string()));
    }
    Ok((amount, denom.to_string()))
}

fn parse_msg(text: &str) -> Result<serde_json::Value, AdminTxError> {
    let text = match text.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path).map_err(|source| AdminTxError::ReadMsg {
            path: path.to_string(),
            source,
        })?,
        None => text.to_string(),
    };
    serde_json::from_str(&text).map_err(AdminTxError::MsgNotJson)
}

impl UnsignedCmd {
    /// The operation and its flags.
    pub fn op(&self) -> Result<(AdminOp, &TxFlags), AdminTxError> {
        Ok(match self {
            Self::Migrate { tx, code_id, msg } => (
                AdminOp::Migrate {
                    contract: tx.contract.clone(),
                    code_id: *code_id,
                    msg: parse_msg(msg)?,
                },
                tx,
            ),
            Self::UpdateAdmin { tx, new_admin } => (
                AdminOp::UpdateAdmin {
                    contract: tx.contract.clone(),
                    new_admin: new_admin.clone(),
                },
                tx,
            ),
            Self::ClearAdmin { tx } => (
                AdminOp::ClearAdmin {
                    contract: tx.contract.clone(),
                },
                tx,
            ),
            Self::Execute { tx, msg, amount } => (
                AdminOp::Execute {
                    contract: tx.contract.clone(),
                    msg: parse_msg(msg)?,
                    funds: amount.clone(),
                },
                tx,
            ),
        })
    }

    /// Builds the transaction against the chain of `querier`.
    pub async fn run(&self, querier: &ChainQuerier) -> Result<UnsignedTx, AdminTxError> {
        let (op, tx) = self.op()?;
        unsigned_tx(querier, &tx.sender, &op, &tx.note, tx.gas).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SENDER: &str = "loopin1nlrjp8k2qfpy08kh0m44gpwvh3rvxs07fzmruj";
    const CONTRACT: &str = "loopin1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqs0uts8p";

    #[derive(clap::Parser)]
    struct Cli {
        #[command(subcommand)]
        op: UnsignedCmd,
    }

    fn parse(args: &[&str]) -> AdminOp {
        use clap::Parser;
        let cli = Cli::try_parse_from([&["loopin-deploy"], args].concat()).unwrap();
        let (op, flags) = cli.op.op().unwrap();
        assert_eq!(flags.sender, SENDER);
        op
    }

    #[test]
    fn the_subcommands_parse() {
        assert_eq!(parse_coin("5uloop"), Ok((5, "uloop".into())));
        assert_eq!(parse_coin("12ibc/AB"), Ok((12, "ibc/AB".into())));
        assert!(parse_coin("uloop").is_err() && parse_coin("5").is_err());
        let tx = ["--sender", SENDER, "--contract", CONTRACT];
        assert_eq!(
            parse(&[&["migrate", "--code-id", "3"][..], &tx].concat()),
            AdminOp::Migrate {
                contract: CONTRACT.into(),
                code_id: 3,
                msg: serde_json::json!({}),
            }
        );
        assert_eq!(
            parse(&[&["update-admin", "--new-admin", SENDER][..], &tx].concat()),
            AdminOp::UpdateAdmin {
                contract: CONTRACT.into(),
                new_admin: SENDER.into(),
            }
        );
        assert_eq!(
            parse(&[&["clear-admin"][..], &tx].concat()),
            AdminOp::ClearAdmin {
                contract: CONTRACT.into()
            }
        );
        let execute = [
            "execute",
            "--msg",
            r#"{"propose":{}}"#,
            "--amount",
            "5uloop",
        ];
        assert_eq!(
            parse(&[&execute[..], &tx].concat()),
            AdminOp::Execute {
                contract: CONTRACT.into(),
                msg: serde_json::json!({"propose": {}}),
                funds: vec![(5, "uloop".into())],
            }
        );
    }
}
