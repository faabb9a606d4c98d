"""Bursts of `make bench`: the opening rush of logins and the synchronised start of the final test."""

from __future__ import annotations

import re

from bench import load
from bench.client import Login
from bench.common import log
from bench.load import StepTimes, timed
from bench.run_plan import Plan
from bench.servers import Server


def bursts(server: Server, manifest: dict, plan: Plan) -> dict:
    emails = manifest["load_users"][: plan.burst_users]
    log(f"opening rush: {len(emails)} logins over {plan.rush_window:.0f} s ...")
    server.reset_peak()
    rush, logins = load.opening_rush(server.base, emails, plan.rush_window, manifest["password"])
    rush["memory"] = server.memory()
    log(f"  {rush['steps'].get('login_post')}")
    quiz = manifest.get("quiz") or {}
    cohort = manifest["big_cohort_id"]
    if quiz.get("available"):
        slug = quiz["final_slug"]

        def steps(who: Login, times: StepTimes) -> None:
            got = timed(times, "start", "POST", f"{server.base}/learn/{cohort}/quiz/{slug}/start", who, (302,),
                        data={"csrf_token": who.csrf})
            if got is None:
                return
            location = got[1].get("location", [""])[0]
            if "/attempt/" not in location:
                times.add("start_redirect", 0, False, location[:60] or "no redirect")
                return
            page = location[location.index("/learn/"):]
            got = timed(times, "attempt_page", "GET", server.base + page, who, (200,))
            if got is None:
                return
            question = _first_question(got[2])
            if question:
                timed(times, "answer_save", "POST", f"{server.base}{page}/save", who, (200,),
                      json_body={"question": question[0], "answer": question[1], "seq": 1},
                      headers={"X-CSRFToken": who.csrf})
            else:
                times.add("answer_save", 0, False, "no answer input on the attempt page")
            timed(times, "submit", "POST", f"{server.base}{page}/submit", who, (302,),
                  data={"csrf_token": who.csrf})

        what = f"start, answer and submit the final test ({slug})"
    else:
        def steps(who: Login, times: StepTimes) -> None:
            timed(times, "course_page", "GET", f"{server.base}/learn/{cohort}", who, (200,))

        what = "open the course page (no quiz routes yet)"
    log(f"synchronised start: {len(logins)} signed-in consultants {what} within {plan.sync_window:.0f} s ...")
    server.reset_peak()
    sync = load.synchronised_start(server.base, logins, plan.sync_window, steps)
    sync["what"] = what
    sync["memory"] = server.memory()
    for step, row in sync["steps"].items():
        log(f"  {step}: {row}")
    return {"rush": rush, "sync": sync}


INPUT_RE = re.compile(rb'type="(radio|checkbox|text)"[^>]*name="q-([^"]+)"[^>]*value="([^"]*)"')


def _first_question(html: bytes) -> tuple[str, object] | None:
    """(uid, an answer the autosave accepts) from the first answer input on the attempt page."""
    match = INPUT_RE.search(html)
    if not match:
        return None
    kind, uid, value = (g.decode() for g in match.groups())
    if kind == "checkbox":
        return uid, [int(value)]
    if kind == "radio":
        return uid, int(value) if value.isdigit() else value
    return uid, "1"
