"""Stands in for stations/demo/activity.py in the load_demo tests: records how the hook is called."""

calls: list[dict] = []
fail = False


def build_activity(*, district, stdout) -> None:
    calls.append({"district": district, "stdout": stdout})
    stdout.write("probe activity built\n")
    if fail:
        raise RuntimeError("the activity builder failed")
