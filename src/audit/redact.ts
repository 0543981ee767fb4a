/**
 * Secrets never land in the audit trail: tokens and keys that appear in
 * commands and URLs are replaced before the record is hashed, so the trail can
 * be shipped to a log drain or SIEM without becoming a credential store.
 */
const R = "[REDACTED]";

const RULES: Array<[RegExp, string]> = [
  // Authorization / Proxy-Authorization headers, with or without a scheme word.
  [/((?:proxy-)?authorization\s*[:=]\s*)(?:(bearer|basic|token|digest)\s+)?[^\s'"]+/gi, `$1$2 ${R}`],
  [/\b(bearer\s+)[A-Za-z0-9._~+/-]{8,}=*/gi, `$1${R}`],
  // Credentials in URLs (user:password@host).
  [/(\/\/)[^/\s:@'"]+:[^/\s@'"]+@/g, `$1${R}@`],
  // Query and form parameters, flags and assignments named like secrets.
  [
    /([?&;]|\b)((?:api[_-]?key|apikey|access[_-]?token|refresh[_-]?token|auth[_-]?token|id[_-]?token|token|secret|client[_-]?secret|password|passwd|pwd|x-amz-signature|x-amz-credential|x-amz-security-token|sig|signature)=)[^&\s'"]+/gi,
    `$1$2${R}`,
  ],
  [/(--(?:password|passwd|token|secret|api-key|apikey|access-token)(?:=|\s+))[^\s'"]+/gi, `$1${R}`],
  [/\b(?:AKIA|ASIA|AGPA|AIDA|AROA)[0-9A-Z]{16}\b/g, R],
  [/\bsk-(?:ant-|proj-|live-|test-)?[A-Za-z0-9_-]{16,}/g, R],
  [/\bgh[pousr]_[A-Za-z0-9]{30,}/g, R],
  [/\bgithub_pat_[A-Za-z0-9_]{30,}/g, R],
  [/\bxox[abprs]-[A-Za-z0-9-]{10,}/g, R],
  [/\bAIza[0-9A-Za-z_-]{35}\b/g, R],
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g, R],
];

// Every rule needs one of these; most paths and reasons have none, and skip the rules.
const TRIGGER = /auth|bearer|@|=|--|akia|asia|agpa|aida|aroa|sk-|gh[pousr]_|github_pat|xox|aiza|private key/i;

export function redact(s: string): string {
  if (!TRIGGER.test(s)) return s;
  let out = s;
  for (const [re, to] of RULES) out = out.replace(re, to);
  return out;
}
