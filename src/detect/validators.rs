//! Checksum, range and shape validators for candidate values (detection-notes §7).
//!
//! This module owns the second stage of detection: a regex hit is only a candidate until
//! the validator named by its rule accepts it. A candidate that fails its validator is
//! dropped, never reported at a lower score.
//!
//! Every validator receives the matched text as found (separators included) and
//! normalises it itself. They run on every regex hit, so none of them allocates: input is
//! copied into fixed-size stack buffers or walked byte by byte.
//!
//! Letter case: structured codes that are machine-printed (IBAN, BIC, ICD-10) must be
//! uppercase, because a lowercase lookalike in prose is almost never the real thing.
//! Personal identifiers that people type by hand (NINO, DNI/NIE, codice fiscale, DEA,
//! MBI, NIR's 2A/2B) are accepted in either case.

macro_rules! validators {
    ($($(#[$meta:meta])* $variant:ident => $name:literal,)*) => {
        /// A named validator a rule can reference from its pack (`validator = "luhn"`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Validator {
            $($(#[$meta])* $variant,)*
        }

        impl Validator {
            const ALL: &'static [Validator] = &[$(Validator::$variant,)*];

            /// Look a validator up by the name used in rule packs.
            pub fn from_name(name: &str) -> Option<Validator> {
                match name {
                    $($name => Some(Validator::$variant),)*
                    _ => None,
                }
            }

            /// The name used in rule packs.
            pub fn name(self) -> &'static str {
                match self {
                    $(Validator::$variant => $name,)*
                }
            }
        }
    };
}

validators! {
    /// Plain Luhn (mod 10) over the digits.
    Luhn => "luhn",
    /// Payment card: Luhn plus issuer prefix (IIN) and length.
    CreditCard => "credit_card",
    /// IBAN: per-country length and ISO 7064 mod 97-10.
    Iban => "iban",
    /// US ABA routing number: 3-7-1 weighted checksum and Federal Reserve prefix.
    AbaRouting => "aba_routing",
    /// SWIFT/BIC: shape plus ISO 3166-1 country. No checksum exists.
    SwiftBic => "swift_bic",
    /// US Social Security number: area/group/serial ranges.
    UsSsn => "us_ssn",
    /// US Individual Taxpayer Identification Number: 9XX area and ITIN group ranges.
    UsItin => "us_itin",
    /// UK National Insurance number: prefix and suffix letter rules.
    UkNino => "uk_nino",
    /// UK NHS number: mod 11.
    UkNhs => "uk_nhs",
    /// German Steuer-ID: ISO 7064 MOD 11,10 and the digit-repetition rule.
    DeTaxId => "de_tax_id",
    /// Dutch BSN: 11-proef.
    NlBsn => "nl_bsn",
    /// Spanish DNI (NIF for residents): 8 digits + mod 23 letter.
    EsNif => "es_nif",
    /// Spanish NIE: X/Y/Z + 7 digits + mod 23 letter.
    EsNie => "es_nie",
    /// French NIR (social security number): structure and 97 − (N mod 97) key.
    FrNir => "fr_nir",
    /// Italian codice fiscale: structure (omocodia allowed) and check letter.
    ItFiscalCode => "it_fiscal_code",
    /// US National Provider Identifier: Luhn with the 80840 prefix.
    UsNpi => "us_npi",
    /// US DEA registration number: registrant type and checksum.
    UsDea => "us_dea",
    /// US Medicare Beneficiary Identifier: character-class shape.
    UsMbi => "us_mbi",
    /// ICD-10 diagnosis code: shape and a real chapter range.
    Icd10 => "icd10",
    /// Dotted-quad IPv4 address, excluding the all-zero and broadcast addresses.
    Ipv4 => "ipv4",
    /// Email address: conservative local part and a domain with a real-looking TLD.
    Email => "email",
    /// Phone number: 7–15 digits that are not a repeated or sequential run.
    Phone => "phone",
    /// A real calendar date in one of the common written forms, year 1900–2026.
    Date => "date",
    /// JSON Web Token whose header really decodes to JSON with `"alg"`.
    Jwt => "jwt",
    /// GitHub classic and npm tokens: CRC32 of the random part, in base62.
    Base62Crc32 => "base62_crc32",
    /// PEM / OpenSSH / PGP private-key block with a real base64 key body.
    PemPrivateKey => "pem_private_key",
}

impl Validator {
    /// Every validator, for `rules` listings and error messages.
    pub fn all() -> &'static [Validator] {
        Self::ALL
    }

    /// Whether `value` (the matched text, separators included) passes.
    pub fn validate(self, value: &str) -> bool {
        match self {
            Validator::Luhn => luhn(value),
            Validator::CreditCard => credit_card(value),
            Validator::Iban => iban(value),
            Validator::AbaRouting => aba_routing(value),
            Validator::SwiftBic => swift_bic(value),
            Validator::UsSsn => us_ssn(value),
            Validator::UsItin => us_itin(value),
            Validator::UkNino => uk_nino(value),
            Validator::UkNhs => uk_nhs(value),
            Validator::DeTaxId => de_tax_id(value),
            Validator::NlBsn => nl_bsn(value),
            Validator::EsNif => es_nif(value),
            Validator::EsNie => es_nie(value),
            Validator::FrNir => fr_nir(value),
            Validator::ItFiscalCode => it_fiscal_code(value),
            Validator::UsNpi => us_npi(value),
            Validator::UsDea => us_dea(value),
            Validator::UsMbi => us_mbi(value),
            Validator::Icd10 => icd10(value),
            Validator::Ipv4 => ipv4(value),
            Validator::Email => email(value),
            Validator::Phone => phone(value),
            Validator::Date => date(value),
            Validator::Jwt => jwt(value),
            Validator::Base62Crc32 => crate::detect::token_checks::base62_crc32(value),
            Validator::PemPrivateKey => crate::detect::token_checks::pem_private_key(value),
        }
    }
}

// ---------------------------------------------------------------------------
// Normalisation helpers (stack only)
// ---------------------------------------------------------------------------

/// Separators people put inside numeric identifiers.
const SEPS: &[u8] = b" -.";

/// Up to `N` normalised bytes on the stack.
struct Buf<const N: usize> {
    b: [u8; N],
    len: usize,
}

impl<const N: usize> Buf<N> {
    fn bytes(&self) -> &[u8] {
        &self.b[..self.len]
    }
}

/// Copy `value` minus every byte in `skip`, uppercasing ASCII letters when `upper`.
/// `None` when the result would not fit: a longer value is never valid for the caller.
fn strip<const N: usize>(value: &str, skip: &[u8], upper: bool) -> Option<Buf<N>> {
    let mut out = Buf { b: [0; N], len: 0 };
    for &c in value.as_bytes() {
        if skip.contains(&c) {
            continue;
        }
        if out.len == N {
            return None;
        }
        out.b[out.len] = if upper { c.to_ascii_uppercase() } else { c };
        out.len += 1;
    }
    Some(out)
}

/// Digit values (0–9) of `value` with `skip` separators removed; `None` on any other byte.
fn digits<const N: usize>(value: &str, skip: &[u8]) -> Option<Buf<N>> {
    let mut out = strip::<N>(value, skip, false)?;
    for c in &mut out.b[..out.len] {
        if !c.is_ascii_digit() {
            return None;
        }
        *c -= b'0';
    }
    Some(out)
}

/// True when every element is the same (vacuously for 0–1 elements): such numbers
/// pass several checksums (0000000000, 1111111111 for NHS) but are placeholders.
fn all_same(d: &[u8]) -> bool {
    d.windows(2).all(|w| w[0] == w[1])
}

/// Decimal value of digit values.
fn number(d: &[u8]) -> u64 {
    d.iter().fold(0, |acc, &x| acc * 10 + u64::from(x))
}

/// Luhn sum of digit values given from the rightmost digit leftwards.
fn luhn_sum_rev(digits_from_right: impl Iterator<Item = u8>) -> u32 {
    digits_from_right
        .enumerate()
        .map(|(i, d)| {
            let d = u32::from(d);
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum()
}

fn luhn_ok(d: &[u8]) -> bool {
    !d.is_empty() && luhn_sum_rev(d.iter().rev().copied()) % 10 == 0
}

// ---------------------------------------------------------------------------
// Financial
// ---------------------------------------------------------------------------

fn luhn(value: &str) -> bool {
    // 32 digits is beyond any Luhn-protected identifier in use; one digit has no check.
    match digits::<32>(value, SEPS) {
        Some(d) => d.len >= 2 && luhn_ok(d.bytes()),
        None => false,
    }
}

fn credit_card(value: &str) -> bool {
    let Some(d) = digits::<19>(value, SEPS) else {
        return false;
    };
    let d = d.bytes();
    let n = d.len();
    if n < 13 || all_same(d) || !luhn_ok(d) {
        return false;
    }
    // n >= 13, so every prefix length used below is in bounds.
    let p = |k: usize| number(&d[..k]);
    let discover = p(4) == 6011 || (644..=649).contains(&p(3)) || p(2) == 65;
    let jcb = (3528..=3589).contains(&p(4));
    if d[0] == 4 {
        matches!(n, 13 | 16 | 19) // Visa
    } else if (51..=55).contains(&p(2)) || (2221..=2720).contains(&p(4)) {
        n == 16 // Mastercard
    } else if matches!(p(2), 34 | 37) {
        n == 15 // Amex
    } else if discover || jcb {
        (16..=19).contains(&n)
    } else if (300..=305).contains(&p(3)) || matches!(p(2), 36 | 38 | 39) {
        (14..=19).contains(&n) // Diners Club
    } else {
        false
    }
}

/// IBAN length per country (SWIFT IBAN registry). Unknown countries are rejected
/// rather than guessed: the length check is what keeps random mod-97 hits out.
fn iban_len(cc: &[u8]) -> Option<usize> {
    Some(match cc {
        b"AD" => 24,
        b"AE" => 23,
        b"AL" => 28,
        b"AT" => 20,
        b"AZ" => 28,
        b"BA" => 20,
        b"BE" => 16,
        b"BG" => 22,
        b"BH" => 22,
        b"BI" => 27,
        b"BR" => 29,
        b"BY" => 28,
        b"CH" => 21,
        b"CR" => 22,
        b"CY" => 28,
        b"CZ" => 24,
        b"DE" => 22,
        b"DJ" => 27,
        b"DK" => 18,
        b"DO" => 28,
        b"EE" => 20,
        b"EG" => 29,
        b"ES" => 24,
        b"FI" => 18,
        b"FK" => 18,
        b"FO" => 18,
        b"FR" => 27,
        b"GB" => 22,
        b"GE" => 22,
        b"GI" => 23,
        b"GL" => 18,
        b"GR" => 27,
        b"GT" => 28,
        b"HN" => 28,
        b"HR" => 21,
        b"HU" => 28,
        b"IE" => 22,
        b"IL" => 23,
        b"IQ" => 23,
        b"IS" => 26,
        b"IT" => 27,
        b"JO" => 30,
        b"KW" => 30,
        b"KZ" => 20,
        b"LB" => 28,
        b"LC" => 32,
        b"LI" => 21,
        b"LT" => 20,
        b"LU" => 20,
        b"LV" => 21,
        b"LY" => 25,
        b"MC" => 27,
        b"MD" => 24,
        b"ME" => 22,
        b"MK" => 19,
        b"MN" => 20,
        b"MR" => 27,
        b"MT" => 31,
        b"MU" => 30,
        b"NI" => 28,
        b"NL" => 18,
        b"NO" => 15,
        b"OM" => 23,
        b"PK" => 24,
        b"PL" => 28,
        b"PS" => 29,
        b"PT" => 25,
        b"QA" => 29,
        b"RO" => 24,
        b"RS" => 22,
        b"RU" => 33,
        b"SA" => 24,
        b"SC" => 31,
        b"SD" => 18,
        b"SE" => 24,
        b"SI" => 19,
        b"SK" => 24,
        b"SM" => 27,
        b"SO" => 23,
        b"ST" => 25,
        b"SV" => 28,
        b"TL" => 23,
        b"TN" => 24,
        b"TR" => 26,
        b"UA" => 29,
        b"VA" => 22,
        b"VG" => 24,
        b"XK" => 20,
        b"YE" => 30,
        _ => return None,
    })
}

fn iban(value: &str) -> bool {
    let Some(b) = strip::<34>(value, b" ", false) else {
        return false;
    };
    let s = b.bytes();
    if s.len() < 5
        || !s[..2].iter().all(u8::is_ascii_uppercase)
        || !s[2..4].iter().all(u8::is_ascii_digit)
        || !s[4..]
            .iter()
            .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
        || iban_len(&s[..2]) != Some(s.len())
    {
        return false;
    }
    // Rearranged (BBAN then country + check digits), letters as 10..35, mod 97 folded
    // as we go so no big integer is needed.
    let rem = s[4..].iter().chain(&s[..4]).fold(0u32, |r, &c| {
        if c.is_ascii_digit() {
            (r * 10 + u32::from(c - b'0')) % 97
        } else {
            (r * 100 + u32::from(c - b'A') + 10) % 97
        }
    });
    rem == 1
}

fn aba_routing(value: &str) -> bool {
    let Some(d) = digits::<9>(value, SEPS) else {
        return false;
    };
    let d = d.bytes();
    if d.len() != 9 || d.iter().all(|&x| x == 0) {
        return false;
    }
    // Federal Reserve routing symbol ranges: 00–12 banks, 21–32 thrifts,
    // 61–72 electronic, 80 traveller's cheques.
    let prefix = d[0] * 10 + d[1];
    if !matches!(prefix, 0..=12 | 21..=32 | 61..=72 | 80) {
        return false;
    }
    let sum: u32 = d
        .iter()
        .zip([3u32, 7, 1].iter().cycle())
        .map(|(&x, &w)| u32::from(x) * w)
        .sum();
    sum.is_multiple_of(10)
}

/// ISO 3166-1 alpha-2 codes, plus XK (Kosovo), which SWIFT and IBAN use.
const ISO_3166_ALPHA2: &str = "\
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ \
BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ \
CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ \
DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR \
GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY \
HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP \
KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY \
MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ \
NA NC NE NF NG NI NL NO NP NR NU NZ OM \
PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW \
SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ \
TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ \
UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS XK YE YT ZA ZM ZW";

/// Country set as a 26×26 bit matrix, built at compile time from the list above.
const COUNTRIES: [u32; 26] = country_mask(ISO_3166_ALPHA2.as_bytes());

const fn country_mask(s: &[u8]) -> [u32; 26] {
    let mut m = [0u32; 26];
    let mut i = 0;
    while i + 1 < s.len() {
        if s[i].is_ascii_uppercase() && s[i + 1].is_ascii_uppercase() {
            m[(s[i] - b'A') as usize] |= 1 << (s[i + 1] - b'A');
            i += 2;
        } else {
            i += 1;
        }
    }
    m
}

fn is_country(a: u8, b: u8) -> bool {
    a.is_ascii_uppercase()
        && b.is_ascii_uppercase()
        && COUNTRIES[usize::from(a - b'A')] & (1 << (b - b'A')) != 0
}

fn swift_bic(value: &str) -> bool {
    let s = value.as_bytes();
    let alnum = |c: &u8| c.is_ascii_uppercase() || c.is_ascii_digit();
    (s.len() == 8 || s.len() == 11)
        && s[..4].iter().all(u8::is_ascii_uppercase)
        && is_country(s[4], s[5])
        && s[6..].iter().all(alnum)
}

// ---------------------------------------------------------------------------
// National identifiers
// ---------------------------------------------------------------------------

/// Nine digits written AAA-GG-SSSS, AAA GG SSSS or AAAGGSSSS. Mixed separators are
/// rejected: "123-45 6789" is far more often a fragment of something else.
fn ssn_digits(value: &str) -> Option<[u8; 9]> {
    let b = value.as_bytes();
    let mut out = [0u8; 9];
    let body_positions: &[usize] = match b.len() {
        9 => &[0, 1, 2, 3, 4, 5, 6, 7, 8],
        11 if b[3] == b[6] && matches!(b[3], b'-' | b' ') => &[0, 1, 2, 4, 5, 7, 8, 9, 10],
        _ => return None,
    };
    for (o, &i) in out.iter_mut().zip(body_positions) {
        if !b[i].is_ascii_digit() {
            return None;
        }
        *o = b[i] - b'0';
    }
    Some(out)
}

fn us_ssn(value: &str) -> bool {
    let Some(d) = ssn_digits(value) else {
        return false;
    };
    let area = number(&d[..3]);
    let group = number(&d[3..5]);
    let serial = number(&d[5..]);
    // Never-issued ranges plus the numbers famously printed on sample cards/ads.
    const SAMPLES: [&[u8; 9]; 3] = [b"078051120", b"219099999", b"123456789"];
    let is_sample = SAMPLES
        .iter()
        .any(|s| s.iter().zip(&d).all(|(&a, &b)| a - b'0' == b));
    area != 0
        && area != 666
        && area < 900
        && group != 0
        && serial != 0
        && !is_sample
        && !all_same(&d)
}

fn us_itin(value: &str) -> bool {
    let Some(d) = ssn_digits(value) else {
        return false;
    };
    let group = d[3] * 10 + d[4];
    d[0] == 9 && matches!(group, 50..=65 | 70..=88 | 90..=92 | 94..=99)
}

fn uk_nino(value: &str) -> bool {
    let Some(b) = strip::<9>(value, b" ", true) else {
        return false;
    };
    let s = b.bytes();
    if s.len() != 9 {
        return false;
    }
    let (a, c) = (s[0], s[1]);
    const UNUSED: [&[u8; 2]; 7] = [b"BG", b"GB", b"KN", b"NK", b"NT", b"TN", b"ZZ"];
    a.is_ascii_uppercase()
        && c.is_ascii_uppercase()
        && !b"DFIQUV".contains(&a)
        && !b"DFIOQUV".contains(&c)
        && !UNUSED.iter().any(|p| p[..] == s[..2])
        && s[2..8].iter().all(u8::is_ascii_digit)
        && (b'A'..=b'D').contains(&s[8])
}

fn uk_nhs(value: &str) -> bool {
    let Some(d) = digits::<10>(value, SEPS) else {
        return false;
    };
    let d = d.bytes();
    if d.len() != 10 || all_same(d) {
        return false;
    }
    let sum: u32 = d[..9]
        .iter()
        .zip((2..=10u32).rev())
        .map(|(&x, w)| u32::from(x) * w)
        .sum();
    match 11 - sum % 11 {
        10 => false, // no valid number has this base
        11 => d[9] == 0,
        check => u32::from(d[9]) == check,
    }
}

fn de_tax_id(value: &str) -> bool {
    let Some(d) = digits::<11>(value, b" -./") else {
        return false;
    };
    let d = d.bytes();
    if d.len() != 11 || d[0] == 0 {
        return false;
    }
    // Repetition rule: in the first ten digits exactly one digit occurs more than once,
    // twice or (since 2016) three times, but never three times in a row.
    let mut counts = [0u8; 10];
    for &x in &d[..10] {
        counts[usize::from(x)] += 1;
    }
    let repeated = counts.iter().filter(|&&c| c > 1).count();
    let max = counts.iter().copied().max().unwrap_or(0);
    let triple_run = d[..10].windows(3).any(|w| w[0] == w[1] && w[1] == w[2]);
    if repeated != 1 || max > 3 || (max == 3 && triple_run) {
        return false;
    }
    // ISO 7064 MOD 11,10.
    let mut p = 10u8;
    for &x in &d[..10] {
        let mut s = (x + p) % 10;
        if s == 0 {
            s = 10;
        }
        p = (2 * s) % 11;
    }
    let check = match 11 - p {
        10 => 0,
        c => c,
    };
    d[10] == check
}

fn nl_bsn(value: &str) -> bool {
    let Some(d) = digits::<9>(value, SEPS) else {
        return false;
    };
    let d = d.bytes();
    if d.len() != 9 || d.iter().all(|&x| x == 0) {
        return false;
    }
    // 11-proef: weights 9..2 and −1 for the last digit.
    let sum: i32 = d[..8]
        .iter()
        .zip((2..=9i32).rev())
        .map(|(&x, w)| i32::from(x) * w)
        .sum::<i32>()
        - i32::from(d[8]);
    sum % 11 == 0
}

const DNI_LETTERS: &[u8; 23] = b"TRWAGMYFPDXBNJZSQVHLCKE";

fn es_nif(value: &str) -> bool {
    let Some(b) = strip::<9>(value, b" -", true) else {
        return false;
    };
    let s = b.bytes();
    s.len() == 9 && s[..8].iter().all(u8::is_ascii_digit) && s[8] == dni_letter(&s[..8], 0)
}

fn es_nie(value: &str) -> bool {
    let Some(b) = strip::<9>(value, b" -", true) else {
        return false;
    };
    let s = b.bytes();
    if s.len() != 9 || !s[1..8].iter().all(u8::is_ascii_digit) {
        return false;
    }
    // X/Y/Z stand for a leading 0/1/2 of an 8-digit number.
    let lead = match s[0] {
        b'X' => 0,
        b'Y' => 1,
        b'Z' => 2,
        _ => return false,
    };
    s[8] == dni_letter(&s[1..8], lead * 10_000_000)
}

/// Control letter for ASCII digits `ascii` plus `offset`.
fn dni_letter(ascii: &[u8], offset: u64) -> u8 {
    let n = ascii
        .iter()
        .fold(0u64, |acc, &c| acc * 10 + u64::from(c - b'0'))
        + offset;
    // n % 23 < 23, so the index is in bounds.
    DNI_LETTERS[(n % 23) as usize]
}

fn fr_nir(value: &str) -> bool {
    let Some(b) = strip::<15>(value, SEPS, true) else {
        return false;
    };
    let s = b.bytes();
    if s.len() != 15 {
        return false;
    }
    // Corsica: departments 2A/2B count numerically as 19/18, i.e. the 'A'/'B' reads as 0
    // and 1 000 000 / 2 000 000 is subtracted (the department's second digit is 10^6).
    let corsica = s[5] == b'2' && matches!(s[6], b'A' | b'B');
    let mut n: u64 = 0;
    for (i, &c) in s[..13].iter().enumerate() {
        let d = if i == 6 && corsica {
            0
        } else if c.is_ascii_digit() {
            c - b'0'
        } else {
            return false;
        };
        n = n * 10 + u64::from(d);
    }
    if corsica {
        n -= if s[6] == b'A' { 1_000_000 } else { 2_000_000 };
    }
    if !s[13..].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let sex = s[0] - b'0';
    let month = (s[3] - b'0') * 10 + (s[4] - b'0');
    let key = u64::from((s[13] - b'0') * 10 + (s[14] - b'0'));
    // Sex 3/4 and 7/8 are temporary numbers; months 20–42 and 50–99 are used when the
    // birth month is unknown or for special registrations, so they are allowed.
    matches!(sex, 1 | 2 | 3 | 4 | 7 | 8)
        && matches!(month, 1..=12 | 20..=42 | 50..=99)
        && key == 97 - n % 97
}

/// Check-letter values of characters in odd (1-based) positions, indexed by
/// 0–9 for digits and 0–25 for letters (a digit d weighs the same as the letter A+d).
const CF_ODD: [u32; 26] = [
    1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23,
];
/// Letters that replace digits 0–9 in omocodia (duplicate codes).
const CF_OMOCODIA: &[u8; 10] = b"LMNPQRSTUV";

fn it_fiscal_code(value: &str) -> bool {
    let Some(b) = strip::<16>(value, b" ", true) else {
        return false;
    };
    let s = b.bytes();
    if s.len() != 16 {
        return false;
    }
    let digitish = |c: u8| c.is_ascii_digit() || CF_OMOCODIA.contains(&c);
    let decode = |c: u8| match CF_OMOCODIA.iter().position(|&o| o == c) {
        Some(i) => i as u8,
        None => c - b'0',
    };
    // SSSNNN YY M DD ZZZZ C: name letters, year, month letter, day (+40 for women),
    // municipality (letter + 3 digits), check letter.
    let shape = s[..6].iter().all(u8::is_ascii_uppercase)
        && digitish(s[6])
        && digitish(s[7])
        && b"ABCDEHLMPRST".contains(&s[8])
        && digitish(s[9])
        && digitish(s[10])
        && s[11].is_ascii_uppercase()
        && s[12..15].iter().all(|&c| digitish(c))
        && s[15].is_ascii_uppercase();
    if !shape {
        return false;
    }
    let day = decode(s[9]) * 10 + decode(s[10]);
    if !matches!(day, 1..=31 | 41..=71) {
        return false;
    }
    let sum: u32 = s[..15]
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let v = if c.is_ascii_digit() {
                c - b'0'
            } else {
                c - b'A'
            };
            if i % 2 == 0 {
                CF_ODD[usize::from(v)]
            } else {
                u32::from(v)
            }
        })
        .sum();
    u32::from(s[15] - b'A') == sum % 26
}

// ---------------------------------------------------------------------------
// US health identifiers and codes
// ---------------------------------------------------------------------------

fn us_npi(value: &str) -> bool {
    let Some(d) = digits::<10>(value, SEPS) else {
        return false;
    };
    let d = d.bytes();
    if d.len() != 10 || !matches!(d[0], 1 | 2) || all_same(&d[..9]) {
        return false;
    }
    // NPIs are Luhn-checked as if prefixed by 80840 (the ISO card issuer prefix).
    let prefixed = [8u8, 0, 8, 4, 0].iter().chain(d).rev().copied();
    luhn_sum_rev(prefixed) % 10 == 0
}

fn us_dea(value: &str) -> bool {
    let Some(b) = strip::<9>(value, b"", true) else {
        return false;
    };
    let s = b.bytes();
    if s.len() != 9
        || !b"ABCDEFGHJKLMPRSTUX".contains(&s[0])
        || !(s[1].is_ascii_uppercase() || s[1] == b'9')
        || !s[2..].iter().all(u8::is_ascii_digit)
    {
        return false;
    }
    let d: [u32; 7] = std::array::from_fn(|i| u32::from(s[2 + i] - b'0'));
    if d.iter().all(|&x| x == 0) {
        return false;
    }
    (d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5])) % 10 == d[6]
}

