import { serve, type ServerType } from "@hono/node-server";
import { readFile } from "node:fs/promises";
import { isIP } from "node:net";
import type { AuditLog } from "../../audit/audit-log.js";
import { createEngine } from "../../engine/engine.js";
import { createApp } from "../../http/create-app.js";
import { loadBundle } from "../../engine/bundle.js";
import type { CompiledPolicy } from "../../engine/compile.js";
import { formatPolicyError } from "../../policy/errors.js";
import { loadPolicy } from "../../engine/load-policy.js";
import { policyTraps } from "../../engine/policy-traps.js";
import { ConfigError, parseTokens, policyInfo, runtimeConfig, type RuntimeConfig } from "../runtime-config.js";
import { createNodeAuditLog } from "./audit-config.js";
import { readPolicySources } from "./policy-files.js";

/**
 * The Node decision server (Fly.io machine, Kubernetes sidecar, `npm start`).
 * Loads the policy (a build-time bundle, or policy files for the ConfigMap
 * case), audits every decision (stdout unless configured otherwise), refuses
 * to listen beyond loopback without tokens, and flushes the audit trail on
 * SIGTERM/SIGINT before exiting.
 */
export interface ServeOptions {
  env: Record<string, string | undefined>;
  /** policy file or directory (SAFECLAW_POLICY) */
  policyPath?: string;
  /** a policy bundle JSON file (SAFECLAW_POLICY_BUNDLE) */
  bundlePath?: string;
  host?: string;
  port?: number;
  insecureNoAuth?: boolean;
  audit?: string;
  log?: (message: string) => void;
}

export interface RunningServer {
  url: string;
  audit: AuditLog | undefined;
  close(): Promise<void>;
}

export class ServeError extends Error {}

export function isLoopback(host: string): boolean {
  if (host === "localhost") return true;
  if (isIP(host) === 4) return host.startsWith("127.");
  return host === "::1" || host === "[::1]";
}

async function policyFrom(opts: ServeOptions): Promise<{ policy: CompiledPolicy; builtAt?: string; warnings?: string[] }> {
  if (opts.bundlePath) {
    try {
      return await loadBundle(JSON.parse(await readFile(opts.bundlePath, "utf8")));
    } catch (e) {
      throw new ServeError(`${opts.bundlePath}: ${(e as Error).message}`);
    }
  }
  const r = await loadPolicy(readPolicySources([opts.policyPath ?? "."]));
  if (!r.ok) throw new ServeError(`policy is invalid; not serving:\n${r.errors.map(formatPolicyError).join("\n")}`);
  return { policy: r.policy, warnings: r.warnings.map(formatPolicyError) };
}

export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const env = opts.env;
  const log = opts.log ?? ((m: string) => process.stderr.write(m + "\n"));
  const host = opts.host ?? env.HOST ?? "127.0.0.1";
  const port = opts.port ?? Number(env.PORT ?? 9800);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ServeError(`PORT \`${env.PORT}\` is not a port number`);
  let tokens: ReturnType<typeof parseTokens>;
  try {
    tokens = parseTokens(env.SAFECLAW_API_TOKENS);
  } catch (e) {
    if (e instanceof ConfigError) throw new ServeError(e.message);
    throw e;
  }
  if (tokens.length === 0 && !isLoopback(host) && !opts.insecureNoAuth) {
    throw new ServeError(`refusing to listen on ${host} without SAFECLAW_API_TOKENS; set tokens, listen on 127.0.0.1, or pass --insecure-no-auth`);
  }
  const { policy, builtAt, warnings } = await policyFrom(opts);
  // What `safeclaw validate` would warn about, said once at start: the server still serves the policy as written.
  for (const w of [...(warnings ?? []), ...policyTraps(policy).map(formatPolicyError)]) log(`safeclaw: policy warning: ${w}`);
  let config: RuntimeConfig;
  try {
    config = runtimeConfig(env, policy, { ...(opts.audit !== undefined ? { sink: opts.audit } : {}), fallbackSink: "stdout" });
  } catch (e) {
    if (e instanceof ConfigError) throw new ServeError(e.message);
    throw e;
  }
  const instance: Record<string, string> = { runtime: "node" };
  if (env.FLY_REGION) instance.region = env.FLY_REGION;
  if (env.FLY_MACHINE_ID) instance.machine = env.FLY_MACHINE_ID;
  const audit =
    config.audit &&
    (await createNodeAuditLog(config.audit, {
      env,
      policy,
      instance,
      chainParts: [env.FLY_REGION ?? "node", env.FLY_MACHINE_ID ?? ""],
      log,
      groupCommit: true,
    }));
  const app = createApp({
    engine: createEngine(policy),
    policy: policyInfo(policy, builtAt),
    ...(audit ? { audit } : {}),
    ...(tokens.length > 0 ? { tokens } : {}),
    log,
  });
  const server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: host, port }, () => resolve(s));
  });
  const address = server.address();
  const actualPort = typeof address === "object" && address ? address.port : port;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${actualPort}`;
  log(`safeclaw: serving ${policy.digest} (${policy.rules.length} rules) on ${url}${tokens.length ? " with bearer auth" : ""}; audit ${audit ? "on" : "off"}`);
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      (server as { closeIdleConnections?: () => void }).closeIdleConnections?.();
      await closed;
      await audit?.close();
    })());
  return { url, audit, close };
}

/** SIGTERM/SIGINT: stop accepting, flush the audit trail, exit (well inside Fly's 5 s kill timeout). */
export function closeOnSignals(running: RunningServer, log: (m: string) => void): void {
  for (const sig of ["SIGTERM", "SIGINT"] as const) {
    process.once(sig, () => {
      log(`safeclaw: ${sig}: flushing the audit trail and stopping`);
      const force = setTimeout(() => process.exit(1), 4_000);
      running.close().then(
        () => {
          clearTimeout(force);
          process.exit(0);
        },
        (e) => {
          log(`safeclaw: shutdown failed: ${e}`);
          process.exit(1);
        },
      );
    });
  }
}
