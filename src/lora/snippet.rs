//! Reading a card's Python snippets (analyze stage): fenced code blocks, keyword arguments,
//! pipeline classes and repo ids. Text only — nothing here is ever executed or copied into
//! generated code; values are parsed into numbers or strings and re-emitted by the renderer.

use std::sync::LazyLock;

use regex::Regex;

/// One fenced code block of a Markdown body.
#[derive(Debug, Clone, PartialEq)]
pub struct CodeBlock {
    /// The info string (`python`, `py`, `""`).
    pub lang: String,
    /// The code.
    pub code: String,
}

/// All fenced (```` ``` ```` or `~~~`) code blocks, in order.
pub fn code_blocks(body: &str) -> Vec<CodeBlock> {
    let mut blocks = Vec::new();
    let mut current: Option<(String, String, String)> = None; // (fence, lang, code)
    for line in body.lines() {
        let trimmed = line.trim_start();
        match &mut current {
            None => {
                if let Some(fence) = fence_of(trimmed) {
                    let lang = trimmed[fence.len()..].trim().to_ascii_lowercase();
                    current = Some((fence, lang, String::new()));
                }
            }
            Some((fence, lang, code)) => {
                if trimmed.starts_with(fence.as_str()) && trimmed.trim_matches(|c| c == '`' || c == '~').is_empty() {
                    blocks.push(CodeBlock { lang: std::mem::take(lang), code: std::mem::take(code) });
                    current = None;
                } else {
                    code.push_str(line);
                    code.push('\n');
                }
            }
        }
    }
    blocks
}

fn fence_of(line: &str) -> Option<String> {
    let ch = line.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let n = line.chars().take_while(|c| *c == ch).count();
    (n >= 3).then(|| std::iter::repeat_n(ch, n).collect())
}

/// The Python code of the card: blocks tagged python/py, or untagged blocks that use diffusers.
pub fn python_code(body: &str) -> String {
    code_blocks(body)
        .into_iter()
        .filter(|b| {
            matches!(b.lang.as_str(), "python" | "py" | "python3")
                || (b.lang.is_empty() && (b.code.contains("diffusers") || b.code.contains("from_pretrained")))
        })
        .map(|b| strip_doctest_prompts(&b.code))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Snippets copied from diffusers docstrings carry the interpreter's `>>> ` / `... ` prompts
/// (the diffusers Qwen-Image DreamBooth card template): without them the code reads as Python.
fn strip_doctest_prompts(code: &str) -> String {
    if !code.lines().any(|l| l.trim_start().starts_with(">>>")) {
        return code.to_owned();
    }
    code.lines()
        .map(|l| {
            let t = l.trim_start();
            t.strip_prefix(">>> ").or_else(|| t.strip_prefix("... ")).or_else(|| (t == ">>>" || t == "...").then_some("")).unwrap_or(l)
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

const STRING_LIT: &str = r#"(?:"((?:[^"\\\n]|\\.)*)"|'((?:[^'\\\n]|\\.)*)')"#;

static STRING_KWARG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(r#"(?:\b([A-Za-z_]\w*)\s*=|["']([A-Za-z_]\w*)["']\s*:)\s*{STRING_LIT}"#))
        .unwrap_or_else(|_| never())
});
static NUMBER_KWARG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?:\b([A-Za-z_]\w*)\s*=|["']([A-Za-z_]\w*)["']\s*:)\s*(-?\d+(?:\.\d+)?(?:[eE]-?\d+)?)\b"#)
        .unwrap_or_else(|_| never())
});

fn never() -> Regex {
    // A regex that matches nothing; only reached if a constant pattern were invalid.
    Regex::new(r"[^\s\S]").unwrap_or_else(|_| unreachable!("constant regex"))
}

fn unquote(caps: &regex::Captures<'_>, first: usize) -> String {
    let raw = caps.get(first).or_else(|| caps.get(first + 1)).map_or("", |m| m.as_str());
    raw.replace("\\\"", "\"").replace("\\'", "'").replace("\\n", "\n").replace("\\\\", "\\")
}

/// Every string value of `name=` in `code`, in order.
pub fn string_kwargs(code: &str, name: &str) -> Vec<String> {
    STRING_KWARG.captures_iter(code).filter(|c| key_is(c, name)).map(|c| unquote(&c, 3)).collect()
}

/// The first numeric value of `name=` in `code`.
pub fn number_kwarg(code: &str, name: &str) -> Option<f64> {
    NUMBER_KWARG.captures_iter(code).find(|c| key_is(c, name))?.get(3)?.as_str().parse().ok()
}

/// Whether a `name=` / `"name":` match names `name`.
fn key_is(caps: &regex::Captures<'_>, name: &str) -> bool {
    caps.get(1).or_else(|| caps.get(2)).is_some_and(|m| m.as_str() == name)
}

/// Every numeric keyword argument in `code` whose name is in `names`, first value of each.
pub fn number_kwargs(code: &str, names: &[&str]) -> Vec<(String, f64)> {
    names.iter().filter_map(|n| number_kwarg(code, n).map(|v| ((*n).to_owned(), v))).collect()
}

static CLASS_IMPORT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"from[ \t]+diffusers(?:\.[\w.]+)?[ \t]+import[ \t]+(?:\(([\w\s,]+)\)|([\w \t,]+))")
        .unwrap_or_else(|_| never())
});
static CLASS_USE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b([A-Z]\w*Pipeline\w*)\.from_pretrained").unwrap_or_else(|_| never()));

