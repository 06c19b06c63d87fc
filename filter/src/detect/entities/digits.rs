//! Reading digit groups: the shared front end of the numeric detectors (cards, SSNs, phone
//! numbers). Everything here reads a bounded number of bytes from its start offset, so the
//! numeric pass stays linear however long a digit run an attacker sends.

use super::util::byte_at;

/// At most this many digits are collected; no numeric entity is longer.
pub const MAX_DIGITS: usize = 24;
const MAX_GROUPS: usize = 8;

/// A separator between digit groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sep {
    Space,
    Hyphen,
    Dot,
    /// U+00A0, two bytes in UTF-8.
    NoBreakSpace,
}

impl Sep {
    pub fn len(self) -> usize {
        if self == Sep::NoBreakSpace {
            2
        } else {
            1
        }
    }

    /// The separator at byte `i`, if any.
    pub fn at(text: &str, i: usize) -> Option<Sep> {
        match byte_at(text, i)? {
            b' ' => Some(Sep::Space),
            b'-' => Some(Sep::Hyphen),
            b'.' => Some(Sep::Dot),
            0xC2 if byte_at(text, i + 1) == Some(0xA0) => Some(Sep::NoBreakSpace),
            _ => None,
        }
    }
}

/// Digit groups read from a start offset: `4111 1111 1111 1111` is four groups of 4.
#[derive(Debug, Clone)]
pub struct Groups {
    pub digits: [u8; MAX_DIGITS],
    pub n_digits: usize,
    pub lens: [usize; MAX_GROUPS],
    /// Byte offset just past each group.
    pub ends: [usize; MAX_GROUPS],
    pub n_groups: usize,
    /// The separator used between the groups (all the same), if there is more than one.
    pub sep: Option<Sep>,
    /// Whether reading stopped with more digits or groups ahead (the number goes on).
    pub truncated: bool,
}

impl Groups {
    pub fn digits(&self) -> &[u8] {
        self.digits.get(..self.n_digits).unwrap_or(&[])
    }

    pub fn lens(&self) -> &[usize] {
        self.lens.get(..self.n_groups).unwrap_or(&[])
    }

    /// Digits of the first `k` groups.
    pub fn digits_of(&self, k: usize) -> &[u8] {
        let n: usize = self.lens().iter().take(k).sum();
        self.digits.get(..n).unwrap_or(&[])
    }

    pub fn end_of(&self, k: usize) -> Option<usize> {
        k.checked_sub(1).and_then(|i| self.ends.get(i)).copied()
    }
}

/// Reads digit groups starting at `start` (a digit), separated by one `allowed` separator
/// (the first one seen is then required), up to `MAX_DIGITS` digits.
pub fn read_groups(text: &str, start: usize, allowed: &[Sep]) -> Groups {
    let mut g = Groups {
        digits: [0; MAX_DIGITS],
        n_digits: 0,
        lens: [0; MAX_GROUPS],
        ends: [0; MAX_GROUPS],
        n_groups: 0,
        sep: None,
        truncated: false,
    };
    let mut i = start;
    loop {
        let mut len = 0;
        while let Some(b) = byte_at(text, i).filter(u8::is_ascii_digit) {
            if g.n_digits >= MAX_DIGITS {
                g.truncated = true;
                return g;
            }
            if let Some(slot) = g.digits.get_mut(g.n_digits) {
                *slot = b;
            }
            g.n_digits += 1;
            len += 1;
            i += 1;
        }
        if len == 0 {
            return g;
        }
        if g.n_groups >= MAX_GROUPS {
            g.truncated = true;
            return g;
        }
        if let Some(slot) = g.lens.get_mut(g.n_groups) {
            *slot = len;
        }
        if let Some(slot) = g.ends.get_mut(g.n_groups) {
            *slot = i;
        }
        g.n_groups += 1;
        let Some(sep) = Sep::at(text, i) else {
            return g;
        };
        if !allowed.contains(&sep) || g.sep.is_some_and(|s| s != sep) {
            return g;
        }
        if !byte_at(text, i + sep.len()).is_some_and(|b| b.is_ascii_digit()) {
            return g;
        }
        g.sep = Some(sep);
        i += sep.len();
    }
}
