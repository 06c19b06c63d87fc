//! Name globs for allow-lists: `*` any run of characters, `?` one character, nothing else
//! special. Matching is linear-time in practice (iterative with one backtrack point).

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob(Vec<char>);

impl Glob {
    pub fn new(pattern: &str) -> Glob {
        Glob(pattern.chars().collect())
    }

    pub fn matches(&self, name: &str) -> bool {
        let (p, t): (&[char], Vec<char>) = (&self.0, name.chars().collect());
        let (mut pi, mut ti) = (0usize, 0usize);
        let mut star: Option<(usize, usize)> = None;
        while ti < t.len() {
            match p.get(pi) {
                Some('*') => {
                    star = Some((pi, ti));
                    pi += 1;
                }
                Some(&c) if c == '?' || Some(&c) == t.get(ti) => {
                    pi += 1;
                    ti += 1;
                }
                _ => match star {
                    Some((sp, st)) => {
                        pi = sp + 1;
                        ti = st + 1;
                        star = Some((sp, st + 1));
                    }
                    None => return false,
                },
            }
        }
        p.get(pi..)
            .is_some_and(|rest| rest.iter().all(|&c| c == '*'))
    }
}

/// Whether `name` matches any of `globs`.
pub fn any(globs: &[Glob], name: &str) -> bool {
    globs.iter().any(|g| g.matches(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let cases: &[(&str, &str, bool)] = &[
            ("get_weather", "get_weather", true),
            ("get_weather", "get_weather2", false),
            ("search_*", "search_docs", true),
            ("search_*", "search_", true),
            ("search_*", "research_docs", false),
            ("gpt-4o*", "gpt-4o-mini", true),
            ("claude-?-*", "claude-3-haiku", true),
            ("*", "", true),
            ("a*b*c", "aXXbYYc", true),
            ("a*b*c", "aXXbYY", false),
            ("", "", true),
            ("", "x", false),
        ];
        for (pattern, name, want) in cases {
            assert_eq!(
                Glob::new(pattern).matches(name),
                *want,
                "{pattern} vs {name}"
            );
        }
    }
}
