// Accessibility check (JIS X 8341-3 / WCAG 2.1 AA rules of axe-core) of Kakehashi pages in
// headless Chromium, signed in as each role where the page needs it; also saves screenshots.
//
//   cd tools && npm install --no-save axe-core@4 playwright-core@1 && node a11y-check.mjs http://127.0.0.1:8080 OUTDIR
//   node a11y-check.mjs file:///tmp/report.html OUTDIR     (one file, e.g. a `kakehashi pcap --format html` report)
//
// Exits 1 if any page has a violation.
import { chromium } from 'playwright-core';
import { readFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const base = process.argv[2] || 'http://127.0.0.1:8080';
const out = process.argv[3] || '/tmp/kakehashi-a11y';
mkdirSync(out, { recursive: true });
const password = 'kakehashi-demo-2026';

const pages = base.startsWith('file://') ? [[null, '']] : [
  [null, '/'], [null, '/services'], [null, '/services?lang=en'], [null, '/services/1'], [null, '/login'], [null, '/signup'],
  [null, '/services?category=astrology'],
  ['provider-admin@demo.kakehashi.jp', '/my'], ['provider-admin@demo.kakehashi.jp', '/my/services/new'],
  ['provider-admin@demo.kakehashi.jp', '/services/99'], ['provider-admin@demo.kakehashi.jp', '/account'],
  ['reviewer@demo.kakehashi.jp', '/review'], ['reviewer@demo.kakehashi.jp', '/services/100'],
  ['operator@demo.kakehashi.jp', '/admin'], ['operator@demo.kakehashi.jp', '/services/102?lang=en'],
];

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
let failed = 0;
const contexts = new Map();
async function contextFor(user) {
  if (contexts.has(user)) return contexts.get(user);
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
  if (user) {
    const p = await ctx.newPage();
    await p.goto(base + '/login');
    await p.fill('#email', user);
    await p.fill('#password', password);
    await Promise.all([p.waitForNavigation(), p.click('main button[type=submit]')]);
    await p.close();
  }
  contexts.set(user, ctx);
  return ctx;
}
for (const [user, path] of pages) {
  const ctx = await contextFor(user);
  const page = await ctx.newPage();
  await page.goto(base + path);
  await page.addScriptTag({ content: axeSource });
  const r = await page.evaluate(async () => await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }));
  const name = (user ? user.split('@')[0] + '_' : '') + path.replace(/[^a-z0-9]+/gi, '_');
  await page.screenshot({ path: `${out}/${name}.png`, fullPage: true });
  const v = r.violations;
  console.log(`${v.length === 0 ? 'ok  ' : 'FAIL'} ${path} ${user ?? '(anonymous)'}: ${v.length} violations, ${r.passes.length} rules passed`);
  for (const x of v) {
    failed++;
    console.log(`     ${x.id} (${x.impact}): ${x.help} — ${x.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')}`);
  }
  await page.close();
}
await browser.close();
process.exit(failed ? 1 : 0);
