/**
 * Expands `{a,b}` alternatives (nested allowed) so that each alternative can be
 * matched by a linear-time matcher. `\{` is literal, a brace group without a
 * top-level comma is literal, and the expansion is capped so a policy cannot
 * make compilation explode.
 */
export const MAX_BRACE_ALTERNATIVES = 256;

export function expandBraces(pattern: string): string[] {
  const open = findGroup(pattern);
  if (!open) return [pattern];
  const { start, end, parts } = open;
  const head = pattern.slice(0, start);
  const tails = expandBraces(pattern.slice(end + 1));
  const out: string[] = [];
  for (const part of parts) {
    for (const mid of expandBraces(part)) {
      for (const tail of tails) {
        out.push(head + mid + tail);
        if (out.length > MAX_BRACE_ALTERNATIVES) {
          throw new RangeError(`brace expansion of \`${pattern}\` yields more than ${MAX_BRACE_ALTERNATIVES} alternatives`);
        }
      }
    }
  }
  return out;
}

/** First `{...}` group that has a top-level comma, with its comma-split parts. */
function findGroup(p: string): { start: number; end: number; parts: string[] } | undefined {
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === "\\") {
      i++;
      continue;
    }
    if (c !== "{") continue;
    let depth = 0;
    let partStart = i + 1;
    const parts: string[] = [];
    for (let j = i; j < p.length; j++) {
      const d = p[j];
      if (d === "\\") {
        j++;
        continue;
      }
      if (d === "{") depth++;
      else if (d === "}") {
        depth--;
        if (depth === 0) {
          parts.push(p.slice(partStart, j));
          if (parts.length > 1) return { start: i, end: j, parts };
          break; // `{x}` is literal; look for a later group
        }
      } else if (d === "," && depth === 1) {
        parts.push(p.slice(partStart, j));
        partStart = j + 1;
      }
    }
  }
  return undefined;
}
