//! Validation of the faults the node agent applies inside pods and on nodes: container-kill, the stress
//! faults, disk-fill, the DNS and the HTTP faults (network faults are in [`crate::validate`]).

use crate::field::{Errors, Path};
use crate::limits::*;
use crate::plan::{FaultAction, NodeAgentFault, PodAgentFault};
use crate::validate::{bounded, node_target, pod_target, type_name};
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use chaoscenter_crds::injection::{HttpMatch, NodeFault};
use chaoscenter_crds::workflow as spec;
use chaoscenter_crds::workflow::FaultType;
use core::time::Duration;

/// The signals container-kill may send.
pub const SIGNALS: &[&str] = &["SIGKILL", "SIGTERM", "SIGINT", "SIGQUIT", "SIGHUP", "SIGUSR1", "SIGUSR2"];

/// The action of a node-agent fault of type `f.type_` (not a network one), or `None` after reporting
/// what is wrong.
pub(crate) fn agent_action(f: &spec::Fault, path: &Path, errors: &mut Errors) -> Option<FaultAction> {
    let p = &f.params;
    let params = path.field("params");
    let container = p.container.clone();
    let required = |errors: &mut Errors, field: &str, what: &str| {
        errors.add(&params.field(field), format!("required for {}: {what}", type_name(f.type_)));
    };
    let fault = match f.type_ {
        FaultType::ContainerKill => {
            let signal = p.signal.clone().unwrap_or_else(|| "SIGKILL".into());
            let signal = if SIGNALS.contains(&signal.as_str()) {
                Some(signal)
            } else {
                errors
                    .add(&params.field("signal"), format!("{signal:?} is not one of {}", SIGNALS.join(", ")));
                None
            };
            Some(NodeFault::ContainerKill { container, signal: signal? })
        }
        FaultType::PodCpuStress | FaultType::NodeCpuStress => {
            let cores = p.cores.unwrap_or(1);
            let load = p.load.unwrap_or(100);
            let cores = in_range(errors, &params.field("cores"), cores, 1, MAX_STRESS_CORES);
            let load = in_range(errors, &params.field("load"), load, 1, 100);
            let (cores, load) = (cores?, load?);
            Some(if f.type_ == FaultType::PodCpuStress {
                NodeFault::PodCpuStress { container, cores, load }
            } else {
                NodeFault::NodeCpuStress { cores, load }
            })
        }
        FaultType::PodMemoryStress | FaultType::NodeMemoryStress => {
            let (bytes, percent) = size_or_percent(f, &params, errors, "an amount such as 64Mi")?;
            Some(if f.type_ == FaultType::PodMemoryStress {
                NodeFault::PodMemoryStress {
                    container,
                    bytes,
                    percent,
                    allow_oom: p.allow_oom.unwrap_or(false),
                }
            } else {
                NodeFault::NodeMemoryStress { bytes, percent }
            })
        }
        FaultType::PodIoStress => {
            let workers =
                in_range(errors, &params.field("workers"), p.workers.unwrap_or(1), 1, MAX_IO_WORKERS);
            let bytes = match &p.size {
                None => Some(DEFAULT_IO_BYTES),
                Some(text) => errors.check(&params.field("size"), size_bytes(text)),
            };
            let path_in = container_path(p.path.as_deref(), &params, errors);
            Some(NodeFault::PodIoStress { container, workers: workers?, bytes: bytes?, path: path_in? })
        }
        FaultType::DiskFill => {
            let (bytes, _) = size_or_percent(f, &params, errors, "a size such as 256Mi")?;
            let path_in = container_path(p.path.as_deref(), &params, errors)?;
            // a percentage is resolved against the pod's ephemeral-storage limit when injecting
            Some(NodeFault::DiskFill { container, bytes: bytes.unwrap_or(0), path: path_in })
        }
        FaultType::DnsError | FaultType::DnsSpoof => {
            let at = params.field("dns");
            let Some(dns) = &p.dns else {
                required(errors, "dns", "the names it applies to");
                return None;
            };
            dns_fault(f.type_, dns, &at, errors)
        }
        FaultType::HttpLatency | FaultType::HttpAbort | FaultType::HttpStatus | FaultType::HttpModify => {
            http_fault(f, &params, errors)
        }
        _ => None,
    };
    let fault = fault?;
    if fault.on_node() {
        let target = node_target(f, path, errors)?;
        Some(FaultAction::NodeAgent(NodeAgentFault { target, fault }))
    } else {
        let target = pod_target(f, path, errors)?;
        let fill_percent = match f.type_ {
            FaultType::DiskFill => p.percent,
            _ => None,
        };
        Some(FaultAction::PodAgent(PodAgentFault { target, fault, fill_percent }))
    }
}

