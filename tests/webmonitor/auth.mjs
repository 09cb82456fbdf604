// The web monitor with auth.required: nothing of the devices before a valid
// token; a token from ?token= is taken, kept for the tab and removed from
// the address; a wrong token typed in is refused and says so.
import { check, launchBrowser, run, signToken, startHalhub, waitFor } from './support.mjs';

const binary = process.argv[2];
const secret = 'web-monitor-test-secret-0123456789abcdef';

run('webmonitor auth', async () => {
  const halhub = await startHalhub(binary, {
    auth: { required: true, jwt_secret: secret },
    devices: [{ id: 'sim0', plugin: 'sim', rate_hz: 50 }],
  });
  const now = Math.floor(Date.now() / 1000);
  const good = signToken(secret, { sub: 'alice', exp: now + 600, scope: 'telemetry:read commands:write admin' });
  const forged = signToken('another secret', { sub: 'mallory', exp: now + 600, scope: 'admin' });
  const { context, errors } = await launchBrowser();
  const base = `http://127.0.0.1:${halhub.port}/`;

  // Without a token: the prompt, and no device at all.
  const page = await context.newPage();
  await page.goto(base);
  await page.waitForSelector('#auth:not([hidden])');
  await waitFor('the token state', async () =>
    (await page.getAttribute('#connection', 'data-connection')) === 'token');
  check(await page.locator('[data-device]').count() === 0, 'without a token no device is shown');
  check(await page.locator('[data-channel]').count() === 0, 'without a token no channel is shown');

  // A wrong token typed in is refused; still nothing shown.
  await page.fill('#token', forged);
  await page.click('#auth button[type="submit"]');
  await waitFor('the refusal', async () => /not accepted/i.test(await page.textContent('#auth-message')));
  check(await page.locator('[data-device]').count() === 0, 'a refused token shows no device');
  check(await page.evaluate(() => sessionStorage.getItem('halhub.token')) === null,
    'a refused token is not kept');

  // The right one typed in: the devices appear.
  await page.fill('#token', good);
  await page.click('#auth button[type="submit"]');
  await page.waitForSelector('[data-device="sim0"][data-state="connected"]');
  check(await page.isHidden('#auth'), 'an accepted token hides the prompt');
  await page.close();

  // ?token= in a new tab: taken, kept in sessionStorage, gone from the address.
  const tab = await context.newPage();
  await tab.goto(`${base}?token=${encodeURIComponent(good)}`);
  await tab.waitForSelector('[data-device="sim0"][data-state="connected"]');
  check(!tab.url().includes('token='), 'the token is removed from the address bar');
  check(await tab.evaluate(() => sessionStorage.getItem('halhub.token')) === good,
    'the token is kept in sessionStorage');
  check(await tab.evaluate(() => localStorage.length) === 0, 'nothing is kept in localStorage');
  await tab.click('[data-device="sim0"]');
  const cell = tab.locator('[data-channel="ramp"]');
  const v = await waitFor('a value', async () => (await cell.textContent()).trim());
  await waitFor('a new value', async () => (await cell.textContent()).trim() !== v);
  check(true, 'with the token the values are live');
  await waitFor('server figures', async () => (await tab.textContent('[data-metric="clients"]')).trim() !== '–');
  check(true, 'with the admin scope the server figures are shown');

  // The refusals above are expected WebSocket-level errors, not page errors.
  check(errors.length === 0, `no console error or uncaught exception (${errors.join(' | ')})`);
});