/// Pipeline classes the code imports from diffusers or calls `from_pretrained` on, in order
/// of appearance, without the auto classes (`DiffusionPipeline`, `AutoPipeline*`).
pub fn pipeline_classes(code: &str) -> Vec<String> {
    let mut found: Vec<(usize, String)> = Vec::new();
    for caps in CLASS_IMPORT.captures_iter(code) {
        let Some(list) = caps.get(1).or_else(|| caps.get(2)) else { continue };
        for name in list.as_str().split(',').map(str::trim) {
            found.push((list.start(), name.to_owned()));
        }
    }
    for caps in CLASS_USE.captures_iter(code) {
        if let Some(m) = caps.get(1) {
            found.push((m.start(), m.as_str().to_owned()));
        }
    }
    found.sort_by_key(|(pos, _)| *pos);
    let mut out: Vec<String> = Vec::new();
    for (_, name) in found {
        if name.contains("Pipeline") && !is_auto_class(&name) && !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

/// `DiffusionPipeline` and `AutoPipelineFor*` resolve the class at run time: no evidence.
pub fn is_auto_class(name: &str) -> bool {
    name == "DiffusionPipeline" || name.starts_with("AutoPipeline")
}

/// A Hub repo id. ASCII classes on purpose: ids are ASCII, and a Unicode `\w` makes every
/// regex built on it megabytes larger (NFA + match caches) for nothing.
static REPO_ID: &str = r"([A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*)";
static FROM_PRETRAINED_ID: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r#"from_pretrained\(\s*["']{REPO_ID}["']"#)).unwrap_or_else(|_| never()));
static FROM_PRETRAINED_VAR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"from_pretrained\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*[,)]").unwrap_or_else(|_| never()));

