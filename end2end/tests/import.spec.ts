// The Slack import from the browser: upload an export, read the dry run's
// report (with the broken day file it found), import, and open an imported
// channel with its thread and reaction, which appears in the sidebar live.
import { test, expect } from "@playwright/test";
import { hydrated, signUp } from "./helpers";
import { zip } from "./zip";

test("an admin imports a Slack export after reading the dry run", async ({ page }) => {
  const id = await signUp(page, "Ivy Importer", "Imports");
  const me = `ivy-${id}@example.com`;
  const day = [
    { type: "message", subtype: "channel_join", user: "UMAX", ts: "1704067100.000100", text: "<@UMAX> has joined the channel" },
    { type: "message", user: "UIVY", ts: "1704067200.000100", text: "*Launch* plan is ready",
      thread_ts: "1704067200.000100", reply_count: 1,
      reactions: [{ name: "+1", users: ["UIVY", "UMAX"], count: 2 }] },
    { type: "message", user: "UMAX", ts: "1704067300.000100", thread_ts: "1704067200.000100",
      text: "Ship it <@UIVY>" },
    { type: "message", subtype: "bot_message", bot_id: "B1", username: "ci-bot", ts: "1704067400.000100",
      text: "Build <https://ci.example.com/7|7> passed" },
  ];
  const name = `launch-${id.split("-")[1]}`;
  const body = zip([
    ["users.json", JSON.stringify([
      { id: "UIVY", name: "ivy", profile: { display_name: "Ivy", email: me } },
      { id: "UMAX", name: "max", real_name: "Max Mover", profile: { email: `max-${id}@example.com`, title: "PM" } },
    ])],
    ["channels.json", JSON.stringify([{ id: "C1", name, members: ["UIVY", "UMAX"], topic: { value: "Launches" } }])],
    [`${name}/2024-01-01.json`, JSON.stringify(day)],
    [`${name}/2024-01-02.json`, "[\n  {\"ts\": \n  broken"],
  ]);

  await page.goto("/admin/import");
  await hydrated(page);
  await expect(page.getByText("No imports yet.")).toBeVisible();
  await page.getByLabel("Slack export (.zip)").setInputFiles({ name: "slack-export.zip", mimeType: "application/zip", buffer: body });
  await page.getByRole("button", { name: "Upload" }).click();
  await expect(page.getByText("Uploaded. Run the dry run")).toBeVisible();
  const row = page.locator("table.imports tbody tr").first();
  await expect(row).toContainText("slack-export.zip");

  await row.getByRole("button", { name: "Dry run" }).click();
  await expect(page.getByRole("heading", { name: "Dry run report: slack-export.zip" })).toBeVisible({ timeout: 15_000 });
  await expect(row).toContainText("Checked: 4 messages in 1 conversation");
  const report = page.locator(".import-report");
  await expect(report).toContainText("1 matched to members here by email, 2 new");
  await expect(report).toContainText("4 messages · 1 thread · 1 reply · 2 reactions");
  await expect(report.getByRole("row").filter({ hasText: name })).toContainText(`new: #${name}`);
  await expect(report.getByText(`${name}/2024-01-02.json:3`)).toBeVisible();
  await report.screenshot({ path: "test-results/import-report.png" });

  await row.getByRole("button", { name: "Import" }).click();
  await expect(row).toContainText(/Imported .*: 4 messages/, { timeout: 15_000 });
  // The new channel appears in the sidebar without a reload.
  const link = page.getByRole("navigation", { name: "Channels" }).getByRole("link", { name });
  await expect(link).toBeVisible();
  await link.click();
  const log = page.getByRole("log", { name: "Messages" });
  const root = log.locator(".msg").filter({ hasText: "Launch plan is ready" });
  await expect(root.locator(".msg-text strong")).toHaveText("Launch");
  await expect(root.getByRole("button", { name: /reacted with/ })).toHaveText(/👍\s*2/);
  await expect(log.locator(".msg").filter({ hasText: "ci-bot" })).toContainText("Build 7 passed");
  // The join is kept as a small system line.
  await expect(log.locator(".msg.system")).toContainText("@Max Mover has joined the channel");
  await root.getByRole("button", { name: /1 reply/ }).click();
  const pane = page.getByRole("complementary", { name: "Details" });
  await expect(pane.locator(".msg").filter({ hasText: "Ship it" })).toContainText("@Ivy Importer");
  await page.screenshot({ path: "test-results/import-channel.png", fullPage: true });
});
