// Accessibility: axe-core (WCAG 2.1 A and AA rules) finds nothing on every
// page, signed out and signed in, with the detail panes open, in the light
// and the dark theme. A failure lists each rule and the elements it found.
import { test, expect, Page } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";
import { api, hydrated, signUp, teammate } from "./helpers";

async function noViolations(page: Page, where: string) {
  const result = await new AxeBuilder({ page })
    .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"])
    .analyze();
  const found = result.violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.map((n) => n.target.join(" ")).join("\n    ")}`,
  );
  expect(found, `${where}:\n${found.join("\n")}`).toEqual([]);
  // The check did run: axe passed some rules on this page.
  expect(result.passes.length, where).toBeGreaterThan(10);
}

for (const scheme of ["light", "dark"] as const) {
  test(`every page passes axe-core in the ${scheme} theme`, async ({ page, browser, baseURL }) => {
    test.setTimeout(180_000); // a dozen pages, each analysed in full
    // The pages' Content Security Policy (scripts only with the page's nonce) blocks nothing of ours.
    const blocked: string[] = [];
    page.on("console", (m) => {
      if (/Content Security Policy/i.test(m.text())) blocked.push(m.text());
    });
    await page.emulateMedia({ colorScheme: scheme });
    for (const path of ["/login", "/signup", "/invite/tsi_doesnotexist"]) {
      await page.goto(path);
      await hydrated(page);
      await noViolations(page, `${path} (${scheme})`);
    }

    const id = await signUp(page, "Ada Admin");
    const { ctx, userId } = await teammate(page, browser, baseURL!, "Bob Builder", id);
    const made = await api(page.request, baseURL!, "conversations.create", { name: `a11y-${id}` });
    const channel = made.channel.id as string;
    await api(page.request, baseURL!, "conversations.invite", { channel, users: [userId] });
    const root = await api(page.request, baseURL!, "chat.postMessage", {
      channel,
      text: "Release notes: **bold**, `code`, a [link](https://example.com) and :tada:",
    });
    await api(page.request, baseURL!, "chat.postMessage", {
      channel,
      text: "A reply in the thread",
      thread_seq: root.message.seq,
    });
    await api(page.request, baseURL!, "reactions.add", { channel, seq: root.message.seq, emoji: "thumbsup" });

    const pages = ["/", "/people", "/channels", "/dms/new", "/admin", "/admin/members", `/admin/members/${userId}`,
      "/admin/channels", "/admin/invites", "/admin/settings", "/admin/retention", "/admin/export", "/admin/import", "/admin/audit-log", "/forgot", "/reset/tsr_notreal", "/settings/profile", "/settings/preferences", "/settings/account", "/settings/tokens", "/search?q=release"];
    for (const path of pages) {
      await page.goto(path);
      await hydrated(page);
      await expect(page.locator("main")).toBeVisible();
      await noViolations(page, `${path} (${scheme})`);
    }

    await page.goto(`/c/${channel}`);
    await hydrated(page);
    await expect(page.getByText("Release notes:")).toBeVisible();
    await noViolations(page, `channel (${scheme})`);

    // The detail pane: a thread, the channel's details, a profile, the files.
    await page.getByRole("button", { name: /1 reply/ }).click();
    await expect(page.getByText("A reply in the thread")).toBeVisible();
    await noViolations(page, `thread pane (${scheme})`);
    await page.getByRole("button", { name: /details/i }).first().click();
    await expect(page.getByText("Bob Builder").first()).toBeVisible();
    await noViolations(page, `channel details (${scheme})`);
    await page.getByRole("list", { name: "Channel members" }).getByRole("button", { name: /Bob Builder$/ }).click();
    await expect(page.getByRole("heading", { name: "Bob Builder" })).toBeVisible();
    await noViolations(page, `profile (${scheme})`);
    await page.getByRole("button", { name: "Files in this channel" }).click();
    await noViolations(page, `files pane (${scheme})`);
    await ctx.close();
    expect(blocked, "resources the CSP blocked").toEqual([]);
  });
}
