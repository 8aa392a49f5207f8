"""The API's JSON parser: DRF's, with two more ways a body can be bad answered as a 400.

Python's json module recurses once per nesting level, so a body of a few thousand `[` raises
RecursionError — which DRF does not catch (it catches ValueError) and which became a 500.
"""

from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(
                "The request body is not valid JSON for this API: it is nested too deeply."
            ) from None
        except UnicodeDecodeError:
            raise ParseError("The request body is not valid UTF-8.") from None
