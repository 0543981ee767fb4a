import { engineView } from "./engine-view.js";
import type { Harness } from "./harness.js";
import { judge, signature, type Divergence } from "./property.js";
import { SANDBOX_CWD } from "./sandbox.js";
import type { ShellName } from "./shims.js";

/**
 * Shrinks a line to a minimal one that still shows the same divergence
 * class (kind and command name) in the same shell: delta debugging over
 * character chunks, halving the chunk size down to one character. Lines the
 * engine refuses are skipped without running a shell.
 */
export async function shrink(h: Harness, line: string, shell: ShellName, d: Divergence, budget = 150): Promise<{ line: string; divergence: Divergence }> {
  const want = signature(d);
  let best = line;
  let bestD = d;
  let runs = 0;
  const holds = async (cand: string): Promise<Divergence | undefined> => {
    if (!cand.trim() || cand.includes("\0")) return undefined;
    const ev = engineView(cand, SANDBOX_CWD);
    if (ev.refused) return undefined;
    runs++;
    const view = await h.runShell(shell, cand);
    return judge(ev, [view]).divergences.find((x) => signature(x) === want);
  };
  // candidates of one chunk size are tried in parallel batches; the first that still diverges wins
  const batch = Math.max(1, h.parallel);
  for (let chunk = Math.max(1, best.length >> 1); chunk >= 1 && runs < budget;) {
    let improved = false;
    for (let at = 0; at < best.length && runs < budget && !improved; at += chunk * batch) {
      const cands: string[] = [];
      for (let k = 0; k < batch && at + k * chunk < best.length; k++) cands.push(best.slice(0, at + k * chunk) + best.slice(at + (k + 1) * chunk));
      const got = await Promise.all(cands.map(holds));
      const w = got.findIndex((g) => g !== undefined);
      if (w >= 0) {
        best = cands[w]!;
        bestD = got[w]!;
        improved = true;
      }
    }
    if (!improved) {
      if (chunk === 1) break;
      chunk >>= 1;
    } else chunk = Math.min(chunk, Math.max(1, best.length >> 1));
  }
  return { line: best, divergence: bestD };
}
