//! Character folding tables, hand-written for the ranges attackers use to dodge keyword
//! matching. A full Unicode NFKC / confusables table would cost hundreds of kilobytes of Wasm;
//! these cover fullwidth forms, ligatures, styled (mathematical, circled, squared) letters and
//! the Cyrillic and Greek letters that look like Latin ones.

/// What one source character folds to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Folded {
    /// Unchanged (still to be lower-cased).
    Keep(char),
    /// A compatibility form of plain ASCII (fullwidth, styled letter).
    Compat(char),
    /// A ligature of two or three ASCII letters.
    Ligature(&'static str),
    /// A letter from another script that looks like this Latin letter.
    Confusable(char),
}

const LATIN_UPPER: &[u8; 26] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LATIN_LOWER: &[u8; 26] = b"abcdefghijklmnopqrstuvwxyz";

fn letter(table: &[u8; 26], i: u32) -> Option<char> {
    table.get(i as usize).map(|&b| char::from(b))
}

/// Folds one character; the result is not yet lower-cased.
pub fn fold(c: char) -> Folded {
    let cp = c as u32;
    if cp < 0x80 {
        return Folded::Keep(c);
    }
    let compat = match cp {
        0xFF01..=0xFF5E => char::from_u32(cp - 0xFEE0),
        // Mathematical alphanumeric letters: 13 styles of A-Z a-z.
        0x1D400..=0x1D6A3 => {
            let i = (cp - 0x1D400) % 52;
            if i < 26 {
                letter(LATIN_UPPER, i)
            } else {
                letter(LATIN_LOWER, i - 26)
            }
        }
        0x1D7CE..=0x1D7FF => char::from_digit((cp - 0x1D7CE) % 10, 10),
        0x24B6..=0x24CF => letter(LATIN_UPPER, cp - 0x24B6),
        0x24D0..=0x24E9 => letter(LATIN_LOWER, cp - 0x24D0),
        0x249C..=0x24B5 => letter(LATIN_LOWER, cp - 0x249C),
        0x1F130..=0x1F149 => letter(LATIN_UPPER, cp - 0x1F130),
        0x1F150..=0x1F169 => letter(LATIN_UPPER, cp - 0x1F150),
        0x1F170..=0x1F189 => letter(LATIN_UPPER, cp - 0x1F170),
        0x1F1E6..=0x1F1FF => letter(LATIN_UPPER, cp - 0x1F1E6),
        0x2460..=0x2468 => char::from_digit(cp - 0x2460 + 1, 10),
        _ => None,
    };
    if let Some(a) = compat {
        return Folded::Compat(a);
    }
    let ligature = match cp {
        0xFB00 => Some("ff"),
        0xFB01 => Some("fi"),
        0xFB02 => Some("fl"),
        0xFB03 => Some("ffi"),
        0xFB04 => Some("ffl"),
        0xFB05 | 0xFB06 => Some("st"),
        0x0132 => Some("IJ"),
        0x0133 => Some("ij"),
        0x01C6 => Some("dz"),
        _ => None,
    };
    if let Some(l) = ligature {
        return Folded::Ligature(l);
    }
    let confusable = match c {
        // Cyrillic
        'а' | 'А' => 'a',
        'В' | 'в' | 'Ь' | 'ь' => 'b',
        'с' | 'С' | 'ϲ' => 'c',
        'ԁ' => 'd',
        'е' | 'Е' | 'ё' | 'Ё' => 'e',
        'һ' | 'Һ' | 'Н' | 'н' => 'h',
        'і' | 'І' | 'ї' | 'Ї' | 'ӏ' | 'Ӏ' => 'i',
        'ј' | 'Ј' => 'j',
        'К' | 'к' => 'k',
        'М' | 'м' => 'm',
        'о' | 'О' => 'o',
        'р' | 'Р' => 'p',
        'ԛ' | 'Ԛ' => 'q',
        'ѕ' | 'Ѕ' => 's',
        'Т' | 'т' => 't',
        'у' | 'У' => 'y',
        'х' | 'Х' => 'x',
        'ԝ' | 'Ԝ' => 'w',
        // Greek
        'α' | 'Α' => 'a',
        'β' | 'Β' => 'b',
        'ε' | 'Ε' => 'e',
        'Ζ' => 'z',
        'Η' => 'h',
        'ι' | 'Ι' | 'ί' => 'i',
        'κ' | 'Κ' => 'k',
        'Μ' => 'm',
        'ν' | 'Ν' => 'n',
        'ο' | 'Ο' | 'ό' => 'o',
        'ρ' | 'Ρ' => 'p',
        'τ' | 'Τ' => 't',
        'υ' | 'Υ' => 'u',
        'χ' | 'Χ' => 'x',
        // Latin look-alikes
        'ı' | 'ɩ' => 'i',
        'ɡ' => 'g',
        'ℓ' => 'l',
        'ɑ' => 'a',
        _ => return Folded::Keep(c),
    };
    Folded::Confusable(confusable)
}

/// Leetspeak digit/symbol to the letter it stands for (only applied inside words that also
/// contain Latin letters).
pub const fn leet(b: u8) -> Option<u8> {
    Some(match b {
        b'0' => b'o',
        b'1' => b'i',
        b'3' => b'e',
        b'4' => b'a',
        b'5' => b's',
        b'7' => b't',
        b'8' => b'b',
        b'@' => b'a',
        b'$' => b's',
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let cases = [
            ('Ｉ', Folded::Compat('I')),
            ('\u{1D422}', Folded::Compat('i')), // mathematical bold small i
            ('ⓘ', Folded::Compat('i')),
            ('ﬁ', Folded::Ligature("fi")),
            ('і', Folded::Confusable('i')),
            ('ο', Folded::Confusable('o')),
            ('ж', Folded::Keep('ж')),
            ('x', Folded::Keep('x')),
        ];
        for (input, expected) in cases {
            assert_eq!(fold(input), expected, "fold({input:?})");
        }
    }
}