fn in_range(errors: &mut Errors, at: &Path, value: u32, min: u32, max: u32) -> Option<u32> {
    if (min..=max).contains(&value) {
        Some(value)
    } else {
        errors.add(at, format!("{value} is outside {min} to {max}"));
        None
    }
}

/// `size` or `percent` (exactly one of them), for the memory faults and disk-fill.
fn size_or_percent(
    f: &spec::Fault,
    params: &Path,
    errors: &mut Errors,
    example: &str,
) -> Option<(Option<u64>, Option<f64>)> {
    let p = &f.params;
    match (&p.size, p.percent) {
        (Some(_), Some(_)) => {
            errors.add(&params.field("percent"), "give size or percent, not both");
            None
        }
        (None, None) => {
            errors.add(
                &params.field("size"),
                format!("required for {}: {example}, or percent instead", type_name(f.type_)),
            );
            None
        }
        (Some(text), None) => errors.check(&params.field("size"), size_bytes(text)).map(|b| (Some(b), None)),
        (None, Some(v)) if v.is_finite() && v > 0.0 && v <= 100.0 => Some((None, Some(v))),
        (None, Some(v)) => {
            errors.add(&params.field("percent"), format!("{v} is not a percentage above 0, at most 100"));
            None
        }
    }
}

/// A size (`64Mi`, `1Gi`, `500M`, `1048576`) in bytes, within [`MIN_FAULT_BYTES`]..=[`MAX_FAULT_BYTES`].
pub fn size_bytes(text: &str) -> Result<u64, String> {
    const MI: u64 = 1024 * 1024;
    let range = || format!("{}Mi to {}Gi", MIN_FAULT_BYTES / MI, MAX_FAULT_BYTES / MI / 1024);
    if text.len() > MAX_QUANTITY_TEXT {
        return Err(format!("at most {MAX_QUANTITY_TEXT} characters"));
    }
    match quantity_bytes(text) {
        None => Err(format!("{text:?} is not a size such as 64Mi or 1Gi ({})", range())),
        Some(b) if (MIN_FAULT_BYTES..=MAX_FAULT_BYTES).contains(&b) => Ok(b),
        Some(_) => Err(format!("{text:?} is outside {}", range())),
    }
}

/// A Kubernetes quantity of bytes (`1Gi`, `500M`, `1.5Gi`, `1048576`), rounded up; `None` when it is not
/// one (or has more than 12 digits before the point).
pub fn quantity_bytes(text: &str) -> Option<u64> {
    let units: [(&str, u64); 8] = [
        ("Ki", 1 << 10),
        ("Mi", 1 << 20),
        ("Gi", 1 << 30),
        ("Ti", 1 << 40),
        ("k", 1_000),
        ("M", 1_000_000),
        ("G", 1_000_000_000),
        ("T", 1_000_000_000_000),
    ];
    let (number, unit) = units
        .iter()
        .find_map(|(suffix, unit)| text.strip_suffix(suffix).map(|n| (n, *unit)))
        .unwrap_or((text, 1));
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let dangling = number.ends_with('.');
    if dangling
        || whole.is_empty()
        || whole.len() > 12
        || fraction.len() > 9
        || !digits(whole)
        || !digits(fraction)
    {
        return None;
    }
    let whole: u64 = whole.parse().ok()?;
    let mut bytes = whole.checked_mul(unit)?;
    if !fraction.is_empty() {
        let scale = 10u64.pow(u32::try_from(fraction.len()).ok()?);
        let part: u64 = fraction.parse().ok()?;
        bytes = bytes.checked_add(
            u64::try_from((u128::from(part) * u128::from(unit)).div_ceil(u128::from(scale))).ok()?,
        )?;
    }
    Some(bytes)
}

