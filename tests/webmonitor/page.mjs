// The web monitor as a user sees it in Chromium: devices and their states,
// live values of the selected device, an unplug seen as a state change and
// an event, a command's result, the server's figures, and a network blip
// the page recovers from by resuming its session. No console error.
import { check, launchBrowser, run, startHalhub, startRelay, waitFor } from './support.mjs';

const binary = process.argv[2];

run('webmonitor page', async () => {
  const halhub = await startHalhub(binary, {
    devices: [
      { id: 'sim0', plugin: 'sim', rate_hz: 100, name: 'Bench simulator' },
      { id: 'sim1', plugin: 'sim', rate_hz: 20 },
    ],
  });
  check(halhub.monitorUrl === `http://127.0.0.1:${halhub.port}/`,
    `halhub prints where its web monitor is (${halhub.monitorUrl})`);
  // The page is loaded through a relay so that its connection can be cut.
  const relay = await startRelay(halhub.port);
  const { context, errors } = await launchBrowser();
  const page = await context.newPage();
  const response = await page.goto(`http://127.0.0.1:${relay.port}/`);
  check(response.status() === 200, 'GET / serves the page');

  await page.waitForSelector('[data-device="sim0"][data-state="connected"]');
  await page.waitForSelector('[data-device="sim1"][data-state="connected"]');
  check(await page.locator('[data-device]').count() === 2, 'both configured devices are listed');
  check((await page.textContent('[data-device="sim0"]')).includes('Bench simulator'),
    "a device's name is shown");

  await page.click('[data-device="sim0"]');
  await page.waitForSelector('[data-channel="sine"]');
  const sine = page.locator('[data-channel="sine"]');
  const first = await waitFor('a sine value', async () => (await sine.textContent()).trim());
  check(Number.isFinite(Number(first)), `the selected device shows a numeric value (${first})`);
  await waitFor('the value to change', async () => (await sine.textContent()).trim() !== first);
  check(true, 'the value is live');
  for (const name of ['ramp', 'noise', 'step']) {
    check(await page.locator(`[data-channel="${name}"]`).count() === 1, `channel ${name} is shown`);
  }
  await page.waitForSelector('#plot canvas');
  check(true, 'the plot is drawn');

  await waitFor('the server figures', async () => (await page.textContent('[data-metric="clients"]')).trim() === '1');
  check(true, 'the clients figure shows the one open connection');

  // A command from the panel, with its result.
  await page.selectOption('#command', 'echo');
  await page.click('#command-form button[type="submit"]');
  await waitFor('the echo result', async () => /\bok\b/.test(await page.textContent('[data-result]')));
  check(/ack c[0-9a-f]{16}/.test(await page.textContent('[data-result]')), 'the ack is shown');

  await page.selectOption('#command', 'fail');
  await page.click('#command-form button[type="submit"]');
  await waitFor('the fail result', async () => /\berror\b/.test(await page.textContent('[data-result]')));
  check((await page.textContent('[data-result]')).includes('device_error'), 'a failing command shows its error');
  check(await page.locator('#command-history li').count() === 2, 'the history lists both commands');

  // Unplug: the state flips and the event log says so, newest first.
  await page.selectOption('#command', 'unplug');
  await page.fill('[data-param="ms"]', '1500');
  await page.click('#command-form button[type="submit"]');
  await waitFor('the unplug result', async () => /\bok\b/.test(await page.textContent('[data-result]')));
  await page.waitForSelector('[data-device="sim0"][data-state="disconnected"]');
  await page.waitForSelector('[data-event="device_disconnected"][data-device="sim0"]');
  check(true, 'unplug turns the device disconnected and logs device_disconnected');
  await page.waitForSelector('[data-device="sim0"][data-state="connected"]', { timeout: 10000 });
  await page.waitForSelector('[data-event="device_connected"][data-device="sim0"]');
  const order = await page.$$eval('#events [data-event]', (items) => items.map((i) => i.dataset.event));
  check(order[0] === 'device_connected' && order.includes('device_disconnected'),
    `the event log is newest first (${order.join(', ')})`);

  await page.selectOption('#event-filter-type', 'device_disconnected');
  await waitFor('the filter to apply', async () => {
    const shown = await page.$$eval('#events [data-event]', (items) => items.map((i) => i.dataset.event));
    return shown.length > 0 && shown.every((e) => e === 'device_disconnected');
  });
  check(true, 'the event log filters by type');
  await page.selectOption('#event-filter-type', '');

  // A network blip: the page reconnects by itself, resumes and says so.
  const before = (await sine.textContent()).trim();
  relay.cut();
  await waitFor('the page to notice the blip', async () =>
    /reconnect|lost/i.test(await page.textContent('#connection')), 5000);
  await waitFor('the resumed session', async () =>
    /resumed/i.test(await page.textContent('#connection')), 15000);
  check(true, `after a blip the page says: ${(await page.textContent('#connection')).trim()}`);
  await waitFor('live values after the blip', async () => (await sine.textContent()).trim() !== before);
  check(true, 'values stay live after the resume');

  // Switching devices re-subscribes.
  await page.click('[data-device="sim1"]');
  await waitFor('sim1 selected', async () => (await page.textContent('#device-title')).trim() === 'sim1');
  const s1 = await waitFor('a sim1 value', async () => (await sine.textContent()).trim());
  await waitFor('sim1 values to change', async () => (await sine.textContent()).trim() !== s1);
  check(true, 'another device can be selected and shows live values');

  check(errors.length === 0, `no console error or uncaught exception (${errors.join(' | ')})`);
});
