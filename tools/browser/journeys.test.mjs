// Browser journeys, one per role, in Debian's Chromium (playwright-core; never a downloaded
// browser), with axe-core's WCAG 2.1 A/AA rules run on every page visited and a screenshot of
// each, at the viewport width WIDTH (default 1280; run again with WIDTH=390 for a phone). Run
// against a served demo:
//
//   KAKEHASHI_URL=http://127.0.0.1:8080 SHOTS=/tmp/shots WIDTH=390 node --test tools/browser/
//
// `cargo test` runs this through crates/kakehashi/tests/browser.rs, which serves a fresh demo.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const base = process.env.KAKEHASHI_URL || 'http://127.0.0.1:8080';
const width = Number(process.env.WIDTH || 1280);
const shots = `${process.env.SHOTS || '/tmp/kakehashi-shots'}/${width}`;
mkdirSync(shots, { recursive: true });
const password = 'kakehashi-demo-2026';
const serviceName = `ブラウザ試験 診断サービス ${width} ${Date.now() % 100000}`;
let browser;
let n = 0;

before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
});
after(async () => { await browser?.close(); });

async function session(user, w = width) {
  const ctx = await browser.newContext({ viewport: { width: w, height: 900 }, bypassCSP: true, javaScriptEnabled: true });
  const page = await ctx.newPage();
  if (user) {
    await page.goto(base + '/login');
    await page.fill('#email', user);
    await page.fill('#password', password);
    await Promise.all([page.waitForNavigation(), page.click('main button[type=submit]')]);
    assert.ok(!page.url().includes('/login'), `${user} is signed in`);
  }
  return { ctx, page };
}

// axe on the current page (0 violations) and a full-page screenshot.
async function check(page, label) {
  await page.addScriptTag({ content: axeSource });
  const r = await page.evaluate(async () => await axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
  }));
  n += 1;
  const file = `${shots}/${String(n).padStart(2, '0')}-${label.replace(/[^a-z0-9]+/gi, '_')}.png`;
  await page.screenshot({ path: file, fullPage: true });
  const v = r.violations.map(x => `${x.id}: ${x.help} @ ${x.nodes.slice(0, 3).map(m => m.target.join(' ')).join(', ')}`);
  assert.deepEqual(v, [], `${label} (${page.url()}) has WCAG violations`);
  const lang = await page.getAttribute('html', 'lang');
  assert.ok(lang === 'ja' || lang === 'en', `${label}: html lang is set`);
  // Nothing wider than the viewport (usable on a phone).
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 1, `${label}: page is ${overflow}px wider than the viewport`);
}

async function go(page, path, label) {
  const resp = await page.goto(base + path);
  assert.ok(resp.status() < 400, `${path} answered ${resp.status()}`);
  await check(page, label);
}

test('provider: apply, attach evidence, submit', async () => {
  const { ctx, page } = await session('provider-admin@demo.kakehashi.jp');
  await check(page, 'provider-landing');
  await go(page, '/my', 'provider-my');
  await go(page, '/my/services/new', 'provider-new');
  // Submitting an empty form keeps the page, names the fields, and keeps what was typed.
  await page.fill('#name', serviceName);
  await page.click('main form button[type=submit]');
  await page.waitForLoadState();
  assert.equal(await page.inputValue('#name'), serviceName, 'typed name kept after an error');
  await check(page, 'provider-new-errors');
  await page.selectOption('#category', 'vulnerability_assessment');
  await page.selectOption('#subcategory', 'web_application').catch(() => {});
  await page.fill('#description', 'Webアプリケーションの脆弱性を専門家が診断します。');
  await page.fill('#specification', '診断範囲、手法、報告書、再診断を仕様書に定める。');
  await page.fill('#expert_name_1', '山田 太郎');
  await page.fill('#expert_q_1', '情報処理安全確保支援士');
  await page.fill('#expert_x_1', '2030-03-31');
  await page.fill('#quality_manager', '佐藤 花子');
  await page.fill('#quality_manual_ref', 'QM-100 第2版');
  await page.fill('#improvement_procedure', '四半期ごとに是正処置を承認する。');
  const body = await page.$('#registration_body_id option:nth-child(2)');
  await page.selectOption('#registration_body_id', await body.getAttribute('value'));
  await Promise.all([page.waitForNavigation(), page.click('main form button[type=submit]')]);
  assert.match(page.url(), /\/services\/\d+/, 'the draft was saved');
  await check(page, 'provider-draft');
  await page.setInputFiles('#file', { name: 'manual.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.7\nmanual') });
  await Promise.all([page.waitForNavigation(), page.click('form[action$="/evidence"] button[type=submit]')]);
  // Submitting first shows the whole application: a review step with one button.
  await Promise.all([page.waitForNavigation(), page.click('main a[href$="/submit"]')]);
  assert.match(await page.textContent('main'), /申請内容の確認/);
  await check(page, 'provider-submit-review');
  await Promise.all([page.waitForNavigation(), page.click('form[action$="/submit"] button[type=submit]')]);
  await check(page, 'provider-submitted');
  assert.ok((await page.textContent('main')).includes(serviceName));
  await ctx.close();
});

