// Realtime in two browsers as two people: each sees the other's message,
// edit, reaction, typing and presence without reloading; and a message sent
// while the network is cut arrives exactly once when it comes back.
import { test, expect } from "@playwright/test";
import { api, hydrated, signUp, teammate } from "./helpers";

test("two people see each other live, and an offline message arrives once", async ({ page, browser, baseURL }) => {
  const base = baseURL!;
  const id = await signUp(page, "Olive Owner", "Live");
  const { ctx, userId: brunoId } = await teammate(page, browser, base, "Bruno Buddy", id);
  const convs = await api(page.request, base, "users.conversations", {});
  const general = convs.channels.find((c: any) => c.is_general).id;

  const bruno = await ctx.newPage();
  await page.goto(`/c/${general}`);
  await hydrated(page);
  await bruno.goto(`/c/${general}`);
  await hydrated(bruno);
  const oliveLog = page.getByRole("log", { name: "Messages" });
  const brunoLog = bruno.getByRole("log", { name: "Messages" });

  // A message, seen by the other side without a reload.
  await bruno.getByLabel("Message #general").fill("Hi from Bruno");
  await bruno.getByLabel("Message #general").press("Enter");
  const row = oliveLog.locator(".msg").filter({ hasText: "Hi from Bruno" });
  await expect(row).toHaveCount(1);
  await expect(brunoLog.locator(".msg").filter({ hasText: "Hi from Bruno" })).toHaveCount(1);

  // Presence: Bruno's avatar dot shows him online.
  const dot = page.locator(`.msg .pdot[data-user="${brunoId}"]`).first();
  await expect(dot).toHaveAttribute("aria-label", "Online");

  // Typing: Olive types, Bruno sees it; it clears when her message lands.
  await page.getByLabel("Message #general").fill("Hello Bruno");
  await expect(bruno.getByText("Olive Owner is typing…")).toBeVisible();
  await page.getByLabel("Message #general").press("Enter");
  await expect(brunoLog.locator(".msg").filter({ hasText: "Hello Bruno" })).toHaveCount(1);
  await expect(bruno.getByText("Olive Owner is typing…")).toHaveCount(0);

  // An edit and a reaction by Bruno reach Olive.
  const brunoRow = brunoLog.locator(".msg").filter({ hasText: "Hi from Bruno" });
  const rowId = await brunoRow.getAttribute("id");
  const mine = bruno.locator(`#${rowId}`);
  await mine.hover();
  await mine.getByRole("button", { name: "Edit message" }).click();
  await mine.getByLabel("Edit message text").fill("Hi from Bruno, edited");
  await mine.getByLabel("Edit message text").press("Enter");
  await expect(page.locator(`#${rowId} .msg-text`)).toHaveText("Hi from Bruno, edited");
  await mine.hover();
  await mine.getByRole("button", { name: "Add reaction" }).click();
  await mine.getByRole("menuitem", { name: "React with 🎉" }).click();
  await expect(page.locator(`#${rowId}`).getByRole("button", { name: /reacted with/ })).toHaveText(/🎉\s*1/);

  // Bruno sets himself away, then comes back.
  await api(ctx.request, base, "users.setPresence", { presence: "away" });
  await expect(dot).toHaveAttribute("aria-label", "Away");
  await api(ctx.request, base, "users.setPresence", { presence: "auto" });
  await expect(dot).toHaveAttribute("aria-label", "Online");

  // Olive loses the network, writes anyway (a message and a thread reply),
  // and gets it back: each is sent once.
  const hello = oliveLog.locator(".msg").filter({ hasText: "Hello Bruno" });
  await hello.hover();
  await hello.getByRole("button", { name: "Reply in thread" }).click();
  const pane = page.getByRole("complementary", { name: "Details" });
  await expect(pane.getByRole("heading", { name: "Thread" })).toBeVisible();
  const oliveCtx = page.context();
  await oliveCtx.setOffline(true);
  await expect(page.getByRole("status").filter({ hasText: "Reconnecting…" })).toBeVisible();
  await page.getByLabel("Message #general").fill("Sent while offline");
  await page.getByLabel("Message #general").press("Enter");
  await expect(oliveLog.locator(".msg.pending").filter({ hasText: "Sent while offline" })).toBeVisible();
  await pane.getByLabel("Reply…").fill("Replied while offline");
  await pane.getByLabel("Reply…").press("Enter");
  await expect(pane.locator(".msg.pending").filter({ hasText: "Replied while offline" })).toContainText(
    "waiting for the connection",
  );
  await page.screenshot({ path: "test-results/realtime-offline-thread.png" });
  await oliveCtx.setOffline(false);
  await expect(page.getByRole("status").filter({ hasText: "Reconnecting…" })).toHaveCount(0, { timeout: 15_000 });
  const sent = oliveLog.locator(".msg:not(.pending)").filter({ hasText: "Sent while offline" });
  await expect(sent).toHaveCount(1);
  await expect(oliveLog.locator(".msg.pending")).toHaveCount(0);
  await expect(pane.locator(".msg:not(.pending)").filter({ hasText: "Replied while offline" })).toHaveCount(1);
  await expect(pane.locator(".msg.pending")).toHaveCount(0);
  const root = Number((await hello.getAttribute("id"))!.replace("msg-", ""));
  const replies = await api(page.request, base, "conversations.replies", { channel: general, thread_seq: root });
  expect(replies.messages.filter((m: any) => m.text === "Replied while offline")).toHaveLength(1);
  await expect(brunoLog.locator(".msg").filter({ hasText: "Sent while offline" })).toHaveCount(1);
  const hist = await api(page.request, base, "conversations.history", { channel: general, limit: 50 });
  expect(hist.messages.filter((m: any) => m.text === "Sent while offline")).toHaveLength(1);

  // The last tab closes: Olive sees Bruno go offline.
  await ctx.close();
  await expect(dot).toHaveAttribute("aria-label", "Offline");
  await page.screenshot({ path: "test-results/realtime-olive.png" });
});
