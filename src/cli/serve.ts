import { closeOnSignals, ServeError, startServer, type ServeOptions } from "../runtime/node/server.js";
import type { Io } from "./io.js";
import { CliExit, EXIT } from "./load-or-exit.js";

export const SERVE_HELP = `usage: safeclaw serve [--policy <file|dir>] [--bundle <file>] [--host <h>] [--port <n>]
                     [--audit <sink>] [--insecure-no-auth]

Runs the decision server (POST /v1/check, POST /v1/check/batch, GET /v1/policy,
GET /health, GET /ready).
  --policy      policy file or directory (default: SAFECLAW_POLICY, else examples/safeclaw.config.yaml)
  --bundle      a bundle from \`safeclaw build\` (default: SAFECLAW_POLICY_BUNDLE)
  --host/--port default HOST or 127.0.0.1, PORT or 9800
  --audit       stdout (default), a file path or s3://bucket/prefix (also SAFECLAW_AUDIT_SINK)
Bearer tokens: SAFECLAW_API_TOKENS (comma-separated). Without tokens the server
only listens on loopback unless --insecure-no-auth is given.`;

export async function serveCommand(opts: Omit<ServeOptions, "env" | "log">, io: Io, env: Record<string, string | undefined>, defaultPolicy: string): Promise<number> {
  const o: ServeOptions = { ...opts, env, log: io.stderr };
  if (!o.bundlePath && env.SAFECLAW_POLICY_BUNDLE) o.bundlePath = env.SAFECLAW_POLICY_BUNDLE;
  if (!o.bundlePath && !o.policyPath) o.policyPath = env.SAFECLAW_POLICY ?? defaultPolicy;
  try {
    const running = await startServer(o);
    closeOnSignals(running, io.stderr);
    await new Promise(() => undefined); // until a signal ends the process
    return EXIT.ok;
  } catch (e) {
    if (e instanceof ServeError) throw new CliExit(EXIT.invalid, `safeclaw serve: ${e.message}`);
    throw e;
  }
}
