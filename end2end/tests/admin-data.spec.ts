// An admin's data pages: a retention policy is saved and run from the
// browser, people are invited by email with links limited to the
// company's domains, and the workspace is exported and downloaded as a zip.
import { test, expect } from "@playwright/test";
import { api, hydrated, signUp } from "./helpers";

test("an admin sets retention, runs it, and exports the workspace", async ({ page, baseURL }) => {
  const base = baseURL!;
  const id = await signUp(page, "Rita Retention", "Data");
  const convs = await api(page.request, base, "users.conversations", {});
  const general = convs.channels.find((c: any) => c.is_general).id;
  await api(page.request, base, "chat.postMessage", { channel: general, text: `kept ${id}` });

  await page.goto("/admin/retention");
  await hydrated(page);
  await expect(page.getByText("Messages are kept forever.")).toBeVisible();
  await page.getByLabel("Delete messages older than a number of days").check();
  await page.getByLabel("Days to keep", { exact: true }).fill("30");
  await page.getByRole("button", { name: "Save retention" }).click();
  await expect(page.getByText("Retention saved.")).toBeVisible();
  await expect(page.getByText("Delete after 30 days.")).toBeVisible();

  // #general keeps everything whatever the workspace does.
  await page.getByLabel("Channel", { exact: true }).selectOption({ label: "#general" });
  await page.getByLabel("Policy", { exact: true }).selectOption("keep");
  await page.getByRole("button", { name: "Set channel policy" }).click();
  await expect(page.getByRole("row").filter({ hasText: "#general" })).toContainText("Keep everything");

  await page.getByRole("button", { name: "Run now" }).click();
  const run = page.locator(".retention-runs tbody tr").first();
  await expect(run).toContainText("Done", { timeout: 15_000 });
  await expect(run).toContainText("Rita Retention");

  // Invite by email; limit links to the company's domain.
  await page.getByRole("link", { name: "Invites" }).click();
  await hydrated(page);
  await page.getByLabel("Email addresses").fill(`dana-${id}@example.org, not-an-email`);
  await page.getByRole("button", { name: "Send invites" }).click();
  await expect(page.getByText("1 invite sent.")).toBeVisible();
  await expect(page.getByText("not-an-email: email is not a valid address")).toBeVisible();
  await expect(page.getByRole("row").filter({ hasText: `dana-${id}@example.org` })).toContainText("Active");
  await page.getByLabel("Allowed email domains").fill("Example.org, @acme.io");
  await page.getByRole("button", { name: "Save domains" }).click();
  await expect(page.getByText("Sign-up domains saved.")).toBeVisible();
  await expect(page.getByLabel("Allowed email domains")).toHaveValue("example.org, acme.io");

  // Export everything (an owner may include private conversations).
  await page.getByRole("link", { name: "Export" }).click();
  await hydrated(page);
  await expect(page.getByText("No exports yet.")).toBeVisible();
  await page.getByLabel(/Include private channels/).check();
  await page.getByRole("button", { name: "Start export" }).click();
  await expect(page.getByText("Export started.")).toBeVisible();
  const link = page.getByRole("link", { name: /Download/ });
  await expect(link).toBeVisible({ timeout: 15_000 });
  const res = await page.request.get(base + (await link.getAttribute("href")));
  expect(res.status()).toBe(200);
  expect(res.headers()["content-type"]).toBe("application/zip");
  const zip = await res.body();
  expect(zip.subarray(0, 2).toString()).toBe("PK");

  // Both show in the audit log.
  await page.getByRole("link", { name: "Audit log" }).click();
  await expect(page.getByRole("row").filter({ hasText: "Export started" })).toBeVisible();
  await expect(page.getByRole("row").filter({ hasText: "Retention run" })).toBeVisible();
});
