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
export async function shrink(h: Harness, line: string, shell: ShellName, d: Divergence, budget = 200): Promise<{ line: string; divergence: Divergence }> {
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
  for (let chunk = Math.max(1, best.length >> 1); chunk >= 1 && runs < budget; chunk = chunk >> 1) {
    let progress = true;
    while (progress && runs < budget) {
      progress = false;
      for (let at = 0; at < best.length && runs < budget; at += chunk) {
        const cand = best.slice(0, at) + best.slice(at + chunk);
        const got = await holds(cand);
        if (got) {
          best = cand;
          bestD = got;
          progress = true;
          at -= chunk;
        }
      }
    }
    if (chunk === 1) break;
  }
  return { line: best, divergence: bestD };
}
