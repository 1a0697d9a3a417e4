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
    ("second weights file (transformer_2)", |p| p.weight_name_2.as_ref().map(|v| (v.value.clone(), v.evidence.to_string()))),
    ("trigger words", |p| Some((p.trigger_words.value.join(", "), p.trigger_words.evidence.to_string()))),
    ("steps", |p| p.steps.as_ref().map(|v| (v.value.to_string(), v.evidence.to_string()))),
    ("guidance", |p| p.guidance.as_ref().map(|v| (format!("{} ({})", v.value, p.guidance_param.as_str()), v.evidence.to_string()))),
    ("LoRA scale", |p| Some((p.lora_scale.value.to_string(), p.lora_scale.evidence.to_string()))),
    ("examples", |p| Some((p.examples.value.len().to_string(), p.examples.evidence.to_string()))),
];

/// Rows shown only when they have a value (a Wan 2.2 pair's second file).
const OPTIONAL: &[&str] = &["second weights file (transformer_2)"];

/// The table rows for a profile, in a fixed order.
pub fn rows(p: &LoraProfile) -> Vec<Row> {
    FIELDS
        .iter()
        .filter(|(field, get)| !OPTIONAL.contains(field) || get(p).is_some())
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
/// An optional row the baseline had and this version lacks shows as `before → —`.
pub fn changed<'a>(before: &'a Values, after: &'a [Row]) -> Vec<(&'a str, &'a str, &'a str)> {
    let mut out: Vec<_> = after.iter().filter_map(|r| before.get(r.field).filter(|b| **b != r.value).map(|b| (r.field, b.as_str(), r.value.as_str()))).collect();
    for field in OPTIONAL.iter().filter(|f| !after.iter().any(|r| r.field == **f)) {
        if let Some(b) = before.get(*field) {
            out.push((field, b.as_str(), "—"));
        }
    }
    out
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

    #[test]
    fn a_wan_pairs_second_file_gets_its_own_row_and_dropping_it_shows_as_a_change() {
        let analyze = |files: &[&str]| {
            let files: Vec<String> = files.iter().map(|f| (*f).to_owned()).collect();
            crate::lora::analyze(&crate::lora::AnalyzeInput { lora: &"a/wan-pair".parse().expect("id"), card: "---\nbase_model: Wan-AI/Wan2.2-I2V-A14B\n---\n", files: &files, overrides: None })
        };
        let pair = rows(&analyze(&["wan_i2v_high_noise.safetensors", "wan_i2v_low_noise.safetensors"]));
        let second = pair.iter().find(|r| r.field == "second weights file (transformer_2)").expect("the pair's second file is shown");
        assert_eq!(second.value, "wan_i2v_low_noise.safetensors");
        let single = rows(&analyze(&["wan_i2v_high_noise.safetensors"]));
        assert!(single.iter().all(|r| r.field != "second weights file (transformer_2)"), "no empty row for a single file");
        let before = values(&analyze(&["wan_i2v_high_noise.safetensors", "wan_i2v_low_noise.safetensors"]));
        assert!(changed(&before, &single).contains(&("second weights file (transformer_2)", "wan_i2v_low_noise.safetensors", "—")));
    }
}
