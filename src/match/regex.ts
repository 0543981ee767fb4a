import { RE2JS } from "re2js";

/**
 * Policy regular expressions run on RE2 semantics (linear time, no
 * backreferences or lookaround), so no pattern in a policy can stall the
 * decision path with catastrophic backtracking.
 */
export type RegexResult = { ok: true; test: (s: string) => boolean } | { ok: false; reason: string };

/** `caseInsensitive`: for values the engine compares without case (hosts, methods, schemes, folded paths). */
export function compileRegex(source: string, opts: { caseInsensitive?: boolean } = {}): RegexResult {
  try {
    const re = RE2JS.compile(source, opts.caseInsensitive ? RE2JS.CASE_INSENSITIVE : 0);
    return { ok: true, test: (s) => re.test(s) };
  } catch (e) {
    return { ok: false, reason: `invalid regular expression \`${source}\`: ${(e as Error).message} (RE2 syntax: no backreferences or lookaround)` };
  }
}
