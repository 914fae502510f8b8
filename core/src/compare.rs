//! Probe comparators, typed: a comparator is parsed once (criteria fits the type, the expected value is a
//! number where it must be, the pattern is supported) and then compares observed values (a prom result,
//! a cmd output) without re-reading itself.

use alloc::format;
use alloc::string::{String, ToString};
use chaoscenter_crds::workflow::{Comparator, ComparatorType, Criteria};
use core::cmp::Ordering;

/// The longest observed value quoted in full in a message; longer ones are cut with `…`.
pub const MAX_QUOTED_CHARS: usize = 200;

/// A parsed comparator.
///
/// - `int` and `float`: both sides are read as numbers (surrounding whitespace ignored; an `int` also
///   accepts an integral float such as `3.0`, as Prometheus may print one). Criteria `==`, `!=`, `>`,
///   `<`, `>=`, `<=`, and `equal` / `notEqual` as synonyms of `==` / `!=`. A float NaN compares unequal
///   to everything (only `!=` holds).
/// - `string`: criteria `==` / `equal`, `!=` / `notEqual`, `contains` and `matches`.
///
/// `matches` is not a full regular expression: the pattern is literal text, anchored at the start when
/// it begins with `^` and at the end when it ends with `$`, and otherwise found anywhere. Other
/// regular-expression syntax (`.`, `*`, `+`, `?`, `|`, `(`, `)`, `[`, `]`, `{`, `}`, `^` or `$` elsewhere,
/// and classes such as `\d`) is rejected rather than read literally, so that every accepted pattern means
/// the same as it would as a real regular expression; escape such a character with `\` (e.g. `v1\.2`).
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    kind: Kind,
    criteria: Criteria,
    type_: ComparatorType,
    expected: String,
}

#[derive(Clone, Debug, PartialEq)]
enum Kind {
    Int(NumOp, i64),
    Float(NumOp, f64),
    Text(TextOp),
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum TextOp {
    Equal,
    NotEqual,
    Contains,
    Matches(Pattern),
}

impl Comparison {
    /// Parses a comparator. Errors: a criteria that does not apply to the type, an expected value that
    /// is not a number of the type, an unsupported pattern.
    pub fn parse(comparator: &Comparator) -> Result<Self, String> {
        let kind = match comparator.type_ {
            ComparatorType::Int => Kind::Int(NumOp::of(comparator)?, parse_int(&comparator.value)?),
            ComparatorType::Float => Kind::Float(NumOp::of(comparator)?, parse_float(&comparator.value)?),
            ComparatorType::String => Kind::Text(match comparator.criteria {
                Criteria::Eq | Criteria::Equal => TextOp::Equal,
                Criteria::Ne | Criteria::NotEqual => TextOp::NotEqual,
                Criteria::Contains => TextOp::Contains,
                Criteria::Matches => TextOp::Matches(Pattern::parse(&comparator.value)?),
                Criteria::Gt | Criteria::Lt | Criteria::Ge | Criteria::Le => {
                    return Err(format!(
                        "criteria {} compares numbers: use type int or float, or a string criteria \
                         (==, !=, equal, notEqual, contains, matches)",
                        criteria_text(comparator.criteria)
                    ))
                }
            }),
        };
        Ok(Self {
            kind,
            criteria: comparator.criteria,
            type_: comparator.type_,
            expected: comparator.value.clone(),
        })
    }

    /// Whether `observed` satisfies the comparison; an error when it is not a number of the type.
    pub fn holds(&self, observed: &str) -> Result<bool, String> {
        let observed_error = |e: String| format!("observed {e}");
        match &self.kind {
            Kind::Int(op, expected) => {
                let observed = parse_int(observed).map_err(observed_error)?;
                Ok(op.holds(Some(observed.cmp(expected))))
            }
            Kind::Float(op, expected) => {
                let observed = parse_float(observed).map_err(observed_error)?;
                Ok(op.holds(observed.partial_cmp(expected)))
            }
            Kind::Text(TextOp::Equal) => Ok(observed == self.expected),
            Kind::Text(TextOp::NotEqual) => Ok(observed != self.expected),
            Kind::Text(TextOp::Contains) => Ok(observed.contains(self.expected.as_str())),
            Kind::Text(TextOp::Matches(pattern)) => Ok(pattern.is_match(observed)),
        }
    }

