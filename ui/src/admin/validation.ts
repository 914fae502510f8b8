// The checks the administration forms make before sending: usernames, passwords, emails, API tokens.
// The server checks the same again; these only give an early answer next to the field.

/** The longest username: a DNS label. */
export const MAX_USERNAME = 63;
export const MIN_PASSWORD = 8;
export const MAX_PASSWORD = 128;
export const MAX_DISPLAY_NAME = 128;
export const MAX_TOKEN_NAME = 64;
export const MAX_TOKEN_DAYS = 365;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Why `name` cannot be a new username (a DNS label: lowercase letters, digits, '-'), or null. */
export function usernameProblem(name: string): string | null {
  if (name.length === 0) return "Enter a username.";
  if (name.length > MAX_USERNAME) return `At most ${MAX_USERNAME} characters (this has ${name.length}).`;
  if (!DNS_LABEL.test(name)) {
    return "Only lowercase letters, digits and '-', starting and ending with a letter or digit.";
  }
  return null;
}

/** Why `password` cannot be set for `username`, or null. */
export function newPasswordProblem(password: string, username = ""): string | null {
  const length = [...password].length;
  if (length < MIN_PASSWORD) return `At least ${MIN_PASSWORD} characters.`;
  if (length > MAX_PASSWORD) return `At most ${MAX_PASSWORD} characters.`;
  if (username && password.toLowerCase() === username.toLowerCase()) return "The password may not be the username.";
  return null;
}

/** Why `email` is not an email address, or null (empty is allowed). */
export function emailProblem(email: string): string | null {
  if (email === "") return null;
  const at = email.indexOf("@");
  const ok =
    email.length <= 254 && at > 0 && at < email.length - 1 && email.indexOf("@", at + 1) === -1 && !/\s/.test(email);
  return ok ? null : "Not an email address (name@example.com).";
}

/** Why `name` is too long for a display name, or null. */
export function displayNameProblem(name: string): string | null {
  return [...name].length > MAX_DISPLAY_NAME ? `At most ${MAX_DISPLAY_NAME} characters.` : null;
}

/** Why `name` cannot name an API token (1–64 characters once trimmed), or null. */
export function tokenNameProblem(name: string): string | null {
  const length = [...name.trim()].length;
  if (length === 0) return "Give the token a name, e.g. what uses it.";
  if (length > MAX_TOKEN_NAME) return `At most ${MAX_TOKEN_NAME} characters.`;
  return null;
}

/** Why `days` (as typed) is not a whole number of days from 1 to 365, or null. */
export function daysProblem(days: string): string | null {
  const text = days.trim();
  if (!/^\d+$/.test(text)) return `A whole number of days from 1 to ${MAX_TOKEN_DAYS}.`;
  const n = Number(text);
  if (n < 1 || n > MAX_TOKEN_DAYS) return `From 1 to ${MAX_TOKEN_DAYS} days.`;
  return null;
}

/** The problems of a form, by field; only the fields with a problem are present. */
export type Problems<K extends string> = Partial<Record<K, string>>;

/** Runs each field's check and keeps the problems found. */
export function collectProblems<K extends string>(checks: Record<K, string | null>): Problems<K> {
  const found: Problems<K> = {};
  for (const key of Object.keys(checks) as K[]) {
    const problem = checks[key];
    if (problem) found[key] = problem;
  }
  return found;
}

/** True when a form has no problems. */
export function isClean<K extends string>(problems: Problems<K>): boolean {
  return Object.keys(problems).length === 0;
}
