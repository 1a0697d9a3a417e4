//! The API contract gate: what a regenerated app's `/gradio_api/info` breaks for callers of
//! the live Space. A removed endpoint, a removed parameter, a changed parameter order or type,
//! or a new parameter without a default breaks positional callers; new endpoints and new
//! parameters with defaults do not.

use std::fmt;

use serde_json::Value;

use super::gradio::{ApiInfo, Endpoint, Parameter};

/// One incompatibility.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContractBreak {
    /// The live endpoint is gone.
    RemovedEndpoint {
        /// The endpoint, e.g. `/generate`.
        endpoint: String,
    },
    /// A live parameter is gone.
    RemovedParameter {
        /// The endpoint.
        endpoint: String,
        /// Its name.
        name: String,
    },
    /// The parameter at a position is now another one.
    ChangedOrder {
        /// The endpoint.
        endpoint: String,
        /// The position.
        position: usize,
        /// Live name at that position.
        was: String,
        /// Preview name at that position.
        now: String,
    },
    /// Same parameter, another type.
    ChangedType {
        /// The endpoint.
        endpoint: String,
        /// Its name.
        name: String,
        /// Live type.
        was: String,
        /// Preview type.
        now: String,
    },
    /// A new parameter callers must now send.
    NewRequired {
        /// The endpoint.
        endpoint: String,
        /// Its name.
        name: String,
    },
}

impl fmt::Display for ContractBreak {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::RemovedEndpoint { endpoint } => write!(f, "endpoint `{endpoint}` was removed"),
            Self::RemovedParameter { endpoint, name } => write!(f, "`{endpoint}`: parameter `{name}` was removed"),
            Self::ChangedOrder { endpoint, position, was, now } => {
                write!(f, "`{endpoint}`: parameter {} is now `{now}` (was `{was}`)", position + 1)
            }
            Self::ChangedType { endpoint, name, was, now } => write!(f, "`{endpoint}`: parameter `{name}` changed type from {was} to {now}"),
            Self::NewRequired { endpoint, name } => write!(f, "`{endpoint}`: new parameter `{name}` has no default"),
        }
    }
}

/// A parameter's type as compared: the component and the JSON schema `type`.
fn type_key(p: &Parameter) -> String {
    let schema = match p.schema.get("type") {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None if p.schema.get("properties").is_some() => "object".to_owned(),
        None => "any".to_owned(),
    };
    format!("{} ({schema})", p.component.as_deref().unwrap_or("?"))
}

fn compare_endpoint(name: &str, live: &Endpoint, preview: &Endpoint, out: &mut Vec<ContractBreak>) {
    for (i, was) in live.parameters.iter().enumerate() {
        let Some(now) = preview.parameters.get(i) else {
            out.push(ContractBreak::RemovedParameter { endpoint: name.to_owned(), name: was.name().to_owned() });
            continue;
        };
        if was.name() != now.name() {
            if preview.parameters.iter().any(|p| p.name() == was.name()) {
                out.push(ContractBreak::ChangedOrder { endpoint: name.to_owned(), position: i, was: was.name().to_owned(), now: now.name().to_owned() });
            } else {
                out.push(ContractBreak::RemovedParameter { endpoint: name.to_owned(), name: was.name().to_owned() });
            }
            continue;
        }
        let (a, b) = (type_key(was), type_key(now));
        if a != b {
            out.push(ContractBreak::ChangedType { endpoint: name.to_owned(), name: was.name().to_owned(), was: a, now: b });
        }
    }
    for p in preview.parameters.iter().skip(live.parameters.len()) {
        if !p.parameter_has_default {
            out.push(ContractBreak::NewRequired { endpoint: name.to_owned(), name: p.name().to_owned() });
        }
    }
}

/// Every break of `preview` against `live`, in endpoint order (empty when compatible).
pub fn compare(live: &ApiInfo, preview: &ApiInfo) -> Vec<ContractBreak> {
    let mut out = Vec::new();
    for (name, was) in &live.named_endpoints {
        match preview.named_endpoints.get(name) {
            None => out.push(ContractBreak::RemovedEndpoint { endpoint: name.clone() }),
            Some(now) => compare_endpoint(name, was, now, &mut out),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn info(v: Value) -> ApiInfo {
        serde_json::from_value(v).expect("valid info")
    }

    fn param(name: &str, component: &str, ty: &str, has_default: bool) -> Value {
        json!({ "label": name, "parameter_name": name, "parameter_has_default": has_default, "parameter_default": null,
                "type": { "type": ty }, "component": component })
    }

    fn one(params: Vec<Value>) -> ApiInfo {
        info(json!({ "named_endpoints": { "/generate": { "parameters": params, "returns": [] } }, "unnamed_endpoints": {} }))
    }

    #[test]
    fn identical_apis_have_no_breaks() {
        let a = one(vec![param("prompt", "Textbox", "string", false), param("seed", "Slider", "number", true)]);
        assert_eq!(compare(&a, &a.clone()), vec![]);
    }

    #[test]
    fn a_removed_endpoint_is_a_break_and_a_new_one_is_not() {
        let live = one(vec![]);
        let preview = info(json!({ "named_endpoints": { "/run": { "parameters": [] } } }));
        assert_eq!(compare(&live, &preview), vec![ContractBreak::RemovedEndpoint { endpoint: "/generate".into() }]);
        assert_eq!(compare(&preview, &info(json!({ "named_endpoints": { "/run": {}, "/generate": {} } }))), vec![]);
    }

    #[test]
    fn swapped_parameters_are_a_changed_order() {
        let live = one(vec![param("prompt", "Textbox", "string", false), param("seed", "Slider", "number", true)]);
        let preview = one(vec![param("seed", "Slider", "number", true), param("prompt", "Textbox", "string", false)]);
        let breaks = compare(&live, &preview);
        assert_eq!(breaks.len(), 2);
        assert!(matches!(&breaks[0], ContractBreak::ChangedOrder { position: 0, was, now, .. } if was == "prompt" && now == "seed"));
    }

    #[test]
    fn a_changed_component_type_is_a_break() {
        let live = one(vec![param("seed", "Slider", "number", true)]);
        let preview = one(vec![param("seed", "Textbox", "string", true)]);
        let breaks = compare(&live, &preview);
        assert_eq!(breaks.len(), 1);
        assert_eq!(breaks[0].to_string(), "`/generate`: parameter `seed` changed type from Slider (number) to Textbox (string)");
    }

    #[test]
    fn a_new_trailing_parameter_breaks_only_without_a_default() {
        let live = one(vec![param("prompt", "Textbox", "string", false)]);
        let ok = one(vec![param("prompt", "Textbox", "string", false), param("steps", "Slider", "number", true)]);
        assert_eq!(compare(&live, &ok), vec![]);
        let bad = one(vec![param("prompt", "Textbox", "string", false), param("image", "Image", "object", false)]);
        assert_eq!(compare(&live, &bad), vec![ContractBreak::NewRequired { endpoint: "/generate".into(), name: "image".into() }]);
    }

    #[test]
    fn a_dropped_parameter_is_a_break() {
        let live = one(vec![param("prompt", "Textbox", "string", false), param("seed", "Slider", "number", true)]);
        let preview = one(vec![param("prompt", "Textbox", "string", false)]);
        assert_eq!(compare(&live, &preview), vec![ContractBreak::RemovedParameter { endpoint: "/generate".into(), name: "seed".into() }]);
    }
}
