"""A fork server for wetest's own Python programs (``server``) and its clients (``client``)."""
