//! Property tests for the checksummed validators.
//!
//! Each generator computes its check digit independently of the crate (a second
//! implementation of the published algorithm), so a bug in either side shows up as a
//! rejected valid value. The mutation half checks the property the checksum exists
//! for: any single-digit substitution is detected.

use proptest::prelude::*;
use withhold::detect::validators::Validator;

const CASES: u32 = 256;

/// Every string obtained from `s` by replacing one ASCII digit with a different digit.
fn digit_changes(s: &str) -> Vec<(usize, u8, String)> {
    let mut out = Vec::new();
    for (i, c) in s.bytes().enumerate() {
        if !c.is_ascii_digit() {
            continue;
        }
        for d in b'0'..=b'9' {
            if d != c {
                let mut b = s.as_bytes().to_vec();
                b[i] = d;
                out.push((i, c, String::from_utf8(b).expect("ascii")));
            }
        }
    }
    out
}

fn assert_all_changes_rejected(v: Validator, s: &str) -> Result<(), TestCaseError> {
    prop_assert!(v.validate(s), "{} rejected generated valid {s:?}", v.name());
    for (_, _, m) in digit_changes(s) {
        prop_assert!(!v.validate(&m), "{} accepted {m:?} (from {s:?})", v.name());
    }
    Ok(())
}

fn digits_str(d: &[u8]) -> String {
    d.iter().map(|&x| char::from(b'0' + x)).collect()
}

