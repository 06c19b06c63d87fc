//! Compiling the entity sections of a policy: the `secrets` and `pii` groups of each
//! direction, their per-type settings (`byType`), the policy's custom `detectors`, and the
//! shared keyed-hash key (`redaction`).

use super::spec::{
    by_name, Action, DetectorSpec, EntitySpec, GroupName, RedactionSpec, StrategyName,
    ValidatorName,
};
use super::ConfigError;
use crate::detect::custom::{
    CustomDetector, CustomSpec, Validator, DEFAULT_CONTEXT_WINDOW, DEFAULT_MATCH_LENGTH,
    MAX_CONTEXT_WINDOW, MAX_DETECTORS, MAX_MATCH_LENGTH,
};
use crate::entity::{EntityType, Group};
use crate::policy::{EntityRules, TypeRule};
use crate::redact::{
    HashKey, Strategy, DEFAULT_HASH_LENGTH, DEFAULT_KEEP, MAX_HASH_LENGTH, MIN_HASH_KEY_BYTES,
};

/// Most characters a `partial` mask may keep.
const MAX_KEEP: u32 = 64;

/// The keyed-hash key, from `redaction`; `None` when none is configured.
#[inline(never)]
pub(super) fn hash_key(
    spec: Option<&RedactionSpec>,
    errors: &mut Vec<ConfigError>,
) -> Option<HashKey> {
    let spec = spec?;
    let length = match spec.hash_length {
        None => DEFAULT_HASH_LENGTH,
        Some(n) if (8..=MAX_HASH_LENGTH as u32).contains(&n) => {
            usize::try_from(n).unwrap_or(DEFAULT_HASH_LENGTH)
        }
        Some(n) => {
            errors.push(ConfigError::new(
                "redaction.hashLength",
                format!("{n} is outside 8..={MAX_HASH_LENGTH}"),
            ));
            DEFAULT_HASH_LENGTH
        }
    };
    let (key, at) = match (&spec.hash_key, &spec.hash_key_env) {
        (Some(_), Some(_)) => {
            errors.push(ConfigError::new(
                "redaction",
                "set `hashKey` or `hashKeyEnv`, not both",
            ));
            return None;
        }
        (Some(key), None) => (key.clone(), "redaction.hashKey"),
        (None, Some(var)) => match std::env::var(var) {
            Ok(key) => (key, "redaction.hashKeyEnv"),
            Err(_) => {
                // The message names the variable, never a value.
                errors.push(ConfigError::new(
                    "redaction.hashKeyEnv",
                    format!(
                        "environment variable `{var}` is not set (or not UTF-8) in the Wasm VM"
                    ),
                ));
                return None;
            }
        },
        (None, None) => return None,
    };
    if key.len() < MIN_HASH_KEY_BYTES {
        errors.push(ConfigError::new(
            at,
            format!("the key must be at least {MIN_HASH_KEY_BYTES} bytes"),
        ));
        return None;
    }
    Some(HashKey::new(key.as_bytes(), length))
}

/// A policy's custom detector, compiled, with the settings it brings to its group.
pub(super) struct Custom {
    pub detector: CustomDetector,
    action: Option<Action>,
    strategy: Option<StrategyName>,
    keep: Option<u32>,
}

