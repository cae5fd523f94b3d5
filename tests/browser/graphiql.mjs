// Opens GraphiQL at `<base>/graphql` in Debian's Chromium, headless and with no way out of the
// server, and prints one JSON object: whether the page loaded, whether its docs list MicroWish,
// what a query typed into the editor answered, whether history kept it, and every request that
// went anywhere but the server.
//
// Usage: node graphiql.mjs http://127.0.0.1:PORT
import { chromium } from 'playwright-core';

const base = new URL(process.argv[2]);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});
const result = { loaded: false, docsListMicroWish: false, answer: null, history: false, outside: [] };
try {
  const page = await browser.newPage();
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (url.origin !== base.origin && url.protocol !== 'data:' && url.protocol !== 'blob:') {
      result.outside.push(request.url());
    }
  });
  await page.goto(new URL('/graphql', base).toString(), { waitUntil: 'networkidle' });
  await page.waitForSelector('.graphiql-container', { timeout: 20000 });
  result.loaded = true;

  // The docs pane, from introspection: "All Schema Types" lists MicroWish.
  await page.click('[aria-label="Show Documentation Explorer"]');
  const microWish = page
    .locator('.graphiql-doc-explorer .graphiql-doc-explorer-type-name')
    .getByText('MicroWish', { exact: true });
  await microWish.first().waitFor({ timeout: 20000 });
  result.docsListMicroWish = (await microWish.count()) > 0;

  // A query typed into the editor, run.
  const editor = page.locator('.graphiql-query-editor .CodeMirror').first();
  await editor.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  await page.keyboard.type('{ adminUnits(first: 1) { totalCount } }');
  // GraphiQL keeps the editor's text in its tab state after a short pause; history records
  // what the tab holds when a query runs.
  await page.waitForFunction(
    () => (localStorage.getItem('graphiql:query') ?? '').includes('adminUnits(first: 1)'),
    null,
    { timeout: 20000 },
  );
  await page.click('.graphiql-execute-button');
  await page.waitForFunction(
    () => document.querySelector('.graphiql-response')?.textContent?.includes('totalCount'),
    null,
    { timeout: 20000 },
  );
  result.answer = await page.locator('.graphiql-response').first().textContent();

  // History keeps it: the history pane lists it, from the browser's own storage.
  await page.click('[aria-label="Show History"]');
  const entry = page.locator('.graphiql-history-item').filter({ hasText: 'adminUnits' });
  await entry.first().waitFor({ timeout: 20000 });
  result.history = (await entry.count()) > 0;
} catch (error) {
  result.error = String(error);
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(result) + '\n');
