//! Numbers in messages, spelt exactly as Rust's own formatting spells them (`{}`, `{:e}`,
//! `{:.N}`), and in JSON as serde_json spells them ([`json`]), without `core::fmt`'s float code
//! or serde_json's.
//!
//! Why: Grisu, Dragon4 and their bignum are about 23 KB of the browser verifier
//! (`docs/browser.md`), for the few numbers a policy message shows. Here the digits come from the
//! value's exact decimal expansion (a double is `m * 2^e`, so it has one, of at most 767
//! significant digits), rounded half to even; the shortest spelling is the shortest rounding that
//! reads back to the same double. Slower than Grisu by far, and fast enough for messages. The
//! tests compare every function with `core::fmt` on random doubles of every magnitude.

use std::fmt;

/// `v` as `format!("{v}")` writes it: the shortest digits that read back to `v`, without an
/// exponent (`1e21` is `1000000000000000000000`, `1e-7` is `0.0000001`).
pub fn display(v: f64) -> String {
    special(v).unwrap_or_else(|| {
        let (digits, point) = shortest(v.abs(), false);
        sign(v) + &place_point(&digits, point, 0)
    })
}

/// `v` as `format!("{v:e}")` writes it: the shortest digits, one before the point, and the
/// exponent (`1.5e-7`, `1e0`).
pub fn exponential(v: f64) -> String {
    special(v).unwrap_or_else(|| {
        let (digits, point) = shortest(v.abs(), false);
        let exp = if digits == b"0" { 0 } else { point - 1 };
        let mut s = sign(v);
        s.push(char::from(digits[0]));
        if digits.len() > 1 {
            s.push('.');
            s.push_str(ascii(&digits[1..]));
        }
        s.push('e');
        s.push_str(&exp.to_string());
        s
    })
}

/// `v` as `format!("{v:.N}")` writes it, `N` being `decimals`: rounded half to even at the
/// `N`-th decimal, with exactly `N` decimals.
pub fn fixed(v: f64, decimals: usize) -> String {
    special(v).unwrap_or_else(|| {
        let (digits, point) = exact(v.abs());
        // Round at `point + decimals` significant digits (which may be none: `0.004` to two
        // decimals keeps no digit).
        let keep = point + decimals as i32;
        let (digits, point) = if keep < 0 {
            (b"0".to_vec(), 1 - decimals as i32)
        } else {
            round(&digits, point, keep as usize, true)
        };
        sign(v) + &place_point(&digits, point, decimals)
    })
}

/// A finite `v` as serde_json writes it: the shortest digits, in plain notation with at least one
/// decimal (`600.0`, `0.00001`) when the first digit's exponent is in -5..=15, otherwise with an
/// exponent and its sign (`1e-6`, `1.5e+16`).
pub fn json(v: f64) -> String {
    // serde_json's digits take a tie to even (`2^-25` is `...695312e-8`), Rust's up.
    let (digits, point) = shortest(v.abs(), true);
    let exp = if digits == b"0" { 0 } else { point - 1 };
    let mut s = sign(v);
    if (-5..=15).contains(&exp) {
        s.push_str(&place_point(&digits, point, 1));
    } else {
        s.push(char::from(digits[0]));
        if digits.len() > 1 {
            s.push('.');
            s.push_str(ascii(&digits[1..]));
        }
        s.push_str(if exp < 0 { "e-" } else { "e+" });
        s.push_str(&exp.unsigned_abs().to_string());
    }
    s
}

/// A `Display` of `f64` that writes [`display`]'s spelling: for `format!` arguments.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Num(pub f64);

impl fmt::Display for Num {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&display(self.0))
    }
}

fn special(v: f64) -> Option<String> {
    if v.is_nan() {
        Some("NaN".into())
    } else if v.is_infinite() {
        Some(if v < 0.0 { "-inf" } else { "inf" }.into())
    } else {
        None
    }
}

fn sign(v: f64) -> String {
    if v.is_sign_negative() { "-" } else { "" }.to_string()
}

fn ascii(d: &[u8]) -> &str {
    std::str::from_utf8(d).unwrap_or("")
}