fn us_mbi(value: &str) -> bool {
    let b = value.as_bytes();
    // Either 11 bare characters or the printed 4-3-4 grouping with dashes.
    let mut s = [0u8; 11];
    match b.len() {
        11 => s.copy_from_slice(b),
        13 if b[4] == b'-' && b[8] == b'-' => {
            s[..4].copy_from_slice(&b[..4]);
            s[4..7].copy_from_slice(&b[5..8]);
            s[7..].copy_from_slice(&b[9..]);
        }
        _ => return false,
    }
    s.make_ascii_uppercase();
    // Letters that look like digits (S, L, O, I, B, Z) are never used.
    let alpha = |c: u8| c.is_ascii_uppercase() && !b"SLOIBZ".contains(&c);
    let num = |c: u8| c.is_ascii_digit();
    let alnum = |c: u8| num(c) || alpha(c);
    (b'1'..=b'9').contains(&s[0])
        && alpha(s[1])
        && alnum(s[2])
        && num(s[3])
        && alpha(s[4])
        && alnum(s[5])
        && num(s[6])
        && alpha(s[7])
        && alpha(s[8])
        && num(s[9])
        && num(s[10])
}

/// ICD-10 chapter ranges by 3-character category. Byte-wise comparison orders digits
/// before letters, so O9A sorts after O99 and "B9A" falls outside A00–B99 as it should.
const ICD10_CHAPTERS: [(&[u8; 3], &[u8; 3]); 22] = [
    (b"A00", b"B99"),
    (b"C00", b"D49"),
    (b"D50", b"D89"),
    (b"E00", b"E89"),
    (b"F01", b"F99"),
    (b"G00", b"G99"),
    (b"H00", b"H59"),
    (b"H60", b"H95"),
    (b"I00", b"I99"),
    (b"J00", b"J99"),
    (b"K00", b"K95"),
    (b"L00", b"L99"),
    (b"M00", b"M99"),
    (b"N00", b"N99"),
    (b"O00", b"O9A"),
    (b"P00", b"P96"),
    (b"Q00", b"Q99"),
    (b"R00", b"R99"),
    (b"S00", b"T88"),
    (b"U00", b"U85"),
    (b"V00", b"Y99"),
    (b"Z00", b"Z99"),
];

