//! Predicates for `#[serde(default, skip_serializing_if = "...")]` on stored state: a field at
//! its default is left out of the JSON a contract writes, and read back as its default. Every
//! byte of stored JSON costs gas twice (written, then read by each later call: about 20,000 VM
//! gas a byte in bench/gas.md's breakdown), and most of a record's flags and balances sit at
//! their defaults for most of its life. State written with the fields present reads the same.

/// `false`, the default of a flag.
pub fn is_false(value: &bool) -> bool {
    !*value
}

/// Zero, the default of a counter or an epoch number.
pub fn is_zero<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::Uint128;

    #[test]
    fn only_defaults_are_left_out() {
        assert!(is_false(&false));
        assert!(!is_false(&true));
        assert!(is_zero(&0u64));
        assert!(!is_zero(&1u32));
        assert!(is_zero(&Uint128::zero()));
        assert!(!is_zero(&Uint128::one()));
    }
}
