import sh from "mvdan-sh";

/**
 * A second, independent parser: mvdan/sh (the parser behind shfmt), as the
 * `mvdan-sh` GopherJS build (~0.1 ms a line, full syntax tree; `sh-syntax`,
 * its maintained wasm build, returns command nodes without their contents
 * and takes ~7 ms a line, so it cannot say which simple commands exist).
 * Used to pre-filter generated lines and as a second opinion: whether bash
 * and POSIX grammars accept the line, and how many simple commands it holds.
 */
export interface OracleView {
  bash: { ok: boolean; error?: string; calls: number };
  posix: { ok: boolean; error?: string; calls: number };
}

const syntax = (sh as { syntax: any }).syntax;
const parsers = {
  bash: syntax.NewParser(syntax.Variant(syntax.LangBash)),
  posix: syntax.NewParser(syntax.Variant(syntax.LangPOSIX)),
};

function one(p: any, line: string): { ok: boolean; error?: string; calls: number } {
  try {
    const f = p.Parse(line, "line");
    let calls = 0;
    syntax.Walk(f, (n: unknown) => {
      if (n && syntax.NodeType(n) === "CallExpr") calls++;
      return true;
    });
    return { ok: true, calls };
  } catch (e) {
    const err = e as { Error?: () => string; Text?: string };
    return { ok: false, error: typeof err?.Error === "function" ? err.Error() : String(err?.Text ?? e), calls: 0 };
  }
}

export async function oracle(line: string): Promise<OracleView> {
  return { bash: one(parsers.bash, line), posix: one(parsers.posix, line) };
}