fn luhn_check_digit(body: &[u8]) -> u8 {
    // Position the check digit will occupy is not doubled, so doubling starts at the
    // rightmost body digit.
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 0 {
                let x = 2 * d;
                x / 10 + x % 10
            } else {
                d
            }
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

fn mod97(s: &str) -> u32 {
    s.chars().fold(0, |r, c| {
        let v = c.to_digit(36).expect("alnum");
        if v < 10 {
            (r * 10 + v) % 97
        } else {
            (r * 100 + v) % 97
        }
    })
}

fn all_same(d: &[u8]) -> bool {
    d.iter().all(|&x| x == d[0])
}

fn digit_vec(len: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(0u8..10, len)
}

// --- generators --------------------------------------------------------------

fn luhn_value() -> impl Strategy<Value = String> {
    prop::collection::vec(0u8..10, 1..24).prop_map(|mut d| {
        let c = luhn_check_digit(&d);
        d.push(c);
        digits_str(&d)
    })
}

fn credit_card_value() -> impl Strategy<Value = String> {
    // (inclusive IIN prefix ranges, allowed total lengths)
    type Brand = (Vec<(u32, u32)>, Vec<usize>);
    let brands: Vec<Brand> = vec![
        (vec![(4, 4)], vec![13, 16, 19]),
        (vec![(51, 55), (2221, 2720)], vec![16]),
        (vec![(34, 34), (37, 37)], vec![15]),
        (
            vec![(6011, 6011), (644, 649), (65, 65)],
            vec![16, 17, 18, 19],
        ),
        (vec![(3528, 3589)], vec![16, 17, 18, 19]),
        (
            vec![(300, 305), (36, 36), (38, 39)],
            vec![14, 15, 16, 17, 18, 19],
        ),
    ];
    (
        prop::sample::select(brands),
        any::<prop::sample::Index>(),
        any::<prop::sample::Index>(),
        any::<u32>(),
        digit_vec(19),
    )
        .prop_map(|((ranges, lens), ri, li, pick, fill)| {
            let (lo, hi) = ranges[ri.index(ranges.len())];
            let prefix = (lo + pick % (hi - lo + 1)).to_string();
            let len = lens[li.index(lens.len())];
            let mut d: Vec<u8> = prefix.bytes().map(|c| c - b'0').collect();
            d.extend_from_slice(&fill[..len - 1 - d.len()]);
            let c = luhn_check_digit(&d);
            d.push(c);
            digits_str(&d)
        })
}

fn iban_value() -> impl Strategy<Value = String> {
    let countries = vec![
        ("AT", 20),
        ("BE", 16),
        ("CH", 21),
        ("DE", 22),
        ("DK", 18),
        ("ES", 24),
        ("FI", 18),
        ("FR", 27),
        ("GB", 22),
        ("IE", 22),
        ("IT", 27),
        ("LU", 20),
        ("MT", 31),
        ("NL", 18),
        ("NO", 15),
        ("PL", 28),
        ("PT", 25),
        ("SE", 24),
    ];
    (prop::sample::select(countries), digit_vec(30)).prop_map(|((cc, len), fill)| {
        let bban = digits_str(&fill[..len - 4]);
        let check = 98 - mod97(&format!("{bban}{cc}00"));
        format!("{cc}{check:02}{bban}")
    })
}

fn aba_value() -> impl Strategy<Value = String> {
    let prefixes: Vec<u8> = (0..=12).chain(21..=32).chain(61..=72).chain([80]).collect();
    (prop::sample::select(prefixes), digit_vec(6)).prop_map(|(p, rest)| {
        let mut d = vec![p / 10, p % 10];
        d.extend(rest);
        let w = [3u32, 7, 1, 3, 7, 1, 3, 7];
        let partial: u32 = d.iter().zip(w).map(|(&x, w)| u32::from(x) * w).sum();
        d.push(((10 - partial % 10) % 10) as u8);
        digits_str(&d)
    })
}

fn nhs_value() -> impl Strategy<Value = String> {
    digit_vec(9).prop_filter_map("check digit 10 or all same", |mut d| {
        let sum: u32 = d
            .iter()
            .enumerate()
            .map(|(i, &x)| u32::from(x) * (10 - i as u32))
            .sum();
        let check = match 11 - sum % 11 {
            11 => 0,
            10 => return None,
            c => c as u8,
        };
        d.push(check);
        (!all_same(&d)).then(|| digits_str(&d))
    })
}

fn steuer_id_value() -> impl Strategy<Value = String> {
    // Nine distinct digits, one of them duplicated at a random position.
    (
        Just((0u8..10).collect::<Vec<_>>()).prop_shuffle(),
        0usize..9,
        0usize..10,
    )
        .prop_filter_map("leading zero", |(perm, dup, at)| {
            let mut d: Vec<u8> = perm[..9].to_vec();
            d.insert(at, perm[dup]);
            if d[0] == 0 {
                return None;
            }
            let mut p = 10u32;
            for &x in &d {
                let mut s = (u32::from(x) + p) % 10;
                if s == 0 {
                    s = 10;
                }
                p = (2 * s) % 11;
            }
            let check = (11 - p) % 10; // 11 − p = 10 → 0
            d.push(check as u8);
            Some(digits_str(&d))
        })
}

fn bsn_value() -> impl Strategy<Value = String> {
    digit_vec(8).prop_filter_map("check 10 or zero", |mut d| {
        let sum: u32 = d
            .iter()
            .enumerate()
            .map(|(i, &x)| u32::from(x) * (9 - i as u32))
            .sum();
        let check = sum % 11;
        if check == 10 {
            return None;
        }
        d.push(check as u8);
        (!d.iter().all(|&x| x == 0)).then(|| digits_str(&d))
    })
}

const DNI: &[u8] = b"TRWAGMYFPDXBNJZSQVHLCKE";

fn nif_value() -> impl Strategy<Value = String> {
    (0u32..100_000_000).prop_map(|n| format!("{n:08}{}", char::from(DNI[(n % 23) as usize])))
}

fn nie_value() -> impl Strategy<Value = String> {
    (0u32..3, 0u32..10_000_000).prop_map(|(p, n)| {
        let full = p * 10_000_000 + n;
        let lead = char::from(b"XYZ"[p as usize]);
        format!("{lead}{n:07}{}", char::from(DNI[(full % 23) as usize]))
    })
}

fn nir_value() -> impl Strategy<Value = String> {
    let months: Vec<u32> = (1..=12).chain(20..=42).chain(50..=99).collect();
    let depts: Vec<String> = (1..=95)
        .map(|d| format!("{d:02}"))
        .chain(["2A".to_string(), "2B".to_string()])
        .collect();
    (
        prop::sample::select(vec![1u32, 2, 3, 4, 7, 8]),
        0u32..100,
        prop::sample::select(months),
        prop::sample::select(depts),
        1u32..1000,
        1u32..1000,
    )
        .prop_map(|(sex, yy, mm, dept, commune, order)| {
            // Corsica: 2A is numerically 19, 2B is 18.
            let numeric_dept = match dept.as_str() {
                "2A" => "19",
                "2B" => "18",
                d => d,
            };
            let n: u64 = format!("{sex}{yy:02}{mm:02}{numeric_dept}{commune:03}{order:03}")
                .parse()
                .expect("digits");
            let key = 97 - n % 97;
            format!("{sex} {yy:02} {mm:02} {dept} {commune:03} {order:03} {key:02}")
        })
}

const CF_ODD: [u32; 26] = [
    1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23,
];

fn cf_check(body: &[u8]) -> u8 {
    let sum: u32 = body
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let v = if c.is_ascii_digit() {
                c - b'0'
            } else {
                c - b'A'
            } as usize;
            if i % 2 == 0 {
                CF_ODD[v]
            } else {
                v as u32
            }
        })
        .sum();
    b'A' + (sum % 26) as u8
}

