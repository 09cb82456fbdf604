// A viewer that stops reading: the oldest data is dropped first, it is told
// with a status warning (at most once a second), and once it reads again
// it gets recent data; a viewer beside it is not disturbed.
"use strict";

const h = require("./harness");
const { check, waitFor, Viewer } = h;

h.main("foxglove_slowviewer", async () => {
  const devices = [];
  for (let i = 0; i < 8; i++) devices.push({ id: `sim${i}`, plugin: "sim", rate_hz: 1000 });
  const hub = await h.startHalhub({
    limits: { send_high_water_bytes: 16384 },
    devices,
  });
  try {
    const slow = await new Viewer(hub.url.href).ready();
    const fine = await new Viewer(hub.url.href).ready();
    await waitFor("channels", () => slow.channels.size === 8 && fine.channels.size === 8);
    const subs = devices.map((d) => slow.subscribe(d.id));
    const fineSub = fine.subscribe("sim0");
    await waitFor("data flowing", () => (slow.messages.get(subs[0]) || []).length > 10);

    // Stop reading: the kernel's buffers (a few MB on loopback) fill, then
    // halhub's; 8 s of 8 devices at 1000 Hz is more than they hold.
    slow.ws.pause();
    const pausedAt = Date.now();
    const fineBefore = (fine.messages.get(fineSub) || []).length;
    await waitFor("the other viewer keeps getting data", () => fine.messages.get(fineSub).length >= fineBefore + 8000, 30000);
    const pausedForMs = Date.now() - pausedAt;
    const received = () => subs.reduce((n, s) => n + (slow.messages.get(s) || []).length, 0);
    const before = received();
    slow.ws.resume();
    await waitFor("a status warning about dropped messages", () =>
      slow.statuses.some((s) => s.level === 1 && /dropped/.test(s.message)), 20000);
    check("the slow viewer is warned of dropped messages", true);
    await waitFor("the slow viewer catches up", () => {
      const list = slow.messages.get(subs[0]);
      return list.length && Date.now() * 1000 - JSON.parse(list[list.length - 1].text).ts < 500000;
    }, 20000);
    const list = slow.messages.get(subs[0]).map((m) => JSON.parse(m.text).ts);
    let biggestGap = 0;
    for (let i = 1; i < list.length; i++) biggestGap = Math.max(biggestGap, list[i] - list[i - 1]);
    check("what it gets stays in order (old data dropped, never reordered)",
      list.every((t, i) => i === 0 || t > list[i - 1]));
    check("a stretch of samples is missing (the oldest queued were dropped)", biggestGap > 500000,
      `largest gap ${biggestGap} µs after a pause of ${pausedForMs} ms; ${received() - before} messages after resuming`);
    const warnings = slow.statuses.filter((s) => s.level === 1 && /dropped/.test(s.message));
    check("at most one warning a second", warnings.length <= Math.ceil((Date.now() - pausedAt) / 1000) + 1,
      `${warnings.length} warnings`);
    check("the slow viewer stayed connected", slow.closed === null);
    slow.close();
    fine.close();
  } finally {
    await hub.stop();
  }
});
