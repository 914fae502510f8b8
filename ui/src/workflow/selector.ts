// Label selectors in kubectl syntax (`app=web,tier!=cache,env in (a,b),!legacy`) to and from LabelSelector.
import type { LabelSelector, LabelSelectorRequirement } from "./types";

const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Why `key` is not a valid label key, or null. */
export function labelKeyError(key: string): string | null {
  const slash = key.lastIndexOf("/");
  const prefix = slash >= 0 ? key.slice(0, slash) : null;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== null && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) {
    return `label key "${key}": the prefix before "/" must be a DNS subdomain such as example.com`;
  }
  if (name.length === 0 || name.length > 63 || !NAME.test(name)) {
    return `label key "${key}": at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit`;
  }
  return null;
}

/** Why `value` is not a valid label value, or null (empty values are allowed). */
export function labelValueError(value: string): string | null {
  if (value === "") return null;
  if (value.length > 63 || !NAME.test(value)) {
    return `label value "${value}": at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit`;
  }
  return null;
}

/** Splits at commas that are not inside parentheses; null when the parentheses do not balance. */
function splitTopLevel(text: string): string[] | null {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "(") depth++;
    else if (c === ")") {
      depth--;
      if (depth < 0) return null;
    } else if (c === "," && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  if (depth !== 0) return null;
  parts.push(text.slice(start));
  return parts;
}

export type SelectorResult = { selector: LabelSelector | undefined; error?: undefined } | { selector?: undefined; error: string };

const SET = /^([^\s=!(),<>]+)\s+(in|notin)\s*\(([^()]*)\)$/;
const EQUALITY = /^([^\s=!(),<>]+)\s*(==|!=|=)\s*([^\s=!(),<>]*)$/;
const EXISTS = /^([^\s=!(),<>]+)$/;
const NOT_EXISTS = /^!\s*([^\s=!(),<>]+)$/;

/**
 * Parses a selector in kubectl syntax. `k=v` / `k==v` become matchLabels; `k!=v` is NotIn [v]; `k in (…)`,
 * `k notin (…)`; `k` is Exists and `!k` DoesNotExist. Empty text is no selector.
 */
export function parseSelector(text: string): SelectorResult {
  const trimmed = text.trim();
  if (trimmed === "") return { selector: undefined };
  const parts = splitTopLevel(trimmed);
  if (!parts) return { error: "the parentheses do not match" };
  const matchLabels: Record<string, string> = {};
  const matchExpressions: LabelSelectorRequirement[] = [];
  for (const raw of parts) {
    const part = raw.trim();
    if (part === "") return { error: "an empty requirement (two commas in a row, or a comma at an end)" };
    let m: RegExpMatchArray | null;
    let key: string;
    if ((m = part.match(SET))) {
      key = m[1];
      const values = m[3].split(",").map((v) => v.trim());
      if (values.length === 1 && values[0] === "") {
        return { error: `"${part}": name at least one value in the parentheses` };
      }
      for (const v of values) {
        const err = labelValueError(v);
        if (err) return { error: err };
      }
      matchExpressions.push({ key, operator: m[2] === "in" ? "In" : "NotIn", values });
    } else if ((m = part.match(EQUALITY))) {
      key = m[1];
      const value = m[3];
      const err = labelValueError(value);
      if (err) return { error: err };
      if (m[2] === "!=") {
        matchExpressions.push({ key, operator: "NotIn", values: [value] });
      } else {
        if (key in matchLabels && matchLabels[key] !== value) {
          return { error: `label key "${key}" is given two different values` };
        }
        matchLabels[key] = value;
      }
    } else if ((m = part.match(NOT_EXISTS))) {
      key = m[1];
      matchExpressions.push({ key, operator: "DoesNotExist" });
    } else if ((m = part.match(EXISTS))) {
      key = m[1];
      matchExpressions.push({ key, operator: "Exists" });
    } else if (/[<>]/.test(part)) {
      return { error: `"${part}": a target's selector cannot compare with < or >` };
    } else {
      return {
        error: `"${part}" is not a requirement such as app=web, tier!=cache, env in (a,b), env notin (a,b), key or !key`,
      };
    }
    const keyErr = labelKeyError(key);
    if (keyErr) return { error: keyErr };
  }
  const selector: LabelSelector = {};
  if (Object.keys(matchLabels).length > 0) selector.matchLabels = matchLabels;
  if (matchExpressions.length > 0) selector.matchExpressions = matchExpressions;
  return { selector };
}

/** A LabelSelector in kubectl syntax (the inverse of parseSelector). */
export function printSelector(selector: LabelSelector | undefined): string {
  if (!selector) return "";
  const parts = Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of selector.matchExpressions ?? []) {
    const values = e.values ?? [];
    switch (e.operator) {
      case "In":
        parts.push(`${e.key} in (${values.join(",")})`);
        break;
      case "NotIn":
        parts.push(values.length === 1 ? `${e.key}!=${values[0]}` : `${e.key} notin (${values.join(",")})`);
        break;
      case "Exists":
        parts.push(e.key);
        break;
      case "DoesNotExist":
        parts.push(`!${e.key}`);
        break;
    }
  }
  return parts.join(",");
}