fn icd10(value: &str) -> bool {
    let s = value.as_bytes();
    let upper_alnum = |c: &u8| c.is_ascii_uppercase() || c.is_ascii_digit();
    let ext_ok = match s.len() {
        3 => true,
        5..=8 => s[3] == b'.' && s[4..].iter().all(upper_alnum),
        _ => false,
    };
    if !ext_ok || !s[0].is_ascii_uppercase() || !s[1].is_ascii_digit() || !upper_alnum(&s[2]) {
        return false;
    }
    let cat = &s[..3];
    ICD10_CHAPTERS
        .iter()
        .any(|(lo, hi)| &lo[..] <= cat && cat <= &hi[..])
}

// ---------------------------------------------------------------------------
// Network, contact, dates, tokens
// ---------------------------------------------------------------------------

fn ipv4(value: &str) -> bool {
    let mut octets = [0u8; 4];
    let mut parts = value.split('.');
    for o in &mut octets {
        let Some(p) = parts.next() else {
            return false;
        };
        let b = p.as_bytes();
        // No leading zeros: "010" is octal to some parsers and a version string to others.
        if b.is_empty() || b.len() > 3 || !b.iter().all(u8::is_ascii_digit) {
            return false;
        }
        if b.len() > 1 && b[0] == b'0' {
            return false;
        }
        let n = b.iter().fold(0u32, |a, &c| a * 10 + u32::from(c - b'0'));
        match u8::try_from(n) {
            Ok(v) => *o = v,
            Err(_) => return false,
        }
    }
    parts.next().is_none() && octets != [0; 4] && octets != [255; 4]
}

