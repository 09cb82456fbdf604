// halhub web monitor (docs/protocol.md section 13): a client of the halhub
// protocol over the server's own WebSocket endpoint. Messages only change
// state and mark what needs drawing; one requestAnimationFrame callback
// draws, so the page costs the same at 1000 messages a second as at ten.
"use strict";

(() => {
  const WINDOW_S = 60;            // the plot's span
  const BUCKET_US = 100_000;      // plot resolution: min and max per 100 ms
  const MAX_EVENTS = 500;
  const MAX_HISTORY = 50;
  const MAX_RESULTS_SEEN = 200;
  const METRICS_INTERVAL_MS = 2000;
  // The plot changes by one 100 ms bucket at a time: redrawing it more
  // often than this only repaints the newest bucket, at a screen's cost.
  const PLOT_INTERVAL_MS = 30;
  const RECONNECT_MIN_MS = 500;
  const RECONNECT_MAX_MS = 5000;
  const TOKEN_KEY = "halhub.token";
  const CLOSE_UNAUTHORIZED = 4401;
  const CLOSE_TAKEN_OVER = 4409;
  const EVENT_TYPES = ["device_connected", "device_disconnected", "device_error",
    "device_added", "device_removed", "stream_overflow", "stream_closed", "server_shutdown"];
  const PALETTE = ["#2e86c1", "#c0392b", "#1e8449", "#8e44ad", "#d68910", "#17a589",
    "#7f8c8d", "#cb4335"];

  const $ = (selector) => document.querySelector(selector);
  const el = (tag, attrs = {}, text) => {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) {
      if (value !== undefined && value !== null) node.setAttribute(name, value);
    }
    if (text !== undefined) node.textContent = text;
    return node;
  };

  // ---- state -------------------------------------------------------------

  const state = {
    ws: null,
    connected: false,
    authorized: false,         // devices may be shown
    needsToken: false,
    everConnected: false,
    session: null,
    attempts: 0,
    reconnectTimer: 0,
    metricsTimer: 0,
    metricsAllowed: true,
    nextId: 1,
    devices: new Map(),        // id -> devices entry (insertion = config order)
    selected: null,            // device id
    stream: null,              // {id, device, lastSeq}
    pendingSubscribe: null,    // request id
    latest: new Map(),         // channel -> value, selected device
    plot: null,                // PlotData
    events: [],                // newest first
    commands: new Map(),       // request id -> history entry
    lastCommandId: null,       // request id shown in the result area
    resultsSeen: [],           // command_ids whose result arrived
    dirty: new Set(),
    frameRequested: false,
  };
  const counters = { messages: 0, telemetry: 0, draws: 0, plotDraws: 0, drawMs: 0 };
  let lastPlotDraw = -Infinity;

  // ---- token -------------------------------------------------------------

  // ?token= in the page's address is taken once and then removed from it,
  // so that it is neither in the history nor in a bookmark.
  function tokenFromUrl() {
    const url = new URL(window.location.href);
    const token = url.searchParams.get("token");
    if (token) {
      sessionStorage.setItem(TOKEN_KEY, token);
      url.searchParams.delete("token");
      history.replaceState(null, "", url.pathname + url.search + url.hash);
    }
  }
  const storedToken = () => sessionStorage.getItem(TOKEN_KEY);

  // ---- connection --------------------------------------------------------

  function endpoint() {
    const meta = document.querySelector('meta[name="halhub-ws-path"]');
    let path = meta ? meta.content : "";
    if (!path.startsWith("/")) path = "/ws/hardware";
    const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    return `${scheme}//${window.location.host}${path}`;
  }

  function send(message) {
    if (!state.ws || state.ws.readyState !== WebSocket.OPEN) return false;
    state.ws.send(JSON.stringify(message));
    return true;
  }
  const newId = (prefix) => `${prefix}${state.nextId++}`;

  function connect() {
    clearTimeout(state.reconnectTimer);
    state.reconnectTimer = 0;
    const ws = new WebSocket(endpoint());
    state.ws = ws;
    setConnection(state.everConnected ? "reconnecting" : "connecting",
      state.everConnected ? `Connection lost; reconnecting (attempt ${state.attempts + 1})…`
        : "Connecting…");
    ws.onopen = () => {
      if (ws !== state.ws) return;
      state.connected = true;
      sendHello();
    };
    ws.onmessage = (event) => {
      if (ws !== state.ws) return;
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;  // the server sends JSON only, as the hello asks
      }
      if (message && typeof message.type === "string") handle(message);
    };
    ws.onclose = (event) => {
      if (ws !== state.ws) return;
      onClosed(event.code);
    };
  }

  function onClosed(code) {
    state.ws = null;
    state.connected = false;
    clearInterval(state.metricsTimer);
    state.metricsTimer = 0;
    if (code === CLOSE_UNAUTHORIZED || state.needsToken) {
      // No valid token: wait for one instead of knocking again.
      state.needsToken = true;
      if ($("#auth").hidden) showAuth(storedToken() ? "The token was not accepted." : "");
      return;
    }
    if (code === CLOSE_TAKEN_OVER) state.session = null;  // another tab has it now
    const delay = Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * 2 ** state.attempts);
    state.attempts++;
    setConnection("reconnecting", state.everConnected
      ? `Connection lost; reconnecting in ${Math.round(delay / 100) / 10} s…`
      : `Cannot reach halhub at ${endpoint()}; retrying in ${Math.round(delay / 100) / 10} s…`);
    state.reconnectTimer = setTimeout(connect, delay * (0.8 + Math.random() * 0.4));
  }

  function sendHello() {
    const hello = { type: "hello", id: "hello", client: "halhub web monitor" };
    const token = storedToken();
    if (token) hello.token = token;
    if (state.session) {
      hello.resume = state.session;
      if (state.stream && state.stream.lastSeq > 0) {
        hello.last_seq = { [state.stream.id]: state.stream.lastSeq };
      }
      if (state.resultsSeen.length) hello.results_seen = state.resultsSeen.slice();
    }
    send(hello);
  }

  function onWelcome(message) {
    const resumed = message.resumed === true;
    const wasConnected = state.everConnected;
    state.session = message.session;
    state.attempts = 0;
    state.everConnected = true;
    state.needsToken = false;
    hideAuth();
    state.pendingSubscribe = null;
    if (!resumed && wasConnected) {
      for (const entry of state.commands.values()) {
        if (entry.status === "sending" || entry.status === "accepted") {
          entry.status = "lost";
          entry.text = "lost: the connection dropped and its session could not be resumed";
        }
      }
      mark("command");
    }
    if (resumed) {
      const held = (message.streams || []).find((s) => state.stream && s.stream === state.stream.id);
      if (!held) state.stream = null;
      for (const s of message.streams || []) {
        if (!state.stream || s.stream !== state.stream.id) send({ type: "unsubscribe", stream: s.stream });
      }
    } else {
      state.stream = null;
    }
    setConnection("connected", !wasConnected ? "Connected"
      : resumed ? "Reconnected; session resumed" : "Reconnected; new session");
    send({ type: "list_devices", id: "devices" });
    state.metricsAllowed = true;
    pollMetrics();
    clearInterval(state.metricsTimer);
    state.metricsTimer = setInterval(pollMetrics, METRICS_INTERVAL_MS);
  }

  function pollMetrics() {
    if (state.connected && state.authorized && state.metricsAllowed) {
      send({ type: "get_metrics", id: "metrics" });
    }
  }

  // ---- messages ----------------------------------------------------------

  function handle(message) {
    counters.messages++;
    switch (message.type) {
      case "telemetry": onTelemetry(message); break;
      case "welcome": onWelcome(message); break;
      case "devices": onDevices(message.devices || []); break;
      case "subscribed": onSubscribed(message); break;
      case "unsubscribed": break;
      case "event": onEvent(message); break;
      case "metrics": onMetrics(message); break;
      case "ack": onAck(message); break;
      case "result": onResult(message); break;
      case "error": onError(message); break;
      default: break;
    }
  }

  function onError(message) {
    if (message.id === "hello") {
      if (message.code === "unauthorized" || message.code === "forbidden") {
        requireToken("The token was not accepted: " + message.message);
      }
      return;
    }
    if (message.code === "unauthorized") {
      requireToken(storedToken() ? "The token is no longer valid." : "");
      return;
    }
    if (message.id === "metrics") {
      // Without the admin scope there are no figures to show.
      if (message.code === "forbidden") state.metricsAllowed = false;
      return;
    }
    if (message.id === "devices" && message.code === "forbidden") {
      setConnection("failed", "The token does not allow reading devices (telemetry:read).");
      return;
    }
    if (message.id === state.pendingSubscribe) {
      state.pendingSubscribe = null;
      return;
    }
    const entry = state.commands.get(message.id);
    if (entry) {
      entry.status = "refused";
      entry.text = `refused: ${message.code}: ${message.message}`;
      mark("command");
    }
  }

  // Everything of the devices leaves the page until a token is accepted.
  function requireToken(why) {
    sessionStorage.removeItem(TOKEN_KEY);
    state.needsToken = true;
    clearDeviceData();
    showAuth(why);
  }

  function clearDeviceData() {
    state.authorized = false;
    state.devices.clear();
    state.selected = null;
    state.stream = null;
    state.latest.clear();
    state.plot = null;
    state.events = [];
    state.commands.clear();
    state.lastCommandId = null;
    for (const part of ["devices", "device", "channels", "plot", "events", "command", "metrics"]) {
      mark(part);
    }
  }

  function onDevices(list) {
    state.authorized = true;
    state.devices.clear();
    for (const device of list) {
      if (device && typeof device.id === "string") state.devices.set(device.id, device);
    }
    if (state.selected && !state.devices.has(state.selected)) select(null);
    else if (state.selected) ensureSubscribed();
    mark("devices", "device", "command", "eventFilters");
  }

  function onEvent(message) {
    const device = typeof message.device === "string" ? state.devices.get(message.device) : null;
    switch (message.event) {
      case "device_connected":
        if (device) { device.state = "connected"; device.error = null; }
        break;
      case "device_disconnected":
        if (device && device.state === "connected") device.state = "disconnected";
        break;
      case "device_error":
        if (device && message.data && typeof message.data.message === "string") {
          device.error = message.data.message;
        }
        break;
      case "device_added":
        if (message.data && typeof message.data.id === "string") {
          state.devices.set(message.data.id, message.data);
        }
        break;
      case "device_removed":
        state.devices.delete(message.device);
        if (state.selected === message.device) select(null);
        break;
      case "stream_closed":
        if (state.stream && state.stream.id === message.stream) state.stream = null;
        break;
      default:
        break;
    }
    if (!state.authorized && message.device) return;
    state.events.unshift(message);
    if (state.events.length > MAX_EVENTS) state.events.length = MAX_EVENTS;
    mark("events", "devices", "eventFilters");
    if (message.device === state.selected) mark("device", "command");
  }

  function onMetrics(message) {
    state.metrics = message;
    mark("metrics");
  }

  // ---- streams -----------------------------------------------------------

  function select(id) {
    if (id === state.selected) return;
    state.selected = id;
    state.latest.clear();
    state.plot = id ? new PlotData() : null;
    if (state.stream) {
      send({ type: "unsubscribe", stream: state.stream.id });
      state.stream = null;
    }
    state.pendingSubscribe = null;
    ensureSubscribed();
    mark("devices", "device", "channels", "plot", "command");
  }

  function ensureSubscribed() {
    if (!state.selected || state.stream || state.pendingSubscribe || !state.authorized) return;
    state.pendingSubscribe = newId("sub");
    if (!send({ type: "subscribe", id: state.pendingSubscribe, device: state.selected })) {
      state.pendingSubscribe = null;
    }
  }

  function onSubscribed(message) {
    if (message.id !== state.pendingSubscribe || message.device !== state.selected) {
      send({ type: "unsubscribe", stream: message.stream });  // asked for before a reselect
      return;
    }
    state.pendingSubscribe = null;
    state.stream = { id: message.stream, device: message.device, lastSeq: 0 };
  }

  function onTelemetry(message) {
    counters.telemetry++;
    const stream = state.stream;
    if (!stream || message.stream !== stream.id) return;
    if (Number.isInteger(message.seq)) stream.lastSeq = message.seq;
    const values = message.values || {};
    const plot = state.plot;
    for (const [channel, value] of Object.entries(values)) {
      if (!state.latest.has(channel)) mark("channels");
      state.latest.set(channel, value);
      if (plot && typeof value === "number") plot.add(channel, message.ts, value);
    }
    mark("values", "plot");
  }

  // Per channel, the minimum and maximum of each 100 ms of the last 60 s:
  // at most 600 buckets whatever the device's rate, so a drawing costs the
  // same for 1 Hz and 1000 Hz and memory stays bounded.
  class PlotData {
    constructor() {
      this.channels = [];          // names, in order of first sample
      this.buckets = [];           // {t, min: Map, max: Map}, oldest first
      this.newestUs = 0;
    }
    add(channel, ts, value) {
      if (!Number.isFinite(value) || !Number.isFinite(ts)) return;
      if (!this.channels.includes(channel)) {
        this.channels.push(channel);
      }
      const t = Math.floor(ts / BUCKET_US) * BUCKET_US;
      let bucket = this.buckets[this.buckets.length - 1];
      if (!bucket || bucket.t < t) {
        bucket = { t, min: new Map(), max: new Map() };
        this.buckets.push(bucket);
      } else if (bucket.t > t) {
        // An older sample (replayed frame): find its bucket, if still kept.
        bucket = this.buckets.find((b) => b.t === t);
        if (!bucket) return;
      }
      const min = bucket.min.get(channel);
      if (min === undefined || value < min) bucket.min.set(channel, value);
      const max = bucket.max.get(channel);
      if (max === undefined || value > max) bucket.max.set(channel, value);
      if (ts > this.newestUs) this.newestUs = ts;
      const oldest = this.newestUs - WINDOW_S * 1e6;
      let drop = 0;
      while (drop < this.buckets.length && this.buckets[drop].t < oldest) drop++;
      if (drop) this.buckets.splice(0, drop);
    }
    // uPlot's columns: two points per bucket (its minimum, then its maximum).
    columns() {
      const n = this.buckets.length;
      const x = new Float64Array(n * 2);
      const ys = this.channels.map(() => new Array(n * 2));
      for (let i = 0; i < n; i++) {
        const b = this.buckets[i];
        x[2 * i] = b.t / 1e6;
        x[2 * i + 1] = (b.t + BUCKET_US / 2) / 1e6;
        this.channels.forEach((name, k) => {
          const lo = b.min.get(name);
          ys[k][2 * i] = lo === undefined ? null : lo;
          ys[k][2 * i + 1] = lo === undefined ? null : b.max.get(name);
        });
      }
      return [x, ...ys];
    }
  }

  // ---- commands ----------------------------------------------------------

  function selectedDevice() {
    return state.selected ? state.devices.get(state.selected) : null;
  }

  function currentCommand() {
    const device = selectedDevice();
    const name = $("#command").value;
    return device && Array.isArray(device.commands)
      ? device.commands.find((c) => c.name === name) : null;
  }

  // The form's fields as the command's params; an empty field is left out.
  function readParams(command) {
    const params = {};
    for (const [name, type] of Object.entries(command.params || {})) {
      const input = document.querySelector(`#command-params [data-param="${CSS.escape(name)}"]`);
      if (!input) continue;
      if (type === "bool") {
        if (input.indeterminate) continue;
        params[name] = input.checked;
        continue;
      }
      const text = input.value.trim();
      if (text === "") continue;
      if (type === "number" || type === "integer") {
        const value = Number(text);
        if (!Number.isFinite(value) || (type === "integer" && !Number.isInteger(value))) {
          throw new Error(`${name}: expected ${type === "integer" ? "an integer" : "a number"}`);
        }
        params[name] = value;
      } else if (type === "list") {
        params[name] = text.startsWith("[") ? JSON.parse(text)
          : text.split(/[\s,]+/).filter(Boolean).map((v) => (v !== "" && Number.isFinite(Number(v)) ? Number(v) : v));
        if (!Array.isArray(params[name])) throw new Error(`${name}: expected a list`);
      } else if (type === "any") {
        try { params[name] = JSON.parse(text); } catch { params[name] = text; }
      } else {
        params[name] = text;
      }
    }
    return params;
  }

  function sendCommand(event) {
    event.preventDefault();
    const device = selectedDevice();
    const command = currentCommand();
    if (!device || !command) return;
    const id = newId("cmd");
    const entry = { id, device: device.id, command: command.name, status: "sending", text: "", commandId: null };
    let params;
    try {
      params = readParams(command);
    } catch (error) {
      entry.status = "refused";
      entry.text = `not sent: ${error.message}`;
      addHistory(entry);
      return;
    }
    entry.params = params;
    const message = { type: "command", id, device: device.id, command: command.name, params };
    const timeout = Number($("#command-timeout").value);
    if (Number.isInteger(timeout) && timeout >= 1 && timeout <= 60000) message.timeout_ms = timeout;
    if (!send(message)) {
      entry.status = "refused";
      entry.text = "not sent: not connected";
    }
    addHistory(entry);
  }

  function addHistory(entry) {
    state.commands.set(entry.id, entry);
    state.lastCommandId = entry.id;
    while (state.commands.size > MAX_HISTORY) {
      state.commands.delete(state.commands.keys().next().value);
    }
    mark("command");
  }

  function onAck(message) {
    const entry = state.commands.get(message.id);
    if (!entry) return;
    entry.commandId = message.command_id;
    if (entry.status === "sending") entry.status = "accepted";
    mark("command");
  }

  function onResult(message) {
    if (typeof message.command_id === "string") {
      if (state.resultsSeen.includes(message.command_id)) return;  // a replay after resume
      state.resultsSeen.push(message.command_id);
      if (state.resultsSeen.length > MAX_RESULTS_SEEN) state.resultsSeen.shift();
    }
    const entry = state.commands.get(message.id);
    if (!entry) return;
    entry.commandId = message.command_id;
    entry.status = message.status;
    let text = `${message.status}`;
    if (message.status === "ok") text += ` ${JSON.stringify(message.result ?? null)}`;
    if (message.error) text += ` ${message.error.code}: ${message.error.message}`;
    text += ` (attempts ${message.attempts}, ${message.duration_ms} ms)`;
    entry.text = text;
    mark("command");
  }

  // ---- drawing -----------------------------------------------------------

  function mark(...parts) {
    for (const part of parts) state.dirty.add(part);
    if (!state.frameRequested) {
      state.frameRequested = true;
      requestAnimationFrame(draw);
    }
  }

  function draw(now) {
    const started = performance.now();
    state.frameRequested = false;
    const dirty = state.dirty;
    state.dirty = new Set();
    counters.draws++;
    if (dirty.has("plot") && now - lastPlotDraw < PLOT_INTERVAL_MS && state.plot && chart) {
      dirty.delete("plot");
      mark("plot");  // next frame
    }
    if (dirty.has("devices")) drawDevices();
    if (dirty.has("device")) drawDeviceHeader();
    if (dirty.has("channels")) drawChannels();
    if (dirty.has("values") || dirty.has("channels")) drawValues();
    if (dirty.has("plot")) drawPlot();
    if (dirty.has("command")) drawCommandPanel();
    if (dirty.has("eventFilters")) drawEventFilters();
    if (dirty.has("events")) drawEvents();
    if (dirty.has("metrics")) drawMetrics();
    counters.drawMs += performance.now() - started;
  }

  function drawDevices() {
    const list = $("#devices");
    const items = [];
    for (const device of state.devices.values()) {
      const item = el("li", {
        "data-device": device.id,
        "data-state": device.state,
        "aria-selected": String(device.id === state.selected),
        role: "option",
        tabindex: "0",
      });
      item.append(el("span", { class: "id" }, device.id), el("span", { class: "state" }, device.state));
      const meta = [device.name && device.name !== device.id ? device.name : null, device.plugin];
      if (typeof device.node === "string") meta.push(`node ${device.node}`);
      if (typeof device.port === "string") meta.push(device.port);
      item.append(el("span", { class: "meta" }, meta.filter(Boolean).join(" · ")));
      if (device.state !== "connected" && device.error) {
        item.append(el("span", { class: "error" }, device.error));
      }
      items.push(item);
    }
    list.replaceChildren(...items);
  }

  function drawDeviceHeader() {
    const device = selectedDevice();
    $("#device-title").textContent = device ? device.id : "Select a device";
    const detail = [];
    if (device) {
      if (device.name && device.name !== device.id) detail.push(device.name);
      detail.push(device.plugin, device.state);
      if (typeof device.node === "string") detail.push(`node ${device.node}`);
      if (typeof device.rate_hz === "number") detail.push(`${device.rate_hz} Hz`);
    }
    $("#device-detail").textContent = detail.join(" · ");
  }

  function channelInfo(device) {
    const info = new Map();
    for (const channel of (device && device.channels) || []) info.set(channel.name, channel);
    return info;
  }

  function drawChannels() {
    const device = selectedDevice();
    const info = channelInfo(device);
    const names = [...info.keys()];
    for (const name of state.latest.keys()) if (!info.has(name)) names.push(name);
    const rows = names.map((name) => {
      const row = el("tr");
      const unit = info.get(name) && info.get(name).unit;
      row.append(el("th", { scope: "row" }, name), el("td", { "data-channel": name }, ""),
        el("td", { class: "unit" }, unit || ""));
      return row;
    });
    $("#channels tbody").replaceChildren(...(device ? rows : []));
  }

  function formatValue(value) {
    if (typeof value === "number") {
      return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)));
    }
    if (value === null || value === undefined) return "";
    return typeof value === "object" ? JSON.stringify(value) : String(value);
  }

  function drawValues() {
    for (const cell of document.querySelectorAll("#channels td[data-channel]")) {
      const name = cell.getAttribute("data-channel");
      const text = state.latest.has(name) ? formatValue(state.latest.get(name)) : "";
      if (cell.textContent !== text) cell.textContent = text;
    }
  }

  let chart = null;
  let chartChannels = "";

  function drawPlot() {
    lastPlotDraw = performance.now();
    counters.plotDraws++;
    const container = $("#plot");
    const plot = state.plot;
    if (!plot || typeof uPlot === "undefined") {
      if (chart) { chart.destroy(); chart = null; chartChannels = ""; }
      return;
    }
    const key = `${state.selected}|${plot.channels.join(",")}`;
    if (!chart || key !== chartChannels) {
      if (chart) chart.destroy();
      const units = channelInfo(selectedDevice());
      chart = new uPlot({
        width: Math.max(200, container.clientWidth),
        height: 260,
        scales: { x: { time: true } },
        legend: { live: false },
        cursor: { drag: { x: false, y: false } },
        series: [{}, ...plot.channels.map((name, i) => ({
          label: units.get(name) && units.get(name).unit ? `${name} (${units.get(name).unit})` : name,
          stroke: PALETTE[i % PALETTE.length],
          width: 1,
          spanGaps: false,
        }))],
        axes: [{}, { size: 50 }],
      }, plot.columns(), container);
      chartChannels = key;
      return;
    }
    chart.setData(plot.columns());
  }

  function drawCommandPanel() {
    const device = selectedDevice();
    const form = $("#command-form");
    const select = $("#command");
    const commands = (device && Array.isArray(device.commands)) ? device.commands : [];
    form.hidden = !device || commands.length === 0;
    const names = commands.map((c) => c.name).join("\n");
    if (select.dataset.shownFor !== (device ? device.id : "") || select.dataset.names !== names) {
      const previous = select.value;
      select.replaceChildren(...commands.map((c) => el("option", { value: c.name }, c.name)));
      if (commands.some((c) => c.name === previous)) select.value = previous;
      select.dataset.shownFor = device ? device.id : "";
      select.dataset.names = names;
      drawParams();
    }
    const result = $("#command-result");
    const last = state.lastCommandId ? state.commands.get(state.lastCommandId) : null;
    const text = last ? describeCommand(last) : "";
    if (result.textContent !== text) result.textContent = text;
    result.dataset.status = last ? last.status : "";
    const items = [...state.commands.values()].reverse().map((entry) =>
      el("li", { "data-command-id": entry.commandId || "", "data-status": entry.status },
        `${entry.device} ${entry.command} ${JSON.stringify(entry.params || {})}: ${entry.text || entry.status}`));
    $("#command-history").replaceChildren(...items);
  }

  function describeCommand(entry) {
    const lines = [`${entry.device} ${entry.command} ${JSON.stringify(entry.params || {})}`];
    if (entry.commandId) lines.push(`ack ${entry.commandId}`);
    lines.push(entry.text || entry.status);
    return lines.join("\n");
  }

  function drawParams() {
    const command = currentCommand();
    $("#command-description").textContent = command && command.description ? command.description : "";
    const fields = [];
    const info = (command && command.param_info) || {};
    for (const [name, type] of Object.entries((command && command.params) || {})) {
      const limits = info[name] || {};
      const label = el("label", {}, `${name} (${type}${limits.unit ? `, ${limits.unit}` : ""}) `);
      let input;
      if (type === "bool") {
        input = el("input", { type: "checkbox" });
      } else if (type === "number" || type === "integer") {
        input = el("input", { type: "number", step: type === "integer" ? "1" : "any",
          min: limits.min, max: limits.max });
      } else {
        input = el("input", { type: "text", placeholder: type === "list" ? "a b c or [JSON]"
          : type === "any" ? "JSON or text" : "" });
      }
      input.dataset.param = name;
      input.name = `param-${name}`;
      label.append(input);
      fields.push(label);
    }
    $("#command-params").replaceChildren(...fields);
  }

  function drawEventFilters() {
    const typeSelect = $("#event-filter-type");
    const deviceSelect = $("#event-filter-device");
    const types = new Set(EVENT_TYPES);
    for (const e of state.events) types.add(e.event);
    const devices = new Set(state.devices.keys());
    for (const e of state.events) if (e.device) devices.add(e.device);
    const fill = (select, values) => {
      const wanted = ["", ...values].join("\n");
      if (select.dataset.values === wanted) return;
      const previous = select.value;
      select.replaceChildren(el("option", { value: "" }, "all"),
        ...[...values].map((v) => el("option", { value: v }, v)));
      select.value = [...values].includes(previous) ? previous : "";
      select.dataset.values = wanted;
    };
    fill(typeSelect, types);
    fill(deviceSelect, devices);
  }

  function drawEvents() {
    const type = $("#event-filter-type").value;
    const device = $("#event-filter-device").value;
    const items = [];
    for (const e of state.events) {
      if (type && e.event !== type) continue;
      if (device && e.device !== device) continue;
      const item = el("li", { "data-event": e.event, "data-device": e.device });
      const when = Number.isFinite(e.ts) ? new Date(e.ts / 1000) : new Date();
      const detail = [];
      if (e.device) detail.push(e.device);
      if (e.stream) detail.push(`stream ${e.stream}`);
      if (e.data && typeof e.data.message === "string") detail.push(e.data.message);
      if (e.data && Number.isInteger(e.data.count) && e.data.count > 1) detail.push(`×${e.data.count}`);
      if (e.data && Number.isInteger(e.data.dropped)) detail.push(`${e.data.dropped} frames dropped`);
      item.append(el("time", { datetime: when.toISOString() }, when.toLocaleTimeString()),
        el("span", { class: "type" }, e.event), el("span", {}, detail.join(" · ")));
      items.push(item);
    }
    $("#events").replaceChildren(...items);
  }

  function drawMetrics() {
    const m = state.authorized ? state.metrics : null;
    const latency = (m && m.latency) || {};
    const fmt = (v, digits) => (typeof v === "number" ? v.toFixed(digits) : "–");
    $('[data-metric="clients"]').textContent = m && Number.isInteger(m.clients) ? String(m.clients) : "–";
    $('[data-metric="throughput"]').textContent = m ? fmt(latency.throughput_msg_per_sec, 0) : "–";
    $('[data-metric="p50"]').textContent = m ? `${fmt(latency.p50_latency_ms, 2)} ms` : "–";
    $('[data-metric="p99"]').textContent = m ? `${fmt(latency.p99_latency_ms, 2)} ms` : "–";
  }

  // ---- page chrome -------------------------------------------------------

  function setConnection(kind, text) {
    const status = $("#connection");
    status.dataset.connection = kind;
    status.textContent = text;
  }

  function showAuth(message) {
    setConnection("token", "Token required");
    $("#auth").hidden = false;
    $("#auth-message").textContent = message || "";
    $("#token").focus();
  }

  function hideAuth() {
    $("#auth").hidden = true;
    $("#auth-message").textContent = "";
  }

  function submitToken(event) {
    event.preventDefault();
    const token = $("#token").value.trim();
    if (!token) return;
    sessionStorage.setItem(TOKEN_KEY, token);
    $("#token").value = "";
    state.needsToken = false;
    $("#auth-message").textContent = "Checking…";
    if (state.connected) sendHello();
    else connect();
  }

  function onDeviceClick(event) {
    const item = event.target.closest("li[data-device]");
    if (item) select(item.getAttribute("data-device"));
  }

  function start() {
    tokenFromUrl();
    $("#devices").addEventListener("click", onDeviceClick);
    $("#devices").addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        onDeviceClick(event);
      }
    });
    $("#command").addEventListener("change", drawParams);
    $("#command-form").addEventListener("submit", sendCommand);
    $("#auth").addEventListener("submit", submitToken);
    $("#event-filter-type").addEventListener("change", () => mark("events"));
    $("#event-filter-device").addEventListener("change", () => mark("events"));
    new ResizeObserver(() => {
      if (chart) chart.setSize({ width: Math.max(200, $("#plot").clientWidth), height: 260 });
    }).observe($("#plot"));
    drawEventFilters();
    connect();
  }

  // Figures for whoever watches the page (tools, tests): read-only copies.
  window.halhubMonitor = Object.freeze({
    stats: () => ({ ...counters, events: state.events.length, buckets: state.plot ? state.plot.buckets.length : 0 }),
  });

  start();
})();
