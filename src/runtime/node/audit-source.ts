import { createReadStream } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { Readable } from "node:stream";
import type { Line } from "../../audit/verify.js";
import { loadPolicy } from "../../engine/load-policy.js";
import { ConfigError, runtimeConfig } from "../runtime-config.js";
import { auditFiles } from "./file-sink.js";
import { parseSinkSpec, type SinkSpec } from "./create-sink.js";
import { PolicyFilesError, readPolicySources } from "./policy-files.js";
import { linesOf } from "./read-lines.js";

/**
 * Where audit lines come from, streamed: a file (with its rotations, oldest
 * first), a directory (every file in name order), `-` (stdin: a log drain's
 * output), or `s3://bucket/prefix` (s3-read.ts, page by page). Files are read
 * as streams, a line at a time, so a trail of any size reads in constant memory.
 * Quarantined torn tails (`<file>.torn-<stamp>`, moved aside by the writer's
 * start-up) are not part of the trail and are skipped; `notes` says which
 * exist. Opening checks the source exists (AuditSourceError says what is
 * wrong); errors while reading are thrown from the iteration.
 */
export interface AuditSource {
  /** the source as given, for messages */
  name: string;
  lines: AsyncIterable<Line>;
  /** what the reader saw besides the lines (quarantine files skipped) */
  notes: string[];
}

export interface AuditSourceOptions {
  /** S3 only: a time prefix, YYYY/MM/DD/HH (an hour) or shorter (a day, a month) */
  time?: string;
  /** S3 only: keys per listing page */
  pageSize?: number;
}

export class AuditSourceError extends Error {}

const QUARANTINE = /\.torn-[^/]*$/;

export async function openAuditSource(
  source: string,
  stdin: Readable | undefined,
  env: Record<string, string | undefined>,
  opts: AuditSourceOptions = {},
): Promise<AuditSource> {
  if (opts.time !== undefined && !source.startsWith("s3://"))
    throw new AuditSourceError(`--hour selects S3 objects by their time prefix; ${source} is not an s3:// location`);
  if (source === "-") {
    if (!stdin) throw new AuditSourceError("no stdin to read");
    return { name: "stdin", lines: linesOf(stdin, "stdin"), notes: [] };
  }
  if (source.startsWith("s3://")) {
    const spec = parseSinkSpec(source);
    if (spec.kind !== "s3") throw new AuditSourceError(`${source}: not an S3 location`);
    const { s3Lines } = await import("./s3-read.js");
    return { name: source, lines: s3Lines(spec.bucket, spec.prefix, env, opts), notes: [] };
  }
  let isDir: boolean;
  try {
    isDir = (await stat(source)).isDirectory();
  } catch (e) {
    throw new AuditSourceError(`${source}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file or directory" : (e as Error).message}`);
  }
  const notes: string[] = [];
  let files: string[];
  if (isDir) {
    files = [];
    for (const e of (await readdir(source, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const path = join(source, e.name);
      if (QUARANTINE.test(e.name)) notes.push(quarantineNote(path));
      else if (e.isFile()) files.push(path);
      else notes.push(`${path}: not a regular file, skipped`);
    }
  } else {
    files = await auditFiles(source);
    const base = basename(source);
    for (const n of (await readdir(dirname(source))).sort()) if (n.startsWith(base + ".torn-")) notes.push(quarantineNote(join(dirname(source), n)));
  }
  if (files.length === 0) throw new AuditSourceError(`${source}: ${isDir ? "the directory holds no files" : "no such file"}`);
  return { name: source, lines: filesLines(files), notes };
}

function quarantineNote(path: string): string {
  return `${path}: a quarantined torn tail (moved aside by the writer at start-up), not part of the trail: skipped`;
}

async function* filesLines(files: readonly string[]): AsyncGenerator<Line> {
  for (const f of files) {
    const stream = createReadStream(f, { highWaterMark: 1 << 20 });
    try {
      yield* linesOf(stream, f);
    } finally {
      stream.destroy();
    }
  }
}

/** Every line of a source, collected: for small trails (tests, the SDK); the CLI streams with openAuditSource. */
export async function readAuditLines(
  source: string,
  stdin: Readable | undefined,
  env: Record<string, string | undefined>,
  opts: AuditSourceOptions = {},
): Promise<Line[]> {
  const out: Line[] = [];
  for await (const l of (await openAuditSource(source, stdin, env, opts)).lines) out.push(l);
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