fn email(value: &str) -> bool {
    let mut split = value.split('@');
    let (Some(local), Some(domain), None) = (split.next(), split.next(), split.next()) else {
        return false;
    };
    let lb = local.as_bytes();
    let local_ok = !lb.is_empty()
        && lb.len() <= 64
        && lb[0] != b'.'
        && lb[lb.len() - 1] != b'.'
        && !local.contains("..")
        && lb
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || b"!#$%&'*+/=?^_`{|}~-.".contains(c));
    if !local_ok || domain.len() > 253 {
        return false;
    }
    let mut labels = 0;
    let mut last = "";
    for label in domain.split('.') {
        let b = label.as_bytes();
        // An empty label means a leading, trailing or doubled dot.
        if b.is_empty()
            || b.len() > 63
            || b[0] == b'-'
            || b[b.len() - 1] == b'-'
            || !b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
        {
            return false;
        }
        labels += 1;
        last = label;
    }
    let tld = last.as_bytes();
    let plain_tld = (2..=24).contains(&tld.len()) && tld.iter().all(u8::is_ascii_alphabetic);
    // Internationalised TLDs appear in ASCII as punycode labels ("xn--p1ai" for .рф).
    let idn_tld = tld.len() > 4 && tld[..4].eq_ignore_ascii_case(b"xn--");
    labels >= 2 && (plain_tld || idn_tld)
}