test('reviewer: review queue, approve', async () => {
  const { ctx, page } = await session('reviewer@demo.kakehashi.jp');
  await go(page, '/review', 'reviewer-queue');
  await Promise.all([page.waitForNavigation(), page.click(`a:has-text("${serviceName}")`)]);
  await check(page, 'reviewer-service');
  const serviceUrl = page.url();
  // Rejecting asks first, on a page of its own that says what it does; no reason keeps the page.
  await Promise.all([page.waitForNavigation(), page.click('main a[href$="/reject"]')]);
  assert.match(await page.textContent('main'), /元に戻せません/);
  await check(page, 'reviewer-reject-confirm');
  await page.fill('#comment', '   ');
  await Promise.all([page.waitForNavigation(), page.click('form[action$="/reject"] button[type=submit]')]);
  assert.match(await page.textContent('main'), /理由を入力してください/);
  assert.equal(await page.getAttribute('#comment', 'aria-describedby'), 'comment-err');
  await check(page, 'reviewer-reject-error');
  await page.goto(serviceUrl);
  await page.fill('#approve-comment', '審査基準に適合');
  await Promise.all([page.waitForNavigation(), page.click('form[action$="/approve"] button[type=submit]')]);
  await check(page, 'reviewer-approved');
  assert.match(await page.textContent('main'), /登録番号|Ledger/);
  await ctx.close();
});

test('public: the list shows it, in Japanese and English, on a phone too', async () => {
  const { ctx, page } = await session(null);
  await go(page, '/', 'public-home');
  await go(page, `/services?q=${encodeURIComponent('ブラウザ試験')}`, 'public-search');
  assert.ok((await page.textContent('main')).includes(serviceName), 'the approved service is listed');
  await Promise.all([page.waitForNavigation(), page.click(`a:has-text("${serviceName}")`)]);
  await check(page, 'public-service');
  await go(page, '/services?lang=en', 'public-list-en');
  await ctx.close();
  const phone = await session(null, 390);
  await go(phone.page, `/services?q=${encodeURIComponent('ブラウザ試験')}`, 'phone-search');
  await go(phone.page, '/services/1', 'phone-service');
  await phone.ctx.close();
});

test('operator: console, jobs, notification settings', async () => {
  const { ctx, page } = await session('operator@demo.kakehashi.jp');
  await go(page, '/admin', 'operator-admin');
  await go(page, '/admin/jobs', 'operator-jobs');
  assert.ok((await page.textContent('main')).includes('notify.deliver'), 'delivery jobs are listed');
  await go(page, '/admin/jobs?state=done&lang=en', 'operator-jobs-en');
  await go(page, '/account/notifications', 'operator-notifications');
  await go(page, '/admin/priorities', 'operator-priorities');
  // The console: audit trail (filtered, chain verified), notices, organisations and members.
  await go(page, '/admin/audit?action=login', 'operator-audit');
  await go(page, '/admin/audit?verify=1', 'operator-audit-verified');
  assert.match(await page.textContent('main'), /チェーンは正常です/);
  await page.goto(base + '/admin/audit?from=2026-13-01&actor=operator');
  assert.equal(await page.inputValue('#actor'), 'operator', 'the filters are kept after a mistake');
  await check(page, 'operator-audit-bad-date');
  await go(page, '/admin/notifications', 'operator-notices');
  await go(page, '/admin/orgs', 'operator-orgs');
  await Promise.all([page.waitForNavigation(), page.locator('main table a').first().click()]);
  await check(page, 'operator-org');
  await page.fill('#email', 'not-an-address');
  await page.fill('#display_name', '招待 花子');
  await Promise.all([page.waitForNavigation(), page.click('form[action$="/invite"] button[type=submit]')]);
  assert.equal(await page.inputValue('#display_name'), '招待 花子', 'typed name kept');
  assert.equal(await page.getAttribute('#email', 'aria-describedby'), 'email-err');
  await check(page, 'operator-invite-error');
  // Suspending asks first, with the effect; only valid operations are offered.
  await go(page, '/services/1', 'operator-service');
  await Promise.all([page.waitForNavigation(), page.click('main a[href$="/suspend"]')]);
  await check(page, 'operator-suspend-confirm');
  await ctx.close();
});

