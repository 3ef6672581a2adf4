//! Stakes on chain are OPEN amounts in wei (18 decimals, up to 2^256); the network's validator
//! sets count stake as `u64`. One unit of network stake is [`STAKE_UNIT`] wei (a billionth of
//! an OPEN), so `u64` stakes reach about 1.8e10 OPEN and a rounding error is below a
//! billionth of an OPEN per validator.

use alloy::primitives::U256;

/// Wei of OPEN per unit of network stake: 10^9.
pub const STAKE_UNIT: u64 = 1_000_000_000;

/// `wei` of OPEN as network stake units: rounded down, and `u64::MAX` past its range.
pub fn stake_units(wei: U256) -> u64 {
    let units = wei / U256::from(STAKE_UNIT);
    u64::try_from(units).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wei_round_down_to_whole_units_and_saturate() {
        assert_eq!(stake_units(U256::from(STAKE_UNIT - 1)), 0);
        assert_eq!(stake_units(U256::from(3 * STAKE_UNIT + 7)), 3);
        assert_eq!(stake_units(U256::MAX), u64::MAX);
    }
}