fn fiscal_code_value() -> impl Strategy<Value = String> {
    let days: Vec<u8> = (1..=31).chain(41..=71).collect();
    (
        prop::collection::vec(b'A'..=b'Z', 7), // 6 name letters + municipality letter
        0u8..100,
        prop::sample::select(b"ABCDEHLMPRST".to_vec()),
        prop::sample::select(days),
        0u16..1000,
        prop::collection::vec(any::<bool>(), 7), // omocodia per digit position
    )
        .prop_map(|(letters, yy, month, day, town, omo)| {
            let digits = format!("{yy:02}{day:02}{town:03}");
            let mut d = digits.bytes().zip(omo).map(|(c, o)| {
                if o {
                    b"LMNPQRSTUV"[usize::from(c - b'0')]
                } else {
                    c
                }
            });
            let mut body: Vec<u8> = letters[..6].to_vec();
            body.extend(d.by_ref().take(2));
            body.push(month);
            body.extend(d.by_ref().take(2));
            body.push(letters[6]);
            body.extend(d);
            let check = cf_check(&body);
            body.push(check);
            String::from_utf8(body).expect("ascii")
        })
}

fn npi_value() -> impl Strategy<Value = String> {
    (1u8..=2, digit_vec(8)).prop_filter_map("all-same body", |(first, rest)| {
        let mut d = vec![first];
        d.extend(rest);
        if all_same(&d) {
            return None;
        }
        let mut prefixed = vec![8, 0, 8, 4, 0];
        prefixed.extend(&d);
        d.push(luhn_check_digit(&prefixed));
        Some(digits_str(&d))
    })
}

