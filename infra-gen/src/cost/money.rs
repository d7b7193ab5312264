//! Exact arithmetic for prices, quantities and money.
//!
//! Everything is an integer: a [`Quantity`] in billionths of its unit, a [`UnitPrice`] in
//! pico-dollars per unit, [`Money`] in micro-dollars. A line's cost is computed exactly
//! (zepto-dollars in `u128`) and rounded once, half up, to the micro-dollar. Floating point
//! would make the same total depend on the order of its additions, so a diff could show a
//! change of $0.0000000001 that nobody made, and tests could not compare against
//! hand-computed figures exactly. Every price in the table is exact in pico-dollars per unit
//! (the smallest, Lambda's $0.0000033334 per GB-second, is 3,333,400 pico-dollars).

use std::fmt;
use std::ops::{Add, AddAssign, Neg, Sub};

use serde::{Serialize, Serializer};

/// Billionths of a unit per unit.
const NANO: u128 = 1_000_000_000;
/// Zepto-dollars (10^-21 USD: quantity nano-units x pico-dollar prices) per micro-dollar.
const ZEPTO_PER_MICRO: u128 = 1_000_000_000_000_000;

/// How much of something priced: requests, GB-seconds, node-hours... in billionths.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quantity(pub u128);

impl Quantity {
    pub fn units(n: u64) -> Quantity {
        Quantity(u128::from(n) * NANO)
    }

    /// `numerator / denominator` units, rounded half up to the billionth.
    pub fn ratio(numerator: u128, denominator: u128) -> Quantity {
        Quantity(div_round(numerator * NANO, denominator))
    }

    /// A spec decimal (millionths) as a quantity of units.
    pub fn millionths(m: u64) -> Quantity {
        Quantity(u128::from(m) * 1_000)
    }

    pub fn times(self, n: u128) -> Quantity {
        Quantity(self.0 * n)
    }

    /// `self x numerator / denominator`, rounded half up to the billionth.
    pub fn scale(self, numerator: u128, denominator: u128) -> Quantity {
        Quantity(div_round(self.0 * numerator, denominator))
    }

    pub fn saturating_sub(self, other: Quantity) -> Quantity {
        Quantity(self.0.saturating_sub(other.0))
    }

    pub fn is_zero(self) -> bool {
        self.0 == 0
    }
}

impl Add for Quantity {
    type Output = Quantity;
    fn add(self, rhs: Quantity) -> Quantity {
        Quantity(self.0 + rhs.0)
    }
}

/// Up to three decimals, thousands separated: `1,000,000`, `273.75`, `0.001`.
impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let milli = div_round(self.0, NANO / 1_000);
        let whole = group_thousands(milli / 1_000);
        let frac = milli % 1_000;
        if frac == 0 {
            f.write_str(&whole)
        } else {
            let digits = format!("{frac:03}");
            write!(f, "{whole}.{}", digits.trim_end_matches('0'))
        }
    }
}

/// Exact decimal (every digit kept) for JSON.
impl Serialize for Quantity {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&exact_decimal(self.0, 9, 0))
    }
}

/// A price per unit, in pico-dollars (10^-12 USD).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnitPrice(pub u64);

impl UnitPrice {
    /// Parses `usd` dollars per `per` units (`"0.20"` per 1,000,000 requests). The price per
    /// single unit must be exact in pico-dollars, so no price is rounded on the way in.
    pub fn parse(usd: &str, per: u64) -> Result<UnitPrice, String> {
        let (whole, frac) = usd.split_once('.').unwrap_or((usd, ""));
        let digits_ok = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !digits_ok(whole) || !digits_ok(frac) || frac.len() > 12 {
            return Err(format!(
                "`{usd}` is not a dollar amount with at most 12 decimals"
            ));
        }
        if per == 0 {
            return Err("`per` must be at least 1".into());
        }
        let pico_per_block: u128 = whole.parse::<u128>().map_err(|e| format!("`{usd}`: {e}"))?
            * 1_000_000_000_000
            + format!("{frac:0<12}").parse::<u128>().unwrap_or(0);
        if !pico_per_block.is_multiple_of(u128::from(per)) {
            return Err(format!(
                "${usd} per {per} units is not a whole number of pico-dollars per unit"
            ));
        }
        u64::try_from(pico_per_block / u128::from(per))
            .map(UnitPrice)
            .map_err(|_| format!("`{usd}` is too large"))
    }

    /// The price of `per` units, in dollars, every digit kept: `0.20`, `0.0000133334`.
    pub fn per_block(self, per: u64) -> String {
        exact_decimal(u128::from(self.0) * u128::from(per), 12, 2)
    }

    /// The exact cost of `quantity` at this price, in zepto-dollars.
    pub fn zepto(self, quantity: Quantity) -> u128 {
        quantity.0 * u128::from(self.0)
    }
}

/// US dollars, in micro-dollars; negative for a decrease.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(pub i64);

impl Money {
    pub const ZERO: Money = Money(0);

    /// Rounds an exact zepto-dollar amount half up to the micro-dollar.
    pub fn from_zepto(zepto: u128) -> Money {
        Money(i64::try_from(div_round(zepto, ZEPTO_PER_MICRO)).unwrap_or(i64::MAX))
    }

    /// Parses a non-negative dollar amount with at most six decimals: `100`, `12.5`, `$0.01`.
    pub fn parse(text: &str) -> Option<Money> {
        let text = text.strip_prefix('$').unwrap_or(text);
        let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !digits(whole) || !digits(frac) || frac.len() > 6 {
            return None;
        }
        let whole: i64 = whole.parse().ok()?;
        let frac: i64 = format!("{frac:0<6}").parse().ok()?;
        whole.checked_mul(1_000_000)?.checked_add(frac).map(Money)
    }

