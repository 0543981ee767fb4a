import { compilePolicy, type CompiledPolicy } from "./compile.js";
import type { PolicyIR, SourcePos } from "../policy/ir.js";
import { canonicalJson } from "../crypto/canonical-json.js";
import { sha256Hex } from "../crypto/sha256.js";
import { decisionView } from "../policy/digest.js";

/**
 * A policy compiled into the build: what the adapters import, so no file
 * system is needed at run time and every region runs byte-identical rules.
 *
 * `policy` holds the digested bytes themselves: the canonical JSON of
 * everything in the IR but file names and source positions (policy/digest.ts).
 * Loading hashes that string and parses it (both native), instead of
 * re-canonicalizing an object tree, and the digest is the one `loadPolicy`
 * gives the same policy: a bundle edited after the build in anything that
 * decides or audits hashes to something else and is refused, not served.
 * `builtAt`, `sources` and `positions` are informational and not covered.
 *
 * The build validated the policy (every pattern and regex compiled), so
 * loading does not again: rules compile on first use (compile.ts). A bundle
 * edited by hand and re-digested with an operand that cannot compile is not
 * refused at load; a decision that reaches that rule is denied
 * (`internal_error`), never allowed.
 */
export const BUNDLE_FORMAT = "safeclaw-policy-bundle/3";
/**
 * Format 1 digests left out the `audit:` block; format 2 carried the policy as
 * an object tree, re-canonicalized at every load. Both are refused with a
 * request to rebuild.
 */
const OLDER_FORMATS = ["safeclaw-policy-bundle/1", "safeclaw-policy-bundle/2"];

export interface PolicyBundle {
  format: typeof BUNDLE_FORMAT;
  digest: string;
  builtAt: string;
  sources: string[];
  /** canonical JSON of the policy's decision view: exactly the bytes `digest` hashes */
  policy: string;
  /** each rule's source position, in rule order: [index into `files`, line, column] */
  positions: Array<[number, number, number]>;
  files: string[];
}

export async function makeBundle(ir: PolicyIR, builtAt: string): Promise<PolicyBundle> {
  const policy = canonicalJson(decisionView(ir));
  const files: string[] = [];
  const positions = ir.rules.map((r): [number, number, number] => {
    let f = files.indexOf(r.source.file);
    if (f < 0) f = files.push(r.source.file) - 1;
    return [f, r.source.line, r.source.column];
  });
  return { format: BUNDLE_FORMAT, digest: await digestOf(policy), builtAt, sources: ir.sources, policy, positions, files };
}

const digestOf = async (canonical: string) => "sha256:" + (await sha256Hex(canonical));

export async function loadBundle(bundle: unknown): Promise<{ policy: CompiledPolicy; builtAt: string }> {
  const b = bundle as Partial<PolicyBundle> | null;
  if (b && typeof b === "object" && OLDER_FORMATS.includes(String(b.format))) {
    throw new Error(`policy bundle format \`${b.format}\` was built by an older safeclaw; rebuild it with \`safeclaw build\``);
  }
  if (!b || typeof b !== "object" || b.format !== BUNDLE_FORMAT || typeof b.policy !== "string" || typeof b.digest !== "string") {
    throw new Error(`not a ${BUNDLE_FORMAT} policy bundle`);
  }
  const digest = await digestOf(b.policy);
  if (digest !== b.digest) throw new Error(`policy bundle digest mismatch: built as ${b.digest}, contents hash to ${digest}; rebuild it`);
  const ir = JSON.parse(b.policy) as PolicyIR;
  if (!ir || typeof ir !== "object" || !Array.isArray(ir.rules)) throw new Error(`not a ${BUNDLE_FORMAT} policy bundle`);
  ir.sources = Array.isArray(b.sources) ? b.sources : [];
  const positions = Array.isArray(b.positions) ? b.positions : [];
  const files = Array.isArray(b.files) ? b.files : [];
  ir.rules.forEach((r, k) => (r.source = positionOf(positions[k], files)));
  return { policy: compilePolicy(ir, digest), builtAt: b.builtAt ?? "" };
}

/** A rule's source position as the build recorded it; informational, so anything malformed reads as unknown. */
function positionOf(p: unknown, files: readonly unknown[]): SourcePos {
  if (!Array.isArray(p)) return { file: "", line: 0, column: 0 };
  const file = files[p[0] as number];
  return { file: typeof file === "string" ? file : "", line: Number(p[1]) || 0, column: Number(p[2]) || 0 };
}
