"""Shapes of the bookmark routes (seed 000 "Bookmarks"), for the OpenAPI document."""

from marshmallow import Schema, fields


class Episode(Schema):
    item_type = fields.String(required=True)
    item_id = fields.String(required=True)
    season = fields.Integer(required=True)
    episode = fields.Integer(required=True)
    name = fields.String(allow_none=True, required=True)
    status = fields.String(
        required=True,
        metadata={
            "description": "in_progress: the episode being watched; up_next: the one after a finished one."
        },
    )


class Bookmark(Schema):
    item_type = fields.String(
        required=True, metadata={"description": "A movie, a programme, or any other item."}
    )
    item_id = fields.String(required=True)
    name = fields.String(allow_none=True, required=True, metadata={"description": "From the catalogue."})
    episode = fields.Nested(
        Episode, allow_none=True, required=True, metadata={"description": "For a programme."}
    )
    position = fields.Float(
        required=True, metadata={"description": "Minutes into the item (or the episode)."}
    )
    duration = fields.Float(allow_none=True, required=True, metadata={"description": "Minutes, when known."})
    percent = fields.Float(
        allow_none=True, required=True, metadata={"description": "Of the duration, 0-100."}
    )
    updated = fields.Float(required=True, metadata={"description": "Last activity, Unix seconds."})


class Bookmarks(Schema):
    bookmarks = fields.List(fields.Nested(Bookmark), required=True)


class Settings(Schema):
    completion = fields.Float(
        metadata={
            "description": "Share of the duration (0.5-1) past which progress counts as seen (default 0.9)."
        }
    )
    min_minutes = fields.Float(
        metadata={"description": "Progress under this (0-60) starts no bookmark (default 2)."}
    )
    session_hours = fields.Float(
        metadata={"description": "A live session with no end is closed after this (0.25-24, default 4)."}
    )