test('public: terms, privacy, contact, password reset, a page past the end', async () => {
  const { ctx, page } = await session(null);
  await go(page, '/terms', 'terms');
  await go(page, '/privacy', 'privacy');
  await go(page, '/contact?lang=en', 'contact-en');
  await go(page, '/services?page=999', 'services-past-end');
  assert.match(await page.textContent('main'), /ページ目はありません/);
  await go(page, '/login', 'login');
  await Promise.all([page.waitForNavigation(), page.click('main a[href="/password/forgot"]')]);
  await check(page, 'password-forgot');
  await page.fill('#email', 'not-an-address');
  await Promise.all([page.waitForNavigation(), page.click('main button[type=submit]')]);
  assert.equal(await page.inputValue('#email'), 'not-an-address', 'typed address kept');
  await check(page, 'password-forgot-error');
  await page.fill('#email', 'someone@example.jp');
  await Promise.all([page.waitForNavigation(), page.click('main button[type=submit]')]);
  assert.match(await page.textContent('main'), /リンクをお送りしました/);
  await check(page, 'password-forgot-sent');
  await ctx.close();
});

test('provider admin: webhook form keeps what was typed', async () => {
  const { ctx, page } = await session('provider-admin@demo.kakehashi.jp');
  await go(page, '/account/notifications', 'provider-notifications');
  await page.fill('input[name=url]', 'http://hooks.example.jp/x');
  // The browser's own URL check passes; the server refuses http:// and says why.
  await Promise.all([page.waitForNavigation(), page.click('form[action="/account/webhooks"] button[type=submit]')]);
  assert.equal(await page.inputValue('input[name=url]'), 'http://hooks.example.jp/x');
  assert.match(await page.textContent('#error-summary'), /https:\/\//);
  await check(page, 'provider-webhook-error');
  await ctx.close();
});

test('a new provider signs up and is asked to confirm by e-mail', async () => {
  const { ctx, page } = await session(null);
  await go(page, '/signup', 'signup');
  await page.fill('#org_name', 'ブラウザ試験株式会社');
  await page.fill('#display_name', '試験 太郎');
  await page.fill('#email', `browser-${width}@signup.example.jp`);
  await page.fill('#password', 'correct horse battery');
  await Promise.all([page.waitForNavigation(), page.click('main button[type=submit]')]);
  assert.match(await page.textContent('main'), /確認メール/);
  await check(page, 'signup-sent');
  const resp = await page.goto(base + '/signup/confirm?token=not-a-real-token');
  assert.equal(resp.status(), 404);
  assert.match(await page.textContent('main'), /このリンクは使えません/);
  await check(page, 'signup-link-unusable');
  await ctx.close();
});

test('vendor: register a product (a mistake keeps what was typed), upload an SBOM, see the scan', async () => {
  const { ctx, page } = await session('provider-admin@demo.kakehashi.jp');
  await go(page, '/my/products', 'vendor-products');
  await go(page, '/my/products/new', 'product-new');
  const name = `ブラウザ試験 ゲートウェイ ${width}`;
  await page.fill('#name', name);
  await page.selectOption('#category', 'iot_device');
  await page.fill('#support_end', '2031/03/31');
  await page.check('input[name=public]');
  await Promise.all([page.waitForNavigation(), page.click('main form button[type=submit]')]);
  // the contact is missing and the date is written with slashes: both said, nothing typed lost
  assert.equal(await page.inputValue('#name'), name);
  assert.equal(await page.inputValue('#support_end'), '2031/03/31');
  assert.equal(await page.getAttribute('#vuln_contact', 'aria-invalid'), 'true');
  await check(page, 'product-form-error');
  await page.fill('#support_end', '2031-03-31');
  await page.fill('#vuln_contact', 'psirt@example.jp');
  await Promise.all([page.waitForNavigation(), page.click('main form button[type=submit]')]);
  assert.match(page.url(), /\/products\/\d+/);
  const productPath = new URL(page.url()).pathname;
  await check(page, 'product-created');
  const file = `${tmpdir()}/kh-bom-${width}.cdx.json`;
  writeFileSync(file, JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.5', version: 1, components: [
    { type: 'library', name: 'smallvec', version: '1.6.0', purl: 'pkg:cargo/smallvec@1.6.0' },
    { type: 'library', name: 'serde', version: '1.0.200', purl: 'pkg:cargo/serde@1.0.200' }] }));
  await page.fill('#version', '1.0.0');
  await page.setInputFiles('#file', file);
  await Promise.all([page.waitForNavigation(), page.click('form[action$="/sbom"] button[type=submit]')]);
  assert.match(await page.textContent('main'), /SBOM を受け付けました/);
  // the scan runs as a job: the page says so until it is done
  for (let i = 0; i < 100 && !(await page.textContent('main')).includes('完了'); i++) {
    await page.waitForTimeout(200);
    await page.reload();
  }
  assert.match(await page.textContent('main'), /2 コンポーネント/);
  await check(page, 'product-scanned');
  // a finding: the vendor records a decision (a missing reason is said, what was typed kept)
  const finding = page.locator('table.findings a').first();
  if (await finding.count() > 0) {
    await Promise.all([page.waitForNavigation(), finding.click()]);
    await check(page, 'finding');
    await page.selectOption('#state', 'not_affected');
    await page.fill('#detail', 'ブラウザ試験: 該当コードを使っていない');
    await Promise.all([page.waitForNavigation(), page.click('form[action$="/triage"] button[type=submit]')]);
    assert.equal(await page.inputValue('#detail'), 'ブラウザ試験: 該当コードを使っていない');
    assert.equal(await page.getAttribute('#justification', 'aria-invalid'), 'true');
    await check(page, 'finding-triage-error');
    await page.selectOption('#justification', 'code_not_reachable');
    await Promise.all([page.waitForNavigation(), page.click('form[action$="/triage"] button[type=submit]')]);
    assert.match(await page.textContent('main'), /対応状況を記録しました/);
    await check(page, 'finding-triaged');
  }
  await go(page, productPath + '/report?version=1.0.0', 'product-report');
  await ctx.close();
  // the public sees the product (no files, no upload form), in Japanese and English
  const pub = await session(null);
  await go(pub.page, productPath, 'product-public');
  assert.ok(!(await pub.page.content()).includes('kh-bom-'), 'the public never sees the files');
  await go(pub.page, productPath + '?lang=en', 'product-public-en');
  assert.match(await pub.page.textContent('main'), /Versions/);
  await pub.ctx.close();
});

