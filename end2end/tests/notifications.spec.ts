// Notifications in the browser: a DM to someone looking at another channel
// notifies them (and the tab title counts it); clicking the notification
// opens the message; a message in the conversation they are looking at does
// not notify; "Nothing" silences even DMs; a muted channel is not bold and
// does not count. The notifications are the browser's real ones (permission
// granted to the context); an init script records each one the page makes.
import { test, expect, Page } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";
import { api, hydrated, signUp, teammate } from "./helpers";

const RECORD = () => {
  const w = window as any;
  w.__notes = [];
  const Real = w.Notification;
  if (!Real) return;
  class Recorded extends Real {
    constructor(title: string, opts?: any) {
      super(title, opts);
      w.__notes.push({ title, body: opts?.body ?? "", note: this });
    }
  }
  w.Notification = Recorded;
};

const notes = (p: Page) => p.evaluate(() => (window as any).__notes.map((n: any) => ({ title: n.title, body: n.body })));

test("DMs and mentions notify, the title counts them, and preferences and mute are obeyed", async ({ page, browser, baseURL }) => {
  const base = baseURL!;
  const id = await signUp(page, "Nia Notifier", "Notify");
  const { ctx, userId: bobId } = await teammate(page, browser, base, "Bob Builder", id);
  await ctx.grantPermissions(["notifications"]);
  await ctx.addInitScript(RECORD);
  const convs = await api(page.request, base, "users.conversations", {});
  const general = convs.channels.find((c: any) => c.is_general).id;
  const dm = (await api(page.request, base, "conversations.open", { users: [bobId] })).channel.id;

  // Bob reads #general; a DM arrives: notified, and counted in the title.
  const bob = await ctx.newPage();
  await bob.goto(`/c/${general}`);
  await hydrated(bob);
  const first = await api(page.request, base, "chat.postMessage", { channel: dm, text: "Are you free at 3?" });
  await expect.poll(() => notes(bob)).toEqual([{ title: "Nia Notifier", body: "Are you free at 3?" }]);
  await expect(bob).toHaveTitle(/^\(1\) /);

  // A mention in the channel he is looking at does not notify him.
  await api(page.request, base, "chat.postMessage", { channel: general, text: "@Bob Builder welcome!" });
  await expect(bob.getByRole("log", { name: "Messages" }).getByText("welcome!")).toBeVisible();
  expect(await notes(bob)).toHaveLength(1);

  // Clicking the notification opens the message.
  await bob.evaluate(() => (window as any).__notes[0].note.onclick());
  await expect(bob).toHaveURL(new RegExp(`/c/${dm}/${first.message.seq}$`));
  await expect(bob.locator(`#msg-${first.message.seq}`)).toHaveClass(/highlight/);
  await expect(bob).not.toHaveTitle(/^\(/);

  // He chooses "Nothing": the next DM only shows as unread. (Each page load
  // starts a fresh record of notifications.)
  await bob.goto("/settings/preferences");
  await hydrated(bob);
  await expect(bob.getByText("Desktop notifications are on in this browser.")).toBeVisible();
  await bob.getByLabel("Nothing").check();
  await expect(bob.getByText("Notifications updated").first()).toBeVisible();
  const axe = await new AxeBuilder({ page: bob }).analyze();
  expect(axe.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target).join(", ")}`)).toEqual([]);
  await api(page.request, base, "chat.postMessage", { channel: dm, text: "ping again" });
  const dmLink = bob.getByRole("navigation", { name: "Direct messages" }).getByRole("link", { name: /Nia Notifier/ });
  await expect(dmLink.getByLabel("1 mention")).toBeVisible();
  expect(await notes(bob)).toHaveLength(0);
  await expect(bob).toHaveTitle(/^\(1\) /);

  // Back to mentions, with a keyword; and #general muted from its details.
  await bob.getByLabel("Direct messages, mentions and keywords").check();
  await bob.getByLabel("My keywords").fill("deploy, launch plan");
  await bob.getByRole("button", { name: "Save keywords" }).click();
  await expect(bob.getByText("Keywords saved").first()).toBeVisible();
  await api(page.request, base, "chat.postMessage", { channel: general, text: "The deploy is done" });
  await expect.poll(() => notes(bob)).toEqual([{ title: "Nia Notifier in #general", body: "The deploy is done" }]);

  await bob.goto(`/c/${general}`);
  await hydrated(bob);
  await bob.getByRole("button", { name: /^Details and/ }).click();
  await bob.getByRole("button", { name: "Mute" }).click();
  await expect(bob.getByText("Conversation muted").first()).toBeVisible();
  await bob.getByRole("link", { name: /Nia Notifier/ }).first().click();
  await api(page.request, base, "chat.postMessage", { channel: general, text: "@Bob Builder the deploy again" });
  const generalLink = bob.getByRole("navigation", { name: "Channels" }).getByRole("link", { name: /general/ });
  await expect(generalLink).toHaveClass(/muted-conv/);
  await expect(generalLink.getByLabel("1 mention")).toBeVisible();
  await expect(generalLink).not.toHaveClass(/unread/);
  expect(await notes(bob)).toHaveLength(0);
  await expect(bob).not.toHaveTitle(/^\(/);
  await ctx.close();
});

test("the Threads view lists followed threads with unread replies, and unfollowing removes one", async ({ page, browser, baseURL }) => {
  const base = baseURL!;
  const id = await signUp(page, "Tess Threads", "Threads");
  const { ctx } = await teammate(page, browser, base, "Bob Builder", id);
  const convs = await api(page.request, base, "users.conversations", {});
  const general = convs.channels.find((c: any) => c.is_general).id;

  await page.goto("/threads");
  await hydrated(page);
  await expect(page.getByText("No threads yet.")).toBeVisible();

  const root = await api(page.request, base, "chat.postMessage", { channel: general, text: "Who has the release notes?" });
  await api(ctx.request, base, "chat.postMessage", { channel: general, thread_seq: root.message.seq, text: "I do, sending now" });
  await page.reload();
  await hydrated(page);
  const list = page.getByRole("list", { name: "Followed threads" });
  const item = list.getByRole("button", { name: /Who has the release notes/ });
  await expect(item).toContainText("#general");
  await expect(item.getByLabel("1 unread reply")).toBeVisible();
  const axe = await new AxeBuilder({ page }).analyze();
  expect(axe.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target).join(", ")}`)).toEqual([]);
  await page.screenshot({ path: "test-results/threads-view.png" });

  // Opening it shows the thread and marks it read.
  await item.click();
  const pane = page.getByRole("complementary", { name: "Details" });
  await expect(pane.getByText("I do, sending now")).toBeVisible();
  await expect(pane.getByRole("button", { name: "Following" })).toHaveAttribute("aria-pressed", "true");
  await expect.poll(async () => (await api(page.request, base, "threads.list", {})).threads[0].unread).toBe(0);

  // Unfollowing takes it off the list.
  await pane.getByRole("button", { name: "Following" }).click();
  await expect(pane.getByRole("button", { name: "Follow thread" })).toHaveAttribute("aria-pressed", "false");
  await page.reload();
  await hydrated(page);
  await expect(page.getByText("No threads yet.")).toBeVisible();
  await ctx.close();
});
