// A Foxglove viewer against halhub with simulated devices, through
// Foxglove's own client: the handshake on server.path and on /, serverInfo,
// channels and their schemas as Lichtblick reads them, 1000 Hz data stamped
// with the sample time, unsubscribe, services, status on unplug, and two
// viewers at once.
"use strict";

const h = require("./harness");
const { check, checkEq, waitFor, Viewer } = h;

// Lichtblick's rule for a JSON Schema it can plot: an object whose
// properties each have exactly one string `type`.
function lichtblickPlottable(schemaText) {
  const schema = JSON.parse(schemaText);
  if (schema.type !== "object" || typeof schema.properties !== "object") return false;
  return Object.values(schema.properties).every((p) => typeof p.type === "string");
}

h.main("foxglove_viewer", async () => {
  const hub = await h.startHalhub({
    devices: [
      { id: "fast", plugin: "sim", rate_hz: 1000 },
      { id: "sim1", plugin: "sim", rate_hz: 100 },
    ],
  });
  try {
    // Handshake: on server.path and on /, each subprotocol answered as offered.
    for (const [where, address] of [["server.path", hub.url.href], ["/", `${hub.base}/`]]) {
      for (const protocol of ["foxglove.websocket.v1", "foxglove.sdk.v1"]) {
        const v = new Viewer(address, { protocols: [protocol] });
        await v.ready();
        checkEq(`upgrade on ${where} offering ${protocol} is answered with it`, v.ws.protocol, protocol);
        v.close();
      }
    }
    // Without the subprotocol, server.path still speaks the halhub protocol
    // and / has no WebSocket endpoint.
    const plain = new h.WebSocket(hub.url.href);
    const pong = await new Promise((resolve, reject) => {
      plain.on("open", () => plain.send(JSON.stringify({ type: "ping", id: 1 })));
      plain.on("message", (d) => resolve(JSON.parse(d.toString())));
      plain.on("error", reject);
    });
    checkEq("an upgrade without the subprotocol still gets the halhub protocol", pong.type, "pong");
    plain.close();
    const onRoot = await h.upgradeStatus(`${hub.base}/`, { protocols: [] });
    check("an upgrade on / without a Foxglove subprotocol is not upgraded", onRoot !== 101, `status ${onRoot}`);

    checkEq("a foreign Origin is refused before the upgrade",
      await h.upgradeStatus(hub.url.href, { headers: { Origin: "http://localhost.evil.example" } }), 403);

    const v = await new Viewer(hub.url.href).ready();
    const info = v.serverInfo;
    check("serverInfo names halhub and its version", /^halhub\/\d+\.\d+/.test(info.name), info.name);
    checkEq("serverInfo capabilities", info.capabilities, ["services"]);
    checkEq("serverInfo supportedEncodings", info.supportedEncodings, ["json"]);
    check("serverInfo has a sessionId", typeof info.sessionId === "string" && info.sessionId.length > 0);
    const again = await new Viewer(hub.url.href).ready();
    checkEq("the sessionId is the same for every connection", again.serverInfo.sessionId, info.sessionId);
    checkEq("outside a cluster serverInfo metadata is empty", info.metadata, {});
    again.close();

    await waitFor("both channels", () => v.channelOf("fast") && v.channelOf("sim1"));
    const fast = v.channelOf("fast");
    checkEq("channel fields", [fast.encoding, fast.schemaName, fast.schemaEncoding], ["json", "halhub.fast", "jsonschema"]);
    const schema = JSON.parse(fast.schema);
    checkEq("schema properties: ts and each channel", Object.keys(schema.properties).sort(), ["noise", "ramp", "sine", "step", "ts"]);
    checkEq("ts is an integer, channels numbers", [schema.properties.ts.type, schema.properties.sine.type], ["integer", "number"]);
    check("every schema passes Lichtblick's rule", [...v.channels.values()].every((c) => lichtblickPlottable(c.schema)));

    // 1000 Hz: every sample one message, its timestamp the sample time.
    const sub = v.subscribe("fast");
    await waitFor("1500 messages of the 1000 Hz device", () => (v.messages.get(sub) || []).length >= 1500, 20000);
    const got = v.messages.get(sub).slice();
    const payloads = got.map((m) => JSON.parse(m.text));
    check("each payload has ts and every channel",
      payloads.every((p) => Number.isInteger(p.ts) && ["sine", "ramp", "noise", "step"].every((c) => typeof p[c] === "number")));
    check("frame timestamp (ns) == payload ts (µs) * 1000",
      got.every((m, i) => m.timestamp === BigInt(payloads[i].ts) * 1000n));
    check("timestamps strictly increase", payloads.every((p, i) => i === 0 || p.ts > payloads[i - 1].ts));
    const spanS = (payloads[payloads.length - 1].ts - payloads[0].ts) / 1e6;
    check("about 1000 messages per second of samples (none skipped)",
      payloads.length - 1 >= 0.95 * 1000 * spanS, `${payloads.length} messages over ${spanS.toFixed(3)} s of samples`);
    check("samples are live (ts within 5 s of now)", Math.abs(Date.now() * 1000 - payloads[payloads.length - 1].ts) < 5e6);

    // Unsubscribe stops the data.
    v.client.unsubscribe(sub);
    // A ping-like barrier: a service call answered after the unsubscribe
    // was read; what arrives after its answer is a leak.
    const echo = v.serviceNamed("/fast/echo");
    await v.call(echo.id, "{}");
    const countAfter = v.messages.get(sub).length;
    const sub1 = v.subscribe("sim1");
    await waitFor("data of another subscription", () => (v.messages.get(sub1) || []).length >= 20);
    checkEq("no data after unsubscribe", v.messages.get(sub).length, countAfter);
    v.client.unsubscribe(sub1);

    // Services: one per command, named /ID/COMMAND.
    const names = [...v.services.values()].map((s) => s.name).filter((n) => n.startsWith("/sim1/")).sort();
    checkEq("a service per command of sim1", names, ["/sim1/echo", "/sim1/fail", "/sim1/set", "/sim1/sleep", "/sim1/unplug"]);
    checkEq("service type and encodings", [echo.type, echo.request.encoding, echo.response.encoding], ["halhub.command", "json", "json"]);
    const ok = await v.call(echo.id, JSON.stringify({ a: 1, b: "x" }));
    checkEq("echo answers ok with its params", [ok.response.status, ok.response.result, ok.response.attempts], ["ok", { a: 1, b: "x" }, 1]);
    check("the answer carries duration_ms and encoding json", Number.isInteger(ok.response.duration_ms) && ok.raw.encoding === "json");
    const failed = await v.call(v.serviceNamed("/sim1/fail").id, "{}");
    checkEq("a device error is a response with status error", [failed.response.status, failed.response.error && failed.response.error.code], ["error", "device_error"]);
    const bad = await v.call(v.serviceNamed("/sim1/sleep").id, JSON.stringify({ ms: "soon" }));
    checkEq("bad params are a response too (invalid_params)", [bad.response.status, bad.response.error && bad.response.error.code], ["error", "invalid_params"]);
    const unknown = await v.call(999999, "{}");
    check("an unknown service gets serviceCallFailure", unknown.failure && unknown.failure.serviceId === 999999, JSON.stringify(unknown));
    const notObject = await v.call(echo.id, "[1, 2]");
    check("a payload that is not an object gets serviceCallFailure", !!notObject.failure, JSON.stringify(notObject));

    const wrongEncoding = await v.call(echo.id, "{}", "cbor");
    check("a request in another encoding gets serviceCallFailure", !!wrongEncoding.failure, JSON.stringify(wrongEncoding));

    // Bad input is answered with a status error, never a crash.
    v.statuses.length = 0;
    v.ws.send("not json");
    v.ws.send(JSON.stringify({ op: "getParameters", parameterNames: [] }));
    v.ws.send(JSON.stringify({ op: "subscribe", subscriptions: [{ id: -1, channelId: 1 }, { id: 77, channelId: 123456 }] }));
    v.ws.send(Buffer.from([0x02, 0x01]));
    v.ws.send(Buffer.from([0x09, 0x00, 0x00]));
    await waitFor("six status errors", () => v.statuses.filter((s) => s.level === 2).length >= 6);
    check("bad input gets status errors", true);
    const stillOk = await v.call(echo.id, JSON.stringify({ after: true }));
    checkEq("the connection still works after bad input", stillOk.response.status, "ok");

    // Two viewers at once on the same device, each its own subscription.
    const w = await new Viewer(`${hub.base}/`).ready();
    await waitFor("second viewer's channels", () => w.channelOf("sim1"));
    const s1 = v.subscribe("sim1");
    const s2 = w.subscribe("sim1");
    await waitFor("both viewers get data", () => (v.messages.get(s1) || []).length >= 50 && (w.messages.get(s2) || []).length >= 50);
    const tsOf = (list) => new Set(list.map((m) => JSON.parse(m.text).ts));
    const a = tsOf(v.messages.get(s1));
    const common = [...tsOf(w.messages.get(s2))].filter((t) => a.has(t)).length;
    check("two viewers get the same samples", common >= 40, `${common} samples in common`);

    // Unplug: status messages name the device, warning then info.
    v.statuses.length = 0;
    const unplug = await v.call(v.serviceNamed("/sim1/unplug").id, JSON.stringify({ ms: 300 }));
    checkEq("unplug answers ok", unplug.response.status, "ok");
    await waitFor("disconnect and connect statuses", () =>
      v.statuses.some((s) => s.level === 1 && /sim1/.test(s.message) && /disconnected/.test(s.message)) &&
      v.statuses.some((s) => s.level === 0 && /sim1/.test(s.message) && /connected/.test(s.message)));
    check("unplug: a warning naming the device, then info when it is back", true);
    const unplugged = await v.call(v.serviceNamed("/sim1/echo").id, "{}");
    checkEq("a command after it came back runs", unplugged.response.status, "ok");
    // A reload that removes sim1 and adds sim2: unadvertised, advertised.
    const sim1Id = v.channelOf("sim1").id;
    hub.reload({ devices: [{ id: "fast", plugin: "sim", rate_hz: 1000 }, { id: "sim2", plugin: "sim", rate_hz: 50 }] });
    await waitFor("sim1 unadvertised and sim2 advertised", () => !v.channels.has(sim1Id) && v.channelOf("sim2"));
    // Services are (un)advertised in messages of their own, which may come
    // after the channels' ones.
    const servicesFollow = await waitFor("sim1's services gone and sim2's there",
      () => !v.serviceNamed("/sim1/echo") && !!v.serviceNamed("/sim2/echo")).then(() => true, () => false);
    check("a removed device's services go with it", servicesFollow);
    const s3 = v.subscribe("sim2");
    await waitFor("data of the added device", () => (v.messages.get(s3) || []).length >= 5);
    check("an added device is plotted", true);
    check("the client saw no protocol errors", v.errors.length === 0 && w.errors.length === 0, String(v.errors.concat(w.errors)));
    v.close();
    w.close();
  } finally {
    await hub.stop();
  }

  // A node of a cluster names itself in serverInfo, whether or not its
  // Redis is reachable (here it is not: local devices are served anyway).
  const node = await h.startHalhub({
    cluster: { redis: "unix:///nonexistent/halhub-test-redis.sock", node: "bench-a" },
    devices: [{ id: "sim0", plugin: "sim", rate_hz: 10 }],
  });
  try {
    const v = await new Viewer(node.url.href).ready();
    checkEq("on a cluster node serverInfo metadata names the node", v.serverInfo.metadata, { node: "bench-a" });
    v.close();
  } finally {
    await node.stop();
  }
});
