import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { approvalsCommand, APPROVALS_HELP } from "./approvals.js";
import { auditCommand, AUDIT_HELP } from "./audit.js";
import { buildCommand, BUILD_HELP } from "./build.js";
import { hookCommand, HOOK_HELP } from "./hook.js";
import { mcpProxyCommand, MCP_PROXY_HELP } from "./mcp-proxy.js";
import { serveCommand, SERVE_HELP } from "./serve.js";
import { checkCommand, CHECK_HELP, type CheckArgs } from "./check.js";
import { initCommand, INIT_HELP } from "./init.js";
import type { Io } from "./io.js";
import { CliExit, EXIT } from "./load-or-exit.js";
import { validateCommand, VALIDATE_HELP } from "./validate.js";

export const HELP = `safeclaw: deny-by-default gating for AI agent actions

usage: safeclaw <command> [options]
       safeclaw --version

commands:
  init [dir]                 write a deny-by-default safeclaw.config.yaml
  validate [--strict] [files|dir]  check policy files; errors and warnings as file:line:col
  check --policy <p> [...]   decide requests (one with --request, or JSON lines on stdin)
  audit verify|export|keygen check, export or sign the audit trail
  serve [--policy <p>]       run the decision server (HTTP API); policy found as validate finds it
  build --policy <p> --out <dir>  compile the policy into a bundle for deployment
  hook claude-code --policy <p>   gate Claude Code's tool calls (PreToolUse hook)
  mcp-proxy --policy <p> --server <name> -- <cmd>  gate an MCP server's tools/call over stdio
  approvals list|show|approve|reject  read and decide pending approvals on a server

Run \`safeclaw <command> --help\` for a command's options.
exit codes: 0 ok/allowed, 1 invalid policy or error, 2 denied, 3 require_approval, 64 usage`;

const HELPS: Record<string, string> = {
  init: INIT_HELP,
  validate: VALIDATE_HELP,
  check: CHECK_HELP,
  audit: AUDIT_HELP,
  serve: SERVE_HELP,
  build: BUILD_HELP,
  hook: HOOK_HELP,
  "mcp-proxy": MCP_PROXY_HELP,
  approvals: APPROVALS_HELP,
};

/** The installed package's version (dist/cli/ and src/cli/ both sit two levels below package.json). */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;
}

export async function main(argv: string[], io: Io, env: Record<string, string | undefined> = {}): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === "--version" || command === "-V") {
      io.stdout(packageVersion());
      return EXIT.ok;
    }
    if (command === undefined || command === "--help" || command === "-h" || command === "help") {
      io.stdout(rest[0] && HELPS[rest[0]] ? HELPS[rest[0]]! : HELP);
      return command === undefined ? EXIT.usage : EXIT.ok;
    }
    if (!HELPS[command]) throw new CliExit(EXIT.usage, `safeclaw: unknown command \`${command}\`\n\n${HELP}`);
    const own = command === "mcp-proxy" ? rest.slice(0, rest.indexOf("--") < 0 ? rest.length : rest.indexOf("--")) : rest;
    if (own.includes("--help") || own.includes("-h")) {
      io.stdout(HELPS[command]);
      return EXIT.ok;
    }
    switch (command) {
      case "init": {
        const { positionals } = parse(rest, {});
        return initCommand(positionals[0], io);
      }
      case "validate": {
        const { values, positionals } = parse(rest, { strict: { type: "boolean" } });
        return await validateCommand(positionals, io, { strict: values.strict === true });
      }
      case "check": {
        const { values } = parse(rest, {
          policy: { type: "string", multiple: true, short: "p" },
          request: { type: "string", short: "r" },
          explain: { type: "boolean" },
          audit: { type: "string" },
        });
        const args: CheckArgs = { policy: (values.policy as string[] | undefined) ?? [], explain: values.explain === true };
        if (typeof values.request === "string") args.request = values.request;
        if (typeof values.audit === "string") args.audit = values.audit;
        return await checkCommand(args, io, env);
      }
      case "audit":
        return await auditCommand(rest, io, env);
      case "approvals":
        return await approvalsCommand(rest, io, env);
      case "hook":
        return await hookCommand(rest, io, env);
      case "mcp-proxy":
        return await mcpProxyCommand(rest, io, env);
      case "build": {
        const { values } = parse(rest, { policy: { type: "string", multiple: true, short: "p" }, out: { type: "string", short: "o" } });
        return await buildCommand((values.policy as string[] | undefined) ?? [], values.out as string | undefined, io);
      }
      case "serve": {
        const { values } = parse(rest, {
          policy: { type: "string", short: "p" },
          bundle: { type: "string" },
          host: { type: "string" },
          port: { type: "string" },
          audit: { type: "string" },
          "audit-max-bytes": { type: "string" },
          "insecure-no-auth": { type: "boolean" },
        });
        const o: Parameters<typeof serveCommand>[0] = { insecureNoAuth: values["insecure-no-auth"] === true };
        if (typeof values.policy === "string") o.policyPath = values.policy;
        if (typeof values.bundle === "string") o.bundlePath = values.bundle;
        if (typeof values.host === "string") o.host = values.host;
        if (typeof values.port === "string") o.port = Number(values.port);
        if (typeof values.audit === "string") o.audit = values.audit;
        if (typeof values["audit-max-bytes"] === "string") o.auditMaxBytes = values["audit-max-bytes"];
        return await serveCommand(o, io, env);
      }
    }
    return EXIT.usage;
  } catch (e) {
    if (e instanceof CliExit) {
      if (e.message) io.stderr(e.message);
      return e.code;
    }
    io.stderr(`safeclaw: unexpected error: ${(e as Error)?.stack ?? String(e)}`);
    return EXIT.invalid;
  }
}

function parse(args: string[], options: NonNullable<Parameters<typeof parseArgs>[0]>["options"]) {
  try {
    return parseArgs({ args, options: options ?? {}, allowPositionals: true, strict: true });
  } catch (e) {
    throw new CliExit(EXIT.usage, `safeclaw: ${(e as Error).message}`);
  }
}