/// Digits `0.d1d2... * 10^point` written out with at least `decimals` decimals.
fn place_point(digits: &[u8], point: i32, decimals: usize) -> String {
    let mut s = String::new();
    let n = digits.len() as i32;
    let frac: Vec<u8> = if digits == b"0" {
        s.push('0');
        Vec::new()
    } else if point <= 0 {
        s.push('0');
        let mut f = vec![b'0'; point.unsigned_abs() as usize];
        f.extend_from_slice(digits);
        f
    } else if point < n {
        s.push_str(ascii(&digits[..point as usize]));
        digits[point as usize..].to_vec()
    } else {
        s.push_str(ascii(digits));
        s.extend(std::iter::repeat_n('0', (point - n) as usize));
        Vec::new()
    };
    let mut frac = frac;
    if frac.len() < decimals {
        frac.resize(decimals, b'0');
    }
    if !frac.is_empty() {
        s.push('.');
        s.push_str(ascii(&frac));
    }
    s
}

/// The exact decimal expansion of a finite `v >= 0`: digits without leading or trailing zeros
/// (`"0"` for zero) and the point, so that `v = 0.digits * 10^point`.
fn exact(v: f64) -> (Vec<u8>, i32) {
    if v == 0.0 {
        return (b"0".to_vec(), 1);
    }
    let bits = v.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    let fraction = bits & ((1 << 52) - 1);
    let (m, e) = if biased == 0 {
        (fraction, -1074)
    } else {
        (fraction | (1 << 52), biased - 1075)
    };
    // v = m * 2^e: an integer times a power of two, or m * 5^-e / 10^-e.
    let mut big = vec![m as u32, (m >> 32) as u32];
    let shift10 = if e >= 0 {
        for _ in 0..e {
            mul_small(&mut big, 2);
        }
        0
    } else {
        for _ in 0..-e {
            mul_small(&mut big, 5);
        }
        e
    };
    let mut digits = to_decimal(big);
    let point = digits.len() as i32 + shift10;
    while digits.last() == Some(&b'0') {
        digits.pop();
    }
    (digits, point)
}

fn mul_small(big: &mut Vec<u32>, k: u32) {
    let mut carry = 0u64;
    for limb in big.iter_mut() {
        let x = u64::from(*limb) * u64::from(k) + carry;
        *limb = x as u32;
        carry = x >> 32;
    }
    if carry != 0 {
        big.push(carry as u32);
    }
}

/// The decimal digits of a big integer (little-endian limbs), most significant first.
fn to_decimal(mut big: Vec<u32>) -> Vec<u8> {
    const CHUNK: u64 = 1_000_000_000;
    let mut chunks = Vec::new();
    loop {
        while big.last() == Some(&0) {
            big.pop();
        }
        if big.is_empty() {
            break;
        }
        let mut rem = 0u64;
        for limb in big.iter_mut().rev() {
            let x = (rem << 32) | u64::from(*limb);
            *limb = (x / CHUNK) as u32;
            rem = x % CHUNK;
        }
        chunks.push(rem as u32);
    }
    let mut out = Vec::new();
    for (i, c) in chunks.iter().rev().enumerate() {
        let s = c.to_string();
        if i > 0 {
            out.extend(std::iter::repeat_n(b'0', 9 - s.len()));
        }
        out.extend_from_slice(s.as_bytes());
    }
    if out.is_empty() {
        out.push(b'0');
    }
    out
}

/// `0.digits * 10^point` rounded to `keep` significant digits, a tie to even or up (trailing
/// zeros dropped; a carry may add a digit in front).
fn round(digits: &[u8], point: i32, keep: usize, tie_even: bool) -> (Vec<u8>, i32) {
    if digits.len() <= keep {
        return (digits.to_vec(), point);
    }
    let (head, rest) = digits.split_at(keep);
    let up = match rest[0] {
        b'6'..=b'9' => true,
        b'5' => {
            !tie_even
                || rest[1..].iter().any(|&d| d != b'0')
                || head.last().is_some_and(|d| d % 2 == 1)
        }
        _ => false,
    };
    let mut out = head.to_vec();
    let mut point = point;
    if up {
        let mut i = out.len();
        loop {
            if i == 0 {
                out.insert(0, b'1');
                point += 1;
                break;
            }
            i -= 1;
            if out[i] == b'9' {
                out[i] = b'0';
            } else {
                out[i] += 1;
                break;
            }
        }
    }
    while out.last() == Some(&b'0') {
        out.pop();
    }
    if out.is_empty() {
        out.push(b'0');
    }
    (out, point)
}

