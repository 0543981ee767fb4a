import { template, type Template } from "../match/template.js";
import { DEFAULT_PORTS } from "./normalize-url.js";

/**
 * A host-form `network.request` (`host`, `port`, `scheme`; no `url`) asks to
 * connect to that host and port, and the connection may carry any request on
 * it: every URL `scheme://host[:port]/...`. It is therefore checked against
 * `url` rules as that set (a template: the origin as normalize-url.ts writes
 * it, `/`, then any text), so a `url` deny on some path of the host may match
 * it and a `url` allow must cover every path there (`https://api.github.com/**`).
 */
export function hostFormUrl(scheme: string, host: string, port: number): Template {
  const authority = host.includes(":") ? `[${host}]` : host;
  const origin = `${scheme}://${authority}${port === DEFAULT_PORTS[scheme] ? "" : `:${port}`}`;
  return template([`${origin}/`, { hole: "any", source: "*" }]);
}
