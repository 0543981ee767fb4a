import { parseArgs } from "node:util";
import { parseFilter, parseSince, renderRecords, selectRecords, type ExportFormat } from "../audit/export.js";
import { generateSigningKey, parsePublicKey } from "../audit/signing.js";
import type { AuditRecord } from "../audit/record.js";
import { tornLine } from "../audit/torn-line.js";
import { parseAuditLine, TrailVerifier, type Line, type VerifyOptions, type VerifyReport } from "../audit/verify.js";
import { auditSourceFromConfig, openAuditSource } from "../runtime/node/audit-source.js";
import { LineTooLongError } from "../runtime/node/read-lines.js";
import type { Io } from "./io.js";
import { CliExit, EXIT } from "./load-or-exit.js";

export const AUDIT_HELP = `usage: safeclaw audit <verify|export|keygen> [options]

  audit verify [<file>|<dir>|s3://bucket/prefix|-] [--last N] [--public-key <base64>]
               [--allow-missing-previous] [--hour YYYY/MM/DD/HH] [--policy <p>]
      Checks every chain: record hashes, prev links, gap-free seq, checkpoints and
      their signatures, and restarts that name the chain they follow (that chain
      must be in the source). Reads stdout-sink output too, including lines wrapped
      by a log drain ({"message": ...}) and OCSF lines. Streams: any size, constant
      memory. A torn tail (a write cut short by a crash) is reported, and is a break
      only if a checkpoint vouches for records that are not there. A directory's
      *.torn-* files (quarantined torn tails) are skipped and named.
      Public key also from SAFECLAW_AUDIT_PUBLIC_KEY.
        --last N                  only each chain's last N records (first link on trust)
        --allow-missing-previous  a chain continuing one that is not in the source is
                                  a note, not a break (verifying a slice)
        --hour T                  S3: only objects of that hour (2026/12/02/13) or day
                                  (2026/12/02); a slice, so chains may start mid-way
      exit 0 intact (notes, such as a torn tail that lost nothing acknowledged, on stdout)
      exit 1 broken: edited, missing or reordered records, a deleted chain, a bad or
             missing signature (prints chain, seq, line and what is wrong)
      exit 2 could not verify: no such file, unreadable source, S3 error, no audit
             records at all, or a trail that needs a look further back than kept
             (and nothing broken anywhere in it); a line over 64 MiB after audit
             records is a break

  audit export [source] [--filter key=value]... [--since 24h|ISO] [--until ISO]
               [--format json|ndjson|csv|ocsf] [--policy <p>]
      filter keys: action, decision, rule, agent, chain, type, id

  Without a source, both read the configured sink: SAFECLAW_AUDIT_SINK, else the
  audit: block (sink file or s3) of the policy in the current directory (or --policy).
  A stdout sink is read from its log drain: \`fly logs | safeclaw audit verify -\`.

  audit keygen
      Prints a new Ed25519 key pair: the secret for SAFECLAW_AUDIT_SIGNING_KEY
      (sign checkpoints) and the public key for verifiers.`;

/** `audit verify` exit codes: intact, broken, could not verify. */
export const VERIFY_EXIT = { intact: 0, broken: 1, unverifiable: 2 } as const;

export async function auditCommand(args: string[], io: Io, env: Record<string, string | undefined>): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case "verify":
      return verify(rest, io, env);
    case "export":
      return exportCmd(rest, io, env);
    case "keygen": {
      const k = generateSigningKey();
      io.stdout(`SAFECLAW_AUDIT_SIGNING_KEY=${k.secret}`);
      io.stdout(`SAFECLAW_AUDIT_PUBLIC_KEY=${k.publicKey}`);
      io.stderr("keep the signing key secret (a secrets manager, not the repo); give the public key to whoever verifies");
      return EXIT.ok;
    }
    default:
      throw new CliExit(EXIT.usage, `safeclaw audit: unknown subcommand \`${sub ?? ""}\`\n\n${AUDIT_HELP}`);
  }
}

function parse(args: string[], options: NonNullable<Parameters<typeof parseArgs>[0]>["options"]) {
  try {
    return parseArgs({ args, options: options ?? {}, allowPositionals: true, strict: true });
  } catch (e) {
    throw new CliExit(EXIT.usage, `safeclaw audit: ${(e as Error).message}`);
  }
}

