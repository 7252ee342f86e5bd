// A member edits their profile, uploads a photo and sets a status; a
// teammate with their profile open sees each change live, without a reload.
import { test, expect } from "@playwright/test";
import { api, hydrated, signUp, teammate } from "./helpers";

// A 4×4 PNG.
const PNG = "iVBORw0KGgoAAAANSUhEUgAAAAQAAAAECAIAAAAmkwkpAAAAEElEQVR4nGM4IScHRwzEcQCxYxBBO0tjggAAAABJRU5ErkJggg==";

test("a member edits the profile and sets a status, and a teammate sees it live", async ({ page, browser, baseURL }) => {
  const id = await signUp(page, "Ada Admin", "Profiles");
  const { ctx } = await teammate(page, browser, baseURL!, "Bob Builder", id);
  const bob = await ctx.newPage();

  // Ada opens Bob's profile and keeps it open.
  await page.goto("/people");
  await hydrated(page);
  await page.getByRole("button", { name: /Bob Builder/ }).click();
  const pane = page.getByRole("complementary", { name: "Details" });
  await expect(pane.getByRole("heading", { name: "Bob Builder" })).toBeVisible();

  await bob.goto("/settings/profile");
  await hydrated(bob);
  await expect(bob.getByLabel("Display name")).toHaveValue("Bob Builder");
  await bob.getByLabel("Title").fill("Site lead");
  await bob.getByRole("button", { name: "Save profile" }).click();
  await expect(bob.getByText("Profile saved.")).toBeVisible();
  await expect(pane.getByText("Site lead")).toBeVisible();

  await bob.getByLabel("Emoji").fill(":palm_tree:");
  await bob.getByLabel("What's your status?").fill("On leave until Monday");
  await bob.getByLabel("Clear after").selectOption("week");
  await bob.getByRole("button", { name: "Set status" }).click();
  await expect(bob.getByText("Status set.")).toBeVisible();
  await expect(bob.getByLabel("Emoji")).toHaveValue("🌴");
  await expect(pane.getByText("On leave until Monday")).toBeVisible();

  await bob.getByRole("button", { name: "Clear status" }).click();
  await expect(pane.getByText("On leave until Monday")).toHaveCount(0);

  // A photo, cropped: Ada's open pane loads the new picture at once.
  const paneAvatar = pane.locator("img.avatar-img").first();
  await expect(paneAvatar).not.toHaveAttribute("src", /\?v=/);
  await bob.getByLabel("Upload a photo").setInputFiles({ name: "me.png", mimeType: "image/png", buffer: Buffer.from(PNG, "base64") });
  await expect(bob.getByRole("img", { name: "The part of the photo that will show" })).toBeVisible();
  await bob.getByLabel("Zoom").fill("2");
  await bob.getByRole("button", { name: "Save photo" }).click();
  await expect(bob.getByText("Photo saved.")).toBeVisible();
  await expect(paneAvatar).toHaveAttribute("src", /\/512\?v=1$/);
  await expect.poll(() => paneAvatar.evaluate((i: HTMLImageElement) => i.complete && i.naturalWidth)).toBe(512);
  await expect(bob.getByRole("img", { name: "Your current photo" })).toHaveAttribute("src", /\?v=1$/);
  await ctx.close();
});

test("preferences: a 24-hour clock, away, and statuses beside names in messages", async ({ page, baseURL }) => {
  const base = baseURL!;
  await signUp(page, "Cleo Clock", "Prefs");
  const convs = await api(page.request, base, "users.conversations", {});
  const general = convs.channels.find((c: any) => c.is_general).id;
  await api(page.request, base, "chat.postMessage", { channel: general, text: "Morning all" });
  await api(page.request, base, "users.status.set", { emoji: ":palm_tree:", text: "Off today" });

  await page.goto(`/c/${general}`);
  await hydrated(page);
  const head = page.locator(".msg-head").filter({ hasText: "Cleo Clock" }).first();
  await expect(head.getByRole("img", { name: "Status: Off today" })).toHaveText("🌴");
  await expect(head.locator(".msg-time")).toHaveText(/^\d{1,2}:\d{2} (AM|PM)$/);

  await page.getByRole("link", { name: "Preferences" }).click();
  await hydrated(page);
  await page.getByLabel("Clock").selectOption("24");
  await page.getByLabel("Set yourself as away").check();
  await expect(page.getByText("You are shown as away.")).toBeVisible();
  const presence = await api(page.request, base, "users.getPresence", {});
  expect(presence.manual_away).toBe(true);

  await page.goto(`/c/${general}`);
  await hydrated(page);
  await expect(page.locator(".msg-head").filter({ hasText: "Cleo Clock" }).first().locator(".msg-time")).toHaveText(/^\d{2}:\d{2}$/);
});
