// With server.tls, a Foxglove viewer connects over wss:// (its own
// certificate, made by openssl for the test) and gets its data.
"use strict";

const { execFileSync } = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");
const h = require("./harness");
const { checkEq, check, waitFor, Viewer } = h;

h.main("foxglove_tls", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "halhub-foxglove-tls-"));
  const cert = path.join(dir, "cert.pem");
  const key = path.join(dir, "key.pem");
  execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
    "-days", "1", "-subj", "/CN=localhost"], { stdio: "ignore" });
  const hub = await h.startHalhub({ server: { tls: { cert, key } }, devices: [{ id: "sim0", plugin: "sim", rate_hz: 200 }] });
  try {
    checkEq("halhub listens on wss://", hub.url.protocol, "wss:");
    const v = await new Viewer(hub.url.href, { wsOptions: { rejectUnauthorized: false } }).ready();
    checkEq("the subprotocol is answered over TLS", v.ws.protocol, "foxglove.websocket.v1");
    await waitFor("sim0's channel", () => v.channelOf("sim0"));
    const sub = v.subscribe("sim0");
    await waitFor("data over wss", () => (v.messages.get(sub) || []).length >= 50);
    const ok = await v.call(v.serviceNamed("/sim0/echo").id, JSON.stringify({ tls: true }));
    checkEq("a service call over wss", [ok.response.status, ok.response.result], ["ok", { tls: true }]);
    check("no protocol errors", v.errors.length === 0, String(v.errors));
    v.close();
  } finally {
    await hub.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
