import { createInterface } from "node:readline";
import { createEngine } from "../engine/engine.js";
import type { Decision } from "../engine/decision.js";
import { CliExit, EXIT, loadPolicyOrExit } from "./load-or-exit.js";
import type { Io } from "./io.js";

export const CHECK_HELP = `usage: safeclaw check [--policy <file|dir>]... [--request '<json>'] [--explain]

Decides requests against a policy.
  --policy <file|dir>  policy file or directory (repeatable; default: the current directory)
  --request '<json>'   decide one request and print its decision
  --explain            add the rules considered, and why each did or did not match
Without --request, reads one JSON request per line on stdin and prints one
decision per line, in order. A line that is not JSON gets a deny with an
\`error\` field, and the stream goes on.

exit: 0 allowed (or stream done), 2 denied, 3 require_approval, 1 invalid policy, 64 usage`;

export async function checkCommand(args: { policy: string[]; request?: string; explain: boolean }, io: Io): Promise<number> {
  const { policy } = await loadPolicyOrExit(args.policy, io.stderr);
  const engine = createEngine(policy);
  const opts = { explain: args.explain };
  if (args.request !== undefined) {
    const d = decideLine(args.request, (r) => engine.check(r, opts), policy.digest);
    io.stdout(JSON.stringify(d));
    return d.decision === "allow" ? EXIT.ok : d.decision === "deny" ? EXIT.denied : EXIT.approval;
  }
  if (!io.stdin) throw new CliExit(EXIT.usage, "safeclaw check: give --request or JSON lines on stdin");
  const lines = createInterface({ input: io.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === "") continue;
    io.stdout(JSON.stringify(decideLine(line, (r) => engine.check(r, opts), policy.digest)));
  }
  return EXIT.ok;
}

function decideLine(line: string, check: (r: unknown) => Decision, digest: string): Decision {
  let request: unknown;
  try {
    request = JSON.parse(line);
  } catch (e) {
    const error = `request is not valid JSON: ${(e as Error).message}`;
    return { decision: "deny", allowed: false, rule: null, reason: `invalid request: ${error}`, policy: digest, error };
  }
  return check(request);
}
