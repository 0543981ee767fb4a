import { parseArgs } from "node:util";
import { parseFilter, parseSince, renderRecords, selectRecords, type ExportFormat } from "../audit/export.js";
import { generateSigningKey, parsePublicKey } from "../audit/signing.js";
import { verifyLines, type VerifyOptions } from "../audit/verify.js";
import { auditSourceFromConfig, readAuditLines } from "../runtime/node/audit-source.js";
import type { Io } from "./io.js";
import { CliExit, EXIT } from "./load-or-exit.js";

export const AUDIT_HELP = `usage: safeclaw audit <verify|export|keygen> [options]

  audit verify [<file>|<dir>|s3://bucket/prefix|-] [--last N] [--public-key <base64>] [--policy <p>]
      Checks every chain: record hashes, prev links, gap-free seq, checkpoints and
      their signatures, and restarts that name the chain they follow. Reads
      stdout-sink output too, including lines wrapped by a log drain ({"message": ...})
      and OCSF lines. Public key also from SAFECLAW_AUDIT_PUBLIC_KEY.
      exit 0 intact, 1 broken (prints chain, seq, line and what is wrong)

  audit export [source] [--filter key=value]... [--since 24h|ISO] [--until ISO]
               [--format json|ndjson|csv|ocsf] [--policy <p>]
      filter keys: action, decision, rule, agent, chain, type, id

  Without a source, both read the configured sink: SAFECLAW_AUDIT_SINK, else the
  audit: block (sink file or s3) of the policy in the current directory (or --policy).
  A stdout sink is read from its log drain: \`fly logs | safeclaw audit verify -\`.

  audit keygen
      Prints a new Ed25519 key pair: the secret for SAFECLAW_AUDIT_SIGNING_KEY
      (sign checkpoints) and the public key for verifiers.`;

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

async function load(source: string, io: Io, env: Record<string, string | undefined>) {
  try {
    return await readAuditLines(source, io.stdin, env);
  } catch (e) {
    throw new CliExit(EXIT.invalid, `safeclaw audit: ${(e as Error).message}`);
  }
}

async function verify(args: string[], io: Io, env: Record<string, string | undefined>): Promise<number> {
  const { values, positionals } = parse(args, { last: { type: "string" }, "public-key": { type: "string" }, policy: { type: "string", short: "p" } });
  const opts: VerifyOptions = {};
  if (typeof values.last === "string") {
    const n = Number(values.last);
    if (!Number.isInteger(n) || n < 1) throw new CliExit(EXIT.usage, "safeclaw audit verify: --last takes a positive integer");
    opts.last = n;
  }
  const pk = (values["public-key"] as string | undefined) ?? env.SAFECLAW_AUDIT_PUBLIC_KEY;
  if (pk) {
    try {
      opts.publicKey = parsePublicKey(pk).publicKey;
    } catch (e) {
      throw new CliExit(EXIT.usage, `safeclaw audit verify: ${(e as Error).message}`);
    }
  }
  const source = await sourceOf("verify", positionals[0], values.policy as string | undefined, io, env);
  const lines = await load(source, io, env);
  const report = verifyLines(lines, opts);
  if (report.chains.length === 0 && report.ok) {
    io.stderr(`safeclaw audit verify: no audit records in ${source}`);
    return EXIT.invalid;
  }
  for (const c of report.chains) {
    const signed = c.lastSignedSeq !== undefined ? `, signed through seq ${c.lastSignedSeq}` : "";
    io.stdout(
      `chain ${c.chain}: ${c.records} records (seq ${c.firstSeq}-${c.lastSeq}), ${c.firstTime} .. ${c.lastTime}, ${c.checkpoints} checkpoints${signed}`,
    );
  }
  if (report.skipped > 0) io.stdout(`${report.skipped} non-audit lines skipped`);
  if (report.unverifiedSignatures > 0) io.stdout(`${report.unverifiedSignatures} checkpoint signatures not checked (give --public-key)`);
  if (!report.ok) {
    const p = report.problem!;
    io.stderr(`BROKEN: ${p.kind}: chain ${p.chain}${p.seq !== undefined ? ` seq ${p.seq}` : ""} at ${p.where}: ${p.message}`);
    return EXIT.invalid;
  }
  io.stdout(
    `intact: ${report.chains.length} chain${report.chains.length === 1 ? "" : "s"}, ${report.chains.reduce((n, c) => n + c.records, 0)} records${opts.publicKey ? ", every checkpoint signature valid" : ""}`,
  );
  return EXIT.ok;
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
  const lines = await load(await sourceOf("export", positionals[0], values.policy as string | undefined, io, env), io, env);
  const out = renderRecords(selectRecords(lines, filter), format as ExportFormat);
  if (out !== "") io.stdout(out);
  return EXIT.ok;
}
