//! What is checked on a query's text, before it is parsed: its size in tokens and directives, so
//! that the parser's work is bounded, and the uniqueness of input object fields (spec §5.6.3),
//! which the parser cannot check because it keeps only the last of two equal keys.

use std::collections::HashSet;

/// Why a query's text was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextProblem {
    /// More tokens than allowed.
    TooManyTokens { limit: usize },
    /// More directives than allowed.
    TooManyDirectives { limit: usize },
    /// An input object literal names a field twice.
    DuplicateInputField {
        name: String,
        line: usize,
        column: usize,
    },
}

/// A token of GraphQL's lexical grammar, as far as these checks need one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token<'a> {
    /// `{`, `}`, `(`, `)`, `[`, `]`, `:`, `$`, `@`, `=`, `!`, `|`, `&` and `...`.
    Punctuator(char),
    Name(&'a str),
    /// A number, a string or a block string.
    Literal,
}

/// What an open bracket opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Frame {
    SelectionSet,
    /// Arguments, variable definitions or a directive's arguments: values follow names there.
    Parentheses,
    List,
    /// An input object literal, with the keys seen so far and whether a value comes next.
    Object,
}

/// Checks `text` for the limits and for repeated input object fields, and counts its tokens. A
/// text that does not even tokenise is left to the parser, which says what is wrong with it.
pub fn check(text: &str, max_tokens: usize, max_directives: usize) -> Result<usize, TextProblem> {
    let mut tokens = 0usize;
    let mut directives = 0usize;
    let mut frames: Vec<Frame> = Vec::new();
    // For each open object literal: the keys seen, and whether the next name is a key.
    let mut objects: Vec<(HashSet<&str>, bool)> = Vec::new();
    for (token, offset) in Tokens::new(text) {
        tokens += 1;
        if tokens > max_tokens {
            return Err(TextProblem::TooManyTokens { limit: max_tokens });
        }
        match token {
            Token::Punctuator('@') => {
                directives += 1;
                if directives > max_directives {
                    return Err(TextProblem::TooManyDirectives {
                        limit: max_directives,
                    });
                }
            }
            Token::Punctuator('{') => {
                // In value position (inside parentheses, a list or an object) a brace opens an
                // object literal; anywhere else, a selection set.
                let object = matches!(
                    frames.last(),
                    Some(Frame::Parentheses | Frame::List | Frame::Object)
                );
                if object {
                    frames.push(Frame::Object);
                    objects.push((HashSet::new(), true));
                } else {
                    frames.push(Frame::SelectionSet);
                }
            }
            Token::Punctuator('(') => frames.push(Frame::Parentheses),
            Token::Punctuator('[') => frames.push(Frame::List),
            Token::Punctuator('}' | ')' | ']') => {
                if frames.pop() == Some(Frame::Object) {
                    objects.pop();
                }
                value_done(&frames, &mut objects);
            }
            Token::Name(name) if frames.last() == Some(&Frame::Object) => {
                let Some((keys, expecting_key)) = objects.last_mut() else {
                    continue;
                };
                if *expecting_key {
                    if !keys.insert(name) {
                        let (line, column) = position(text, offset);
                        return Err(TextProblem::DuplicateInputField {
                            name: name.to_owned(),
                            line,
                            column,
                        });
                    }
                    *expecting_key = false;
                } else {
                    // An enum value, `true`, `false`, `null` or a variable's name (after `$`):
                    // the value is complete.
                    *expecting_key = true;
                }
            }
            Token::Literal if frames.last() == Some(&Frame::Object) => {
                if let Some((_, expecting_key)) = objects.last_mut() {
                    *expecting_key = true;
                }
            }
            _ => {}
        }
    }
    Ok(tokens)
}

/// A nested value inside an object literal ended: the object expects its next key.
fn value_done(frames: &[Frame], objects: &mut [(HashSet<&str>, bool)]) {
    if frames.last() == Some(&Frame::Object)
        && let Some((_, expecting_key)) = objects.last_mut()
    {
        *expecting_key = true;
    }
}

/// The 1-based line and column of the byte `offset` of `text`, counted in characters.
fn position(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .map_or(0, |line| line.chars().count())
        + 1;
    (line, column)
}

/// The tokens of a text with their byte offsets; ignored tokens (white space, commas, comments)
/// are skipped. Ends early at a character that starts no token.
struct Tokens<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Tokens<'a> {
    fn new(text: &'a str) -> Self {
        Self { text, at: 0 }
    }

    fn rest(&self) -> &'a str {
        &self.text[self.at..]
    }
}

