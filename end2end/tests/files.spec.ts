// Files in the browser: attach an image and see its thumbnail and lightbox,
// drag in a PDF and find it in the Files pane, and a too-large file refused
// before any upload starts.
import { test, expect, Page } from "@playwright/test";
import { hydrated, signUp } from "./helpers";

// A 4×3 PNG.
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAQAAAADCAIAAAA7ljmRAAAAEElEQVR4nGM4IScHRww4OQD1xwwxB+utmQAAAABJRU5ErkJggg==",
  "base64",
);

async function openGeneral(page: Page) {
  await page.getByRole("navigation", { name: "Channels" }).getByRole("link", { name: "general" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "#general" })).toBeVisible();
  await hydrated(page);
}

test("attach an image, see its thumbnail and open it in the lightbox", async ({ page }) => {
  await signUp(page, "Fran Files");
  await openGeneral(page);
  await page.locator("#composer-files").setInputFiles({ name: "pixel.png", mimeType: "image/png", buffer: PNG });
  const tray = page.getByRole("list", { name: "Attachments" });
  await expect(tray).toContainText("pixel.png");
  const composer = page.getByLabel("Message #general");
  await composer.fill("the new *logo*");
  await composer.press("Enter");

  const log = page.getByRole("log", { name: "Messages" });
  const msg = log.locator(".msg").filter({ hasText: "the new logo" });
  await expect(msg).toBeVisible();
  const img = msg.getByRole("img", { name: "pixel.png" });
  await expect(img).toHaveAttribute("src", /\/files\/[0-9a-f-]+\/thumb\/360$/);
  await expect.poll(() => img.evaluate((i: HTMLImageElement) => i.naturalWidth)).toBe(4);
  await expect(tray).toHaveCount(0);
  await expect(composer).toHaveValue("");

  await msg.getByRole("button", { name: "Open image pixel.png" }).click();
  const box = page.getByRole("dialog", { name: "Image pixel.png" });
  await expect(box).toBeVisible();
  await expect.poll(() => box.locator("img").evaluate((i: HTMLImageElement) => i.naturalWidth)).toBe(4);
  await expect(box.getByRole("link", { name: "Download" })).toHaveAttribute("href", /\/files\/[0-9a-f-]+\/pixel\.png$/);
  await page.screenshot({ path: "test-results/files-lightbox.png" });
  await page.keyboard.press("Escape");
  await expect(box).toHaveCount(0);

  // It is still there after a reload, from history.
  await page.reload();
  await hydrated(page);
  await expect(page.getByRole("log", { name: "Messages" }).getByRole("img", { name: "pixel.png" })).toBeVisible();
});

test("drag a PDF onto the conversation and find it in the Files pane", async ({ page }) => {
  await signUp(page, "Drew Dragger");
  await openGeneral(page);
  const dt = await page.evaluateHandle(() => {
    const d = new DataTransfer();
    d.items.add(new File(["%PDF-1.4\n1 0 obj << >> endobj\n%%EOF\n"], "spec.pdf", { type: "application/pdf" }));
    return d;
  });
  await page.dispatchEvent(".drop-zone", "dragover", { dataTransfer: dt });
  await expect(page.locator(".drop-zone.dragging")).toHaveCount(1);
  await page.dispatchEvent(".drop-zone", "drop", { dataTransfer: dt });
  await expect(page.locator(".drop-zone.dragging")).toHaveCount(0);
  await expect(page.getByRole("list", { name: "Attachments" })).toContainText("spec.pdf");
  await page.getByRole("button", { name: "Send" }).click();

  const card = page.getByRole("log", { name: "Messages" }).locator(".file-card").filter({ hasText: "spec.pdf" });
  await expect(card).toBeVisible();
  await expect(card).toContainText("PDF");
  await expect(card.getByRole("link", { name: "Download spec.pdf" })).toHaveAttribute("href", /\/files\/[0-9a-f-]+\/spec\.pdf$/);
  await expect(card.getByRole("link", { name: "Preview spec.pdf" })).toHaveAttribute("href", /\?preview=1$/);
  const href = await card.getByRole("link", { name: "Download spec.pdf" }).getAttribute("href");
  const res = await page.request.get(href!);
  expect(res.status()).toBe(200);
  expect(res.headers()["content-disposition"]).toMatch(/^attachment;/);
  expect((await res.body()).toString()).toContain("%PDF-1.4");

  await page.getByRole("button", { name: "Files in this channel" }).click();
  const pane = page.getByRole("complementary", { name: "Details" });
  await expect(pane.getByRole("heading", { name: "Files" })).toBeVisible();
  await expect(pane.getByRole("link", { name: "spec.pdf", exact: true })).toBeVisible();
});

test("a file over 25 MB is refused before the upload starts", async ({ page }) => {
  await signUp(page, "Tess Toobig");
  await openGeneral(page);
  let uploads = 0;
  page.on("request", (r) => {
    if (r.url().includes("/api/files.upload")) uploads++;
  });
  const big = Buffer.alloc(25 * 1024 * 1024 + 1, 7);
  await page.locator("#composer-files").setInputFiles({ name: "huge.mov", mimeType: "video/quicktime", buffer: big });
  const notice = page.getByRole("alert").filter({ hasText: "huge.mov" });
  await expect(notice).toContainText("files can be at most 25 MB");
  await expect(page.getByRole("list", { name: "Attachments" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Send" })).toBeDisabled();
  expect(uploads).toBe(0);
});