/// Repo ids passed as the first argument of `from_pretrained` (directly or via a variable).
pub fn from_pretrained_repos(code: &str) -> Vec<String> {
    let (direct, via_var) = (&*FROM_PRETRAINED_ID, &*FROM_PRETRAINED_VAR);
    let mut out: Vec<(usize, String)> =
        direct.captures_iter(code).filter_map(|c| c.get(1).map(|m| (m.start(), m.as_str().to_owned()))).collect();
    for caps in via_var.captures_iter(code) {
        let Some(var) = caps.get(1) else { continue };
        let assign = Regex::new(&format!(r#"\b{}\s*=\s*["']{REPO_ID}["']"#, regex::escape(var.as_str())));
        if let Some(value) = assign.ok().and_then(|re| re.captures(code)).and_then(|c| c.get(1)) {
            out.push((var.start(), value.as_str().to_owned()));
        }
    }
    out.sort_by_key(|(pos, _)| *pos);
    out.into_iter().map(|(_, r)| r).collect()
}

/// Prompts passed positionally: `pipe("a photo of TOK corgi")`, `pipeline(f'...')`.
pub fn positional_prompts(code: &str) -> Vec<String> {
    let re = Regex::new(&format!(r"\b(?:pipe|pipeline)\(\s*f?{STRING_LIT}")).unwrap_or_else(|_| never());
    re.captures_iter(code).map(|c| unquote(&c, 1)).filter(|p| !p.contains('{')).collect()
}

/// Files passed to `load_image` / `load_video` (example inputs).
pub fn loaded_media(code: &str) -> Vec<String> {
    let re = Regex::new(&format!(r"load_(?:image|video)\(\s*{STRING_LIT}")).unwrap_or_else(|_| never());
    re.captures_iter(code).map(|c| unquote(&c, 1)).collect()
}

/// The LoRA scale a snippet sets: `adapter_weights=[s]`, `{"scale": s}`, `lora_scale=s`.
pub fn lora_scale(code: &str) -> Option<(f64, String)> {
    let patterns = [
        r"adapter_weights\s*=\s*\[?\s*(\d+(?:\.\d+)?)",
        r#"["']scale["']\s*:\s*(\d+(?:\.\d+)?)"#,
        r"\blora_scale\s*=\s*(\d+(?:\.\d+)?)",
        // DiffSynth: `pipe.load_lora(pipe.dit, path, alpha=0.8)`.
        r"\bload_lora\([^)]*\balpha\s*=\s*(\d+(?:\.\d+)?)",
    ];
    for pattern in patterns {
        let re = Regex::new(pattern).ok()?;
        if let Some(caps) = re.captures(code) {
            let (Some(whole), Some(num)) = (caps.get(0), caps.get(1)) else { continue };
            if let Ok(v) = num.as_str().parse() {
                return Some((v, whole.as_str().to_owned()));
            }
        }
    }
    scale_through_variable(code)
}

/// `lora_scale_slider = 2` … `pipe.fuse_lora(lora_scale=lora_scale_slider)` (Linaqruf cards).
fn scale_through_variable(code: &str) -> Option<(f64, String)> {
    let re = Regex::new(r"\b(?:lora_scale|adapter_weights)\s*=\s*\[?\s*([A-Za-z_]\w*)").ok()?;
    let var = re.captures(code)?.get(1)?.as_str().to_owned();
    let assign = Regex::new(&format!(r"(?m)^\s*{}\s*=\s*(\d+(?:\.\d+)?)\b", regex::escape(&var))).ok()?;
    let v = assign.captures(code)?.get(1)?.as_str().parse().ok()?;
    Some((v, format!("lora_scale={var} ({var} = {v})")))
}

/// The `fps=` of an `export_to_video(...)` / `encode_video(...)` call.
pub fn export_fps(code: &str) -> Option<f64> {
    let re = Regex::new(r"(?:export_to_video|encode_video)\([^)]*\bfps\s*=\s*(\d+(?:\.\d+)?)").ok()?;
    re.captures(code)?.get(1)?.as_str().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SNIPPET: &str = "```python\nfrom diffusers import FluxKontextPipeline, AutoencoderKL\n\
        model_id = \"a/b-Diffusers\"\npipe = FluxKontextPipeline.from_pretrained(model_id)\n\
        pipe.load_lora_weights('x/y', weight_name=\"w.safetensors\")\n\
        out = pipe(image=load_image(\"s/in.jpg\"), guidance_scale=2.5, num_inference_steps=28)\n\
        export_to_video(v, \"o.mp4\", fps=26)\n```\n";

    #[test]
    fn doctest_prompts_are_stripped_from_snippets() {
        // diffusers train_dreambooth_lora_qwen_image.py card template
        let body = "```py\n    >>> pipe = QwenImagePipeline.from_pretrained(\n    ...     \"Qwen/Qwen-Image\",\n    ...     torch_dtype=torch.bfloat16,\n    ... )\n    >>> image = pipe(f\"a cat\").images[0]\n```\n";
        let code = python_code(body);
        assert_eq!(from_pretrained_repos(&code), vec!["Qwen/Qwen-Image"]);
        assert_eq!(positional_prompts(&code), vec!["a cat"]);
    }

    #[test]
    fn fenced_python_blocks_are_found_and_others_skipped() {
        let body = format!("text\n```\nCAKEIFY a [thing]\n```\n{SNIPPET}");
        let blocks = code_blocks(&body);
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[0].lang, "");
        assert!(python_code(&body).contains("FluxKontextPipeline"));
        assert!(!python_code(&body).contains("CAKEIFY"));
    }

    #[test]
    fn keyword_values_are_read_as_numbers_and_strings() {
        let code = python_code(SNIPPET);
        assert_eq!(string_kwargs(&code, "weight_name"), vec!["w.safetensors"]);
        assert_eq!(number_kwarg(&code, "guidance_scale"), Some(2.5));
        assert_eq!(number_kwarg(&code, "num_inference_steps"), Some(28.0));
        assert_eq!(number_kwarg(&code, "true_cfg_scale"), None);
        assert_eq!(export_fps(&code), Some(26.0));
        assert_eq!(loaded_media(&code), vec!["s/in.jpg"]);
    }

    #[test]
    fn dict_style_inputs_are_read_like_keyword_arguments() {
        let code = "inputs = {\n    \"true_cfg_scale\": 4.0,\n    \"negative_prompt\": \" \",\n}\n";
        assert_eq!(number_kwarg(code, "true_cfg_scale"), Some(4.0));
        assert_eq!(string_kwargs(code, "negative_prompt"), vec![" "]);
    }

    #[test]
    fn auto_classes_are_not_evidence_of_a_pipeline_class() {
        let code = "from diffusers import DiffusionPipeline\nfrom diffusers import AutoPipelineForText2Image\n";
        assert!(pipeline_classes(code).is_empty());
        assert_eq!(pipeline_classes(&python_code(SNIPPET)), vec!["FluxKontextPipeline"]);
    }

    #[test]
    fn positional_prompt_of_the_pipeline_call_is_found() {
        let code = "image = pipeline('a photo of TOK corgi').images[0]\nout = pipe(f\"{x} y\")\n";
        assert_eq!(positional_prompts(code), vec!["a photo of TOK corgi"]);
    }

    #[test]
    fn repo_passed_through_a_variable_is_resolved() {
        assert_eq!(from_pretrained_repos(&python_code(SNIPPET)), vec!["a/b-Diffusers"]);
    }

    #[test]
    fn lora_scale_is_read_from_set_adapters_or_attention_kwargs() {
        assert_eq!(lora_scale("pipe.set_adapters(['a'], adapter_weights=[0.8])").map(|s| s.0), Some(0.8));
        assert_eq!(lora_scale("joint_attention_kwargs={\"scale\": 0.6}").map(|s| s.0), Some(0.6));
        assert_eq!(lora_scale("pipe.set_adapters(\"cakeify\")"), None);
        // Linaqruf/anime-detailer-xl-lora: the scale goes through a variable.
        let code = "lora_scale_slider = 2 # -2 for less detailed result\npipe.fuse_lora(lora_scale=lora_scale_slider)\n";
        assert_eq!(lora_scale(code).map(|s| s.0), Some(2.0));
    }
}
