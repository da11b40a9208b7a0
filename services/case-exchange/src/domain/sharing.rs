//! The sharing policy, as data: per peer and per message type, which fields
//! may leave and which of them leave masked. A field the policy does not
//! list never leaves; a message type without a rule sends nothing optional.

use std::collections::{BTreeSet, HashMap};

use super::case::{CaseSummary, Mediation, Obligation, Party};
use super::check::Finding;
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

/// The fields of an information check's finding a policy can name (the
/// rule of the RESPONSE message type).
pub const CHECK_FIELDS: [&str; 7] = [
    "check.shared_case_id",
    "check.category_code",
    "check.case_state",
    "check.role",
    "check.name",
    "check.phone",
    "check.id_number",
];

/// Returns whether `field` holds personal data and so may leave masked.
pub fn maskable(field: &str) -> bool {
    field.ends_with(".name") || field.ends_with(".phone") || field.ends_with(".id_number")
}

/// Returns whether a policy may name `field`.
pub fn known(field: &str) -> bool {
    SUMMARY_FIELDS.contains(&field)
        || MEDIATION_FIELDS.contains(&field)
        || CHECK_FIELDS.contains(&field)
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

    /// Returns whether the policy has a rule for `kind` at all: without
    /// one, nothing of that kind is answered.
    pub fn covers(&self, kind: MessageType) -> bool {
        self.rules
            .get(&kind)
            .is_some_and(|rule| !rule.fields.is_empty())
    }

    /// Returns what of an information check's `finding` may leave in an
    /// envelope of `kind` (RESPONSE).
    pub fn share_finding(&self, kind: MessageType, finding: &Finding, masks: Masks) -> Finding {
        let unmasked: fn(&str) -> String = str::to_owned;
        let t = |field: &str, value: &str, mask: fn(&str) -> String| {
            self.text(kind, field, value, mask)
        };
        Finding {
            shared_case_id: t("check.shared_case_id", &finding.shared_case_id, unmasked),
            category_code: t("check.category_code", &finding.category_code, unmasked),
            case_state: t("check.case_state", &finding.case_state, unmasked),
            role: t("check.role", &finding.role, unmasked),
            name: t("check.name", &finding.name, masks.name),
            phone: t("check.phone", &finding.phone, masks.phone),
            id_number: t("check.id_number", &finding.id_number, masks.id_number),
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

    #[test]
    fn each_finding_field_leaves_only_when_listed_and_masked_when_marked() {
        let finding = Finding {
            shared_case_id: "0190f1a2-0000-7000-8000-000000000001".into(),
            category_code: "WORK_INJURY".into(),
            case_state: "CLOSED".into(),
            role: "WORKER".into(),
            name: "王小明".into(),
            phone: "13812345678".into(),
            id_number: "330482199001011234".into(),
        };
        let value = |f: &Finding, field: &str| -> String {
            match field {
                "check.shared_case_id" => f.shared_case_id.clone(),
                "check.category_code" => f.category_code.clone(),
                "check.case_state" => f.case_state.clone(),
                "check.role" => f.role.clone(),
                "check.name" => f.name.clone(),
                "check.phone" => f.phone.clone(),
                "check.id_number" => f.id_number.clone(),
                other => panic!("no field {other}"),
            }
        };
        let rule = |fields: &[&str], masked: &[&str]| SharingPolicy {
            rules: HashMap::from([(
                MessageType::Response,
                SharingRule {
                    fields: fields.iter().map(|f| (*f).to_owned()).collect(),
                    masked: masked.iter().map(|f| (*f).to_owned()).collect(),
                },
            )]),
        };
        for field in CHECK_FIELDS {
            let alone = rule(&[field], &[]).share_finding(MessageType::Response, &finding, masks());
            for other in CHECK_FIELDS {
                let expected = if other == field {
                    value(&finding, other)
                } else {
                    String::new()
                };
                assert_eq!(
                    value(&alone, other),
                    expected,
                    "{other} when only {field} may leave"
                );
            }
            if maskable(field) {
                let masked = rule(&[field], &[field]).share_finding(
                    MessageType::Response,
                    &finding,
                    masks(),
                );
                assert_ne!(
                    value(&masked, field),
                    value(&finding, field),
                    "{field} is masked"
                );
                assert!(!value(&masked, field).is_empty());
            }
        }
        assert!(!SharingPolicy::default().covers(MessageType::Response));
        assert!(rule(&["check.role"], &[]).covers(MessageType::Response));
    }
}
