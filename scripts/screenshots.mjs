// Renders the seed edition's email to the PNGs the README shows: desktop, phone and dark mode,
// in headless Chromium (Debian's /usr/bin/chromium) with playwright-core.
//
//   cargo run -- build issues/2022-12.toml --out target/seed-build
//   node scripts/screenshots.mjs target/seed-build docs
import { chromium } from 'playwright-core';
import { pathToFileURL } from 'node:url';
import path from 'node:path';

const [dir, out] = process.argv.slice(2).map(p => path.resolve(p));
const email = pathToFileURL(path.join(dir, 'email.html')).href;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync'],
});
const shots = [
  ['seed-desktop.png', { width: 700, height: 1200 }, 'light'],
  ['seed-phone.png', { width: 375, height: 1000 }, 'light'],
  ['seed-dark.png', { width: 700, height: 1200 }, 'dark'],
];
for (const [name, viewport, colorScheme] of shots) {
  const page = await browser.newPage({ viewport, colorScheme });
  await page.goto(email, { waitUntil: 'load' });
  await page.screenshot({ path: path.join(out, name) });
  await page.close();
  console.log(path.join(out, name));
}
await browser.close();