fn phone(value: &str) -> bool {
    let mut d = [0u8; 15];
    let mut n = 0;
    let mut plus = false;
    let mut started = false; // seen anything other than spaces
    let mut in_parens = false;
    for &c in value.as_bytes() {
        match c {
            b'0'..=b'9' => {
                if n == d.len() {
                    return false;
                }
                d[n] = c - b'0';
                n += 1;
            }
            // '+' only as the very first mark, never twice.
            b'+' if !started => plus = true,
            b'(' if !in_parens => in_parens = true,
            b')' if in_parens => in_parens = false,
            b' ' | b'-' | b'.' => {}
            _ => return false,
        }
        if c != b' ' {
            started = true;
        }
    }
    let d = &d[..n];
    // 1234567890 / 9876543210 style runs are test data, not numbers.
    let ascending = d.windows(2).all(|w| w[1] == (w[0] + 1) % 10);
    let descending = d.windows(2).all(|w| w[0] == (w[1] + 1) % 10);
    !in_parens
        && (7..=15).contains(&n)
        && !all_same(d)
        && !ascending
        && !descending
        && (!plus || d[0] != 0) // ITU country codes never start with 0
}

fn is_leap(y: u32) -> bool {
    (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400)
}

fn real_date(y: u32, m: u32, d: u32) -> bool {
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => return false,
    };
    (1900..=2026).contains(&y) && (1..=days).contains(&d)
}

/// Value of an all-digit field whose length is in `lens`.
fn field(s: &str, lens: std::ops::RangeInclusive<usize>) -> Option<u32> {
    let b = s.as_bytes();
    if !lens.contains(&b.len()) || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0u32, |a, &c| a * 10 + u32::from(c - b'0')))
}

/// Month number for an English month name or abbreviation ("Mar", "Mar.", "Sept").
fn month_name(s: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let s = s.strip_suffix('.').unwrap_or(s);
    if s.eq_ignore_ascii_case("sept") {
        return Some(9);
    }
    MONTHS.iter().zip(1..).find_map(|(m, i)| {
        let full = s.eq_ignore_ascii_case(m);
        let abbr = s.len() == 3 && s.eq_ignore_ascii_case(&m[..3]);
        (full || abbr).then_some(i)
    })
}

/// Day of month, optionally with an English ordinal suffix ("12th").
fn day_field(s: &str) -> Option<u32> {
    let b = s.as_bytes();
    let n = b.iter().take_while(|c| c.is_ascii_digit()).count();
    let suffix = &s[n..];
    let suffix_ok = suffix.is_empty()
        || ["st", "nd", "rd", "th"]
            .iter()
            .any(|x| suffix.eq_ignore_ascii_case(x));
    if suffix_ok {
        field(&s[..n], 1..=2)
    } else {
        None
    }
}

fn date(value: &str) -> bool {
    numeric_date(value) || written_date(value)
}

