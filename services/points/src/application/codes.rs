//! Printable random codes: a resident's served at the workstation
//! (`R-7K3M-Q9XD`) and an order's pickup code (`K3M9QX`). Each character
//! is drawn uniformly from [`CODE_ALPHABET`] by the thread's generator,
//! seeded from the operating system.

use rand::RngExt as _;

/// Letters and digits that cannot be misread on paper (no 0/O, 1/I/L).
pub const CODE_ALPHABET: &[u8; 31] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

/// Returns `n` characters drawn uniformly and independently from
/// [`CODE_ALPHABET`].
pub fn random_chars(n: usize) -> String {
    let mut rng = rand::rng();
    (0..n)
        .map(|_| char::from(CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())]))
        .collect()
}

/// Returns a new printable resident code, e.g. `R-7K3M-Q9XD`.
pub fn resident_code() -> String {
    let chars = random_chars(8);
    format!("R-{}-{}", &chars[..4], &chars[4..])
}

/// Returns a new pickup code, e.g. `K3M9QX`.
pub fn pickup_code() -> String {
    random_chars(6)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Draws per position: 1000 of each letter expected, a standard
    /// deviation of about 31, so 700–1300 (nearly ten of them either way)
    /// never fails by chance, while a letter taking 16 of 31 draws, as the
    /// UUID version bits made one, fails at once.
    const DRAWS: usize = 31_000;

    /// Asserts that every position of `codes` is uniform over the alphabet.
    fn assert_uniform(codes: impl Iterator<Item = String>, positions: usize) {
        let mut counts = vec![[0u32; 31]; positions];
        for code in codes {
            assert_eq!(code.len(), positions, "{code}");
            for (position, c) in code.bytes().enumerate() {
                let letter = CODE_ALPHABET
                    .iter()
                    .position(|&a| a == c)
                    .unwrap_or_else(|| {
                        panic!("{code} holds {}, not in the alphabet", char::from(c))
                    });
                counts[position][letter] += 1;
            }
        }
        for (position, letters) in counts.iter().enumerate() {
            for (letter, &n) in letters.iter().enumerate() {
                assert!(
                    (700..=1300).contains(&n),
                    "position {position}: {} drawn {n} times in {DRAWS}",
                    char::from(CODE_ALPHABET[letter])
                );
            }
        }
    }

    #[test]
    fn every_position_of_a_resident_code_is_uniform_over_the_alphabet() {
        let codes = (0..DRAWS).map(|_| {
            let code = resident_code();
            assert_eq!((&code[..2], &code[6..7]), ("R-", "-"), "{code}");
            format!("{}{}", &code[2..6], &code[7..])
        });
        assert_uniform(codes, 8);
    }

    #[test]
    fn every_position_of_a_pickup_code_is_uniform_over_the_alphabet() {
        assert_uniform((0..DRAWS).map(|_| pickup_code()), 6);
    }
}
