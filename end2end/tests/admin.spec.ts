// Running a workspace from the browser: an admin changes a teammate's role,
// deactivates them (their open page returns to sign-in at once), and reads
// the audit log; a member cannot even see the admin pages; a person
// changes their password and their other browser is signed out.
import { test, expect } from "@playwright/test";
import { api, hydrated, signUp, teammate, PASSWORD } from "./helpers";

test("an admin changes a role, deactivates a member whose open page signs out, and reads the audit log", async ({ page, browser, baseURL }) => {
  const base = baseURL!;
  const id = await signUp(page, "Ada Admin", "Admin");
  const { ctx, userId } = await teammate(page, browser, base, "Bob Builder", id);
  const convs = await api(page.request, base, "users.conversations", {});
  const general = convs.channels.find((c: any) => c.is_general).id;

  // Bob, a member, finds no admin pages; then he sits in #general, connected.
  // (The admin pages answer 404 before rendering: a static page, no app.)
  const bob = await ctx.newPage();
  const refused = await bob.goto("/admin/members");
  expect(refused!.status()).toBe(404);
  await expect(bob.getByText("Page not found")).toBeVisible();
  await bob.goto(`/c/${general}`);
  await hydrated(bob);
  await expect(bob.getByRole("link", { name: "Admin" })).toHaveCount(0);
  await bob.getByLabel("Message #general").fill("Last day tomorrow");
  await bob.getByLabel("Message #general").press("Enter");
  await expect(bob.locator(`.msg .pdot[data-user="${userId}"]`).first()).toHaveAttribute("aria-label", "Online");

  // The overview counts him; the members page lists him.
  await page.getByRole("link", { name: "Admin", exact: true }).click();
  await expect(page.getByText("active members")).toBeVisible();
  await page.getByRole("navigation", { name: "Admin sections" }).getByRole("link", { name: "Members" }).click();
  const row = page.getByRole("row").filter({ hasText: "Bob Builder" });
  await expect(row).toBeVisible();
  await row.getByLabel("Role of Bob Builder").selectOption("guest");
  await expect(page.getByText("Saved.").first()).toBeVisible();
  await expect(row.getByLabel("Role of Bob Builder")).toHaveValue("guest");

  // Deactivation asks first, then signs Bob out wherever he is.
  await row.getByRole("button", { name: "Deactivate…" }).click();
  await row.getByRole("button", { name: "Deactivate", exact: true }).click();
  await expect(row.getByText("Deactivated")).toBeVisible();
  await expect(bob).toHaveURL(/\/login/, { timeout: 10_000 });

  // His message stays, marked.
  await page.goto(`/c/${general}`);
  await hydrated(page);
  const kept = page.getByRole("log", { name: "Messages" }).locator(".msg").filter({ hasText: "Last day tomorrow" });
  await expect(kept.getByText("deactivated")).toBeVisible();

  // The member page lists nothing that signs him in; the audit log has it all.
  await page.goto(`/admin/members/${userId}`);
  await hydrated(page);
  await expect(page.getByText("Not signed in anywhere.")).toBeVisible();
  await expect(page.getByText("No API tokens.")).toBeVisible();
  await page.getByRole("link", { name: "Audit log" }).click();
  const log = page.getByRole("table");
  await expect(log.getByRole("row").filter({ hasText: "Deactivated" })).toContainText("Bob Builder");
  await expect(log.getByRole("row").filter({ hasText: "Role changed" })).toContainText("member → guest");
  await page.getByLabel("What").selectOption("member.deactivated");
  await expect(log.getByRole("row")).toHaveCount(2); // the header and one entry
  await ctx.close();
});

test("changing the password signs out the other browser", async ({ page, browser, baseURL }) => {
  const base = baseURL!;
  await signUp(page, "Cara Change", "Account");
  const me = await api(page.request, base, "auth.test", {});
  const other = await browser.newContext({ baseURL: base });
  await api(other.request, base, "auth.login", { email: me.email, password: PASSWORD });
  const phone = await other.newPage();
  await phone.goto("/");
  await hydrated(phone);

  await page.getByRole("link", { name: "Account" }).click();
  await expect(page.getByRole("row").filter({ hasText: "This browser" })).toHaveCount(1);
  const sessions = page.getByRole("table");
  await expect(sessions.getByRole("button", { name: "Sign out", exact: true })).toHaveCount(1);
  await page.getByLabel("Current password").fill(PASSWORD);
  await page.getByLabel("New password", { exact: true }).fill("an entirely new secret");
  await page.getByLabel("New password again").fill("an entirely new secret");
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByText("1 other session was signed out.")).toBeVisible();
  await expect(phone).toHaveURL(/\/login/, { timeout: 10_000 });
  await other.close();
});

test("an admin edits the workspace settings and a member's open page follows", async ({ page, browser, baseURL }) => {
  const base = baseURL!;
  const id = await signUp(page, "Sam Settings", "Settings");
  const { ctx } = await teammate(page, browser, base, "Mia Member", id);
  const mia = await ctx.newPage();
  await mia.goto("/channels");
  await hydrated(mia);
  await expect(mia.getByRole("button", { name: "Create channel" })).toBeVisible();

  await page.goto("/admin/settings");
  await hydrated(page);
  const name = page.getByLabel("Name", { exact: true });
  await expect(name).toHaveValue(`Settings ${id}`);
  await name.fill(`Renamed ${id}`);
  await page.getByLabel("Who can create channels").selectOption("admins");
  await page.getByLabel("Only owners and admins can use @channel").check();
  await page.getByLabel("Large means more members than").fill("1");
  await page.getByLabel("Blocked file types").fill("exe, .BAT");
  await page.getByRole("button", { name: "Save settings" }).click();
  await expect(page.getByText("Settings saved.")).toBeVisible();
  await expect(page.getByLabel("Blocked file types")).toHaveValue("exe, bat");

  // Mia's open page hides what she may no longer do, and shows the new name.
  await expect(mia.getByText("Only admins can create channels in this workspace.")).toBeVisible();
  await expect(mia.getByRole("button", { name: "Create channel" })).toBeHidden();
  await expect(mia.getByRole("button", { name: `Renamed ${id}`, exact: true })).toBeVisible();
  // @channel in #general (2 members) is refused with a clear message.
  const convs = await api(page.request, base, "users.conversations", {});
  const general = convs.channels.find((c: any) => c.is_general).id;
  await mia.goto(`/c/${general}`);
  await hydrated(mia);
  await mia.getByLabel("Message #general").fill("@channel standup?");
  await mia.getByLabel("Message #general").press("Enter");
  await expect(mia.getByText("only admins can use @channel").first()).toBeVisible();

  // The audit log says what changed.
  await page.getByRole("link", { name: "Audit log" }).click();
  await expect(page.getByRole("row").filter({ hasText: "Settings changed" })).toContainText("create_channels");
  await ctx.close();
});
