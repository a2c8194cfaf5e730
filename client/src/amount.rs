//! Decimal amounts on the command line: LOOP (6 decimals) and device-hours (micro-hours).

/// Decimals of LOOP and of hours.
pub const DECIMALS: u32 = 6;

/// Why an amount was refused.
#[derive(thiserror::Error, Debug, PartialEq, Eq)]
pub enum AmountError {
    #[error("{0:?} is not a decimal amount")]
    Syntax(String),
    #[error("{0:?} has more than {DECIMALS} decimals")]
    Precision(String),
    #[error("{0:?} is too large")]
    Overflow(String),
}

/// Parses `"1.5"` into 1,500,000 base units.
pub fn parse(text: &str) -> Result<u128, AmountError> {
    let syntax = || AmountError::Syntax(text.to_string());
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty() && fraction.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(syntax());
    }
    if fraction.len() > DECIMALS as usize {
        return Err(AmountError::Precision(text.to_string()));
    }
    let scale = 10u128.pow(DECIMALS);
    let whole: u128 = if whole.is_empty() {
        0
    } else {
        whole
            .parse()
            .map_err(|_| AmountError::Overflow(text.to_string()))?
    };
    let fraction: u128 = format!("{fraction:0<6}").parse().map_err(|_| syntax())?;
    whole
        .checked_mul(scale)
        .and_then(|w| w.checked_add(fraction))
        .ok_or_else(|| AmountError::Overflow(text.to_string()))
}

/// Formats base units as a decimal (`1500000` → `"1.5"`).
pub fn format(units: u128) -> String {
    let scale = 10u128.pow(DECIMALS);
    let fraction = format!("{:06}", units % scale);
    let fraction = fraction.trim_end_matches('0');
    if fraction.is_empty() {
        (units / scale).to_string()
    } else {
        format!("{}.{fraction}", units / scale)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_round_trip() {
        assert_eq!(parse("1.5"), Ok(1_500_000));
        assert_eq!(parse("0.000001"), Ok(1));
        assert_eq!(parse(".25"), Ok(250_000));
        assert_eq!(parse("3"), Ok(3_000_000));
        assert_eq!(format(1_500_000), "1.5");
        assert_eq!(format(3_000_000), "3");
        assert_eq!(format(1), "0.000001");
    }

    #[test]
    fn bad_amounts_are_refused() {
        for bad in ["", ".", "-1", "1e3", "1,5", "0x10", " 1"] {
            assert_eq!(parse(bad), Err(AmountError::Syntax(bad.into())));
        }
        assert_eq!(
            parse("0.0000001"),
            Err(AmountError::Precision("0.0000001".into()))
        );
        assert!(matches!(
            parse("999999999999999999999999999999999999999"),
            Err(AmountError::Overflow(_))
        ));
    }
}
