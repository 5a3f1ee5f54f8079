"""Where organizations keep their groups: one interface, one module per source."""
