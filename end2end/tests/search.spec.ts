// Search in the browser: an operator query with highlighted results, a click
// that lands on the highlighted message in its channel, a corrected typo, and Ctrl+K's
// "search messages for …".
import { test, expect } from "@playwright/test";
import { hydrated, signUp } from "./helpers";

test("search with an operator, click a result, land on the highlighted message", async ({ page }) => {
  await signUp(page, "Sam Searcher");
  await page.getByRole("navigation", { name: "Channels" }).getByRole("link", { name: "general" }).click();
  await hydrated(page);
  const composer = page.getByLabel("Message #general");
  for (const text of ["the quarterly numbers are in", "unrelated chatter", "more chatter about lunch"]) {
    await composer.fill(text);
    await composer.press("Enter");
    await expect(page.getByRole("log", { name: "Messages" }).locator(".msg").filter({ hasText: text })).toBeVisible();
  }

  await page.getByRole("link", { name: "Search", exact: true }).click();
  await expect(page.getByText("Search every conversation you can read")).toBeVisible();
  await expect(page.getByText("from:@ada")).toBeVisible();
  await hydrated(page);
  await page.getByLabel("Search messages").fill("quarterly in:#general");
  await page.getByLabel("Search messages").press("Enter");
  await expect(page).toHaveURL(/\/search\?q=quarterly\+in%3A%23general/);
  await expect(page.getByRole("list", { name: "Filters" })).toContainText("in #general");
  const hit = page.locator(".search-hit");
  await expect(hit).toHaveCount(1);
  await expect(hit.locator("mark")).toHaveText("quarterly");
  await expect(page.getByRole("status").filter({ hasText: "result" })).toHaveText("1 result");

  await page.getByRole("button", { name: "Newest" }).click();
  await expect(page).toHaveURL(/sort=timestamp/);
  await expect(hit).toHaveCount(1);

  await hit.click();
  await expect(page).toHaveURL(/\/c\/[0-9a-f-]+\/\d+$/);
  const target = page.getByRole("log", { name: "Messages" }).locator(".msg").filter({ hasText: "the quarterly numbers are in" });
  await expect(target).toHaveClass(/highlight/);

  // A misspelt word is corrected from the workspace's own words.
  await page.goto("/search?q=quaterly");
  await hydrated(page);
  await expect(page.getByRole("status").filter({ hasText: "result" })).toHaveText("Showing results for quarterly · 1 result");
  await expect(hit.locator("mark")).toHaveText("quarterly");

  // A bad date is reported, nothing crashes.
  await page.goto("/search?q=lunch+before%3A2026-13-01");
  await hydrated(page);
  await expect(page.getByRole("alert")).toContainText("YYYY-MM-DD");

  // Ctrl+K offers to search messages for what was typed.
  await page.keyboard.press("Control+k");
  const input = page.getByRole("combobox", { name: "Jump to" });
  await input.fill("chatter");
  await expect(page.getByRole("option", { name: /Search messages for “chatter”/ })).toBeVisible();
  await page.getByRole("option", { name: /Search messages for “chatter”/ }).click();
  await expect(page).toHaveURL(/\/search\?q=chatter$/);
  await expect(page.locator(".search-hit")).toHaveCount(2);
  await expect(page.getByText("No results")).toHaveCount(0);
});

test("the header search suggests channels, people and messages as you type", async ({ page }) => {
  await signUp(page, "Tia Typer");
  await page.getByRole("navigation", { name: "Channels" }).getByRole("link", { name: "general" }).click();
  await hydrated(page);
  const composer = page.getByLabel("Message #general");
  for (const text of ["the deployment checklist is ready", "lunch at noon"]) {
    await composer.fill(text);
    await composer.press("Enter");
    await expect(page.getByRole("log", { name: "Messages" }).locator(".msg").filter({ hasText: text })).toBeVisible();
  }
  await page.getByRole("button", { name: "Search or jump to" }).click();
  const input = page.getByRole("combobox", { name: "Search or jump to" });
  await expect(input).toBeFocused();
  // Half a word: "deplo" finds "deployment" (a prefix of the word's stem).
  await input.pressSequentially("deplo");
  const hit = page.locator(".switcher-message");
  await expect(hit).toHaveCount(1);
  await expect(hit.locator("mark")).toHaveText("deployment");
  await expect(page.getByRole("option", { name: /Search messages for “deplo”/ })).toBeVisible();
  // People by name, and channels by name, in the same list.
  await input.fill("ti");
  await expect(page.locator(".switcher-person")).toContainText("Tia Typer");
  await input.fill("gen");
  await expect(page.getByRole("option", { name: "# general" }).or(page.getByRole("option", { name: "general" })).first()).toBeVisible();
  // The first suggestion is selected; arrow keys move; Enter opens the
  // message, highlighted in its channel.
  await input.fill("deploy");
  await expect(hit).toHaveCount(1);
  await expect(page.getByRole("listbox").getByRole("option")).toHaveCount(2);
  await expect(hit).toHaveAttribute("aria-selected", "true");
  await input.press("ArrowDown");
  await expect(page.getByRole("option", { name: /Search messages for “deploy”/ })).toHaveAttribute("aria-selected", "true");
  await input.press("ArrowUp");
  await expect(hit).toHaveClass(/active/);
  await input.press("Enter");
  await expect(page).toHaveURL(/\/c\/[0-9a-f-]+\/\d+$/);
  const target = page.getByRole("log", { name: "Messages" }).locator(".msg").filter({ hasText: "the deployment checklist is ready" });
  await expect(target).toHaveClass(/highlight/);
});
