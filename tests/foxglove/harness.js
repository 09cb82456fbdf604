// What every Foxglove test needs: a halhub started on an ephemeral port with
// simulated devices, Foxglove's own client (@foxglove/ws-protocol) over the
// `ws` package, conditions waited for with a deadline, and checks that fail
// the test with a message.
"use strict";

const { spawn } = require("child_process");
const crypto = require("crypto");
const fs = require("fs");
const os = require("os");
const path = require("path");

const modules = path.join(__dirname, "..", "js", "node_modules");
const WebSocket = require(path.join(modules, "ws"));
const { FoxgloveClient } = require(path.join(modules, "@foxglove", "ws-protocol"));

const HALHUB = process.env.HALHUB_BIN || process.argv[2];

let failures = 0;
let passes = 0;

function check(name, ok, detail) {
  if (ok) {
    passes++;
    console.log(`PASS ${name}`);
  } else {
    failures++;
    console.log(`FAIL ${name}${detail !== undefined ? ": " + detail : ""}`);
  }
  return ok;
}

function checkEq(name, got, want) {
  const a = JSON.stringify(got);
  const b = JSON.stringify(want);
  return check(name, a === b, `got ${a}, expected ${b}`);
}

// Resolves once cond() is true; rejects with `what` after timeoutMs.
function waitFor(what, cond, timeoutMs = 10000) {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + timeoutMs;
    const poll = () => {
      let value;
      try {
        value = cond();
      } catch (e) {
        reject(e);
        return;
      }
      if (value) {
        resolve(value);
      } else if (Date.now() > deadline) {
        reject(new Error(`timed out waiting for ${what}`));
      } else {
        setTimeout(poll, 5);
      }
    };
    poll();
  });
}