test('public: products with real findings, searched in Japanese', async () => {
  const { ctx, page } = await session(null);
  await go(page, '/products', 'products');
  await go(page, '/products?q=' + encodeURIComponent('スマートロック'), 'products-search');
  const link = page.locator('main .product-card a').first();
  await Promise.all([page.waitForNavigation(), link.click()]);
  await check(page, 'product-smart-lock');
  if (process.env.KAKEHASHI_DEMO_SBOMS === '1') {
    assert.match(await page.textContent('main'), /RUSTSEC-/);
  }
  await ctx.close();
});

test('verification body tester: cases, a case to decide; the public: trusted bodies, a published case', async () => {
  const { ctx, page } = await session('tester@demo.kakehashi.jp');
  assert.match(page.url(), /\/cases$/, 'a tester lands on the cases');
  await check(page, 'tester-cases');
  const lock = page.locator('main a', { hasText: 'スマートロック' }).first();
  await Promise.all([page.waitForNavigation(), lock.click()]);
  assert.match(await page.textContent('main'), /判定/);
  await check(page, 'tester-case');
  await ctx.close();
  const pub = await session(null);
  await go(pub.page, '/bodies', 'bodies');
  await go(pub.page, '/cases/1', 'case-published');
  assert.match(await pub.page.textContent('main'), /合格/);
  await go(pub.page, '/bodies?lang=en', 'bodies-en');
  await go(pub.page, '/accessibility', 'accessibility');
  await pub.ctx.close();
});

