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


class Basis(Schema):
    item_type = fields.String(metadata={"description": "An item type, or category, or actor."})
    item_id = fields.Raw(metadata={"description": "The item's id (a number when it is one), or the name."})


class Instance(Schema):
    id = fields.Integer(metadata={"description": "The instance's id: report section events on it."})
    type = fields.String()
    score = fields.Float(
        metadata={"description": "Weight plus what the user's events did (a pin: the weight)."}
    )
    basis = fields.Nested(Basis, allow_none=True)
    name = fields.String()
    url = fields.String(
        metadata={"description": "Where the items are: the URL section's url, else section/<id>/."}
    )


class SectionList(Schema):
    sections = fields.List(fields.Nested(Instance), required=True)


class SectionItem(Schema):
    item_type = fields.String()
    item_id = fields.String()


class Section(Instance):
    user_id = fields.String()
    items = fields.List(fields.Nested(SectionItem))


class SectionSettings(Schema):
    half_life_days = fields.Float(
        metadata={"description": "Days for a boost to halve towards the weight (0.01-3650, default 14)."}
    )
    items_per_section = fields.Integer(metadata={"description": "Items of a section (1-100, default 20)."})
