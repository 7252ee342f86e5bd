// Shared by the browser journeys: sign-up, teammates through invite links,
// Web API calls with the page's session, and waiting for hydration.
import { expect, Page, APIRequestContext, Browser } from "@playwright/test";

export const PASSWORD = "correct horse battery";
export const unique = () => `${Date.now()}-${Math.floor(Math.random() * 1e6)}`;

export async function hydrated(page: Page) {
  await page.waitForFunction(() => (window as any).__hydrated === true, null, { timeout: 30_000 });
}

// Calls the Web API with the page's session, as the app itself does.
export async function api(req: APIRequestContext, base: string, method: string, body: object) {
  const res = await req.post(`/api/${method}`, { data: body, headers: { origin: base } });
  const json = await res.json();
  expect(json.ok, `${method}: ${JSON.stringify(json)}`).toBe(true);
  return json;
}

export async function signUp(page: Page, name: string, workspace = "Chat") {
  const id = unique();
  await page.goto("/signup");
  await page.getByLabel("Workspace name").fill(`${workspace} ${id}`);
  await page.getByLabel("Your name").fill(name);
  await page.getByLabel("Work email").fill(`${name.split(" ")[0].toLowerCase()}-${id}@example.com`);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create workspace" }).click();
  await expect(page).toHaveURL(/\/$/);
  await hydrated(page);
  return id;
}

// Adds a teammate through an invite link, in a browser context of their own.
export async function teammate(page: Page, browser: Browser, base: string, name: string, id: string) {
  const inv = await api(page.request, base, "invites.create", { role: "member", expires_in_hours: 24, max_uses: 1 });
  const token = inv.url.split("/invite/")[1];
  const ctx = await browser.newContext({ baseURL: base });
  const email = `${name.split(" ")[0].toLowerCase()}-${id}@example.com`;
  const r = await api(ctx.request, base, "invites.accept", { token, email, password: PASSWORD, display_name: name });
  return { ctx, userId: r.user_id as string };
}
