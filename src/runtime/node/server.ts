import { serve, type ServerType } from "@hono/node-server";
import { readFile } from "node:fs/promises";
import { isIP } from "node:net";
import type { AuditLog } from "../../audit/audit-log.js";
import { batchLines } from "../../audit/lines.js";
import { Gatekeeper } from "../../approval/gatekeeper.js";
import type { MemoryStateStore } from "../../approval/memory-state-store.js";
import { approvalConfig, approvalWebhook, type ApprovalConfig } from "../approval-settings.js";
import type { ApprovalView } from "../../approval/approval-view.js";
import { nodeStateStore } from "./file-state.js";
import { getConnInfo } from "@hono/node-server/conninfo";
import type { Context } from "hono";
import { createApp, unauthorizedTally } from "../../http/create-app.js";
import { loadBundle } from "../../engine/bundle.js";
import type { CompiledPolicy } from "../../engine/compile.js";
import { formatPolicyError } from "../../policy/errors.js";
import { loadPolicy } from "../../engine/load-policy.js";
import { policyTraps } from "../../engine/policy-traps.js";
import { ConfigError, parseTokens, policyInfo, runtimeConfig, type RuntimeConfig } from "../runtime-config.js";
import { createNodeAuditLog } from "./audit-config.js";
import { readPolicySources } from "./policy-files.js";
import { serverSettings, type ServerSettings } from "./server-settings.js";
import { appendSpill } from "./shutdown-spill.js";