/// `digits` plus `delta` (1 or -1) in their last place; `None` below the smallest.
fn step(digits: &[u8], point: i32, keep: usize, up: bool) -> Option<(Vec<u8>, i32)> {
    let mut d = digits.to_vec();
    d.resize(keep, b'0');
    let mut point = point;
    let mut i = d.len();
    loop {
        if i == 0 {
            if !up {
                return None;
            }
            d.insert(0, b'1');
            point += 1;
            break;
        }
        i -= 1;
        match (up, d[i]) {
            (true, b'9') => d[i] = b'0',
            (false, b'0') => d[i] = b'9',
            (true, _) => {
                d[i] += 1;
                break;
            }
            (false, _) => {
                d[i] -= 1;
                break;
            }
        }
    }
    while d.first() == Some(&b'0') && d.len() > 1 {
        d.remove(0);
        point -= 1;
    }
    while d.last() == Some(&b'0') && d.len() > 1 {
        d.pop();
    }
    (d != b"0").then_some((d, point))
}

/// Whether `0.digits * 10^point` reads back as `v`.
fn reads_back(digits: &[u8], point: i32, v: f64) -> bool {
    let text = format!("0.{}e{point}", ascii(digits));
    text.parse::<f64>() == Ok(v)
}

/// The shortest digits that read back to a finite `v >= 0`, and among those the nearest to `v`;
/// of two as near, the even one when `tie_even`, else the larger.
fn shortest(v: f64, tie_even: bool) -> (Vec<u8>, i32) {
    let (digits, point) = exact(v);
    if v == 0.0 {
        return (digits, point);
    }
    for keep in 1..digits.len() {
        let (r, p) = round(&digits, point, keep, tie_even);
        if reads_back(&r, p, v) {
            return (r, p);
        }
        // Rounded to nearest, the digits may still miss where the interval that reads back to
        // `v` is lopsided (just above a power of two); a neighbour may not.
        for up in [true, false] {
            if let Some((n, q)) = step(&r, p, keep, up) {
                if n.len() <= keep && reads_back(&n, q, v) {
                    return (n, q);
                }
            }
        }
    }
    (digits, point)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same(v: f64) {
        if v.is_finite() {
            assert_eq!(json(v), serde_json::to_string(&v).unwrap(), "json of {v:e}");
        }
        assert_eq!(display(v), format!("{v}"), "{{}} of {v:e}");
        assert_eq!(exponential(v), format!("{v:e}"), "{{:e}} of {v:e}");
        for n in [0, 1, 2, 4] {
            assert_eq!(fixed(v, n), format!("{v:.n$}"), "{{:.{n}}} of {v:e}");
        }
    }

    #[test]
    fn spelt_as_rust_spells_them() {
        for v in [
            0.0,
            -0.0,
            1.0,
            -1.5,
            0.1,
            0.3,
            2.5,
            0.25,
            0.125,
            1e21,
            1e-7,
            123456.789,
            f64::MAX,
            f64::MIN_POSITIVE,
            5e-324,
            9007199254740993.0,
            0.004,
            -0.004,
            0.5,
            1.5,
            999.9999,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            2f64.powi(-1022),
            2f64.powi(60),
            2f64.powi(-60),
        ] {
            same(v);
        }
    }

    #[test]
    fn random_doubles_of_every_magnitude_are_spelt_as_rust_spells_them() {
        // A fixed xorshift: every run checks the same values.
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..6_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let v = f64::from_bits(x);
            if v.is_finite() {
                same(v);
            }
            if v.is_finite() {
                assert_eq!(json(v), serde_json::to_string(&v).unwrap(), "{v:e}");
            }
            // Powers of two (lopsided intervals) and short decimals.
            same(2f64.powi((x % 2000) as i32 - 1000));
            same((x % 100_000) as f64 / 1000.0);
        }
    }
}
