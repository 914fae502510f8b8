//! How deep a workflow's YAML nests flow collections (`[...]`, `{...}`), bounded before it is parsed:
//! libyaml (under serde_yaml) spends time on every token that grows with the nesting depth, so 250 KB of
//! `[` kept a worker busy for a minute and a half (in an optimized build), where no request timeout can
//! interrupt it.

/// The deepest flow-collection nesting a workflow's YAML may have (as [`depth_bound`] counts): real
/// workflows nest a few, and at this depth parsing the largest YAML accepted takes a fraction of a second.
pub const MAX_FLOW_DEPTH: usize = 512;

/// An upper bound of how deep `text`'s flow collections nest, in one pass without parsing.
///
/// Every `[` and `{` counts as an opening. A `]` or `}` counts as a closing unless it may be inside a
/// quoted scalar, a comment, a tag or a directive, where libyaml reads it as text: those can start only
/// where a token can (at the start, after a blank, a line break, an indicator or a quote) and are taken
/// to reach as far as they possibly could. Anywhere else a closing bracket ends a flow collection (in one,
/// a plain scalar ends before it) or is plain text outside any, where the count is 0 anyway. So the count
/// never falls below the real depth; it exceeds it only by the brackets inside quoted text and comments.
pub fn depth_bound(text: &str) -> usize {
    let b = text.as_bytes();
    let n = b.len();
    let token_start = |i: usize| {
        i == 0
            || matches!(
                b[i - 1],
                b' ' | b'\t' | b'\r' | b'\n' | b'[' | b']' | b'{' | b'}' | b',' | b':' | b'?' | b'"' | b'\''
                // the last byte of a BOM and of the line breaks NEL, LS and PS (and of other characters)
                | 0x85 | 0xA8 | 0xA9 | 0xBF
            )
    };
    let line_start = |i: usize| i == 0 || matches!(b[i - 1], b'\r' | b'\n' | 0x85 | 0xA8 | 0xA9);
    let (mut depth, mut deepest) = (0usize, 0usize);
    // positions before this may be inside quoted text, a comment, a tag or a directive
    let mut covered_to = 0usize;
    // what earlier searches found, so that no stretch is searched twice: the next line break, the next
    // blank, and the next run of `'` of odd length (start, end) — an even run is only escaped quotes
    let (mut line_break, mut blank, mut odd_quotes) = (None::<usize>, None::<usize>, None::<(usize, usize)>);
    let mut i = 0;
    while i < n {
        let reach = match b[i] {
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
                None
            }
            b']' | b'}' if i >= covered_to => {
                depth = depth.saturating_sub(1);
                None
            }
            b'"' if token_start(i) => {
                // to the next `"` not escaped by an odd run of backslashes (no later `"` that starts a
                // scalar is escaped, so these searches never overlap)
                let mut j = i + 1;
                let mut backslashes = 0usize;
                while j < n && !(b[j] == b'"' && backslashes % 2 == 0) {
                    backslashes = if b[j] == b'\\' { backslashes + 1 } else { 0 };
                    j += 1;
                }
                Some(j)
            }
            b'\'' => {
                // a run of quotes: after the first, each follows a quote, so any may start a scalar,
                // which ends at the last quote of the next run of odd length
                let mut last = i;
                while last + 1 < n && b[last + 1] == b'\'' {
                    last += 1;
                }
                let starts = token_start(i) || last > i;
                if starts && odd_quotes.is_none_or(|(start, _)| last >= start) {
                    let mut found = (n, n);
                    let mut j = last + 1;
                    while j < n {
                        if b[j] == b'\'' {
                            let first = j;
                            while j + 1 < n && b[j + 1] == b'\'' {
                                j += 1;
                            }
                            if (j - first) % 2 == 0 {
                                found = (first, j);
                                break;
                            }
                        }
                        j += 1;
                    }
                    odd_quotes = Some(found);
                }
                i = last;
                starts.then(|| odd_quotes.map_or(n, |(_, end)| end))
            }
            b'#' | b'!' if token_start(i) => {
                let stop = if b[i] == b'#' { &mut line_break } else { &mut blank };
                let end = match *stop {
                    Some(at) if at >= i => at,
                    _ => {
                        let is_stop =
                            |c: u8| c == b'\n' || (b[i] == b'!' && matches!(c, b' ' | b'\t' | b'\r'));
                        (i + 1..n).find(|&j| is_stop(b[j])).unwrap_or(n)
                    }
                };
                *stop = Some(end);
                Some(end)
            }
            b'%' if line_start(i) => {
                let end = match line_break {
                    Some(at) if at >= i => at,
                    _ => (i + 1..n).find(|&j| b[j] == b'\n').unwrap_or(n),
                };
                line_break = Some(end);
                Some(end)
            }
            _ => None,
        };
        if let Some(end) = reach {
            covered_to = covered_to.max(end + 1);
        }
        i += 1;
    }
    deepest
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// How deep a value nests sequences and mappings.
    fn depth(value: &serde_yaml::Value) -> usize {
        match value {
            serde_yaml::Value::Sequence(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
            serde_yaml::Value::Mapping(map) => {
                1 + map.iter().map(|(k, v)| depth(k).max(depth(v))).max().unwrap_or(0)
            }
            serde_yaml::Value::Tagged(tagged) => depth(&tagged.value),
            _ => 0,
        }
    }

    /// Flow YAML: collections inside each other, with scalars that hold brackets in every way YAML
    /// allows (quoted, escaped, after a tag, in comments) between the items.
    fn flow_yaml() -> impl Strategy<Value = String> {
        let scalar = prop::sample::select(vec![
            "a",
            "'[]}'",
            "'it''s ]'",
            r#""]\"]""#,
            "!t b",
            r##""#]""##,
            r#"'"]'"#,
            r#""'""#,
            "b#c",
            "&x d",
            "'}{'",
            r#""\\""#,
        ])
        .prop_map(String::from);
        scalar.prop_recursive(12, 200, 4, |inner| {
            let separator = prop::sample::select(vec![", ", ",", " # ]}\n, ", ",\n ", " #'\n,"]);
            (proptest::collection::vec((inner, separator), 0..4), any::<bool>()).prop_map(|(items, map)| {
                let body: String = items
                    .iter()
                    .enumerate()
                    .map(|(i, (item, sep))| if i == 0 { item.clone() } else { format!("{sep}{item}") })
                    .collect();
                if map {
                    format!("{{{body}}}")
                } else {
                    format!("[{body}]")
                }
            })
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 20_000,
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        /// Text that is one flow sequence (without `key: value` pairs, which make mappings of no flow
        /// level) holds only flow collections, so the depth of what serde_yaml reads is their nesting:
        /// the bound is never below it, whatever quotes, escapes, comments, tags and anchors are in the
        /// way — in valid flow YAML, and in that YAML with pieces of YAML syntax put in anywhere.
        #[test]
        fn the_bound_is_never_below_the_nesting_serde_yaml_reads(
            yaml in flow_yaml(),
            inserts in proptest::collection::vec((any::<prop::sample::Index>(), prop::sample::select(vec![
                "[", "]", "{", "}", ",", "\"", "'", "''", "\\", "#", "!", " ", "\n", "&x ", "*x", "%",
            ])), 0..3),
        ) {
            let mut text = format!("[{yaml}]");
            for (at, piece) in inserts {
                let at = at.index(text.len() + 1);
                if text.is_char_boundary(at) {
                    text.insert_str(at, piece);
                }
            }
            let read = serde_yaml::from_str::<serde_yaml::Value>(&text);
            // an alias (`*x`) is one token to libyaml, whose cost the bound is about, but serde_yaml
            // expands it into a copy of its anchored collection, which nests deeper than the text: the
            // nesting compared is that of the same text with each alias a plain scalar
            let unaliased = text.replace("*x", "y");
            let plain = serde_yaml::from_str::<serde_yaml::Value>(&unaliased);
            if let (Ok(serde_yaml::Value::Sequence(_)), Ok(value)) = (read, plain) {
                let (bound, nesting) = (depth_bound(&text), depth(&value));
                prop_assert!(bound >= nesting, "{:?}: bound {} < {}", text, bound, nesting);
            }
        }
    }

    #[test]
    fn an_alias_counts_as_the_one_token_it_is() {
        // serde_yaml reads `*x` as a copy of `[]`: nesting 4, from text that nests 3
        let text = "[[[!t b],&x  [],\n [*x]]]";
        let read: serde_yaml::Value = serde_yaml::from_str(text).unwrap();
        assert_eq!(depth(&read), 4);
        assert_eq!(depth_bound(text), 3);
    }

    #[test]
    fn counts_flow_collections_inside_each_other() {
        assert_eq!(depth_bound(""), 0);
        assert_eq!(
            depth_bound("spec: {steps: [{name: a, fault: {target: {selector: {matchLabels: {}}}}}]}"),
            7
        );
        assert_eq!(depth_bound("a: [1, 2]\nb: [3, [4]]\nc: {d: []}"), 2);
        assert_eq!(depth_bound(&"[".repeat(100_000)), 100_000);
        assert_eq!(depth_bound(&format!("{}{}", "[".repeat(600), "]".repeat(600))), 600);
    }

    #[test]
    fn a_closing_bracket_in_quoted_text_or_a_comment_does_not_count() {
        // each `]` here is text to libyaml: the nesting grows
        assert_eq!(depth_bound(r#"[ "]" [ "]" ["#), 3);
        assert_eq!(depth_bound(r#"["\"]", ["#), 2);
        assert_eq!(depth_bound("['a]', ['it''s]', ["), 3);
        assert_eq!(depth_bound("[ # ]\n[ # ]\n["), 3);
        assert_eq!(depth_bound("[!tag] ["), 2);
        assert_eq!(depth_bound("[ 'unterminated ] ] ["), 2);
        // a quote inside a word starts nothing: the brackets after it count as they are
        assert_eq!(depth_bound("a: don't [x]\nb: [[y]]"), 2);
        assert_eq!(depth_bound("url: http://x/#a]\nb: [[y]]"), 2);
    }

    #[test]
    fn brackets_in_quoted_text_count_only_as_openings() {
        let query = r#"query: "sum(rate(http_requests_total{code=\"500\"}[1m]))""#;
        assert_eq!(depth_bound(query), 2);
        let probes = format!("{query}\n").repeat(100);
        assert_eq!(depth_bound(&probes), 200, "below the limit for a large workflow");
    }

    #[test]
    fn finds_the_bound_in_linear_time() {
        // many quotes, comments and tags whose searches would overlap if repeated
        for text in
            [" ''".repeat(100_000), " #".repeat(100_000), " !".repeat(100_000), " \"\\\"".repeat(60_000)]
        {
            let started = std::time::Instant::now();
            depth_bound(&text);
            assert!(started.elapsed() < std::time::Duration::from_secs(5), "{:?}", started.elapsed());
        }
    }
}
