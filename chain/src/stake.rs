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

/// Parses an amount of OPEN written as a decimal (`100`, `2.5`, at most 18 decimals) into
/// wei.
///
/// # Errors
/// A message naming the text when it is not such an amount, or zero.
pub fn parse_open(text: &str) -> Result<U256, String> {
    let bad = || format!("{text:?} is not an amount of OPEN (e.g. 100 or 2.5)");
    let (whole, fraction) = text.trim().split_once('.').unwrap_or((text.trim(), ""));
    if whole.is_empty() && fraction.is_empty()
        || fraction.len() > 18
        || !whole
            .bytes()
            .chain(fraction.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let digits = format!("{whole}{fraction:0<18}");
    let wei = U256::from_str_radix(if digits.is_empty() { "0" } else { &digits }, 10)
        .map_err(|_| bad())?;
    if wei.is_zero() {
        return Err(format!("{text:?}: the amount must be more than zero"));
    }
    Ok(wei)
}

/// `wei` of OPEN written as a decimal amount of OPEN, without trailing zeros (`2.5`, `100`):
/// the inverse of [`parse_open`].
pub fn format_open(wei: U256) -> String {
    let one = U256::from(10u64).pow(U256::from(18u64));
    let (whole, fraction) = (wei / one, wei % one);
    if fraction.is_zero() {
        return whole.to_string();
    }
    let digits = format!("{:0>18}", fraction.to_string());
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_amounts_parse_to_wei_and_bad_ones_are_refused() {
        let open = U256::from(10u64).pow(U256::from(18u64));
        assert_eq!(parse_open("100"), Ok(open * U256::from(100u64)));
        assert_eq!(
            parse_open("2.5"),
            Ok(open * U256::from(5u64) / U256::from(2u64))
        );
        assert_eq!(parse_open("0.000000000000000001"), Ok(U256::from(1u64)));
        for bad in [
            "",
            ".",
            "-1",
            "1e3",
            "0",
            "0.0",
            "1.0000000000000000001",
            "ten",
        ] {
            assert!(parse_open(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn amounts_written_as_open_parse_back_to_the_same_wei() {
        for text in ["100", "2.5", "0.000000000000000001", "12345.678"] {
            assert_eq!(format_open(parse_open(text).unwrap()), text);
        }
        assert_eq!(format_open(U256::ZERO), "0");
    }

    #[test]
    fn wei_round_down_to_whole_units_and_saturate() {
        assert_eq!(stake_units(U256::from(STAKE_UNIT - 1)), 0);
        assert_eq!(stake_units(U256::from(3 * STAKE_UNIT + 7)), 3);
        assert_eq!(stake_units(U256::MAX), u64::MAX);
    }
}