fn numeric_date(value: &str) -> bool {
    let Some(sep) = value.bytes().find(|c| matches!(c, b'-' | b'/' | b'.')) else {
        return false;
    };
    let mut it = value.split(char::from(sep));
    let (Some(a), Some(b), Some(c), None) = (it.next(), it.next(), it.next(), it.next()) else {
        return false;
    };
    match sep {
        b'-' => match (field(a, 4..=4), field(b, 2..=2), field(c, 2..=2)) {
            (Some(y), Some(m), Some(d)) => real_date(y, m, d),
            _ => false,
        },
        // Slashes are ambiguous between D/M/Y and M/D/Y: either real reading counts.
        b'/' => match (field(a, 1..=2), field(b, 1..=2), field(c, 4..=4)) {
            (Some(x), Some(z), Some(y)) => real_date(y, z, x) || real_date(y, x, z),
            _ => false,
        },
        _ => match (field(a, 1..=2), field(b, 1..=2), field(c, 4..=4)) {
            (Some(d), Some(m), Some(y)) => real_date(y, m, d),
            _ => false,
        },
    }
}

fn written_date(value: &str) -> bool {
    let mut it = value.split_ascii_whitespace();
    let (Some(a), Some(b), Some(c), None) = (it.next(), it.next(), it.next(), it.next()) else {
        return false;
    };
    let Some(y) = field(c, 4..=4) else {
        return false;
    };
    // "12 March 1984" (comma after the month tolerated) or "March 12, 1984".
    if let (Some(d), Some(m)) = (day_field(a), month_name(b.strip_suffix(',').unwrap_or(b))) {
        return real_date(y, m, d);
    }
    if let (Some(m), Some(d)) = (month_name(a), day_field(b.strip_suffix(',').unwrap_or(b))) {
        return real_date(y, m, d);
    }
    false
}

fn b64url_value(c: u8) -> Option<u32> {
    Some(u32::from(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'-' => 62,
        b'_' => 63,
        _ => return None,
    }))
}

