"""The HTTP layer: thin Starlette routes that parse, call a flow, and render."""
