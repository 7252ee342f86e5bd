// Conversations in the browser: channels, messages, edits, reactions,
// threads, DMs, infinite scroll through 1,000 messages, and permalinks.
import { test, expect } from "@playwright/test";
import { api, hydrated, signUp, teammate } from "./helpers";

test("create a channel, post, edit, react and reply in a thread", async ({ page, baseURL }) => {
  await signUp(page, "Olive Owner");
  await page.getByRole("link", { name: "Browse or create channels" }).click();
  const name = `launch-${Math.floor(Math.random() * 1e6)}`;
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByRole("button", { name: "Create channel" }).click();
  await expect(page.getByRole("heading", { level: 1, name: `#${name}` })).toBeVisible();
  await expect(page.getByRole("navigation", { name: "Channels" }).getByRole("link", { name })).toBeVisible();
  await expect(page.getByText(`This is the very beginning of #${name}.`)).toBeVisible();

  const composer = page.getByLabel(`Message #${name}`);
  await composer.fill("Hello **team** <script>window.__pwned = 1</script>");
  await composer.press("Enter");
  const log = page.getByRole("log", { name: "Messages" });
  await expect(log.locator(".msg").filter({ hasText: "Hello team" })).toBeVisible();
  // The row by id: its text changes while editing.
  const msgId = await log.locator(".msg").filter({ hasText: "Hello team" }).getAttribute("id");
  const msg = page.locator(`#${msgId}`);
  await expect(msg.locator("strong")).toHaveText("team");
  await expect(msg).toContainText("<script>");
  expect(await page.evaluate(() => (window as any).__pwned)).toBeUndefined();
  await expect(composer).toHaveValue("");

  await msg.hover();
  await msg.getByRole("button", { name: "Edit message" }).click();
  const edit = msg.getByLabel("Edit message text");
  await edit.fill("Hello everyone");
  await edit.press("Enter");
  await expect(msg.locator(".msg-text")).toHaveText("Hello everyone");
  await expect(msg.getByText("(edited)")).toBeVisible();

  await msg.hover();
  await msg.getByRole("button", { name: "Add reaction" }).click();
  await msg.getByRole("menuitem", { name: "React with 🎉" }).click();
  const chip = msg.getByRole("button", { name: /reacted with/ });
  await expect(chip).toHaveText(/🎉\s*1/);
  await expect(chip).toHaveAttribute("aria-pressed", "true");
  await chip.click();
  await expect(chip).toHaveCount(0);

  await msg.hover();
  await msg.getByRole("button", { name: "Reply in thread" }).click();
  const pane = page.getByRole("complementary", { name: "Details" });
  await expect(pane.getByRole("heading", { name: "Thread" })).toBeVisible();
  const reply = pane.getByLabel("Reply…");
  await reply.fill("First reply");
  await reply.press("Enter");
  await expect(pane.locator(".msg").filter({ hasText: "First reply" })).toBeVisible();
  await expect(msg.getByRole("button", { name: /1 reply/ })).toBeVisible();

  // It all survives a reload.
  await page.reload();
  await hydrated(page);
  const again = page.getByRole("log", { name: "Messages" }).locator(".msg").filter({ hasText: "Hello everyone" });
  await expect(again.getByText("(edited)")).toBeVisible();
  await expect(again.getByRole("button", { name: /1 reply/ })).toBeVisible();
});

