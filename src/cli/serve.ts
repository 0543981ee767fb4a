import { closeOnSignals, ServeError, startServer, type ServeOptions } from "../runtime/node/server.js";
import { PolicyFilesError } from "../runtime/node/policy-files.js";
import { RecoveryError } from "../runtime/node/audit-recovery.js";
import { parseMaxBytes } from "../runtime/runtime-config.js";
import type { Io } from "./io.js";
import { CliExit, EXIT } from "./load-or-exit.js";

export const SERVE_HELP = `usage: safeclaw serve [--policy <file|dir> | --bundle <file>] [--host <h>] [--port <n>]
                     [--audit <sink>] [--audit-max-bytes <n>] [--insecure-no-auth]

Runs the decision server (POST /v1/check, POST /v1/check/batch, GET /v1/policy,
GET /health, GET /ready).
  --policy      policy file or directory (default: SAFECLAW_POLICY, else the policy
                found in the current directory, as \`safeclaw validate\` finds it)
  --bundle      a bundle from \`safeclaw build\` (default: SAFECLAW_POLICY_BUNDLE)
  --host/--port default HOST or 127.0.0.1, PORT or 9800 (0: any free port, printed)
  --audit       stdout (default), a file path or s3://bucket/prefix (also SAFECLAW_AUDIT_SINK)
  --audit-max-bytes  a file sink starts a new file (the old one renamed <file>.<UTC time>)
                once it reaches n bytes, n >= 4096 (also SAFECLAW_AUDIT_MAX_BYTES, the
                policy's audit.maxBytes); a torn tail found at start goes to <file>.torn-<UTC time>
An option beats the environment; with neither, SAFECLAW_POLICY_BUNDLE beats
SAFECLAW_POLICY. \`npm start\` serves examples/safeclaw.config.yaml.
Bearer tokens: SAFECLAW_API_TOKENS (comma-separated). Without tokens the server
only listens on loopback unless --insecure-no-auth is given.`;

export type ServeCommandOptions = Omit<ServeOptions, "env" | "log"> & { auditMaxBytes?: string };

export async function serveCommand(opts: ServeCommandOptions, io: Io, env: Record<string, string | undefined>): Promise<number> {
  if (opts.policyPath && opts.bundlePath) throw new CliExit(EXIT.usage, "safeclaw serve: give --policy or --bundle, not both");
  const { auditMaxBytes, ...serveOpts } = opts;
  if (auditMaxBytes !== undefined) {
    // The flag beats the environment the way --audit does: it takes SAFECLAW_AUDIT_MAX_BYTES's place, checked as that is.
    try {
      env = { ...env, SAFECLAW_AUDIT_MAX_BYTES: String(parseMaxBytes(auditMaxBytes, "--audit-max-bytes")) };
    } catch (e) {
      throw new CliExit(EXIT.usage, `safeclaw serve: ${(e as Error).message}`);
    }
  }
  const o: ServeOptions = { ...serveOpts, env, log: io.stderr };
  if (!o.bundlePath && !o.policyPath) {
    if (env.SAFECLAW_POLICY_BUNDLE) o.bundlePath = env.SAFECLAW_POLICY_BUNDLE;
    else o.policyPath = env.SAFECLAW_POLICY || io.cwd;
  } else if (opts.policyPath && env.SAFECLAW_POLICY_BUNDLE) {
    io.stderr(`safeclaw serve: SAFECLAW_POLICY_BUNDLE is set but --policy ${opts.policyPath} was given; serving --policy`);
  }
  // A signal that comes between "serving on <url>" and the shutdown handlers (a supervisor that stops a
  // server right after it starts) is held, then handled like any other: with no listener it would kill
  // the process before its audit trail is flushed.
  const held: NodeJS.Signals[] = [];
  const hold = (sig: NodeJS.Signals) => void held.push(sig);
  process.on("SIGTERM", hold).on("SIGINT", hold);
  try {
    const running = await startServer(o);
    closeOnSignals(running, io.stderr);
    process.off("SIGTERM", hold).off("SIGINT", hold);
    if (held[0]) process.emit(held[0], held[0]);
    await new Promise(() => undefined); // until a signal ends the process
    return EXIT.ok;
  } catch (e) {
    process.off("SIGTERM", hold).off("SIGINT", hold);
    if (e instanceof ServeError || e instanceof PolicyFilesError || e instanceof RecoveryError) throw new CliExit(EXIT.invalid, `safeclaw serve: ${e.message}`);
    throw e;
  }
}
