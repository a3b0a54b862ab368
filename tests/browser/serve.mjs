// Drives `courant serve` in headless Chromium: edits the edition file and waits for the open
// page to change by itself. Prints what it saw and how long each change took, as JSON.
//
//   node tests/browser/serve.mjs URL EDITION_FILE
import { chromium } from 'playwright-core';
import { readFileSync, writeFileSync } from 'node:fs';

const [url, file] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync'],
});
const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
await page.goto(url, { waitUntil: 'load' });
const result = { before: await page.textContent('#title') };
const original = readFileSync(file, 'utf8');

async function change(text, selector, expected) {
  const start = Date.now();
  writeFileSync(file, text);
  await page.waitForFunction(([s, e]) => {
    const el = document.querySelector(s);
    return el && el.textContent.includes(e);
  }, [selector, expected], { timeout: 10000 });
  return { ms: Date.now() - start, text: (await page.textContent(selector)).trim() };
}

const subjectLine = original.split('\n').findIndex(l => l.startsWith('subject = ')) + 1;
result.edited = await change(original.replace(/^subject = .*$/m, 'subject = "Live bewerkt"'), '#title', 'Live bewerkt');
result.broken = await change(original.replace(/^subject = .*$/m, 'subject = "kapot'), '#diagnostic', `:${subjectLine}:`);
result.brokenHasLastGood = (await page.$('a[href^="/?last=1"]')) !== null;
result.fixed = await change(original, '#title', result.before.trim());
await browser.close();
console.log(JSON.stringify(result));
