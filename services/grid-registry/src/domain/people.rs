//! Checks on personal data as it enters the registry: mainland mobile
//! numbers and resident ID numbers (GB 11643 check digit).

use kernel::FieldViolation;

/// Checks an 11-digit mainland mobile number starting with 1.
pub fn check_phone(field: &str, phone: &str, out: &mut Vec<FieldViolation>) {
    let ok =
        phone.len() == 11 && phone.starts_with('1') && phone.chars().all(|c| c.is_ascii_digit());
    if !ok {
        out.push(FieldViolation::new(
            field,
            "must be an 11-digit mobile number starting with 1",
        ));
    }
}

/// Returns the GB 11643 check character for the first 17 digits.
fn check_character(first17: &[u8]) -> char {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CODES: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
    let sum: u32 = first17
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    CODES[(sum % 11) as usize]
}

/// Checks an 18-character resident ID number: 17 digits and a valid check
/// character (a digit or X).
pub fn check_id_number(field: &str, id: &str, out: &mut Vec<FieldViolation>) {
    let bytes = id.as_bytes();
    let well_formed = bytes.len() == 18 && bytes[..17].iter().all(u8::is_ascii_digit);
    if !well_formed {
        out.push(FieldViolation::new(
            field,
            "must be 18 characters: 17 digits and a check character",
        ));
        return;
    }
    if char::from(bytes[17]).to_ascii_uppercase() != check_character(&bytes[..17]) {
        out.push(FieldViolation::new(field, "has a wrong check character"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_standard_example_id_number_is_valid() {
        let mut out = Vec::new();
        check_id_number("id_number", "11010519491231002X", &mut out);
        assert!(out.is_empty(), "{out:?}");
        check_id_number("id_number", "110105194912310021", &mut out);
        assert_eq!(out[0].rule, "has a wrong check character");
    }

    #[test]
    fn phones_must_be_mainland_mobiles() {
        let mut out = Vec::new();
        check_phone("phone", "13812345678", &mut out);
        assert!(out.is_empty());
        check_phone("phone", "021-5730000", &mut out);
        assert_eq!(out.len(), 1);
    }
}
