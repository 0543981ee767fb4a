import { canonicalJson } from "../crypto/canonical-json.js";
import { sha256HexSync } from "../crypto/sha256.js";
import type { RuleIR } from "./ir.js";

/**
 * The id of a rule written without `id:`: `rule-<n>-<8 hex digits>`, where n
 * is the rule's 1-based position in the whole policy (files in the order they
 * are read) and the hex digits start the SHA-256 of the rule's normalized
 * content (everything but its id and source position). File names play no
 * part, so renaming a file, comments, key order and spellings (`file:read`,
 * `decision:`) change neither the id nor the policy digest; moving or editing
 * the rule changes the id, so one id never names two different rules in the
 * audit trail. Give the rule an `id:` for a name that survives edits.
 */
export function derivedRuleId(rule: Omit<RuleIR, "id" | "source">, position: number): string {
  const content: Record<string, unknown> = { ...rule };
  delete content.id;
  delete content.source;
  return `rule-${position}-${sha256HexSync(canonicalJson(content)).slice(0, 8)}`;
}