/// An absolute path in a container without `..` (default `/`).
fn container_path(path: Option<&str>, params: &Path, errors: &mut Errors) -> Option<String> {
    let text = path.unwrap_or("/");
    let ok = text.starts_with('/')
        && text.len() <= MAX_CONTAINER_PATH
        && !text.split('/').any(|c| c == "..")
        && !text.chars().any(char::is_control);
    if ok {
        Some(text.to_string())
    } else {
        errors.add(
            &params.field("path"),
            format!(
                "{text:?} is not an absolute path without '..' (at most {MAX_CONTAINER_PATH} characters)"
            ),
        );
        None
    }
}

/// A DNS name pattern: a name, or `*.` and a name (every name below it); letters, digits, '-' and '.'.
pub fn dns_pattern(text: &str) -> Result<(), String> {
    let name = text.strip_prefix("*.").unwrap_or(text);
    let name = name.strip_suffix('.').unwrap_or(name);
    let ok = !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        });
    if ok {
        Ok(())
    } else {
        Err(format!("{text:?} is not a DNS name or a wildcard such as *.example.com"))
    }
}

fn dns_fault(t: FaultType, dns: &spec::DnsParams, at: &Path, errors: &mut Errors) -> Option<NodeFault> {
    let mut ok = true;
    let mut unused = |set: bool, field: &str| {
        if set {
            errors.add(&at.field(field), format!("not used by {}; remove it", type_name(t)));
            ok = false;
        }
    };
    if t == FaultType::DnsError {
        unused(!dns.answers.is_empty(), "answers");
    } else {
        unused(!dns.names.is_empty(), "names");
        unused(dns.error.is_some(), "error");
    }
    if t == FaultType::DnsError {
        if dns.names.is_empty() || dns.names.len() > MAX_DNS_NAMES {
            errors.add(&at.field("names"), format!("1 to {MAX_DNS_NAMES} names"));
            ok = false;
        }
        for (i, name) in dns.names.iter().enumerate() {
            ok &= errors.check(&at.field("names").index(i), dns_pattern(name)).is_some();
        }
        return ok.then(|| NodeFault::DnsError {
            names: dns.names.iter().map(|n| n.to_ascii_lowercase()).collect(),
            error: dns.error.unwrap_or_default(),
        });
    }
    if dns.answers.is_empty() || dns.answers.len() > MAX_DNS_NAMES {
        errors.add(&at.field("answers"), format!("1 to {MAX_DNS_NAMES} names"));
        ok = false;
    }
    let mut answers = BTreeMap::new();
    for (name, address) in &dns.answers {
        let here = at.field("answers").field(name);
        ok &= errors.check(&here, dns_pattern(name)).is_some();
        match address.parse::<core::net::Ipv4Addr>() {
            Ok(ip) => {
                answers.insert(name.to_ascii_lowercase(), ip.to_string());
            }
            Err(_) => {
                errors.add(&here, format!("{address:?} is not an IPv4 address"));
                ok = false;
            }
        }
    }
    ok.then_some(NodeFault::DnsSpoof { answers })
}