impl<'a> Iterator for Tokens<'a> {
    type Item = (Token<'a>, usize);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let rest = self.rest();
            let c = rest.chars().next()?;
            match c {
                ' ' | '\t' | '\n' | '\r' | ',' | '\u{feff}' => self.at += c.len_utf8(),
                '#' => self.at += rest.find('\n').unwrap_or(rest.len()),
                _ => break,
            }
        }
        let start = self.at;
        let rest = self.rest();
        let c = rest.chars().next()?;
        let (token, length) = match c {
            '{' | '}' | '(' | ')' | '[' | ']' | ':' | '$' | '@' | '=' | '!' | '|' | '&' => {
                (Token::Punctuator(c), 1)
            }
            '.' if rest.starts_with("...") => (Token::Punctuator('.'), 3),
            '"' if rest.starts_with("\"\"\"") => (Token::Literal, block_string_length(rest)?),
            '"' => (Token::Literal, string_length(rest)?),
            '-' | '0'..='9' => (Token::Literal, number_length(rest)),
            c if c == '_' || c.is_ascii_alphabetic() => {
                let length = rest
                    .find(|c: char| !(c == '_' || c.is_ascii_alphanumeric()))
                    .unwrap_or(rest.len());
                (Token::Name(&rest[..length]), length)
            }
            _ => return None,
        };
        self.at += length;
        Some((token, start))
    }
}

/// The length of the string starting `rest` (with its quotes); `None` when it does not end on
/// its line.
fn string_length(rest: &str) -> Option<usize> {
    let mut escaped = false;
    for (index, c) in rest.char_indices().skip(1) {
        match c {
            '\n' | '\r' => return None,
            '\\' if !escaped => escaped = true,
            '"' if !escaped => return Some(index + 1),
            _ => escaped = false,
        }
    }
    None
}

/// The length of the block string starting `rest`; `None` when it does not end.
fn block_string_length(rest: &str) -> Option<usize> {
    let body = &rest[3..];
    let mut from = 0;
    loop {
        let end = body[from..].find("\"\"\"")? + from;
        // `\"""` is an escaped triple quote inside the block.
        if body[..end].ends_with('\\') {
            from = end + 3;
            continue;
        }
        return Some(3 + end + 3);
    }
}

/// The length of the number starting `rest`.
fn number_length(rest: &str) -> usize {
    rest.find(|c: char| !(c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E')))
        .unwrap_or(rest.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checked(text: &str) -> Result<usize, TextProblem> {
        check(text, 1_000, 20)
    }

    #[test]
    fn a_field_named_twice_in_an_input_object_is_found_where_it_is() {
        assert_eq!(
            checked("{ adminUnits(filter: {level: COMMUNITY,\n level: GRID}) { totalCount } }"),
            Err(TextProblem::DuplicateInputField {
                name: "level".to_owned(),
                line: 2,
                column: 2
            })
        );
    }

    #[test]
    fn nested_objects_lists_variables_and_selections_keep_their_own_keys() {
        let text = r#"query($a: X = {a: 1, b: {a: 2}}) {
            x(input: {a: $a, b: [{a: 1, c: "a: {"}, {a: 2}], c: null, d: ENUM}) { a b }
            y: x(input: {a: """block "quoted" a""", b: -1.5e3}) { a a }
        }"#;
        assert!(checked(text).is_ok());
    }

    #[test]
    fn repeated_keys_after_nested_values_are_found() {
        assert!(matches!(
            checked("{ x(input: {a: {b: 1}, c: [1, 2], a: 3}) }"),
            Err(TextProblem::DuplicateInputField { name, .. }) if name == "a"
        ));
        assert!(matches!(
            checked("{ x(input: {a: $v, a: $w}) }"),
            Err(TextProblem::DuplicateInputField { name, .. }) if name == "a"
        ));
    }

    #[test]
    fn the_parsers_work_is_bounded() {
        let many = format!("{{ __typename {} }}", "@include(if: true) ".repeat(25));
        assert_eq!(
            checked(&many),
            Err(TextProblem::TooManyDirectives { limit: 20 })
        );
        let long = format!("{{ {} }}", "a ".repeat(2_000));
        assert_eq!(
            checked(&long),
            Err(TextProblem::TooManyTokens { limit: 1_000 })
        );
    }

    #[test]
    fn comments_and_commas_are_no_tokens() {
        // `{ x ( input : { a : 1 b : 2 } ) }`
        assert_eq!(
            checked("# {a: 1, a: 2}\n{ x(input: {a: 1,,, b: 2}) }"),
            Ok(15)
        );
    }
}