// A capture of one telnet packet (10.0.0.2 → 10.0.0.1:23), made here.
function tinyPcap() {
  const h = Buffer.alloc(24);
  h.writeUInt32LE(0xa1b2c3d4, 0); h.writeUInt16LE(2, 4); h.writeUInt16LE(4, 6);
  h.writeUInt32LE(65535, 16); h.writeUInt32LE(1, 20);
  const pkt = Buffer.from('001122334455' + '66778899aabb' + '0800' + '4500002800010000400600000a0000020a000001'
    + '9c4000170000000100000000501800ff00000000', 'hex');
  const rec = Buffer.alloc(16);
  rec.writeUInt32LE(1700000000, 0); rec.writeUInt32LE(pkt.length, 8); rec.writeUInt32LE(pkt.length, 12);
  return Buffer.concat([h, rec, pkt]);
}

test('case evidence: real captures analysed, an upload (a mistake keeps what was typed), the report; the trial host; body applications', async () => {
  const { ctx, page } = await session('provider-admin@demo.kakehashi.jp');
  await go(page, '/cases/2', 'case-evidence');
  if (process.env.KAKEHASHI_DEMO_SBOMS === '1') {
    assert.match(await page.textContent('main'), /telnet\.pcap/);
    assert.match(await page.textContent('main'), /credentials_in_clear/);
  }
  const file = `${tmpdir()}/kh-capture-${width}.pcap`;
  writeFileSync(file, tinyPcap());
  await page.selectOption('#kind', 'capture');
  await page.fill('#devices', '10.0.0.999');
  await page.setInputFiles('#file', file);
  await Promise.all([page.waitForNavigation(), page.click('form[action$="/evidence"] button[type=submit]')]);
  assert.equal(await page.inputValue('#devices'), '10.0.0.999');
  assert.equal(await page.getAttribute('#devices', 'aria-describedby'), 'devices-err');
  await check(page, 'case-evidence-error');
  await page.fill('#devices', '10.0.0.1');
  await page.setInputFiles('#file', file);
  await Promise.all([page.waitForNavigation(), page.click('form[action$="/evidence"] button[type=submit]')]);
  assert.match(await page.textContent('main'), /証拠を受け付けました/);
  for (let i = 0; i < 100 && (await page.textContent('main')).includes('解析待ち'); i++) {
    await page.waitForTimeout(200);
    await page.reload();
  }
  await check(page, 'case-evidence-uploaded');
  const report = page.locator('main a', { hasText: '解析レポート' }).last();
  await Promise.all([page.waitForNavigation(), report.click()]);
  assert.match(await page.textContent('main'), /10\.0\.0\.1/);
  await check(page, 'capture-report');
  await ctx.close();
  // the SME hosts the tablet's trial
  const host = await session('sme@demo.kakehashi.jp');
  await go(host.page, '/cases/3', 'trial-host');
  assert.match(await host.page.textContent('main'), /試行期間/);
  await host.ctx.close();
  // a body's application page, and the office's review of bodies
  const tester = await session('tester@demo.kakehashi.jp');
  await go(tester.page, '/my/body', 'body-application');
  await tester.ctx.close();
  const office = await session('operator@demo.kakehashi.jp');
  await go(office.page, '/admin/bodies', 'admin-bodies');
  const first = office.page.locator('main table a').first();
  await Promise.all([office.page.waitForNavigation(), first.click()]);
  await check(office.page, 'admin-body');
  await office.ctx.close();
});

