"""Shapes of the user profile routes (for the OpenAPI document; a profile is free-form)."""

from marshmallow import INCLUDE, Schema, fields


class Profile(Schema):
    """A user profile: any JSON object; top-level keys starting _ are reserved."""

    class Meta:
        unknown = INCLUDE

    id = fields.String(
        metadata={
            "description": "The user id; optional in request bodies, where it must equal the id in the URL."
        }
    )


PURGE = {
    "name": "purge",
    "schema": {"type": "boolean", "default": False},
    "description": "true: erase every trace of the user instead of deactivating.",
}
IF_MATCH = {
    "name": "If-Match",
    "schema": {"type": "string"},
    "description": "Write only if the profile's current ETag is one of these (or * for any).",
}
IF_NONE_MATCH_GET = {
    "name": "If-None-Match",
    "schema": {"type": "string"},
    "description": "Answer 304 if the profile's ETag is one of these.",
}
IF_NONE_MATCH_PUT = {
    "name": "If-None-Match",
    "schema": {"type": "string", "enum": ["*"]},
    "description": "*: create only, never replace an active profile (412 if one exists).",
}
