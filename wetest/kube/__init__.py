"""The only layer (besides provisioning) that talks to the API server."""
