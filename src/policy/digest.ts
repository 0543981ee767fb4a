import { canonicalJson } from "../crypto/canonical-json.js";
import { sha256Hex } from "../crypto/sha256.js";
import type { PolicyIR } from "./ir.js";

/**
 * What the digest covers: the whole normalized policy except what only says
 * where it came from (the file names in `sources`, each rule's `source`
 * position). Everything else counts, including fields added to the IR later,
 * so nothing that changes a decision or the audit settings (`audit:`,
 * `onAuditFailure` among them) can change without changing the digest.
 */
export function decisionView(ir: PolicyIR): unknown {
  const view: Record<string, unknown> = { ...ir, rules: ir.rules.map(withoutSource) };
  delete view.sources;
  return view;
}

function withoutSource(rule: PolicyIR["rules"][number]): unknown {
  const r: Record<string, unknown> = { ...rule };
  delete r.source;
  return r;
}

export async function policyDigest(ir: PolicyIR): Promise<string> {
  return "sha256:" + (await sha256Hex(canonicalJson(decisionView(ir))));
}
