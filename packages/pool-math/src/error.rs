use cosmwasm_std::{CheckedMultiplyRatioError, DivideByZeroError, OverflowError};
use thiserror::Error;

/// Why a pool computation was refused.
#[derive(Error, Debug, PartialEq, Eq)]
pub enum MathError {
    #[error("amount must be positive")]
    ZeroAmount,

    #[error("the pool has no liquidity")]
    EmptyPool,

    #[error("the pool cannot provide {wanted}, it holds {available}")]
    InsufficientLiquidity { wanted: String, available: String },

    #[error("deposit too small: it would mint no shares")]
    DepositTooSmall,

    #[error("first deposit must mint more than the {locked} locked shares")]
    BelowMinimumLiquidity { locked: u128 },

    #[error("fee rate must be below 1")]
    InvalidFee,

    #[error("maintenance burn (beta) must be below the reward rate (gamma)")]
    BetaNotBelowGamma,

    #[error("epoch length must be positive")]
    ZeroEpoch,

    #[error("arithmetic overflow")]
    Overflow,

    #[error("division by zero")]
    DivideByZero,
}

impl From<OverflowError> for MathError {
    fn from(_: OverflowError) -> Self {
        MathError::Overflow
    }
}

impl From<DivideByZeroError> for MathError {
    fn from(_: DivideByZeroError) -> Self {
        MathError::DivideByZero
    }
}

impl From<CheckedMultiplyRatioError> for MathError {
    fn from(err: CheckedMultiplyRatioError) -> Self {
        match err {
            CheckedMultiplyRatioError::DivideByZero => MathError::DivideByZero,
            CheckedMultiplyRatioError::Overflow => MathError::Overflow,
        }
    }
}

/// `a * b / c`, rounded down, computed in 256 bits.
pub(crate) fn mul_div_floor(a: u128, b: u128, c: u128) -> Result<u128, MathError> {
    let value = cosmwasm_std::Uint128::new(a).checked_multiply_ratio(b, c)?;
    Ok(value.u128())
}

/// `a * b / c`, rounded up, computed in 256 bits.
pub(crate) fn mul_div_ceil(a: u128, b: u128, c: u128) -> Result<u128, MathError> {
    use cosmwasm_std::Uint256;
    if c == 0 {
        return Err(MathError::DivideByZero);
    }
    let product = Uint256::from(a).checked_mul(Uint256::from(b))?;
    let c = Uint256::from(c);
    let quotient = product.checked_div(c)?;
    let rounded = if (quotient * c) == product {
        quotient
    } else {
        quotient + Uint256::one()
    };
    cosmwasm_std::Uint128::try_from(rounded)
        .map(|v| v.u128())
        .map_err(|_| MathError::Overflow)
}
