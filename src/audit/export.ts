import { toOcsf } from "./ocsf.js";
import type { AuditRecord } from "./record.js";
import { parseAuditLine, type Line } from "./verify.js";

/** `audit export`: filter records by field and time, and render them for a person or a SIEM. */
export type ExportFormat = "json" | "ndjson" | "csv" | "ocsf";

export interface ExportFilter {
  equals: Array<[string, string]>;
  sinceMs?: number;
  untilMs?: number;
}

const FILTER_KEYS = ["action", "decision", "rule", "agent", "chain", "type", "id"] as const;

export function parseFilter(expr: string): [string, string] {
  const eq = expr.indexOf("=");
  const key = eq < 0 ? expr : expr.slice(0, eq);
  if (eq < 0 || !(FILTER_KEYS as readonly string[]).includes(key)) {
    throw new Error(`--filter \`${expr}\`: use key=value with key one of ${FILTER_KEYS.join(", ")}`);
  }
  return [key, expr.slice(eq + 1)];
}

/** `24h`, `30m`, `7d` before now, or an ISO date-time. */
export function parseSince(v: string, nowMs: number): number {
  const rel = /^(\d+)\s*(s|m|h|d)$/.exec(v.trim());
  if (rel) return nowMs - Number(rel[1]) * { s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7 }[rel[2] as "s" | "m" | "h" | "d"];
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new Error(`\`${v}\` is neither a duration like 24h nor an ISO date-time`);
  return t;
}

export function selectRecords(lines: readonly Line[], f: ExportFilter): AuditRecord[] {
  const out: AuditRecord[] = [];
  for (const l of lines) {
    const p = parseAuditLine(l.text);
    if (p.kind !== "record") continue;
    const r = p.r as unknown as Record<string, unknown>;
    const t = Date.parse(p.r.time);
    if (f.sinceMs !== undefined && t < f.sinceMs) continue;
    if (f.untilMs !== undefined && t >= f.untilMs) continue;
    if (f.equals.every(([k, v]) => String(r[k] ?? "") === v)) out.push(p.r);
  }
  return out;
}

const CSV_COLUMNS = ["time", "chain", "seq", "type", "action", "decision", "rule", "agent", "target", "reason", "policy", "hash"];

export function renderRecords(records: readonly AuditRecord[], format: ExportFormat): string {
  switch (format) {
    case "json":
      return JSON.stringify(records, null, 2);
    case "ndjson":
      return records.map((r) => JSON.stringify(r)).join("\n");
    case "ocsf":
      return records.map((r) => JSON.stringify(toOcsf(r))).join("\n");
    case "csv": {
      const rows = records.map((r) => {
        const o = r as unknown as Record<string, unknown>;
        const target = o.target as Record<string, unknown> | undefined;
        const cells = CSV_COLUMNS.map((c) => (c === "target" ? (target ? Object.values(target).join(" ") : "") : (o[c] ?? "")));
        return cells.map((c) => csvCell(String(c))).join(",");
      });
      return [CSV_COLUMNS.join(","), ...rows].join("\n");
    }
  }
}

function csvCell(s: string): string {
  // Quote always-risky cells; a leading = + - @ would be read as a formula by spreadsheets.
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[",\n\r]/.test(safe) || safe !== s ? `"${safe.replace(/"/g, '""')}"` : safe;
}
