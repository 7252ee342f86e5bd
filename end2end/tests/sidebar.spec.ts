// The sidebar keeps itself from live events: 50 messages (5 of them
// mentions) in a channel Bruno is not viewing bold it and badge it with 5,
// and his browser never reloads the conversation list to learn it.
import { test, expect } from "@playwright/test";
import { api, hydrated, signUp, teammate } from "./helpers";

test("unread and mention badges follow events without reloading the list", async ({ page, browser, baseURL }) => {
  const base = baseURL!;
  const id = await signUp(page, "Olive Owner", "Badges");
  const { ctx, userId: brunoId } = await teammate(page, browser, base, "Bruno Buddy", id);
  const created = await api(page.request, base, "conversations.create", { name: `eng-${id}`.slice(0, 40) });
  const eng = created.channel.id as string;
  await api(page.request, base, "conversations.invite", { channel: eng, users: [brunoId] });
  const convs = await api(ctx.request, base, "users.conversations", {});
  const general = convs.channels.find((c: any) => c.is_general).id;

  const bruno = await ctx.newPage();
  let listLoads = 0;
  bruno.on("request", (r) => {
    if (r.url().includes("/api/users.conversations")) listLoads++;
  });
  await bruno.goto(`/c/${general}`);
  await hydrated(bruno);
  const engLink = bruno.locator(`a[href="/c/${eng}"]`);
  await expect(engLink).toBeVisible();
  await expect(engLink).not.toHaveClass(/unread/);
  // Live: Olive's first message shows in Bruno's open #general.
  await api(page.request, base, "chat.postMessage", { channel: general, text: "socket check" });
  await expect(bruno.getByRole("log", { name: "Messages" }).getByText("socket check")).toBeVisible();
  const afterFirstLoad = listLoads;
  expect(afterFirstLoad).toBeLessThanOrEqual(1);

  for (let i = 1; i <= 50; i++) {
    const text = i % 10 === 0 ? `@Bruno Buddy please look at ${i}` : `build ${i} is green`;
    await api(page.request, base, "chat.postMessage", { channel: eng, text, client_msg_id: `b-${i}` });
  }
  await expect(engLink).toHaveClass(/unread/);
  await expect(engLink.locator(".badge-count")).toHaveText("5");
  await expect(engLink.locator(".badge-count")).toHaveAttribute("aria-label", "5 mentions");
  expect(listLoads, "no users.conversations after the first load").toBe(afterFirstLoad);

  // Opening the channel reads it: the badge goes, still without a list reload.
  await engLink.click();
  await expect(bruno.getByRole("log", { name: "Messages" }).getByText("build 49 is green")).toBeVisible();
  await expect(engLink.locator(".badge-count")).toHaveCount(0);
  await expect(engLink).not.toHaveClass(/unread/);
  expect(listLoads).toBe(afterFirstLoad);
  await ctx.close();
});