/**
 * The Node decision server (Fly.io machine, Kubernetes sidecar, `npm start`).
 * Loads the policy (a build-time bundle, or policy files for the ConfigMap
 * case), audits every decision (stdout unless configured otherwise), refuses
 * to listen beyond loopback without tokens, times out slow clients, and on
 * SIGTERM/SIGINT delivers the audit queue for a bounded time and spills what
 * it could not deliver before exiting (non-zero when anything was left).
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
  shutdownWaitMs: number;
  /** stop accepting, deliver the audit queue for up to the shutdown wait, then spill what is left */
  shutdown(): Promise<ShutdownReport>;
  /** spill what is undelivered now (synchronous; once) */
  spill(): ShutdownReport;
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
  let settings: ServerSettings;
  try {
    settings = serverSettings(env);
  } catch (e) {
    if (e instanceof ConfigError) throw new ServeError(e.message);
    throw e;
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
      ...(settings.spillPath ? { spill: settings.spillPath } : {}),
    }));
  const tally = audit && tokens.length > 0 ? unauthorizedTally(audit) : undefined;
  let approvals: ApprovalConfig;
  let state: MemoryStateStore;
  try {
    approvals = approvalConfig(env, tokens);
    state = nodeStateStore(env);
  } catch (e) {
    if (e instanceof ConfigError) throw new ServeError(e.message);
    throw e;
  }
  const webhook = approvalWebhook(approvals, log);
  const app = createApp({
    engine: new Gatekeeper(policy, {
      state,
      settings: approvals.settings,
      ...(audit ? { audit } : {}),
      ...(webhook ? { onCreated: (v: ApprovalView) => void webhook.notify(v) } : {}),
    }),
    ...(approvals.approvers.length > 0 ? { approvers: approvals.approvers } : {}),
    policy: policyInfo(policy, builtAt),
    ...(audit ? { audit } : {}),
    ...(tokens.length > 0 ? { tokens } : {}),
    ...(tally ? { unauthorized: tally } : {}),
    clientAddress: clientAddress(settings.clientIpHeader),
    log,
  });
  const server = await new Promise<ServerType>((resolve) => {
    const s = serve(
      {
        fetch: app.fetch,
        hostname: host,
        port,
        serverOptions: {
          headersTimeout: settings.headersTimeoutMs,
          requestTimeout: settings.requestTimeoutMs,
          keepAliveTimeout: settings.keepAliveTimeoutMs,
          // Node enforces the two timeouts above only when it checks its connections (every 30 s by default).
          connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(settings.headersTimeoutMs / 4))),
        },
      },
      () => resolve(s),
    );
  });
  const address = server.address();
  const actualPort = typeof address === "object" && address ? address.port : port;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${actualPort}`;
  log(`safeclaw: serving ${policy.digest} (${policy.rules.length} rules) on ${url}${tokens.length ? " with bearer auth" : ""}; audit ${audit ? "on" : "off"}`);

  let spilled: ShutdownReport | undefined;
  /** What is still undelivered goes to stderr (and the spill file) now, synchronously: also the last act of a forced exit. */
  const spill = (): ShutdownReport => {
    if (spilled) return spilled;
    const batch = audit?.undeliveredBatch();
    if (!audit || !batch || !config.audit) return (spilled = { undelivered: 0 });
    const lines = batchLines(batch, config.audit.format);
    const report: ShutdownReport = { undelivered: batch.records.length, chain: batch.chain, seqs: [batch.firstSeq, batch.lastSeq], to: [] };
    let fileError = "";
    if (settings.spillPath) {
      try {
        appendSpill(settings.spillPath, lines);
        report.to!.push(settings.spillPath);
      } catch (e) {
        fileError = `; appending them to ${settings.spillPath} failed: ${(e as Error).message}`;
      }
    }
    report.to!.push("stderr");
    log(
      `safeclaw: ${report.undelivered} audit records of chain ${batch.chain} (seq ${batch.firstSeq}-${batch.lastSeq}) could not be delivered to the ${config.audit.sink.kind} sink (${audit.failing ?? `not durable within ${settings.shutdownWaitMs} ms`}); ` +
        `they follow on stderr as NDJSON with a checkpoint${settings.spillPath && !fileError ? ` and are appended to ${settings.spillPath} (fsynced)` : ""}${fileError}${settings.spillPath ? "" : " (SAFECLAW_AUDIT_SPILL=<file> keeps them in a file too)"}`,
    );
    // Synchronous for files and terminals; a pipe takes them asynchronously, so the exit waits for it (exitAfterStderr).
    process.stderr.write(lines.join("\n") + "\n");
    return (spilled = report);
  };
  let closing: Promise<ShutdownReport> | undefined;
  const shutdown = () =>
    (closing ??= (async () => {
      const until = Date.now() + settings.shutdownWaitMs;
      // Stop accepting; requests already being read or decided get the first half of the wait, then are cut, so
      // a client dribbling its body cannot use up the time the audit queue needs (its refusal is recorded too).
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      (server as { closeIdleConnections?: () => void }).closeIdleConnections?.();
      await within(closed, Math.floor(settings.shutdownWaitMs / 2));
      (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      await new Promise((resolve) => setTimeout(resolve, 20)); // the cut requests' handlers record their refusals
      tally?.flush(); // the 401s counted but not yet told
      // Announcements of new approvals still in flight get what is left of the wait beside the audit queue (they are not spilled: the approval is in the store and the list).
      const announced = webhook ? within(webhook.idle(), Math.max(0, until - Date.now())) : undefined;
      if (audit) await audit.close({ waitMs: Math.max(0, until - Date.now()) });
      await announced;
      return spill();
    })());
  return { url, audit, shutdownWaitMs: settings.shutdownWaitMs, shutdown, spill, close: async () => void (await shutdown()) };
}

/** What a shutdown could not deliver to the sink, and where it went instead. */
export interface ShutdownReport {
  undelivered: number;
  chain?: string;
  seqs?: [number, number];
  /** the spill file (when it was written) and "stderr" */
  to?: string[];
}

/**
 * Who is asking, for the 401 tally: the socket's peer, or, when the deployment
 * says its proxy sets one (SAFECLAW_CLIENT_IP_HEADER), that header's last
 * entry (a proxy appends the address it saw to what the client sent).
 */
function clientAddress(header: string | undefined): (c: Context) => string | undefined {
  if (header) return (c) => c.req.header(header)?.split(",").pop()?.trim();
  return (c) => getConnInfo(c).remote.address;
}

function within(p: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([p, new Promise((resolve) => (timer = setTimeout(resolve, Math.max(0, ms))))]).finally(() => clearTimeout(timer));
}

/**
 * SIGTERM/SIGINT: stop accepting, deliver the audit queue for up to
 * SAFECLAW_SHUTDOWN_WAIT_MS, spill what is left (stderr, SAFECLAW_AUDIT_SPILL)
 * and exit 1 if anything was left, 0 when the trail is complete. A backstop
 * spills and exits 1 should the orderly path itself hang. A second signal
 * (Ctrl-C twice, a supervisor that repeats SIGTERM) spills at once and exits
 * 1: with no listener left it would kill the process before the spill.
 */
export function closeOnSignals(running: RunningServer, log: (m: string) => void): void {
  let stopping = false;
  const onSignal = (sig: NodeJS.Signals) => {
    if (stopping) {
      log(`safeclaw: ${sig} again: spilling the undelivered audit records now and exiting 1`);
      running.spill();
      exitAfterStderr(1);
      return;
    }
    stopping = true;
    log(`safeclaw: ${sig}: stopping; delivering the audit queue for up to ${running.shutdownWaitMs} ms`);
    // Stays armed until the exit: it also bounds the wait for stderr to take the spill.
    setTimeout(() => {
      log(`safeclaw: shutdown did not finish within ${running.shutdownWaitMs + BACKSTOP_MS} ms; spilling and exiting`);
      running.spill();
      process.exit(1);
    }, running.shutdownWaitMs + BACKSTOP_MS);
    running.shutdown().then(
      (r) => {
        if (r.undelivered > 0) log(`safeclaw: exiting 1: ${r.undelivered} audit records were not delivered to the sink (now in ${r.to!.join(" and ")})`);
        exitAfterStderr(r.undelivered > 0 ? 1 : 0);
      },
      (e) => {
        log(`safeclaw: shutdown failed: ${e}`);
        running.spill();
        exitAfterStderr(1);
      },
    );
  };
  for (const sig of ["SIGTERM", "SIGINT"] as const) process.on(sig, onSignal);
}

/**
 * Exits once stderr has taken everything written to it. A pipe (Kubernetes,
 * systemd, docker) is asynchronous on Linux: what it has not taken yet when
 * process.exit() runs is lost, and a spill is far larger than a pipe's 64 KiB.
 * Writes are done in order, so an empty write's callback comes after them all.
 */
function exitAfterStderr(code: number): void {
  process.stderr.write("", () => process.exit(code));
}

/** How long past the shutdown wait the orderly path may take (a sink call to abort, the spill) before the backstop acts. */
const BACKSTOP_MS = 1_500;
