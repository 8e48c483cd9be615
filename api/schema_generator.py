"""The schema generator of the API's schema views, ``manage.py spectacular`` and ``check
--deploy`` (SPECTACULAR_SETTINGS' DEFAULT_GENERATOR_CLASS): drf-spectacular's, which first
gives api.schema.AutoSchema its real base (api/schema.py says why it waits). Imported only
when a schema is generated."""

from __future__ import annotations

from drf_spectacular.generators import SchemaGenerator as SpectacularGenerator

from api.schema import schema_class_load


class SchemaGenerator(SpectacularGenerator):
    def __init__(self, *args, **kwargs):
        schema_class_load()
        super().__init__(*args, **kwargs)
