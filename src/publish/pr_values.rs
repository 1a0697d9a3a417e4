//! Pure: the values an approver compares — each inferred field as shown in the PR's table,
//! carried in a hidden marker of the PR body so the next update (or the next PR, after a
//! merge) compares with exactly what was shown last, not with a re-analysis under today's
//! rules or today's `lora-space.toml`.

use std::collections::BTreeMap;

use crate::lora::LoraProfile;

/// Field name → value as shown in the table (`steps` → `24`).
pub type Values = BTreeMap<String, String>;

/// Hidden marker carrying [`Values`] as JSON; followed by ` {json} -->`.
pub const VALUES_MARKER: &str = "<!-- lora-space-bot:values v1";

/// One row of the table: field, value, evidence (in words, from `Evidence`'s `Display`).
pub struct Row {
    /// Field name.
    pub field: &'static str,
    /// Value as shown.
    pub value: String,
    /// Where it came from.
    pub evidence: String,
}

type Getter = fn(&LoraProfile) -> Option<(String, String)>;

const FIELDS: &[(&str, Getter)] = &[
    ("base model", |p| p.base_model.as_ref().map(|v| (v.value.clone(), v.evidence.to_string()))),
    ("task", |p| p.task.as_ref().map(|v| (v.value.to_string(), v.evidence.to_string()))),
    ("weights file", |p| p.weight_name.as_ref().map(|v| (v.value.clone(), v.evidence.to_string()))),
    ("trigger words", |p| Some((p.trigger_words.value.join(", "), p.trigger_words.evidence.to_string()))),
    ("steps", |p| p.steps.as_ref().map(|v| (v.value.to_string(), v.evidence.to_string()))),
    ("guidance", |p| p.guidance.as_ref().map(|v| (format!("{} ({})", v.value, p.guidance_param.as_str()), v.evidence.to_string()))),
    ("LoRA scale", |p| Some((p.lora_scale.value.to_string(), p.lora_scale.evidence.to_string()))),
    ("examples", |p| Some((p.examples.value.len().to_string(), p.examples.evidence.to_string()))),
];

/// The table rows for a profile, in a fixed order.
pub fn rows(p: &LoraProfile) -> Vec<Row> {
    FIELDS
        .iter()
        .map(|(field, get)| {
            let (value, evidence) = get(p).unwrap_or_else(|| ("—".to_owned(), "not inferred".to_owned()));
            Row { field, value, evidence }
        })
        .collect()
}

/// The values of a profile (what the marker records).
pub fn values(p: &LoraProfile) -> Values {
    rows(p).into_iter().map(|r| (r.field.to_owned(), r.value)).collect()
}

/// `before → after` of every field whose value changed (fields the baseline lacks are skipped).
pub fn changed<'a>(before: &'a Values, after: &'a [Row]) -> Vec<(&'a str, &'a str, &'a str)> {
    after.iter().filter_map(|r| before.get(r.field).filter(|b| **b != r.value).map(|b| (r.field, b.as_str(), r.value.as_str()))).collect()
}

/// The hidden marker line. `-->` cannot end the comment early: `>` is written as `\u003e`,
/// which JSON reads back as the same character.
pub fn marker(v: &Values) -> String {
    let json = serde_json::to_string(v).unwrap_or_else(|_| "{}".into()).replace('>', "\\u003e");
    format!("{VALUES_MARKER} {json} -->")
}

/// The values recorded in a bot PR body, if it has the marker.
pub fn read_marker(body: &str) -> Option<Values> {
    let rest = &body[body.find(VALUES_MARKER)? + VALUES_MARKER.len()..];
    let json = &rest[..rest.find("-->")?];
    serde_json::from_str(json.trim()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_survive_the_marker_even_with_comment_closers_inside() {
        let v: Values = [("trigger words".to_owned(), "a --> b <!-- c".to_owned()), ("steps".to_owned(), "24".to_owned())].into();
        let body = format!("text\n{}\n<!-- other -->\n", marker(&v));
        assert!(!marker(&v)[VALUES_MARKER.len()..marker(&v).len() - 3].contains("-->"));
        assert_eq!(read_marker(&body), Some(v));
        assert_eq!(read_marker("no marker"), None);
    }

    #[test]
    fn changed_lists_only_fields_whose_value_moved() {
        let before: Values = [("steps".to_owned(), "24".to_owned()), ("task".to_owned(), "text-to-image".to_owned())].into();
        let after = vec![
            Row { field: "steps", value: "20".into(), evidence: String::new() },
            Row { field: "task", value: "text-to-image".into(), evidence: String::new() },
            Row { field: "examples", value: "2".into(), evidence: String::new() },
        ];
        assert_eq!(changed(&before, &after), vec![("steps", "24", "20")]);
    }
}
