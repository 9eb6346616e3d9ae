"""The recommendation service: fold-in of fresh feedback, and the HTTP API over an event store.

The service keeps the feedback events it acknowledges in a store (`fuserec.events`; SQLite by
default, a file beside the artifact); an event is acknowledged only once it is committed, and its
``event_id`` makes a retry idempotent.
"""
