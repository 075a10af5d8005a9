"""Routes per area; each module holds the pages and the JSON API of its area."""
