"""RQ workers: webhook delivery and periodic jobs. Imports engine, never api."""