/** The source given, else the configured sink; exits 64 saying what is needed when there is none to read. */
async function sourceOf(
  command: string,
  positional: string | undefined,
  policy: string | undefined,
  io: Io,
  env: Record<string, string | undefined>,
): Promise<string> {
  if (positional !== undefined) return positional;
  const found = await auditSourceFromConfig(env, policy ?? io.cwd);
  if (!found.ok) throw new CliExit(EXIT.usage, `safeclaw audit ${command}: ${found.problem}`);
  io.stderr(`safeclaw audit ${command}: reading ${found.source} (${found.from})`);
  return found.source;
}

/** `--hour`: YYYY[/MM[/DD[/HH]]] (or with dashes and a T), as the S3 key's time prefix. */
function timePrefix(v: string): string {
  const m = /^(\d{4})(?:[-/](\d{2})(?:[-/](\d{2})(?:[T/](\d{2}))?)?)?$/.exec(v.trim());
  if (!m) throw new CliExit(EXIT.usage, `safeclaw audit verify: --hour \`${v}\`: give YYYY/MM/DD/HH (an hour) or YYYY/MM/DD (a day), e.g. 2026/12/02/13`);
  return m
    .slice(1)
    .filter((p) => p !== undefined)
    .join("/");
}

async function verify(args: string[], io: Io, env: Record<string, string | undefined>): Promise<number> {
  const { values, positionals } = parse(args, {
    last: { type: "string" },
    "public-key": { type: "string" },
    policy: { type: "string", short: "p" },
    "allow-missing-previous": { type: "boolean" },
    hour: { type: "string" },
  });
  const opts: VerifyOptions = {};
  if (typeof values.last === "string") {
    const n = Number(values.last);
    if (!Number.isInteger(n) || n < 1) throw new CliExit(EXIT.usage, "safeclaw audit verify: --last takes a positive integer");
    opts.last = n;
  }
  if (values["allow-missing-previous"]) opts.allowMissingPrevious = true;
  const time = typeof values.hour === "string" ? timePrefix(values.hour) : undefined;
  if (time !== undefined) opts.slice = true;
  const pk = (values["public-key"] as string | undefined) ?? env.SAFECLAW_AUDIT_PUBLIC_KEY;
  if (pk) {
    try {
      opts.publicKey = parsePublicKey(pk).publicKey;
    } catch (e) {
      throw new CliExit(EXIT.usage, `safeclaw audit verify: ${(e as Error).message}`);
    }
  }
  const source = await sourceOf("verify", positionals[0], values.policy as string | undefined, io, env);
  if (time !== undefined && !source.startsWith("s3://"))
    throw new CliExit(EXIT.usage, `safeclaw audit verify: --hour selects S3 objects by their time prefix; ${source} is not an s3:// location`);
  opts.sourceName = time !== undefined ? `${source} (hour ${time})` : source;
  let report: VerifyReport;
  let notes: string[];
  const verifier = new TrailVerifier(opts);
  try {
    const src = await openAuditSource(source, io.stdin, env, time !== undefined ? { time } : {});
    for await (const line of src.lines) {
      verifier.push(line);
      if (verifier.stopped) break;
    }
    report = verifier.finish();
    notes = src.notes;
  } catch (e) {
    // No writer makes a line near the reader's limit (fields are capped): one in a trail was put there, a break.
    // Before any record it may be a file that is no trail at all: that stays "could not verify".
    if (e instanceof LineTooLongError && verifier.readRecords) {
      io.stderr(`BROKEN: malformed: ${e.message} (no audit writer makes such a line)`);
      return VERIFY_EXIT.broken;
    }
    // Whatever else went wrong while reading (a missing file, an S3 error), it is not a verdict.
    const message = (e as Error)?.message ?? String(e);
    io.stderr(`safeclaw audit verify: could not verify ${message.startsWith(source) ? message : `${opts.sourceName}: ${message}`}`);
    return VERIFY_EXIT.unverifiable;
  }
  for (const n of notes) io.stdout(`note: ${n}`);
  for (const c of report.chains) {
    const signed = c.lastSignedSeq !== undefined ? `, signed through seq ${c.lastSignedSeq}` : "";
    io.stdout(
      `chain ${c.chain}: ${c.records} records (seq ${c.firstSeq}-${c.lastSeq}), ${c.firstTime} .. ${c.lastTime}, ${c.checkpoints} checkpoints${signed}`,
    );
  }
  for (const n of report.notes) io.stdout(`note: ${n.kind}: ${n.message} (at ${n.where})`);
  if (report.skipped > 0) io.stdout(`${report.skipped} non-audit lines skipped`);
  if (report.unverifiedSignatures > 0) io.stdout(`${report.unverifiedSignatures} checkpoint signatures not checked (give --public-key)`);
  if (!report.ok) {
    const p = report.problem!;
    const where = `chain ${p.chain}${p.seq !== undefined ? ` seq ${p.seq}` : ""} at ${p.where}: ${p.message}`;
    if (p.kind === "unverifiable") {
      io.stderr(`COULD NOT VERIFY: ${where}`);
      return VERIFY_EXIT.unverifiable;
    }
    io.stderr(`BROKEN: ${p.kind}: ${where}`);
    return VERIFY_EXIT.broken;
  }
  if (report.chains.length === 0) {
    io.stderr(`safeclaw audit verify: could not verify ${opts.sourceName}: no audit records in it`);
    return VERIFY_EXIT.unverifiable;
  }
  const torn = report.notes.filter((n) => n.kind === "torn-tail").length;
  io.stdout(
    `intact: ${report.chains.length} chain${report.chains.length === 1 ? "" : "s"}, ${report.chains.reduce((n, c) => n + c.records, 0)} records${opts.publicKey ? ", every checkpoint signature valid" : ""}${torn ? `, ${torn} torn tail${torn === 1 ? "" : "s"} (nothing acknowledged lost)` : ""}`,
  );
  return VERIFY_EXIT.intact;
}

