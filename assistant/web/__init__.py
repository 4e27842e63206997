"""HTTP plumbing of `assistant.api`: schemas, error mapping, body limit; the pages live in static/."""
