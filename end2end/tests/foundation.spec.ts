// The foundation's user journeys: sign up, sign out and in, invite a
// teammate who joins from a second browser, and find both in the directory.
import { test, expect, Page } from "@playwright/test";

const PASSWORD = "correct horse battery";
const unique = () => `${Date.now()}-${Math.floor(Math.random() * 1e6)}`;

// Waits until the WASM bundle has taken over the page, so clicks reach
// hydrated handlers rather than the bare server-rendered HTML.
async function hydrated(page: Page) {
  await page.waitForFunction(() => (window as any).__hydrated === true, null, { timeout: 30_000 });
}

async function signUp(page: Page, workspace: string, name: string, email: string) {
  await page.goto("/signup");
  await page.getByLabel("Workspace name").fill(workspace);
  await page.getByLabel("Your name").fill(name);
  await page.getByLabel("Work email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create workspace" }).click();
  await expect(page).toHaveURL(/\/$/);
}

test("sign up, land in the workspace, sign out, sign in", async ({ page }) => {
  const id = unique();
  const email = `owner-${id}@example.com`;
  await signUp(page, `Acme ${id}`, "Olivia Owner", email);
  await expect(page.getByRole("heading", { name: `Welcome to Acme ${id}, Olivia Owner!` })).toBeVisible();
  await expect(page.getByRole("button", { name: new RegExp(`Acme ${id}`) })).toBeVisible();

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);

  // A wrong password is reported inline and nothing else happens.
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "don't match" })).toBeVisible();

  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByText("Olivia Owner").first()).toBeVisible();
});

test("sign-up errors appear next to the field", async ({ page }) => {
  await page.goto("/signup");
  await page.getByLabel("Workspace name").fill("Acme");
  await page.getByLabel("Your name").fill("Al");
  // Passes the browser's own email check but not the server's.
  await page.getByLabel("Work email").fill("al@localhost");
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create workspace" }).click();
  await expect(page.getByText("Enter a valid email address.")).toBeVisible();
  await expect(page.getByLabel("Work email")).toHaveAttribute("aria-invalid", "true");
  await expect(page.getByLabel("Workspace name")).toHaveValue("Acme");
});

test("an admin invites a teammate who joins from another browser", async ({ page, browser }) => {
  const id = unique();
  await signUp(page, `Team ${id}`, "Ada Admin", `ada-${id}@example.com`);
  await hydrated(page);
  await page.getByRole("link", { name: /Invite your team/ }).click();
  await expect(page.getByRole("heading", { name: "Invite people" })).toBeVisible();
  await page.getByText("No invite links yet").waitFor();
  await page.getByLabel("Maximum uses").fill("3");
  await page.getByRole("button", { name: "Create invite link" }).click();
  const link = page.getByLabel("Invite link");
  await expect(link).toHaveValue(/\/invite\/tsi_/);
  const url = await link.inputValue();
  await expect(page.getByRole("cell", { name: "0 / 3" })).toBeVisible();

  const other = await browser.newContext();
  const bob = await other.newPage();
  await bob.goto(url);
  await expect(bob.getByText(`invited you to join`)).toContainText(`Team ${id}`);
  await bob.getByLabel("Your name").fill("Bob Builder");
  await bob.getByLabel("Email").fill(`bob-${id}@example.com`);
  await bob.getByLabel("Password").fill(PASSWORD);
  await bob.getByRole("button", { name: "Join workspace" }).click();
  await expect(bob).toHaveURL(/\/$/);
  await expect(bob.getByRole("heading", { name: `Welcome to Team ${id}, Bob Builder!` })).toBeVisible();

  // Both people are in the directory, seen from either side.
  for (const p of [page, bob]) {
    await p.goto("/people");
    await hydrated(p);
    const list = p.getByRole("list", { name: "Members" });
    await expect(list.getByText("Ada Admin")).toBeVisible();
    await expect(list.getByText("Bob Builder")).toBeVisible();
  }
  await page.getByLabel("Search people").fill("bob");
  await expect(page.getByRole("list", { name: "Members" }).getByText("Ada Admin")).toHaveCount(0);
  await page.getByRole("button", { name: /Bob Builder/ }).click();
  await expect(page.getByRole("complementary", { name: "Details" }).getByRole("heading", { name: "Bob Builder" })).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(page.getByRole("complementary", { name: "Details" })).toBeHidden();
  await other.close();
});

test("a dead invite link says why", async ({ page }) => {
  await page.goto("/invite/tsi_doesnotexist");
  await expect(page.getByRole("alert")).toContainText("This invite link is not valid");
});

test("every signed-in page hydrates, and the switcher lists the workspace", async ({ page }) => {
  const id = unique();
  await signUp(page, `Pages ${id}`, "Paula Pages", `paula-${id}@example.com`);
  for (const path of ["/", "/people", "/admin", "/admin/members", "/admin/invites", "/admin/audit-log", "/settings/account", "/settings/tokens"]) {
    await page.goto(path);
    await hydrated(page);
  }
  await page.getByRole("button", { name: new RegExp(`Pages ${id}`) }).click();
  await expect(page.getByRole("menuitem", { name: new RegExp(`Pages ${id}`) })).toBeDisabled();
  await expect(page.getByRole("menuitem", { name: /Create a new workspace/ })).toBeVisible();
});
