import type { Page } from 'playwright-core';

/**
 * Collects what a page writes to the console as errors, and its uncaught exceptions. One is expected and left out:
 * Chromium logs every failed fetch, and a logged-out page asking GET /api/me who it is, and a wrong password, get their 401 by design.
 */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const expected401 =
      /status of 401/.test(m.text()) &&
      ['/api/me', '/api/login'].includes(new URL(m.location().url, 'http://x').pathname);
    if (!expected401) errors.push(`${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => errors.push(e.message));
  return errors;
}

/**
 * Logs in through the page's own form, as a person would, and waits until the shell shows the user. Use the users
 * of `testUsers()` (test/helpers/web-login.ts) in the app's config.
 */
export async function browserLogin(page: Page, url: string, user: string, password: string): Promise<void> {
  await page.goto(url);
  await page.getByLabel('User').fill(user);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByTestId('who').waitFor({ timeout: 10_000 });
}

/** Evaluates an expression in the page (a string: the tests are typechecked without the DOM library). */
export function inPage<T>(page: Page, expression: string): Promise<T> {
  return page.evaluate<T>(expression);
}

/** Whether the document is wider than the window: a horizontal scroll bar. */
export function hasHorizontalScroll(page: Page): Promise<boolean> {
  return inPage<boolean>(page, 'document.documentElement.scrollWidth > document.documentElement.clientWidth');
}
