"""Provisioning: processes, ports, certificates, binaries, then one module per component."""
