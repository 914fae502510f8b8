//! Secrets in free text (log lines, a command's output, an error that quotes a URL): what they look like,
//! and the text without them. One place for it: the hub's git errors and the run logs both go through
//! [`redact`].
//!
//! What is taken out: the userinfo of a URL (`https://user:pass@host` → `https://host`); the credential
//! after `Bearer` or `Basic`; the value of a `key=value` or `key: value` pair whose key ends with a secret's
//! name (`password`, `token`, `secret`, `api-key`, `authorization`, ...); JWT-looking strings (`eyJ….….…`) and
//! tokens with a well-known prefix (`ghp_`, `glpat-`, `xoxb-`, `AKIA`, ...). It is a heuristic that errs
//! on the side of hiding: a secret printed bare, without any of these shapes, is not recognised.

use alloc::string::String;
use alloc::vec::Vec;

/// What a secret is replaced with.
pub const REDACTED: &str = "[redacted]";

/// `text` without the secrets it seems to hold (see the module's documentation).
pub fn redact(text: &str) -> String {
    let text = userinfo(text);
    let text = schemes(&text);
    let text = pairs(&text);
    tokens(&text)
}

/// `text` with the userinfo of every URL in it removed (`https://user:pass@host` → `https://host`).
fn userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (head, tail) = rest.split_at(at + 3);
        out.push_str(head);
        let end =
            tail.find(|c: char| c.is_whitespace() || c == '/' || c == '"' || c == '\'').unwrap_or(tail.len());
        let authority = &tail[..end];
        match authority.rfind('@') {
            Some(i) => out.push_str(&authority[i + 1..]),
            None => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// Characters of a credential or token (base64, base64url, hex, the separators tokens use).
fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=' | '.' | '_' | '-' | '~')
}

/// Whether `word` looks like a credential rather than a word of prose: at least 8 token characters with a
/// digit, a separator, or a capital after the first letter (`dXNlcjpwYXNz`, not `authentication`).
fn looks_like_credential(word: &str) -> bool {
    word.chars().count() >= 8
        && word.chars().all(is_token_char)
        && (word.chars().any(|c| c.is_ascii_digit() || !c.is_ascii_alphanumeric())
            || word.chars().skip(1).any(|c| c.is_ascii_uppercase()))
}

/// The authentication schemes whose next word is a credential.
const SCHEMES: [&str; 2] = ["bearer", "basic"];

/// `text` with the credential after `Bearer` or `Basic` (any case) replaced.
fn schemes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        let lower = rest.to_ascii_lowercase();
        // the earliest scheme word that starts a word and is followed by whitespace
        let found = SCHEMES
            .iter()
            .filter_map(|scheme| {
                let mut from = 0;
                while let Some(i) = lower[from..].find(scheme) {
                    let start = from + i;
                    let end = start + scheme.len();
                    let starts_word =
                        !lower[..start].chars().next_back().is_some_and(|c| c.is_ascii_alphanumeric());
                    let spaced = lower[end..].starts_with([' ', '\t']);
                    if starts_word && spaced {
                        return Some((start, end));
                    }
                    from = end;
                }
                None
            })
            .min();
        let Some((_, end)) = found else { break };
        let after = &rest[end..];
        let gap = after.len() - after.trim_start_matches([' ', '\t']).len();
        let word_start = end + gap;
        let word_len =
            rest[word_start..].find(|c: char| !is_token_char(c)).unwrap_or(rest.len() - word_start);
        let word = &rest[word_start..word_start + word_len];
        out.push_str(&rest[..word_start]);
        if looks_like_credential(word) {
            out.push_str(REDACTED);
        } else {
            out.push_str(word);
        }
        rest = &rest[word_start + word_len..];
    }
    out.push_str(rest);
    out
}

/// Whether a key names a secret: it ends with a secret's name (compared without case, `-`, `_` and `.`),
/// as `DB_PASSWORD`, `X-Api-Key`, `clientSecret`, `aws_secret_access_key` do — and `secretRef`,
/// `tokenUrl` or `credentials` (a name, a URL, prose: "refused the credentials: HTTP 401") do not.
fn is_secret_key(key: &str) -> bool {
    let key: String =
        key.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_lowercase()).collect();
    const ENDS: [&str; 16] = [
        "password",
        "passwd",
        "passphrase",
        "pwd",
        "secret",
        "secretkey",
        "token",
        "apikey",
        "accesskey",
        "privatekey",
        "credential",
        "authorization",
        "auth",
        "cookie",
        "sessionid",
        "signature",
    ];
    ENDS.iter().any(|k| key.ends_with(k))
}

