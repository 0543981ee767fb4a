import { readFile, stat, readdir } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import type { Line } from "../../audit/verify.js";
import { loadPolicy } from "../../engine/load-policy.js";
import { ConfigError, runtimeConfig } from "../runtime-config.js";
import { auditFiles } from "./file-sink.js";
import { parseSinkSpec, type SinkSpec } from "./create-sink.js";
import { PolicyFilesError, readPolicySources } from "./policy-files.js";

/**
 * Reads audit lines from a file (with its rotations, oldest first), a
 * directory (every file in name order), `-` (stdin: a log drain's output), or
 * `s3://bucket/prefix`.
 */
export async function readAuditLines(source: string, stdin: Readable | undefined, env: Record<string, string | undefined>): Promise<Line[]> {
  if (source === "-") {
    if (!stdin) throw new Error("no stdin to read");
    let text = "";
    for await (const chunk of stdin) text += chunk;
    return toLines(text, "stdin");
  }
  if (source.startsWith("s3://")) {
    const spec = parseSinkSpec(source);
    if (spec.kind !== "s3") throw new Error(`${source}: not an S3 location`);
    const { readS3Lines } = await import("./s3-sink.js");
    return readS3Lines(spec.bucket, spec.prefix, env);
  }
  let files: string[];
  try {
    const st = await stat(source);
    files = st.isDirectory() ? (await readdir(source)).sort().map((n) => join(source, n)) : await auditFiles(source);
  } catch {
    throw new Error(`${source}: no such file or directory`);
  }
  const out: Line[] = [];
  for (const f of files) out.push(...toLines(await readFile(f, "utf8"), f));
  return out;
}

function toLines(text: string, name: string): Line[] {
  const out: Line[] = [];
  text.split("\n").forEach((l, i) => {
    if (l.trim() !== "") out.push({ text: l, where: `${name}:${i + 1}` });
  });
  return out;
}

export type AuditSourceResult = { ok: true; source: string; from: string } | { ok: false; problem: string };

const WHAT_TO_GIVE =
  "give the source (a file, a directory, s3://bucket/prefix, or - for stdin, e.g. `fly logs | safeclaw audit verify -`), " +
  "set SAFECLAW_AUDIT_SINK to the file or s3:// location the writer uses, or run it where (or give --policy so that) the policy's `audit:` block names a file or s3 sink";

/**
 * Where the trail is when no source is named: the sink the writer was told
 * to use, in the writer's order of precedence (SAFECLAW_AUDIT_SINK, then the
 * policy's `audit:` block), so `safeclaw audit verify --last 100` run next to
 * the policy reads what `safeclaw serve` wrote. Otherwise, what to give.
 */
export async function auditSourceFromConfig(env: Record<string, string | undefined>, policyTarget: string): Promise<AuditSourceResult> {
  if (env.SAFECLAW_AUDIT_SINK) {
    try {
      return readable(parseSinkSpec(env.SAFECLAW_AUDIT_SINK), "SAFECLAW_AUDIT_SINK");
    } catch (e) {
      return { ok: false, problem: `SAFECLAW_AUDIT_SINK: ${(e as Error).message}` };
    }
  }
  let why: string;
  try {
    const r = await loadPolicy(readPolicySources([policyTarget]));
    if (!r.ok) why = `the policy in ${policyTarget} is invalid (\`safeclaw validate\` says why)`;
    else {
      const from = `the audit: block of ${r.policy.ir.sources.join(", ")}`;
      const audit = runtimeConfig({}, r.policy).audit;
      if (audit) return readable(audit.sink, from);
      why = `SAFECLAW_AUDIT_SINK is not set and the policy (${r.policy.ir.sources.join(", ")}) has no \`audit:\` block`;
    }
  } catch (e) {
    if (e instanceof PolicyFilesError)
      why = `SAFECLAW_AUDIT_SINK is not set and there is no policy at ${policyTarget} (\`safeclaw validate ${policyTarget}\` says where it looked)`;
    else if (e instanceof ConfigError) why = e.message;
    else throw e;
  }
  return { ok: false, problem: `no audit trail to read: ${why}. To read one, ${WHAT_TO_GIVE}` };
}

function readable(spec: SinkSpec, from: string): AuditSourceResult {
  switch (spec.kind) {
    case "file":
      return { ok: true, source: spec.path, from };
    case "s3":
      return { ok: true, source: `s3://${spec.bucket}${spec.prefix ? `/${spec.prefix}` : ""}`, from };
    case "stdout":
      return {
        ok: false,
        problem: `${from} says the trail goes to stdout, so it is in the process's log stream: pipe that in with \`-\` (e.g. \`fly logs | safeclaw audit verify -\`)`,
      };
    case "r2":
      return {
        ok: false,
        problem: `${from} names a Worker's R2 binding, which only the Worker can read: copy the objects into a directory (e.g. with \`wrangler r2 object get\`) and give the directory`,
      };
  }
}
