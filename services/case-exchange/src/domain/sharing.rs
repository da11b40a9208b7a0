//! The sharing policy, as data: per peer and per message type, which fields
//! may leave and which of them leave masked. A field the policy does not
//! list never leaves; a message type without a rule sends nothing optional.

use std::collections::{BTreeSet, HashMap};

use super::case::{CaseSummary, Mediation, Obligation, Party};
use super::envelope::MessageType;

/// The fields of a case summary a policy can name.
pub const SUMMARY_FIELDS: [&str; 10] = [
    "category_code",
    "title",
    "description",
    "location",
    "claimed_amount_fen",
    "parties.role",
    "parties.name",
    "parties.phone",
    "parties.id_number",
    "parties.side",
];

/// The fields of a mediation a policy can name.
pub const MEDIATION_FIELDS: [&str; 16] = [
    "mediation.scheduled_at",
    "mediation.place",
    "mediation.mediators.role",
    "mediation.mediators.name",
    "mediation.mediators.phone",
    "mediation.mediators.id_number",
    "mediation.mediators.side",
    "mediation.parties.role",
    "mediation.parties.name",
    "mediation.parties.phone",
    "mediation.parties.id_number",
    "mediation.parties.side",
    "mediation.agreement_text",
    "mediation.agreed_amount_fen",
    "mediation.obligations",
    "mediation.outcome",
];

/// Returns whether `field` holds personal data and so may leave masked.
pub fn maskable(field: &str) -> bool {
    field.ends_with(".name") || field.ends_with(".phone") || field.ends_with(".id_number")
}

/// Returns whether a policy may name `field`.
pub fn known(field: &str) -> bool {
    SUMMARY_FIELDS.contains(&field) || MEDIATION_FIELDS.contains(&field)
}

/// How personal data is masked (the platform's masking, passed in).
#[derive(Clone, Copy)]
pub struct Masks {
    pub name: fn(&str) -> String,
    pub phone: fn(&str) -> String,
    pub id_number: fn(&str) -> String,
}

/// What may leave for one message type.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SharingRule {
    /// Fields that may leave.
    pub fields: BTreeSet<String>,
    /// Of those, the ones that leave masked.
    pub masked: BTreeSet<String>,
}

/// What may leave for one peer, per message type.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SharingPolicy {
    pub rules: HashMap<MessageType, SharingRule>,
}

/// One field's fate.
enum Fate {
    Withheld,
    Masked,
    Sent,
}

impl SharingPolicy {
    fn fate(&self, kind: MessageType, field: &str) -> Fate {
        match self.rules.get(&kind) {
            Some(rule) if rule.fields.contains(field) => {
                if rule.masked.contains(field) {
                    Fate::Masked
                } else {
                    Fate::Sent
                }
            }
            _ => Fate::Withheld,
        }
    }

    fn text(
        &self,
        kind: MessageType,
        field: &str,
        value: &str,
        mask: fn(&str) -> String,
    ) -> String {
        match self.fate(kind, field) {
            Fate::Withheld => String::new(),
            Fate::Masked => mask(value),
            Fate::Sent => value.to_owned(),
        }
    }

    fn keeps(&self, kind: MessageType, field: &str) -> bool {
        !matches!(self.fate(kind, field), Fate::Withheld)
    }

    fn party(&self, kind: MessageType, prefix: &str, party: &Party, masks: Masks) -> Party {
        let unmasked: fn(&str) -> String = str::to_owned;
        let f = |name: &str| format!("{prefix}.{name}");
        Party {
            role: self.text(kind, &f("role"), &party.role, unmasked),
            name: self.text(kind, &f("name"), &party.name, masks.name),
            phone: self.text(kind, &f("phone"), &party.phone, masks.phone),
            id_number: self.text(kind, &f("id_number"), &party.id_number, masks.id_number),
            side: self.text(kind, &f("side"), &party.side, unmasked),
        }
    }

    /// Returns what of `summary` may leave in an envelope of `kind`.
    pub fn share_summary(
        &self,
        kind: MessageType,
        summary: &CaseSummary,
        masks: Masks,
    ) -> CaseSummary {
        let unmasked: fn(&str) -> String = str::to_owned;
        CaseSummary {
            category_code: self.text(kind, "category_code", &summary.category_code, unmasked),
            title: self.text(kind, "title", &summary.title, unmasked),
            description: self.text(kind, "description", &summary.description, unmasked),
            location: summary.location.filter(|_| self.keeps(kind, "location")),
            parties: summary
                .parties
                .iter()
                .map(|p| self.party(kind, "parties", p, masks))
                .collect(),
            claimed_amount_fen: if self.keeps(kind, "claimed_amount_fen") {
                summary.claimed_amount_fen
            } else {
                0
            },
        }
    }

