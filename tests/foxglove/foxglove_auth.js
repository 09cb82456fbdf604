// Foxglove viewers under auth.required: the token comes with the upgrade
// (Authorization: Bearer or ?token=) or the upgrade is refused with 401;
// telemetry:read to see and subscribe, a write scope to call.
"use strict";

const h = require("./harness");
const { check, checkEq, waitFor, Viewer } = h;

const SECRET = "foxglove-test-secret-0123456789abcdef";

h.main("foxglove_auth", async () => {
  const hub = await h.startHalhub({
    auth: { required: true, jwt_secret: SECRET },
    limits: { rate_limit_per_min: 30 },
    devices: [{ id: "sim0", plugin: "sim", rate_hz: 100 }],
  });
  try {
    const reader = h.jwt(SECRET, { sub: "ann", scope: "telemetry:read" });
    const operator = h.jwt(SECRET, { sub: "bob", scope: "telemetry:read device:sim0:write" });
    const writerOnly = h.jwt(SECRET, { sub: "cid", scope: "commands:write" });

    checkEq("no token: 401", await h.upgradeStatus(hub.url.href), 401);
    checkEq("no token on /: 401", await h.upgradeStatus(`${hub.base}/`), 401);
    checkEq("a bad token: 401", await h.upgradeStatus(hub.url.href, { headers: { Authorization: "Bearer nonsense" } }), 401);
    checkEq("a token signed with another key: 401",
      await h.upgradeStatus(hub.url.href, { headers: { Authorization: `Bearer ${h.jwt("other", { sub: "x", scope: "admin" })}` } }), 401);
    checkEq("the halhub protocol's upgrade is never refused for a token", await h.upgradeStatus(hub.url.href, { protocols: [] }), 101);
    checkEq("a Bearer token opens", await h.upgradeStatus(hub.url.href, { headers: { Authorization: `Bearer ${reader}` } }), 101);

    // ?token= (browsers cannot set headers); telemetry:read only.
    const r = await new Viewer(`${hub.url.href}?token=${reader}`).ready();
    await waitFor("reader's channel", () => r.channelOf("sim0"));
    const sub = r.subscribe("sim0");
    await waitFor("reader's data", () => (r.messages.get(sub) || []).length >= 5);
    check("telemetry:read subscribes and gets data", true);
    const echo = r.serviceNamed("/sim0/echo");
    const refused = await r.call(echo.id, "{}");
    checkEq("a call without a write scope is answered forbidden",
      [refused.response && refused.response.status, refused.response && refused.response.error.code], ["error", "forbidden"]);
    r.close();

    const o = await new Viewer(hub.url.href, { headers: { Authorization: `Bearer ${operator}` } }).ready();
    await waitFor("operator's services", () => o.serviceNamed("/sim0/echo"));
    const ok = await o.call(o.serviceNamed("/sim0/echo").id, JSON.stringify({ n: 7 }));
    checkEq("device:sim0:write calls sim0's commands", [ok.response.status, ok.response.result], ["ok", { n: 7 }]);
    o.close();

    const w = await new Viewer(hub.url.href, { headers: { Authorization: `Bearer ${writerOnly}` } }).ready();
    await waitFor("a status", () => w.statuses.length > 0);
    checkEq("without telemetry:read no channel is listed", w.channels.size, 0);
    w.client.subscribe(1);
    await waitFor("a refusal of the subscribe", () => w.statuses.some((s) => s.level === 2 && /forbidden/.test(s.message)));
    check("without telemetry:read a subscribe is refused with a status error", true);
    w.close();

    // Rate limits: a burst beyond the bucket is not executed and is told.
    const flood = await new Viewer(hub.url.href, { headers: { Authorization: `Bearer ${reader}` } }).ready();
    for (let i = 0; i < 40; i++) flood.client.unsubscribe(1000 + i);
    // 30 messages in the bucket: about 10 of the 40 are refused.
    const limited = () => flood.statuses.filter((s) => s.level === 1 && /rate_limited/.test(s.message)).length;
    await waitFor("rate_limited warnings", () => limited() >= 5);
    check("messages beyond the rate limit get rate_limited warnings", true);
    check("the flooding viewer stays connected", flood.closed === null);
    flood.close();
  } finally {
    await hub.stop();
  }
});
