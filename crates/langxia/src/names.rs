//! Synthetic personal data: Chinese names, mobile numbers and resident
//! identity numbers. None of it belongs to a real person.

use std::collections::HashSet;

use crate::rng::Rng;

pub(crate) const SURNAMES: &[&str] = &[
    "沈", "张", "陆", "朱", "顾", "王", "李", "陈", "徐", "金", "蒋", "姚", "钱", "周", "吴", "杨",
    "黄", "许", "盛", "卫", "计", "何", "孙", "马", "胡", "潘", "龚", "倪", "俞", "冯", "曹", "唐",
    "范", "郁", "邵", "施", "戴", "夏", "蔡", "褚",
];

pub(crate) const MALE_CHARS: &[&str] = &[
    "建", "国", "明", "华", "伟", "强", "军", "平", "林", "峰", "斌", "杰", "勇", "刚", "忠", "海",
    "亮", "磊", "涛", "波", "文", "俊", "兴", "德", "福", "根", "宝", "荣", "祥", "龙", "新", "春",
    "东", "坤", "鑫", "浩", "宇", "晨", "振", "卫",
];

pub(crate) const FEMALE_CHARS: &[&str] = &[
    "英", "芳", "娟", "敏", "静", "丽", "萍", "红", "霞", "琴", "燕", "玲", "秀", "珍", "梅", "兰",
    "凤", "娣", "花", "婷", "雪", "莉", "洁", "慧", "琳", "佳", "怡", "颖", "蓉", "菊", "月", "云",
    "妹", "美", "晓", "倩", "艳", "芬", "华", "春",
];

/// Mobile number prefixes of the three mainland carriers.
const MOBILE_PREFIXES: &[&str] = &[
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153",
    "155", "156", "157", "158", "159", "177", "180", "181", "182", "183", "185", "186", "187",
    "188", "189", "199",
];

/// Administrative division code of Jinshan district, Shanghai.
pub(crate) const JINSHAN_AREA_CODE: &str = "310116";

/// GB 11643-1999 weights for the first 17 digits.
const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// GB 11643-1999 check characters indexed by the weighted sum modulo 11.
const ID_CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// The GB 11643 check character for the first 17 digits of an identity
/// number, or `None` if they are not 17 ASCII digits.
pub fn id_check_char(first17: &str) -> Option<char> {
    if first17.len() != 17 {
        return None;
    }
    let mut sum = 0;
    for (c, w) in first17.chars().zip(ID_WEIGHTS) {
        sum += c.to_digit(10)? * w;
    }
    Some(ID_CHECK[(sum % 11) as usize])
}

/// Hands out people's names, phone numbers and identity numbers, each
/// unique within one generated town.
#[derive(Debug, Default)]
pub(crate) struct People {
    names: HashSet<String>,
    phones: HashSet<String>,
    ids: HashSet<String>,
}

/// A synthetic person: a name and whether it reads as a man's name.
pub(crate) struct Person {
    pub(crate) name: String,
    pub(crate) male: bool,
}

impl People {
    /// A new, unused name of two or three characters.
    pub(crate) fn person(&mut self, rng: &mut Rng) -> Person {
        loop {
            let male = rng.chance(0.55);
            let chars = if male { MALE_CHARS } else { FEMALE_CHARS };
            let mut name = String::from(rng.pick(SURNAMES));
            name.push_str(rng.pick(chars));
            if rng.chance(0.7) {
                name.push_str(rng.pick(chars));
            }
            if self.names.insert(name.clone()) {
                return Person { name, male };
            }
        }
    }

    /// A new, unused 11-digit mobile number.
    pub(crate) fn phone(&mut self, rng: &mut Rng) -> String {
        loop {
            let phone = format!("{}{:08}", rng.pick(MOBILE_PREFIXES), rng.below(100_000_000));
            if self.phones.insert(phone.clone()) {
                return phone;
            }
        }
    }

    /// A new, unused 18-character identity number registered in Jinshan,
    /// born in one of `years`, with the sex digit matching `male` and a
    /// valid check character.
    pub(crate) fn id_number(
        &mut self,
        rng: &mut Rng,
        years: std::ops::RangeInclusive<u32>,
        male: bool,
    ) -> String {
        loop {
            let year = rng.int(*years.start(), *years.end());
            let month = rng.int(1, 12);
            let day = rng.int(1, 28);
            let sequence = 2 * rng.int(1, 499) + u32::from(male);
            let first17 = format!("{JINSHAN_AREA_CODE}{year:04}{month:02}{day:02}{sequence:03}");
            let check = id_check_char(&first17).expect("17 digits");
            let id = format!("{first17}{check}");
            if self.ids.insert(id.clone()) {
                return id;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::id_check_char;

    #[test]
    fn check_char_matches_the_standard_example() {
        // The worked example of GB 11643-1999.
        assert_eq!(id_check_char("11010519491231002"), Some('X'));
        assert_eq!(id_check_char("1101051949123100"), None);
        assert_eq!(id_check_char("1101051949123100a"), None);
    }
}