/// Characters of a key in a `key=value` pair.
fn is_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')
}

/// `text` with the value of every `key=value` / `key: value` pair whose key names a secret replaced; a
/// quoted value up to its closing quote, else up to whitespace or `&,;`.
fn pairs(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let chars: Vec<char> = text.chars().collect();
    let mut offsets = Vec::with_capacity(chars.len() + 1);
    let mut o = 0;
    for c in &chars {
        offsets.push(o);
        o += c.len_utf8();
    }
    offsets.push(o);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c != '=' && c != ':' {
            i += 1;
            continue;
        }
        // the key: key characters right before (past a closing quote)
        let mut k_end = i;
        if k_end > 0 && matches!(chars[k_end - 1], '"' | '\'') {
            k_end -= 1;
        }
        let mut k_start = k_end;
        while k_start > 0 && is_key_char(chars[k_start - 1]) {
            k_start -= 1;
        }
        let key: String = chars[k_start..k_end].iter().collect();
        // not a URL's scheme, not `==`
        let url = c == ':' && chars.get(i + 1) == Some(&'/') && chars.get(i + 2) == Some(&'/');
        if key.is_empty() || url || !is_secret_key(&key) {
            i += 1;
            continue;
        }
        // the value
        let mut v_start = i + 1;
        while v_start < chars.len() && (chars[v_start] == ' ' || chars[v_start] == '\t') {
            v_start += 1;
        }
        let quote = chars.get(v_start).copied().filter(|q| matches!(q, '"' | '\''));
        let (v_start, v_end) = match quote {
            Some(q) => {
                let start = v_start + 1;
                let end = (start..chars.len()).find(|j| chars[*j] == q).unwrap_or(chars.len());
                (start, end)
            }
            None => {
                let stop = |ch: char| ch.is_whitespace() || matches!(ch, '&' | ',' | ';' | '"' | '\'');
                let mut end = (v_start..chars.len()).find(|j| stop(chars[*j])).unwrap_or(chars.len());
                // `Authorization: Bearer x`: the scheme and its credential are one value
                let word: String = chars[v_start..end].iter().collect::<String>().to_ascii_lowercase();
                if SCHEMES.contains(&word.as_str()) || word == "token" || word == "digest" {
                    let mut next = end;
                    while next < chars.len() && (chars[next] == ' ' || chars[next] == '\t') {
                        next += 1;
                    }
                    if next < chars.len() && !stop(chars[next]) {
                        end = (next..chars.len()).find(|j| stop(chars[*j])).unwrap_or(chars.len());
                    }
                }
                (v_start, end)
            }
        };
        let value: String = chars[v_start..v_end].iter().collect();
        if value.is_empty() || value == REDACTED {
            i = v_end.max(i + 1);
            continue;
        }
        out.push_str(&text[offsets[copied]..offsets[v_start]]);
        out.push_str(REDACTED);
        copied = v_end;
        i = v_end;
    }
    out.push_str(&text[offsets[copied]..]);
    out
}

/// Prefixes of tokens issued by well-known services (GitHub, GitLab, Slack, AWS, npm, PyPI, OpenAI-style
/// keys), and the least length after the prefix for a word to count as one.
const TOKEN_PREFIXES: [(&str, usize); 13] = [
    ("ghp_", 20),
    ("gho_", 20),
    ("ghu_", 20),
    ("ghs_", 20),
    ("ghr_", 20),
    ("github_pat_", 20),
    ("glpat-", 16),
    ("xoxb-", 10),
    ("xoxp-", 10),
    ("xoxa-", 10),
    ("AKIA", 16),
    ("npm_", 20),
    ("sk-", 20),
];