/// Compiles `detectors`; errors name the detector by index and field.
#[inline(never)]
pub(super) fn custom_detectors(
    specs: Option<&Vec<DetectorSpec>>,
    path: &str,
    hash: Option<&HashKey>,
    errors: &mut Vec<ConfigError>,
) -> Vec<Custom> {
    let Some(specs) = specs else {
        return Vec::new();
    };
    if specs.len() > MAX_DETECTORS {
        errors.push(ConfigError::new(
            format!("{path}.detectors"),
            format!("{} detectors; at most {MAX_DETECTORS}", specs.len()),
        ));
        return Vec::new();
    }
    let mut out: Vec<Custom> = Vec::new();
    for (i, d) in specs.iter().enumerate() {
        let at = format!("{path}.detectors[{i}]");
        let before = errors.len();
        let well_formed = !d.name.is_empty()
            && d.name.len() <= 48
            && d.name.starts_with(|c: char| c.is_ascii_uppercase())
            && d.name
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
        if !well_formed {
            errors.push(ConfigError::new(
                format!("{at}.name"),
                format!(
                    "`{}` is not a type name (upper snake case, A–Z 0–9 _, at most 48)",
                    d.name
                ),
            ));
        } else if EntityType::from_name(&d.name).is_some() || d.name == "CUSTOM" {
            errors.push(ConfigError::new(
                format!("{at}.name"),
                format!("`{}` is a built-in type name", d.name),
            ));
        } else if out.iter().any(|c| c.detector.name == d.name) {
            errors.push(ConfigError::new(
                format!("{at}.name"),
                format!("`{}` is defined twice", d.name),
            ));
        }
        let bounded = |value: Option<u32>,
                       default: usize,
                       max: usize,
                       field: &str,
                       errors: &mut Vec<ConfigError>| {
            let Some(v) = value else {
                return default;
            };
            match usize::try_from(v) {
                Ok(v) if (1..=max).contains(&v) => v,
                _ => {
                    errors.push(ConfigError::new(
                        format!("{at}.{field}"),
                        format!("{v} is outside 1..={max}"),
                    ));
                    default
                }
            }
        };
        let max_length = bounded(
            d.max_length,
            DEFAULT_MATCH_LENGTH,
            MAX_MATCH_LENGTH,
            "maxLength",
            errors,
        );
        let context_window = bounded(
            d.context_window,
            DEFAULT_CONTEXT_WINDOW,
            MAX_CONTEXT_WINDOW,
            "contextWindow",
            errors,
        );
        check_keep(d.strategy, d.keep, &format!("{at}.keep"), errors);
        check_hash(d.strategy, hash, &format!("{at}.strategy"), errors);
        let group = match d.group {
            Some(GroupName::Secrets) => Group::Secret,
            Some(GroupName::Pii) | None => Group::Pii,
        };
        let no_strings = Vec::new();
        let spec = CustomSpec {
            name: &d.name,
            pattern: &d.pattern,
            prefilter: d.prefilter.as_ref().unwrap_or(&no_strings),
            validator: d.validator.map(|v| match v {
                ValidatorName::Luhn => Validator::Luhn,
                ValidatorName::Mod97 => Validator::Mod97,
            }),
            context: d.context.as_ref().unwrap_or(&no_strings),
            context_window,
            max_length,
        };
        let detector = match CustomDetector::new(&spec, group) {
            Ok(detector) => detector,
            Err(msg) => {
                let field = if msg.starts_with("invalid regex") || msg.starts_with("pattern") {
                    "pattern"
                } else if spec.prefilter.iter().any(String::is_empty) {
                    "prefilter"
                } else {
                    "context"
                };
                errors.push(ConfigError::new(format!("{at}.{field}"), msg));
                continue;
            }
        };
        if errors.len() == before {
            out.push(Custom {
                detector,
                action: d.action,
                strategy: d.strategy,
                keep: d.keep,
            });
        }
    }
    out
}

/// Which way a section applies: pseudonyms only make sense on requests.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Way {
    Request,
    Response,
}

/// The compiled rules of one direction from its `secrets` and `pii` groups (with the
/// direction's default action per group), or `None` when nothing is detected.
#[inline(never)]
pub(super) fn direction_rules(
    groups: [(Option<&EntitySpec>, Group, Action); 2],
    way: Way,
    path: &str,
    custom: &[Custom],
    hash: Option<&HashKey>,
    errors: &mut Vec<ConfigError>,
) -> Option<EntityRules> {
    let before = errors.len();
    let mut rules: Vec<TypeRule> = Vec::new();
    for (spec, group, default_action) in groups {
        let key = match group {
            Group::Secret => "secrets",
            Group::Pii => "pii",
        };
        let at = format!("{path}.{key}");
        let empty = EntitySpec::default();
        let spec = spec.unwrap_or(&empty);
        let group_action = spec.action.unwrap_or(default_action);
        check_keep(spec.strategy, spec.keep, &format!("{at}.keep"), errors);
        check_way(spec.strategy, way, &format!("{at}.strategy"), errors);
        check_hash(spec.strategy, hash, &format!("{at}.strategy"), errors);

        // Members of the group: every built-in and custom type of it, or the `types` list.
        let mut members: Vec<EntityType> = Vec::new();
        let all_members = || {
            EntityType::ALL
                .iter()
                .copied()
                .filter(|t| t.group() == group)
                .chain(
                    custom
                        .iter()
                        .enumerate()
                        .filter(|(_, c)| c.detector.group == group)
                        .filter_map(|(i, _)| u16::try_from(i).ok().map(EntityType::Custom)),
                )
        };
        match &spec.types {
            None => members.extend(all_members()),
            Some(names) => {
                for (i, name) in names.iter().enumerate() {
                    if let Some(t) =
                        resolve(name, group, custom, &format!("{at}.types[{i}]"), errors)
                    {
                        members.push(t);
                    }
                }
            }
        }
        let by_type = spec.by_type.as_ref();
        if let Some(map) = by_type {
            for (name, t) in map {
                let at = format!("{at}.byType.{name}");
                let Some(entity) = resolve(name, group, custom, &at, errors) else {
                    continue;
                };
                if !members.contains(&entity) {
                    errors.push(ConfigError::new(
                        &at,
                        format!("`{name}` is not among this group's `types`"),
                    ));
                }
                check_keep(t.strategy, t.keep, &format!("{at}.keep"), errors);
                check_way(t.strategy, way, &format!("{at}.strategy"), errors);
                check_hash(t.strategy, hash, &format!("{at}.strategy"), errors);
            }
        }
        for entity in members {
            let own = by_type.and_then(|m| by_name(m, name_of(entity, custom)));
            let detector = match entity {
                EntityType::Custom(i) => custom.get(usize::from(i)),
                _ => None,
            };
            let action = own
                .and_then(|t| t.action)
                .or(detector.and_then(|d| d.action))
                .unwrap_or(group_action);
            let (strategy, keep) = match (
                own.and_then(|t| t.strategy),
                detector.and_then(|d| d.strategy),
            ) {
                (Some(s), _) => (Some(s), own.and_then(|t| t.keep)),
                (None, Some(s)) => (Some(s), detector.and_then(|d| d.keep)),
                (None, None) => (spec.strategy, spec.keep),
            };
            if let (Some(StrategyName::Pseudonym), Way::Response) = (strategy, way) {
                // A detector's own pseudonym strategy applies to its request side only.
                rules.push(TypeRule {
                    entity,
                    action,
                    strategy: Strategy::Label,
                });
                continue;
            }
            rules.push(TypeRule {
                entity,
                action,
                strategy: compile_strategy(strategy, keep),
            });
        }
    }
    if errors.len() != before {
        return None;
    }
    let detectors: Vec<CustomDetector> = custom.iter().map(|c| c.detector.clone()).collect();
    EntityRules::new(rules, &detectors, hash.cloned()).unwrap_or_else(|e| {
        errors.push(ConfigError::new(path, e));
        None
    })
}

