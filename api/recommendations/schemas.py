"""Shapes of the recommendation routes (seed 000 "Item-item similarity", "Recommended
items for a user"), for the OpenAPI document."""

from marshmallow import Schema, fields


class ItemRef(Schema):
    item_type = fields.String(required=True)
    item_id = fields.String(required=True)


class Pick(Schema):
    item_type = fields.String(required=True)
    item_id = fields.String(required=True)
    score = fields.Float(
        required=True,
        metadata={"description": "Higher is better; comparable among picks of one basis in one response."},
    )
    because = fields.List(
        fields.Nested(ItemRef),
        required=True,
        metadata={
            "description": "The user's items that contributed most (at most 3); empty for popular picks."
        },
    )
    basis = fields.String(
        required=True,
        metadata={"description": "similar: from the user's items; popular: what is popular now."},
    )


class Picks(Schema):
    items = fields.List(fields.Nested(Pick), required=True)


class Similar(Schema):
    item_type = fields.String(required=True)
    item_id = fields.String(required=True)
    score = fields.Float(required=True, metadata={"description": "Similarity, 0-1."})


class SimilarItems(Schema):
    items = fields.List(fields.Nested(Similar), required=True)


class Popular(Schema):
    item_type = fields.String(required=True)
    item_id = fields.String(required=True)
    score = fields.Float(
        required=True,
        metadata={"description": "Users who took the item up, each counting half as much every 7 days."},
    )


class PopularItems(Schema):
    items = fields.List(fields.Nested(Popular), required=True)


class RecommendationSettings(Schema):
    neighbours = fields.Integer(metadata={"description": "Neighbours kept per item (10-1000, default 100)."})
    half_life_days = fields.Float(
        metadata={
            "description": (
                "A user's affinity for an item halves every this many days before the user's"
                " latest event (1-3650, default 90)."
            )
        }
    )
    history = fields.Integer(
        metadata={
            "description": (
                "A new item pairs with the user's this many newest items; recommendations draw"
                " on the user's this many strongest (10-1000, default 200)."
            )
        }
    )
