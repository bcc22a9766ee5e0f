#!/usr/bin/env python3
"""The web page of `mailkit serve-http` in a real browser: headless Chromium
from Debian driven by Playwright for Python (launched with executable_path;
`playwright install` is never used).

    tests/browser/web_page.py --mailkit target/release/mailkit [--screenshot target/web-page.png]

It starts serve-smtp and serve-http on free loopback ports over one fresh
store (with --serve: one `mailkit serve` with SMTP and HTTP on), opens the page, sends three messages with `mailkit send` (one of
them hostile: markup in its subject and sender name, a script and an
onerror handler in its HTML, a file name with markup), and checks that
they appear without a reload, that nothing from the hostile message runs
or becomes markup, then searches, opens, marks unread and read, deletes,
uses the keyboard, and saves a screenshot. Exit 0 when every step holds,
1 with the failing step otherwise, 77 when Playwright or Chromium is
missing (the caller decides whether that is a failure).
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import threading
import time

CHROMIUM = os.environ.get("MAILKIT_CHROMIUM", "/usr/bin/chromium")


def start(argv):
    """Starts a server with --listen 127.0.0.1:0; returns (proc, host:port)."""
    p = subprocess.Popen(argv + ["--listen", "127.0.0.1:0"], stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    found = []
    ready = threading.Event()

    def read():
        for line in p.stderr:
            m = re.search(r" listening on (\S+)", line)
            if m and not found:
                found.append(m.group(1))
                ready.set()
    threading.Thread(target=read, daemon=True).start()
    if not ready.wait(10):
        p.kill()
        raise SystemExit(f"FAIL: {argv[1]} did not start")
    return p, found[0]


def start_serve(argv):
    """Starts `mailkit serve` with SMTP and HTTP on free loopback ports;
    returns (proc, smtp host:port, http host:port)."""
    p = subprocess.Popen(argv + ["--smtp", "127.0.0.1:0", "--http", "127.0.0.1:0", "--pop3", "off",
                                 "--imap", "off"], stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    found = {}
    ready = threading.Event()

    def read():
        for line in p.stderr:
            m = re.match(r"mailkit: (smtp|http) listening on (\S+)", line)
            if m:
                found.setdefault(m.group(1), m.group(2))
                if len(found) == 2:
                    ready.set()
    threading.Thread(target=read, daemon=True).start()
    if not ready.wait(10):
        p.kill()
        raise SystemExit("FAIL: mailkit serve did not start")
    return p, found["smtp"], found["http"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mailkit", default="target/release/mailkit")
    ap.add_argument("--screenshot", default="target/web-page.png")
    ap.add_argument("--serve", action="store_true",
                    help="one `mailkit serve` process instead of serve-smtp and serve-http")
    args = ap.parse_args()
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        print("SKIP: Playwright for Python is not installed (pip install playwright)")
        return 77
    if not os.path.exists(CHROMIUM):
        print(f"SKIP: no Chromium at {CHROMIUM} (apt-get install chromium)")
        return 77
    mk = os.path.abspath(args.mailkit)
    store = tempfile.mkdtemp(prefix="mailkit-web-")
    procs = []
    try:
        rec = tempfile.mkdtemp(prefix="mailkit-web-rec-")
        if args.serve:
            one, smtp_addr, http_addr = start_serve([mk, "serve", "--maildir", store, "--hostname",
                                                     "hamburger.edu", "--record", rec,
                                                     "--transcripts", rec])
            procs.append(one)
        else:
            smtp, smtp_addr = start([mk, "serve-smtp", "--maildir", store, "--hostname",
                                     "hamburger.edu", "--record", rec])
            procs.append(smtp)
            http, http_addr = start([mk, "serve-http", "--maildir", store, "--transcripts", rec])
            procs.append(http)
        url = f"http://{http_addr}/"

        def send(*extra):
            r = subprocess.run([mk, "send", "--server", smtp_addr, "--from", "alice@crepes.fr",
                                "--to", "bob@hamburger.edu", *extra],
                               capture_output=True, text=True, timeout=20)
            if r.returncode != 0:
                raise SystemExit(f"FAIL: mailkit send: {r.stderr}")

        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync"])
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            dialogs = []
            page.on("dialog", lambda d: (dialogs.append(d.message), d.accept()))
            errors = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(url)
            expect(page.locator("#live")).to_have_class(re.compile(r"\bon\b"), timeout=5000)
            expect(page.locator("#empty")).to_be_visible()

            step = "three messages appear without a reload"
            send("--subject", "Lunch on Friday", "--body", "Crêpes at noon, ketchup optional.")
            hostile_html = tempfile.NamedTemporaryFile("w", suffix=".eml", delete=False)
            hostile_html.write(
                "From: \"<img src=x onerror=window.__pwned=1>\" <mallory@evil.example>\r\n"
                "To: bob@hamburger.edu\r\n"
                "Subject: <script>window.__pwned=2</script><b>bold?</b>\r\n"
                "MIME-Version: 1.0\r\n"
                "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
                "--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
                "<html><body><p id=hello>Hello from HTML</p>"
                "<script>document.body.setAttribute('data-pwned','yes');parent.__pwned=3</script>"
                "<img src=\"x\" onerror=\"document.body.setAttribute('data-pwned','img')\">"
                "<img src=\"http://192.0.2.1/track.png\"></body></html>\r\n"
                "--b\r\nContent-Type: text/plain\r\n"
                "Content-Disposition: attachment; filename=\"<img src=x onerror=alert(1)>.txt\"\r\n\r\n"
                "attached text\r\n--b--\r\n")
            hostile_html.close()
            send("--message", hostile_html.name)
            send("--subject", "Quarterly report", "--body", "The numbers look fine.")
            rows = page.locator("#list li")
            expect(rows).to_have_count(3, timeout=5000)
            expect(rows.nth(0).locator(".subj")).to_have_text("Quarterly report")

            step = "nothing from the hostile message became markup in the list"
            subj = rows.nth(1).locator(".subj")
            expect(subj).to_have_text("<script>window.__pwned=2</script><b>bold?</b>")
            if page.locator("#list img, #list script, #list b").count() != 0:
                raise AssertionError("markup from a message reached the list")

            step = "opening the hostile message: its HTML shows, its scripts do not run"
            rows.nth(1).click()
            expect(page.locator("#subject")).to_have_text("<script>window.__pwned=2</script><b>bold?</b>")
            frame = page.frame_locator("#frame")
            expect(frame.locator("#hello")).to_have_text("Hello from HTML", timeout=5000)
            time.sleep(0.5)
            pwned = frame.locator("body").get_attribute("data-pwned")
            if pwned is not None:
                raise AssertionError(f"a script inside the message ran (data-pwned={pwned!r})")
            if page.evaluate("window.__pwned") is not None:
                raise AssertionError("the message's markup ran a script in the page")
            if dialogs:
                raise AssertionError(f"a dialog opened: {dialogs}")
            step = "attachments tab: the hostile file name is text, the link downloads"
            page.click("#tabs button[data-tab=attachments]")
            link = page.locator("#attachments a")
            expect(link).to_have_text("<img src=x onerror=alert(1)>.txt")
            href = link.get_attribute("href")
            resp = page.request.get(url.rstrip("/") + href)
            if resp.status != 200 or "attachment" not in resp.headers.get("content-disposition", ""):
                raise AssertionError(f"part download: {resp.status} {resp.headers}")
            step = "headers, source, MIME and validation tabs"
            page.click("#tabs button[data-tab=headers]")
            expect(page.locator("#headers")).to_contain_text("mallory@evil.example")
            page.click("#tabs button[data-tab=source]")
            expect(page.locator("#source")).to_contain_text("Content-Type: multipart/mixed")
            page.click("#tabs button[data-tab=mime]")
            expect(page.locator("#mime")).to_contain_text("text/html")
            page.click("#tabs button[data-tab=validate]")
            expect(page.locator("#validate")).to_contain_text("line")
            page.click("#tabs button[data-tab=session]")
            expect(page.locator("#session")).to_contain_text("C: MAIL FROM:<alice@crepes.fr>")

            step = "opened means read; mark unread and read again"
            expect(rows.nth(1)).not_to_have_class(re.compile("unread"))
            page.click("#toggle-read")
            expect(rows.nth(1)).to_have_class(re.compile("unread"), timeout=3000)
            page.click("#toggle-read")
            expect(rows.nth(1)).not_to_have_class(re.compile("unread"), timeout=3000)

            step = "search"
            page.fill("#query", "ketchup")
            page.press("#query", "Enter")
            expect(rows).to_have_count(1, timeout=3000)
            expect(rows.nth(0).locator(".subj")).to_have_text("Lunch on Friday")
            page.fill("#query", "")
            page.press("#query", "Enter")
            expect(rows).to_have_count(3, timeout=3000)

            step = "keyboard: j moves, Enter opens, Delete deletes"
            page.click("#back") if page.locator("#back").is_visible() else None
            page.locator("#list").focus()
            page.keyboard.press("j")
            page.keyboard.press("Enter")
            expect(page.locator("#subject")).to_have_text("Quarterly report")
            page.keyboard.press("Delete")
            expect(rows).to_have_count(2, timeout=3000)
            if any("Quarterly" in r for r in rows.all_inner_texts()):
                raise AssertionError("the deleted message is still listed")

            step = "a fourth message arrives while looking"
            send("--subject", "Late arrival", "--body", "Still on time.")
            expect(rows.nth(0).locator(".subj")).to_have_text("Late arrival", timeout=5000)

            step = "phone width"
            page.set_viewport_size({"width": 390, "height": 800})
            rows.nth(0).click()
            expect(page.locator("#list-pane")).to_be_hidden()
            page.click("#back")
            expect(page.locator("#list-pane")).to_be_visible()
            page.set_viewport_size({"width": 1280, "height": 800})
            rows.nth(2).click()
            expect(page.locator("#subject")).to_have_text("Lunch on Friday")
            page.click("#tabs button[data-tab=validate]")
            expect(page.locator("#validate")).to_be_visible()
            expect(page.locator('[data-panel="html"]')).to_be_hidden()
            rows.nth(1).click()
            page.click("#tabs button[data-tab=html]")
            expect(page.frame_locator("#frame").locator("#hello")).to_be_visible()

            if errors:
                raise AssertionError(f"page errors: {errors}")
            os.makedirs(os.path.dirname(os.path.abspath(args.screenshot)), exist_ok=True)
            page.screenshot(path=args.screenshot)
            print(f"PASS: web page in Chromium (screenshot {args.screenshot})")
            browser.close()
    except AssertionError as e:
        print(f"FAIL: {step}: {e}")
        return 1
    except Exception as e:  # Playwright's timeouts name the locator
        print(f"FAIL: {step if 'step' in locals() else 'start'}: {type(e).__name__}: {e}")
        return 1
    finally:
        for p in procs:
            p.terminate()
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
