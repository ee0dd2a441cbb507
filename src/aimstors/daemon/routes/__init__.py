"""HTTP route handlers, one module per noun. Handlers parse input, call one core service, shape the output."""
