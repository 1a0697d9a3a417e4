//! Render stage, the one gate between card text and generated Python: every string that
//! reaches `app.py` goes through [`py_str`], every number through [`py_float`] / [`py_int`].
//! Nothing from a card is ever spliced into code unescaped.

use std::fmt::Write;

/// A double-quoted Python string literal holding exactly `s`.
///
/// Escapes `\` and `"`, every control character (incl. NUL, CR, LF, TAB, DEL, C1), the
/// Unicode line/paragraph separators U+2028/U+2029, NEL, BOM, zero-width and bidi controls.
/// Other non-ASCII text (CJK negative prompts, emoji) is kept readable.
pub fn py_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if needs_escape(c) => {
                let code = u32::from(c);
                // Writing to a String cannot fail.
                let _ = if code <= 0xff { write!(out, "\\x{code:02x}") } else { write!(out, "\\u{code:04x}") };
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}')
}

/// A Python float literal (`1.0`, `0.75`, `3.5`), never exponent-free garbage: non-finite
/// values become `0.0`.
pub fn py_float(v: f64) -> String {
    if !v.is_finite() {
        return "0.0".to_owned();
    }
    let rounded = (v * 1e6).round() / 1e6;
    let text = format!("{rounded}");
    if text.contains('.') { text } else { format!("{text}.0") }
}

/// A Python int literal.
pub fn py_int(v: u32) -> String {
    v.to_string()
}

/// A Python list of string literals.
pub fn py_str_list(items: &[String]) -> String {
    format!("[{}]", items.iter().map(|s| py_str(s)).collect::<Vec<_>>().join(", "))
}

/// Text made safe for a single-line Python comment: no line breaks of any kind.
pub fn comment_safe(s: &str) -> String {
    s.chars().map(|c| if needs_escape(c) || c == '\n' || c == '\r' { ' ' } else { c }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_backslashes_and_newlines_are_escaped() {
        assert_eq!(py_str("a\"b\\c\nd'e"), "\"a\\\"b\\\\c\\nd'e\"");
    }

    #[test]
    fn nul_and_unicode_line_separators_are_escaped() {
        assert_eq!(py_str("x\0y\u{2028}z\u{2029}"), "\"x\\x00y\\u2028z\\u2029\"");
        assert_eq!(py_str("\u{202e}"), "\"\\u202e\"");
    }

    #[test]
    fn readable_unicode_is_kept() {
        assert_eq!(py_str("超清 🎨"), "\"超清 🎨\"");
    }

    #[test]
    fn floats_always_carry_a_decimal_point() {
        assert_eq!(py_float(1.0), "1.0");
        assert_eq!(py_float(0.75), "0.75");
        assert_eq!(py_float(f64::NAN), "0.0");
        assert_eq!(py_float(0.1 + 0.2), "0.3");
    }
}