// halhub with the given config (port 0: the port it prints is read back).
async function startHalhub(config) {
  if (!HALHUB) throw new Error("usage: node TEST.js PATH/TO/halhub (or HALHUB_BIN)");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "halhub-foxglove-"));
  const file = path.join(dir, "halhub.json");
  const full = { ...config, server: { host: "127.0.0.1", port: 0, ...(config.server || {}) } };
  fs.writeFileSync(file, JSON.stringify(full));
  const proc = spawn(HALHUB, ["--headless", "--config", file], {
    env: { ...process.env, QT_QPA_PLATFORM: "offscreen" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  let url = null;
  proc.stdout.on("data", (d) => {
    output += d;
    const m = /listening on (wss?:\/\/[^\s]+)/.exec(output);
    if (m && !url) url = new URL(m[1]);
  });
  proc.stderr.on("data", (d) => {
    output += d;
  });
  let exited = null;
  proc.on("exit", (code) => {
    exited = code;
  });
  try {
    await waitFor("halhub to listen", () => url || exited !== null, 20000);
  } catch (e) {
    proc.kill("SIGKILL");
    throw new Error(`${e.message}; output: ${output}`);
  }
  if (!url) throw new Error(`halhub exited with ${exited}: ${output}`);
  return {
    url,
    port: Number(url.port),
    base: `${url.protocol}//127.0.0.1:${url.port}`,
    output: () => output,
    // Rewrites the config file and reloads its devices (SIGHUP).
    reload(next) {
      fs.writeFileSync(file, JSON.stringify({ ...next, server: full.server }));
      proc.kill("SIGHUP");
    },
    async stop() {
      if (exited !== null) return;
      proc.kill("SIGTERM");
      await waitFor("halhub to exit", () => exited !== null, 10000).catch(() => proc.kill("SIGKILL"));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

// A Foxglove viewer: FoxgloveClient over ws, recording what it hears.
class Viewer {
  constructor(address, { protocols = [FoxgloveClient.SUPPORTED_SUBPROTOCOL], headers, wsOptions } = {}) {
    this.ws = new WebSocket(address, protocols, { headers, ...wsOptions });
    this.client = new FoxgloveClient({ ws: this.ws });
    this.opened = false;
    this.closed = null;
    this.errors = [];
    this.serverInfo = null;
    this.channels = new Map();      // id -> channel
    this.services = new Map();      // id -> service
    this.statuses = [];
    this.messages = new Map();      // subscription id -> [{timestamp, data}]
    this.responses = new Map();     // callId -> response
    this.failures = new Map();      // callId -> failure
    this.nextCallId = 1;
    this.client.on("open", () => (this.opened = true));
    this.client.on("close", (e) => (this.closed = e));
    this.client.on("error", (e) => this.errors.push(e));
    this.client.on("serverInfo", (i) => (this.serverInfo = i));
    this.client.on("status", (s) => this.statuses.push(s));
    this.client.on("advertise", (cs) => cs.forEach((c) => this.channels.set(c.id, c)));
    this.client.on("unadvertise", (ids) => ids.forEach((id) => this.channels.delete(id)));
    this.client.on("advertiseServices", (ss) => ss.forEach((s) => this.services.set(s.id, s)));
    this.client.on("unadvertiseServices", (ids) => ids.forEach((id) => this.services.delete(id)));
    this.client.on("message", (m) => {
      if (!this.messages.has(m.subscriptionId)) this.messages.set(m.subscriptionId, []);
      const text = new TextDecoder().decode(m.data);
      this.messages.get(m.subscriptionId).push({ timestamp: m.timestamp, text, at: Date.now() });
    });
    this.client.on("serviceCallResponse", (r) => this.responses.set(r.callId, r));
    this.client.on("serviceCallFailure", (f) => this.failures.set(f.callId, f));
  }

  async ready() {
    await waitFor("serverInfo", () => this.serverInfo || this.closed);
    if (!this.serverInfo) throw new Error("closed before serverInfo");
    return this;
  }

  channelOf(device) {
    for (const c of this.channels.values()) if (c.topic === `/${device}`) return c;
    return undefined;
  }

  serviceNamed(name) {
    for (const s of this.services.values()) if (s.name === name) return s;
    return undefined;
  }

  subscribe(device) {
    return this.client.subscribe(this.channelOf(device).id);
  }

  // Calls a service by id with a JSON payload (text); resolves with
  // {response: parsed payload} or {failure}.
  async call(serviceId, payloadText, encoding = "json") {
    const callId = this.nextCallId++;
    this.client.sendServiceCallRequest({
      serviceId,
      callId,
      encoding,
      data: new TextEncoder().encode(payloadText),
    });
    await waitFor(`answer to call ${callId}`, () => this.responses.has(callId) || this.failures.has(callId), 15000);
    if (this.failures.has(callId)) return { failure: this.failures.get(callId) };
    const r = this.responses.get(callId);
    return { raw: r, response: JSON.parse(new TextDecoder().decode(r.data)) };
  }

  close() {
    this.ws.close();
  }
}

// The HTTP status of a refused upgrade (or 101 when it went through).
function upgradeStatus(address, { protocols = ["foxglove.websocket.v1"], headers } = {}) {
  return new Promise((resolve) => {
    const ws = new WebSocket(address, protocols, { headers });
    ws.on("unexpected-response", (req, res) => {
      resolve(res.statusCode);
      req.destroy();
    });
    ws.on("open", () => {
      resolve(101);
      ws.close();
    });
    ws.on("error", () => {});
  });
}

function jwt(secret, claims) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const body = `${b64({ alg: "HS256", typ: "JWT" })}.${b64({ exp: Math.floor(Date.now() / 1000) + 3600, ...claims })}`;
  const sig = crypto.createHmac("sha256", secret).update(body).digest("base64url");
  return `${body}.${sig}`;
}

async function main(name, body) {
  const timer = setTimeout(() => {
    console.log(`FAIL ${name}: the whole test took over 120 s`);
    process.exit(1);
  }, 120000);
  try {
    await body();
  } catch (e) {
    check(`${name} ran to its end`, false, e.stack || String(e));
  }
  clearTimeout(timer);
  console.log(`${passes} passed, ${failures} failed`);
  process.exit(failures || !passes ? 1 : 0);
}

module.exports = { WebSocket, FoxgloveClient, check, checkEq, waitFor, startHalhub, Viewer, upgradeStatus, jwt, main };