    /// Returns what of `mediation` may leave in an envelope of `kind`.
    pub fn share_mediation(
        &self,
        kind: MessageType,
        mediation: &Mediation,
        masks: Masks,
    ) -> Mediation {
        let unmasked: fn(&str) -> String = str::to_owned;
        let people = |prefix: &str, people: &[Party]| -> Vec<Party> {
            people
                .iter()
                .map(|p| self.party(kind, prefix, p, masks))
                .collect()
        };
        let outcome = self.keeps(kind, "mediation.outcome");
        Mediation {
            scheduled_at: mediation
                .scheduled_at
                .filter(|_| self.keeps(kind, "mediation.scheduled_at")),
            place: self.text(kind, "mediation.place", &mediation.place, unmasked),
            mediators: people("mediation.mediators", &mediation.mediators),
            parties: people("mediation.parties", &mediation.parties),
            agreement_text: self.text(
                kind,
                "mediation.agreement_text",
                &mediation.agreement_text,
                unmasked,
            ),
            agreed_amount_fen: if self.keeps(kind, "mediation.agreed_amount_fen") {
                mediation.agreed_amount_fen
            } else {
                0
            },
            obligations: if self.keeps(kind, "mediation.obligations") {
                mediation.obligations.clone()
            } else {
                Vec::<Obligation>::new()
            },
            concluded: outcome && mediation.concluded,
            agreed: outcome && mediation.agreed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masks() -> Masks {
        Masks {
            name: |n| format!("M({n})"),
            phone: |p| format!("P({p})"),
            id_number: |i| format!("I({i})"),
        }
    }

    fn summary() -> CaseSummary {
        CaseSummary {
            category_code: "WORK_INJURY".into(),
            title: "工伤赔偿".into(),
            description: "工人在厂内受伤".into(),
            location: Some((30.7, 121.1)),
            parties: vec![Party {
                role: "WORKER".into(),
                name: "王小明".into(),
                phone: "13812345678".into(),
                id_number: "330482199001011234".into(),
                side: "zhejiang/pinghu/xindai/case-exchange".into(),
            }],
            claimed_amount_fen: 12_000_000,
        }
    }

    fn policy(fields: &[&str], masked: &[&str]) -> SharingPolicy {
        let rule = SharingRule {
            fields: fields.iter().map(|f| (*f).to_owned()).collect(),
            masked: masked.iter().map(|f| (*f).to_owned()).collect(),
        };
        SharingPolicy {
            rules: HashMap::from([(MessageType::Report, rule)]),
        }
    }

    /// Returns one summary field's value as text.
    fn value(s: &CaseSummary, field: &str) -> String {
        let p = s.parties.first().cloned().unwrap_or_default();
        match field {
            "category_code" => s.category_code.clone(),
            "title" => s.title.clone(),
            "description" => s.description.clone(),
            "location" => format!("{:?}", s.location),
            "claimed_amount_fen" => s.claimed_amount_fen.to_string(),
            "parties.role" => p.role,
            "parties.name" => p.name,
            "parties.phone" => p.phone,
            "parties.id_number" => p.id_number,
            "parties.side" => p.side,
            other => panic!("no field {other}"),
        }
    }

    #[test]
    fn each_summary_field_leaves_only_when_listed_and_masked_when_marked() {
        let whole = summary();
        let empty = CaseSummary {
            parties: vec![Party::default()],
            ..CaseSummary::default()
        };
        for field in SUMMARY_FIELDS {
            let alone = policy(&[field], &[]).share_summary(MessageType::Report, &whole, masks());
            for other in SUMMARY_FIELDS {
                let expected = if other == field {
                    value(&whole, other)
                } else {
                    value(&empty, other)
                };
                assert_eq!(
                    value(&alone, other),
                    expected,
                    "{other} when only {field} may leave"
                );
            }
            if maskable(field) {
                let masked =
                    policy(&[field], &[field]).share_summary(MessageType::Report, &whole, masks());
                assert!(
                    value(&masked, field).starts_with(['M', 'P', 'I']),
                    "{field} is masked"
                );
                assert_ne!(value(&masked, field), value(&whole, field));
            }
        }
    }

    #[test]
    fn a_message_type_without_a_rule_sends_nothing_optional() {
        let shared =
            policy(&SUMMARY_FIELDS, &[]).share_summary(MessageType::Update, &summary(), masks());
        assert_eq!(shared.title, "");
        assert_eq!(shared.parties[0].phone, "");
        assert_eq!(shared.location, None);
    }

    #[test]
    fn a_mediations_outcome_and_people_follow_the_policy() {
        let mediation = Mediation {
            place: "新埭镇联调室".into(),
            parties: summary().parties,
            agreement_text: "一次性赔偿".into(),
            agreed_amount_fen: 9_000_000,
            concluded: true,
            agreed: true,
            ..Mediation::default()
        };
        let rule = SharingRule {
            fields: [
                "mediation.place",
                "mediation.parties.name",
                "mediation.outcome",
            ]
            .map(String::from)
            .into(),
            masked: ["mediation.parties.name".to_owned()].into(),
        };
        let policy = SharingPolicy {
            rules: HashMap::from([(MessageType::Update, rule)]),
        };
        let shared = policy.share_mediation(MessageType::Update, &mediation, masks());
        assert_eq!(shared.place, "新埭镇联调室");
        assert_eq!(shared.parties[0].name, "M(王小明)");
        assert_eq!(shared.parties[0].id_number, "");
        assert_eq!(shared.agreement_text, "", "the text is not listed");
        assert_eq!(shared.agreed_amount_fen, 0);
        assert!(shared.concluded && shared.agreed);
    }
}
