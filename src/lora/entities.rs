//! HTML character references in card bodies. The Hub's LoRA card template escapes the author's
//! description (`&#x60;0.6&#x60;`, `&lt;lora:x:0.35&gt;`, `https:&#x2F;&#x2F;…`): the body is read
//! with them decoded, once, so a trigger in backticks or a weight reads as the author wrote it.

use std::sync::LazyLock;

use regex::{Captures, Regex};

static REFERENCE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"&(#[xX][0-9a-fA-F]{1,6}|#[0-9]{1,7}|amp|lt|gt|quot|apos|nbsp);").unwrap_or_else(|_| unreachable!())
});

/// `text` with numeric and the common named character references decoded (a single pass:
/// `&amp;lt;` becomes `&lt;`, not `<`). Unknown or invalid references stay as written.
pub fn decode(text: &str) -> String {
    if !text.contains('&') {
        return text.to_owned();
    }
    REFERENCE
        .replace_all(text, |c: &Captures<'_>| {
            let name = &c[1];
            let decoded = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some(' '),
                _ => numeric(name),
            };
            decoded.map_or_else(|| c[0].to_owned(), String::from)
        })
        .into_owned()
}

fn numeric(name: &str) -> Option<char> {
    let digits = name.strip_prefix('#')?;
    let code = match digits.strip_prefix(['x', 'X']) {
        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
        None => digits.parse().ok()?,
    };
    char::from_u32(code).filter(|c| !c.is_control() || c.is_whitespace())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_escaped_description_reads_as_written() {
        // WarmBloodAban/Qwen-Image-2.1-LoRAs (Hub LoRA card template around the author's text)
        let line = "- **LoRA Weight**: It is recommended to start testing between &#x60;0.6&#x60; and &#x60;0.8&#x60;, adjusting";
        assert_eq!(decode(line), "- **LoRA Weight**: It is recommended to start testing between `0.6` and `0.8`, adjusting");
        assert_eq!(decode("[AIGC](https:&#x2F;&#x2F;space.bilibili.com)"), "[AIGC](https://space.bilibili.com)");
        assert_eq!(decode("You should use `&lt;lora:nyalia:0.35&gt;` to"), "You should use `<lora:nyalia:0.35>` to");
    }

    #[test]
    fn decoding_is_a_single_pass_and_leaves_unknown_references() {
        assert_eq!(decode("&amp;lt; &copy; &#0; R&D"), "&lt; &copy; &#0; R&D");
        assert_eq!(decode("that&#39;s"), "that's");
    }
}
