"""Shapes of the notification routes (seed 000 "Notifications"), for the OpenAPI document."""

from marshmallow import Schema, fields

_IDS = "Ids that are decimal integers are numbers, others strings."


class NotificationRequest(Schema):
    """JSON, or the same fields form-encoded (source_id repeated or comma-separated)."""

    url = fields.String(required=True, metadata={"description": "Webhook URL, http or https."})
    source_id = fields.List(
        fields.Raw(), metadata={"description": "Only offers on these sources satisfy it (default: any)."}
    )
    price = fields.Integer(
        allow_none=True, metadata={"description": "Pence or cents, >= 0: offers at most this (default: any)."}
    )
    hd = fields.Boolean(metadata={"description": "Only HD offers satisfy it (default false)."})


class Delivery(Schema):
    status = fields.String(required=True, metadata={"description": "pending, delivered or failed."})
    attempts = fields.Integer(required=True)
    last_error = fields.String(allow_none=True, required=True)
    webhook_id = fields.String(required=True, metadata={"description": "The webhook-id header it carries."})
    item_type = fields.String(required=True, metadata={"description": "The item that satisfied the request."})
    item_id = fields.String(required=True)
    done_at = fields.Float(allow_none=True, required=True, metadata={"description": "Unix seconds."})


class Notification(Schema):
    url = fields.String(required=True)
    notified = fields.Boolean(required=True, metadata={"description": "True once a webhook got a 2xx."})
    price = fields.Integer(allow_none=True, required=True)
    item_type = fields.String(required=True, metadata={"description": "movie, programme, sport or team."})
    source_id = fields.List(fields.Raw(), required=True, metadata={"description": _IDS})
    item_id = fields.Raw(required=True, metadata={"description": _IDS})
    hd = fields.Boolean(required=True)
    delivery = fields.Nested(
        Delivery,
        allow_none=True,
        required=True,
        metadata={"description": "null until a match (a follow: its latest)."},
    )


class Notifications(Schema):
    notifications = fields.List(fields.Nested(Notification), required=True)
