#!/usr/bin/env python3
"""Drives headless Chromium over the DevTools protocol (--remote-debugging-pipe: NUL-separated JSON on fds 3 and 4,
no websocket library needed) the way a planner uses the workbench: open /planner, press "add a station", click the
map, wait for the answer. Prints one JSON object: the page's URL query after the click (the site it added), the
numbers it shows, and a 1440x900 screenshot written to the path given.

usage: planner_click.py CHROMIUM BASE_URL QUERY SCREENSHOT.png
"""
import base64
import json
import os
import subprocess
import sys
import tempfile
import time

chromium, base, query, shot = sys.argv[1:5]

# The pipe ends Chromium expects: it reads commands on fd 3 and writes answers on fd 4.
to_chrome_r, to_chrome_w = os.pipe()
from_chrome_r, from_chrome_w = os.pipe()
profile = tempfile.mkdtemp(prefix="doorstep-cdp-")


def child_fds():
    # Copies first, so putting one end on 3 cannot overwrite the other; fds 3 and 4 are kept through exec.
    a, b = os.dup(to_chrome_r), os.dup(from_chrome_w)
    os.dup2(a, 3)
    os.dup2(b, 4)


proc = subprocess.Popen(
    [chromium, "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", "--hide-scrollbars",
     "--remote-debugging-pipe", "--user-data-dir=" + profile, "--window-size=1440,900", "about:blank"],
    preexec_fn=child_fds, pass_fds=(3, 4), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
os.close(to_chrome_r)
os.close(from_chrome_w)

buffer = b""
next_id = 0


def send(method, params=None, session=None):
    global next_id, buffer
    next_id += 1
    message = {"id": next_id, "method": method, "params": params or {}}
    if session:
        message["sessionId"] = session
    os.write(to_chrome_w, json.dumps(message).encode() + b"\0")
    while True:
        while b"\0" not in buffer:
            chunk = os.read(from_chrome_r, 1 << 16)
            if not chunk:
                raise SystemExit("chromium closed the pipe")
            buffer += chunk
        raw, buffer = buffer.split(b"\0", 1)
        answer = json.loads(raw)
        if answer.get("id") == next_id:
            if "error" in answer:
                raise SystemExit(method + ": " + json.dumps(answer["error"]))
            return answer.get("result", {})


def evaluate(session, expression):
    result = send("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True}, session)
    return result.get("result", {}).get("value")


def wait_done(session, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if evaluate(session, "document.body && document.body.dataset.state") in ("done", "error"):
            return
        time.sleep(0.1)
    raise SystemExit("the page did not finish")


def click(session, x, y):
    for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
        send("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1}, session)


try:
    target = send("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    send("Emulation.setDeviceMetricsOverride", {"width": 1440, "height": 900, "deviceScaleFactor": 1, "mobile": False}, session)
    send("Page.enable", {}, session)
    send("Page.navigate", {"url": base + "/planner?" + query}, session)
    time.sleep(0.5)
    wait_done(session)
    before = evaluate(session, "document.getElementById('total-households-covered').textContent")
    # The button, then the middle of the map's upper half (stations cluster less there), as a person would.
    button = evaluate(session, "(function(){var r=document.getElementById('mode-add').getBoundingClientRect();return [r.x+r.width/2,r.y+r.height/2];})()")
    click(session, button[0], button[1])
    area = evaluate(session, "(function(){var r=document.getElementById('map').getBoundingClientRect();return [r.x+r.width*0.45,r.y+r.height*0.3];})()")
    # Wait for the page to start its what-if request after the click, then for it to finish.
    click(session, area[0], area[1])
    deadline = time.time() + 10
    while time.time() < deadline and "add=" not in (evaluate(session, "location.search") or ""):
        time.sleep(0.1)
    wait_done(session)
    shown = evaluate(session, """(function(){
      function text(id){ var e = document.getElementById(id); return e ? e.textContent : null; }
      return { search: location.search, covered: text('total-households-covered'), households: text('total-households'),
               delta: text('delta-households'), changes: document.querySelectorAll('#changes li').length,
               errors: text('errors'), state: document.body.dataset.state,
               total: Array.prototype.map.call(document.querySelectorAll('#summary-total td'), function(td){ return td.textContent; }) };
    })()""")
    shown["before"] = before
    png = send("Page.captureScreenshot", {"format": "png"}, session)["data"]
    with open(shot, "wb") as f:
        f.write(base64.b64decode(png))
    print(json.dumps(shown))
finally:
    try:
        send("Browser.close")
    except BaseException:
        pass
    proc.wait(timeout=10)
