//! Pure: how the trigger words join the user's prompt, read from the card's own examples.
//!
//! A card that writes `zk style, a corgi on a beach` wants `TRIGGER + ", " + text`; one that
//! writes `a photo of TOK corgi wearing a hat` wants a space. Several triggers are joined the
//! way the examples put them next to each other. With no example showing it: a space after
//! a trigger that ends in punctuation (`Next Shot:`, `inksk3tch,`), else a space; triggers
//! among themselves: `", "`.

/// The separator between the trigger and the user's text (`" "` or `", "`).
pub fn text_separator(trigger: &str, examples: &[String]) -> &'static str {
    let trigger = trigger.trim();
    if trigger.is_empty() || trigger.ends_with(|c: char| c.is_ascii_punctuation()) {
        return " ";
    }
    let (mut comma, mut space) = (0usize, 0usize);
    for example in examples {
        match after_prefix(example, trigger) {
            Some(rest) if rest.starts_with(',') => comma += 1,
            Some(rest) if rest.starts_with(char::is_whitespace) => space += 1,
            _ => {}
        }
    }
    if comma > space { ", " } else { " " }
}

/// Several triggers as one string, joined the way the examples write them (default `", "`).
pub fn join_triggers(triggers: &[String], examples: &[String]) -> String {
    let mut out = String::new();
    for (i, t) in triggers.iter().enumerate() {
        if i > 0 {
            out.push_str(pair_separator(&triggers[i - 1], t, examples));
        }
        out.push_str(t);
    }
    out
}

fn pair_separator(first: &str, second: &str, examples: &[String]) -> &'static str {
    if first.ends_with(|c: char| c.is_ascii_punctuation()) {
        return " ";
    }
    let (comma, space) = examples.iter().map(|e| e.to_lowercase()).fold((0usize, 0usize), |(c, s), e| {
        let (first, second) = (first.to_lowercase(), second.to_lowercase());
        (
            c + usize::from(e.contains(&format!("{first}, {second}")) || e.contains(&format!("{first},{second}"))),
            s + usize::from(e.contains(&format!("{first} {second}"))),
        )
    });
    if space > comma { " " } else { ", " }
}

/// The text after `prefix` when `text` starts with it (case-insensitive), else `None`.
fn after_prefix<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let text = text.trim_start();
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| &text[prefix.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn a_trigger_the_examples_follow_with_a_comma_is_joined_with_a_comma() {
        let ex = v(&["zk style, a corgi on a beach", "zk style, a lighthouse at dusk"]);
        assert_eq!(text_separator("zk style", &ex), ", ");
    }

    #[test]
    fn a_trigger_the_examples_follow_with_a_space_is_joined_with_a_space() {
        let ex = v(&["a photo of TOK corgi wearing a tiny yellow raincoat"]);
        assert_eq!(text_separator("a photo of TOK corgi", &ex), " ");
    }

    #[test]
    fn the_majority_of_examples_decides_and_case_does_not_matter() {
        let ex = v(&["ZK STYLE, a cat", "zk style, a dog", "zk style a bird"]);
        assert_eq!(text_separator("zk style", &ex), ", ");
    }

    #[test]
    fn a_trigger_ending_in_punctuation_or_without_examples_takes_a_space() {
        assert_eq!(text_separator("inksk3tch,", &v(&["inksk3tch, a lighthouse"])), " ");
        assert_eq!(text_separator("Next Shot:", &v(&["Next Shot: the camera pans"])), " ");
        assert_eq!(text_separator("zk style", &[]), " ");
        assert_eq!(text_separator("zk style", &v(&["a cat, zk style"])), " ");
    }

    #[test]
    fn several_triggers_follow_the_examples_and_default_to_a_comma() {
        let triggers = v(&["pxl", "8bit"]);
        assert_eq!(join_triggers(&triggers, &v(&["pxl 8bit, a castle"])), "pxl 8bit");
        assert_eq!(join_triggers(&triggers, &v(&["pxl, 8bit, a castle"])), "pxl, 8bit");
        assert_eq!(join_triggers(&triggers, &[]), "pxl, 8bit");
        assert_eq!(join_triggers(&v(&["one"]), &[]), "one");
    }
}
