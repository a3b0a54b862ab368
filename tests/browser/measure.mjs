// Measures a built edition in headless Chromium (Debian's /usr/bin/chromium) with
// playwright-core, and prints the figures as JSON for tests/browser.rs to assert.
//
//   node tests/browser/measure.mjs BUILD_DIR
//
// BUILD_DIR is the output of `courant build`: email.html and index.html (the web version).
import { chromium } from 'playwright-core';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import path from 'node:path';

const dir = path.resolve(process.argv[2]);
const email = pathToFileURL(path.join(dir, 'email.html')).href;
const web = pathToFileURL(path.join(dir, 'index.html')).href;
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync'],
});

// Text that is shown: visible elements with their own text.
const textStyles = () => [...document.querySelectorAll('h1,h2,h3,p,li,a,span,td')]
  .filter(e => e.offsetParent !== null && [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()))
  .filter(e => !e.closest('.preheader'));

async function open(url, width, scheme = 'light') {
  const page = await browser.newPage({ viewport: { width, height: 800 }, colorScheme: scheme });
  await page.goto(url, { waitUntil: 'load' });
  return page;
}

const result = {};
{
  const page = await open(email, 375);
  result.phone = await page.evaluate(`(() => {
    const texts = (${textStyles.toString()})();
    const images = [...document.images];
    return {
      scrollWidth: document.documentElement.scrollWidth,
      images: images.length,
      imagesLoaded: images.filter(i => i.complete && i.naturalWidth > 0).length,
      minFontPx: Math.min(...texts.map(e => parseFloat(getComputedStyle(e).fontSize))),
    };
  })()`);
  await page.close();
}
{
  const page = await open(email, 800);
  result.desktop = await page.evaluate(`({ columnWidth: document.querySelector('.container').getBoundingClientRect().width })`);
  await page.close();
}
{
  const page = await open(email, 600, 'dark');
  result.dark = await page.evaluate(`(() => {
    const rgb = c => (c.match(/[\\d.]+/g) || []).map(Number);
    const lum = ([r, g, b]) => [r, g, b].map(v => { v /= 255; return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
      .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
    const background = e => {
      for (; e; e = e.parentElement) {
        const c = rgb(getComputedStyle(e).backgroundColor);
        if (c.length === 3 || (c.length === 4 && c[3] > 0)) return c.slice(0, 3);
      }
      return [255, 255, 255];
    };
    const texts = (${textStyles.toString()})();
    const ratios = texts.map(e => {
      const [a, b] = [lum(rgb(getComputedStyle(e).color).slice(0, 3)), lum(background(e))];
      return { ratio: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05), text: e.textContent.trim().slice(0, 40) };
    });
    ratios.sort((x, y) => x.ratio - y.ratio);
    return { minContrast: ratios[0].ratio, worst: ratios[0].text, background: getComputedStyle(document.querySelector('.content')).backgroundColor };
  })()`);
  await page.close();
}
{
  const page = await open(web, 1024);
  await page.addScriptTag({ content: axeSource });
  const axe = await page.evaluate(`axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] })`);
  result.axe = axe.violations.map(v => ({ id: v.id, impact: v.impact, nodes: v.nodes.length, help: v.help }));
  await page.close();
}
await browser.close();
console.log(JSON.stringify(result));
