// The request mix of the HTTP benchmarks (http-load.mjs, http-profile.mjs): allowed and denied
// decisions of the example policy, as autocannon request objects.
const bodies = [
  { action: "file.read", path: "/app/src/index.js" },
  { action: "network.request", url: "http://0xa9fea9fe/latest/" },
  { action: "env.read", key: "FLY_API_TOKEN" },
  { action: "file.write", path: "/tmp/out.json" },
].map((b) => JSON.stringify(b));

export const requests = bodies.map((body) => ({ method: "POST", path: "/v1/check", headers: { "content-type": "application/json" }, body }));
