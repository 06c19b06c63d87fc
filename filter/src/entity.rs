//! The sensitive-data types the detectors report, named as in the evaluation corpus
//! (`shared/eval/pii/README.md`) so that `llm-warden scan` output scores without mapping.

use std::fmt;

/// Whether a type is a credential (leaks access) or personal data (leaks people).
/// Policies configure the two groups separately: secrets in prompts are redacted by default,
/// personal data in prompts is often the point of the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Group {
    Secret,
    Pii,
}

macro_rules! entity_types {
    ($($variant:ident => $name:literal, $group:ident;)*) => {
        /// A detected type: one of the built-in types, or `Custom(i)`, the `i`-th custom
        /// detector of the policy that found it (its name lives in the policy's rules, see
        /// `EntityRules::name`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum EntityType { $($variant,)* Custom(u16) }

        impl EntityType {
            /// Every built-in type, in declaration order.
            pub const ALL: &'static [EntityType] = &[$(EntityType::$variant,)*];

            /// The upper-case name used in config, labels, audit lines and the eval corpus;
            /// `CUSTOM` for a custom type, whose own name only its policy knows.
            pub fn name(self) -> &'static str {
                match self { $(EntityType::$variant => $name,)* EntityType::Custom(_) => "CUSTOM" }
            }

            /// The group of a built-in type; custom detectors declare theirs in config
            /// (this answers `Pii` for them).
            pub fn group(self) -> Group {
                match self { $(EntityType::$variant => Group::$group,)* EntityType::Custom(_) => Group::Pii }
            }

            pub fn from_name(name: &str) -> Option<EntityType> {
                match name { $($name => Some(EntityType::$variant),)* _ => None }
            }
        }
    };
}

entity_types! {
    Email => "EMAIL", Pii;
    Phone => "PHONE", Pii;
    CreditCard => "CREDIT_CARD", Pii;
    UsSsn => "US_SSN", Pii;
    Iban => "IBAN", Pii;
    Ipv4 => "IPV4", Pii;
    Ipv6 => "IPV6", Pii;
    MacAddress => "MAC_ADDRESS", Pii;
    UrlCredentials => "URL_CREDENTIALS", Secret;
    Password => "PASSWORD", Secret;
    AwsAccessKeyId => "AWS_ACCESS_KEY_ID", Secret;
    AwsSecretAccessKey => "AWS_SECRET_ACCESS_KEY", Secret;
    GithubToken => "GITHUB_TOKEN", Secret;
    SlackToken => "SLACK_TOKEN", Secret;
    StripeKey => "STRIPE_KEY", Secret;
    OpenaiApiKey => "OPENAI_API_KEY", Secret;
    AnthropicApiKey => "ANTHROPIC_API_KEY", Secret;
    GoogleApiKey => "GOOGLE_API_KEY", Secret;
    Jwt => "JWT", Secret;
    PrivateKey => "PRIVATE_KEY", Secret;
    // Vendor credentials beyond the evaluation corpus (see detect/entities/vendors.rs).
    GitlabToken => "GITLAB_TOKEN", Secret;
    NpmToken => "NPM_TOKEN", Secret;
    PypiToken => "PYPI_TOKEN", Secret;
    HuggingfaceToken => "HUGGINGFACE_TOKEN", Secret;
    AzureStorageKey => "AZURE_STORAGE_KEY", Secret;
    TwilioApiKey => "TWILIO_API_KEY", Secret;
    SendgridApiKey => "SENDGRID_API_KEY", Secret;
    DatadogApiKey => "DATADOG_API_KEY", Secret;
    ShopifyToken => "SHOPIFY_TOKEN", Secret;
    DigitaloceanToken => "DIGITALOCEAN_TOKEN", Secret;
    PostmanApiKey => "POSTMAN_API_KEY", Secret;
    GroqApiKey => "GROQ_API_KEY", Secret;
    LinearApiKey => "LINEAR_API_KEY", Secret;
    ReplicateApiToken => "REPLICATE_API_TOKEN", Secret;
}

impl fmt::Display for EntityType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for t in EntityType::ALL {
            assert_eq!(EntityType::from_name(t.name()), Some(*t));
            assert!(seen.insert(t.name()), "duplicate name {}", t.name());
        }
        assert_eq!(EntityType::ALL.len(), 34);
        assert_eq!(
            EntityType::from_name("email"),
            None,
            "names are case-sensitive"
        );
    }
}
