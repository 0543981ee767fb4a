/**
 * What a request would touch, in one short line for a human deciding on it
 * (the webhook's text, `safeclaw approvals list`): the command, path, URL,
 * key or MCP tool, cut to `max` characters. Control characters are shown
 * escaped so a request cannot forge lines in a chat message or a terminal.
 */
export function targetSummary(request: Record<string, unknown>, max = 80): string {
  const r = request;
  const s = (v: unknown) => (typeof v === "string" ? v : undefined);
  let text: string | undefined;
  if (s(r.command) !== undefined) text = s(r.command);
  else if (s(r.path) !== undefined) text = s(r.path);
  else if (s(r.url) !== undefined) text = `${s(r.method) ? `${s(r.method)} ` : ""}${s(r.url)}`;
  else if (s(r.host) !== undefined) text = `${s(r.host)}${typeof r.port === "number" ? `:${r.port}` : ""}`;
  else if (s(r.key) !== undefined) text = s(r.key);
  else if (s(r.tool) !== undefined) text = `${s(r.server) ?? "?"}/${s(r.tool)}`;
  else if (r.arguments !== undefined) text = JSON.stringify(r.arguments);
  return clip(visible(text ?? ""), max);
}

const SHORT: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/**
 * Control, line-breaking and format characters as escapes: a newline in a
 * command is `\n`, not a new line, and a bidi override or zero-width character
 * (Unicode category Cf) is shown, so what an approver reads is what runs.
 */
export function visible(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]|\p{Cf}/gu, (c) => SHORT[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

export function clip(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, Math.max(1, max - 1)).join("")}…`;
}
