// A 1000 Hz device selected for 10 s: the page keeps drawing at 30 frames a
// second or more, draws at most once per animation frame (never once per
// message), and its buffers stay bounded. Prints the figures; with
// HALHUB_WEB_SOAK_S=N it watches N seconds instead of 10 (a measurement,
// not a test setting).
import { check, launchBrowser, measureFps, run, startHalhub, waitFor } from './support.mjs';

const binary = process.argv[2];
const seconds = Number(process.env.HALHUB_WEB_SOAK_S || 10);

run('webmonitor fps', async () => {
  const halhub = await startHalhub(binary, { devices: [{ id: 'fast', plugin: 'sim', rate_hz: 1000 }] });
  const { context, errors } = await launchBrowser();
  const page = await context.newPage();
  await page.goto(`http://127.0.0.1:${halhub.port}/`);
  await page.click('[data-device="fast"][data-state="connected"]');
  await waitFor('live values', async () => (await page.textContent('[data-channel="sine"]')).trim() !== '');

  const before = await page.evaluate(() => window.halhubMonitor.stats());
  const fps = await measureFps(page, seconds * 1000);
  const after = await page.evaluate(() => window.halhubMonitor.stats());
  const telemetry = after.telemetry - before.telemetry;
  const draws = after.draws - before.draws;
  const cdp = await context.newCDPSession(page);
  await cdp.send('HeapProfiler.collectGarbage');
  const heap = await page.evaluate(() => performance.memory.usedJSHeapSize);
  await cdp.send('Performance.enable');
  const perf = Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
  console.log(`figures: ${seconds} s at 1000 Hz: ${fps.toFixed(1)} frames/s, ${telemetry} telemetry messages `
    + `(${(telemetry / seconds).toFixed(0)}/s), ${draws} draws, JS heap ${(heap / 1048576).toFixed(1)} MiB `
    + `after GC, ${perf.Nodes} DOM nodes, ${after.buckets} plot buckets`);

  check(telemetry > seconds * 500, `the page received the device's frames (${telemetry} in ${seconds} s)`);
  check(fps >= 30, `the page keeps 30 frames a second or more (${fps.toFixed(1)})`);
  check(draws <= fps * seconds * 1.1 + 5, `it draws at most once per frame (${draws} draws, ${telemetry} messages)`);
  check(after.buckets <= 601, `the plot keeps at most 60 s of buckets (${after.buckets})`);
  check(heap < 100 * 1048576, `the JS heap stays under 100 MiB (${(heap / 1048576).toFixed(1)} MiB)`);
  check(errors.length === 0, `no console error or uncaught exception (${errors.join(' | ')})`);
});