    /// Describes a comparison for a probe's message, e.g. `value 0.7 > 0.5` when it held, or
    /// `value 0.3, expected > 0.5` when it did not. `what` names the observed value ("value", "output").
    pub fn describe(&self, what: &str, observed: &str, held: bool) -> String {
        let observed = quote(observed, self.type_);
        let expected = quote(&self.expected, self.type_);
        let criteria = criteria_text(self.criteria);
        if held {
            format!("{what} {observed} {criteria} {expected}")
        } else {
            format!("{what} {observed}, expected {criteria} {expected}")
        }
    }
}

/// The criteria as written in a workflow (`==`, `notEqual`, …).
pub fn criteria_text(criteria: Criteria) -> &'static str {
    match criteria {
        Criteria::Eq => "==",
        Criteria::Ne => "!=",
        Criteria::Gt => ">",
        Criteria::Lt => "<",
        Criteria::Ge => ">=",
        Criteria::Le => "<=",
        Criteria::Equal => "equal",
        Criteria::NotEqual => "notEqual",
        Criteria::Contains => "contains",
        Criteria::Matches => "matches",
    }
}

/// Numbers as they are; strings in double quotes, cut to [`MAX_QUOTED_CHARS`].
fn quote(text: &str, type_: ComparatorType) -> String {
    let cut = cut(text, MAX_QUOTED_CHARS);
    match type_ {
        ComparatorType::Int | ComparatorType::Float => cut,
        ComparatorType::String => format!("{cut:?}"),
    }
}

/// `text` cut to `max` characters, with `…` when cut.
pub fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_string(),
    }
}

/// A numeric comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NumOp {
    Eq,
    Ne,
    Gt,
    Lt,
    Ge,
    Le,
}

impl NumOp {
    fn of(comparator: &Comparator) -> Result<Self, String> {
        match comparator.criteria {
            Criteria::Eq | Criteria::Equal => Ok(Self::Eq),
            Criteria::Ne | Criteria::NotEqual => Ok(Self::Ne),
            Criteria::Gt => Ok(Self::Gt),
            Criteria::Lt => Ok(Self::Lt),
            Criteria::Ge => Ok(Self::Ge),
            Criteria::Le => Ok(Self::Le),
            Criteria::Contains | Criteria::Matches => Err(format!(
                "criteria {} compares strings: use type string, or a number criteria \
                 (==, !=, >, <, >=, <=)",
                criteria_text(comparator.criteria)
            )),
        }
    }

    /// Whether the comparison holds given how observed orders against expected (`None`: unordered,
    /// i.e. a NaN is involved).
    fn holds(self, ordering: Option<Ordering>) -> bool {
        match (self, ordering) {
            (Self::Ne, None) => true,
            (_, None) => false,
            (Self::Eq, Some(o)) => o == Ordering::Equal,
            (Self::Ne, Some(o)) => o != Ordering::Equal,
            (Self::Gt, Some(o)) => o == Ordering::Greater,
            (Self::Lt, Some(o)) => o == Ordering::Less,
            (Self::Ge, Some(o)) => o != Ordering::Less,
            (Self::Le, Some(o)) => o != Ordering::Greater,
        }
    }
}

/// 2^63, exactly representable: the bounds of an i64 as floats.
const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;

/// Reads an int; an integral float in range (`3.0`, `1e3`) is accepted too.
fn parse_int(text: &str) -> Result<i64, String> {
    let trimmed = text.trim();
    if let Ok(value) = trimmed.parse::<i64>() {
        return Ok(value);
    }
    match trimmed.parse::<f64>() {
        Ok(value) if (-TWO_POW_63..TWO_POW_63).contains(&value) && (value as i64) as f64 == value => {
            Ok(value as i64)
        }
        _ => Err(format!("value {:?} is not an int", cut(text, MAX_QUOTED_CHARS))),
    }
}

/// Reads a float (`0.5`, `1e-3`, `NaN`, `+Inf` as Prometheus prints them).
fn parse_float(text: &str) -> Result<f64, String> {
    text.trim().parse::<f64>().map_err(|_| format!("value {:?} is not a float", cut(text, MAX_QUOTED_CHARS)))
}

/// A `matches` pattern: literal text with optional `^` / `$` anchors.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Pattern {
    start: bool,
    end: bool,
    literal: String,
}

