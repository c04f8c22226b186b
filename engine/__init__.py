"""The engine: domain logic over Redis. Imports redis and the standard library only."""
