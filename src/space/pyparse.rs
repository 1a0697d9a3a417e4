//! A real Python parser (tree-sitter) for the render and validate stages: syntax check,
//! the modules `app.py` imports (requirements are derived from them), and the code tokens
//! outside string literals (used to prove card text stayed inside strings).

use tree_sitter::{Node, Parser, Tree};

/// Why Python source was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PyParseError {
    /// The grammar could not be loaded (a build defect).
    #[error("python grammar unavailable: {0}")]
    Grammar(String),
    /// The source has syntax errors.
    #[error("python syntax error at line {line}, column {column}")]
    Syntax {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
}

/// Parsed Python source.
#[derive(Debug)]
pub struct PySource<'s> {
    source: &'s str,
    tree: Tree,
}

/// Parses `source`, failing on any syntax error or missing node.
pub fn parse(source: &str) -> Result<PySource<'_>, PyParseError> {
    let mut parser = Parser::new();
    parser.set_language(&tree_sitter_python::LANGUAGE.into()).map_err(|e| PyParseError::Grammar(e.to_string()))?;
    let tree = parser.parse(source, None).ok_or_else(|| PyParseError::Grammar("parser returned no tree".into()))?;
    if let Some(bad) = first_error(tree.root_node()) {
        let p = bad.start_position();
        return Err(PyParseError::Syntax { line: p.row + 1, column: p.column + 1 });
    }
    Ok(PySource { source, tree })
}

fn first_error(node: Node<'_>) -> Option<Node<'_>> {
    if !node.has_error() {
        return None;
    }
    if node.is_error() || node.is_missing() {
        return Some(node);
    }
    let mut cursor = node.walk();
    let children: Vec<Node<'_>> = node.children(&mut cursor).collect();
    children.into_iter().find_map(first_error).or(Some(node))
}

fn walk<'t>(node: Node<'t>, visit: &mut impl FnMut(Node<'t>) -> bool) {
    if !visit(node) {
        return;
    }
    let mut cursor = node.walk();
    let children: Vec<Node<'t>> = node.children(&mut cursor).collect();
    for child in children {
        walk(child, visit);
    }
}

impl<'s> PySource<'s> {
    fn text(&self, node: Node<'_>) -> &'s str {
        &self.source[node.byte_range()]
    }

    /// Top-level names of every imported module (`diffusers` for `from diffusers.utils import x`),
    /// in order of first appearance, without relative imports.
    pub fn imports(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut add = |name: &str| {
            let top = name.split('.').next().unwrap_or(name).trim().to_owned();
            if !top.is_empty() && !out.contains(&top) {
                out.push(top);
            }
        };
        walk(self.tree.root_node(), &mut |node| match node.kind() {
            "import_statement" => {
                let mut cursor = node.walk();
                for name in node.children_by_field_name("name", &mut cursor) {
                    let dotted = if name.kind() == "aliased_import" {
                        name.child_by_field_name("name").unwrap_or(name)
                    } else {
                        name
                    };
                    add(self.text(dotted));
                }
                false
            }
            "import_from_statement" => {
                if let Some(m) = node.child_by_field_name("module_name").filter(|m| m.kind() == "dotted_name") {
                    add(self.text(m));
                }
                false
            }
            _ => true,
        });
        out
    }

    /// Every leaf token that is not part of a string literal or a comment, in order.
    pub fn code_tokens(&self) -> Vec<&'s str> {
        let mut out = Vec::new();
        walk(self.tree.root_node(), &mut |node| {
            if matches!(node.kind(), "string" | "comment" | "concatenated_string") {
                return false;
            }
            if node.child_count() == 0 {
                out.push(self.text(node));
            }
            true
        });
        out
    }

    /// The source text of every string literal (with quotes).
    pub fn string_literals(&self) -> Vec<&'s str> {
        let mut out = Vec::new();
        walk(self.tree.root_node(), &mut |node| {
            if node.kind() == "string" {
                out.push(self.text(node));
                return false;
            }
            true
        });
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imports_are_reduced_to_top_level_modules() {
        let src = "import os\nimport spaces  # c\nimport torch.nn as nn\nfrom diffusers.utils import load_image\nfrom . import x\n";
        let parsed = parse(src).expect("valid python");
        assert_eq!(parsed.imports(), vec!["os", "spaces", "torch", "diffusers"]);
    }

    #[test]
    fn syntax_errors_are_reported_with_a_position() {
        assert!(matches!(parse("def f(:\n  pass\n"), Err(PyParseError::Syntax { line: 1, .. })));
        assert!(parse("x = \"unterminated\n").is_err());
    }

    #[test]
    fn code_tokens_skip_strings_and_comments() {
        let parsed = parse("x = \"import os\"  # os.system\ny = f(x)\n").expect("valid");
        let tokens = parsed.code_tokens();
        assert!(tokens.contains(&"f"));
        assert!(!tokens.iter().any(|t| t.contains("os")));
        assert_eq!(parsed.string_literals(), vec!["\"import os\""]);
    }
}
