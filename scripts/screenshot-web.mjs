// Renders docs/web-monitor.png: the web monitor in headless Chromium against
// a halhub with simulated devices, a device selected, a command sent and a
// few events logged.
//   node scripts/screenshot-web.mjs HALHUB_BINARY OUTPUT.png
import { cleanup, launchBrowser, startHalhub, waitFor } from '../tests/webmonitor/support.mjs';

const [binary, output] = process.argv.slice(2);
try {
  const halhub = await startHalhub(binary, {
    devices: [
      { id: 'sim0', plugin: 'sim', rate_hz: 200, name: 'Bench simulator' },
      { id: 'sim1', plugin: 'sim', rate_hz: 100 },
      { id: 'fast', plugin: 'sim', rate_hz: 1000 },
    ],
  });
  const { context } = await launchBrowser();
  const page = await context.newPage();
  await page.setViewportSize({ width: 1280, height: 860 });
  await page.goto(`http://127.0.0.1:${halhub.port}/`);
  await page.click('[data-device="sim1"][data-state="connected"]');
  await page.selectOption('#command', 'unplug');
  await page.fill('[data-param="ms"]', '500');
  await page.click('#command-form button[type="submit"]');
  await page.waitForSelector('[data-event="device_connected"][data-device="sim1"]', { timeout: 10000 });
  await page.click('[data-device="sim0"]');
  await page.selectOption('#command', 'sleep');
  await page.fill('[data-param="ms"]', '120');
  await page.click('#command-form button[type="submit"]');
  await waitFor('the result', async () => /\bok\b/.test(await page.textContent('[data-result]')));
  // Some seconds of plot, and the server's figures.
  await page.waitForTimeout(8000);
  await page.screenshot({ path: output });
  console.log(`wrote ${output}`);
} finally {
  await cleanup();
}