fn http_fault(f: &spec::Fault, params: &Path, errors: &mut Errors) -> Option<NodeFault> {
    let p = &f.params;
    let t = f.type_;
    let at = params.field("http");
    let Some(http) = &p.http else {
        errors.add(&at, format!("required for {}: at least the port", type_name(t)));
        return None;
    };
    let mut ok = true;
    let mut unused = |set: bool, field: &str, allowed: &[FaultType]| {
        if set && !allowed.contains(&t) {
            errors.add(&at.field(field), format!("not used by {}; remove it", type_name(t)));
            ok = false;
        }
    };
    unused(http.status.is_some(), "status", &[FaultType::HttpStatus]);
    unused(http.body.is_some(), "body", &[FaultType::HttpStatus, FaultType::HttpModify]);
    unused(!http.headers.is_empty(), "headers", &[FaultType::HttpModify]);
    let port = match u16::try_from(http.port) {
        Ok(port) if port > 0 => Some(port),
        _ => {
            errors.add(&at.field("port"), format!("{} is outside 1 to 65535", http.port));
            None
        }
    };
    let method = match &http.method {
        Some(m) if m.is_empty() || m.len() > 16 || !m.bytes().all(|b| b.is_ascii_uppercase()) => {
            errors.add(&at.field("method"), format!("{m:?} is not a method such as GET (upper case)"));
            None
        }
        m => Some(m.clone()),
    };
    let path_prefix = match &http.path {
        Some(path)
            if !path.starts_with('/') || path.len() > 1024 || path.chars().any(char::is_whitespace) =>
        {
            errors.add(&at.field("path"), format!("{path:?} is not a path starting with '/' (no spaces)"));
            None
        }
        path => Some(path.clone()),
    };
    if let Some(body) = &http.body {
        if body.len() > MAX_HTTP_FAULT_BODY {
            errors.add(&at.field("body"), format!("at most {MAX_HTTP_FAULT_BODY} bytes"));
            ok = false;
        }
    }
    if http.headers.len() > MAX_HTTP_FAULT_HEADERS {
        errors.add(&at.field("headers"), format!("at most {MAX_HTTP_FAULT_HEADERS} headers"));
        ok = false;
    }
    for (name, value) in &http.headers {
        let token = !name.is_empty()
            && name.len() <= 64
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
        if !token {
            errors.add(&at.field("headers").field(name), "not a header name");
            ok = false;
        } else if value.len() > 4096 || value.chars().any(|c| c.is_control() && c != '\t') {
            errors
                .add(&at.field("headers").field(name), "a header value of at most 4096 characters, one line");
            ok = false;
        }
    }
    let latency = if t == FaultType::HttpLatency {
        match &p.latency {
            None => {
                errors.add(&params.field("latency"), "required for http-latency: a duration such as 200ms");
                None
            }
            Some(text) => bounded(
                errors,
                &params.field("latency"),
                text,
                Duration::from_millis(1),
                &[(MAX_HTTP_LATENCY, "the limit")],
            ),
        }
    } else {
        Some(Duration::ZERO)
    };
    let status = match (t, http.status) {
        (FaultType::HttpStatus, None) => {
            errors.add(&at.field("status"), "required for http-status: a status code such as 503");
            None
        }
        (_, Some(s)) if !(100..=599).contains(&s) => {
            errors.add(&at.field("status"), format!("{s} is outside 100 to 599"));
            None
        }
        (_, s) => Some(s.and_then(|s| u16::try_from(s).ok())),
    };
    if t == FaultType::HttpModify && http.body.is_none() && http.headers.is_empty() {
        errors.add(&at, "http-modify needs body or headers");
        ok = false;
    }
    let m = HttpMatch { port: port?, direction: http.direction, method: method?, path_prefix: path_prefix? };
    let (latency, status) = (latency?, status?);
    if !ok {
        return None;
    }
    Some(match t {
        FaultType::HttpLatency => NodeFault::HttpLatency {
            http: m,
            latency_ms: u32::try_from(latency.as_millis()).unwrap_or(u32::MAX),
        },
        FaultType::HttpAbort => NodeFault::HttpAbort { http: m },
        FaultType::HttpStatus => NodeFault::HttpStatus { http: m, status: status?, body: http.body.clone() },
        _ => NodeFault::HttpModify { http: m, body: http.body.clone(), headers: http.headers.clone() },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_kubernetes_quantities_within_the_bounds() {
        assert_eq!(quantity_bytes("64Mi"), Some(64 << 20));
        assert_eq!(quantity_bytes("1.5Gi"), Some(3 << 29));
        assert_eq!(quantity_bytes("500M"), Some(500_000_000));
        assert_eq!(quantity_bytes("1048576"), Some(1 << 20));
        for bad in ["", "Mi", "1.Mi", "-1Mi", "1e9", "12345678901234Mi", "1,5Gi"] {
            assert_eq!(quantity_bytes(bad), None, "{bad}");
        }
        assert_eq!(size_bytes("64Mi"), Ok(64 << 20));
        assert!(size_bytes("1Ki").unwrap_err().contains("outside 1Mi to 64Gi"));
        assert!(size_bytes("65Gi").unwrap_err().contains("outside"));
    }

    #[test]
    fn dns_patterns_are_names_or_one_leading_wildcard() {
        for ok in ["example.com", "*.example.com", "a-b.c_d.example.", "localhost"] {
            assert_eq!(dns_pattern(ok), Ok(()), "{ok}");
        }
        for bad in ["", "*", "*.", "a..b", "a.*.b", "exa mple.com", "ex\u{0}"] {
            assert!(dns_pattern(bad).is_err(), "{bad}");
        }
    }
}