test('labels, a case checklist, expert reviews (a mistake keeps what was typed) and the product map', async () => {
  const pub = await session(null);
  await go(pub.page, '/map', 'map');
  assert.match(await pub.page.textContent('main'), /UTM・ファイアウォール/);
  await go(pub.page, '/map?lang=en&category=iot_device', 'map-en');
  await go(pub.page, '/labels', 'labels');
  if (process.env.KAKEHASHI_DEMO_SBOMS === '1') {
    const first = pub.page.locator('main table a').first();
    await Promise.all([pub.page.waitForNavigation(), first.click()]);
    assert.match(await pub.page.textContent('main'), /label verify/);
    assert.equal(await pub.page.locator('figure.qr svg').count(), 1);
    await check(pub.page, 'label');
  }
  await go(pub.page, '/map', 'map-again');
  await Promise.all([pub.page.waitForNavigation(), pub.page.locator('main a', { hasText: 'スマートロック SL-1' }).first().click()]);
  assert.match(await pub.page.textContent('main'), /制度事務局により非表示/);
  await check(pub.page, 'product-hidden-review');
  await pub.ctx.close();

  const ex = await session('expert@demo.kakehashi.jp');
  await go(ex.page, '/map', 'map-expert');
  await Promise.all([ex.page.waitForNavigation(), ex.page.locator('main a', { hasText: 'セキュアゲート UTM-300' }).first().click()]);
  await Promise.all([ex.page.waitForNavigation(), ex.page.click('text=レビューを書く')]);
  const title = `ブラウザ試験のレビュー ${width}`;
  // neither strengths nor weaknesses: refused by the server, what was typed kept
  await ex.page.fill('#title', title);
  await ex.page.fill('#protection', '5');
  await ex.page.fill('#performance', '3');
  await ex.page.fill('#usability', '4');
  await Promise.all([ex.page.waitForNavigation(), ex.page.click('main button[type=submit]')]);
  assert.equal(await ex.page.inputValue('#title'), title, 'kept');
  assert.equal(await ex.page.inputValue('#protection'), '5', 'kept');
  assert.equal(await ex.page.getAttribute('#strengths', 'aria-invalid'), 'true');
  await check(ex.page, 'review-form-error');
  await ex.page.fill('#strengths', '検知が速い');
  await Promise.all([ex.page.waitForNavigation(), ex.page.click('main button[type=submit]')]);
  assert.match(await ex.page.textContent('main'), new RegExp(title));
  await check(ex.page, 'product-reviews');
  await ex.ctx.close();

  const tester = await session('tester@demo.kakehashi.jp');
  await go(tester.page, '/cases/4/checklist', 'checklist-none');
  await tester.page.selectOption('#checklist', 'jc-star-1@2025.1');
  await Promise.all([tester.page.waitForNavigation(), tester.page.click('#pick ~ form button[type=submit]')]);
  assert.match(await tester.page.textContent('main'), /S1\.1-02/);
  await check(tester.page, 'checklist');
  const row = tester.page.locator('tr', { hasText: 'S1.1-05' });
  await row.locator('select').selectOption('fail');
  await Promise.all([tester.page.waitForNavigation(), row.locator('button[type=submit]').click()]);
  assert.match(await tester.page.textContent('main'), /自動判定と異なる判定には理由が必要です/);
  await check(tester.page, 'checklist-error');
  await tester.ctx.close();

  const office = await session('operator@demo.kakehashi.jp');
  await go(office.page, '/my/keys', 'keys');
  await go(office.page, '/checklists', 'checklists');
  await go(office.page, '/checklists/jc-star-1@2025.1?lang=en', 'checklist-jc-star-en');
  await office.ctx.close();
});

test('without JavaScript the forms still work', async () => {
  const ctx = await browser.newContext({ viewport: { width, height: 900 }, javaScriptEnabled: false });
  const page = await ctx.newPage();
  await page.goto(base + '/login');
  await page.fill('#email', 'sme@demo.kakehashi.jp');
  await page.fill('#password', password);
  await Promise.all([page.waitForNavigation(), page.click('main button[type=submit]')]);
  assert.ok(!page.url().includes('/login'));
  await page.goto(base + '/services?category=audit');
  assert.ok((await page.textContent('main')).length > 100);
  writeFileSync(`${shots}/done.txt`, `${n} pages checked\n`);
  await ctx.close();
});
