//! Personal data: who residents and staff are, as an ID card says: names, mobile numbers and
//! plausible, unique 18-digit resident ID numbers (GB 11643).

use std::collections::HashMap;
use std::ops::RangeInclusive;

use chrono::{DateTime, NaiveDate, Utc};
use entities::person::{self, Gender};
use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;

use super::district;
use super::random::pick;

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林",
    "何", "郭", "马", "罗", "梁", "宋", "郑", "谢", "韩", "唐", "冯", "于", "董", "曹", "袁", "邓",
    "许", "傅", "沈", "曾", "彭", "吕", "苏", "卢", "蒋", "蔡", "贾", "丁", "魏", "薛", "叶", "阎",
    "余", "潘", "杜", "戴", "夏", "钟", "田", "任", "姜", "范", "方", "石", "姚", "谭", "廖", "邹",
    "金", "陆", "郝", "孔", "白", "崔", "康", "毛", "秦", "史", "侯", "孟",
];
const MALE_GIVEN: &[&str] = &[
    "伟", "强", "磊", "军", "洋", "勇", "杰", "涛", "明", "超", "刚", "平", "辉", "鹏", "华", "飞",
    "鑫", "波", "斌", "宇", "浩", "凯", "健", "俊", "帆", "旭", "宁", "龙", "林", "国", "建", "志",
    "文", "海", "峰", "亮", "振", "东",
];
const FEMALE_GIVEN: &[&str] = &[
    "芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "秀", "燕", "玲", "桂", "英", "萍", "红", "梅",
    "琳", "雪", "倩", "婷", "慧", "颖", "佳", "欣", "洁", "月", "兰", "凤", "莉", "丹", "晶", "雯",
    "悦", "璐", "琪", "蕾", "瑶", "楠",
];
const MOBILE_PREFIXES: &[&str] = &[
    "138", "139", "137", "135", "136", "150", "151", "152", "158", "159", "186", "187", "188",
    "183",
];

/// Resident ID numbers issued per birth date: the three-digit sequence holds 500 of each sex.
const SERIALS_PER_DAY: u16 = 500;

/// Who a person is, as an ID card says.
pub(super) struct Identity {
    name: String,
    gender: Gender,
    phone: String,
    id_number: String,
    pub(super) birth_date: NaiveDate,
}

impl Identity {
    pub(super) fn into_person(
        self,
        id: i64,
        household_id: Option<i64>,
        lives_alone: bool,
        hardship: bool,
        created_at: DateTime<Utc>,
    ) -> person::Model {
        person::Model {
            id,
            name: self.name,
            gender: Some(self.gender),
            phone: Some(self.phone),
            id_number: Some(self.id_number),
            birth_date: Some(self.birth_date),
            household_id,
            lives_alone,
            hardship,
            created_at,
        }
    }
}

/// Issues plausible, unique identities: 18-digit resident ID numbers (GB 11643) whose birth date,
/// sex digit and check digit agree with the person, unique by a counter per birth date.
#[derive(Default)]
pub(super) struct Identities {
    issued: HashMap<NaiveDate, u16>,
}

impl Identities {
    pub(super) fn issue(&mut self, rng: &mut StdRng, birth_years: RangeInclusive<i32>) -> Identity {
        let gender = if rng.random_bool(0.5) {
            Gender::Female
        } else {
            Gender::Male
        };
        let (birth_date, serial) = loop {
            let ordinal = rng.random_range(1..=365);
            let date = NaiveDate::from_yo_opt(rng.random_range(birth_years.clone()), ordinal)
                .expect("every year has 365 days");
            let issued = self.issued.entry(date).or_default();
            if *issued < SERIALS_PER_DAY {
                *issued += 1;
                break (date, *issued - 1);
            }
        };
        // The sequence's last digit is odd for men and even for women.
        let sequence = serial * 2 + u16::from(gender == Gender::Male);
        let body = format!(
            "{}{}{sequence:03}",
            district::CODE,
            birth_date.format("%Y%m%d")
        );
        let given = if gender == Gender::Male {
            MALE_GIVEN
        } else {
            FEMALE_GIVEN
        };
        let length = rng.random_range(1..=2);
        let given: String = pick(rng, given, length).concat();
        let surname = SURNAMES.choose(rng).expect("the list is not empty");
        let prefix = MOBILE_PREFIXES.choose(rng).expect("the list is not empty");
        Identity {
            name: format!("{surname}{given}"),
            gender,
            phone: format!("{prefix}{:08}", rng.random_range(0..100_000_000)),
            id_number: format!("{body}{}", check_digit(&body)),
            birth_date,
        }
    }
}

/// The check character of an ID number's first 17 digits (ISO 7064 MOD 11-2).
fn check_digit(body: &str) -> char {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: &[u8; 11] = b"10X98765432";
    let sum: u32 = body
        .chars()
        .zip(WEIGHTS)
        .map(|(digit, weight)| digit.to_digit(10).unwrap_or(0) * weight)
        .sum();
    char::from(CHECK[(sum % 11) as usize])
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use entities::person::Gender;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::{Identities, check_digit};
    use crate::seed::RNG_SEED;

    #[test]
    fn check_digit_agrees_with_the_standard_example() {
        assert_eq!(check_digit("11010519491231002"), 'X');
    }

    #[test]
    fn identities_are_unique_and_well_formed() {
        let mut rng = StdRng::seed_from_u64(RNG_SEED);
        let mut identities = Identities::default();
        let mut seen = HashSet::new();
        for _ in 0..20_000 {
            let identity = identities.issue(&mut rng, 1990..=1990);
            assert_eq!(identity.id_number.len(), 18);
            let sex_digit = identity.id_number.as_bytes()[16] - b'0';
            assert_eq!(sex_digit % 2 == 1, identity.gender == Gender::Male);
            assert!(seen.insert(identity.id_number));
        }
    }
}
