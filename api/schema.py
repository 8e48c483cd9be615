"""OpenAPI generation: every operation documents the error shape for the statuses any
request can meet (bad input, no credentials, no right, not found, throttled), so the
schema tells clients the truth and Schemathesis can hold us to it."""

from __future__ import annotations

from rest_framework.schemas.inspectors import ViewInspector

COMMON_ERRORS = {
    "400": "Invalid input; `errors` names the fields.",
    "401": "No or invalid credentials.",
    "403": "Your role or unit may not do this.",
    "404": "Not found within your scope.",
    "415": "Unsupported media type.",
    "429": "Throttled.",
}


class _SpectacularLater(ViewInspector):
    """drf-spectacular's AutoSchema, once a schema is generated (``schema_class_load``).

    ``extend_schema`` subclasses DEFAULT_SCHEMA_CLASS (this module's AutoSchema) when it
    decorates a view, so naming drf-spectacular's class here made importing the API views
    import ``drf_spectacular.openapi`` with ``rest_framework.test``, ``django.test`` and
    unittest (55 modules, ~2 MB in every web worker) for a schema few ever ask for. Until
    then this stand-in is a plain ViewInspector (what DRF's views hold) with the one
    attribute decoration reads; the generator (``SchemaGenerator`` below, the
    DEFAULT_GENERATOR_CLASS of the schema views, ``spectacular`` and ``check --deploy``)
    puts drf-spectacular's class in as its base first, and every class made from it —
    the decorators' subclasses too — gets drf-spectacular's methods from then on."""

    method_mapping = {
        "get": "retrieve",
        "post": "create",
        "put": "update",
        "patch": "partial_update",
        "delete": "destroy",
    }


def schema_class_load() -> None:
    """Make drf-spectacular's AutoSchema the base of ours (once, before generating)."""
    from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema

    if _SpectacularLater.__bases__ != (SpectacularAutoSchema,):
        _SpectacularLater.__bases__ = (SpectacularAutoSchema,)


class AutoSchema(_SpectacularLater):
    def _get_response_bodies(self, direction="response"):
        from api.serializers import ErrorSerializer

        responses = super()._get_response_bodies(direction)
        for code, description in COMMON_ERRORS.items():
            if code not in responses:
                response = self._get_response_for_code(ErrorSerializer, code, direction=direction)
                response["description"] = description
                responses[code] = response
        return responses
