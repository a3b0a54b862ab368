// Walks the public pages of `courant serve-public` in headless Chromium at phone width, as a
// reader would, without JavaScript of the pages' own, and prints for each page its status,
// axe's violations and whether it is wider than the phone, as JSON for tests/suite/public.rs.
//
//   node tests/browser/public.mjs signup FORM_URL EMAIL    the form, filled in and sent
//   node tests/browser/public.mjs confirm CONFIRM_URL      the link's page, its button pressed
//   node tests/browser/public.mjs walk URL STEPS           the page, then each step of the JSON
//        list STEPS: {"fill": {"#name": "Anne"}} fills in fields, {"click": "SELECTOR"} presses
//        a button and measures the page it leads to, {"download": "SELECTOR"} presses one that
//        downloads and gives the file's text
import { chromium } from 'playwright-core';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const [mode, url, email] = process.argv.slice(2);
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
});
const page = await browser.newPage({ viewport: { width: 375, height: 800 }, javaScriptEnabled: true });

// axe through the DevTools protocol: the pages' Content-Security-Policy allows no script, and
// a script the page itself could run is exactly what it must not allow.
async function measure(response) {
  const session = await page.context().newCDPSession(page);
  await session.send('Runtime.evaluate', { expression: axeSource });
  const run = await session.send('Runtime.evaluate', {
    expression: `axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] })
      .then(r => JSON.stringify(r.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help }))))`,
    awaitPromise: true, returnByValue: true,
  });
  const width = await page.evaluate('document.documentElement.scrollWidth');
  const consent = await page.evaluate("document.querySelector('.consent')?.textContent ?? null");
  return { status: response ? response.status() : 0, title: await page.title(), consent,
           violations: JSON.parse(run.result.value), scrollWidth: width };
}

const result = {};
if (mode === 'signup') {
  result.form = await measure(await page.goto(url));
  await page.fill('#email', email);
  const [response] = await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  result.sent = await measure(response);
} else if (mode === 'walk') {
  const steps = JSON.parse(process.argv[4]);
  result.pages = [await measure(await page.goto(url))];
  for (const step of steps) {
    if (step.fill) {
      for (const [selector, value] of Object.entries(step.fill)) await page.fill(selector, value);
    } else if (step.click) {
      const [response] = await Promise.all([page.waitForNavigation(), page.click(step.click)]);
      result.pages.push(await measure(response));
    } else if (step.download) {
      const [download] = await Promise.all([page.waitForEvent('download'), page.click(step.download)]);
      const chunks = [];
      for await (const chunk of await download.createReadStream()) chunks.push(chunk);
      result.download = { name: download.suggestedFilename(), text: Buffer.concat(chunks).toString('utf8') };
    }
  }
} else {
  result.confirm = await measure(await page.goto(url));
  const [response] = await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  result.done = await measure(response);
}
console.log(JSON.stringify(result));
await browser.close();