fn name_of(entity: EntityType, custom: &[Custom]) -> &str {
    match entity {
        EntityType::Custom(i) => custom
            .get(usize::from(i))
            .map_or("CUSTOM", |c| c.detector.name.as_str()),
        builtin => builtin.name(),
    }
}

/// A type name in a group's `types` or `byType`: a built-in or custom type of that group.
fn resolve(
    name: &str,
    group: Group,
    custom: &[Custom],
    at: &str,
    errors: &mut Vec<ConfigError>,
) -> Option<EntityType> {
    let found = EntityType::from_name(name)
        .map(|t| (t, t.group()))
        .or_else(|| {
            custom
                .iter()
                .position(|c| c.detector.name == name)
                .and_then(|i| u16::try_from(i).ok())
                .map(|i| {
                    (
                        EntityType::Custom(i),
                        custom
                            .get(usize::from(i))
                            .map_or(Group::Pii, |c| c.detector.group),
                    )
                })
        });
    match found {
        Some((t, g)) if g == group => Some(t),
        Some(_) => {
            let other = if group == Group::Pii {
                "secrets"
            } else {
                "pii"
            };
            errors.push(ConfigError::new(
                at,
                format!("`{name}` belongs under `{other}`"),
            ));
            None
        }
        None => {
            errors.push(ConfigError::new(
                at,
                format!("unknown entity type `{name}`"),
            ));
            None
        }
    }
}

fn check_keep(
    strategy: Option<StrategyName>,
    keep: Option<u32>,
    keep_at: &str,
    errors: &mut Vec<ConfigError>,
) {
    let Some(keep) = keep else {
        return;
    };
    if strategy.is_some_and(|s| s != StrategyName::Partial) {
        errors.push(ConfigError::new(
            keep_at,
            "`keep` applies to the `partial` strategy only",
        ));
    } else if keep > MAX_KEEP {
        errors.push(ConfigError::new(
            keep_at,
            format!("{keep} is outside 0..={MAX_KEEP}"),
        ));
    }
}

fn check_way(strategy: Option<StrategyName>, way: Way, at: &str, errors: &mut Vec<ConfigError>) {
    if way == Way::Response && strategy == Some(StrategyName::Pseudonym) {
        errors.push(ConfigError::new(
            at,
            "`pseudonym` applies to requests only (their responses restore the values)",
        ));
    }
}

fn check_hash(
    strategy: Option<StrategyName>,
    hash: Option<&HashKey>,
    at: &str,
    errors: &mut Vec<ConfigError>,
) {
    if strategy == Some(StrategyName::Hash) && hash.is_none() {
        errors.push(ConfigError::new(
            at,
            "`hash` needs a key: set `redaction.hashKey` or `redaction.hashKeyEnv`",
        ));
    }
}

fn compile_strategy(strategy: Option<StrategyName>, keep: Option<u32>) -> Strategy {
    match strategy {
        None | Some(StrategyName::Label) => Strategy::Label,
        Some(StrategyName::Partial) => Strategy::Partial {
            keep: keep
                .and_then(|k| usize::try_from(k).ok())
                .unwrap_or(DEFAULT_KEEP),
        },
        Some(StrategyName::Hash) => Strategy::Hash,
        Some(StrategyName::Pseudonym) => Strategy::Pseudonym,
    }
}
