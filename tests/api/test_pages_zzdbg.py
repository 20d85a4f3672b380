import time
from tests.browser import log_in
def test_dbg(live_server, chromium, settings):
    pg = chromium.new_page()
    pg.on("pageerror", lambda e: print("pageerror", str(e)[:400]))
    pg.on("console", lambda m: m.type == "error" and "401" not in m.text and print("console", m.text[:300]))
    pg.on("response", lambda r: "/tiles/" in r.url and print("tile", r.status, r.url[-80:]))
    pg.goto(live_server.url + "/map/430200")
    log_in(pg, "demo_admin", settings.demo_password)
    pg.wait_for_selector("body[data-tile-layers]", state="attached", timeout=30000)
    time.sleep(6)
    print(pg.evaluate("""() => [[...document.querySelectorAll('.gridgov-area-label')].map(n => n.outerHTML.slice(0, 200)), [...document.querySelectorAll('.leaflet-marker-pane > *')].map(n => n.className).join(','),
      document.querySelectorAll('canvas').length,
      [...document.querySelectorAll('.leaflet-pane')].map(p => p.className + ':' + p.children.length).join(' | ')]"""))
    pg.close()
