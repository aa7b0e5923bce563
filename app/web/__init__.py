"""Pages people use in a browser: the lead's workspace, the board author's dashboard, the docs."""
