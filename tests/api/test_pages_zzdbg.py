import time, os
from tests.browser import log_in
def test_dbg(live_server, chromium, settings):
    pg = chromium.new_page()
    pg.on("console", lambda m: print("console", m.type, m.text[:400]))
    pg.on("pageerror", lambda e: print("pageerror", str(e)[:400]))
    pg.on("requestfailed", lambda r: print("failed", r.url[:120]))
    pg.on("response", lambda r: r.status >= 400 and print("status", r.status, r.url[:120]))
    path, user, ready = os.environ["DBG"].split(",")
    pg.goto(live_server.url + path)
    log_in(pg, user, settings.demo_password)
    try:
        pg.wait_for_selector(ready, state="attached", timeout=20000)
        print("READY")
    except Exception as e:
        print("NOT READY", e)
    time.sleep(1)
    print(pg.inner_text("body")[:1500])
    pg.close()
