//! Masking of personal data for responses and logs. Phone numbers, names and
//! ID numbers are stored whole where a service needs them, and leave it only
//! through these functions.

/// Returns a phone number with its middle hidden: `138****5678`.
pub fn phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().filter(|c| !c.is_whitespace()).collect();
    match chars.len() {
        0 => String::new(),
        n if n >= 7 => {
            let head: String = chars[..3].iter().collect();
            let tail: String = chars[n - 4..].iter().collect();
            format!("{head}****{tail}")
        }
        _ => "****".to_owned(),
    }
}

/// Returns a name with all but its first and last characters hidden:
/// `张*明`, `李*`.
pub fn name(name: &str) -> String {
    let chars: Vec<char> = name.trim().chars().collect();
    match chars.len() {
        0 => String::new(),
        1 => "*".to_owned(),
        2 => format!("{}*", chars[0]),
        n => format!("{}{}{}", chars[0], "*".repeat(n - 2), chars[n - 1]),
    }
}

/// Returns a resident ID number showing only its area prefix and last four
/// characters: `310116********123X`.
pub fn id_number(id: &str) -> String {
    let chars: Vec<char> = id.trim().chars().collect();
    let n = chars.len();
    if n < 10 {
        return "*".repeat(n);
    }
    let head: String = chars[..6].iter().collect();
    let tail: String = chars[n - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(n - 10))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mobile_number_keeps_only_its_first_three_and_last_four_digits() {
        assert_eq!(phone("13812345678"), "138****5678");
        assert_eq!(phone(""), "");
        assert_eq!(phone("12345"), "****");
    }

    #[test]
    fn names_keep_first_and_last_characters() {
        assert_eq!(name("张小明"), "张*明");
        assert_eq!(name("李四"), "李*");
        assert_eq!(name("欧阳建国"), "欧**国");
    }

    #[test]
    fn id_numbers_keep_the_area_prefix_and_last_four() {
        assert_eq!(id_number("31011619800101123X"), "310116********123X");
    }
}
