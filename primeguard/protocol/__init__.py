"""OpenAI wire formats: request validation, response and chunk builders, SSE."""
