"""The sizing conf: its fields, their validation and what the walk needs of them."""