    /// Every digit, at least two decimals: `4.00`, `0.270001`, `-87.603752`.
    pub fn exact(self) -> String {
        let digits = exact_decimal(u128::from(self.0.unsigned_abs()), 6, 2);
        if self.0 < 0 {
            format!("-{digits}")
        } else {
            digits
        }
    }

    /// Rounded half away from zero to the cent, with thousands separators: `$1,234.57`.
    pub fn cents(self) -> String {
        let abs = self.0.unsigned_abs();
        let cents = (abs + 5_000) / 10_000;
        let sign = if self.0 < 0 && cents > 0 { "-" } else { "" };
        format!(
            "{sign}${}.{:02}",
            group_thousands(u128::from(cents / 100)),
            cents % 100
        )
    }

    /// Like [`Money::cents`] with an explicit `+` on increases, for changes.
    pub fn signed_cents(self) -> String {
        if self.0 > 0 {
            format!("+{}", self.cents())
        } else {
            self.cents()
        }
    }
}

impl Add for Money {
    type Output = Money;
    fn add(self, rhs: Money) -> Money {
        Money(self.0 + rhs.0)
    }
}

impl AddAssign for Money {
    fn add_assign(&mut self, rhs: Money) {
        self.0 += rhs.0;
    }
}

impl Sub for Money {
    type Output = Money;
    fn sub(self, rhs: Money) -> Money {
        Money(self.0 - rhs.0)
    }
}

impl Neg for Money {
    type Output = Money;
    fn neg(self) -> Money {
        Money(-self.0)
    }
}

impl std::iter::Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, Add::add)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.cents())
    }
}

/// JSON carries money as an exact decimal string (the way Infracost's JSON does), so no
/// reader's float parsing changes it.
impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.exact())
    }
}

fn div_round(numerator: u128, denominator: u128) -> u128 {
    (numerator + denominator / 2) / denominator
}

/// `value / 10^scale` with trailing zeros trimmed down to `min_decimals`.
fn exact_decimal(value: u128, scale: u32, min_decimals: usize) -> String {
    let divisor = 10u128.pow(scale);
    let whole = value / divisor;
    let frac = format!("{:0width$}", value % divisor, width = scale as usize);
    let trimmed = frac.trim_end_matches('0');
    let frac = if trimmed.len() < min_decimals {
        &frac[..min_decimals]
    } else {
        trimmed
    };
    if frac.is_empty() {
        whole.to_string()
    } else {
        format!("{whole}.{frac}")
    }
}

fn group_thousands(n: u128) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_parse_exactly_or_not_at_all() {
        assert_eq!(UnitPrice::parse("0.20", 1_000_000), Ok(UnitPrice(200_000)));
        assert_eq!(
            UnitPrice::parse("0.0000033334", 1),
            Ok(UnitPrice(3_333_400))
        );
        assert_eq!(
            UnitPrice::parse("3.50", 1_000_000),
            Ok(UnitPrice(3_500_000))
        );
        assert_eq!(UnitPrice::parse("1", 1), Ok(UnitPrice(1_000_000_000_000)));
        // 1/3 of a pico-dollar per unit cannot be held exactly.
        assert!(UnitPrice::parse("0.000000000001", 3).is_err());
        for bad in ["", ".5", "1,5", "-1", "0.1234567890123", "$1"] {
            assert!(UnitPrice::parse(bad, 1).is_err(), "{bad}");
        }
        assert_eq!(UnitPrice(200_000).per_block(1_000_000), "0.20");
        assert_eq!(UnitPrice(13_333_400).per_block(1), "0.0000133334");
    }

    #[test]
    fn money_rounds_once_and_prints_exactly_or_in_cents() {
        // 40,000 GB-s at $0.0000133334 = $0.533336.
        let cost = UnitPrice(13_333_400).zepto(Quantity::units(40_000));
        assert_eq!(Money::from_zepto(cost), Money(533_336));
        // Half a micro-dollar rounds up.
        assert_eq!(Money::from_zepto(500_000_000_000_000), Money(1));
        assert_eq!(Money::from_zepto(499_999_999_999_999), Money(0));
        assert_eq!(Money(533_336).exact(), "0.533336");
        assert_eq!(Money(4_000_000).exact(), "4.00");
        assert_eq!(Money(-87_603_752).exact(), "-87.603752");
        assert_eq!(Money(1_234_565_000).cents(), "$1,234.57");
        assert_eq!(Money(-5_000).cents(), "-$0.01");
        assert_eq!(Money(-4_999).cents(), "$0.00");
        assert_eq!(Money(10_000).signed_cents(), "+$0.01");
        assert_eq!(Money::parse("$12.5"), Some(Money(12_500_000)));
        assert_eq!(Money::parse("100"), Some(Money(100_000_000)));
        for bad in ["", "-1", "1.0000001", "1e3", "ten"] {
            assert_eq!(Money::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn quantities_print_three_decimals_and_serialise_exactly() {
        assert_eq!(Quantity::units(1_000_000).to_string(), "1,000,000");
        assert_eq!(Quantity::ratio(1_095, 4).to_string(), "273.75");
        assert_eq!(Quantity::ratio(1, 3).to_string(), "0.333");
        assert_eq!(
            serde_json::to_string(&Quantity::ratio(1, 3)).unwrap(),
            "\"0.333333333\""
        );
        assert_eq!(Quantity::millionths(2_500_000), Quantity::ratio(5, 2));
    }
}
