// A 1000 Hz device selected for 10 s: the page keeps drawing at 30 frames a
// second or more, draws at most once per animation frame (never once per
// message), and its buffers stay bounded. Prints the figures; with
// HALHUB_WEB_SOAK_S=N it watches N seconds instead of 10, and with
// HALHUB_WEB_TABS=N it opens N tabs on the device and prints halhub's CPU
// (measurements, not test settings).
import { readFileSync } from 'node:fs';
import { check, launchBrowser, measureFps, run, startHalhub, waitFor } from './support.mjs';

const binary = process.argv[2];
const seconds = Number(process.env.HALHUB_WEB_SOAK_S || 10);
const tabs = Number(process.env.HALHUB_WEB_TABS || 1);

// user + system CPU seconds of a process so far.
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

run('webmonitor fps', async () => {
  const halhub = await startHalhub(binary, { devices: [{ id: 'fast', plugin: 'sim', rate_hz: 1000 }] });
  const { context, errors } = await launchBrowser();
  const pages = [];
  for (let i = 0; i < tabs; i++) {
    const tab = await context.newPage();
    await tab.goto(`http://127.0.0.1:${halhub.port}/`);
    await tab.click('[data-device="fast"][data-state="connected"]');
    await waitFor('live values', async () => (await tab.textContent('[data-channel="sine"]')).trim() !== '');
    pages.push(tab);
  }
  const page = pages[pages.length - 1];
  const cpuBefore = cpuSeconds(halhub.pid);
  const wallBefore = Date.now();

  const before = await page.evaluate(() => window.halhubMonitor.stats());
  const fps = await measureFps(page, seconds * 1000);
  const after = await page.evaluate(() => window.halhubMonitor.stats());
  const cpu = (cpuSeconds(halhub.pid) - cpuBefore) / ((Date.now() - wallBefore) / 1000);
  const telemetry = after.telemetry - before.telemetry;
  const draws = after.draws - before.draws;
  const cdp = await context.newCDPSession(page);
  await cdp.send('HeapProfiler.collectGarbage');
  const heap = await page.evaluate(() => performance.memory.usedJSHeapSize);
  await cdp.send('Performance.enable');
  const perf = Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
  console.log(`figures: ${seconds} s at 1000 Hz: ${fps.toFixed(1)} frames/s, ${telemetry} telemetry messages `
    + `(${(telemetry / seconds).toFixed(0)}/s), ${draws} draws, JS heap ${(heap / 1048576).toFixed(1)} MiB `
    + `after GC, ${draws ? ((after.drawMs - before.drawMs) / draws).toFixed(2) : 0} ms per draw, ${after.plotDraws - before.plotDraws} plot draws, ${perf.Nodes} DOM nodes, ${after.buckets} plot buckets; halhub CPU with ${tabs} tab(s): `
    + `${(cpu * 100).toFixed(0)}% of a core`);

  check(telemetry > seconds * 500, `the page received the device's frames (${telemetry} in ${seconds} s)`);
  if (fps >= 30) {
    check(true, `the page keeps 30 frames a second or more (${fps.toFixed(1)})`);
  } else {
    // Below 30: is it the page, or a machine too busy to give any page 30?
    // An empty page in the same browser, measured the same way, tells.
    const blank = await context.newPage();
    await blank.setContent('<!DOCTYPE html><title>control</title>');
    const control = await measureFps(blank, 5000);
    console.log(`figures: an empty page draws ${control.toFixed(1)} frames/s on this machine now`);
    check(control < 40 && fps >= 0.7 * control,
      `the page keeps 30 frames a second or more (${fps.toFixed(1)}), or, on a machine too busy `
      + `for that, at least 70% of an empty page's ${control.toFixed(1)}`);
  }
  check(draws <= fps * seconds * 1.1 + 5, `it draws at most once per frame (${draws} draws, ${telemetry} messages)`);
  check(after.buckets <= 601, `the plot keeps at most 60 s of buckets (${after.buckets})`);
  check(heap < 100 * 1048576, `the JS heap stays under 100 MiB (${(heap / 1048576).toFixed(1)} MiB)`);
  check(errors.length === 0, `no console error or uncaught exception (${errors.join(' | ')})`);
});
