// What the web monitor's browser tests share: halhub started from its built
// binary on a port of its own choosing, a TCP relay that can cut every
// connection (a network blip), headless Chromium, a signed token.
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', 'js', 'package.json'));
const { chromium } = require('playwright-core');

export const CHROMIUM = process.env.HALHUB_CHROMIUM || '/usr/bin/chromium';

const cleanups = [];
export function onCleanup(fn) { cleanups.unshift(fn); }
export async function cleanup() {
  for (const fn of cleanups.splice(0)) {
    try { await fn(); } catch { /* best effort */ }
  }
}

export function tempDir() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'halhub-web-'));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

// Starts halhub --headless with config on port 0 and resolves once it says
// where it listens.
export function startHalhub(binary, config, { port = 0 } = {}) {
  const dir = tempDir();
  const file = path.join(dir, 'halhub.json');
  writeFileSync(file, JSON.stringify(config));
  const exe = path.resolve(binary);
  const env = { ...process.env, QT_QPA_PLATFORM: 'offscreen' };
  if (!env.HALHUB_PLUGIN_PATH) env.HALHUB_PLUGIN_PATH = path.join(path.dirname(exe), 'plugins');
  const proc = spawn(exe, ['--headless', '--port', String(port), '--config', file],
    { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = [];
  onCleanup(() => new Promise((resolve) => {
    if (proc.exitCode !== null) return resolve();
    proc.once('exit', resolve);
    proc.kill('SIGTERM');
    setTimeout(() => proc.kill('SIGKILL'), 5000).unref();
  }));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`halhub did not start: ${output.join('')}`)), 15000);
    proc.stderr.on('data', (chunk) => output.push(chunk.toString()));
    proc.stdout.on('data', (chunk) => {
      output.push(chunk.toString());
      const text = output.join('');
      const m = /listening on (wss?):\/\/([^\s/]+):(\d+)(\/\S*)/.exec(text);
      const monitor = /web monitor at (\S+)/.exec(text);
      if (m && monitor) {
        clearTimeout(timer);
        resolve({ proc, port: Number(m[3]), path: m[4], monitorUrl: monitor[1], output, pid: proc.pid });
      }
    });
    proc.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot start ${exe}: ${error.message}`));
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`halhub exited with ${code}: ${output.join('')}`));
    });
  });
}

// Relays a port of its own to target; cut() closes every relayed
// connection at once, as a network blip would, and keeps listening.
export function startRelay(targetPort) {
  const pairs = new Set();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    const pair = [client, upstream];
    pairs.add(pair);
    const end = () => { pairs.delete(pair); client.destroy(); upstream.destroy(); };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  onCleanup(() => new Promise((resolve) => { for (const [a, b] of pairs) { a.destroy(); b.destroy(); } server.close(resolve); }));
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    port: server.address().port,
    cut() { for (const [a, b] of [...pairs]) { a.resetAndDestroy(); b.destroy(); } },
  })));
}

// A fresh Chromium profile per test; every console error and uncaught
// exception of every page is collected in errors.
export async function launchBrowser() {
  const profile = tempDir();
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--no-proxy-server'],
    viewport: { width: 1280, height: 800 },
  });
  onCleanup(() => context.close());
  const errors = [];
  const watch = (page) => {
    page.on('console', (msg) => { if (msg.type() === 'error') errors.push(`console: ${msg.text()}`); });
    page.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`));
  };
  context.pages().forEach(watch);
  context.on('page', watch);
  return { context, errors };
}

// HS256 JWT for auth.jwt_secret.
export function signToken(secret, claims) {
  const b64 = (obj) => Buffer.from(JSON.stringify(obj)).toString('base64url');
  const body = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}

// Polls fn until it returns a truthy value; fails with what after ms.
export async function waitFor(what, fn, ms = 10000) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function check(condition, message) {
  if (!condition) throw new Error(message);
  console.log(`ok - ${message}`);
}

// Runs body, reports, cleans up and exits with the verdict.
export async function run(name, body) {
  const watchdog = setTimeout(() => { console.error(`${name}: took too long`); process.exit(1); }, 90000);
  let failed = false;
  try {
    await body();
    console.log(`${name}: passed`);
  } catch (error) {
    failed = true;
    console.error(`${name}: FAILED: ${error.stack || error}`);
  } finally {
    await cleanup();
    clearTimeout(watchdog);
  }
  process.exit(failed ? 1 : 0);
}

// requestAnimationFrame callbacks per second in the page over ms.
export function measureFps(page, ms) {
  return page.evaluate((span) => new Promise((resolve) => {
    let frames = 0;
    const t0 = performance.now();
    const tick = () => {
      frames++;
      const elapsed = performance.now() - t0;
      if (elapsed < span) requestAnimationFrame(tick);
      else resolve(frames * 1000 / elapsed);
    };
    requestAnimationFrame(tick);
  }), ms);
}
