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
export function hostFormUrl(scheme: string, host: string, port: number, schemeGiven = true): Template {
  const authority = host.includes(":") ? `[${host}]` : host;
  // No `scheme`: the connection may speak any protocol to that port (plain http on 80 as
  // well as https), so url rules see every scheme and every port spelling there; a url
  // allow then cannot cover it (send `scheme`, or `url`), a url deny on any scheme may.
  if (!schemeGiven) {
    const scheme = { hole: "segment", source: "scheme" } as const;
    // a port that is some scheme's default is written both with and without `:port`
    if (Object.values(DEFAULT_PORTS).includes(port)) return template([scheme, `://${authority}`, { hole: "any", source: "*" }]);
    return template([scheme, `://${authority}:${port}/`, { hole: "any", source: "*" }]);
  }
  const origin = `${scheme}://${authority}${port === DEFAULT_PORTS[scheme] ? "" : `:${port}`}`;
  return template([`${origin}/`, { hole: "any", source: "*" }]);
}

/**
 * A WebSocket connection starts as an HTTP/1.1 GET of the same path on the same
 * host and port (then an Upgrade), so a `ws://` URL is also the `http://` URL of
 * its handshake (`wss://`, `https://`): `url` rules see both, a deny of either
 * holds and an allow must cover both.
 */
export function handshakeUrl(url: string): string | undefined {
  const m = /^(wss?):\/\//.exec(url);
  return m ? `${m[1] === "ws" ? "http" : "https"}${url.slice(m[1]!.length)}` : undefined;
}

/** The host-form template of a ws/wss connection's handshake (see handshakeUrl). */
export function handshakeScheme(scheme: string): string | undefined {
  return scheme === "ws" ? "http" : scheme === "wss" ? "https" : undefined;
}
