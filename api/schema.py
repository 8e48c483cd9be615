"""OpenAPI generation: every operation documents the error shape for the statuses any
request can meet (bad input, no credentials, no right, not found, throttled), so the
schema tells clients the truth and Schemathesis can hold us to it."""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema

COMMON_ERRORS = {
    "400": "Invalid input; `errors` names the fields.",
    "401": "No or invalid credentials.",
    "403": "Your role or unit may not do this.",
    "404": "Not found within your scope.",
    "415": "Unsupported media type.",
    "429": "Throttled.",
}


class AutoSchema(SpectacularAutoSchema):
    def _get_response_bodies(self, direction="response"):
        from api.serializers import ErrorSerializer

        responses = super()._get_response_bodies(direction)
        for code, description in COMMON_ERRORS.items():
            if code not in responses:
                response = self._get_response_for_code(ErrorSerializer, code, direction=direction)
                response["description"] = description
                responses[code] = response
        return responses
