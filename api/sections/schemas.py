"""Shapes of the section routes (seed 002), for the OpenAPI document."""

from marshmallow import Schema, fields


class SectionDef(Schema):
    id = fields.String(metadata={"description": "Given by the server; in answers only."})
    type = fields.String(
        required=True,
        metadata={
            "description": "URL, BecauseYouWatched, Category, BecauseYouActor, Watchlist, CurrentlyWatching."
        },
    )
    weight = fields.Float(
        metadata={
            "description": "The starting score (default 0); a negative whole number pins the section to "
            "that slot (-1 the first)."
        }
    )
    count = fields.Integer(
        metadata={"description": "Instances a type with a basis item may make (1-20, default 1)."}
    )
    url = fields.String(metadata={"description": "URL sections only (required there); {0}: the user id."})
    name = fields.String(
        required=True,
        metadata={"description": "Shown to users; {0}: the basis item's name (types with a basis item)."},
    )


class SectionDefs(Schema):
    sectiondefs = fields.List(fields.Nested(SectionDef), required=True)