fn dea_value() -> impl Strategy<Value = String> {
    (
        prop::sample::select(b"ABCDEFGHJKLMPRSTUX".to_vec()),
        prop::sample::select(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ9".to_vec()),
        digit_vec(6),
    )
        .prop_filter_map("all zero", |(t, n, mut d)| {
            let s = u32::from(d[0] + d[2] + d[4]) + 2 * u32::from(d[1] + d[3] + d[5]);
            d.push((s % 10) as u8);
            (!d.iter().all(|&x| x == 0))
                .then(|| format!("{}{}{}", char::from(t), char::from(n), digits_str(&d)))
        })
}

// --- properties --------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn luhn_valid_and_single_digit_errors_detected(s in luhn_value()) {
        assert_all_changes_rejected(Validator::Luhn, &s)?;
    }

    #[test]
    fn credit_card_valid_and_single_digit_errors_detected(s in credit_card_value()) {
        prop_assume!(!all_same(s.as_bytes()));
        assert_all_changes_rejected(Validator::CreditCard, &s)?;
        // The same number grouped in fours is the same card.
        let grouped: Vec<String> = s
            .as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8(c.to_vec()).expect("ascii"))
            .collect();
        prop_assert!(Validator::CreditCard.validate(&grouped.join(" ")));
    }

    #[test]
    fn iban_valid_and_single_digit_errors_detected(s in iban_value()) {
        assert_all_changes_rejected(Validator::Iban, &s)?;
    }

    #[test]
    fn aba_valid_and_single_digit_errors_detected(s in aba_value()) {
        prop_assume!(s != "000000000");
        assert_all_changes_rejected(Validator::AbaRouting, &s)?;
    }

    #[test]
    fn nhs_valid_and_single_digit_errors_detected(s in nhs_value()) {
        assert_all_changes_rejected(Validator::UkNhs, &s)?;
    }

    #[test]
    fn steuer_id_valid_and_single_digit_errors_detected(s in steuer_id_value()) {
        assert_all_changes_rejected(Validator::DeTaxId, &s)?;
    }

    #[test]
    fn bsn_valid_and_single_digit_errors_detected(s in bsn_value()) {
        assert_all_changes_rejected(Validator::NlBsn, &s)?;
    }

    #[test]
    fn nif_valid_and_single_digit_errors_detected(s in nif_value()) {
        assert_all_changes_rejected(Validator::EsNif, &s)?;
    }

    #[test]
    fn nie_valid_and_single_digit_errors_detected(s in nie_value()) {
        assert_all_changes_rejected(Validator::EsNie, &s)?;
    }

    #[test]
    fn nir_valid_and_single_digit_errors_detected(s in nir_value()) {
        assert_all_changes_rejected(Validator::FrNir, &s)?;
    }

    #[test]
    fn fiscal_code_valid_and_single_char_errors_detected(s in fiscal_code_value()) {
        let v = Validator::ItFiscalCode;
        prop_assert!(v.validate(&s), "rejected generated valid {s:?}");
        // Any digit → other digit, any letter → other letter, at every position.
        for (i, c) in s.bytes().enumerate() {
            let class: Vec<u8> = if c.is_ascii_digit() {
                (b'0'..=b'9').collect()
            } else {
                (b'A'..=b'Z').collect()
            };
            for r in class.into_iter().filter(|&r| r != c) {
                let mut b = s.clone().into_bytes();
                b[i] = r;
                let m = String::from_utf8(b).expect("ascii");
                prop_assert!(!v.validate(&m), "accepted {m:?} (from {s:?})");
            }
        }
    }

    #[test]
    fn npi_valid_and_single_digit_errors_detected(s in npi_value()) {
        assert_all_changes_rejected(Validator::UsNpi, &s)?;
    }

    #[test]
    fn dea_valid_and_single_digit_errors_detected(s in dea_value()) {
        let v = Validator::UsDea;
        prop_assert!(v.validate(&s), "rejected generated valid {s:?}");
        for (i, old, m) in digit_changes(&s) {
            // Known blind spot of the DEA checksum: d2, d4, d6 (string positions 3, 5, 7)
            // are doubled, so a change of ±5 shifts the sum by 10 and goes unnoticed.
            let new = m.as_bytes()[i];
            let blind = matches!(i, 3 | 5 | 7) && old.abs_diff(new) == 5;
            let all_zero = m[2..].bytes().all(|c| c == b'0');
            let expected = blind && !all_zero;
            prop_assert_eq!(v.validate(&m), expected, "{:?} (from {:?})", m, s);
        }
    }
}

#[test]
fn all_validators_round_trip_through_their_names() {
    assert!(!Validator::all().is_empty());
    for &v in Validator::all() {
        assert_eq!(Validator::from_name(v.name()), Some(v), "{}", v.name());
    }
    let names = [
        "luhn",
        "credit_card",
        "iban",
        "aba_routing",
        "swift_bic",
        "us_ssn",
        "us_itin",
        "uk_nino",
        "uk_nhs",
        "de_tax_id",
        "nl_bsn",
        "es_nif",
        "es_nie",
        "fr_nir",
        "it_fiscal_code",
        "us_npi",
        "us_dea",
        "us_mbi",
        "icd10",
        "ipv4",
        "email",
        "phone",
        "date",
        "jwt",
        "base62_crc32",
        "pem_private_key",
    ];
    assert_eq!(Validator::all().len(), names.len());
    for n in names {
        let v = Validator::from_name(n).unwrap_or_else(|| panic!("missing validator {n}"));
        assert_eq!(v.name(), n);
    }
}
