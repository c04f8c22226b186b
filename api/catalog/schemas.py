"""Shapes of the catalogue routes (for the OpenAPI document; engine.catalog validates)."""

from marshmallow import Schema, fields

_ID = {"description": "An id: a whole number >= 0 or a string of 1-64 letters, digits and . _ : -"}


class Offer(Schema):
    source_id = fields.Raw(required=True, metadata=_ID)
    price = fields.Integer(required=True, metadata={"description": "Pence or cents, >= 0."})
    hd = fields.Boolean(metadata={"description": "Default false."})


class Item(Schema):
    """A catalogue item. Unknown fields are refused; put your own under `extra`."""

    item_type = fields.String(metadata={"description": "Optional in PUT; must equal the URL's."})
    item_id = fields.String(metadata={"description": "Optional in PUT; must equal the URL's."})
    name = fields.String()
    categories = fields.List(fields.String())
    cast = fields.List(fields.String())
    duration = fields.Float(metadata={"description": "Minutes, 0 to 100000."})
    programme_id = fields.String(metadata={"description": "For an episode: its programme's id."})
    season = fields.Integer(metadata={"description": "For an episode: 0 to 99999 (default 0)."})
    episode = fields.Integer(metadata={"description": "For an episode: 0 to 99999 (required)."})
    sport = fields.String(metadata={"description": "The sport's id: followers of it hear of the item."})
    teams = fields.List(fields.String(), metadata={"description": "Team ids: their followers hear of it."})
    availability = fields.List(fields.Nested(Offer), metadata={"description": "Where it can be watched."})
    extra = fields.Dict(metadata={"description": "Anything else, kept as given."})


class Slot(Schema):
    start = fields.Raw(required=True, metadata={"description": "Unix seconds or ISO 8601."})
    end = fields.Raw(required=True, metadata={"description": "After start; before the next slot starts."})
    item_type = fields.String(required=True)
    item_id = fields.String(required=True)


class Schedule(Schema):
    slots = fields.List(fields.Nested(Slot), required=True, metadata={"description": "In start order."})


class StoredSchedule(Schedule):
    channel_id = fields.String(required=True, metadata={"description": "The channel."})
