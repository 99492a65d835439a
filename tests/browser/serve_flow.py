#!/usr/bin/python3
"""scrape serve in a real browser (Debian's chromium, chromedriver and
python3-selenium): type a search into the form, follow the first result,
check the record; open a page whose title, heading and link are scripts
and check nothing ran; check no page scrolls sideways at 1280x800 or on a
phone-sized window.

    serve_flow.py BASE_URL PAGE_42_ID XSS_PAGE_ID
Prints "ok" and exits 0, or says what failed and exits 1.
"""
import sys

from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait


def fail(msg):
    print("serve_flow: " + msg)
    sys.exit(1)


def main():
    base, want, xss = sys.argv[1], sys.argv[2], sys.argv[3]
    opts = Options()
    opts.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu",
              "--no-first-run", "--disable-background-networking"):
        opts.add_argument(a)
    d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"),
                         options=opts)
    d.set_page_load_timeout(30)
    wait = WebDriverWait(d, 20)
    try:
        d.set_window_size(1280, 800)
        # Search through the form, as a person would.
        d.get(base + "/")
        box = d.find_element(By.NAME, "q")
        box.send_keys("zanzibar")
        d.find_element(By.CSS_SELECTOR, "form[role=search] button").click()
        wait.until(ec.presence_of_element_located((By.ID, "results")))
        if "q=zanzibar" not in d.current_url:
            fail("the form did not search: " + d.current_url)
        results = d.find_elements(By.CSS_SELECTOR, "a.result")
        if not results:
            fail("no results for zanzibar")
        marks = d.find_elements(By.CSS_SELECTOR, "#results mark")
        if not marks or marks[0].text.lower() != "zanzibar":
            fail("the match is not highlighted")
        results[0].click()
        wait.until(ec.presence_of_element_located((By.ID, "record")))
        if not d.current_url.endswith("/pages/" + want):
            fail("the result led to " + d.current_url)
        title = d.find_element(By.ID, "title").text
        if "Silent Harbour, volume 42" not in title:
            fail("wrong record: " + title)
        url = d.find_element(By.CSS_SELECTOR, "dd[data-col=url]").text
        if not url.endswith("/book/42.html"):
            fail("wrong url: " + url)
        # Scripts in the scraped strings stay text.
        d.get(base + "/pages/" + xss)
        try:
            d.switch_to.alert.dismiss()
            fail("an alert opened")
        except NoAlertPresentException:
            pass
        if d.execute_script(
                "return document.documentElement.getAttribute('data-pwned')"):
            fail("a scraped script ran")
        if not d.find_element(By.ID, "title").text.startswith("<script>"):
            fail("the script title is not shown as text")
        if d.find_elements(By.CSS_SELECTOR, "a[href^='javascript:']"):
            fail("a javascript: link was made clickable")
        # Nothing scrolls sideways, on a desktop or a phone.
        for w, h in ((1280, 800), (390, 844)):
            d.set_window_size(w, h)
            for path in ("/", "/runs/2", "/pages/" + want,
                         "/search?q=harbour", "/runs/1/items"):
                d.get(base + path)
                sw = d.execute_script(
                    "return document.documentElement.scrollWidth")
                iw = d.execute_script("return window.innerWidth")
                if sw > iw + 1:
                    fail("%s is %dpx wide in a %dpx window" % (path, sw, iw))
    finally:
        d.quit()
    print("ok")


main()
