import { isScalar, type Node, type Scalar } from "yaml";
import type { YamlSource } from "./yaml-source.js";

/**
 * A Kubernetes ConfigMap that carries policy files under `data` (as the
 * Kubernetes page shows) is read as those files, so the manifest a team keeps
 * in git can be validated in CI before it is applied. Positions of errors
 * inside a block scalar point into the manifest itself.
 */
export interface EmbeddedPolicy {
  /** the data key, which names the file inside the pod */
  key: string;
  text: string;
  shift: { lines: number; columns: number };
}

const POLICY_KEY = /\.(ya?ml|json)$/i;

export function embeddedPolicies(src: YamlSource): EmbeddedPolicy[] | undefined {
  const root = src.doc.contents as Node | null;
  if (!src.isMap(root) || root.get("kind") !== "ConfigMap") return undefined;
  const data = root.get("data", true) as Node | undefined;
  if (!src.isMap(data)) return [];
  const out: EmbeddedPolicy[] = [];
  for (const pair of data.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : "";
    const value = pair.value as Node | null;
    if (!POLICY_KEY.test(key) || !isScalar(value) || typeof value.value !== "string") continue;
    out.push({ key, text: value.value, shift: shiftOf(src, value) });
  }
  return out;
}

/** Where the content of a block scalar starts: the line after its header, at its indentation. */
function shiftOf(src: YamlSource, value: Node): { lines: number; columns: number } {
  const start = value.range![0];
  const header = src.position(start);
  const type = (value as Scalar).type;
  if (type === "BLOCK_LITERAL" || type === "BLOCK_FOLDED") {
    const nl = src.text.indexOf("\n", start);
    const firstLine =
      src.text
        .slice(nl + 1)
        .split("\n")
        .find((l) => l.trim() !== "") ?? "";
    const indent = firstLine.length - firstLine.trimStart().length;
    return { lines: header.line, columns: indent };
  }
  return { lines: header.line - 1, columns: header.column - 1 };
}