impl Pattern {
    fn parse(pattern: &str) -> Result<Self, String> {
        let unsupported = |what: &str| {
            Err(format!(
                "pattern {pattern:?}: {what} is not supported; matches takes literal text, optionally \
                 anchored with ^ at the start and $ at the end (escape special characters with \\)"
            ))
        };
        let (start, body) = match pattern.strip_prefix('^') {
            Some(rest) => (true, rest),
            None => (false, pattern),
        };
        let mut literal = String::with_capacity(body.len());
        let mut end = false;
        let mut chars = body.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some(escaped) if escaped.is_ascii_punctuation() => literal.push(escaped),
                    Some(escaped) => return unsupported(&format!("the escape \\{escaped}")),
                    None => return unsupported("a trailing \\"),
                },
                '$' if chars.peek().is_none() => end = true,
                '.' | '*' | '+' | '?' | '|' | '(' | ')' | '[' | ']' | '{' | '}' | '^' | '$' => {
                    return unsupported(&format!("the regular-expression syntax {c:?}"));
                }
                _ => literal.push(c),
            }
        }
        Ok(Self { start, end, literal })
    }

    fn is_match(&self, text: &str) -> bool {
        match (self.start, self.end) {
            (true, true) => text == self.literal,
            (true, false) => text.starts_with(&self.literal),
            (false, true) => text.ends_with(&self.literal),
            (false, false) => text.contains(&self.literal),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::format;

    fn compare(observed: &str, comparator: &Comparator) -> Result<bool, String> {
        Comparison::parse(comparator)?.holds(observed)
    }

    fn validate(comparator: &Comparator) -> Result<(), String> {
        Comparison::parse(comparator).map(drop)
    }

    fn describe(what: &str, observed: &str, comparator: &Comparator, held: bool) -> String {
        Comparison::parse(comparator).unwrap().describe(what, observed, held)
    }

    fn cmp(type_: ComparatorType, criteria: Criteria, value: &str) -> Comparator {
        Comparator { type_, criteria, value: value.into() }
    }

    fn check(observed: &str, type_: ComparatorType, criteria: Criteria, value: &str) -> bool {
        compare(observed, &cmp(type_, criteria, value))
            .unwrap_or_else(|e| panic!("{observed:?} {criteria:?} {value:?}: {e}"))
    }

    fn error(observed: &str, type_: ComparatorType, criteria: Criteria, value: &str) -> String {
        compare(observed, &cmp(type_, criteria, value)).expect_err("an error")
    }

    const NUMBER_CRITERIA: [Criteria; 8] = [
        Criteria::Eq,
        Criteria::Ne,
        Criteria::Gt,
        Criteria::Lt,
        Criteria::Ge,
        Criteria::Le,
        Criteria::Equal,
        Criteria::NotEqual,
    ];

    /// Expected results of every number criteria for observed less than, equal to and greater than
    /// the expected value.
    fn expected_table(criteria: Criteria) -> [bool; 3] {
        match criteria {
            Criteria::Eq | Criteria::Equal => [false, true, false],
            Criteria::Ne | Criteria::NotEqual => [true, false, true],
            Criteria::Gt => [false, false, true],
            Criteria::Lt => [true, false, false],
            Criteria::Ge => [false, true, true],
            Criteria::Le => [true, true, false],
            Criteria::Contains | Criteria::Matches => unreachable!(),
        }
    }

    #[test]
    fn int_criteria_against_less_equal_greater() {
        for criteria in NUMBER_CRITERIA {
            let got = ["4", "5", "6"].map(|o| check(o, ComparatorType::Int, criteria, "5"));
            assert_eq!(got, expected_table(criteria), "{criteria:?}");
        }
    }

    #[test]
    fn float_criteria_against_less_equal_greater() {
        for criteria in NUMBER_CRITERIA {
            let got = ["0.49", "0.5", "0.51"].map(|o| check(o, ComparatorType::Float, criteria, "0.5"));
            assert_eq!(got, expected_table(criteria), "{criteria:?}");
        }
    }

    #[test]
    fn negative_and_large_ints_compare_as_numbers_not_text() {
        assert!(check("-10", ComparatorType::Int, Criteria::Lt, "-9"));
        assert!(check("10", ComparatorType::Int, Criteria::Gt, "9"));
        assert!(check("9223372036854775807", ComparatorType::Int, Criteria::Gt, "9223372036854775806"));
    }

    #[test]
    fn numbers_ignore_surrounding_whitespace() {
        assert!(check(" 3\n", ComparatorType::Int, Criteria::Eq, "3 "));
        assert!(check("\t0.25 ", ComparatorType::Float, Criteria::Eq, " 0.25"));
    }

    #[test]
    fn int_accepts_integral_floats_and_rejects_fractions() {
        assert!(check("3.0", ComparatorType::Int, Criteria::Eq, "3"));
        assert!(check("1e3", ComparatorType::Int, Criteria::Eq, "1000"));
        let e = error("3.5", ComparatorType::Int, Criteria::Eq, "3");
        assert!(e.contains("observed value \"3.5\" is not an int"), "{e}");
        let e = error("1e300", ComparatorType::Int, Criteria::Eq, "3");
        assert!(e.contains("is not an int"), "{e}");
        let e = error("NaN", ComparatorType::Int, Criteria::Eq, "3");
        assert!(e.contains("is not an int"), "{e}");
    }

    #[test]
    fn float_accepts_exponents_infinities_and_ints() {
        assert!(check("1e-3", ComparatorType::Float, Criteria::Eq, "0.001"));
        assert!(check("+Inf", ComparatorType::Float, Criteria::Gt, "1e308"));
        assert!(check("-Inf", ComparatorType::Float, Criteria::Lt, "-1e308"));
        assert!(check("2", ComparatorType::Float, Criteria::Eq, "2.0"));
    }

    #[test]
    fn nan_is_unequal_to_everything() {
        for criteria in NUMBER_CRITERIA {
            let want = matches!(criteria, Criteria::Ne | Criteria::NotEqual);
            assert_eq!(check("NaN", ComparatorType::Float, criteria, "1"), want, "{criteria:?}");
            assert_eq!(check("NaN", ComparatorType::Float, criteria, "NaN"), want, "{criteria:?}");
        }
    }

    #[test]
    fn unparseable_numbers_are_errors_naming_the_side() {
        let e = error("abc", ComparatorType::Int, Criteria::Eq, "1");
        assert_eq!(e, "observed value \"abc\" is not an int");
        let e = error("1", ComparatorType::Int, Criteria::Eq, "one");
        assert_eq!(e, "value \"one\" is not an int");
        let e = error("", ComparatorType::Float, Criteria::Gt, "1");
        assert_eq!(e, "observed value \"\" is not a float");
        let e = error("1.5", ComparatorType::Float, Criteria::Gt, "1,5");
        assert_eq!(e, "value \"1,5\" is not a float");
    }

    #[test]
    fn long_unparseable_values_are_cut_in_errors() {
        let long = "x".repeat(1000);
        let e = error(&long, ComparatorType::Float, Criteria::Eq, "1");
        assert!(e.len() < 300, "{e}");
        assert!(e.contains('…'), "{e}");
    }

    #[test]
    fn string_criteria_on_numbers_are_errors() {
        for criteria in [Criteria::Contains, Criteria::Matches] {
            for type_ in [ComparatorType::Int, ComparatorType::Float] {
                let e = error("1", type_, criteria, "1");
                assert!(e.contains("compares strings: use type string"), "{e}");
            }
        }
    }

    #[test]
    fn string_equality() {
        for criteria in [Criteria::Eq, Criteria::Equal] {
            assert!(check("ok", ComparatorType::String, criteria, "ok"));
            assert!(!check("ok ", ComparatorType::String, criteria, "ok"));
            assert!(!check("OK", ComparatorType::String, criteria, "ok"));
        }
        for criteria in [Criteria::Ne, Criteria::NotEqual] {
            assert!(!check("ok", ComparatorType::String, criteria, "ok"));
            assert!(check("ko", ComparatorType::String, criteria, "ok"));
        }
        assert!(check("", ComparatorType::String, Criteria::Equal, ""));
    }

    #[test]
    fn strings_equal_as_text_not_as_numbers() {
        assert!(!check("1.0", ComparatorType::String, Criteria::Eq, "1"));
    }

    #[test]
    fn string_contains() {
        assert!(check("status: ready", ComparatorType::String, Criteria::Contains, "ready"));
        assert!(!check("status: READY", ComparatorType::String, Criteria::Contains, "ready"));
        assert!(check("anything", ComparatorType::String, Criteria::Contains, ""));
    }

    #[test]
    fn number_criteria_on_strings_are_errors() {
        for criteria in [Criteria::Gt, Criteria::Lt, Criteria::Ge, Criteria::Le] {
            let e = error("b", ComparatorType::String, criteria, "a");
            assert!(e.contains("compares numbers: use type int or float"), "{e}");
        }
    }

    fn matches(observed: &str, pattern: &str) -> bool {
        check(observed, ComparatorType::String, Criteria::Matches, pattern)
    }

    #[test]
    fn matches_unanchored_is_a_substring() {
        assert!(matches("status: ready now", "ready"));
        assert!(!matches("status: pending", "ready"));
        assert!(matches("anything", ""));
    }

    #[test]
    fn matches_anchored_at_start_end_or_both() {
        assert!(matches("ready now", "^ready"));
        assert!(!matches("not ready", "^ready"));
        assert!(matches("not ready", "ready$"));
        assert!(!matches("ready now", "ready$"));
        assert!(matches("ready", "^ready$"));
        assert!(!matches("ready!", "^ready$"));
        assert!(!matches("!ready", "^ready$"));
        assert!(matches("", "^$"));
        assert!(!matches("x", "^$"));
        assert!(matches("x", "^"));
        assert!(matches("x", "$"));
    }

    #[test]
    fn matches_escapes_are_literal() {
        assert!(matches("version v1.2 up", r"v1\.2"));
        assert!(!matches("version v1x2 up", r"v1\.2"));
        assert!(matches("cost $5", r"\$5$"));
        assert!(matches("ends with $", r"\$$"));
        assert!(matches("ends with $", r"with \$"));
        assert!(matches("^start", r"^\^start"));
        assert!(matches(r"a\b", r"^a\\b$"));
    }

    #[test]
    fn matches_rejects_regular_expression_syntax() {
        for pattern in
            ["a.b", "a*", "a+", "a?", "200|204", "(a)", "[0-9]", "a{2}", "a^b", "a$b", r"\d+", r"\w", r"a\"]
        {
            let e = error("x", ComparatorType::String, Criteria::Matches, pattern);
            assert!(e.contains("is not supported"), "{pattern}: {e}");
            assert!(e.contains(&format!("{pattern:?}")), "{pattern}: {e}");
        }
    }

    #[test]
    fn matches_handles_non_ascii_text() {
        assert!(matches("état: prêt ✓", "prêt ✓$"));
        assert!(matches("état: prêt ✓", "^état"));
    }

    #[test]
    fn validate_accepts_good_comparators() {
        for criteria in NUMBER_CRITERIA {
            validate(&cmp(ComparatorType::Int, criteria, "3")).unwrap();
            validate(&cmp(ComparatorType::Float, criteria, "0.5")).unwrap();
        }
        for criteria in [
            Criteria::Eq,
            Criteria::Ne,
            Criteria::Equal,
            Criteria::NotEqual,
            Criteria::Contains,
            Criteria::Matches,
        ] {
            validate(&cmp(ComparatorType::String, criteria, "^ok$")).unwrap();
        }
    }

    #[test]
    fn validate_rejects_what_compare_would() {
        let e = validate(&cmp(ComparatorType::Int, Criteria::Eq, "x")).unwrap_err();
        assert_eq!(e, "value \"x\" is not an int");
        let e = validate(&cmp(ComparatorType::Float, Criteria::Eq, "")).unwrap_err();
        assert_eq!(e, "value \"\" is not a float");
        let e = validate(&cmp(ComparatorType::Float, Criteria::Contains, "1")).unwrap_err();
        assert!(e.contains("compares strings"), "{e}");
        let e = validate(&cmp(ComparatorType::String, Criteria::Gt, "a")).unwrap_err();
        assert!(e.contains("compares numbers"), "{e}");
        let e = validate(&cmp(ComparatorType::String, Criteria::Matches, "a|b")).unwrap_err();
        assert!(e.contains("is not supported"), "{e}");
    }

    #[test]
    fn describe_held_and_not_held() {
        let c = cmp(ComparatorType::Float, Criteria::Gt, "0.5");
        assert_eq!(describe("value", "0.7", &c, true), "value 0.7 > 0.5");
        assert_eq!(describe("value", "0.3", &c, false), "value 0.3, expected > 0.5");
        let c = cmp(ComparatorType::String, Criteria::Contains, "ok");
        assert_eq!(describe("output", "all ok", &c, true), "output \"all ok\" contains \"ok\"");
        assert_eq!(
            describe("output", "fail\nnow", &c, false),
            "output \"fail\\nnow\", expected contains \"ok\""
        );
    }

    #[test]
    fn describe_cuts_long_output() {
        let c = cmp(ComparatorType::String, Criteria::Equal, "ok");
        let message = describe("output", &"y".repeat(10_000), &c, false);
        assert!(message.chars().count() < MAX_QUOTED_CHARS + 40, "{message}");
        assert!(message.contains('…'), "{message}");
    }

    #[test]
    fn criteria_text_matches_the_serialized_form() {
        for criteria in [
            Criteria::Eq,
            Criteria::Ne,
            Criteria::Gt,
            Criteria::Lt,
            Criteria::Ge,
            Criteria::Le,
            Criteria::Equal,
            Criteria::NotEqual,
            Criteria::Contains,
            Criteria::Matches,
        ] {
            let json = serde_json::to_value(criteria).unwrap();
            assert_eq!(json.as_str(), Some(criteria_text(criteria)));
        }
    }
}
