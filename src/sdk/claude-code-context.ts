/**
 * The event's session and tool-use ids ride along in each request's `context` (and so in the
 * audit record), to find the transcript line a decision was about. Context, not identity: the
 * agent name stays the configured one. The mapping's own context keys (`tool`, ...) win.
 */
export function withEventContext<T extends Record<string, unknown>>(requests: T[], event: { session_id?: unknown; tool_use_id?: unknown }): T[] {
  const ids: Record<string, string> = {};
  if (typeof event.session_id === "string") ids.session_id = event.session_id;
  if (typeof event.tool_use_id === "string") ids.tool_use_id = event.tool_use_id;
  if (Object.keys(ids).length === 0) return requests;
  return requests.map((r) => {
    if (r.context === undefined) return { ...r, context: ids };
    if (r.context === null || typeof r.context !== "object" || Array.isArray(r.context)) return r; // left for the engine to refuse as it is
    return { ...r, context: { ...ids, ...(r.context as Record<string, unknown>) } };
  });
}