/// Decode unpadded base64url, handing each byte to `out` (streaming, no buffer).
/// False on a character outside the alphabet or a length no encoding produces.
fn b64url_decode(seg: &[u8], mut out: impl FnMut(u8)) -> bool {
    if seg.is_empty() || seg.len() % 4 == 1 {
        return false;
    }
    let mut acc = 0u32;
    let mut bits = 0;
    for &c in seg {
        let Some(v) = b64url_value(c) else {
            return false;
        };
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    true
}

fn jwt(value: &str) -> bool {
    let mut it = value.split('.');
    let (Some(header), Some(payload), Some(sig), None) =
        (it.next(), it.next(), it.next(), it.next())
    else {
        return false;
    };
    // Header: JSON object (first/last non-space bytes are braces) containing "alg".
    const ALG: u64 = u64::from_be_bytes([0, 0, 0, b'"', b'a', b'l', b'g', b'"']);
    let mut window = 0u64;
    let mut has_alg = false;
    let mut first = None;
    let mut last = 0u8;
    let header_ok = b64url_decode(header.as_bytes(), |c| {
        window = ((window << 8) | u64::from(c)) & 0xFF_FFFF_FFFF;
        has_alg |= window == ALG;
        if !c.is_ascii_whitespace() {
            first.get_or_insert(c);
            last = c;
        }
    });
    if !(header_ok && has_alg && first == Some(b'{') && last == b'}') {
        return false;
    }
    let mut payload_first = None;
    let payload_ok = b64url_decode(payload.as_bytes(), |c| {
        payload_first.get_or_insert(c);
    });
    payload_ok && payload_first == Some(b'{') && b64url_decode(sig.as_bytes(), |_| {})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(v: Validator, s: &str) {
        assert!(v.validate(s), "{} should accept {s:?}", v.name());
    }
    fn bad(v: Validator, s: &str) {
        assert!(!v.validate(s), "{} should reject {s:?}", v.name());
    }

    #[test]
    fn names_round_trip_and_are_unique() {
        for &v in Validator::all() {
            assert_eq!(Validator::from_name(v.name()), Some(v));
        }
        assert_eq!(Validator::all().len(), 26);
        assert_eq!(Validator::from_name("nope"), None);
        assert_eq!(Validator::from_name("LUHN"), None);
    }

    #[test]
    fn luhn_plain() {
        use Validator::Luhn as V;
        ok(V, "79927398713");
        ok(V, "4111 1111 1111 1111");
        ok(V, "490154203237518"); // IMEI example
        bad(V, "79927398710");
        bad(V, "7");
        bad(V, "");
        bad(V, "7992739871x");
    }

    #[test]
    fn credit_cards() {
        use Validator::CreditCard as V;
        for s in [
            "4111111111111111",
            "4111-1111-1111-1111",
            "4222222222222",
            "5555 5555 5555 4444",
            "2223003122003222",
            "378282246310005",
            "371449635398431",
            "6011111111111117",
            "3530111333300000",
            "30569309025904",
            "38520000023237",
        ] {
            ok(V, s);
        }
        bad(V, "4111111111111112"); // Luhn
        bad(V, "1234567812345670"); // Luhn ok, no such IIN
        bad(V, "0000000000000000"); // all same
        bad(V, "3782822463100052"); // Luhn-valid, Amex prefix at 16 digits
        bad(V, "411111111111111"); // Visa at 15 digits
        bad(V, "41111111111111111111"); // too long
        bad(V, "4111 1111 1111 111a");
    }

    #[test]
    fn ibans() {
        use Validator::Iban as V;
        for s in [
            "GB82WEST12345698765432",
            "GB82 WEST 1234 5698 7654 32",
            "DE89370400440532013000",
            "NL91ABNA0417164300",
            "FR1420041010050500013M02606",
            "NO9386011117947",
            "BE68539007547034",
            "CH9300762011623852957",
        ] {
            ok(V, s);
        }
        bad(V, "GB82WEST12345698765433"); // mod 97
        bad(V, "GB82WEST1234569876543"); // length for GB
        bad(V, "QQ82WEST12345698765432"); // unknown country
        bad(V, "gb82west12345698765432"); // lowercase
        bad(V, "GB82-WEST-1234-5698-7654-32"); // only spaces are separators
        bad(V, "GB");
    }

    #[test]
    fn aba() {
        use Validator::AbaRouting as V;
        ok(V, "011000015");
        ok(V, "021000021");
        ok(V, "111000025");
        ok(V, "122105155");
        bad(V, "021000022"); // checksum
        bad(V, "000000000");
        bad(V, "02100002");
    }

    #[test]
    fn aba_prefix_rule_is_independent_of_checksum() {
        // 13xxxxxx with a correct checksum: 3·1 + 7·3 + 6 = 30.
        bad(Validator::AbaRouting, "130000006");
        // Same construction with prefix 12: 3·1 + 7·2 + 3 = 20.
        ok(Validator::AbaRouting, "120000003");
    }

    #[test]
    fn bic() {
        use Validator::SwiftBic as V;
        ok(V, "DEUTDEFF");
        ok(V, "DEUTDEFF500");
        ok(V, "NWBKGB2L");
        ok(V, "BNPAFRPPXXX");
        bad(V, "DEUTQQFF"); // QQ is not a country
        bad(V, "DEUTDEF"); // length
        bad(V, "DEUTDEFF50"); // length
        bad(V, "deutdeff");
        bad(V, "D3UTDEFF");
        assert_eq!(
            COUNTRIES.iter().map(|m| m.count_ones()).sum::<u32>(),
            250,
            "249 ISO codes + XK"
        );
    }

    #[test]
    fn ssn() {
        use Validator::UsSsn as V;
        ok(V, "536-90-4399");
        ok(V, "536 90 4399");
        ok(V, "536904399");
        bad(V, "536-90 4399"); // mixed separators
        bad(V, "536.90.4399");
        bad(V, "000-12-3456");
        bad(V, "666-12-3456");
        bad(V, "900-12-3456");
        bad(V, "999-12-3456");
        bad(V, "536-00-4399");
        bad(V, "536-90-0000");
        bad(V, "078-05-1120");
        bad(V, "219-09-9999");
        bad(V, "123-45-6789");
        bad(V, "111-11-1111");
        bad(V, "536-90-439");
    }

    #[test]
    fn itin() {
        use Validator::UsItin as V;
        ok(V, "912-50-1234");
        ok(V, "900-70-0000");
        ok(V, "999 88 1234");
        ok(V, "912941234");
        bad(V, "912-49-1234");
        bad(V, "912-66-1234");
        bad(V, "912-89-1234");
        bad(V, "912-93-1234");
        bad(V, "812-50-1234");
    }

    #[test]
    fn nino() {
        use Validator::UkNino as V;
        ok(V, "AB123456C");
        ok(V, "AB 12 34 56 C");
        ok(V, "ab123456c");
        ok(V, "JG103759A");
        bad(V, "DA123456A"); // D first
        bad(V, "QA123456A"); // Q first
        bad(V, "AO123456A"); // O second
        bad(V, "AV123456A"); // V second
        for p in ["BG", "GB", "KN", "NK", "NT", "TN", "ZZ"] {
            bad(V, &format!("{p}123456A"));
        }
        bad(V, "AB123456E"); // suffix
        bad(V, "AB12345C");
    }

    #[test]
    fn nhs() {
        use Validator::UkNhs as V;
        ok(V, "9434765919");
        ok(V, "943 476 5919");
        ok(V, "4010232137");
        bad(V, "9434765918");
        bad(V, "1111111111"); // passes mod 11 but all same
        bad(V, "0000000000");
        // Base 123456789: sum = 1·10+2·9+…+9·2 = 210, 210 mod 11 = 1, check 10 → no number.
        for last in 0..=9 {
            bad(V, &format!("123456789{last}"));
        }
    }

    #[test]
    fn steuer_id() {
        use Validator::DeTaxId as V;
        ok(V, "86095742719");
        ok(V, "86 095 742 719");
        ok(V, "65929970489"); // 9 three times, not adjacent
        ok(V, "47036892816");
        bad(V, "86095742718"); // checksum
        bad(V, "06095742719"); // leading zero
        bad(V, "12345678903"); // no repeated digit
        bad(V, "11223456789"); // two digits repeat
        bad(V, "1112345678"); // length
    }

    #[test]
    fn steuer_id_repetition_rule_checked_before_checksum() {
        // Build valid-checksum numbers for bad repetition patterns to prove the
        // repetition rule, not just the checksum, rejects them.
        let with_check = |body: [u8; 10]| {
            let mut p = 10u8;
            for &x in &body {
                let mut s = (x + p) % 10;
                if s == 0 {
                    s = 10;
                }
                p = (2 * s) % 11;
            }
            let c = if 11 - p == 10 { 0 } else { 11 - p };
            body.iter()
                .chain(&[c])
                .map(|d| char::from(b'0' + d))
                .collect::<String>()
        };
        ok(
            Validator::DeTaxId,
            &with_check([8, 6, 0, 9, 5, 7, 4, 2, 7, 1]),
        );
        bad(
            Validator::DeTaxId,
            &with_check([1, 2, 3, 4, 5, 6, 7, 8, 9, 0]),
        ); // none
        bad(
            Validator::DeTaxId,
            &with_check([1, 2, 2, 2, 5, 6, 7, 8, 9, 0]),
        ); // triple run
        bad(
            Validator::DeTaxId,
            &with_check([1, 2, 2, 3, 3, 6, 7, 8, 9, 0]),
        ); // two pairs
        bad(
            Validator::DeTaxId,
            &with_check([1, 2, 2, 3, 2, 2, 7, 8, 9, 0]),
        ); // four times
        ok(
            Validator::DeTaxId,
            &with_check([1, 2, 2, 3, 2, 6, 7, 8, 9, 0]),
        ); // three, split
    }

    #[test]
    fn bsn() {
        use Validator::NlBsn as V;
        ok(V, "111222333");
        ok(V, "123456782");
        ok(V, "1112.22.333");
        bad(V, "111222334");
        bad(V, "000000000");
        bad(V, "12345678");
    }

    #[test]
    fn nif_nie() {
        ok(Validator::EsNif, "12345678Z");
        ok(Validator::EsNif, "12345678-z");
        ok(Validator::EsNif, "00000000T");
        bad(Validator::EsNif, "12345678A");
        bad(Validator::EsNif, "1234567Z");
        bad(Validator::EsNif, "X1234567L"); // NIE shape is not a DNI
        ok(Validator::EsNie, "X1234567L");
        ok(Validator::EsNie, "Y1234567X");
        ok(Validator::EsNie, "Z1234567R");
        bad(Validator::EsNie, "X1234567A");
        bad(Validator::EsNie, "W1234567L");
        bad(Validator::EsNie, "12345678Z");
    }

    #[test]
    fn nir() {
        use Validator::FrNir as V;
        ok(V, "2 55 08 14 168 025 38");
        ok(V, "1 84 12 76 451 089 46");
        ok(V, "255081416802538");
        ok(V, "1 69 05 2A 123 456 41"); // Corsica, 2A counts as 19
        ok(V, "1 69 05 2b 123 456 68"); // Corsica, 2B counts as 18
        bad(V, "1 69 05 2A 123 456 68"); // 2B's key on a 2A number
        bad(V, "2 55 08 14 168 025 39"); // key
        bad(V, "5 55 08 14 168 025 38"); // sex digit (key recomputed below)
        bad(V, "2 55 13 14 168 025 38"); // month 13
        bad(V, "2 55 08 14 168 025 3"); // length
        bad(V, "2 55 08 3A 168 025 38"); // only 2A/2B
    }

    #[test]
    fn nir_structure_rules_reject_even_with_correct_key() {
        let keyed = |body: &str| format!("{body}{:02}", 97 - body.parse::<u64>().unwrap() % 97);
        ok(Validator::FrNir, &keyed("2550814168025"));
        ok(Validator::FrNir, &keyed("7552014168025")); // sex 7, month 20
        bad(Validator::FrNir, &keyed("5550814168025")); // sex 5
        bad(Validator::FrNir, &keyed("2551314168025")); // month 13
        bad(Validator::FrNir, &keyed("2554314168025")); // month 43
        bad(Validator::FrNir, &keyed("2550014168025")); // month 00
    }

    #[test]
    fn codice_fiscale() {
        use Validator::ItFiscalCode as V;
        ok(V, "RSSMRA85T10A562S");
        ok(V, "rssmra85t10a562s");
        ok(V, "MRTMTT91D08F205J");
        bad(V, "RSSMRA85T10A562T"); // check letter
        bad(V, "RSSMRA85F10A562S"); // F is not a month letter
        bad(V, "RSSMRA85T32A562S"); // day 32
        bad(V, "RSSMRA85T10A56"); // length
    }

    #[test]
    fn codice_fiscale_omocodia() {
        // Replace the final digit 2 with its omocodia letter N and recompute the check.
        let body = "RSSMRA85T10A56N";
        let sum: u32 = body
            .bytes()
            .enumerate()
            .map(|(i, c)| {
                let v = if c.is_ascii_digit() {
                    c - b'0'
                } else {
                    c - b'A'
                };
                if i % 2 == 0 {
                    CF_ODD[usize::from(v)]
                } else {
                    u32::from(v)
                }
            })
            .sum();
        let code = format!("{body}{}", char::from(b'A' + (sum % 26) as u8));
        ok(Validator::ItFiscalCode, &code);
        // 'A' is not an omocodia letter, so it cannot stand in a digit position.
        bad(Validator::ItFiscalCode, "RSSMRA85T10A56AS");
    }

    #[test]
    fn npi() {
        use Validator::UsNpi as V;
        ok(V, "1245319599");
        ok(V, "1003000126");
        bad(V, "1245319598");
        bad(V, "3245319599"); // must start 1 or 2
        bad(V, "124531959");
        bad(V, "1111111112"); // all-same body
    }

    #[test]
    fn dea() {
        use Validator::UsDea as V;
        ok(V, "AB1234563");
        ok(V, "ab1234563");
        ok(V, "F91234563"); // '9' for business names
        bad(V, "AB1234564");
        bad(V, "IB1234563"); // I is not a registrant type
        bad(V, "NB1234563"); // nor is N
        bad(V, "A11234563");
        bad(V, "AB0000000");
        bad(V, "AB123456");
    }

    #[test]
    fn mbi() {
        use Validator::UsMbi as V;
        ok(V, "1EG4TE5MK73");
        ok(V, "1EG4-TE5-MK73");
        ok(V, "1eg4te5mk73");
        bad(V, "0EG4TE5MK73"); // position 1 is 1–9
        bad(V, "1SG4TE5MK73"); // S excluded
        bad(V, "1EG4TE5MK7"); // length
        bad(V, "1EG-4TE5-MK73"); // grouping
        bad(V, "1EGATE5MK73"); // position 4 numeric
    }

    #[test]
    fn icd() {
        use Validator::Icd10 as V;
        for s in [
            "A00", "J45.909", "E11.9", "O9A.11", "S72.001A", "U07.1", "Z3A.01",
        ] {
            ok(V, s);
        }
        bad(V, "F00"); // below F01
        bad(V, "E90"); // E chapter ends at E89
        bad(V, "K96");
        bad(V, "P97");
        bad(V, "T89");
        bad(V, "U86");
        bad(V, "B9A");
        bad(V, "j45.909");
        bad(V, "J45.");
        bad(V, "J45.12345");
        bad(V, "1AB");
    }

    #[test]
    fn ip() {
        use Validator::Ipv4 as V;
        ok(V, "192.168.1.1");
        ok(V, "0.0.0.1");
        ok(V, "10.0.0.255");
        bad(V, "0.0.0.0");
        bad(V, "255.255.255.255");
        bad(V, "256.1.1.1");
        bad(V, "01.2.3.4");
        bad(V, "1.2.3");
        bad(V, "1.2.3.4.5");
        bad(V, "1..3.4");
    }

    #[test]
    fn emails() {
        use Validator::Email as V;
        ok(V, "jane.doe@example.com");
        ok(V, "a+tag@sub.example.co.uk");
        ok(V, "x@xn--80ak6aa92e.xn--p1ai");
        bad(V, "jane..doe@example.com");
        bad(V, ".jane@example.com");
        bad(V, "jane@example");
        bad(V, "jane@example..com");
        bad(V, "jane@-example.com");
        bad(V, "jane@example-.com");
        bad(V, "jane@example.c");
        bad(V, "jane@example.c0m");
        bad(V, "jane@@example.com");
        bad(V, "@example.com");
    }

    #[test]
    fn phones() {
        use Validator::Phone as V;
        ok(V, "+44 20 7946 0958");
        ok(V, "(555) 867-5309");
        ok(V, "555.867.5309");
        ok(V, "8675309");
        bad(V, "867530"); // too short
        bad(V, "1234567890123456"); // too long
        bad(V, "1234567890");
        bad(V, "9876543210");
        bad(V, "5555555");
        bad(V, "+0 20 7946 0958");
        bad(V, "44 +20 7946 0958");
        bad(V, "(555 867-5309");
        bad(V, "555) 867-5309");
        bad(V, "555-867-5309 ext");
    }

    #[test]
    fn dates() {
        use Validator::Date as V;
        for s in [
            "1984-03-12",
            "2000-02-29",
            "12/03/1984",
            "03/25/1984",
            "25.03.1984",
            "12 March 1984",
            "12 Mar 1984",
            "March 12, 1984",
            "Sept 1, 1999",
            "Mar. 12, 1984",
            "1st January 1900",
        ] {
            ok(V, s);
        }
        bad(V, "1900-02-29"); // 1900 not leap
        bad(V, "2001-02-29");
        bad(V, "1984-13-01");
        bad(V, "1984-04-31");
        bad(V, "1899-12-31");
        bad(V, "2027-01-01");
        bad(V, "32/01/1984");
        bad(V, "13/13/1984");
        bad(V, "31.04.1984");
        bad(V, "1984-3-12");
        bad(V, "12 Marc 1984");
        bad(V, "March 32, 1984");
        bad(V, "1984/03/12");
        bad(V, "12-03/1984");
    }

    #[test]
    fn jwts() {
        use Validator::Jwt as V;
        // Canonical jwt.io HS256 example.
        ok(
            V,
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.\
             eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.\
             SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
        );
        // {"typ":"JWT"} header without alg.
        bad(V, "eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiIxIn0.abc");
        // Payload "hello" is not an object.
        bad(V, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.aGVsbG8.abc");
        bad(V, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIn0");
        bad(V, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIn0.");
        bad(
            V,
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9=.eyJzdWIiOiIxIn0.abc",
        );
        bad(V, "a.b.c");
    }

    #[test]
    fn b64url_round_trip_known_vectors() {
        let mut out = Vec::new();
        assert!(b64url_decode(b"aGVsbG8", |c| out.push(c)));
        assert_eq!(out, b"hello");
        out.clear();
        assert!(b64url_decode(b"-_8", |c| out.push(c)));
        assert_eq!(out, [0xfb, 0xff]);
        assert!(!b64url_decode(b"aGVsb", |_| {}));
        assert!(!b64url_decode(b"aGV+", |_| {}));
    }
}
