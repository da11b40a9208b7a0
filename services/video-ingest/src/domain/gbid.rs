//! GB/T 28181 codes: 20 digits, read as the centre code (8: the
//! administrative code of province, city and district, then the grassroots
//! unit), the industry (2), the type (3), the network (1) and a serial (6).
//! Types 111–199 are front-end devices (111 DVR, 118 NVR, 131 camera,
//! 132 IP camera, 134 alarm input …), 200–299 platform devices (200 a
//! centre signalling server, 215 a business group, 216 a virtual
//! organisation).

use std::fmt;

/// The provinces' two-digit codes (GB/T 2260), the first two digits of
/// every centre code.
const PROVINCES: [u8; 34] = [
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
    53, 54, 61, 62, 63, 64, 65, 71, 81, 82,
];

/// A checked 20-digit GB/T 28181 code.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GbId(String);

/// What a code names, by its type digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GbIdClass {
    /// 111–199: a camera, NVR, DVR, encoder, alarm input …
    FrontEnd,
    /// 200–299: a platform, business group or virtual organisation.
    Platform,
    /// Anything else (terminals, extensions): not registered here.
    Other,
}

/// Why a text is not a GB/T 28181 code; the message is the broken rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GbIdError {
    #[error("must be 20 digits")]
    NotTwentyDigits,
    #[error("must start with a province code of GB/T 2260 (e.g. 31 for Shanghai)")]
    UnknownProvince,
    #[error("must have a city and district code (digits 3-6) that is not 00 for the city")]
    NoCity,
}

impl GbId {
    /// Parses and checks `text` (surrounding spaces ignored).
    ///
    /// # Errors
    /// The text is not 20 digits, or its centre code names no province or
    /// city.
    pub fn parse(text: &str) -> Result<Self, GbIdError> {
        let text = text.trim();
        if text.len() != 20 || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(GbIdError::NotTwentyDigits);
        }
        let province: u8 = text[0..2].parse().map_err(|_| GbIdError::NotTwentyDigits)?;
        if !PROVINCES.contains(&province) {
            return Err(GbIdError::UnknownProvince);
        }
        if &text[2..4] == "00" {
            return Err(GbIdError::NoCity);
        }
        Ok(Self(text.to_owned()))
    }

    /// Parses a code that must name a front-end device (type 111–199).
    ///
    /// # Errors
    /// As [`GbId::parse`]; the rule for a code of another type.
    pub fn front_end(text: &str) -> Result<Self, String> {
        let id = Self::parse(text).map_err(|e| e.to_string())?;
        if id.class() == GbIdClass::FrontEnd {
            Ok(id)
        } else {
            Err(format!(
                "must be a front-end device's code: digits 11-13 between 111 and 199, not {}",
                id.type_code()
            ))
        }
    }

    /// Returns the code.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Returns the centre code: the administrative code (6) and the
    /// grassroots unit (2).
    pub fn centre(&self) -> &str {
        &self.0[0..8]
    }

    /// Returns the industry code (digits 9–10).
    pub fn industry(&self) -> &str {
        &self.0[8..10]
    }

    /// Returns the type code (digits 11–13).
    pub fn type_code(&self) -> u16 {
        self.0[10..13].parse().unwrap_or(0)
    }

    /// Returns the network digit (14): 0–4 private monitoring networks, 5
    /// public security, 6 government, 7 internet, 8 social resources.
    pub fn network(&self) -> u8 {
        self.0.as_bytes()[13] - b'0'
    }

    /// Returns the serial (digits 15–20).
    pub fn serial(&self) -> &str {
        &self.0[14..20]
    }

    /// Returns what the code names.
    pub fn class(&self) -> GbIdClass {
        match self.type_code() {
            111..=199 => GbIdClass::FrontEnd,
            200..=299 => GbIdClass::Platform,
            _ => GbIdClass::Other,
        }
    }

    /// Returns the code made of its parts, checked.
    ///
    /// # Errors
    /// A part of the wrong length or a centre code naming no province.
    pub fn compose(
        centre: &str,
        industry: &str,
        type_code: u16,
        network: u8,
        serial: u32,
    ) -> Result<Self, GbIdError> {
        if centre.len() != 8 || industry.len() != 2 || network > 9 || serial > 999_999 {
            return Err(GbIdError::NotTwentyDigits);
        }
        Self::parse(&format!(
            "{centre}{industry}{type_code:03}{network}{serial:06}"
        ))
    }
}

impl fmt::Display for GbId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_jinshan_ip_camera_code_reads_as_its_parts() {
        let id = GbId::parse(" 31011611001320000042 ").unwrap();
        assert_eq!(id.centre(), "31011611");
        assert_eq!(id.industry(), "00");
        assert_eq!(id.type_code(), 132);
        assert_eq!(id.network(), 0);
        assert_eq!(id.serial(), "000042");
        assert_eq!(id.class(), GbIdClass::FrontEnd);
    }

    #[test]
    fn codes_of_the_wrong_shape_or_province_are_refused() {
        assert_eq!(
            GbId::parse("3101161100132000004"),
            Err(GbIdError::NotTwentyDigits)
        );
        assert_eq!(
            GbId::parse("3101161100132000004x"),
            Err(GbIdError::NotTwentyDigits)
        );
        assert_eq!(
            GbId::parse("99011611001320000042"),
            Err(GbIdError::UnknownProvince)
        );
        assert_eq!(GbId::parse("31001611001320000042"), Err(GbIdError::NoCity));
    }

    #[test]
    fn only_types_111_to_199_are_front_end_devices() {
        assert!(GbId::front_end("31011611001110000001").is_ok());
        assert!(GbId::front_end("31011611001990000001").is_ok());
        let platform = GbId::front_end("31011600002000000001").unwrap_err();
        assert!(platform.contains("not 200"), "{platform}");
        assert!(GbId::front_end("31011611001100000001").is_err());
        assert_eq!(
            GbId::parse("31011600002000000001").unwrap().class(),
            GbIdClass::Platform
        );
    }

    #[test]
    fn a_composed_code_is_the_parts_in_order() {
        let id = GbId::compose("31011611", "00", 131, 0, 7).unwrap();
        assert_eq!(id.as_str(), "31011611001310000007");
    }
}