test("open a DM and a group DM", async ({ page, browser, baseURL }) => {
  const id = await signUp(page, "Dana Direct");
  const bob = await teammate(page, browser, baseURL!, "Bob Builder", id);
  const cat = await teammate(page, browser, baseURL!, "Cat Coder", id);

  await page.getByRole("link", { name: "New direct message" }).click();
  await page.getByLabel("Find people").fill("Bob");
  await page.getByRole("button", { name: /Bob Builder/ }).click();
  await page.getByRole("button", { name: "Open conversation" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Bob Builder" })).toBeVisible();
  const composer = page.getByLabel("Message Bob Builder");
  await composer.fill("hi Bob");
  await composer.press("Enter");
  await expect(page.getByRole("log", { name: "Messages" }).getByText("hi Bob")).toBeVisible();
  await expect(page.getByRole("navigation", { name: "Direct messages" }).getByRole("link", { name: "Bob Builder" })).toBeVisible();

  // Bob sees the DM, unread, in his sidebar.
  const bobPage = await bob.ctx.newPage();
  await bobPage.goto("/");
  await hydrated(bobPage);
  const dmLink = bobPage.getByRole("navigation", { name: "Direct messages" }).getByRole("link", { name: /Dana Direct/ });
  await expect(dmLink).toHaveClass(/unread/);
  await expect(dmLink.getByLabel("1 mention")).toBeVisible();
  await dmLink.click();
  await expect(bobPage.getByRole("log", { name: "Messages" }).getByText("hi Bob")).toBeVisible();
  await expect(dmLink).not.toHaveClass(/unread/);

  await page.getByRole("link", { name: "New direct message" }).click();
  await page.getByLabel("Find people").fill("Bob");
  await page.getByRole("button", { name: /Bob Builder/ }).click();
  await page.getByLabel("Find people").fill("Cat");
  await page.getByRole("button", { name: /Cat Coder/ }).click();
  await page.getByRole("button", { name: "Open group conversation (3 people)" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Bob Builder, Cat Coder" })).toBeVisible();
  await bob.ctx.close();
  await cat.ctx.close();
});

test("scroll back through 1,000 messages and open a permalink", async ({ page, baseURL }) => {
  test.setTimeout(180_000);
  await signUp(page, "Sam Scroller");
  const created = await api(page.request, baseURL!, "conversations.create", { name: `long-${Math.floor(Math.random() * 1e6)}` });
  const channel = created.channel.id as string;
  for (let start = 1; start <= 1000; start += 50) {
    const batch = [];
    for (let i = start; i < start + 50; i++) {
      batch.push(api(page.request, baseURL!, "chat.postMessage", { channel, text: `message number ${i}`, client_msg_id: `m-${i}` }));
    }
    await Promise.all(batch);
  }
  await page.goto(`/c/${channel}`);
  await hydrated(page);
  const log = page.getByRole("log", { name: "Messages" });
  await expect(log.locator(".msg").last()).toBeVisible();
  const count = () => log.locator(".msg").count();
  expect(await count()).toBe(50);

  // Scroll to the top until the beginning of the channel shows. Each older
  // page is prepended without moving what the reader was looking at.
  for (let round = 0; round < 40; round++) {
    if (await page.getByText("This is the very beginning").isVisible()) break;
    const before = await count();
    const topId = await log.locator(".msg").first().getAttribute("id");
    await log.evaluate((el) => (el.scrollTop = -el.scrollHeight));
    await expect.poll(count, { timeout: 10_000 }).toBeGreaterThan(before);
    await expect(page.locator(`#${topId}`)).toBeInViewport();
  }
  await expect(page.getByText("This is the very beginning")).toBeVisible();
  expect(await count()).toBe(1000);
  // The last prepend may still be settling its scroll position (slowly, on a
  // busy machine): scroll to the top until the first message is in view.
  await expect(async () => {
    await log.evaluate((el) => (el.scrollTop = -el.scrollHeight));
    await expect(log.getByText("message number 1", { exact: true })).toBeInViewport({ timeout: 1_000 });
  }).toPass({ timeout: 20_000 });
  const seqs = await log.locator(".msg").evaluateAll((els) => els.map((e) => Number(e.id.replace("msg-", ""))));
  expect(seqs).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));

  // A permalink loads the context around a deep message and highlights it.
  await page.goto(`/c/${channel}/500`);
  await hydrated(page);
  const target = page.locator("#msg-500");
  await expect(target).toHaveClass(/highlight/);
  await expect(target).toBeInViewport();
  await expect(page.getByRole("button", { name: "Jump to recent messages ↓" })).toBeVisible();
  await expect(page.locator("#msg-999")).toHaveCount(0);
});
