/**
 * `--audit` / SAFECLAW_AUDIT_SINK: `stdout`, `s3://bucket/prefix`, `r2[://prefix]`
 * (a Worker's R2 binding), or a file path (Node).
 */
export type SinkSpec = { kind: "stdout" } | { kind: "file"; path: string } | { kind: "s3"; bucket: string; prefix: string } | { kind: "r2"; prefix: string };

export function parseSinkSpec(spec: string): SinkSpec {
  if (spec === "stdout" || spec === "-") return { kind: "stdout" };
  if (spec === "r2" || spec.startsWith("r2://")) return { kind: "r2", prefix: spec.slice(5).replace(/^\/+|\/+$/g, "") };
  if (spec.startsWith("s3://")) {
    const rest = spec.slice(5);
    const slash = rest.indexOf("/");
    const bucket = slash < 0 ? rest : rest.slice(0, slash);
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) throw new Error(`\`${spec}\`: \`${bucket}\` is not a valid S3 bucket name`);
    return { kind: "s3", bucket, prefix: slash < 0 ? "" : rest.slice(slash + 1).replace(/^\/+|\/+$/g, "") };
  }
  if (spec === "") throw new Error("audit sink is empty");
  return { kind: "file", path: spec };
}
