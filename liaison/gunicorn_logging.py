"""gunicorn's access log without voters' tracking codes: `make run` passes `--logger-class` with this class.

A tracking code is the key to a voter's opinion. It is in the path of the opinion's page (/track/<code>/)
and, from the lookup form, in the query string of /track/; whoever reads the server's log must not be able to
follow someone's opinion. For a /track/ request the path after /track/ is replaced whole, however the code was
typed, and the query string is dropped; every atom is then masked like the portal's own log records (mobile
numbers, e-mail addresses, anything shaped like a tracking code: stations.log_masking).
"""

import re

from gunicorn.glogging import Logger  # type: ignore[import-untyped]  # gunicorn ships no type hints

from stations.log_masking import MASKED_TRACKING_CODE, mask_log_text

TRACK_PREFIX = "/track/"  # stations/urls.py: the lookup form and each opinion's page
_TRACK_SEGMENT = re.compile(r"^/track/[^/]+")


class MaskingLogger(Logger):
    def atoms(self, resp, req, environ, request_time) -> dict:
        atoms = super().atoms(resp, req, environ, request_time)
        path = environ.get("PATH_INFO") or ""
        if path.startswith(TRACK_PREFIX):
            masked = _TRACK_SEGMENT.sub(TRACK_PREFIX + MASKED_TRACKING_CODE, path)
            atoms.update(
                {
                    "U": masked,
                    "q": "",
                    "r": f"{environ.get('REQUEST_METHOD')} {masked} {environ.get('SERVER_PROTOCOL')}",
                    "{path_info}e": masked,
                    "{raw_uri}e": masked,
                    "{query_string}e": "",
                }
            )
        return {key: mask_log_text(value) if isinstance(value, str) else value for key, value in atoms.items()}