/// Whether a word is a JWT (`eyJ` header, three base64url segments).
fn is_jwt(word: &str) -> bool {
    let parts: Vec<&str> = word.split('.').collect();
    word.starts_with("eyJ")
        && parts.len() == 3
        && parts[..2].iter().all(|p| p.len() >= 4)
        && parts.iter().all(|p| p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'))
}

/// `text` with JWTs and tokens with a well-known prefix replaced, wherever they are.
fn tokens(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        let start = rest.find(is_token_char).unwrap_or(rest.len());
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        let end = rest.find(|c: char| !is_token_char(c)).unwrap_or(rest.len());
        let word = &rest[..end];
        // a word may carry trailing punctuation (`token.`) that is no part of the token
        let core = word.trim_end_matches(['.', '=', '-', '~']);
        let known = TOKEN_PREFIXES.iter().any(|(prefix, least)| {
            core.strip_prefix(prefix).is_some_and(|tail| {
                tail.len() >= *least
                    && tail.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            })
        });
        if known || is_jwt(core) {
            out.push_str(REDACTED);
            out.push_str(&word[core.len()..]);
        } else {
            out.push_str(word);
        }
        rest = &rest[end..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const JWT: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJib2IifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ";

    #[test]
    fn removes_the_userinfo_of_urls() {
        assert_eq!(
            redact("GET https://bob:s3cret@host:8080/x.git failed"),
            "GET https://host:8080/x.git failed"
        );
        assert_eq!(redact("https://token@h/x and http://a:b@c"), "https://h/x and http://c");
        assert_eq!(redact("no url here"), "no url here");
    }

    #[test]
    fn hides_bearer_and_basic_credentials() {
        assert_eq!(
            redact("curl -H 'Authorization: Bearer abc.def-123'"),
            "curl -H 'Authorization: [redacted]'"
        );
        assert_eq!(redact("sent bearer Zm9vYmFyYmF6 to it"), "sent bearer [redacted] to it");
        assert_eq!(redact("Basic dXNlcjpwYXNz"), "Basic [redacted]");
        // prose is left alone
        assert_eq!(redact("basic checks passed"), "basic checks passed");
        assert_eq!(redact("Bearer authentication is required"), "Bearer authentication is required");
    }

    #[test]
    fn hides_the_values_of_secret_keys() {
        assert_eq!(redact("login password=hunter2 user=bob"), "login password=[redacted] user=bob");
        assert_eq!(redact("token=abc&next=1"), "token=[redacted]&next=1");
        assert_eq!(redact(r#"{"apiKey": "k-123", "name": "x"}"#), r#"{"apiKey": "[redacted]", "name": "x"}"#);
        assert_eq!(redact("DB_PASSWORD: s3cr3t"), "DB_PASSWORD: [redacted]");
        assert_eq!(redact("X-Api-Key: 0123456789"), "X-Api-Key: [redacted]");
        assert_eq!(redact("client_secret='a b c' ok"), "client_secret='[redacted]' ok");
        assert_eq!(redact("Authorization: Token abcdef"), "Authorization: [redacted]");
        // keys that only look alike, times and URLs are left alone
        assert_eq!(redact("author: bob at 07:01:11"), "author: bob at 07:01:11");
        assert_eq!(redact("steps that did not pass: kill"), "steps that did not pass: kill");
        assert_eq!(redact("AWS_SECRET_ACCESS_KEY=abc123"), "AWS_SECRET_ACCESS_KEY=[redacted]");
        assert_eq!(redact("set-cookie: sid=1"), "set-cookie: [redacted]");
        // names, URLs and prose about secrets are no secrets
        for text in [
            "spec.git.secretRef: Secret team-git does not exist",
            "the server refused the credentials: HTTP 401",
            "tokenUrl=https://example.com/token",
        ] {
            assert_eq!(redact(text), text);
        }
        assert_eq!(redact("see https://example.com/a"), "see https://example.com/a");
        assert_eq!(redact("token=  "), "token=  ");
    }

    #[test]
    fn hides_jwts_and_well_known_tokens() {
        assert_eq!(redact(&alloc::format!("got {JWT}.")), "got [redacted].");
        assert_eq!(redact("use ghp_0123456789abcdefghijABCDEFGHIJ now"), "use [redacted] now");
        assert_eq!(redact("AKIAIOSFODNN7EXAMPLE"), "[redacted]");
        assert_eq!(redact("glpat-abcdefghij0123456789"), "[redacted]");
        // too short, or not a token at all
        assert_eq!(redact("ghp_short eyJ.x.y sk-1"), "ghp_short eyJ.x.y sk-1");
        assert_eq!(redact("a.b.c version 1.2.3"), "a.b.c version 1.2.3");
    }

    #[test]
    fn every_shape_at_once_and_nothing_left() {
        let line = alloc::format!(
            "connect https://u:pw1@db:5432 with token={JWT} and header Authorization: Bearer {JWT}; password: \"x y\""
        );
        let out = redact(&line);
        assert!(!out.contains("pw1") && !out.contains("eyJ") && !out.contains("x y"), "{out}");
        assert_eq!(
            out,
            "connect https://db:5432 with token=[redacted] and header Authorization: [redacted]; password: \"[redacted]\""
        );
    }

    #[test]
    fn any_text_is_handled_without_panicking() {
        for text in
            ["", "=", ":", "token=", "\"token\":", "é=ü password=ö", "Bearer", "bearer  ", "eyJ..", "://@"]
        {
            let _ = redact(text);
        }
        assert_eq!(redact("päss=ü password=ö"), "päss=ü password=[redacted]");
    }
}