/** The lines of a source for export, with a record glued after a torn line recovered as verify does. */
async function* exportLines(source: string, io: Io, env: Record<string, string | undefined>): AsyncGenerator<Line> {
  let src;
  try {
    src = await openAuditSource(source, io.stdin, env);
  } catch (e) {
    throw new CliExit(EXIT.invalid, `safeclaw audit: ${(e as Error).message}`);
  }
  for await (const l of src.lines) {
    const p = parseAuditLine(l.text);
    const glued = p.kind === "other" && p.notJson ? tornLine(l.text, (t) => parseAuditLine(t).kind === "record")?.glued : undefined;
    yield glued ? { text: glued.text, where: l.where } : l;
  }
}

async function exportCmd(args: string[], io: Io, env: Record<string, string | undefined>): Promise<number> {
  const { values, positionals } = parse(args, {
    filter: { type: "string", multiple: true },
    since: { type: "string" },
    until: { type: "string" },
    format: { type: "string" },
    policy: { type: "string", short: "p" },
  });
  const format = (values.format as string | undefined) ?? "json";
  if (!["json", "ndjson", "csv", "ocsf"].includes(format)) throw new CliExit(EXIT.usage, "safeclaw audit export: --format is json, ndjson, csv or ocsf");
  let filter;
  try {
    filter = {
      equals: ((values.filter as string[] | undefined) ?? []).map(parseFilter),
      ...(values.since ? { sinceMs: parseSince(values.since as string, Date.now()) } : {}),
      ...(values.until ? { untilMs: parseSince(values.until as string, Date.now()) } : {}),
    };
  } catch (e) {
    throw new CliExit(EXIT.usage, `safeclaw audit export: ${(e as Error).message}`);
  }
  const source = await sourceOf("export", positionals[0], values.policy as string | undefined, io, env);
  const records: AuditRecord[] = [];
  let chunk: Line[] = [];
  try {
    for await (const l of exportLines(source, io, env)) {
      chunk.push(l);
      if (chunk.length === 4096) {
        for (const r of selectRecords(chunk, filter)) records.push(r);
        chunk = [];
      }
    }
  } catch (e) {
    if (e instanceof CliExit) throw e;
    throw new CliExit(EXIT.invalid, `safeclaw audit: reading ${source}: ${(e as Error)?.message ?? String(e)}`);
  }
  for (const r of selectRecords(chunk, filter)) records.push(r);
  const out = renderRecords(records, format as ExportFormat);
  if (out !== "") io.stdout(out);
  return EXIT.ok;
}
