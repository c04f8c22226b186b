"""Shapes of the event routes, for the OpenAPI document and for request bodies."""

from marshmallow import RAISE, Schema, fields, validate


class EventLine(Schema):
    """One line of a batch (POST events/)."""

    class Meta:
        unknown = RAISE

    user_id = fields.String(required=True)
    event = fields.String(required=True)
    item_type = fields.String(required=True)
    item_id = fields.String(required=True)
    value = fields.Raw(
        metadata={"description": "A number; a time for start/end; absent for no-value events."}
    )
    ts = fields.Raw(metadata={"description": "Event time: Unix seconds or ISO 8601 (default: now)."})


class BatchError(Schema):
    index = fields.Integer(required=True, metadata={"description": "0-based position of the line."})
    error = fields.String(required=True)
    fields_ = fields.Dict(data_key="fields", keys=fields.String(), values=fields.List(fields.String()))


class BatchResult(Schema):
    stored = fields.Integer(required=True)
    rejected = fields.Integer(required=True)
    errors = fields.List(fields.Nested(BatchError), required=True)


class FilterRequest(Schema):
    class Meta:
        unknown = RAISE

    ids = fields.List(fields.String(), required=True, validate=validate.Length(max=1000))
    include = fields.List(fields.String(), load_default=list, validate=validate.Length(max=50))
    exclude = fields.List(fields.String(), load_default=list, validate=validate.Length(max=50))


class FilterResult(Schema):
    items = fields.List(fields.String(), required=True)


class Weights(Schema):
    recommendations = fields.Dict(keys=fields.String(), values=fields.Float())
    sections = fields.Dict(keys=fields.String(), values=fields.Float())


IDS = {
    "name": "id",
    "schema": {"type": "array", "items": {"type": "string"}, "maxItems": 1000},
    "style": "form",
    "explode": True,
    "description": "Item ids to ask about (repeatable, at most 1000).",
}
TS = {
    "name": "ts",
    "schema": {"type": "string"},
    "description": "Event time: Unix seconds or ISO 8601 (default: now).",
}
LIMIT = {"name": "limit", "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}}
CURSOR = {
    "name": "cursor",
    "schema": {"type": "string"},
    "description": "From the previous page's Link header.",
}
INCLUDE = {
    "name": "include",
    "schema": {"type": "array", "items": {"type": "string"}},
    "style": "form",
    "explode": True,
    "description": "Keep only items in at least one of these lists.",
}
EXCLUDE = {
    "name": "exclude",
    "schema": {"type": "array", "items": {"type": "string"}},
    "style": "form",
    "explode": True,
    "description": "Drop items in any of these lists.",
}
